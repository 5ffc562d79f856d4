"""Side-by-side benchmark of the reference model (MODEL.md section 12): scsim, Mesa, mesa-frames.

Citizens are simulated: nothing here describes a real person.

One command::

    python benchmarks/compare_reference.py --sizes 10000,100000,1000000 --ticks 52

For each size it builds ONE graph (scsim's DCSBM generator, the reference scenario's settings) and
runs every framework on it for ``--ticks`` ticks:

* ``scsim``: ``scsim.Simulation(load_scenario("reference", ...), graph=g)`` (the ``reference``
  module, src/scsim/mechanisms/reference.py; ``scsim.prepare_process`` is called before it is
  built);
* ``mesa``: benchmarks/reference_mesa.py (Mesa 3, one Agent per citizen);
* ``mesa-frames``: benchmarks/reference_mesa_frames.py (if ``mesa_frames`` imports).

Mesa and mesa-frames run only where they are expected to finish within ``--budget`` seconds
(default 300): the time per citizen-tick measured at the smaller sizes is extrapolated (log-log
through the last two sizes), and larger sizes are skipped with a printed note; a run that
overruns anyway is stopped after the tick that crosses the budget and reported on the ticks it ran.

It prints citizen-ticks per second (wall clock and CPU time of this process, ticks only, graph and
agent creation excluded), the ratio of scsim's throughput to each framework's, and the largest gap
between per-tick mean scores with the agreement criterion of ``benchlib.agreement`` (z-scores against
the standard error from the citizens' score SD times a design effect of 1.5, and on each band
share against the binomial standard error times 2.5; Bonferroni at 1% over ticks and bands). If two implementations disagree the comparison is void, and it says so.
Unless ``--no-limits``, it also measures the machine's limits (benchmarks/limits.py) and reports
how close scsim's reference tick comes to them.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import Trace, agreement, load, machine, peak_rss_mib, reference_graph  # noqa: E402

FRAMEWORKS = ("scsim", "mesa", "mesa-frames")
BUDGETED = ("mesa", "mesa-frames")


class Skip(Exception):
    """A framework cannot run here (not installed); the message says why."""


def _scsim(g, ticks, seed, budget):
    import scsim

    sc = scsim.load_scenario("reference", population=g.n, ticks=ticks, seed=seed)
    scsim.prepare_process(sc)
    t0 = time.perf_counter()
    sim = scsim.Simulation(sc, graph=g)
    build = time.perf_counter() - t0
    ref = sim.reference
    names = ref.tier_names
    return (build, sim.step, lambda: ref.score, lambda: [sim.collector.last()[f"share_{k}"] for k in names])


def _mesa(g, ticks, seed, budget):
    try:
        from reference_mesa import ReferenceMesa
    except ImportError as e:
        raise Skip(f"mesa is not installed ({e}); pip install mesa") from None
    t0 = time.perf_counter()
    m = ReferenceMesa(g.indptr, g.indices, seed=seed)
    build = time.perf_counter() - t0
    return (build, m.step, lambda: m.agents.get("score"),
            lambda: [v for k, v in m.rows[-1].items() if k.startswith("share_")])


def _mesa_frames(g, ticks, seed, budget):
    try:
        from reference_mesa_frames import ReferenceMesaFrames
    except ImportError as e:
        raise Skip(f"mesa-frames does not import here ({e}); see BENCHMARKS.md for how it was installed") from None
    t0 = time.perf_counter()
    m = ReferenceMesaFrames(g.indptr, g.indices, seed=seed)
    build = time.perf_counter() - t0
    return (build, m.step, lambda: m.citizens.agents["score"].to_numpy(),
            lambda: [v for k, v in m.rows[-1].items() if k.startswith("share_")])


MAKERS = {"scsim": _scsim, "mesa": _mesa, "mesa-frames": _mesa_frames}


def run(fw: str, g, ticks: int, seed: int, budget: float) -> dict:
    """Run one framework on graph ``g``; timing covers the ticks only (recording included)."""
    build, step, scores, shares = MAKERS[fw](g, ticks, seed, budget)
    trace = Trace(g.n)
    wall = cpu = 0.0
    note = ""
    for t in range(ticks):
        w0, c0 = time.perf_counter(), time.process_time()
        step()
        wall += time.perf_counter() - w0
        cpu += time.process_time() - c0
        trace.add(scores(), shares())
        if fw in BUDGETED and build + wall > budget and t + 1 < ticks:
            note = f"stopped after {t + 1} ticks: over the {budget:.0f} s budget"
            break
    done = len(trace.mean)
    return {"framework": fw, "n": g.n, "ticks": done, "build_s": build, "ticks_wall_s": wall, "ticks_cpu_s": cpu,
            "rate_wall": g.n * done / wall if wall else math.nan, "rate_cpu": g.n * done / cpu if cpu else math.nan,
            "trace": trace, "note": note}


def estimate(history: list[tuple[int, float, float]], n: int, ticks: int) -> float:
    """Seconds a run of ``n`` citizens for ``ticks`` ticks should take, from ``(n, s per citizen-tick,
    build s per citizen)`` at smaller sizes (log-log extrapolation through the last two).

    >>> round(estimate([(10, 1.0, 0.0), (100, 2.0, 0.0)], 1000, 1))   # cost per citizen-tick doubles per decade
    4000
    """
    n1, c1, b1 = history[-1]
    c = c1
    if len(history) >= 2:
        n0, c0, _ = history[-2]
        slope = max(0.0, math.log(c1 / c0) / math.log(n1 / n0)) if c0 > 0 and n1 > n0 else 0.0
        c = c1 * (n / n1) ** slope
    return n * (b1 + c * ticks)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Reference model side by side: scsim, Mesa, mesa-frames.")
    ap.add_argument("--sizes", default="10000,100000,1000000", help="citizens, comma-separated")
    ap.add_argument("--ticks", type=int, default=52)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget", type=float, default=300.0, help="seconds allowed per Mesa / mesa-frames run")
    ap.add_argument("--frameworks", default=",".join(FRAMEWORKS), help=f"subset of {','.join(FRAMEWORKS)}")
    ap.add_argument("--no-limits", action="store_true", help="skip the machine-limit measurements")
    ap.add_argument("--json", help="also write every figure to this JSON file")
    a = ap.parse_args(argv)
    try:
        sizes = [int(s.replace("_", "")) for s in a.sizes.split(",") if s.strip()]
    except ValueError:
        ap.error(f"--sizes: expected comma-separated integers, got {a.sizes!r}")
    fws = [f.strip() for f in a.frameworks.split(",") if f.strip()]
    bad = [f for f in fws if f not in FRAMEWORKS]
    if bad or "scsim" not in fws:
        ap.error(f"--frameworks: expected scsim plus any of {', '.join(FRAMEWORKS)}, got {a.frameworks!r}")

    print("Reference model (MODEL.md section 12), side by side. Citizens are simulated (synthetic).")
    print(f"date {time.strftime('%Y-%m-%d %H:%M:%S %z')}; {machine()}")
    print(f"{load()} at start")
    out = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "ticks": a.ticks, "seed": a.seed, "sizes": []}
    mach = None
    if not a.no_limits:
        import limits
        mach = limits.measure_machine()
        print("\n".join(limits.report(mach)))
        out["limits"] = mach
    history: dict[str, list] = {f: [] for f in fws}
    skipped: dict[str, str] = {}
    for n in sizes:
        g, gs = reference_graph(n, a.seed)
        deg = 2 * g.n_edges / g.n
        print(f"\n== {n:,} citizens, {g.n_edges:,} friendships (mean degree {deg:.2f}); graph built in {gs:.2f} s; "
              f"{a.ticks} ticks; {load()}")
        results = []
        for fw in fws:
            if fw in skipped:
                print(f"  {fw}: skipped ({skipped[fw]})")
                continue
            if fw in BUDGETED and history[fw]:
                est = estimate(history[fw], n, a.ticks)
                if est > a.budget:
                    print(f"  {fw}: skipped: estimated {est:.0f} s for {n:,} citizens x {a.ticks} ticks "
                          f"(from the smaller sizes) exceeds the {a.budget:.0f} s budget")
                    continue
            try:
                r = run(fw, g, a.ticks, a.seed, a.budget)
            except Skip as e:
                skipped[fw] = str(e)
                print(f"  {fw}: skipped ({e})")
                continue
            history[fw].append((n, r["ticks_wall_s"] / max(r["ticks"], 1) / n, r["build_s"] / n))
            results.append(r)
        base = results[0]
        rows = []
        print(f"  {'framework':<12} {'build s':>8} {'ticks':>5} {'tick s':>8} {'cit-ticks/s wall':>17} "
              f"{'(CPU)':>10} {'scsim/x wall':>12} {'(CPU)':>7} {'max gap':>8} {'max z':>6} {'z*':>5}  agree")
        for r in results:
            ag = agreement(base["trace"], r["trace"]) if r is not base else None
            r["agreement"] = ag
            ratio_w = base["rate_wall"] / r["rate_wall"]
            ratio_c = base["rate_cpu"] / r["rate_cpu"]
            gap = f"{ag['max_gap']:8.3f} {max(ag['max_z'], ag['max_share_z']):6.2f} {ag['z_star']:5.2f}  " \
                  f"{'yes' if ag['agree'] else 'NO'}" if ag else f"{'':8} {'':6} {'':5}  (baseline)"
            print(f"  {r['framework']:<12} {r['build_s']:8.2f} {r['ticks']:5d} {r['ticks_wall_s'] / r['ticks']:8.4f} "
                  f"{r['rate_wall']:17.3g} {r['rate_cpu']:10.3g} {ratio_w:12.1f} {ratio_c:7.1f} {gap}"
                  + (f"  [{r['note']}]" if r["note"] else ""))
            rows.append({k: v for k, v in r.items() if k != "trace"} | {"ratio_wall": ratio_w, "ratio_cpu": ratio_c,
                                                                        "mean_score": r["trace"].mean})
        for r in results[1:]:
            if not r["agreement"]["agree"]:
                print(f"  VOID: {r['framework']} and scsim disagree beyond sampling error "
                      f"(max z {max(r['agreement']['max_z'], r['agreement']['max_share_z']):.2f} > "
                      f"{r['agreement']['z_star']:.2f}); its speed comparison is void.")
        entry = {"n": n, "edges": int(g.n_edges), "mean_degree": deg, "graph_s": gs, "results": rows}
        if mach is not None:
            import limits
            need = limits.needs(deg)
            b = limits.bound_ns(deg, mach)
            mv = limits.matvec_ns(g, kernel=True)
            gns = limits.gather_ns(n, deg)
            mb, mg = limits.machine_bound_ns(deg, mach), limits.machine_bound_ns(deg, mach, gns)
            entry["limit"] = {"bytes": need["bytes"], "bound_ns": b, "matvec_ns": mv, "machine_bound_ns": mb,
                              "gather_ns": gns, "machine_bound_with_gathers_ns": mg}
            for r in results:
                if r["framework"] == "scsim":
                    ns = r["ticks_cpu_s"] / r["ticks"] / n * 1e9
                    ns_w = r["ticks_wall_s"] / r["ticks"] / n * 1e9
                    entry["limit"][r["framework"] + "_ns"] = ns
                    entry["limit"][r["framework"] + "_wall_ns"] = ns_w
                    print(f"  limit: {r['framework']} {ns:.1f} ns CPU per citizen-tick vs the one-core bound "
                          f"{b:.1f} ns ({need['bytes']:.0f} B at the triad bandwidth + minimal draws): "
                          f"{100 * b / ns:.0f}% of the bound; the friends' sum alone takes {mv:.1f} ns CPU "
                          f"({100 * mv / ns:.0f}%)")
                    print(f"  limit: {r['framework']} {ns_w:.1f} ns wall per citizen-tick vs the machine's bound "
                          f"{mb:.1f} ns (all cores): {100 * mb / ns_w:.0f}%; with {deg:.0f} random gathers at "
                          f"{gns:.2f} ns, {mg:.1f} ns: {100 * mg / ns_w:.0f}%")
        out["sizes"].append(entry)
        del g
    print(f"\n{load()} at end; peak RSS of this process {peak_rss_mib():.0f} MiB")
    print("Ratios compare runs made in this one process, one after the other, on the same graph.")
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
