"""Units and supervisors (MODEL.md sections 3 and 8).

Every citizen belongs to one unit of about ``units.size`` people inside their region: a school
class for students, a workplace for the employed, a village or neighbourhood committee for the
rest. Each unit has one supervisor, a member chosen at random among its adults who are not
students (any member if there are none).
"""
from __future__ import annotations

import numpy as np

from .population import CIVIL_SERVANT, PROFESSIONAL, STUDENT, WORKER, Population
from .rng import stream

UNIT_KINDS = ("school_class", "workplace", "village")


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


def step(sim, t: int) -> dict:
    """Collective rewards and supervisors' ratings this tick; returns columns for the tick's row."""
    return {}
