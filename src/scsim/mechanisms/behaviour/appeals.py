"""Appeals (MODEL.md section 7): some of the wrongly flagged appeal; some win, after a delay.

A citizen who got error points on an appealable rule (``rules``) this tick appeals with
probability ``appeal_prob`` (times ``transparent_factor`` when the rules are known); after
``delay`` ticks the appeal is won with probability ``win_prob`` and the error points of those
rules are removed from the ledger (through :meth:`Scoring.clear_errors`).
"""
from __future__ import annotations

import numpy as np

from ...engine.config import MAX_FACTOR, MAX_TICKS, Field, Switchable, needed
from ...engine.module import Module


class AppealsConfig(Switchable):
    """Some wrongly flagged citizens appeal; some win, after a delay, and the error points go."""

    rules: list[str] | None = needed(description="rules whose error points can be appealed")
    appeal_prob: float | None = needed(ge=0, le=1, description="chance a citizen who was wrongly flagged this tick appeals")
    transparent_factor: float | None = needed(ge=0, le=MAX_FACTOR, description="appeal chance multiplier when score.transparent (citizens see why their score fell)")
    win_prob: float | None = needed(ge=0, le=1, description="chance an appeal succeeds")
    delay: int | None = needed(ge=0, le=MAX_TICKS, description="ticks from filing to decision")


class Appeals(Module):
    name = "appeals"
    label = "appeals"
    Config = AppealsConfig

    def declare(self) -> None:
        self.stream()
        self.state("pending_until", np.int32, -1, label="tick an appeal is decided (-1: none pending)")
        self.state("prev_err", np.float32, rows=len(self.config.rules or []), label="error points at the last tick")
        self.column("appeals", "appeals filed", "appeals")
        self.column("appeals_won", "appeals won (error points removed)", "appeals")
        self.column("appeals_pending", "appeals pending", "appeals")

    def init(self, sim) -> None:
        names = sim.scoring.rule_names
        self.R = np.array([names.index(r) for r in self.config.rules or []], np.int64)
        self.prev_err[:] = sim.scoring.ledger_error[self.R]
        self.row = {"appeals": 0, "appeals_won": 0, "appeals_pending": 0}

    def step(self, sim, t: int) -> None:
        cfg = self.config
        self.row = {"appeals": 0, "appeals_won": 0, "appeals_pending": 0}
        if not (sim.scenario.system and cfg.enabled) or self.R.size == 0:
            return
        sc = sim.scoring
        R = self.R
        Le = sc.ledger_error
        decay = sc.decay[R][:, None]
        sign = np.sign(sc.points[R])[:, None]
        harm = sign < 0
        new_err = ((Le[R] - decay * self.prev_err) * sign > 1e-4) & harm
        cand = np.flatnonzero(new_err.any(axis=0) & (self.pending_until < 0))
        due = np.flatnonzero((self.pending_until >= 0) & (self.pending_until <= t))  # filed on earlier ticks
        transparent = sc.config.score.transparent
        p = min(1.0, cfg.appeal_prob * (cfg.transparent_factor if transparent else 1.0))
        u_c = self.rng.uniform2(t, "file", cand)
        filed = u_c[0] < p
        file = cand[filed]
        self.pending_until[due] = -1
        won = due[self.rng.uniform(t, "decide", due) < cfg.win_prob]
        if cfg.delay == 0:  # decided on the spot
            won = np.union1d(won, file[u_c[1, filed] < cfg.win_prob])
        else:
            self.pending_until[file] = t + cfg.delay
        sc.clear_errors(R, won)
        self.prev_err[:] = Le[R]
        self.row = {"appeals": int(file.size), "appeals_won": int(won.size),
                    "appeals_pending": int((self.pending_until >= 0).sum())}

    def measure(self, sim, t: int) -> dict:
        return dict(self.row)

    def get_state(self) -> dict:
        return {"row": self.row}

    def set_state(self, state: dict) -> None:
        self.row = state.get("row", self.row)
