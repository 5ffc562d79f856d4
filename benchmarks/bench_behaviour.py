"""Throughput of the `article` scenario with the social dynamics on and off, side by side.

Runs the same world (same seed, citizens and graph) with ``[behaviour]``, ``[groups]`` and
``[surveillance]`` all off and with all on (the article's defaults), alternating, each run in a
fresh child process (so that no run inherits memory another one faulted in), and prints
citizen-ticks per second of the tick loop (world building excluded) and the ratio on/off, best of
``--repeat`` runs of each. The target (issue 3) is a ratio of at least 0.70. All citizens are
simulated. ``--set KEY=VALUE`` passes scenario overrides to both (e.g. ``engine.reuse_memory=false``).
Each child calls ``scsim.prepare_process`` (heap reuse, compiled kernels, threads) before it
builds the world.

    python benchmarks/bench_behaviour.py                 # 200,000 citizens, 20 ticks
    python benchmarks/bench_behaviour.py -n 50000 -t 10 --repeat 1
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

SECTIONS = ("behaviour", "groups", "surveillance")

CHILD = r"""
import json, sys, time
import scsim
n, ticks, on, seed, extra = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1", int(sys.argv[4]), json.loads(sys.argv[5])
sc = scsim.load_scenario("article", population=n, ticks=ticks, seed=seed,
                         **{f"{s}.enabled": on for s in ("behaviour", "groups", "surveillance")}, **extra)
scsim.prepare_process(sc)
sim = scsim.Simulation(sc)
t0, c0 = time.perf_counter(), time.process_time()
while sim.tick < ticks:
    sim.step()
el, c = time.perf_counter() - t0, time.process_time() - c0
row = dict(sim.collector.last())
print(json.dumps({"wall": el, "cpu": c, "row": row}, default=float))
"""


def run(n: int, ticks: int, on: bool, seed: int, overrides: dict | None = None) -> tuple[float, float, dict]:
    """Wall and CPU seconds of the tick loop, and the last tick's row (in a fresh child process)."""
    p = subprocess.run([sys.executable, "-c", CHILD, str(n), str(ticks), "1" if on else "0", str(seed),
                        json.dumps(overrides or {})], capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"child exited {p.returncode}")
    r = json.loads(p.stdout.strip().splitlines()[-1])
    return r["wall"], r["cpu"], r["row"]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--population", type=int, default=200_000)
    ap.add_argument("-t", "--ticks", type=int, default=20)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=2, help="alternating off/on pairs; the best time of each is kept")
    ap.add_argument("--json", action="store_true", help="print one JSON line instead of the table")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="scenario override for both runs")
    a = ap.parse_args(argv)
    import scsim

    overrides = dict(kv.partition("=")[::2] for kv in a.set)  # strings, validated as the CLI's --set
    scsim.load_scenario("article", **overrides)  # a bad key or value fails here, with the scenario's message
    best = {False: float("inf"), True: float("inf")}
    cpu = {False: float("inf"), True: float("inf")}
    last = {}
    for _ in range(a.repeat):
        for on in (False, True):
            el, c, row = run(a.population, a.ticks, on, a.seed, overrides)
            best[on] = min(best[on], el)
            cpu[on] = min(cpu[on], c)
            last[on] = row
    ct = a.population * a.ticks
    out = {"population": a.population, "ticks": a.ticks, "off_s": round(best[False], 3), "on_s": round(best[True], 3),
           "off_citizen_ticks_per_s": round(ct / best[False]), "on_citizen_ticks_per_s": round(ct / best[True]),
           "ratio": round(best[False] / best[True], 3),
           "off_cpu_s": round(cpu[False], 3), "on_cpu_s": round(cpu[True], 3), "ratio_cpu": round(cpu[False] / cpu[True], 3)}
    if a.json:
        print(json.dumps(out))
    else:
        print(f"article, {a.population:,} simulated citizens, {a.ticks} ticks (tick loop only, best of {a.repeat})")
        print(f"  behaviours off: {out['off_s']:8.2f} s  {out['off_citizen_ticks_per_s']:>12,} citizen-ticks/s")
        print(f"  behaviours on:  {out['on_s']:8.2f} s  {out['on_citizen_ticks_per_s']:>12,} citizen-ticks/s")
        print(f"  ratio on/off:   {out['ratio']:.3f}  (target >= 0.70)")
        print(f"  CPU time off / on: {out['off_cpu_s']:.2f} s / {out['on_cpu_s']:.2f} s (the engine's compiled kernels "
              "run in threads; the behaviours mostly in one)")
        r = last[True]
        print(f"  last tick with behaviours on: ties cut {r['ties_cut']}, formed {r['ties_formed']}, "
              f"assortativity {r['score_assortativity']:.3f}, star inflation {r['star_inflation']:.3f}, "
              f"watchlisted {r['watchlisted']}")
    return out


if __name__ == "__main__":
    main()
