"""The benchmark reference model (MODEL.md section 12), for side-by-side speed comparisons.

A reduced model any framework can run:

* N citizens on a given undirected graph; dissent ``c_i ~ U(0,1)``; all scores start at 600.
* Four events per tick, ``n_k ~ Poisson(lam_k)``: on-time payment (0.5, +2), late payment (0.05,
  -10, doubled while the score is below 550), traffic violation (0.02, -5), flagged critical post
  (0.1 c_i, -15).
* ``L_k <- 0.98 L_k + points_k n_k``; ``own = 600 + sum_k L_k``.
* ``s_i <- clip(0.9 own_i + 0.1 mean of friends' previous scores, 350, 950)`` (own without
  friends); everyone updates from the previous tick's scores.
* Recorded per tick: the mean score and the share in each Sesame band.

The figures come from the scenario's ``[reference]`` table (``scenarios/reference.toml``).
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from . import population
from .graph import Graph
from .model import BlockPool, build_graph, check_memory, prepare_process
from .rng import blocks, stream
from .scenario import Scenario
from .scoring import tier_of

EVENTS = ("on_time", "late", "traffic", "critical")


class ReferenceSimulation(BlockPool):
    """The reference model with the same interface as :class:`scsim.Simulation`.

    >>> import scsim
    >>> sim = ReferenceSimulation(scsim.load_scenario("reference", population=2000, ticks=3))
    >>> r = sim.run(); len(r.ticks)
    3
    """

    def __init__(self, scenario: Scenario, graph: Graph | None = None):
        t0 = time.perf_counter()
        sc = scenario
        if graph is not None and graph.n != sc.population:
            sc = sc.model_copy(update={"population": graph.n})
        check_memory(sc)
        prepare_process(sc)
        self.scenario = sc
        self.p = p = sc.reference
        self.n = n = sc.population
        self.seed = sc.seed
        self.tick = 0
        if graph is None:
            pop = population.generate(n, sc.population_params, sc.seed)
            graph = build_graph(sc, pop)
        self.graph = graph
        self.adj = graph.to_scipy()
        self.deg = graph.degree.astype(np.float32)
        self.has_friends = self.deg > 0
        self.isolated = np.flatnonzero(~self.has_friends)
        self.inv_deg = np.where(self.has_friends, 1.0 / np.maximum(self.deg, 1), 0).astype(np.float32)
        self.dissent = np.concatenate([stream(sc.seed, 0, "population", b).random(hi - lo).astype(np.float32)
                                       for b, lo, hi in blocks(n)]) if n else np.zeros(0, np.float32)
        self.ledger = np.zeros((4, n), np.float32)
        self.score = np.full(n, p["start"], np.float32)
        self.tier_names = sc.tier_names
        self.tier_mins = np.array([t.min for t in sc.tiers], np.float32)
        self.points = np.array([p["on_time_points"], p["late_points"], p["traffic_points"], p["critical_points"]], np.float32)
        self.rows: list[dict] = []
        self.build_s = time.perf_counter() - t0
        self.ticks_s = 0.0

    def step(self) -> None:
        """One tick. Events are drawn by superposition: each event type's block total is
        ``Poisson(sum of rates)``, spread uniformly over the block's citizens (critical posts:
        candidates at the top rate, kept with probability ``c_i``) — the same distribution as one
        Poisson draw per citizen, for about one integer draw per event."""
        t0 = time.perf_counter()
        p = self.p
        t = self.tick + 1
        prev = self.score
        # blocks of citizens in parallel threads; each has its own random stream and ledger slice
        own = np.empty(self.n, np.float32)
        self._map(lambda job: self._block(t, prev, own, *job), list(blocks(self.n)))
        from .kernels import neighbour_sum

        m = neighbour_sum(self.adj.indptr, self.adj.indices, prev)  # adj @ prev, in threads
        m *= self.inv_deg
        m[self.isolated] = own[self.isolated]  # own alone where no friends
        a = np.float32(p["alpha"])
        own *= 1 - a
        m *= a
        s = np.add(own, m, out=own)
        np.clip(s, p["min"], p["max"], out=s)
        self.score = s
        self.tick = t
        # band shares by counting scores at or above each band's lower bound
        ge = np.array([np.count_nonzero(s >= v) for v in self.tier_mins[1:]] + [0])
        shares = np.concatenate([[self.n - ge[0]], ge[:-1] - ge[1:]]) / self.n
        row = {"tick": t, "mean_score": float(s.mean(dtype=np.float64))}
        row.update({f"share_{k}": float(v) for k, v in zip(self.tier_names, shares)})
        self.rows.append(row)
        self.ticks_s += time.perf_counter() - t0

    def _block(self, t: int, prev: np.ndarray, own: np.ndarray, b: int, lo: int, hi: int) -> None:
        """Decay, draw and post block ``b``'s events (citizens ``lo:hi``); its own scores."""
        p = self.p
        pts = self.points
        L = self.ledger[:, lo:hi]
        L *= np.float32(p["decay"])
        rng = stream(self.seed, t, "finance", b)
        m = hi - lo
        on_time, late, traffic = (rng.integers(0, m, rng.poisson(p[k] * m), dtype=np.int32)
                                  for k in ("on_time_rate", "late_rate", "traffic_rate"))
        cand = rng.integers(0, m, rng.poisson(p["critical_rate"] * m), dtype=np.int32)
        critical = cand[rng.random(cand.size, dtype=np.float32) < self.dissent[lo:hi][cand]]
        np.add.at(L[0], on_time, pts[0])
        np.add.at(L[1], late, np.where(prev[lo + late] < p["late_double_below"], 2 * pts[1], pts[1]))
        np.add.at(L[2], traffic, pts[2])
        np.add.at(L[3], critical, pts[3])
        o = own[lo:hi]
        np.sum(L, axis=0, out=o)
        o += np.float32(p["start"])

    def run(self, progress=None, checkpoint_dir=None):
        from .results import Result
        from . import __version__

        while self.tick < self.scenario.ticks:
            self.step()
            if progress is not None:
                progress(self.tick, self.scenario.ticks)
        sc = self.scenario
        citizens = pd.DataFrame({"id": np.arange(self.n), "dissent": self.dissent, "degree": self.graph.degree,
                                 "score": self.score,
                                 "tier": np.asarray(self.tier_names, dtype=object)[tier_of(self.score, self.tier_mins)]})
        last = self.rows[-1] if self.rows else {}
        manifest = {"scenario_name": sc.name, "population": self.n, "edges": int(self.graph.n_edges),
                    "ticks": self.tick, "seed": sc.seed, "scsim_version": __version__,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "tier_names": self.tier_names, "rules": list(EVENTS),
                    "timings": {"build_s": round(self.build_s, 4), "ticks_s": round(self.ticks_s, 4)},
                    "summary": {k: v for k, v in last.items() if k != "tick"}, "scenario": sc.resolved()}
        return Result(ticks=pd.DataFrame(self.rows), citizens=citizens,
                      panel=pd.DataFrame({"tick": [], "id": [], "score": []}), manifest=manifest,
                      arrays={"score": self.score, "indptr": self.graph.indptr, "indices": self.graph.indices})
