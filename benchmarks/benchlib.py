"""Shared helpers of the benchmark scripts: machine facts, graphs, and the agreement criterion.

Citizens are simulated: nothing here describes a real person.
"""
from __future__ import annotations

import math
import os
import platform
import resource
import subprocess
import time
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

# The friends' term correlates citizens' scores, so the statistics vary more between runs than
# independent citizens would make them. Measured with benchmarks/design_effect.py (scsim, one graph,
# many seeds):
# - mean score: across-seed SD 0.88 to 1.24 x sd/sqrt(N) (10,000 citizens, 20 ticks, 60 seeds;
#   the estimate has ~10% sampling error); we allow 1.5.
# - band shares: up to 1.69 x the binomial SE (10,000 citizens, 60 seeds; 1.58 at 2,000 citizens,
#   40 seeds), at tick 2, when about half the citizens sit within 0.1 point of the 600 band
#   boundary and which side they fall on depends on the friends' mean, shared by many; we allow 2.5.
DESIGN_EFFECT = 1.5
DESIGN_EFFECT_SHARES = 2.5
# Family-wise false-alarm rate of the agreement test: if two implementations of the model are
# correct, "disagree" is printed in at most 1% of comparisons (Bonferroni over ticks and bands).
ALPHA = 0.01


def load() -> str:
    """The load averages (1, 5, 15 min) as printed by uptime."""
    a, b, c = os.getloadavg()
    return f"load average {a:.2f}, {b:.2f}, {c:.2f} ({os.cpu_count()} CPUs)"


def machine() -> dict:
    """CPU model, cores, memory, and library versions of this machine."""
    model = platform.processor() or "unknown"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=5).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):  # pragma: no cover
        pass
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover
        pass
    import scipy
    return {"cpu": model, "cores": os.cpu_count(), "memory_gib": round(mem / 2**30, 1),
            "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__}


def best_of(f, repeat: int = 5, clock=time.perf_counter) -> float:
    """Smallest time of ``repeat`` calls of ``f`` by ``clock`` (seconds): wall time by default,
    ``time.process_time`` for the CPU time of this process.

    >>> best_of(lambda: None, 3) >= 0
    True
    """
    b = float("inf")
    for _ in range(repeat):
        t = clock()
        f()
        b = min(b, clock() - t)
    return b


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (Linux ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scenario_graph(sc, people_module=None):
    """Exactly the social graph a run of scenario ``sc`` builds (its ``graph`` module's stream),
    without a simulation: the citizens drawn on their own (``people_module``: the scenario's
    people module class, ``Demography`` for the reference model, ``People`` for the national one;
    by default chosen from ``sc.model``), then the scenario's generator.

    >>> import scsim
    >>> sc = scsim.load_scenario("reference", population=400, ticks=1, seed=2)
    >>> g = scenario_graph(sc)
    >>> sim = scsim.Simulation(sc)
    >>> bool((g.indptr == sim.exchange.graph.indptr).all() and (g.indices == sim.exchange.graph.indices).all())
    True
    """
    from scsim.engine.streams import Stream
    from scsim.mechanisms.network import generate
    from scsim.mechanisms.people import Demography, People

    if people_module is None:
        people_module = Demography if sc.model == "reference" else People
    n = sc.population
    people = people_module(sc.people).standalone(n, sc.seed)
    return generate(sc.graph, people, n, Stream("graph", sc.seed).generator(0, "graph"))


def reference_graph(n: int, seed: int = 1, mean_degree: float | None = None):
    """The reference scenario's graph (scsim's DCSBM generator) for ``n`` citizens: the graph a
    run of ``load_scenario("reference", population=n, seed=seed)`` builds (:func:`scenario_graph`).

    Returns ``(graph, seconds)``.

    >>> g, s = reference_graph(500)
    >>> g.n
    500
    """
    import scsim

    sc = scsim.load_scenario("reference", population=n, seed=seed)
    if mean_degree is not None:
        sc = sc.model_copy(update={"graph": sc.graph.model_copy(update={"mean_degree": mean_degree})})
    t0 = time.perf_counter()
    g = scenario_graph(sc)
    return g, time.perf_counter() - t0


@dataclass
class Trace:
    """Per-tick statistics of one run: mean and SD of the scores, the band shares."""

    n: int
    mean: list[float] = field(default_factory=list)
    sd: list[float] = field(default_factory=list)
    shares: list[list[float]] = field(default_factory=list)

    def add(self, scores, shares) -> None:
        s = np.asarray(scores, dtype=np.float64)
        self.mean.append(float(s.mean()))
        self.sd.append(float(s.std()))
        self.shares.append([float(x) for x in shares])


def z_threshold(tests: int, alpha: float = ALPHA) -> float:
    """Two-sided normal threshold with a Bonferroni correction over ``tests`` tests."""
    return NormalDist().inv_cdf(1 - alpha / (2 * max(tests, 1)))


def agreement(a: Trace, b: Trace, deff: float = DESIGN_EFFECT, deff_shares: float = DESIGN_EFFECT_SHARES,
              alpha: float = ALPHA) -> dict:
    """Do two runs of the reference model agree within sampling error?

    Criterion (stated in BENCHMARKS.md): at every tick t compared (the ticks both ran),

    * mean score: ``z = gap / (deff * sqrt(sd_a^2/N_a + sd_b^2/N_b))``;
    * each band share with a non-zero pooled share p:
      ``z = gap / (deff_shares * sqrt(p(1-p)(1/N_a + 1/N_b)))``;

    they agree when every ``|z|`` is at most the Bonferroni threshold for the number of tests at
    family-wise level ``alpha`` (two-sided). A real difference between the models of a few standard
    errors makes the comparison void.

    >>> a, b = Trace(10_000), Trace(10_000)
    >>> a.add(np.full(10_000, 600.0) + np.arange(10_000) % 7, [1.0]); b.add(np.full(10_000, 600.1) + np.arange(10_000) % 7, [1.0])
    >>> agreement(a, b)["agree"]
    True
    """
    t = min(len(a.mean), len(b.mean))
    if t == 0:
        return {"ticks": 0, "agree": False, "max_gap": math.nan, "max_z": math.nan, "z_star": math.nan,
                "max_share_gap": math.nan, "max_share_z": math.nan}
    ma, mb = np.array(a.mean[:t]), np.array(b.mean[:t])
    se = deff * np.sqrt(np.array(a.sd[:t]) ** 2 / a.n + np.array(b.sd[:t]) ** 2 / b.n)
    gap = np.abs(ma - mb)
    z = gap / np.maximum(se, 1e-12)
    sa, sb = np.array(a.shares[:t]), np.array(b.shares[:t])
    p = (sa * a.n + sb * b.n) / (a.n + b.n)
    sgap = np.abs(sa - sb)
    live = p > 0
    sse = deff_shares * np.sqrt(p * (1 - p) * (1 / a.n + 1 / b.n))
    sz = np.where(live, sgap / np.maximum(sse, 1e-12), 0.0)
    tests = t + int(live.sum())
    zs = z_threshold(tests, alpha)
    k = int(np.argmax(gap))
    return {"ticks": t, "max_gap": float(gap.max()), "max_gap_tick": k + 1, "max_z": float(z.max()),
            "max_share_gap": float(sgap.max()), "max_share_z": float(sz.max()), "z_star": zs,
            "agree": bool(z.max() <= zs and sz.max() <= zs)}


def pool(traces: list[Trace]) -> Trace:
    """Several runs of the same size as one run of all their citizens together (exact moments).

    >>> a, b = Trace(2), Trace(2)
    >>> a.add([1.0, 3.0], [0.5]); b.add([5.0, 7.0], [1.0])
    >>> p = pool([a, b]); p.n, p.mean, p.sd, p.shares
    (4, [4.0], [2.23606797749979], [[0.75]])
    """
    n = traces[0].n
    if any(t.n != n for t in traces):
        raise ValueError("pool: every run must have the same number of citizens")
    ticks = min(len(t.mean) for t in traces)
    m = np.array([t.mean[:ticks] for t in traces])
    sd = np.array([t.sd[:ticks] for t in traces])
    grand = m.mean(axis=0)
    var = (sd ** 2 + m ** 2).mean(axis=0) - grand ** 2
    shares = np.array([t.shares[:ticks] for t in traces]).mean(axis=0)
    return Trace(n * len(traces), grand.tolist(), np.sqrt(np.maximum(var, 0)).tolist(), shares.tolist())
