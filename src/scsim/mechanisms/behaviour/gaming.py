"""Gaming the metric (MODEL.md section 7): rewarded purchases bought for the score, not for need.

Citizens who know which purchases are rewarded (everyone when ``score.transparent``, a share
``aware_share`` drawn once when the rules are opaque) buy extra diapers and books (rules on
``commerce.diapers`` or ``commerce.books`` with positive points): ``boost`` times the base rate
in full when they are within ``margin`` points below a perk or sanction threshold, ``boost *
base_effort`` otherwise. The commerce source reads :attr:`Gaming.purchase_boost`.
"""
from __future__ import annotations

import numpy as np

from ...engine.config import MAX_FACTOR, MAX_SCALE, Field, Switchable, needed
from ...engine.module import Module


class GamingConfig(Switchable):
    """Gaming the metric: rewarded purchases (diapers, books) bought for the score."""

    boost: float | None = needed(ge=0, le=MAX_FACTOR, description="extra rewarded purchases (in units of the base rate) of a citizen who games")
    aware_share: float | None = needed(ge=0, le=1, description="share of citizens who know which purchases are rewarded while the rules are opaque")
    margin: float | None = needed(ge=0, le=MAX_SCALE, description="citizens within this many points below a perk or sanction threshold game in full")
    base_effort: float | None = needed(ge=0, le=1, description="effort of aware citizens far from any threshold")


class Gaming(Module):
    name = "gaming"
    label = "gaming the metric"
    Config = GamingConfig

    def declare(self) -> None:
        self.stream()
        self.state("purchase_boost", np.float32, label="extra rewarded purchases, in units of the base rate")
        self.state("aware", bool, label="knows which purchases are rewarded")
        self.column("gaming_citizens", "citizens buying for the score", "citizens")

    def init(self, sim) -> None:
        if self.config.enabled:
            self.aware[:] = self.rng.uniform(0, "aware", n=sim.n) < self.config.aware_share
        sc = sim.scoring
        self.rewarded = any(r.event in ("commerce.diapers", "commerce.books") and r.points > 0
                            for r in sc.config.rules.values())
        self.thresholds = np.array(sim.sanctions.thresholds(), np.float32)
        self.count = 0

    def step(self, sim, t: int) -> None:
        cfg = self.config
        self.count = 0
        if not (sim.scenario.system and cfg.enabled) or not self.rewarded:
            self.purchase_boost[:] = 0
            return
        aware = np.ones(sim.n, bool) if sim.scoring.config.score.transparent else self.aware
        s = sim.scoring.score
        near = np.zeros(sim.n, bool)
        for th in self.thresholds:  # a handful of perk and sanction thresholds
            gap = np.float32(th) - s
            near |= (gap > 0) & (gap <= cfg.margin)
        want = np.where(near, np.float32(1), np.float32(cfg.base_effort))
        self.purchase_boost[:] = np.where(aware, np.float32(cfg.boost) * want, 0).astype(np.float32)
        self.count = int(((self.purchase_boost > 0) & sim.people.alibaba).sum())

    def measure(self, sim, t: int) -> dict:
        return {"gaming_citizens": self.count}

    def get_state(self) -> dict:
        return {"count": self.count}

    def set_state(self, state: dict) -> None:
        self.count = int(state.get("count", 0))
