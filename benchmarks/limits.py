"""How close does the reference tick come to this machine's limits?

Citizens are simulated: nothing here describes a real person.

Measures, single-threaded, best of several repetitions:

* memory bandwidth: the NumPy triad ``a = b + s*c`` on float64 arrays of 2**25 elements (256 MiB
  each, far beyond any cache) done as NumPy does it, ``multiply(c, s, out=a); add(a, b, out=a)``:
  five array passes, 40 bytes per element actually moved (the STREAM convention, 24 bytes per
  element, is printed too);
* random numbers: PCG64 (the bit generator of ``scsim.rng.stream``) uniform float64, bounded int32
  integers, Poisson(0.5) and Poisson(0.05) draws per second;
and derives what one reference citizen-tick (src/scsim/reference.py, ``ReferenceSimulation.step``)
needs, at mean degree d (stored CSR entries per citizen):

* bytes that must stream from memory: four float32 ledgers read and written (32 B), previous
  score read and new score written (8 B), dissent read (4 B), CSR ``indptr`` (4 B) and ``indices``
  (4d B): ``48 + 4d`` bytes (the gathered friends' scores, 4 MiB at 1M citizens, stay in cache);
* random numbers, two counts:
  - *as implemented*: one Poisson(0.5) draw per citizen (on-time payment, ``rng.poisson``) plus
    one uniform per sparse event (late 0.05 + traffic 0.02 + critical 0.1 E[c] = 0.12) for the
    superposition sampler in ``scsim.sources.poisson``;
  - *minimal*: one bounded integer per event (0.5 + 0.05 + 0.02 + 0.1 candidates = 0.67) plus one
    uniform per critical candidate (0.1) to thin it by dissent.

The bound is ``bytes / bandwidth + draws / draw rate`` (one core does both in sequence). What
it leaves out is the latency of the ``d`` random reads of friends' scores (neighbour ids on the
DCSBM graph are spread over the whole population: mean |i - j| is a third of N); the time of the
CSR mat-vec alone (``scipy``, best of 5) is printed beside it to show that share.

All times are CPU times of this process, best of several repetitions; step times are the best tick
of ``--ticks`` (every tick does the same work; the best one is the least disturbed by other
processes on a shared machine).

The step uses every core (the friends' sum is a threaded kernel), so the script also reports its
**wall** time against the **machine's** bound: the triad run in one thread per core on slices of
the arrays (aggregate bandwidth) and the draw rates times the cores. A third bound adds what the
first two leave out, the friends' scores gathered at random: ``d`` gathers per citizen at the
measured rate of a compiled gather-and-sum over a float32 vector of the graph's size (all cores).

Run alone: ``python benchmarks/limits.py --size 1000000 --ticks 10`` (also measures the reference
tick at that size and, with ``--profile``, prints a pyinstrument profile of it).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import best_of, load, machine, reference_graph  # noqa: E402

# MODEL.md section 12 rates (the reference scenario's [reference] table)
ON_TIME, LATE, TRAFFIC, CRITICAL_MAX, MEAN_DISSENT = 0.5, 0.05, 0.02, 0.1, 0.5


def best(f, repeat: int = 5) -> float:
    """Best CPU time of ``repeat`` calls of ``f`` (seconds; all single-threaded code).

    CPU time of this process (``time.process_time``, user + system), not wall time: the machine
    is shared, and time spent waiting for a core is not the code's.
    """
    return best_of(f, repeat, time.process_time)


def triad(n: int = 1 << 25, repeat: int = 5) -> dict:
    """Memory bandwidth of the NumPy triad ``a = b + 3*c`` (GB/s, 1e9 bytes)."""
    a = np.empty(n)
    b = np.ones(n)
    c = np.ones(n)
    s = 3.0

    def f():
        np.multiply(c, s, out=a)
        np.add(a, b, out=a)

    t = best(f, repeat)
    assert a[0] == 4.0
    return {"triad_gbs": 40 * n / t / 1e9, "triad_stream_convention_gbs": 24 * n / t / 1e9, "triad_elements": n}


def rng_rates(m: int = 1 << 22, repeat: int = 5) -> dict:
    """PCG64 draws per second (uniform, bounded int32, Poisson)."""
    rng = np.random.Generator(np.random.PCG64(12345))
    return {
        "uniform_per_s": m / best(lambda: rng.random(m), repeat),
        "int32_per_s": m / best(lambda: rng.integers(0, 65536, m, dtype=np.int32), repeat),
        "poisson05_per_s": m / best(lambda: rng.poisson(0.5, m), repeat),
        "poisson005_per_s": m / best(lambda: rng.poisson(0.05, m), repeat),
    }


def matvec_ns(graph, repeat: int = 5, kernel: bool = False) -> float:
    """Nanoseconds per citizen of the friends' sum ``adj @ score`` (float32): SciPy's CSR
    mat-vec, or (``kernel``) scsim's threaded ``kernels.neighbour_sum`` that the step uses.

    CPU time of this process: with the kernel's threads it adds up the time of every core.
    """
    adj = graph.to_scipy()
    x = np.full(graph.n, 600.0, np.float32)
    if kernel:
        from scsim.kernels import neighbour_sum

        neighbour_sum(adj.indptr, adj.indices, x)  # compile (or load from the cache)
        return best(lambda: neighbour_sum(adj.indptr, adj.indices, x), repeat) / graph.n * 1e9
    return best(lambda: adj @ x, repeat) / graph.n * 1e9


def best_wall(f, repeat: int = 5) -> float:
    """Best wall time of ``repeat`` calls of ``f`` (seconds; for code that uses every core)."""
    return best_of(f, repeat)


def cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def triad_all(n: int = 1 << 25, repeat: int = 5) -> float:
    """Aggregate bandwidth (GB/s, 40 B per element moved) of the triad in one thread per core,
    each on its own slice of the arrays (NumPy releases the GIL in its loops); wall time."""
    from concurrent.futures import ThreadPoolExecutor

    k = cores()
    a, b, c = np.empty(n), np.ones(n), np.ones(n)
    cuts = np.linspace(0, n, k + 1).astype(int)

    def part(j):
        lo, hi = cuts[j], cuts[j + 1]
        np.multiply(c[lo:hi], 3.0, out=a[lo:hi])
        np.add(a[lo:hi], b[lo:hi], out=a[lo:hi])

    with ThreadPoolExecutor(k) as ex:
        t = best_wall(lambda: list(ex.map(part, range(k))), repeat)
    assert a[0] == 4.0
    return 40 * n / t / 1e9


def gather_ns(n: int, degree: float, repeat: int = 5) -> float:
    """Wall ns per gathered float32 of a compiled gather-and-sum (all cores) over ``n * degree``
    random indices into a vector of ``n`` (the friends' scores, as in the mat-vec, without its
    row structure)."""
    from numba import njit, prange

    @njit(parallel=True, fastmath=True, cache=False)
    def gsum(idx, x):  # a parallel reduction: numba splits it over the cores
        s = np.float32(0)
        for j in prange(idx.size):
            s += x[idx[j]]
        return s

    rng = np.random.default_rng(0)
    m = int(n * degree)
    idx = rng.integers(0, n, m, dtype=np.int32)
    x = rng.random(n, dtype=np.float32)
    gsum(idx, x)
    return best_wall(lambda: gsum(idx, x), repeat) / m * 1e9


def measure_machine(quick: bool = False) -> dict:
    """Bandwidth and random-number rates of this machine (``quick``: smaller arrays, for tests):
    one core, and (``triad_all_gbs``, ``cores``) all cores."""
    r = triad(1 << 20 if quick else 1 << 25, 2 if quick else 5)
    r.update(rng_rates(1 << 16 if quick else 1 << 22, 2 if quick else 5))
    r["cores"] = cores()
    r["triad_all_gbs"] = triad_all(1 << 20 if quick else 1 << 25, 2 if quick else 5)
    return r


def needs(degree: float) -> dict:
    """Bytes and draws one reference citizen-tick needs at mean degree ``degree`` (see module doc)."""
    sparse = LATE + TRAFFIC + CRITICAL_MAX * MEAN_DISSENT
    return {
        "bytes": 48 + 4 * degree,
        "bytes_without_indices": 48,
        "draws_implemented": {"poisson05": 1.0, "uniform": sparse},
        "draws_minimal": {"int32": ON_TIME + LATE + TRAFFIC + CRITICAL_MAX, "uniform": CRITICAL_MAX},
    }


def bound_ns(degree: float, mach: dict, draws: str = "minimal") -> float:
    """Lower bound on the time of one reference citizen-tick, in ns (``draws``: "minimal" or "implemented").

    >>> m = {"triad_gbs": 20.0, "uniform_per_s": 5e8, "int32_per_s": 5e8, "poisson05_per_s": 5e7}
    >>> round(bound_ns(20, m), 2)   # 128 B at 20 GB/s + 0.77 draws at 2 ns
    7.94
    >>> round(bound_ns(20, m, "implemented"), 2)   # 128 B + one Poisson(0.5) at 20 ns + 0.12 uniforms
    26.64
    """
    need = needs(degree)
    rate = {"poisson05": mach["poisson05_per_s"], "uniform": mach["uniform_per_s"], "int32": mach["int32_per_s"]}
    t_draw = sum(k / rate[name] for name, k in need[f"draws_{draws}"].items()) * 1e9
    return need["bytes"] / mach["triad_gbs"] + t_draw


def machine_bound_ns(degree: float, mach: dict, gather: float = 0.0) -> float:
    """The bound of :func:`bound_ns` (minimal draws) for the whole machine: the bytes at the
    all-core bandwidth, the draws spread over every core; plus ``degree`` gathers of ``gather``
    ns each (0: left out, as in :func:`bound_ns`).

    >>> m = {"triad_all_gbs": 40.0, "cores": 2, "uniform_per_s": 5e8, "int32_per_s": 5e8}
    >>> round(machine_bound_ns(20, m), 2)   # 128 B at 40 GB/s + 0.77 draws at 2 ns over 2 cores
    3.97
    >>> round(machine_bound_ns(20, m, gather=0.3), 2)   # + 20 gathers at 0.3 ns
    9.97
    """
    need = needs(degree)
    rate = {"uniform": mach["uniform_per_s"], "int32": mach["int32_per_s"]}
    t_draw = sum(k / rate[name] for name, k in need["draws_minimal"].items()) * 1e9 / mach["cores"]
    return need["bytes"] / mach["triad_all_gbs"] + t_draw + degree * gather


def reference_tick_ns(graph, ticks: int, seed: int = 1, fast: bool = False, wall: bool = False) -> float:
    """ns per citizen of the best of ``ticks`` reference ticks (scsim's step, or the numba
    prototype): CPU time of the process, or (``wall``) wall time."""
    import scsim

    sc = scsim.load_scenario("reference", population=graph.n, ticks=ticks, seed=seed)
    if fast:
        from fast_reference import FastReference
        sim = FastReference(sc, graph)  # compiles on construction
    else:
        sim = scsim.Simulation(sc, graph=graph)
    return (best_wall if wall else best)(sim.step, ticks) / graph.n * 1e9


def report(mach: dict) -> list[str]:
    """Printable lines for the machine limits."""
    return [
        f"memory bandwidth (NumPy triad, 2 passes, 40 B/element moved): {mach['triad_gbs']:.1f} GB/s "
        f"(STREAM convention 24 B/element: {mach['triad_stream_convention_gbs']:.1f} GB/s); "
        f"{mach['triad_all_gbs']:.1f} GB/s with {mach['cores']} threads",
        f"PCG64: uniform {mach['uniform_per_s']:.3g}/s, int32 {mach['int32_per_s']:.3g}/s, "
        f"Poisson(0.5) {mach['poisson05_per_s']:.3g}/s, Poisson(0.05) {mach['poisson005_per_s']:.3g}/s",
    ]


def breakdown(graph, repeat: int = 5, seed: int = 1) -> dict:
    """CPU ns per citizen of each phase of the reference step as it was before the superposition
    sampler and the threaded friends' sum (the table of BENCHMARKS.md section 2), best of ``repeat``.

    The phases repeat that step's calls one at a time on a simulation that has run 3 ticks; the
    "prototype" phases are the ones the current step uses instead (events by superposition,
    bands by counting). Returns ``(phases, prototype_phases)``.
    """
    import scsim
    from scsim.rng import blocks, stream
    from scsim.scoring import tier_of
    from scsim.sources import poisson

    sim = scsim.Simulation(scsim.load_scenario("reference", population=graph.n, ticks=3, seed=seed), graph=graph)
    for _ in range(3):
        sim.step()
    p, n, L, prev = sim.p, sim.n, sim.ledger.copy(), sim.score
    bl = list(blocks(n))

    def decay():
        L.__imul__(np.float32(p["decay"]))

    def on_time():
        for b, lo, hi in bl:
            rng = stream(seed, 9, "finance", b)
            L[0, lo:hi] += sim.points[0] * rng.poisson(p["on_time_rate"], hi - lo)

    def sparse():
        for b, lo, hi in bl:
            rng = stream(seed, 9, "finance", b)
            m = hi - lo
            late_pts = sim.points[1] * np.where(prev[lo:hi] < p["late_double_below"], 2, 1).astype(np.float32)
            L[1, lo:hi] += late_pts * poisson(rng, np.full(m, p["late_rate"]))
            L[2, lo:hi] += sim.points[2] * poisson(rng, np.full(m, p["traffic_rate"]))
            L[3, lo:hi] += sim.points[3] * poisson(rng, p["critical_rate"] * sim.dissent[lo:hi])

    own = (L.sum(axis=0) + np.float32(p["start"]))
    m = (sim.adj @ prev) * sim.inv_deg

    def own_sum():
        o = L.sum(axis=0)
        o += np.float32(p["start"])

    def matvec():
        sim.adj @ prev

    def combine():  # the mat-vec itself is timed apart
        mm = np.where(sim.has_friends, m * sim.inv_deg, own)
        a = np.float32(p["alpha"])
        s = (1 - a) * own + a * mm
        np.clip(s, p["min"], p["max"], out=s)

    def record():
        float(prev.mean(dtype=np.float64))
        np.bincount(tier_of(prev, sim.tier_mins), minlength=len(sim.tier_names))

    def proto_events():
        from fast_reference import draw_events
        for b, lo, hi in bl:
            ev = draw_events(stream(seed, 9, "finance", b), hi - lo, p, sim.dissent[lo:hi])
            for k in range(4):
                np.add.at(L[k, lo:hi], ev[k], sim.points[k])

    def proto_record():
        ge = [np.count_nonzero(prev >= v) for v in sim.tier_mins[1:]]
        float(prev.mean(dtype=np.float64))
        return ge

    phases = {"decay ledgers": decay, "on-time events (rng.poisson per citizen)": on_time,
              "late/traffic/critical events (sources.poisson: cumsum+searchsorted)": sparse,
              "own = 600 + sum of ledgers": own_sum, "friends' sum (scipy CSR mat-vec)": matvec,
              "friends' mean, combine, clip": combine, "record mean and bands (tier_of)": record}
    out = {k: best(f, repeat) / n * 1e9 for k, f in phases.items()}
    proto = {"prototype: all four event types by superposition (draw_events + np.add.at)": proto_events,
             "prototype: record mean and bands (count_nonzero per band)": proto_record}
    return out, {k: best(f, repeat) / n * 1e9 for k, f in proto.items()}


def profile(graph, ticks: int) -> str:
    """pyinstrument profile of ``ticks`` reference ticks (pip install pyinstrument)."""
    import scsim
    from pyinstrument import Profiler

    sim = scsim.Simulation(scsim.load_scenario("reference", population=graph.n, ticks=ticks), graph=graph)
    p = Profiler(interval=0.0005)
    p.start()
    for _ in range(ticks):
        sim.step()
    p.stop()
    return p.output_text(unicode=False, color=False)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=1_000_000, help="citizens (default 1,000,000)")
    ap.add_argument("--ticks", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", action="store_true", help="also print a pyinstrument profile")
    ap.add_argument("--numba", action="store_true", help="also time the prototype's numba backend")
    ap.add_argument("--breakdown", action="store_true", help="also time each phase of the reference step")
    a = ap.parse_args(argv)
    print("Citizens are simulated (synthetic); no real person's data is used.")
    print(machine())
    print(load())
    mach = measure_machine()
    print("\n".join(report(mach)))
    g, gs = reference_graph(a.size, a.seed)
    d = 2 * g.n_edges / g.n
    mv, mvk = matvec_ns(g), matvec_ns(g, kernel=True)
    print(f"graph: {g.n:,} citizens, mean degree {d:.2f}, built in {gs:.2f} s; friends' sum alone: SciPy CSR mat-vec "
          f"{mv:.1f} ns per citizen, scsim.kernels.neighbour_sum {mvk:.1f} ns per citizen (CPU of all threads)")
    need = needs(d)
    print(f"a citizen-tick needs {need['bytes']:.0f} B streamed; draws as implemented {need['draws_implemented']}, "
          f"minimal {need['draws_minimal']}")
    rows = [("scsim reference step", reference_tick_ns(g, a.ticks, a.seed))]
    if a.numba:
        rows.append(("prototype step (numba)", reference_tick_ns(g, a.ticks, a.seed, fast=True)))
    b_min, b_impl = bound_ns(d, mach), bound_ns(d, mach, "implemented")
    print(f"one core: bound per citizen-tick {b_min:.1f} ns with the minimal draws, {b_impl:.1f} ns with the implemented draws")
    for name, ns in rows:
        print(f"  {name}: {ns:.1f} ns CPU per citizen-tick, best of {a.ticks} ticks: "
              f"{100 * b_min / ns:.0f}% of the bound ({100 * b_impl / ns:.0f}% of the bound with the implemented draws); "
              f"friends' sum {100 * mvk / ns:.0f}% of it")
    gns = gather_ns(g.n, d)
    m_b, m_g = machine_bound_ns(d, mach), machine_bound_ns(d, mach, gns)
    wall = reference_tick_ns(g, a.ticks, a.seed, wall=True)
    print(f"whole machine ({mach['cores']} cores): bound per citizen-tick {m_b:.1f} ns (bytes at "
          f"{mach['triad_all_gbs']:.1f} GB/s, minimal draws over the cores); with {d:.0f} random gathers at "
          f"{gns:.2f} ns each, {m_g:.1f} ns")
    print(f"  scsim reference step: {wall:.1f} ns wall per citizen-tick ({1e9 / wall:.3g} citizen-ticks/s), best of "
          f"{a.ticks} ticks: {100 * m_b / wall:.0f}% of the machine's bound, {100 * m_g / wall:.0f}% of the bound "
          f"with the gathers")
    if a.breakdown:
        ph, proto = breakdown(g)
        total = sum(ph.values())
        print(f"reference step by phase (CPU ns per citizen, best of 5; sum {total:.1f} ns):")
        for k, v in ph.items():
            print(f"  {k:<78} {v:6.1f} ns  {100 * v / total:4.0f}%")
        for k, v in proto.items():
            print(f"  {k:<78} {v:6.1f} ns")
    print(load())
    if a.profile:
        print(profile(g, a.ticks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
