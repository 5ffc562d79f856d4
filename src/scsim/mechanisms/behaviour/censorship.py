"""Self-censorship (MODEL.md section 7): the chilling effect.

The share of critical posts a citizen leaves unwritten is
``max_share * (1 - exp(-sensitivity * risk))`` with ``risk = recall * penalty * (1 +
experience_weight * recent flags)``, times ``transparent_factor`` when the rules are known
(``score.transparent``). ``penalty`` is the score points one flagged post costs (the points of
``rule`` times its dimension's weight); ``recall`` is the monitor's. The social media source
reads :attr:`Censorship.censor`.
"""
from __future__ import annotations

import numpy as np

from ...engine.config import MAX_FACTOR, Field, Switchable, needed
from ...engine.module import Module


class CensorshipConfig(Switchable):
    """Self-censorship: critical posts not written, growing with the perceived risk."""

    sensitivity: float | None = needed(ge=0, le=MAX_FACTOR, description="per score point of perceived risk")
    max_share: float | None = needed(ge=0, le=1, description="largest share of critical posts left unwritten")
    transparent_factor: float | None = needed(ge=0, le=MAX_FACTOR, description="perceived risk multiplier when score.transparent (the rules are known)")
    experience_weight: float | None = needed(ge=0, le=MAX_FACTOR, description="extra risk per recent flag on one's own record")
    rule: str | None = needed(min_length=1, description="the rule that punishes flagged posts")


class Censorship(Module):
    name = "censorship"
    label = "self-censorship"
    Config = CensorshipConfig

    def declare(self) -> None:
        self.state("censor", np.float32, label="share of critical posts left unwritten")

    def init(self, sim) -> None:
        names = sim.scoring.rule_names
        self.r = names.index(self.config.rule) if self.config.rule in names else -1

    def step(self, sim, t: int) -> None:
        cfg = self.config
        self.censor[:] = 0
        if not (sim.scenario.system and cfg.enabled):
            return
        src = sim.sources.cfg("social_media")
        r = self.r
        if r < 0 or not src.enabled:
            return
        sc = sim.scoring
        pts = float(sc.points[r])
        penalty = -pts * float(sc.weight[r])
        recall = float(src.params.recall)
        if penalty <= 0 or recall <= 0:
            return
        flags = (sc.ledger_behaviour[r] + sc.ledger_error[r]) / np.float32(pts)  # decayed count of recent flags
        risk = np.float32(recall * penalty * (cfg.transparent_factor if sc.config.score.transparent else 1.0))
        risk = risk * (1 + np.float32(cfg.experience_weight) * np.maximum(flags, 0))
        self.censor[:] = np.float32(cfg.max_share) * (1 - np.exp(-np.float32(cfg.sensitivity) * risk))
