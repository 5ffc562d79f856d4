"""Units and supervisors (MODEL.md sections 3 and 8).

Every citizen belongs to one unit of about ``units.size`` people inside their region: a school
class for students, a workplace for the employed, a village or neighbourhood committee for the
rest. Each unit has one supervisor, a member chosen at random among its adults who are not
students (any member if there are none).

Each tick, when the scenario's ``[groups]`` table turns them on (see docs/behaviour.md), at the
start of the tick (on the scores the last tick left):

* **Collective rewards and punishments.** Units (of at least ``min_size`` members) are ranked by
  their mean score; the top ``reward_share`` earn their members an income bonus for this tick
  (and, if ``reward_rule`` names a rule, that rule's points in the ledger), the bottom
  ``punish_share`` a fine (and ``punish_rule``'s points). Units tied at the edge of a share are
  left out of it rather than chosen by lot, so fewer may be ranked, and none while every unit
  still has the same mean (the first tick, before any score has moved).
* **Supervisors' star inflation.** A supervisor's bonus grows with the unit's mean score
  (``bonus_slope`` per point above the population mean), so the supervisor inflates the ratings
  given to the members: the bias grows by ``inflation_rate * bonus_slope * (1 - honesty)`` a tick,
  up to ``max_bias`` rating points, and an audit (``audit_rate`` a tick) resets it. The bias is
  added to the rating agencies' mean (``rating_bias``, read by the ratings source).
  ``star_inflation`` is the mean, over the rated members (professionals who are not
  supervisors), of that bias.

The classroom of the Stars of Xingqiao is its own model: :mod:`scsim.mechanisms.classroom`.
"""
from __future__ import annotations

import numpy as np

from ..engine.config import MAX_FACTOR, MAX_SCALE, Config, Field, Switchable, model_validator, needed
from ..engine.module import Module
from .people import CIVIL_SERVANT, PROFESSIONAL, STUDENT, TRAITS, WORKER

UNIT_KINDS = ("school_class", "workplace", "village")
MAX_UNIT = 10_000
"""The largest unit (members)."""


class UnitsConfig(Config):
    """Units of citizens (MODEL.md section 3)."""

    size: int = Field(ge=2, le=MAX_UNIT, description="members per unit (school class, workplace, village)")


class CollectiveConfig(Switchable):
    """Collective rewards (top units) and punishments (bottom units) by the unit's mean score."""

    reward_share: float | None = needed(ge=0, le=1, description="share of units rewarded each tick (highest mean score)")
    punish_share: float | None = needed(ge=0, le=1, description="share of units punished each tick (lowest mean score)")
    reward_income: float | None = needed(ge=0, le=1, description="income bonus of a rewarded unit's members for the tick")
    punish_income: float | None = needed(ge=0, le=1, description="income fine of a punished unit's members for the tick")
    reward_rule: str | None = Field(None, description="optional rule whose ledger receives its points once per tick rewarded")
    punish_rule: str | None = Field(None, description="optional rule whose ledger receives its points once per tick punished")
    min_size: int | None = needed(ge=1, le=MAX_UNIT, description="units smaller than this are not ranked")

    @model_validator(mode="after")
    def _check(self):
        if self.enabled and self.reward_share + self.punish_share > 1:
            raise ValueError("reward_share + punish_share must be at most 1")
        return self


class SupervisorsConfig(Switchable):
    """Supervisors rate their members; a bonus growing with the unit's aggregate inflates ratings."""

    bonus_slope: float | None = needed(ge=0, le=MAX_FACTOR, description="supervisor's bonus per point of the unit's mean score above the population mean (0: no bonus, no inflation)")
    inflation_rate: float | None = needed(ge=0, le=MAX_FACTOR, description="rating points added per tick per unit of bonus_slope by a fully dishonest supervisor")
    max_bias: float | None = needed(ge=0, le=MAX_SCALE, description="largest inflation of a rating (rating points, on the 1-5 scale)")
    honesty_trait: str | None = needed(description="latent trait that restrains a supervisor (inflation scales with 1 - trait)")
    audit_rate: float | None = needed(ge=0, le=1, description="weekly chance a supervisor is audited and the bias reset to 0")

    @model_validator(mode="after")
    def _check(self):
        from ..engine.config import check_name

        if self.honesty_trait is not None:
            check_name(self.honesty_trait, TRAITS, "trait")
        return self


class GroupsConfig(Config):
    """Collective scoring of units and supervisors' ratings (MODEL.md section 8)."""

    enabled: bool = Field(False, description="master switch of the section")
    collective: CollectiveConfig = Field(default_factory=CollectiveConfig)
    supervisors: SupervisorsConfig = Field(default_factory=SupervisorsConfig)

    def on(self, name: str) -> bool:
        return bool(self.enabled and getattr(self, name).enabled)


class GroupsModuleConfig(Config):
    units: UnitsConfig
    groups: GroupsConfig = Field(default_factory=GroupsConfig)


def unit_kind(occupation: np.ndarray) -> np.ndarray:
    """0 school class, 1 workplace, 2 village (index into :data:`UNIT_KINDS`)."""
    kind = np.full(occupation.size, 2, np.int8)
    kind[np.isin(occupation, (WORKER, PROFESSIONAL, CIVIL_SERVANT))] = 1
    kind[occupation == STUDENT] = 0
    return kind


def assign_units(region: np.ndarray, occupation: np.ndarray, size: int, key: np.ndarray, prio: np.ndarray):
    """Return ``(unit, supervisor)``: the unit id (int32, 0..U-1) and a supervisor mask.

    Citizens are sorted by region, unit kind and a random ``key``, and cut into consecutive
    groups of ``size`` (the last group of a region and kind may be smaller); the supervisor is
    the member with the highest ``prio``, adults who are not students first.
    """
    n = region.size
    kind = unit_kind(occupation)
    order = np.lexsort((key, kind, region))
    grp = region[order].astype(np.int64) * 3 + kind[order]
    starts = np.r_[0, np.flatnonzero(np.diff(grp)) + 1]
    group_len = np.diff(np.r_[starts, n])
    pos = np.arange(n) - np.repeat(starts, group_len)
    local = pos // size
    new = np.r_[True, (np.diff(grp) != 0) | (np.diff(local) != 0)] if n else np.zeros(0, bool)
    uid_sorted = np.cumsum(new) - 1
    unit = np.empty(n, np.int32)
    unit[order] = uid_sorted
    p = prio + (occupation != STUDENT)
    o2 = np.lexsort((p, unit))
    last = np.r_[np.flatnonzero(np.diff(unit[o2])), n - 1] if n else np.zeros(0, np.int64)
    sup = np.zeros(n, bool)
    sup[o2[last]] = True
    return unit, sup


class Groups(Module):
    """Units, collective rewards and punishments, supervisors' ratings."""

    name = "groups"
    label = "units and supervisors"
    Config = GroupsModuleConfig

    def declare(self) -> None:
        self.stream()
        self.state("unit", np.int32)
        self.state("supervisor", bool)
        self.state("rating_bias", np.float32, label="rating points added by the supervisor")
        self.state("income_factor", np.float32, 1.0, label="income multiplier of collective rewards and fines")
        self.column("units_rewarded", "units rewarded", "units")
        self.column("units_punished", "units punished", "units")
        self.column("citizens_rewarded", "citizens in rewarded units", "citizens")
        self.column("citizens_punished", "citizens in punished units", "citizens")
        self.column("supervisor_bonus", "supervisors' mean bonus", "bonus units")
        self.column("star_inflation", "star inflation (supervisors' rating bias)", "rating points",
                    "mean bias added to the ratings of rated members")
        self.column("inflating_supervisors", "supervisors inflating ratings", "supervisors")

    def init(self, sim) -> None:
        p = sim.people
        key = self.rng.uniform(0, "order", n=sim.n)
        prio = self.rng.uniform(0, "supervisor", n=sim.n)
        self.unit[:], self.supervisor[:] = assign_units(p.region, p.occupation, self.config.units.size, key, prio)
        self.n_units = int(self.unit.max()) + 1 if sim.n else 0
        self.array("bias", self.n_units, np.float32)
        self._derive(sim)
        g = self.config.groups
        names = sim.scoring.rule_names if "scoring" in sim.modules else []
        self.rule_index = {k: names.index(getattr(g.collective, k)) for k in ("reward_rule", "punish_rule")
                           if getattr(g.collective, k) is not None}
        self.row = self._empty()

    def _derive(self, sim) -> None:
        self.size = np.bincount(self.unit, minlength=self.n_units)
        self.sup_of_unit = np.full(self.n_units, -1, np.int64)
        sup = np.flatnonzero(self.supervisor)
        self.sup_of_unit[self.unit[sup]] = sup
        trait = self.config.groups.supervisors.honesty_trait
        self.honesty = sim.people.trait(trait)[self.sup_of_unit].astype(np.float32) if trait else \
            np.zeros(self.n_units, np.float32)
        self.rated = sim.sources.covered_mask(sim, "ratings") & ~self.supervisor

    def restored(self, sim) -> None:
        self._derive(sim)

    @staticmethod
    def _empty() -> dict:
        row = dict.fromkeys(("units_rewarded", "units_punished", "citizens_rewarded", "citizens_punished",
                             "inflating_supervisors"), 0)
        row["supervisor_bonus"] = 0.0
        row["star_inflation"] = 0.0
        return row

    def unit_mean(self, score: np.ndarray) -> np.ndarray:
        """Each unit's mean score."""
        return np.bincount(self.unit, weights=score, minlength=self.n_units) / np.maximum(self.size, 1)

    def step(self, sim, t: int) -> None:
        g = self.config.groups
        row = self._empty()
        self.income_factor[:] = 1.0
        if sim.scenario.system and g.enabled:
            score = sim.scoring.score
            mean = self.unit_mean(score)
            if g.on("collective"):
                self._collective(sim, mean, row)
            if g.on("supervisors"):
                self._supervisors(t, mean, float(score.mean(dtype=np.float64)), row)
            row["star_inflation"] = float(self.rating_bias[self.rated].mean(dtype=np.float64)) if self.rated.any() else 0.0
        self.row = row

    def _collective(self, sim, mean: np.ndarray, row: dict) -> None:
        cfg = self.config.groups.collective
        ranked = np.flatnonzero(self.size >= cfg.min_size)
        m_r = mean[ranked]
        srt = np.sort(m_r)
        k_top = int(cfg.reward_share * srt.size)
        k_bot = int(cfg.punish_share * srt.size)
        # a unit tied with the first unit outside the top (bottom) share is not in it: no lot
        # decides between equal means, so while every score is still the base nobody is ranked
        top = ranked[m_r > srt[srt.size - k_top - 1]] if 0 < k_top < srt.size else ranked[: srt.size if k_top else 0]
        bot = ranked[m_r < srt[k_bot]] if 0 < k_bot < srt.size else ranked[: srt.size if k_bot else 0]
        mark = np.zeros(self.n_units, np.int8)
        mark[top] = 1
        mark[bot] = -1
        m = mark[self.unit]
        self.income_factor[:] = np.where(m > 0, 1 + cfg.reward_income, np.where(m < 0, 1 - cfg.punish_income, 1.0))
        for key, sel in (("reward_rule", m > 0), ("punish_rule", m < 0)):
            r = self.rule_index.get(key)
            if r is not None:
                sim.scoring.add_points(r, np.flatnonzero(sel))
        row["units_rewarded"], row["units_punished"] = int(top.size), int(bot.size)
        row["citizens_rewarded"], row["citizens_punished"] = int((m > 0).sum()), int((m < 0).sum())

    def _supervisors(self, t: int, mean: np.ndarray, overall: float, row: dict) -> None:
        cfg = self.config.groups.supervisors
        row["supervisor_bonus"] = float((cfg.bonus_slope * np.maximum(mean - overall, 0)).mean()) if self.n_units else 0.0
        self.bias += np.float32(cfg.inflation_rate * cfg.bonus_slope) * (1 - self.honesty)
        np.minimum(self.bias, np.float32(cfg.max_bias), out=self.bias)
        audited = self.rng.uniform(t, "audit", n=self.n_units) < cfg.audit_rate
        self.bias[audited] = 0
        self.rating_bias[:] = np.where(self.supervisor, 0, self.bias[self.unit])
        row["inflating_supervisors"] = int((self.bias > 0).sum())

    def measure(self, sim, t: int) -> dict:
        return dict(self.row)

    def get_state(self) -> dict:
        return {"row": self.row}

    def set_state(self, state: dict) -> None:
        self.row = state.get("row", self._empty())

    def citizen_columns(self, sim) -> dict:
        return {"unit": self.unit, "supervisor": self.supervisor}
