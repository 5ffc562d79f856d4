"""How close does the reference tick come to this machine's limits?

Citizens are simulated: nothing here describes a real person.

Measures, single-threaded, best of several repetitions:

* memory bandwidth: the NumPy triad ``a = b + s*c`` on float64 arrays of 2**25 elements (256 MiB
  each, far beyond any cache) done as NumPy does it, ``multiply(c, s, out=a); add(a, b, out=a)``:
  five array passes, 40 bytes per element actually moved (the STREAM convention, 24 bytes per
  element, is printed too);
* random numbers: every number scsim draws is ``Philox4x32-10(counter, key)`` of its stream
  (``scsim.engine.streams.Stream``; Salmon et al., SC 2011): the key hashes the run's seed and the
  stream's name, the 128-bit counter is (citizen id, sub-draw, tick, slot), and one call gives four
  32-bit words, i.e. two uniform doubles. Measured per citizen (one id each, compiled kernels in
  one thread): ``Stream.uniform`` (one Philox call, one uniform), ``Stream.uniform2`` (one Philox
  call, two uniforms), ``Stream.poisson`` at rates 0.5 and 0.05 (the first uniform decides "no
  event" against ``exp(-lam)``; citizens with events are inverted from it). NumPy's PCG64 rates
  (uniform, bounded int32, Poisson(0.5), Poisson(0.05), not per citizen) are printed for comparison;

and derives what one reference citizen-tick (src/scsim/mechanisms/reference.py,
``Reference.step``) needs, at mean degree d (stored CSR entries per citizen):

* bytes that must stream from memory: four float32 ledgers read and written (32 B), previous
  score read and new score written (8 B), dissent read (4 B), CSR ``indptr`` (4 B) and ``indices``
  (4d B): ``48 + 4d`` bytes (the gathered friends' scores, 4 MiB at 1M citizens, stay in cache);
* random numbers, two counts (per citizen, as the counter-based streams require: a citizen's
  events depend only on (seed, stream, tick, slot, citizen id), never on a block of others):
  - *as implemented*: four ``Stream.poisson`` draws per citizen (on-time payment at 0.5; late
    payment 0.05, traffic 0.02, critical 0.1 c_i, timed at 0.05), one Philox call each;
  - *minimal*: two Philox calls per citizen (four uniforms, one per event type, each count
    inverted from its uniform).

The bound is ``bytes / bandwidth + draws / draw rate`` (one core does both in sequence). What
it leaves out is the latency of the ``d`` random reads of friends' scores (neighbour ids on the
DCSBM graph are spread over the whole population: mean |i - j| is a third of N); the time of the
friends' sum alone (SciPy's CSR mat-vec and scsim's compiled ``neighbour_sum``, best of 5) is
printed beside it to show that share.

All times are CPU times of this process, best of several repetitions; step times are the best tick
of ``--ticks`` (every tick does the same work; the best one is the least disturbed by other
processes on a shared machine). ``scsim.prepare_process`` (heap reuse, compiled kernels, threads)
is called before anything is timed.

The step uses every core (the friends' sum and the random streams are threaded kernels), so the
script also reports its **wall** time against the **machine's** bound: the triad run in one
thread per core on slices of the arrays (aggregate bandwidth) and the draw rates times the cores.
A third bound adds what the first two leave out, the friends' scores gathered at random: ``d``
gathers per citizen at the measured rate of a compiled gather-and-sum over a float32 vector of the
graph's size (all cores). ``--breakdown`` times each phase of the step (decay, the four Poisson
draws, adding the events, own score, friends' mean, combine and clip, measure).

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


def one_thread():
    """A context in which scsim's compiled kernels run in one thread (the previous count is put back)."""
    from contextlib import contextmanager

    @contextmanager
    def ctx():
        import numba

        k = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            yield
        finally:
            numba.set_num_threads(k)

    return ctx()


def rng_rates(m: int = 1 << 22, repeat: int = 5) -> dict:
    """Draws per second on one core: scsim's per-citizen Philox streams (``Stream.uniform``,
    ``Stream.uniform2`` (ids per second: one Philox call each), ``Stream.poisson`` at 0.5 and
    0.05), and NumPy's PCG64 for comparison (uniform, bounded int32, Poisson).

    >>> r = rng_rates(1 << 10, 1)
    >>> sorted(k for k in r if k.startswith("stream_"))
    ['stream_poisson005_per_s', 'stream_poisson05_per_s', 'stream_uniform2_per_s', 'stream_uniform_per_s']
    """
    from scsim.engine.process import warm_up
    from scsim.engine.streams import Stream

    warm_up()
    s = Stream("limits", 12345)
    lam05, lam005 = np.full(m, ON_TIME, np.float32), np.full(m, LATE, np.float32)
    rng = np.random.Generator(np.random.PCG64(12345))
    with one_thread():
        out = {
            "stream_uniform_per_s": m / best(lambda: s.uniform(1, "u", n=m), repeat),
            "stream_uniform2_per_s": m / best(lambda: s.uniform2(1, "u2", n=m), repeat),
            "stream_poisson05_per_s": m / best(lambda: s.poisson(lam05, 1, "p05"), repeat),
            "stream_poisson005_per_s": m / best(lambda: s.poisson(lam005, 1, "p005"), repeat),
        }
    out.update({
        "uniform_per_s": m / best(lambda: rng.random(m), repeat),
        "int32_per_s": m / best(lambda: rng.integers(0, 65536, m, dtype=np.int32), repeat),
        "poisson05_per_s": m / best(lambda: rng.poisson(0.5, m), repeat),
        "poisson005_per_s": m / best(lambda: rng.poisson(0.05, m), repeat),
    })
    return out


def matvec_ns(graph, repeat: int = 5, kernel: bool = False) -> float:
    """Nanoseconds per citizen of the friends' sum ``adj @ score`` (float32): SciPy's CSR
    mat-vec, or (``kernel``) scsim's threaded ``scsim.graph.kernels.neighbour_sum`` that the step
    uses (through ``sim.exchange.friends_mean``).

    CPU time of this process: with the kernel's threads it adds up the time of every core.
    """
    adj = graph.to_scipy()
    x = np.full(graph.n, 600.0, np.float32)
    if kernel:
        from scsim.graph.kernels import neighbour_sum

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
    one core, and (``triad_all_gbs``, ``cores``) all cores.

    >>> m = measure_machine(quick=True)
    >>> m["triad_gbs"] > 0 and m["stream_poisson05_per_s"] > 0 and m["cores"] >= 1
    True
    """
    r = triad(1 << 20 if quick else 1 << 25, 2 if quick else 5)
    r.update(rng_rates(1 << 16 if quick else 1 << 22, 2 if quick else 5))
    r["cores"] = cores()
    r["triad_all_gbs"] = triad_all(1 << 20 if quick else 1 << 25, 2 if quick else 5)
    return r


def needs(degree: float) -> dict:
    """Bytes and draws one reference citizen-tick needs at mean degree ``degree`` (see module doc).

    >>> needs(20)["bytes"], needs(20)["draws_implemented"], needs(20)["draws_minimal"]
    (128, {'stream_poisson05': 1.0, 'stream_poisson005': 3.0}, {'stream_uniform2': 2.0})
    """
    return {
        "bytes": 48 + 4 * degree,
        "bytes_without_indices": 48,
        "draws_implemented": {"stream_poisson05": 1.0, "stream_poisson005": 3.0},
        "draws_minimal": {"stream_uniform2": 2.0},
    }


def _draw_ns(need: dict, mach: dict, draws: str) -> float:
    rate = {"stream_poisson05": mach.get("stream_poisson05_per_s"), "stream_poisson005": mach.get("stream_poisson005_per_s"),
            "stream_uniform2": mach.get("stream_uniform2_per_s")}
    return sum(k / rate[name] for name, k in need[f"draws_{draws}"].items()) * 1e9


def bound_ns(degree: float, mach: dict, draws: str = "minimal") -> float:
    """Lower bound on the time of one reference citizen-tick, in ns (``draws``: "minimal" or "implemented").

    >>> m = {"triad_gbs": 20.0, "stream_uniform2_per_s": 2e8, "stream_poisson05_per_s": 5e7,
    ...      "stream_poisson005_per_s": 1e8}
    >>> round(bound_ns(20, m), 2)   # 128 B at 20 GB/s + 2 Philox calls at 5 ns
    16.4
    >>> round(bound_ns(20, m, "implemented"), 2)   # 128 B + a Poisson(0.5) at 20 ns + 3 small ones at 10 ns
    56.4
    """
    need = needs(degree)
    return need["bytes"] / mach["triad_gbs"] + _draw_ns(need, mach, draws)


def machine_bound_ns(degree: float, mach: dict, gather: float = 0.0) -> float:
    """The bound of :func:`bound_ns` (minimal draws) for the whole machine: the bytes at the
    all-core bandwidth, the draws spread over every core; plus ``degree`` gathers of ``gather``
    ns each (0: left out, as in :func:`bound_ns`).

    >>> m = {"triad_all_gbs": 40.0, "cores": 2, "stream_uniform2_per_s": 2e8}
    >>> round(machine_bound_ns(20, m), 2)   # 128 B at 40 GB/s + 2 Philox calls at 5 ns over 2 cores
    8.2
    >>> round(machine_bound_ns(20, m, gather=0.3), 2)   # + 20 gathers at 0.3 ns
    14.2
    """
    need = needs(degree)
    return need["bytes"] / mach["triad_all_gbs"] + _draw_ns(need, mach, "minimal") / mach["cores"] + degree * gather


def _simulation(graph, ticks: int, seed: int = 1):
    import scsim

    sc = scsim.load_scenario("reference", population=graph.n, ticks=ticks, seed=seed)
    scsim.prepare_process(sc)
    return scsim.Simulation(sc, graph=graph)


def reference_tick_ns(graph, ticks: int, seed: int = 1, wall: bool = False) -> float:
    """ns per citizen of the best of ``ticks`` reference ticks (``scsim.Simulation`` of the
    reference scenario on ``graph``): CPU time of the process, or (``wall``) wall time.

    >>> g, _ = reference_graph(2000)
    >>> reference_tick_ns(g, 2) > 0
    True
    """
    sim = _simulation(graph, ticks, seed)
    return (best_wall if wall else best)(sim.step, ticks) / graph.n * 1e9


def report(mach: dict) -> list[str]:
    """Printable lines for the machine limits."""
    return [
        f"memory bandwidth (NumPy triad, 2 passes, 40 B/element moved): {mach['triad_gbs']:.1f} GB/s "
        f"(STREAM convention 24 B/element: {mach['triad_stream_convention_gbs']:.1f} GB/s); "
        f"{mach['triad_all_gbs']:.1f} GB/s with {mach['cores']} threads",
        f"scsim streams (Philox4x32-10 per citizen, one core): uniform {mach['stream_uniform_per_s']:.3g}/s, "
        f"two uniforms (one Philox call) {mach['stream_uniform2_per_s']:.3g}/s, "
        f"Poisson(0.5) {mach['stream_poisson05_per_s']:.3g}/s, Poisson(0.05) {mach['stream_poisson005_per_s']:.3g}/s",
        f"NumPy PCG64 for comparison (one core): uniform {mach['uniform_per_s']:.3g}/s, int32 {mach['int32_per_s']:.3g}/s, "
        f"Poisson(0.5) {mach['poisson05_per_s']:.3g}/s, Poisson(0.05) {mach['poisson005_per_s']:.3g}/s",
    ]


def breakdown(graph, repeat: int = 5, seed: int = 1) -> dict:
    """CPU ns per citizen of each phase of the reference step (``Reference.step`` and
    ``Reference.measure``, src/scsim/mechanisms/reference.py), best of ``repeat``, with the whole
    step beside them (``"whole step (sim.step)"``).

    The phases repeat the step's calls one at a time on a simulation that has run 3 ticks, with
    the module's own stream (tick 4): decay the ledgers; the four per-citizen Poisson draws
    (``Stream.poisson``); add their points to the ledgers (late payments doubled below 550); own
    score; the friends' mean (``sim.exchange.friends_mean``, the threaded friends' sum); combine
    and clip; measure (mean score and band shares). CPU time adds up every thread's.

    >>> g, _ = reference_graph(2000)
    >>> ph = breakdown(g, 1)
    >>> len(ph), all(v >= 0 for v in ph.values())
    (11, True)
    """
    sim = _simulation(graph, 3, seed)
    for _ in range(3):
        sim.step()
    ref = sim.reference
    p, n, r = ref.p, sim.n, ref.rng
    L, prev = ref.ledger.copy(), ref.score
    t = 4
    lams = {"on_time": np.full(n, p.on_time_rate, np.float32), "late": np.full(n, p.late_rate, np.float32),
            "traffic": np.full(n, p.traffic_rate, np.float32)}
    counts = {ev: r.poisson(lam, t, ev) for ev, lam in lams.items()}
    counts["critical"] = r.poisson(np.float32(p.critical_rate) * ref.dissent, t, "critical")
    own = L.sum(axis=0) + np.float32(p.start)
    m = sim.exchange.friends_mean(prev, own)

    def decay():
        L.__imul__(np.float32(p.decay))

    def draw(ev):
        if ev == "critical":
            return lambda: r.poisson(np.float32(p.critical_rate) * ref.dissent, t, "critical")
        return lambda: r.poisson(np.full(n, getattr(p, f"{ev}_rate"), np.float32), t, ev)

    def add():
        for k, ev in enumerate(("on_time", "late", "traffic", "critical")):
            c = counts[ev]
            nz = np.flatnonzero(c)
            pts = ref.points[k]
            if ev == "late":
                pts = np.where(prev[nz] < p.late_double_below, 2 * pts, pts).astype(np.float32)
            L[k, nz] += pts * c[nz]

    def own_sum():
        o = L.sum(axis=0)
        o += np.float32(p.start)

    def combine():
        a = np.float32(p.alpha)
        s = (1 - a) * own + a * m
        np.clip(s, p.min, p.max, out=s)
        s.astype(np.float32, copy=False)

    phases = {"decay ledgers": decay,
              "on-time events: Stream.poisson(0.5) per citizen": draw("on_time"),
              "late payments: Stream.poisson(0.05) per citizen": draw("late"),
              "traffic violations: Stream.poisson(0.02) per citizen": draw("traffic"),
              "critical posts: Stream.poisson(0.1 c_i) per citizen": draw("critical"),
              "add the events' points to the ledgers": add,
              "own = 600 + sum of ledgers": own_sum,
              "friends' mean (exchange.friends_mean: threaded friends' sum)": lambda: sim.exchange.friends_mean(prev, own),
              "combine 0.9 own + 0.1 friends, clip": combine,
              "measure (mean score, band shares)": lambda: ref.measure(sim, t)}
    out = {k: best(f, repeat) / n * 1e9 for k, f in phases.items()}
    out["whole step (sim.step)"] = best(sim.step, repeat) / n * 1e9
    return out


def profile(graph, ticks: int) -> str:
    """pyinstrument profile of ``ticks`` reference ticks (pip install pyinstrument)."""
    from pyinstrument import Profiler

    sim = _simulation(graph, ticks)
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
    ap.add_argument("--breakdown", action="store_true", help="also time each phase of the reference step")
    a = ap.parse_args(argv)
    import scsim

    print("Citizens are simulated (synthetic); no real person's data is used.")
    print(machine())
    print(load())
    scsim.prepare_process(scsim.load_scenario("reference", population=a.size, ticks=a.ticks, seed=a.seed))
    mach = measure_machine()
    print("\n".join(report(mach)))
    g, gs = reference_graph(a.size, a.seed)
    d = 2 * g.n_edges / g.n
    mv, mvk = matvec_ns(g), matvec_ns(g, kernel=True)
    print(f"graph: {g.n:,} citizens, mean degree {d:.2f}, built in {gs:.2f} s; friends' sum alone: SciPy CSR mat-vec "
          f"{mv:.1f} ns per citizen, scsim.graph.kernels.neighbour_sum {mvk:.1f} ns per citizen (CPU of all threads)")
    need = needs(d)
    print(f"a citizen-tick needs {need['bytes']:.0f} B streamed; draws as implemented {need['draws_implemented']}, "
          f"minimal {need['draws_minimal']}")
    ns = reference_tick_ns(g, a.ticks, a.seed)
    b_min, b_impl = bound_ns(d, mach), bound_ns(d, mach, "implemented")
    print(f"one core: bound per citizen-tick {b_min:.1f} ns with the minimal draws, {b_impl:.1f} ns with the implemented draws")
    print(f"  scsim reference step: {ns:.1f} ns CPU per citizen-tick, best of {a.ticks} ticks: "
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
        ph = breakdown(g)
        whole = ph.pop("whole step (sim.step)")
        total = sum(ph.values())
        print(f"reference step by phase (CPU ns per citizen, best of 5; sum {total:.1f} ns, whole step {whole:.1f} ns):")
        for k, v in ph.items():
            print(f"  {k:<64} {v:6.1f} ns  {100 * v / total:4.0f}%")
    print(load())
    if a.profile:
        print(profile(g, a.ticks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
