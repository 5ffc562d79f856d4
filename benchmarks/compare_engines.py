"""The current engine against an earlier commit's, side by side in one run, as a ratio.

All citizens are simulated. These machines are shared and noisy: a throughput measured today and
one measured last week do not compare, so this script measures both engines now, alternating.
It checks the base commit out in a temporary git worktree (``git worktree add --detach``; removed
at the end), then runs each engine ``--repeat`` times, alternating base and current, each run in a
fresh Python process (no run inherits memory another faulted in, nor compiled kernels) with
``PYTHONPATH`` set to ``<worktree>/src`` for the base and to this checkout's ``src`` (working tree
included) for the current engine. A child loads the scenario at ``-n`` citizens and ``-t`` ticks,
calls ``scsim.prepare_process(sc)`` where it exists (the module engine; the engine before it set
the heap and warmed its kernels up in its constructor), builds ``scsim.Simulation(sc)`` and times
``sim.run()`` alone (the ticks, and the result the run returns; the engine's own tick counter
``ticks_s`` is reported beside it). The script prints both engines' best citizen-ticks per second
and the ratio current / base (above 1: the current engine is faster).

The default base, ``a0c5a23``, is the last commit before the module engine:

    python benchmarks/compare_engines.py --base a0c5a23 -n 1000000 -t 52 --repeat 2
    python benchmarks/compare_engines.py -n 200000 -t 10 --repeat 1 --scenario reference

The children inherit this process's environment, except ``OMP_WAIT_POLICY=PASSIVE`` when this
process imported ``scsim.engine`` (which sets it): each engine then sets its own, as it does when
run alone.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE = "a0c5a23"
ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, sys, time
import scsim
scenario, n, ticks, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
sc = scsim.load_scenario(scenario, population=n, ticks=ticks, seed=seed)
prepare = getattr(scsim, "prepare_process", None)
if prepare is not None:  # the module engine; the engine before it prepares the process in Simulation()
    prepare(sc)
t0 = time.perf_counter()
sim = scsim.Simulation(sc)
build = time.perf_counter() - t0
t0, c0 = time.perf_counter(), time.process_time()
sim.run()
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
n = sim.n
print(json.dumps({"scsim": os.path.dirname(scsim.__file__), "version": scsim.__version__, "population": n,
                  "ticks": ticks, "build_s": build, "run_s": wall, "run_cpu_s": cpu,
                  "ticks_s": getattr(sim, "ticks_s", wall), "citizen_ticks_per_s": n * ticks / wall}))
"""


def git(*args: str, cwd: Path = ROOT) -> str:
    p = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(f"git {' '.join(args)}: {p.stderr.strip() or p.stdout.strip()}")
    return p.stdout.strip()


def child_env(src: Path) -> dict:
    """The environment of a child: this one's, with ``PYTHONPATH`` naming only ``src``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src)
    if "scsim.engine" in sys.modules and env.get("OMP_WAIT_POLICY") == "PASSIVE":
        env.pop("OMP_WAIT_POLICY")  # set by scsim.engine in this process; the children set their own
    return env


def run_child(src: Path, scenario: str, n: int, ticks: int, seed: int) -> dict:
    """One run of the engine under ``src`` in a fresh process; its figures (see CHILD)."""
    p = subprocess.run([sys.executable, "-c", CHILD, scenario, str(n), str(ticks), str(seed)],
                       env=child_env(src), cwd=tempfile.gettempdir(), capture_output=True, text=True)
    if p.returncode:
        tail = "\n".join(p.stderr.strip().splitlines()[-5:])
        raise SystemExit(f"the engine under {src} failed (exit {p.returncode}):\n{tail}")
    r = json.loads(p.stdout.strip().splitlines()[-1])
    if Path(r["scsim"]).resolve() != (src / "scsim").resolve():  # PYTHONPATH lost to another installation
        raise SystemExit(f"the child meant for {src} imported scsim from {r['scsim']}")
    return r


def best(runs: list[dict]) -> dict:
    """The fastest of ``runs`` (highest citizen-ticks per second), with how many there were.

    >>> best([{"citizen_ticks_per_s": 2.0}, {"citizen_ticks_per_s": 3.0}])
    {'citizen_ticks_per_s': 3.0, 'runs': 2}
    """
    return max(runs, key=lambda r: r["citizen_ticks_per_s"]) | {"runs": len(runs)}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default=BASE, help=f"the earlier commit (default {BASE}: before the module engine)")
    ap.add_argument("-n", "--population", type=int, default=1_000_000)
    ap.add_argument("-t", "--ticks", type=int, default=52)
    ap.add_argument("--scenario", default="article")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=2, help="alternating base/current pairs; the best of each is kept")
    ap.add_argument("--json", action="store_true", help="print one JSON line instead of the table")
    a = ap.parse_args(argv)
    if a.population < 1 or a.ticks < 1 or a.repeat < 1:
        ap.error("--population, --ticks and --repeat: expected positive integers")
    commit = git("rev-parse", "--verify", "--quiet", f"{a.base}^{{commit}}")
    short = git("rev-parse", "--short", commit)
    head = git("rev-parse", "--short", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", "src"))
    current_label = f"{head}{' + working tree' if dirty else ''}"
    tmp = Path(tempfile.mkdtemp(prefix="scsim-base-"))
    tree = tmp / "base"
    runs: dict[str, list[dict]] = {"base": [], "current": []}
    git("worktree", "add", "--detach", str(tree), commit)
    try:
        srcs = {"base": tree / "src", "current": ROOT / "src"}
        if not a.json:
            print(f"{a.scenario}, {a.population:,} simulated citizens, {a.ticks} ticks; base {short} "
                  f"({tree}), current {current_label}; {a.repeat} run(s) of each, alternating, each in a fresh process")
        for i in range(a.repeat):
            for which in ("base", "current"):
                r = run_child(srcs[which], a.scenario, a.population, a.ticks, a.seed)
                runs[which].append(r)
                if not a.json:
                    print(f"  run {i + 1} {which:8s} build {r['build_s']:7.2f} s  run {r['run_s']:8.2f} s wall "
                          f"({r['run_cpu_s']:.2f} s CPU; ticks {r['ticks_s']:.2f} s)  "
                          f"{r['citizen_ticks_per_s']:>12,.0f} citizen-ticks/s", flush=True)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)
    b, c = best(runs["base"]), best(runs["current"])
    out = {"scenario": a.scenario, "population": a.population, "ticks": a.ticks, "seed": a.seed, "repeat": a.repeat,
           "base_commit": short, "current": c, "base": b, "current_label": current_label,
           "ratio": c["citizen_ticks_per_s"] / b["citizen_ticks_per_s"],
           "ratio_ticks": b["ticks_s"] / c["ticks_s"] if c["ticks_s"] > 0 else float("nan"),
           "date": time.strftime("%Y-%m-%d %H:%M:%S %z")}
    if a.json:
        print(json.dumps(out, default=float))
    else:
        print(f"best of {a.repeat}: base {short}: {b['citizen_ticks_per_s']:,.0f} citizen-ticks/s; "
              f"current {current_label}: {c['citizen_ticks_per_s']:,.0f} citizen-ticks/s")
        print(f"ratio current/base: {out['ratio']:.3f} (sim.run() wall time; {out['ratio_ticks']:.3f} by the "
              f"engines' own tick time)")
    return out


if __name__ == "__main__":
    main()
