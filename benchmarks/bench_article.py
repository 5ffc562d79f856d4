"""Benchmark of the full ``article`` scenario: build time, tick time, throughput, peak memory.

Citizens are simulated: nothing here describes a real person.

    python benchmarks/bench_article.py --population 1000000 --ticks 52

Builds ``scsim.Simulation(load_scenario("article", population=N, ticks=T, seed=S))`` (population,
graph at ``--mean-degree``, units: the ``build`` time), runs ``T`` ticks (``tick`` times, wall
clock and CPU time of this process), and reports citizen-ticks per second and the peak resident
memory of the process (``resource.getrusage``, i.e. the high-water mark, which includes the
Python runtime and the graph's generation) beside the engine's own estimate
(``scsim.estimate_memory``). ``scsim.prepare_process`` (heap reuse, the compiled kernels, the
thread count) is called first, outside the timings, as the command line does. Nothing is
written to disk.
Targets (issue 5): >= 1,000,000 citizen-ticks/s with <= 2 GiB peak at 1M citizens.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import load, machine, peak_rss_mib  # noqa: E402


def bench(population: int, ticks: int, mean_degree: float, seed: int, scenario: str = "article") -> dict:
    """Build and run the scenario; return the figures (see module doc).

    >>> r = bench(3000, 2, 10.0, 1)
    >>> r["population"], r["ticks"], r["citizen_ticks_per_s"] > 0
    (3000, 2, True)
    """
    import scsim
    from scsim import estimate_memory

    sc = scsim.load_scenario(scenario, population=population, ticks=ticks, seed=seed)
    if hasattr(sc, "graph"):  # the classroom model has no social graph
        sc = sc.model_copy(update={"graph": sc.graph.model_copy(update={"mean_degree": mean_degree})})
    scsim.prepare_process(sc)
    rss0 = peak_rss_mib()
    w0, c0 = time.perf_counter(), time.process_time()
    sim = scsim.Simulation(sc)
    build_wall, build_cpu = time.perf_counter() - w0, time.process_time() - c0
    rss_build = peak_rss_mib()
    per_tick = []
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(ticks):
        t = time.perf_counter()
        sim.step()
        per_tick.append(time.perf_counter() - t)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    n = sim.n
    g = sim.exchange.graph
    score = next((m.score for m in sim.modules.values() if hasattr(m, "score")), None)
    return {
        "scenario": scenario, "population": n, "ticks": ticks, "mean_degree": mean_degree, "seed": seed,
        "edges": int(g.n_edges) if g is not None else 0,
        "build_s": build_wall, "build_cpu_s": build_cpu,
        "ticks_s": wall, "ticks_cpu_s": cpu,
        "tick_s_mean": wall / ticks, "tick_s_min": min(per_tick), "tick_s_max": max(per_tick),
        "citizen_ticks_per_s": n * ticks / wall, "citizen_ticks_per_cpu_s": n * ticks / cpu,
        "peak_rss_mib": peak_rss_mib(), "peak_rss_after_build_mib": rss_build, "rss_before_mib": rss0,
        "estimate_mib": estimate_memory(sc) / 2**20,
        "mean_score": float(score.mean()) if score is not None else None,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark the article scenario (simulated citizens).")
    ap.add_argument("--population", type=int, default=1_000_000)
    ap.add_argument("--ticks", type=int, default=52)
    ap.add_argument("--mean-degree", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", default="article")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    a = ap.parse_args(argv)
    if a.population < 1 or a.ticks < 1:
        ap.error("--population and --ticks: expected positive integers")
    print(f"scsim '{a.scenario}' benchmark; citizens are simulated (synthetic). "
          f"{time.strftime('%Y-%m-%d %H:%M:%S %z')}; {machine()}")
    print(f"{load()} at start")
    r = bench(a.population, a.ticks, a.mean_degree, a.seed, a.scenario)
    r["load_end"] = load()
    print(f"{r['population']:,} citizens, {r['edges']:,} friendships (mean degree {a.mean_degree}), {r['ticks']} ticks")
    print(f"build (population, graph, units): {r['build_s']:.2f} s wall ({r['build_cpu_s']:.2f} s CPU)")
    print(f"ticks: {r['ticks_s']:.2f} s wall ({r['ticks_cpu_s']:.2f} s CPU); per tick mean {r['tick_s_mean']:.3f} s, "
          f"min {r['tick_s_min']:.3f} s, max {r['tick_s_max']:.3f} s")
    print(f"throughput: {r['citizen_ticks_per_s']:.3g} citizen-ticks/s wall ({r['citizen_ticks_per_cpu_s']:.3g} per CPU s)")
    print(f"peak RSS: {r['peak_rss_mib']:.0f} MiB ({r['peak_rss_after_build_mib']:.0f} MiB after the build); "
          f"engine estimate {r['estimate_mib']:.0f} MiB")
    print(f"{r['load_end']} at end")
    if a.json:
        Path(a.json).write_text(json.dumps(r, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
