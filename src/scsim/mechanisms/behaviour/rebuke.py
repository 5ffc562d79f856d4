"""Rebuke (MODEL.md section 7, "struggle sessions"): higher-scoring friends press a low scorer,
whose dissent falls.

A citizen scoring below ``below`` (default: the highest sanction threshold, else the second
tier's minimum) whose friends scored higher on average at the last tick is pressed in proportion
to the gap, up to full pressure at ``gap_scale`` points: dissent falls by ``rate * pressure`` a
tick and recovers towards the latent trait at ``recovery`` a tick. The current dissent lives
here (:attr:`Rebuke.dissent`); the sources read it.
"""
from __future__ import annotations

import numpy as np

from ...engine.config import MAX_FACTOR, MAX_SCALE, Field, Switchable, needed
from ...engine.module import Module


class RebukeConfig(Switchable):
    """Higher-scoring friends press low scorers, whose dissent falls; it recovers slowly."""

    below: float | None = Field(None, ge=-MAX_SCALE, le=MAX_SCALE, description="only citizens scoring below this are rebuked; default the highest sanction threshold, else the second tier's minimum")
    rate: float | None = needed(ge=0, le=1, description="weekly share of dissent lost under full pressure")
    gap_scale: float | None = needed(ge=1 / MAX_FACTOR, le=MAX_SCALE, description="friends' mean minus own score (points) that counts as full pressure")
    recovery: float | None = needed(ge=0, le=1, description="weekly share of the gap back to the latent dissent trait regained")


class Rebuke(Module):
    name = "rebuke"
    label = "rebuke"
    Config = RebukeConfig

    def declare(self) -> None:
        self.state("dissent", np.float32, label="current disposition to criticise")
        self.column("rebuked", "citizens rebuked by higher-scoring friends", "citizens")

    def init(self, sim) -> None:
        self.dissent[:] = sim.people.dissent
        cfg = self.config
        if cfg.below is not None:
            self.below = float(cfg.below)
        else:
            sanc = sim.sanctions.sanction_thresholds()
            mins = sim.sanctions.tier_mins
            self.below = float(max(sanc)) if sanc else float(mins[min(1, len(mins) - 1)])
        self.count = 0

    def step(self, sim, t: int) -> None:
        self.count = 0
        if not (sim.scenario.system and self.config.enabled):
            return
        cfg = self.config
        sc = sim.scoring
        gap = sc.friends_mean - sc.score
        pressure = np.clip(gap / np.float32(cfg.gap_scale), 0, 1) * ((sc.score < self.below) & (sim.exchange.degree > 0))
        d = self.dissent
        d *= (1 - np.float32(cfg.rate) * pressure).astype(np.float32)
        d += np.float32(cfg.recovery) * (sim.people.dissent - d)
        self.count = int((pressure > 0).sum())

    def measure(self, sim, t: int) -> dict:
        return {"rebuked": self.count}

    def get_state(self) -> dict:
        return {"count": self.count}

    def set_state(self, state: dict) -> None:
        self.count = int(state.get("count", 0))
