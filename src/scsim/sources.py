"""The ten data sources (MODEL.md section 4).

Each source covers part of the population and, each tick, emits event counts per citizen. A source
here is one function that returns the *weekly rate* of each of its events for a block of citizens,
given their (latent) traits and their state: the system never sees traits, only the counts drawn
from these rates. Counts are Poisson; a split of one stream (posts into critical and neutral ones,
judgements into paid and unpaid ones) is drawn as independent Poisson streams, which is the same
in distribution.

Errors (MODEL.md section 4): an event attributed to the wrong citizen (``misattribution``, default
0.5%, to someone in the same region) or a false flag (``false_flags``, spurious events per covered
citizen per tick; for the social media monitor, neutral posts flagged as critical) lands on a
citizen who did nothing, and is kept apart from behaviour in every ledger.

Every rate, coefficient and threshold comes from the scenario's ``[sources.<name>]`` table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import ndtr

from .errors import ScenarioError
from .population import PROFESSIONAL, Population
from .scenario import SOURCES, SourceConfig

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
"""Events of each source. ``gaming.hours`` counts hours played (one event per hour)."""

DERIVED = {
    "gaming.idle_week": ("gaming.hours",),
    "social_media.flagged_post": ("social_media.critical_post", "social_media.neutral_post"),
}
"""Events computed from other counts of the same source (by :func:`derive`), and the counts they
need drawn per citizen; those inputs are measurements, not records the system keeps."""

UNSEEN = {"social_media.self_censored_post"}
"""Counted for the chilling measures, but never seen by the system: posts not written."""


def param(cfg: SourceConfig, source: str, key: str) -> float:
    """A required source parameter; a clear error if the scenario lacks it."""
    try:
        return cfg.params[key]
    except KeyError:
        raise ScenarioError(f"sources.{source}.params.{key}: required parameter is missing") from None


def rate(cfg: SourceConfig, source: str, event: str) -> float:
    return cfg.rates.get(event, 0.0)


@dataclass
class BlockView:
    """What a source may read about citizens ``lo:hi``: attributes, latent traits and state."""

    pop: Population
    lo: int
    hi: int
    income_eff: np.ndarray      # income after sanctions (job restrictions)
    blacklisted: np.ndarray
    slow_internet: np.ndarray
    loan_denied: np.ndarray
    dissent: np.ndarray         # current dissent (rebuke lowers it)
    censor: np.ndarray          # self-censorship in [0, 1]: share of critical posts not written
    purchase_boost: np.ndarray  # gaming the metric: extra rewarded purchases (>= 0)
    rating_bias: np.ndarray     # supervisor bias added to ratings
    trip_cut: float
    internet_cut: float
    loan_default_boost: float

    def t(self, name: str) -> np.ndarray:
        return self.pop.traits[name][self.lo:self.hi]

    def income_factor(self) -> np.ndarray:
        """Financial strain: sqrt(median income / effective income), in [0.3, 5]."""
        return np.clip(np.sqrt(self.pop.income_median / np.maximum(self.income_eff[self.lo:self.hi], 1.0)), 0.3, 5.0)

    def internet_factor(self) -> np.ndarray:
        return 1.0 - self.internet_cut * self.slow_internet[self.lo:self.hi]


# --- one function per source: weekly rates of its events for citizens lo:hi --------------------


def commerce(v: BlockView, c: SourceConfig) -> dict[str, np.ndarray]:
    """Alibaba purchases (Sesame's "what you buy"): diapers for parents of infants, games for the
    idle, alcohol for the imprudent, books for the diligent, luxury goods with income."""
    infant = v.pop.infant[v.lo:v.hi]
    boost = v.purchase_boost[v.lo:v.hi]
    return {
        "diapers": rate(c, "commerce", "diapers") * (np.where(infant, 1.0, param(c, "commerce", "diapers_without_infant")) + boost),
        "video_games": rate(c, "commerce", "video_games") * 2 * v.t("idleness"),
        "alcohol": rate(c, "commerce", "alcohol") * (1.5 - v.t("prudence")),
        "books": rate(c, "commerce", "books") * (2 * v.t("diligence") + boost),
        "luxury_goods": rate(c, "commerce", "luxury_goods") * v.income_eff[v.lo:v.hi] / v.pop.income_median,
        "daily_goods": np.full(v.hi - v.lo, rate(c, "commerce", "daily_goods")),
    }


def finance(v: BlockView, c: SourceConfig) -> dict[str, np.ndarray]:
    """Bills, loans and asset records (Sesame, the central bank): lateness grows with imprudence
    and financial strain; denied loans raise defaults; records of assets (homes, cars, deposits)
    grow with income and feed Sesame's identity dimension."""
    pru = v.t("prudence")
    strain = v.income_factor()
    denied = 1.0 + v.loan_default_boost * v.loan_denied[v.lo:v.hi]
    return {
        "bill_on_time": rate(c, "finance", "bill_on_time") * (0.5 + pru),
        "bill_late": rate(c, "finance", "bill_late") * (1.5 - pru) * strain,
        "loan_default": rate(c, "finance", "loan_default") * (1.5 - pru) * strain * denied,
        "asset_record": rate(c, "finance", "asset_record") * v.income_eff[v.lo:v.hi] / v.pop.income_median,
    }


def gaming(v: BlockView, c: SourceConfig) -> dict[str, np.ndarray]:
    """Tencent gaming hours per week: exp(k * idleness), cut by slow internet. A week over
    ``idle_hours`` (70: ten hours a day) marks the player as idle (derived below)."""
    hours = rate(c, "gaming", "hours") * np.exp(param(c, "gaming", "idleness_slope") * v.t("idleness"))
    return {"hours": np.minimum(hours, param(c, "gaming", "max_hours")) * v.internet_factor()}


def mobility(v: BlockView, c: SourceConfig) -> dict[str, np.ndarray]:
    """Trips and visits to flagged places ("where you go"); a travel ban cuts trips."""
    ban = 1.0 - v.trip_cut * v.blacklisted[v.lo:v.hi]
    return {
        "trips": rate(c, "mobility", "trips") * ban,
        "flagged_place_visit": rate(c, "mobility", "flagged_place_visit") * (0.5 + 2 * v.dissent[v.lo:v.hi]) * ban,
    }


def courts(v: BlockView, c: SourceConfig) -> dict[str, np.ndarray]:
    """Courts and local government: violations grow with imprudence, judgements with financial
    strain; a judgement is left unpaid with probability ``unpaid_share * strain`` (at most 1)."""
    imp = 1.5 - v.t("prudence")
    strain = v.income_factor()
    judg = rate(c, "courts", "court_judgement") * strain
    p_unpaid = np.minimum(param(c, "courts", "unpaid_share") * strain, 1.0)
    return {
        "traffic_violation": rate(c, "courts", "traffic_violation") * imp,
        "drunk_driving": rate(c, "courts", "drunk_driving") * imp,
        "criminal_conviction": rate(c, "courts", "criminal_conviction") * imp * strain,
        "court_judgement": judg * (1 - p_unpaid),
        "judgement_unpaid": judg * p_unpaid,
        "contract_breach": rate(c, "courts", "contract_breach") * strain,
        "private_lending_breach": rate(c, "courts", "private_lending_breach") * strain,
        "late_fees": rate(c, "courts", "late_fees") * strain,
    }


def ratings(v: BlockView, c: SourceConfig) -> dict[str, np.ndarray]:
    """Ratings agencies rate professionals' work 1-5 once every ``period`` ticks:
    rating = round(1 + 4*diligence + noise + supervisor bias), noise ~ N(0, ``noise``)."""
    per = rate(c, "ratings", "ratings")
    mean = 1 + 4 * v.t("diligence") + v.rating_bias[v.lo:v.hi]
    sd = param(c, "ratings", "noise")
    p_high = 1 - ndtr((3.5 - mean) / sd)
    p_low = ndtr((2.5 - mean) / sd)
    return {"rating_high": per * p_high, "rating_low": per * p_low, "rating_mid": per * (1 - p_high - p_low)}


def social_media(v: BlockView, c: SourceConfig) -> dict[str, np.ndarray]:
    """Posts, each supportive, neutral or critical. Critical posting grows with dissent and falls
    with self-censorship; slow internet cuts posting. The monitor flags critical posts with
    ``recall`` and neutral ones with ``false_positive`` (those flags are errors)."""
    posts = rate(c, "social_media", "posts") * (0.3 + 1.4 * v.t("sociability")) * v.internet_factor()
    p_crit = np.minimum(param(c, "social_media", "critical_base") + param(c, "social_media", "critical_dissent") * v.dissent[v.lo:v.hi], 0.95)
    p_sup = param(c, "social_media", "supportive_share") * (1 - p_crit)
    censor = v.censor[v.lo:v.hi]
    return {"supportive_post": posts * p_sup, "neutral_post": posts * (1 - p_crit - p_sup),
            "critical_post": posts * p_crit * (1 - censor), "self_censored_post": posts * p_crit * censor}


def clinics(v: BlockView, c: SourceConfig) -> dict[str, np.ndarray]:
    """Clinics and workplaces report women 18-49 "instructed to take birth control" who did not
    comply; more often with two or more children."""
    kids = v.pop.children[v.lo:v.hi]
    return {"noncompliance": rate(c, "clinics", "noncompliance") * (1 + param(c, "clinics", "two_children_factor") * (kids >= 2))}


def good_deeds(v: BlockView, c: SourceConfig) -> dict[str, np.ndarray]:
    """Volunteering, blood donation and heroic acts, recorded by local government."""
    soc = v.t("sociability")
    m = v.hi - v.lo
    return {
        "volunteering": rate(c, "good_deeds", "volunteering") * (0.5 + soc),
        "blood_donation": np.full(m, rate(c, "good_deeds", "blood_donation")),
        "heroic_act": np.full(m, rate(c, "good_deeds", "heroic_act")),
    }


def metadata(v: BlockView, c: SourceConfig) -> dict[str, np.ndarray]:
    """Telecom metadata: calls and co-locations along true ties (with sociability) and one-off
    calls with strangers (deliveries, wrong numbers). Pattern-of-life analysis reads these."""
    soc = v.t("sociability")
    m = v.hi - v.lo
    return {
        "calls": rate(c, "metadata", "calls") * (0.5 + soc),
        "stranger_calls": np.full(m, rate(c, "metadata", "stranger_calls")),
        "colocations": rate(c, "metadata", "colocations") * (0.5 + soc),
    }


RATES: dict[str, Callable[[BlockView, SourceConfig], dict[str, np.ndarray]]] = {
    "commerce": commerce, "finance": finance, "gaming": gaming, "mobility": mobility,
    "courts": courts, "ratings": ratings, "social_media": social_media, "clinics": clinics,
    "good_deeds": good_deeds, "metadata": metadata,
}
assert tuple(RATES) == SOURCES


def coverage(pop: Population, source: str) -> np.ndarray:
    """Who a source sees (MODEL.md section 4)."""
    p = pop.platforms
    if source == "commerce":
        return p["alibaba"]
    if source == "finance":
        return p["credit_record"] | p["alibaba"]
    if source == "gaming":
        return p["tencent"]
    if source in ("mobility", "metadata"):
        return p["phone"]
    if source == "ratings":
        return pop.occupation == PROFESSIONAL
    if source == "social_media":
        return p["internet"]
    if source == "clinics":
        return ~pop.male & (pop.age >= 18) & (pop.age <= 49)
    return np.ones(pop.n, bool)  # courts, good deeds


def derive(source: str, cfg: SourceConfig, counts: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Events computed from drawn counts: idle weeks from hours; monitor flags from posts.

    Returns ``{event: (behaviour, error)}`` for derived events.
    """
    out = {}
    if source == "gaming" and "hours" in counts:
        idle = (counts["hours"] > param(cfg, "gaming", "idle_hours")).astype(np.int32)
        out["idle_week"] = (idle, np.zeros_like(idle))
    if source == "social_media" and "critical_post" in counts:
        flagged = rng.binomial(counts["critical_post"], param(cfg, "social_media", "recall")).astype(np.int32)
        false = rng.binomial(counts["neutral_post"], param(cfg, "social_media", "false_positive")).astype(np.int32)
        out["flagged_post"] = (flagged, false)
    return out


def poisson(rng: np.random.Generator, lam: np.ndarray) -> np.ndarray:
    """Independent Poisson counts with rates ``lam`` (int32).

    Dense rates (mean above 0.1) use ``rng.poisson``. Sparse ones are drawn by superposition, the
    same distribution at about one draw per *event*: the block's events arrive as candidates at
    the top rate, each kept with probability ``lam_i / top`` (thinning); when rates are too uneven
    for that, the block total ``Poisson(sum lam)`` is spread in proportion to the rates.
    """
    m = lam.shape[0]
    counts = np.zeros(m, np.int32)
    if m == 0:
        return counts
    total = float(lam.sum(dtype=np.float64))
    if total > 0.1 * m:
        return rng.poisson(lam).astype(np.int32)
    if total <= 0:
        return counts
    top = float(lam.max())
    if top * m <= 4 * total:
        cand = rng.integers(0, m, rng.poisson(top * m))
        hit = cand[rng.random(cand.size) * top < lam[cand]]
    else:
        cum = np.cumsum(lam, dtype=np.float64)
        hit = np.minimum(np.searchsorted(cum, rng.random(rng.poisson(total)) * cum[-1], side="right"), m - 1)
    np.add.at(counts, hit, 1)
    return counts


def misattribute(rng: np.random.Generator, counts: np.ndarray, p: float) -> tuple[np.ndarray, np.ndarray]:
    """Take a ``p`` share of the events in ``counts`` away from the citizens who did them.

    Returns ``(kept_counts, taken_from)`` where ``taken_from`` holds one local index per taken
    event (the victim of the error is chosen by the caller).
    """
    total = int(counts.sum())
    if total == 0 or p <= 0:
        return counts, np.zeros(0, np.int64)
    k = int(rng.binomial(total, p))
    if k == 0:
        return counts, np.zeros(0, np.int64)
    pick = rng.choice(total, size=k, replace=False)
    owner = np.searchsorted(np.cumsum(counts, dtype=np.int64), pick, side="right")
    kept = counts - np.bincount(owner, minlength=counts.shape[0]).astype(counts.dtype)
    return kept, owner
