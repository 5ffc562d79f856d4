"""Synthetic citizens (MODEL.md section 2), held as a struct of arrays.

Every attribute is one NumPy array of length ``n``. Defaults and their sources are in the scenario
files (``[people]`` table). Nothing here describes a real person: all values are drawn from the
seeded random streams of :mod:`scsim.rng`, block by block, so the population does not depend on
how it is later chunked.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .rng import blocks, stream
from .scenario import PopulationConfig

OCCUPATIONS = ("student", "worker", "professional", "civil_servant", "unemployed", "retired")
"""Occupation codes: ``occupation == k`` means ``OCCUPATIONS[k]``."""
STUDENT, WORKER, PROFESSIONAL, CIVIL_SERVANT, UNEMPLOYED, RETIRED = range(6)
TRAITS = ("diligence", "prudence", "idleness", "dissent", "sociability")
PLATFORMS = ("alibaba", "tencent", "credit_record", "internet", "phone")
AGE_BANDS = ("18-29", "30-44", "45-59", "60+")
_AGE_EDGES = np.array([30, 45, 60])


@dataclass
class Population:
    """The citizens. Attribute arrays, all of length :attr:`n`.

    ``age`` int16, ``male`` bool, ``region`` int16 (index into :attr:`region_names`), ``urban``
    bool, ``income`` float32 (yuan per year), ``occupation`` int8 (index into
    :data:`OCCUPATIONS`), ``children`` int8, ``infant`` bool, the traits in [0, 1] (float32,
    latent: the system never sees them) and the platform flags (bool).
    """

    n: int
    region_names: list[str]
    age: np.ndarray
    male: np.ndarray
    region: np.ndarray
    urban: np.ndarray
    income: np.ndarray
    occupation: np.ndarray
    children: np.ndarray
    infant: np.ndarray
    traits: dict[str, np.ndarray]
    platforms: dict[str, np.ndarray]
    income_median: float = 0.0
    unit: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    supervisor: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    @property
    def block(self) -> np.ndarray:
        """Stochastic-block id of each citizen: ``region * 2 + urban``."""
        return (self.region.astype(np.int32) * 2 + self.urban).astype(np.int32)

    @property
    def age_band(self) -> np.ndarray:
        """Index into :data:`AGE_BANDS`."""
        return np.searchsorted(_AGE_EDGES, self.age, side="right").astype(np.int8)

    @property
    def income_quintile(self) -> np.ndarray:
        """1 (poorest fifth) to 5 (richest fifth)."""
        if self.n == 0:
            return np.zeros(0, np.int8)
        edges = np.quantile(self.income, [0.2, 0.4, 0.6, 0.8])
        return (np.searchsorted(edges, self.income, side="right") + 1).astype(np.int8)

    def columns(self) -> dict[str, np.ndarray]:
        """The attributes as flat columns (for ``citizens.parquet``)."""
        cols = {
            "age": self.age, "age_band": np.asarray(AGE_BANDS, dtype=object)[self.age_band],
            "sex": np.where(self.male, "male", "female").astype(object),
            "region": np.asarray(self.region_names, dtype=object)[self.region],
            "urban": self.urban, "income": self.income,
            "income_quintile": self.income_quintile,
            "occupation": np.asarray(OCCUPATIONS, dtype=object)[self.occupation],
            "children": self.children, "infant": self.infant,
        }
        cols.update(self.traits)
        cols.update(self.platforms)
        if self.unit.size:
            cols["unit"] = self.unit
            cols["supervisor"] = self.supervisor
        return cols


def _odds_scale(p_target: float, mult: np.ndarray) -> np.ndarray:
    """Per-citizen probabilities with the given odds multipliers whose mean is ``p_target``.

    Solves for the base odds by bisection on the mean (vectorised, 40 steps).
    """
    if p_target <= 0:
        return np.zeros_like(mult)
    if p_target >= 1:
        return np.ones_like(mult)
    lo, hi = -30.0, 30.0
    lm = np.log(mult)
    for _ in range(40):
        mid = (lo + hi) / 2
        if (1 / (1 + np.exp(-(mid + lm)))).mean() < p_target:
            lo = mid
        else:
            hi = mid
    return 1 / (1 + np.exp(-((lo + hi) / 2 + lm)))


def generate(n: int, cfg: PopulationConfig, seed: int) -> Population:
    """Draw ``n`` synthetic citizens.

    >>> from scsim.scenario import PopulationConfig
    >>> pop = generate(1000, PopulationConfig(), seed=1)
    >>> pop.n, pop.age.min() >= 18, pop.age.max() <= 85
    (1000, np.True_, np.True_)
    """
    parts: dict[str, list] = {}

    def put(name, arr):
        parts.setdefault(name, []).append(arr)

    names = list(cfg.regions)
    w = np.array([cfg.regions[k] for k in names], float)
    cum = np.cumsum(w / w.sum())
    for b, lo, hi in blocks(n):
        m = hi - lo
        r = stream(seed, 0, "population", b)
        old = r.random(m) < cfg.share_60_plus
        young_age = r.integers(cfg.age_min, 60, m, endpoint=False)
        # older ages: density falling linearly from 60 to age_max
        u = r.random(m)
        span = max(cfg.age_max - 60, 1)
        old_age = 60 + np.floor(span * (1 - np.sqrt(1 - u))).astype(int)
        age = np.where(old, np.minimum(old_age, cfg.age_max), young_age).astype(np.int16)
        put("age", age)
        put("male", r.random(m) < cfg.male_share)
        put("region", np.minimum(np.searchsorted(cum, r.random(m), side="right"), len(names) - 1).astype(np.int16))
        put("urban", r.random(m) < cfg.urban_share)
        # occupation by age
        u = r.random(m)
        occ = np.full(m, WORKER, np.int8)
        a = age
        stud = (a < 23) & (u < 0.6)
        occ[stud] = STUDENT
        working = (a >= 23) & (a < 60)
        occ[working & (u < 0.15)] = PROFESSIONAL
        occ[working & (u >= 0.15) & (u < 0.21)] = CIVIL_SERVANT
        occ[working & (u >= 0.21) & (u < 0.27)] = UNEMPLOYED
        occ[(a < 23) & ~stud & (u > 0.9)] = UNEMPLOYED
        occ[(a >= 60) & (u < 0.85)] = RETIRED
        put("occupation", occ)
        put("income_z", r.standard_normal(m).astype(np.float32))
        # children: adults 22-60 have 0-3; the youngest is an infant more often for ages 22-38
        lam = np.where((a >= 22) & (a < 60), 1.2, 0.05)
        kids = np.minimum(r.poisson(lam), 3).astype(np.int8)
        put("children", kids)
        p_inf = np.where((a >= 22) & (a <= 38), 0.25, 0.02)
        put("infant", (kids > 0) & (r.random(m) < p_inf))
        for t in ("diligence", "prudence", "idleness", "dissent", "sociability"):
            tc = cfg.traits[t]
            put(t, r.beta(tc.a, tc.b, m).astype(np.float32))
        for pl in PLATFORMS:
            put("u_" + pl, r.random(m))

    cat = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
    urban = cat["urban"].astype(bool)
    occ = cat["occupation"].astype(np.int8)
    occ_mult = np.array([cfg.occupation_income[o] for o in OCCUPATIONS])[occ]
    median = np.where(urban, cfg.income_median_urban, cfg.income_median_urban / cfg.income_urban_rural_ratio)
    income = (median * occ_mult * np.exp(cfg.income_sigma * cat["income_z"])).astype(np.float32)
    age = cat["age"].astype(np.int16)
    young = age < 40
    mult = np.where(urban, cfg.platforms.urban_odds, 1.0) * np.where(young, cfg.platforms.young_odds, 1.0)
    platforms = {}
    for pl in PLATFORMS:
        p = _odds_scale(getattr(cfg.platforms, pl), mult) if n else np.zeros(0)
        platforms[pl] = cat["u_" + pl] < p
    return Population(
        n=n, region_names=names, age=age, male=cat["male"].astype(bool),
        region=cat["region"].astype(np.int16), urban=urban, income=income, occupation=occ,
        children=cat["children"].astype(np.int8), infant=cat["infant"].astype(bool),
        traits={t: cat[t].astype(np.float32) for t in TRAITS}, platforms=platforms,
        income_median=float(np.median(income)) if n else 0.0,
    )
