"""Units and supervisors (MODEL.md sections 3 and 8).

Every citizen belongs to one unit of about ``units.size`` people inside their region: a school
class for students, a workplace for the employed, a village or neighbourhood committee for the
rest. Each unit has one supervisor, a member chosen at random among its adults who are not
students (any member if there are none).

Each tick, when the scenario's ``[groups]`` table turns them on (see docs/behaviour.md):

* **Collective rewards and punishments.** Units (of at least ``min_size`` members) are ranked by
  their mean score; the top ``reward_share`` earn their members an income bonus for the next tick
  (and, if ``reward_rule`` names a rule, that rule's points in the ledger), the bottom
  ``punish_share`` a fine (and ``punish_rule``'s points).
* **Supervisors' star inflation.** A supervisor's bonus grows with the unit's mean score
  (``bonus_slope`` per point above the population mean), so the supervisor inflates the ratings
  given to the members: the bias grows by ``inflation_rate * bonus_slope * (1 - honesty)`` a tick,
  up to ``max_bias`` rating points, and an audit (``audit_rate`` a tick) resets it. The bias is
  added to the rating agencies' mean (``sim.rating_bias``). ``star_inflation`` is the mean, over
  the rated members (professionals who are not supervisors), of the given rating minus the true
  performance ``1 + 4 * diligence``: the bias, since the rating noise has mean zero.

The classroom of the Stars of Xingqiao is its own model: :mod:`scsim.xingqiao`.
"""
from __future__ import annotations

import numpy as np

from .errors import ScenarioError
from .population import CIVIL_SERVANT, PROFESSIONAL, STUDENT, WORKER, Population
from .rng import stream

UNIT_KINDS = ("school_class", "workplace", "village")
COLUMNS = ("units_rewarded", "units_punished", "citizens_rewarded", "citizens_punished", "supervisor_bonus",
           "star_inflation", "inflating_supervisors")


def unit_kind(pop: Population) -> np.ndarray:
    """0 school class, 1 workplace, 2 village (index into :data:`UNIT_KINDS`)."""
    occ = pop.occupation
    kind = np.full(pop.n, 2, np.int8)
    kind[np.isin(occ, (WORKER, PROFESSIONAL, CIVIL_SERVANT))] = 1
    kind[occ == STUDENT] = 0
    return kind


def assign_units(pop: Population, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(unit, supervisor)``: the unit id (int32, 0..U-1) and a supervisor mask.

    Citizens are sorted by region, unit kind and a random key, and cut into consecutive groups of
    ``size`` (the last group of a region and kind may be smaller).

    >>> from scsim.population import generate
    >>> from scsim.scenario import PopulationConfig
    >>> pop = generate(300, PopulationConfig(), seed=1)
    >>> unit, sup = assign_units(pop, 30, seed=1)
    >>> int(sup.sum()) == len(np.unique(unit))
    True
    """
    n = pop.n
    r = stream(seed, 0, "units", 0)
    key = r.random(n)
    kind = unit_kind(pop)
    order = np.lexsort((key, kind, pop.region))
    grp = pop.region[order].astype(np.int64) * 3 + kind[order]
    # position within each (region, kind) group
    starts = np.r_[0, np.flatnonzero(np.diff(grp)) + 1]
    group_len = np.diff(np.r_[starts, n])
    pos = np.arange(n) - np.repeat(starts, group_len)
    local = pos // size
    # number units: new unit whenever group or local index changes
    new = np.r_[True, (np.diff(grp) != 0) | (np.diff(local) != 0)]
    uid_sorted = np.cumsum(new) - 1
    unit = np.empty(n, np.int32)
    unit[order] = uid_sorted
    # supervisor: the member with the highest random priority, adults who are not students first
    prio = r.random(n) + (pop.occupation != STUDENT)
    o2 = np.lexsort((prio, unit))
    last = np.r_[np.flatnonzero(np.diff(unit[o2])), n - 1]
    sup = np.zeros(n, bool)
    sup[o2[last]] = True
    return unit, sup


class GroupsState:
    """Per-unit state kept between ticks (``sim.groups_state``)."""

    def __init__(self, sim):
        sc = sim.scenario
        cfg = sc.groups
        pop = sim.pop
        self.n_units = int(pop.unit.max()) + 1 if sim.n else 0
        self.size = np.bincount(pop.unit, minlength=self.n_units)
        self.sup_of_unit = np.full(self.n_units, -1, np.int64)
        sup = np.flatnonzero(pop.supervisor)
        self.sup_of_unit[pop.unit[sup]] = sup
        self.bias = np.zeros(self.n_units, np.float32)
        trait = cfg.supervisors.honesty_trait
        if trait not in pop.traits:
            raise ScenarioError(f"groups.supervisors.honesty_trait: {trait!r} is not a trait ({sorted(pop.traits)})")
        self.honesty = pop.traits[trait][self.sup_of_unit].astype(np.float32)
        self.rated = sim.coverage["ratings"] & ~pop.supervisor
        names = sim.rules.names
        self.rules = {}
        for key in ("reward_rule", "punish_rule"):
            name = getattr(cfg.collective, key)
            if name is not None and cfg.on("collective"):
                if name not in names:
                    raise ScenarioError(f"groups.collective.{key}: no rule {name!r} in the scenario's [rules] ({names})")
                self.rules[key] = names.index(name)


def state(sim) -> GroupsState:
    st = getattr(sim, "groups_state", None)
    if st is None:
        st = sim.groups_state = GroupsState(sim)
    return st


def unit_mean(sim, st: GroupsState) -> np.ndarray:
    """Each unit's mean score."""
    return np.bincount(sim.pop.unit, weights=sim.score, minlength=st.n_units) / np.maximum(st.size, 1)


def collective(sim, st: GroupsState, row: dict, mean: np.ndarray | None = None) -> None:
    """Reward the top units and punish the bottom ones by mean score."""
    cfg = sim.scenario.groups.collective
    unit = sim.pop.unit
    mean = unit_mean(sim, st) if mean is None else mean
    ranked = np.flatnonzero(st.size >= cfg.min_size)
    order = ranked[np.argsort(mean[ranked], kind="stable")]
    k_top = int(cfg.reward_share * order.size)
    k_bot = int(cfg.punish_share * order.size)
    top = order[order.size - k_top:] if k_top else order[:0]
    bot = order[:k_bot]
    mark = np.zeros(st.n_units, np.int8)
    mark[top] = 1
    mark[bot] = -1
    m = mark[unit]
    factor = np.where(m > 0, 1 + cfg.reward_income, np.where(m < 0, 1 - cfg.punish_income, 1.0)).astype(np.float32)
    sim.income_eff = (sim.income_eff * factor).astype(np.float32)
    for key, sel in (("reward_rule", m > 0), ("punish_rule", m < 0)):
        r = st.rules.get(key)
        if r is not None:
            sim.ledger_behaviour[r, sel] += sim.rules.points[r]
    row["units_rewarded"], row["units_punished"] = int(top.size), int(bot.size)
    row["citizens_rewarded"], row["citizens_punished"] = int((m > 0).sum()), int((m < 0).sum())


def supervisors(sim, t: int, st: GroupsState, row: dict, mean: np.ndarray | None = None) -> None:
    """Supervisors' bonus and the inflation of the ratings they give."""
    cfg = sim.scenario.groups.supervisors
    unit = sim.pop.unit
    mean = unit_mean(sim, st) if mean is None else mean
    row["supervisor_bonus"] = float((cfg.bonus_slope * np.maximum(mean - float(sim.score.mean(dtype=np.float64)), 0)).mean()) if st.n_units else 0.0
    st.bias += np.float32(cfg.inflation_rate * cfg.bonus_slope) * (1 - st.honesty)
    np.minimum(st.bias, np.float32(cfg.max_bias), out=st.bias)
    audited = stream(sim.seed, t, "supervisors", 0).random(st.n_units) < cfg.audit_rate
    st.bias[audited] = 0
    sim.rating_bias[:] = np.where(sim.pop.supervisor, 0, st.bias[unit])
    row["inflating_supervisors"] = int((st.bias > 0).sum())


def step(sim, t: int) -> dict:
    """Collective rewards and supervisors' ratings this tick; returns columns for the tick's row."""
    sc = sim.scenario
    if sc.groups.xingqiao is not None:  # the classroom runs as its own model (scsim.xingqiao)
        return {}
    row: dict = dict.fromkeys(COLUMNS, 0)
    row["supervisor_bonus"] = 0.0
    row["star_inflation"] = 0.0
    if not sc.system or not sc.groups.enabled:
        return row
    st = state(sim)
    mean = unit_mean(sim, st)
    if sc.groups.on("collective"):
        collective(sim, st, row, mean)
    if sc.groups.on("supervisors"):
        supervisors(sim, t, st, row, mean)
    rated = st.rated
    row["star_inflation"] = float(sim.rating_bias[rated].mean(dtype=np.float64)) if rated.any() else 0.0
    return row
