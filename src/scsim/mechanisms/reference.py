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
count is a per-citizen draw of the ``reference`` stream, like every draw in scsim.
"""
from __future__ import annotations

import numpy as np

from ..engine.config import Config, Field, model_validator
from ..engine.module import Module
from .sanctions import TierConfig, tier_index

EVENTS = ("on_time", "late", "traffic", "critical")


class ReferenceConfig(Config):
    """The reference model's figures (MODEL.md section 12)."""

    start: float
    decay: float = Field(gt=0, le=1)
    alpha: float = Field(ge=0, lt=1)
    min: float
    max: float
    on_time_rate: float = Field(ge=0)
    on_time_points: float
    late_rate: float = Field(ge=0)
    late_points: float
    late_double_below: float
    traffic_rate: float = Field(ge=0)
    traffic_points: float
    critical_rate: float = Field(ge=0, description="times dissent c_i ~ U(0, 1)")
    critical_points: float

    @model_validator(mode="after")
    def _check(self):
        if self.max <= self.min:
            raise ValueError("max must be greater than min")
        return self


class ReferenceModuleConfig(Config):
    reference: ReferenceConfig
    tiers: list[TierConfig] = Field(min_length=1)


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

    def step(self, sim, t: int) -> None:
        p = self.p
        n = sim.n
        prev = self.score
        L = self.ledger
        L *= np.float32(p.decay)
        r = self.rng
        for k, (ev, lam) in enumerate((("on_time", p.on_time_rate), ("late", p.late_rate),
                                       ("traffic", p.traffic_rate))):
            c = r.poisson(np.full(n, lam, np.float32), t, ev)
            nz = np.flatnonzero(c)
            pts = self.points[k]
            if ev == "late":
                pts = np.where(prev[nz] < p.late_double_below, 2 * pts, pts).astype(np.float32)
            L[k, nz] += pts * c[nz]
        c = r.poisson(np.float32(p.critical_rate) * self.dissent, t, "critical")
        nz = np.flatnonzero(c)
        L[3, nz] += self.points[3] * c[nz]
        own = L.sum(axis=0)
        own += np.float32(p.start)
        m = sim.exchange.friends_mean(prev, own)
        a = np.float32(p.alpha)
        s = (1 - a) * own + a * m
        np.clip(s, p.min, p.max, out=s)
        self.score = s.astype(np.float32, copy=False)

    def measure(self, sim, t: int) -> dict:
        s = self.score
        row = {"mean_score": float(s.mean(dtype=np.float64)) if sim.n else float("nan")}
        shares = np.bincount(tier_index(s, self.tier_mins), minlength=len(self.tier_names)) / max(sim.n, 1)
        row.update({f"share_{k}": float(v) for k, v in zip(self.tier_names, shares)})
        return row

    def tier_of(self, score) -> np.ndarray:
        return tier_index(np.asarray(score, np.float32), self.tier_mins)

    def citizen_columns(self, sim) -> dict:
        return {"dissent": self.dissent, "degree": sim.exchange.graph.degree, "score": self.score,
                "tier": np.asarray(self.tier_names, dtype=object)[self.tier_of(self.score)]}

    def final_arrays(self, sim) -> dict:
        g = sim.exchange.graph
        return {"score": self.score, "indptr": g.indptr, "indices": g.indices}
