"""Citizens (MODEL.md section 2): synthetic people held as a struct of arrays.

Every attribute is one NumPy array of length ``n``, drawn citizen by citizen from the ``people``
random stream (each attribute its own slot), so a citizen's attributes depend only on the seed,
the scenario and their id. Every figure comes from the scenario's ``[people]`` table, with its
source; nothing here describes a real person.

* **age**: ``share_60_plus`` are 60 or older, with a density falling linearly from 60 to
  ``age_max``; the others are uniform on ``[age_min, 60)``;
* **sex**, **urban**: Bernoulli with the census shares; **region**: categorical by the
  provincial populations;
* **occupation** by age band (``[people.occupations]``): the listed shares of each band, the
  rest workers;
* **income**: log-normal around the urban or rural median, times the occupation's multiplier;
* **children**: Poisson (capped) with a higher mean for parents' ages; whether the youngest is
  an infant (who needs diapers);
* **traits** in [0, 1], Beta-distributed, latent (the system never sees them): diligence,
  prudence, idleness, dissent, sociability;
* **platforms**: Alibaba, Tencent, a credit record, internet, a phone, each with its national
  share and odds multiplied for urban and for young citizens. The base odds are solved from the
  *expected* mix of urban and young citizens (a function of the scenario alone), so that one
  citizen's chance never depends on who else is drawn.

:class:`Demography` holds the part a social graph needs (age, sex, region, urban); the reference
model runs on it alone.
"""
from __future__ import annotations

import math

import numpy as np

from ..engine.config import MAX_FACTOR, Config, Field, model_validator
from ..engine.module import Module

OCCUPATIONS = ("student", "worker", "professional", "civil_servant", "unemployed", "retired")
"""Occupation codes: ``occupation == k`` means ``OCCUPATIONS[k]``."""
STUDENT, WORKER, PROFESSIONAL, CIVIL_SERVANT, UNEMPLOYED, RETIRED = range(6)
TRAITS = ("diligence", "prudence", "idleness", "dissent", "sociability")
PLATFORMS = ("alibaba", "tencent", "credit_record", "internet", "phone")
AGE_BANDS = ("18-29", "30-44", "45-59", "60+")
_AGE_EDGES = np.array([30, 45, 60])
OLD_AGE = 60
"""The census statistic's threshold (``share_60_plus``): ages at or above it are drawn from the
falling density."""


class DemographyConfig(Config):
    """Who the citizens are: age, sex, region, urban (MODEL.md section 2; 2020 census)."""

    age_min: int = Field(ge=0, le=59, description="youngest citizen scored")
    age_max: int = Field(ge=61, le=120, description="oldest citizen")
    share_60_plus: float = Field(ge=0, le=1, description="share aged 60 and over")
    male_share: float = Field(ge=0, le=1)
    urban_share: float = Field(ge=0, le=1)
    regions: dict[str, float] = Field(min_length=1, max_length=2**15 - 1, description="region name -> population weight")

    @model_validator(mode="after")
    def _check(self):
        if any(not w > 0 for w in self.regions.values()):
            raise ValueError("regions must map each region name to a positive weight")
        if not math.isfinite(sum(self.regions.values())):
            raise ValueError("regions: the weights must add up to a finite number")
        return self


class PlatformConfig(Config):
    """Share of citizens on each platform and how urban and young citizens are more likely to be."""

    alibaba: float = Field(ge=0, le=1)
    tencent: float = Field(ge=0, le=1)
    credit_record: float = Field(ge=0, le=1)
    internet: float = Field(ge=0, le=1)
    phone: float = Field(ge=0, le=1)
    urban_odds: float = Field(ge=1 / MAX_FACTOR, le=MAX_FACTOR, description="odds multiplier for urban citizens")
    young_odds: float = Field(ge=1 / MAX_FACTOR, le=MAX_FACTOR, description="odds multiplier for citizens younger than young_below")
    young_below: int = Field(gt=0, le=120, description="age under which a citizen counts as young")


class TraitConfig(Config):
    """Beta(a, b) distribution of a latent trait in [0, 1]."""

    a: float = Field(ge=1 / MAX_FACTOR, le=MAX_FACTOR)
    b: float = Field(ge=1 / MAX_FACTOR, le=MAX_FACTOR)


class OccupationBand(Config):
    """Citizens of ages ``[below the previous band's upper age, below)``: the listed shares of
    occupations; the rest are workers."""

    below: int = Field(gt=0, le=200, description="upper age (exclusive) of the band")
    shares: dict[str, float] = Field(description="occupation -> share of the band")

    @model_validator(mode="after")
    def _check(self):
        from ..engine.config import check_name

        for k, v in self.shares.items():
            check_name(k, [o for o in OCCUPATIONS if o != "worker"], "occupation")
            if not 0 <= v <= 1:
                raise ValueError(f"shares.{k} must lie in [0, 1]")
        if sum(self.shares.values()) > 1 + 1e-9:
            raise ValueError("shares must add up to at most 1 (the rest are workers)")
        return self


class ChildrenConfig(Config):
    """Children per citizen ~ min(Poisson(mean), max); whether the youngest is an infant."""

    parent_age_min: int = Field(ge=0, le=120, description="ages at which citizens have the higher mean")
    parent_age_max: int = Field(ge=0, le=120)
    mean: float = Field(ge=0, le=127, description="mean number of children at parents' ages")
    mean_other: float = Field(ge=0, le=127, description="mean at other ages")
    max: int = Field(ge=0, le=127, description="children counted at most")
    infant_age_max: int = Field(ge=0, le=120, description="parents up to this age have a younger child more often")
    infant_share: float = Field(ge=0, le=1, description="share of parents (parent_age_min to infant_age_max) whose youngest is an infant")
    infant_share_other: float = Field(ge=0, le=1, description="share of other parents whose youngest is an infant")


class PeopleConfig(DemographyConfig):
    """The whole synthetic population of MODEL.md section 2."""

    income_median_urban: float = Field(ge=1 / MAX_FACTOR, le=MAX_FACTOR**2, description="yuan a year")
    income_urban_rural_ratio: float = Field(ge=1 / MAX_FACTOR, le=MAX_FACTOR)
    income_sigma: float = Field(gt=0, le=5, description="log-normal spread of income")
    occupation_income: dict[str, float] = Field(description="income multiplier of each occupation")
    occupations: list[OccupationBand] = Field(min_length=1, description="occupation shares by age band, youngest band first")
    children: ChildrenConfig
    platforms: PlatformConfig
    traits: dict[str, TraitConfig]

    @model_validator(mode="after")
    def _check_people(self):
        missing = set(TRAITS) - set(self.traits)
        extra = set(self.traits) - set(TRAITS)
        if missing or extra:
            from ..engine.config import did_you_mean

            if extra:
                k = sorted(extra)[0]
                raise ValueError(f"traits: unknown trait {k!r}{did_you_mean(k, TRAITS)}")
            raise ValueError(f"traits must define {sorted(missing)}")
        if set(self.occupation_income) != set(OCCUPATIONS):
            from ..engine.config import did_you_mean

            extra = sorted(set(self.occupation_income) - set(OCCUPATIONS))
            if extra:
                raise ValueError(f"occupation_income: unknown occupation {extra[0]!r}{did_you_mean(extra[0], OCCUPATIONS)}")
            raise ValueError(f"occupation_income must give every occupation: {list(OCCUPATIONS)}")
        for k, v in self.occupation_income.items():
            if not 1 / MAX_FACTOR <= v <= MAX_FACTOR:
                raise ValueError(f"occupation_income.{k}: expected a multiplier between {1 / MAX_FACTOR:g} and "
                                 f"{MAX_FACTOR:g} (got {v!r})")
        ages = [b.below for b in self.occupations]
        if ages != sorted(ages) or ages[-1] <= self.age_max:
            raise ValueError("occupations: bands must be listed youngest first, the last one covering age_max")
        if self.platforms.young_below <= self.age_min:
            raise ValueError("platforms.young_below must be above age_min")
        return self


def _odds_scale(p_target: float, mult: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Probabilities ``logistic(b + log(mult))`` for cells of citizens with multipliers ``mult``,
    whose mean over cells weighted by ``weight`` is ``p_target`` (``b`` by bisection)."""
    if p_target <= 0:
        return np.zeros_like(mult)
    if p_target >= 1:
        return np.ones_like(mult)
    lo, hi = -30.0, 30.0
    lm = np.log(mult)
    for _ in range(60):
        mid = (lo + hi) / 2
        if float((weight / (1 + np.exp(-(mid + lm)))).sum()) < p_target:
            lo = mid
        else:
            hi = mid
    return 1 / (1 + np.exp(-((lo + hi) / 2 + lm)))


class Demography(Module):
    """Age, sex, region and urban of each citizen (what a social graph is built from)."""

    name = "people"
    label = "citizens"
    Config = DemographyConfig

    def declare(self) -> None:
        self.stream()
        self.state("age", np.int16)
        self.state("male", bool)
        self.state("region", np.int16)
        self.state("urban", bool)

    @property
    def region_names(self) -> list[str]:
        return list(self.config.regions)

    def init(self, sim) -> None:
        cfg = self.config
        r, n = self.rng, sim.n
        old = r.uniform(0, "age.old", n=n) < cfg.share_60_plus
        young_age = cfg.age_min + np.floor(r.uniform(0, "age.young", n=n) * (OLD_AGE - cfg.age_min))
        span = max(cfg.age_max - OLD_AGE, 1)
        old_age = OLD_AGE + np.floor(span * (1 - np.sqrt(1 - r.uniform(0, "age.old_age", n=n))))
        self.age[:] = np.where(old, np.minimum(old_age, cfg.age_max), young_age)
        self.male[:] = r.uniform(0, "sex", n=n) < cfg.male_share
        w = np.array(list(cfg.regions.values()), float)
        cum = np.cumsum(w / w.sum())
        self.region[:] = np.minimum(np.searchsorted(cum, r.uniform(0, "region", n=n), side="right"), len(w) - 1)
        self.urban[:] = r.uniform(0, "urban", n=n) < cfg.urban_share

    @property
    def block(self) -> np.ndarray:
        """Stochastic-block id of each citizen: ``region * 2 + urban``."""
        return (self.region.astype(np.int32) * 2 + self.urban).astype(np.int32)

    @property
    def age_band(self) -> np.ndarray:
        """Index into :data:`AGE_BANDS`."""
        return np.searchsorted(_AGE_EDGES, self.age, side="right").astype(np.int8)

    def citizen_columns(self, sim) -> dict[str, np.ndarray]:
        return {"age": self.age, "age_band": np.asarray(AGE_BANDS, dtype=object)[self.age_band],
                "sex": np.where(self.male, "male", "female").astype(object),
                "region": np.asarray(self.region_names, dtype=object)[self.region], "urban": self.urban}


class People(Demography):
    """The synthetic citizens of MODEL.md section 2: demography, income, occupation, children,
    latent traits and platforms.

    >>> from scsim import load_scenario
    >>> cfg = load_scenario("article").people
    >>> sorted(cfg.traits) == sorted(TRAITS)
    True
    """

    Config = PeopleConfig

    def declare(self) -> None:
        super().declare()
        self.state("income", np.float32, label="yuan a year")
        self.state("occupation", np.int8)
        self.state("children", np.int8)
        self.state("infant", bool)
        for t in TRAITS:
            self.state(t, np.float32, label="latent trait in [0, 1]")
        for p in PLATFORMS:
            self.state(p, bool)

    def init(self, sim) -> None:
        super().init(sim)
        cfg = self.config
        r, n = self.rng, sim.n
        age = self.age
        # occupation by age band: one uniform, cut at the band's cumulative shares
        u = r.uniform(0, "occupation", n=n)
        occ = np.full(n, WORKER, np.int8)
        low = 0
        for band in cfg.occupations:
            inb = (age >= low) & (age < band.below)
            c = 0.0
            for name, share in band.shares.items():
                occ[inb & (u >= c) & (u < c + share)] = OCCUPATIONS.index(name)
                c += share
            low = band.below
        self.occupation[:] = occ
        # income: log-normal around the urban or rural median, times the occupation's multiplier
        mult = np.array([cfg.occupation_income[o] for o in OCCUPATIONS])[occ]
        median = np.where(self.urban, cfg.income_median_urban, cfg.income_median_urban / cfg.income_urban_rural_ratio)
        self.income[:] = median * mult * np.exp(cfg.income_sigma * r.normal(0, "income", n=n))
        # children and infants
        ch = cfg.children
        parent = (age >= ch.parent_age_min) & (age <= ch.parent_age_max)
        lam = np.where(parent, ch.mean, ch.mean_other)
        kids = np.minimum(r.poisson(lam, 0, "children"), ch.max)
        self.children[:] = kids
        p_inf = np.where((age >= ch.parent_age_min) & (age <= ch.infant_age_max), ch.infant_share, ch.infant_share_other)
        self.infant[:] = (kids > 0) & (r.uniform(0, "infant", n=n) < p_inf)
        for t in TRAITS:
            tc = cfg.traits[t]
            getattr(self, t)[:] = r.beta(0, f"trait.{t}", tc.a, tc.b, n=n)
        # platforms: base odds solved on the expected mix of (urban, young) cells
        pc = cfg.platforms
        p_young = (1 - cfg.share_60_plus) * min(max(pc.young_below - cfg.age_min, 0) / (OLD_AGE - cfg.age_min), 1.0)
        cells_urban = np.array([True, True, False, False])
        cells_young = np.array([True, False, True, False])
        weight = (np.where(cells_urban, cfg.urban_share, 1 - cfg.urban_share)
                  * np.where(cells_young, p_young, 1 - p_young))
        cell_mult = np.where(cells_urban, pc.urban_odds, 1.0) * np.where(cells_young, pc.young_odds, 1.0)
        cell = (~self.urban).astype(np.int64) * 2 + (age >= pc.young_below)
        for p in PLATFORMS:
            prob = _odds_scale(getattr(pc, p), cell_mult, weight)
            getattr(self, p)[:] = r.uniform(0, f"platform.{p}", n=n) < prob[cell]
        self.income_median = float(np.median(self.income)) if n else 0.0

    def restored(self, sim) -> None:
        self.income_median = float(np.median(self.income)) if sim.n else 0.0

    @property
    def traits(self) -> dict[str, np.ndarray]:
        return {t: getattr(self, t) for t in TRAITS}

    def trait(self, name: str) -> np.ndarray:
        return getattr(self, name)

    @property
    def income_quintile(self) -> np.ndarray:
        """1 (poorest fifth) to 5 (richest fifth)."""
        if self.income.size == 0:
            return np.zeros(0, np.int8)
        edges = np.quantile(self.income, [0.2, 0.4, 0.6, 0.8])
        return (np.searchsorted(edges, self.income, side="right") + 1).astype(np.int8)

    def citizen_columns(self, sim) -> dict[str, np.ndarray]:
        cols = super().citizen_columns(sim)
        cols.update({"income": self.income, "income_quintile": self.income_quintile,
                     "occupation": np.asarray(OCCUPATIONS, dtype=object)[self.occupation],
                     "children": self.children, "infant": self.infant})
        cols.update(self.traits)
        cols.update({p: getattr(self, p) for p in PLATFORMS})
        return cols
