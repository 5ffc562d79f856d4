"""The benchmark reference model (MODEL.md section 12), for side-by-side speed comparisons.

A reduced model any framework can run:

* N citizens on a given undirected graph; dissent ``c_i ~ U(0,1)``, i.i.d. (the reference
  stream's own slot); all scores start at 600.
* Four events per tick, ``n_k ~ Poisson(lam_k)``: on-time payment (0.5, +2), late payment (0.05,
  -10, doubled while the score is below 550), traffic violation (0.02, -5), flagged critical post
  (0.1 c_i, -15).
* ``L_k <- 0.98 L_k + points_k n_k``; ``own = 600 + sum_k L_k``.
* ``s_i <- clip(0.9 own_i + 0.1 mean of friends' previous scores, 350, 950)`` (own without
  friends); everyone updates from the previous tick's scores.
* Recorded per tick: the mean score and the share in each Sesame band.

The figures come from the scenario's ``[reference]`` table (``scenarios/reference.toml``). Each
count is a per-citizen Poisson draw of the ``reference`` stream (the counters of
:mod:`scsim.engine.streams`: citizen id, tick and slot; one Philox call gives the uniforms of
on-time and late payments, slot ``payments``, another those of traffic violations and critical
posts, slot ``violations``), inverted in one compiled pass that also decays the ledgers and sums
the own score; the friends' mean goes through the exchange.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..engine.config import MAX_FACTOR, MAX_RATE, MAX_SCALE, Config, Field, model_validator
from ..engine.module import Module
from ..engine.streams import PARALLEL_FROM, _two
from .sanctions import TierConfig, check_tiers, tier_index

EVENTS = ("on_time", "late", "traffic", "critical")


class ReferenceConfig(Config):
    """The reference model's figures (MODEL.md section 12)."""

    start: float = Field(ge=-MAX_SCALE, le=MAX_SCALE)
    decay: float = Field(gt=0, le=1)
    alpha: float = Field(ge=0, lt=1)
    min: float = Field(ge=-MAX_SCALE, le=MAX_SCALE)
    max: float = Field(ge=-MAX_SCALE, le=MAX_SCALE)
    on_time_rate: float = Field(ge=0, le=MAX_RATE)
    on_time_points: float = Field(ge=-MAX_SCALE, le=MAX_SCALE)
    late_rate: float = Field(ge=0, le=MAX_RATE)
    late_points: float = Field(ge=-MAX_SCALE, le=MAX_SCALE)
    late_double_below: float = Field(ge=-MAX_SCALE, le=MAX_SCALE, description="late payments count late_factor times while the score is below this")
    late_factor: float = Field(ge=0, le=MAX_FACTOR, description="how many times a late payment counts below late_double_below")
    traffic_rate: float = Field(ge=0, le=MAX_RATE)
    traffic_points: float = Field(ge=-MAX_SCALE, le=MAX_SCALE)
    critical_rate: float = Field(ge=0, le=MAX_RATE, description="times dissent c_i ~ U(0, 1)")
    critical_points: float = Field(ge=-MAX_SCALE, le=MAX_SCALE)

    @model_validator(mode="after")
    def _check(self):
        if self.max <= self.min:
            raise ValueError("max must be greater than min")
        return self


class ReferenceModuleConfig(Config):
    reference: ReferenceConfig
    tiers: list[TierConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self):
        check_tiers(self.tiers)
        return self


def _uniforms(tick, slot_a, slot_b, k0, k1, u):  # pragma: no cover - compiled
    """Four uniforms per citizen from two Philox calls (a branch-free pass that vectorises):
    on-time and late payments from slot ``payments``, traffic and critical posts from slot
    ``violations``."""
    for i in prange(u.shape[1]):
        u[0, i], u[1, i] = _two(i, 0, tick, slot_a, k0, k1)
        u[2, i], u[3, i] = _two(i, 0, tick, slot_b, k0, k1)


def _events(L, decay, points, lam, p0, crit_lam, crit_p0, prev, late_below, late_factor, u, own, start):  # pragma: no cover - compiled
    """Decay the four ledgers, turn each uniform into a Poisson count by inversion (N = max{k :
    u < P(N >= k)}, the sampler of :meth:`Stream.poisson`; every rate here is far below 40),
    post the points (late payments count ``late_factor`` times while the previous score is below
    ``late_below``)
    and sum the own score."""
    for i in prange(own.size):
        tot = start
        for k in range(4):
            lk = lam[k] if k < 3 else crit_lam[i]
            pk = p0[k] if k < 3 else crit_p0[i]
            v = L[k, i] * decay
            uk = u[k, i]
            s = 1.0 - pk
            if uk < s:
                c = 1
                q = pk * lk
                while True:
                    s -= q
                    if uk >= s or c >= 60:
                        break
                    c += 1
                    q *= lk / c
                pts = points[k]
                if k == 1 and prev[i] < late_below:
                    pts = pts * late_factor
                v += pts * c
            L[k, i] = v
            tot += v
        own[i] = tot


def _twin(fn):
    import types

    par = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_par")
    par.__qualname__ = fn.__qualname__ + "_par"
    return njit(cache=True)(fn), njit(cache=True, parallel=True)(par)


_uniforms_ser, _uniforms_par = _twin(_uniforms)
_events_ser, _events_par = _twin(_events)


class Reference(Module):
    """The reference model of MODEL.md section 12."""

    name = "reference"
    label = "benchmark reference model"
    Config = ReferenceModuleConfig

    def declare(self) -> None:
        self.p = self.config.reference
        self.tier_names = [t.name for t in self.config.tiers]
        self.tier_mins = np.array([t.min for t in self.config.tiers], np.float32)
        self.stream()
        self.state("dissent", np.float32, label="c_i ~ U(0, 1)")
        self.state("ledger", np.float32, rows=4, label="on-time, late, traffic, critical")
        self.state("score", np.float32, self.p.start)
        self.column("mean_score", "mean score", "score points")
        for name in self.tier_names:
            self.column(f"share_{name}", f"share in band {name}", "share of citizens")

    def init(self, sim) -> None:
        self.dissent[:] = self.rng.uniform(0, "dissent", n=sim.n)
        p = self.p
        self.points = np.array([p.on_time_points, p.late_points, p.traffic_points, p.critical_points], np.float32)
        self.lam = np.array([p.on_time_rate, p.late_rate, p.traffic_rate], np.float64)
        self.p0 = np.exp(-self.lam)
        self._derive()

    def _derive(self) -> None:
        # dissent is fixed: each citizen's rate of critical posts and its P(N = 0), once
        self.crit_lam = self.p.critical_rate * self.dissent.astype(np.float64)
        self.crit_p0 = np.exp(-self.crit_lam)

    def restored(self, sim) -> None:
        self._derive()

    def step(self, sim, t: int) -> None:
        p = self.p
        prev = self.score
        r = self.rng
        n = sim.n
        par = n >= PARALLEL_FROM
        u = np.empty((4, n), np.float64)
        (_uniforms_par if par else _uniforms_ser)(t, r.slot("payments"), r.slot("violations"), r.k0, r.k1, u)
        own = np.empty(n, np.float32)
        (_events_par if par else _events_ser)(self.ledger, np.float32(p.decay), self.points, self.lam, self.p0,
                                              self.crit_lam, self.crit_p0, prev, np.float32(p.late_double_below),
                                              np.float32(p.late_factor), u, own, np.float32(p.start))
        m = sim.exchange.friends_mean(prev, own)
        a = np.float32(p.alpha)
        s = (1 - a) * own + a * m
        np.clip(s, p.min, p.max, out=s)
        self.score = s.astype(np.float32, copy=False)

    def measure(self, sim, t: int) -> dict:
        s = self.score
        n = max(sim.n, 1)
        row = {"mean_score": float(s.mean(dtype=np.float64)) if sim.n else float("nan")}
        # band shares by counting scores at or above each band's lower bound
        ge = [int(np.count_nonzero(s >= v)) for v in self.tier_mins[1:]] + [0]
        counts = [sim.n - ge[0]] + [ge[k] - ge[k + 1] for k in range(len(ge) - 1)]
        row.update({f"share_{k}": c / n for k, c in zip(self.tier_names, counts)})
        return row

    def tier_of(self, score) -> np.ndarray:
        return tier_index(np.asarray(score, np.float32), self.tier_mins)

    def citizen_columns(self, sim) -> dict:
        return {"dissent": self.dissent, "degree": sim.exchange.graph.degree, "score": self.score,
                "tier": np.asarray(self.tier_names, dtype=object)[self.tier_of(self.score)]}

    def final_arrays(self, sim) -> dict:
        g = sim.exchange.graph
        return {"score": self.score, "indptr": g.indptr, "indices": g.indices}
