"""The ten data sources (MODEL.md section 4) and their errors.

Each source covers part of the population (:data:`COVERAGE`) and, each tick, emits event
counts per covered citizen: a Poisson count per citizen and event, drawn from the source's own
random stream (``sources.<source>``, one slot per event), so a citizen's counts depend only on
their own rates. A source here is one function returning the *weekly rate* of each of its
events for its covered citizens, given what they are (latent traits, income, children) and what
the system has done to them (sanctions, self-censorship, gaming, a supervisor's bias): the
system never sees traits, only the counts drawn from these rates.

Every coefficient comes from the scenario's ``[sources.<name>]`` table: ``rates`` (weekly base
rates), ``response`` (how a rate moves with a trait, with financial strain and with income:
``rate * (intercept + slope * trait) * strain**strain * (income / median)**income``), ``params``
(the source's own figures) and the errors. Financial strain is
``clip((median income / effective income) ** exponent, min, max)`` (``[sources.strain]``).

Errors (MODEL.md section 4) land on a citizen who did nothing and are kept apart from behaviour
in every ledger:

* **misattribution**: each recorded event is, with probability ``misattribution``, attributed to
  another citizen of the same region whom the source covers (never the one who did it);
* **false flags**: spurious events, ``false_flags.<event>`` per covered citizen per tick (misread
  plates); for the social media monitor, neutral posts flagged as critical
  (``params.false_positive``).

Derived events: ``gaming.idle_week`` (a week over ``idle_hours`` of play) and
``social_media.flagged_post`` (critical posts the monitor flags with ``recall``, and neutral ones
flagged by mistake). ``social_media.self_censored_post`` counts posts not written: the chilling
measures read it, the system never sees it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from pydantic import create_model
from scipy.special import ndtr

from ..engine.config import MAX_FACTOR, MAX_RATE, MAX_SCALE, Config, Field, Switchable, check_name, model_validator, needed
from ..engine.exchange import Groups
from ..engine.module import Module
from .people import PROFESSIONAL, TRAITS

SOURCES = ("commerce", "finance", "gaming", "mobility", "courts", "ratings", "social_media", "clinics",
           "good_deeds", "metadata")
"""The ten data sources of MODEL.md section 4, in the order they run each tick."""

EVENTS: dict[str, tuple[str, ...]] = {
    "commerce": ("diapers", "video_games", "alcohol", "books", "luxury_goods", "daily_goods"),
    "finance": ("bill_on_time", "bill_late", "loan_default", "asset_record"),
    "gaming": ("hours", "idle_week"),
    "mobility": ("trips", "flagged_place_visit"),
    "courts": ("traffic_violation", "drunk_driving", "criminal_conviction", "court_judgement",
               "judgement_unpaid", "contract_breach", "private_lending_breach", "late_fees"),
    "ratings": ("rating_high", "rating_low", "rating_mid"),
    "social_media": ("supportive_post", "neutral_post", "critical_post", "self_censored_post", "flagged_post"),
    "clinics": ("noncompliance",),
    "good_deeds": ("volunteering", "blood_donation", "heroic_act"),
    "metadata": ("calls", "stranger_calls", "colocations"),
}
"""Events of each source: the catalogue rules are checked against. ``gaming.hours`` counts
hours played (one event per hour)."""

CATALOGUE = tuple(f"{s}.{e}" for s in SOURCES for e in EVENTS[s])
"""Every ``source.event`` a rule may score."""

RATE_KEYS: dict[str, tuple[str, ...]] = {
    "commerce": EVENTS["commerce"],
    "finance": EVENTS["finance"],
    "gaming": ("hours",),
    "mobility": EVENTS["mobility"],
    "courts": ("traffic_violation", "drunk_driving", "criminal_conviction", "court_judgement", "contract_breach",
               "private_lending_breach", "late_fees"),
    "ratings": ("ratings",),
    "social_media": ("posts",),
    "clinics": EVENTS["clinics"],
    "good_deeds": EVENTS["good_deeds"],
    "metadata": EVENTS["metadata"],
}
"""The base rates each source's ``rates`` table must give (``ratings``: ratings per week;
``posts``: posts per week, split into supportive, neutral and critical ones)."""

DERIVED = {
    "gaming.idle_week": ("gaming.hours",),
    "social_media.flagged_post": ("social_media.critical_post", "social_media.neutral_post"),
}
"""Events computed from other counts of the same source, and the counts they need drawn per
citizen; those inputs are measurements, not records the system keeps."""

UNSEEN = {"social_media.self_censored_post"}
"""Counted for the chilling measures, but never seen by the system: posts not written."""

COVERAGE = {
    "commerce": "Alibaba users", "finance": "citizens with a credit record or an Alibaba account",
    "gaming": "Tencent users", "mobility": "phone owners", "courts": "everyone",
    "ratings": "professionals (rated by agencies)", "social_media": "internet users",
    "clinics": "women of the ages params.age_min to params.age_max", "good_deeds": "everyone",
    "metadata": "phone owners",
}
"""Who each source sees (MODEL.md section 4)."""


# ---------------------------------------------------------------------------------------------
# configuration


class Response(Config):
    """How a base rate moves: ``(intercept + slope * trait) * strain**strain * income**income``
    (``income``: effective income over the median). Without a response the rate is constant."""

    trait: str | None = Field(None, description="latent trait the rate follows (dissent: the current disposition)")
    intercept: float = Field(1.0, ge=0, le=MAX_FACTOR, description="factor at trait 0")
    slope: float = Field(0.0, ge=-MAX_FACTOR, le=MAX_FACTOR, description="change of the factor per unit of the trait")
    strain: float = Field(0.0, ge=-5, le=5, description="power of financial strain")
    income: float = Field(0.0, ge=-5, le=5, description="power of effective income over the median")

    @model_validator(mode="after")
    def _check(self):
        if self.trait is not None:
            check_name(self.trait, TRAITS, "trait")
        elif self.slope != 0:
            raise ValueError("slope needs a trait")
        if self.intercept + self.slope < 0:  # a trait lies in [0, 1]: the factor is never negative
            raise ValueError(f"intercept + slope must not be negative (the factor at trait 1 would be a negative "
                             f"rate; got {self.intercept:g} + {self.slope:g})")
        return self

    def peak(self) -> float:
        """The largest factor ``intercept + slope * trait`` over traits in [0, 1]."""
        return max(self.intercept, self.intercept + self.slope) if self.trait is not None else self.intercept


class StrainConfig(Config):
    """Financial strain ``clip((median income / effective income) ** exponent, min, max)``."""

    exponent: float = Field(ge=0, le=5)
    min: float = Field(ge=1 / MAX_FACTOR, le=MAX_FACTOR)
    max: float = Field(ge=1 / MAX_FACTOR, le=MAX_FACTOR)

    @model_validator(mode="after")
    def _check(self):
        if self.max < self.min:
            raise ValueError("max must be at least min")
        return self


def _table(name: str, keys: tuple[str, ...], typ, required: bool, doc: str, **constraints):
    fields = {k: ((typ, Field(..., **constraints)) if required else (typ | None, Field(None, **constraints)))
              for k in keys}
    model = create_model(name, __base__=Config, **fields)
    model.__doc__ = doc
    return model


class CommerceParams(Config):
    diapers_without_infant: float = Field(ge=0, le=MAX_FACTOR, description="diaper purchases of a citizen without an infant, relative to a parent of one")


class GamingParams(Config):
    idleness_slope: float = Field(ge=-math.log(MAX_FACTOR), le=math.log(MAX_FACTOR),
                                  description="hours played grow as exp(idleness_slope * idleness)")
    max_hours: float = Field(gt=0, le=168, description="mean hours a week at most")
    idle_hours: float = Field(ge=0, le=168, description="a week over this many hours marks the player idle")


class CourtsParams(Config):
    unpaid_share: float = Field(ge=0, le=1, description="share of judgements left unpaid at median income (times strain, at most 1)")


class RatingsParams(Config):
    noise: float = Field(ge=1 / MAX_FACTOR, le=MAX_SCALE, description="sd of a rating around the rated one's true performance")
    true_intercept: float = Field(ge=-MAX_SCALE, le=MAX_SCALE, description="true performance = true_intercept + true_slope * diligence (1-5 scale)")
    true_slope: float = Field(ge=-MAX_SCALE, le=MAX_SCALE, description="see true_intercept")
    high_above: float = Field(ge=-MAX_SCALE, le=MAX_SCALE, description="a rating above this is high")
    low_below: float = Field(ge=-MAX_SCALE, le=MAX_SCALE, description="a rating below this is low")

    @model_validator(mode="after")
    def _check(self):
        if self.low_below > self.high_above:
            raise ValueError("low_below must not exceed high_above")
        return self


class SocialMediaParams(Config):
    critical_base: float = Field(ge=0, le=1, description="share of posts that are critical at dissent 0")
    critical_dissent: float = Field(ge=0, le=MAX_FACTOR, description="added share of critical posts per unit of dissent")
    critical_max: float = Field(ge=0, le=1, description="largest share of posts that are critical")
    supportive_share: float = Field(ge=0, le=1, description="share of the other posts that are supportive")
    recall: float = Field(ge=0, le=1, description="share of critical posts the monitor flags")
    false_positive: float = Field(ge=0, le=1, description="share of neutral posts the monitor flags (errors)")


class ClinicsParams(Config):
    two_children_factor: float = Field(ge=0, le=MAX_FACTOR, description="added reports (relative) for women with two or more children")
    age_min: int = Field(ge=0, le=120, description="youngest woman the clinics report on")
    age_max: int = Field(ge=0, le=120, description="oldest woman the clinics report on")

    @model_validator(mode="after")
    def _check(self):
        if self.age_max < self.age_min:
            raise ValueError("age_max must be at least age_min")
        return self


PARAMS: dict[str, type[Config]] = {"commerce": CommerceParams, "gaming": GamingParams, "courts": CourtsParams,
                                   "ratings": RatingsParams, "social_media": SocialMediaParams, "clinics": ClinicsParams}


def _source_config(src: str) -> type[Config]:
    title = "".join(w.capitalize() for w in src.split("_"))
    rates = _table(f"{title}Rates", RATE_KEYS[src], float, True, f"Weekly base rates of {src} per covered citizen.",
                   ge=0, le=MAX_RATE)
    response = _table(f"{title}Response", RATE_KEYS[src], Response, False, f"How the {src} rates respond.")
    flags = _table(f"{title}FalseFlags", EVENTS[src], float, False,
                   f"Spurious {src} events per covered citizen per tick (errors).", ge=0, le=MAX_RATE)
    fields: dict = {
        "misattribution": (float | None, needed(ge=0, le=1, description="share of recorded events attributed to another covered citizen of the region")),
        "rates": (rates | None, needed()),
        "response": (response, Field(default_factory=response)),
        "false_flags": (flags, Field(default_factory=flags)),
    }
    if src in PARAMS:
        fields["params"] = (PARAMS[src] | None, needed())
    model = create_model(f"{title}Config", __base__=Switchable, **fields)
    model.__doc__ = f"The {src} source: covers {COVERAGE[src]}."
    return model


SOURCE_CONFIGS: dict[str, type[Config]] = {s: _source_config(s) for s in SOURCES}


def peak_rates(cfg, boost: float = 0.0, default_boost: float = 0.0):
    """``(source, key, rate)``: the highest weekly rate per covered citizen each base rate of an
    enabled source can reach, before the income response (which depends on the citizens drawn):
    the rate times the largest factor of its response over traits in [0, 1] and strains in
    ``[strain.min, strain.max]``, times the source's own multipliers, the purchases of citizens
    gaming the metric (``boost``) and the defaults of denied loans (``default_boost``)."""
    st = cfg.strain
    for s in SOURCES:
        c = getattr(cfg, s)
        if not c.enabled or c.rates is None:
            continue
        for k in RATE_KEYS[s]:
            r = getattr(c.response, k)
            f = 1.0
            if r is not None:
                f = r.peak()
                if r.strain:
                    f *= max(st.min ** r.strain, st.max ** r.strain)
            rate = getattr(c.rates, k)
            p = getattr(c, "params", None)
            if s == "commerce" and k == "diapers" and p is not None:
                peak = rate * (max(1.0, p.diapers_without_infant) * f + boost)
            elif s == "commerce" and k == "books":
                peak = rate * (f + boost)
            elif s == "finance" and k == "loan_default":
                peak = rate * f * (1 + default_boost)
            elif s == "gaming" and p is not None:
                peak = min(rate * max(1.0, math.exp(p.idleness_slope)), p.max_hours) * f
            elif s == "clinics" and p is not None:
                peak = rate * f * (1 + p.two_children_factor)
            else:
                peak = rate * f
            yield s, k, peak


def check_peak_rates(cfg, boost: float = 0.0, default_boost: float = 0.0, prefix: str = "", why: str = "") -> None:
    """Refuse a base rate that can reach more than :data:`MAX_RATE` events per citizen a week."""
    for s, k, peak in peak_rates(cfg, boost, default_boost):
        if not peak <= MAX_RATE:
            raise ValueError(f"{prefix}{s}.rates.{k}: the weekly rate can reach {peak:.3g} events per citizen with its "
                             f"response{why} (at most {MAX_RATE:g}); lower the rate or its response")


class _SourcesBase(Config):
    @model_validator(mode="after")
    def _peaks(self):
        check_peak_rates(self)
        return self


SourcesConfig = create_model(
    "SourcesConfig", __base__=_SourcesBase,
    strain=(StrainConfig, Field(...)),
    **{s: (SOURCE_CONFIGS[s], Field(default_factory=SOURCE_CONFIGS[s])) for s in SOURCES})
SourcesConfig.__doc__ = ("The ten data sources (MODEL.md section 4) and the financial strain they share; a "
                         "source runs when its table says enabled = true.")


# ---------------------------------------------------------------------------------------------
# what a source sees of its covered citizens


@dataclass
class View:
    """What a source may read about its covered citizens ``ids`` this tick."""

    sim: object
    ids: np.ndarray
    cache: dict = field(default_factory=dict)

    def __post_init__(self):
        ids = self.ids
        # consecutive ids (a source that covers everyone): read slices, not copies
        self._slice = slice(int(ids[0]), int(ids[-1]) + 1) if ids.size and int(ids[-1]) - int(ids[0]) + 1 == ids.size else None

    def get(self, arr: np.ndarray) -> np.ndarray:
        return arr[self._slice] if self._slice is not None else arr[self.ids]

    def trait(self, name: str) -> np.ndarray:
        if name not in self.cache:
            rebuke = self.sim.modules.get("rebuke")
            src = rebuke.dissent if name == "dissent" and rebuke is not None else self.sim.people.trait(name)
            self.cache[name] = self.get(src)
        return self.cache[name]

    def income_ratio(self) -> np.ndarray:
        """Effective income (after job restrictions and collective rewards) over the median."""
        if "income" not in self.cache:
            s = self.sim
            inc = self.get(s.people.income) * self.get(s.sanctions.income_factor) * self.get(s.groups.income_factor)
            inc *= np.float32(1.0 / s.people.income_median)
            self.cache["income"] = inc
        return self.cache["income"]

    def strain(self, cfg: StrainConfig) -> np.ndarray:
        if "strain" not in self.cache:
            r = np.maximum(self.income_ratio(), np.float32(1e-6))
            if cfg.exponent == 0.5:
                st = np.reciprocal(np.sqrt(r))
            else:
                st = r ** np.float32(-cfg.exponent)
            self.cache["strain"] = np.clip(st, cfg.min, cfg.max).astype(np.float32, copy=False)
        return self.cache["strain"]

    def purchase_boost(self) -> np.ndarray | float:
        g = self.sim.modules.get("gaming")
        return self.get(g.purchase_boost) if g is not None else np.float32(0)

    def censor(self) -> np.ndarray | float:
        c = self.sim.modules.get("censorship")
        return self.get(c.censor) if c is not None else np.float32(0)


def _power(x: np.ndarray, p: float) -> np.ndarray:
    return x if p == 1 else (x * x if p == 2 else x ** np.float32(p))


def respond(v: View, strain: StrainConfig, resp, key: str) -> np.ndarray | float:
    """The factor ``rates.<key>`` is multiplied by (1.0 without a response)."""
    r = getattr(resp, key)
    if r is None:
        return 1.0
    f = np.float32(r.intercept)
    if r.trait is not None and r.slope != 0:
        f = np.float32(r.slope) * v.trait(r.trait)
        if r.intercept:
            f += np.float32(r.intercept)
    if r.strain:
        f = f * _power(v.strain(strain), r.strain)
    if r.income:
        f = f * _power(v.income_ratio(), r.income)
    return f


def _full(x, m: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(x, np.float32), (m,)).astype(np.float32)


# --- one function per source: weekly rates of its events for its covered citizens -------------


def commerce(v: View, c, st: StrainConfig) -> dict[str, np.ndarray]:
    """Alibaba purchases (Sesame's "what you buy"): diapers for parents of infants, games for the
    idle, alcohol for the imprudent, books for the diligent, luxury goods with income. Gaming the
    metric adds rewarded purchases (diapers, books) in units of their base rate."""
    m = v.ids.size
    rt, rs = c.rates, c.response
    boost = v.purchase_boost()
    infant = np.where(v.get(v.sim.people.infant), np.float32(1), np.float32(c.params.diapers_without_infant))
    out = {k: _full(getattr(rt, k) * respond(v, st, rs, k), m) for k in RATE_KEYS["commerce"]}
    out["diapers"] = np.float32(rt.diapers) * (infant * respond(v, st, rs, "diapers") + boost)
    out["books"] = np.float32(rt.books) * (respond(v, st, rs, "books") + boost)
    return out


def finance(v: View, c, st: StrainConfig) -> dict[str, np.ndarray]:
    """Bills, loans and asset records (Sesame, the central bank). Denied loans raise defaults
    (the sanctions' credit factor)."""
    m = v.ids.size
    out = {k: _full(getattr(c.rates, k) * respond(v, st, c.response, k), m) for k in RATE_KEYS["finance"]}
    out["loan_default"] = out["loan_default"] * v.get(v.sim.sanctions.default_factor())
    return out


def gaming(v: View, c, st: StrainConfig) -> dict[str, np.ndarray]:
    """Tencent gaming hours per week: ``rate * exp(idleness_slope * idleness)`` (at most
    ``max_hours``), cut by slow internet. A week over ``idle_hours`` marks the player idle."""
    p = c.params
    hours = np.float32(c.rates.hours) * np.exp(np.float32(p.idleness_slope) * v.trait("idleness"))
    hours = np.minimum(hours, np.float32(p.max_hours)) * respond(v, st, c.response, "hours")
    return {"hours": (hours * v.get(v.sim.sanctions.internet_factor())).astype(np.float32)}


def mobility(v: View, c, st: StrainConfig) -> dict[str, np.ndarray]:
    """Trips and visits to flagged places ("where you go"); a travel ban cuts both."""
    m = v.ids.size
    ban = v.get(v.sim.sanctions.travel_factor())
    return {k: _full(getattr(c.rates, k) * respond(v, st, c.response, k), m) * ban for k in RATE_KEYS["mobility"]}


def courts(v: View, c, st: StrainConfig) -> dict[str, np.ndarray]:
    """Courts and local government: violations, convictions, judgements and fees. A judgement is
    left unpaid with probability ``unpaid_share * strain`` (at most 1): paid and unpaid ones are
    two Poisson streams."""
    m = v.ids.size
    out = {k: _full(getattr(c.rates, k) * respond(v, st, c.response, k), m) for k in RATE_KEYS["courts"]}
    p_unpaid = np.minimum(np.float32(c.params.unpaid_share) * v.strain(st), np.float32(1))
    judg = out.pop("court_judgement")
    out["court_judgement"] = judg * (1 - p_unpaid)
    out["judgement_unpaid"] = judg * p_unpaid
    return out


def ratings(v: View, c, st: StrainConfig) -> dict[str, np.ndarray]:
    """Ratings agencies rate professionals' work, ``rates.ratings`` times a week: the rating is
    the true performance ``true_intercept + true_slope * diligence``, plus the supervisor's
    bias, plus N(0, noise); high above ``high_above``, low below ``low_below``."""
    p = c.params
    per = np.float32(c.rates.ratings) * respond(v, st, c.response, "ratings")
    mean = np.float32(p.true_intercept) + np.float32(p.true_slope) * v.trait("diligence") + v.get(v.sim.groups.rating_bias)
    p_high = (1 - ndtr((p.high_above - mean) / p.noise)).astype(np.float32)
    p_low = ndtr((p.low_below - mean) / p.noise).astype(np.float32)
    m = v.ids.size
    return {"rating_high": _full(per * p_high, m), "rating_low": _full(per * p_low, m),
            "rating_mid": _full(per * np.maximum(1 - p_high - p_low, 0), m)}


def social_media(v: View, c, st: StrainConfig) -> dict[str, np.ndarray]:
    """Posts, each supportive, neutral or critical. Critical posting grows with dissent and falls
    with self-censorship; slow internet cuts posting. The monitor's flags are derived later."""
    p = c.params
    m = v.ids.size
    posts = _full(np.float32(c.rates.posts) * respond(v, st, c.response, "posts"), m) * v.get(v.sim.sanctions.internet_factor())
    p_crit = np.minimum(np.float32(p.critical_base) + np.float32(p.critical_dissent) * v.trait("dissent"),
                        np.float32(p.critical_max))
    p_sup = np.float32(p.supportive_share) * (1 - p_crit)
    censor = v.censor()
    return {"supportive_post": posts * p_sup, "neutral_post": posts * (1 - p_crit - p_sup),
            "critical_post": posts * p_crit * (1 - censor), "self_censored_post": posts * p_crit * censor}


def clinics(v: View, c, st: StrainConfig) -> dict[str, np.ndarray]:
    """Clinics and workplaces report women "instructed to take birth control" who did not
    comply; more often with two or more children."""
    kids = v.get(v.sim.people.children)
    base = np.float32(c.rates.noncompliance) * respond(v, st, c.response, "noncompliance")
    return {"noncompliance": _full(base * (1 + np.float32(c.params.two_children_factor) * (kids >= 2)), v.ids.size)}


def good_deeds(v: View, c, st: StrainConfig) -> dict[str, np.ndarray]:
    """Volunteering, blood donation and heroic acts, recorded by local government."""
    return {k: _full(getattr(c.rates, k) * respond(v, st, c.response, k), v.ids.size) for k in RATE_KEYS["good_deeds"]}


def metadata(v: View, c, st: StrainConfig) -> dict[str, np.ndarray]:
    """Telecom metadata: calls and co-locations along true ties and one-off calls with
    strangers. Pattern-of-life analysis (:mod:`scsim.mechanisms.surveillance`) reads these rates."""
    return {k: _full(getattr(c.rates, k) * respond(v, st, c.response, k), v.ids.size) for k in RATE_KEYS["metadata"]}


RATES: dict[str, Callable] = {
    "commerce": commerce, "finance": finance, "gaming": gaming, "mobility": mobility, "courts": courts,
    "ratings": ratings, "social_media": social_media, "clinics": clinics, "good_deeds": good_deeds,
    "metadata": metadata,
}


def coverage(sim, source: str, cfg=None) -> np.ndarray:
    """Who ``source`` sees (MODEL.md section 4): a mask over citizens."""
    p = sim.people
    if source == "commerce":
        return p.alibaba.copy()
    if source == "finance":
        return p.credit_record | p.alibaba
    if source == "gaming":
        return p.tencent.copy()
    if source in ("mobility", "metadata"):
        return p.phone.copy()
    if source == "ratings":
        return p.occupation == PROFESSIONAL
    if source == "social_media":
        return p.internet.copy()
    if source == "clinics":
        c = cfg.params if cfg is not None else None
        if c is None:  # the source is off: it sees no one
            return np.zeros(sim.n, bool)
        return ~p.male & (p.age >= c.age_min) & (p.age <= c.age_max)
    return np.ones(sim.n, bool)  # courts, good deeds


# ---------------------------------------------------------------------------------------------
# the module


@dataclass
class Record:
    """One event's counts this tick, sparse and sorted by citizen id: ``behaviour`` (true events,
    rightly attributed) and ``error`` (misattributed to them, or false flags)."""

    beh_ids: np.ndarray
    beh: np.ndarray
    err_ids: np.ndarray
    err: np.ndarray

    def dense(self, n: int, which: str = "both") -> np.ndarray:
        out = np.zeros(n, np.int32)
        if which in ("both", "behaviour"):
            out[self.beh_ids] += self.beh
        if which in ("both", "error"):
            out[self.err_ids] += self.err
        return out

    @classmethod
    def empty(cls) -> "Record":
        z = np.zeros(0, np.int64)
        return cls(z, z.astype(np.int32), z, z.astype(np.int32))


class Sources(Module):
    """The ten data sources: each tick, every enabled source draws its covered citizens' events
    and errors; :attr:`records` holds this tick's counts of every event the system records."""

    name = "sources"
    label = "data sources"
    Config = SourcesConfig

    def __init__(self, config=None, *, recorded: tuple[str, ...] = (), **kw):
        self.recorded = frozenset(recorded)
        super().__init__(config, **kw)

    def declare(self) -> None:
        for s in SOURCES:
            self.stream(s)
            self.column(f"events_{s}", f"events seen by {s.replace('_', ' ')}", "events per week",
                        f"true events the {s.replace('_', ' ')} source saw this tick, whoever they were attributed to")
        self.column("error_events", "events landing on the wrong citizen", "events per week",
                    "misattributed events and false flags, all sources")
        self.column("critical_posts", "critical posts written", "posts per week")
        self.column("self_censored_posts", "critical posts left unwritten (self-censorship)", "posts per week")
        self.column("flagged_posts", "posts the monitor flagged", "posts per week", "true and false flags")
        # what is drawn per citizen: the recorded events and the inputs of the derived ones
        self.needed = set(self.recorded)
        for ev in self.recorded:
            self.needed |= set(DERIVED.get(ev, ()))

    def cfg(self, source: str):
        return getattr(self.config, source)

    @property
    def active(self) -> list[str]:
        return [s for s in SOURCES if self.cfg(s).enabled]

    def covered_mask(self, sim, source: str) -> np.ndarray:
        return coverage(sim, source, self.cfg(source))

    def init(self, sim) -> None:
        reg = sim.people.region
        k = len(sim.people.region_names)
        self.covered: dict[str, np.ndarray] = {}
        self.groups: dict[str, Groups] = {}
        for s in SOURCES:
            mask = self.covered_mask(sim, s)
            self.covered[s] = np.flatnonzero(mask).astype(np.int64)
            self.groups[s] = Groups.of(reg, k, mask)
        self.records: dict[str, Record] = {}
        self.totals: dict[str, int] = {}
        self.counts = {s: (0, 0) for s in SOURCES}

    def record(self, key: str) -> Record:
        """This tick's counts of the recorded event ``key`` (``source.event``)."""
        return self.records.get(key) or Record.empty()

    def step(self, sim, t: int) -> None:
        self.records = {}
        self.totals = {}
        self.counts = {s: (0, 0) for s in SOURCES}
        chunk = sim.scenario.engine.chunk_size
        for s in self.active:
            ids_all = self.covered[s]
            parts: list[dict] = []
            for c0 in range(0, ids_all.size, chunk):
                parts.append(self._draw(sim, s, t, ids_all[c0:c0 + chunk]))
            self._collect(sim, s, t, parts)

    def _draw(self, sim, s: str, t: int, ids: np.ndarray) -> dict:
        """One source, one chunk of its covered citizens: rates, counts, derived events, false
        flags. Returns per event the sparse ``(positions in ids, counts)`` of behaviour and of
        errors, and the totals."""
        cfg = self.cfg(s)
        rng = self.rngs[s]
        rates = RATES[s](View(sim, ids), cfg, self.config.strain)
        beh: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        err: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        totals: dict[str, int] = {}
        for ev, lam in rates.items():
            key = f"{s}.{ev}"
            pos, c = rng.poisson_sparse(lam, t, ev, ids=ids)
            totals[key] = int(c.sum(dtype=np.int64))
            if key in self.needed:
                beh[ev] = (pos, c)
        del rates
        # derived events
        if s == "gaming" and "hours" in beh:
            pos, c = beh["hours"]
            idle = c > cfg.params.idle_hours
            beh["idle_week"] = (pos[idle], np.ones(int(idle.sum()), np.int32))
            totals["gaming.idle_week"] = int(idle.sum())
        if s == "social_media" and "critical_post" in beh:
            pos, c = beh["critical_post"]
            _, flagged = rng.thin(c, cfg.params.recall, t, "flag.critical", ids=ids[pos])
            nz = flagged > 0
            beh["flagged_post"] = (pos[nz], flagged[nz])
            pos, c = beh["neutral_post"]
            _, false = rng.thin(c, cfg.params.false_positive, t, "flag.neutral", ids=ids[pos])
            nz = false > 0
            err["flagged_post"] = (pos[nz], false[nz])
            totals["social_media.flagged_post"] = int(flagged.sum())
            totals["social_media.flagged_post:error"] = int(false.sum())
        # false flags: spurious events per covered citizen
        for ev, r in cfg.false_flags.model_dump().items():
            if r:
                pos, c = rng.poisson_sparse(np.full(ids.size, r, np.float32), t, f"{ev}:false", ids=ids)
                if ev in err:
                    i, c2 = _merge([ids[err[ev][0]], ids[pos]], [err[ev][1], c])
                    pos, c = np.searchsorted(ids, i), c2
                err[ev] = (pos, c)
                totals[f"{s}.{ev}:error"] = totals.get(f"{s}.{ev}:error", 0) + int(c.sum(dtype=np.int64))
        return {"ids": ids, "beh": beh, "err": err, "totals": totals}

    def _collect(self, sim, s: str, t: int, parts: list[dict]) -> None:
        """Misattribute the recorded events, then keep this tick's records and totals of ``s``."""
        cfg = self.cfg(s)
        rng = self.rngs[s]
        reg = sim.people.region
        for part in parts:
            for key, k in part["totals"].items():
                self.totals[key] = self.totals.get(key, 0) + k
        events = sorted({ev for p in parts for ev in p["beh"]} | {ev for p in parts for ev in p["err"]})
        for ev in events:
            key = f"{s}.{ev}"
            if key not in self.recorded:
                continue
            b_ids, b_cnt, e_ids, e_cnt, movers, moved = [], [], [], [], [], []
            for p in parts:
                ids = p["ids"]
                if ev in p["beh"]:
                    pos, c = p["beh"][ev]
                    gid = ids[pos]
                    if cfg.misattribution > 0 and gid.size:
                        c, mv = rng.thin(c, cfg.misattribution, t, f"{ev}:moved", ids=gid)
                        nz = mv > 0
                        movers.append(gid[nz])
                        moved.append(mv[nz])
                        keep = c > 0
                        gid, c = gid[keep], c[keep]
                    b_ids.append(gid)
                    b_cnt.append(c)
                if ev in p["err"]:
                    pos, c = p["err"][ev]
                    e_ids.append(ids[pos])
                    e_cnt.append(c)
            # misattributed events land on another covered citizen of the actor's region
            who = np.concatenate(movers) if movers else np.zeros(0, np.int64)
            if who.size:
                k = np.concatenate(moved).astype(np.int64)
                u = rng.each(t, f"{ev}:victim", k, ids=who)
                actor = np.repeat(who, k)
                victim = sim.exchange.pick(self.groups[s], reg[actor], u, avoid=actor)
                victim = victim[victim >= 0]
                self.totals[f"{key}:error"] = self.totals.get(f"{key}:error", 0) + int(victim.size)
                if victim.size:
                    vi, vc = sim.exchange.tally(victim)
                    e_ids.append(vi)
                    e_cnt.append(vc)
            self.records[key] = Record(*_cat(b_ids, b_cnt), *_merge(e_ids, e_cnt))
        pre = f"{s}."
        seen = sum(k for key, k in self.totals.items() if key.startswith(pre) and not key.endswith(":error")
                   and key not in UNSEEN)
        errors = sum(k for key, k in self.totals.items() if key.startswith(pre) and key.endswith(":error"))
        self.counts[s] = (seen, errors)

    def measure(self, sim, t: int) -> dict:
        row: dict = {f"events_{s}": int(self.counts[s][0]) for s in SOURCES}
        row["error_events"] = int(sum(e for _, e in self.counts.values()))
        tot = self.totals
        row["critical_posts"] = int(tot.get("social_media.critical_post", 0))
        row["self_censored_posts"] = int(tot.get("social_media.self_censored_post", 0))
        row["flagged_posts"] = int(tot.get("social_media.flagged_post", 0) + tot.get("social_media.flagged_post:error", 0))
        return row


def _cat(ids: list, counts: list) -> tuple[np.ndarray, np.ndarray]:
    if not ids:
        return np.zeros(0, np.int64), np.zeros(0, np.int32)
    return np.concatenate(ids), np.concatenate(counts)


def _merge(ids: list, counts: list) -> tuple[np.ndarray, np.ndarray]:
    """Sparse counts summed by id (sorted)."""
    if not ids:
        return np.zeros(0, np.int64), np.zeros(0, np.int32)
    i = np.concatenate(ids)
    c = np.concatenate(counts)
    if i.size == 0:
        return i.astype(np.int64), c.astype(np.int32)
    u, inv = np.unique(i, return_inverse=True)
    return u.astype(np.int64), np.bincount(inv, weights=c, minlength=u.size).astype(np.int32)
