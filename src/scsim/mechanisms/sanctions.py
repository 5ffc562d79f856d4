"""Tiers, benefits and sanctions (MODEL.md section 6), and every feedback of sanctions.

* **Tiers**: the scenario's bands (Sesame: poor, fair, good, very good, excellent; Rongcheng's
  grades D..AAA), each with its lowest score.
* **Perks**: each perk has a minimum score (deposit-free bikes at 600, rentals at 650, visas at
  700 and 750).
* **Low-tier sanctions**: slower internet, job restrictions and denied loans below thresholds.
* **Blacklist** of dishonest judgement debtors: listed when a court judgement is left unpaid, for
  ``duration`` ticks (2 years); a repeat offence adds ``repeat_extension_min..max`` ticks, to at
  most ``max_duration`` (5 years); a listed debtor pays with a weekly probability that grows with
  income and is removed the same tick. Listed citizens suffer the scenario's ``bans`` (flights,
  high-speed rail, star hotels, private schools for their children, executive posts, bank loans).
* **Feedback**, all of it here: job restrictions cut income (:attr:`Sanctions.income_factor`,
  which raises financial strain, hence late payments, next tick), travel bans cut trips
  (:meth:`travel_factor`), slow internet cuts posting and gaming (:meth:`internet_factor`),
  denied loans raise defaults (:meth:`default_factor`). The sources read these.

A control twin (``system = false``) computes tiers in the shadow but applies no perk or sanction.

What a tier, a perk or a sanction means, and why a citizen has one, is answered here and only
here (:meth:`Sanctions.tier_of`, :meth:`perks_and_sanctions`): the explanation, the dashboard and
the report call these.
"""
from __future__ import annotations

import numpy as np

from ..engine.config import MAX_FACTOR, MAX_NAMES, MAX_SCALE, MAX_TICKS, Config, Field, model_validator
from ..engine.module import Module


class TierConfig(Config):
    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_+\-]+$")
    min: float = Field(ge=-MAX_SCALE, le=MAX_SCALE, description="lowest score of the tier")


class PerkConfig(Config):
    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_+\-]+$")
    min_score: float = Field(ge=-MAX_SCALE, le=MAX_SCALE)
    description: str = ""


def check_tiers(tiers: list[TierConfig]) -> None:
    """Tiers are listed lowest first, under distinct names (each names a column), and fit their
    8-bit index."""
    mins = [t.min for t in tiers]
    if mins != sorted(mins):
        raise ValueError("tiers must be listed from the lowest min to the highest")
    names = [t.name for t in tiers]
    if len(set(names)) != len(names):
        dup = next(n for i, n in enumerate(names) if n in names[:i])
        raise ValueError(f"tiers: two tiers share the name {dup!r}")
    if len(tiers) > MAX_NAMES:
        raise ValueError(f"tiers: {len(tiers)} tiers, at most {MAX_NAMES}")


class BanConfig(Config):
    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_+\-]+$")
    description: str = Field(min_length=1, description="what a listed citizen is banned from, in words")


class BlacklistConfig(Config):
    enabled: bool = True
    duration: int = Field(ge=1, le=MAX_TICKS, description="ticks on the list for a first listing")
    repeat_extension_min: int = Field(ge=0, le=MAX_TICKS, description="ticks added for a repeat offence, at least")
    repeat_extension_max: int = Field(ge=0, le=MAX_TICKS, description="... and at most")
    max_duration: int = Field(ge=1, le=MAX_TICKS, description="ticks on the list at most")
    pay_rate: float = Field(ge=0, le=1, description="weekly chance a listed citizen of median income pays")
    bans: list[BanConfig] = Field(min_length=1, description="what a listed citizen is banned from")

    @model_validator(mode="after")
    def _check(self):
        if self.repeat_extension_max < self.repeat_extension_min:
            raise ValueError("repeat_extension_max must be >= repeat_extension_min")
        return self


class SanctionsConfig(Config):
    enabled: bool = True
    slow_internet_below: float | None = Field(None, ge=-MAX_SCALE, le=MAX_SCALE, description="slower internet below this score (absent: never)")
    job_restriction_below: float | None = Field(None, ge=-MAX_SCALE, le=MAX_SCALE, description="job restrictions below this score (absent: never)")
    loan_denied_below: float | None = Field(None, ge=-MAX_SCALE, le=MAX_SCALE, description="bank loans denied below this score (absent: never)")
    income_cut: float = Field(ge=0, le=1, description="income lost under job restrictions")
    trip_cut: float = Field(ge=0, le=1, description="trips lost under a travel ban (blacklist)")
    internet_cut: float = Field(ge=0, le=1, description="posts and gaming lost on slow internet")
    loan_default_boost: float = Field(ge=0, le=MAX_FACTOR, description="relative rise of defaults when loans are denied")
    blacklist: BlacklistConfig


class SanctionsModuleConfig(Config):
    tiers: list[TierConfig] = Field(min_length=1)
    perks: list[PerkConfig] = Field(default_factory=list, max_length=MAX_NAMES)
    sanctions: SanctionsConfig

    @model_validator(mode="after")
    def _check(self):
        check_tiers(self.tiers)
        return self


def tier_index(score: np.ndarray, mins: np.ndarray) -> np.ndarray:
    """Tier index of each score given the tiers' lower bounds (lowest first)."""
    return np.maximum(np.searchsorted(mins, score, side="right") - 1, 0).astype(np.int8)


SANCTION_KINDS = ("blacklisted", "slow_internet", "job_restricted", "loan_denied")


class Sanctions(Module):
    """Tiers, perks, low-tier sanctions, the blacklist and the feedback of sanctions."""

    name = "sanctions"
    label = "tiers, perks and sanctions"
    Config = SanctionsModuleConfig

    def __init__(self, config=None, *, system: bool = True, **kw):
        self.system = bool(system)
        super().__init__(config, **kw)

    def declare(self) -> None:
        cfg = self.config
        self.tier_names = [t.name for t in cfg.tiers]
        self.tier_mins = np.array([t.min for t in cfg.tiers], np.float32)
        self.perk_mins = np.sort(np.array([p.min_score for p in cfg.perks], np.float32))
        self.stream()
        self.state("tier", np.int8)
        self.state("blacklisted", bool)
        self.state("listed_until", np.int32)
        self.state("listed_since", np.int32)
        self.state("listings", np.int16)
        self.state("listed_by_error", bool, label="the current listing came from an error only")
        self.state("slow_internet", bool)
        self.state("job_restricted", bool)
        self.state("loan_denied", bool)
        self.state("income_factor", np.float32, 1.0, label="income left after job restrictions")
        for name in self.tier_names:
            self.column(f"share_{name}", f"share in tier {name}", "share of citizens")
        self.column("sanctioned", "citizens under any sanction", "citizens")
        self.column("blacklisted", "citizens on the blacklist", "citizens")
        self.column("slow_internet", "citizens with slower internet", "citizens")
        self.column("job_restricted", "citizens under job restrictions", "citizens")
        self.column("loan_denied", "citizens denied bank loans", "citizens")

    def init(self, sim) -> None:
        self.tier[:] = self.tier_of(sim.scoring.score)
        self._feedback()

    def restored(self, sim) -> None:
        self._feedback()

    # -- the meaning of a score -----------------------------------------------------------------
    def tier_of(self, score) -> np.ndarray:
        """Tier index of each score."""
        return tier_index(np.asarray(score, np.float32), self.tier_mins)

    def tier_name(self, score: float) -> str:
        return self.tier_names[int(self.tier_of(np.array([score]))[0])]

    def perks_of(self, score: np.ndarray) -> np.ndarray:
        """Number of perks each score holds (0 in a control twin)."""
        if not self.system or not self.perk_mins.size:
            return np.zeros(np.asarray(score).shape[0], np.int8)
        return np.searchsorted(self.perk_mins, score, side="right").astype(np.int8)

    def score_sanctions(self, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Low-tier sanctions for scores: (slow_internet, job_restricted, loan_denied_by_score)."""
        s = self.config.sanctions
        off = np.zeros(score.shape[0], bool)
        if not (self.system and s.enabled):
            return off, off, off

        def below(th):
            return score < th if th is not None else off

        return below(s.slow_internet_below), below(s.job_restriction_below), below(s.loan_denied_below)

    def thresholds(self) -> list[float]:
        """Every score at which a perk is gained or a sanction lifted."""
        th = [p.min_score for p in self.config.perks]
        s = self.config.sanctions
        if s.enabled:
            th += [x for x in (s.slow_internet_below, s.job_restriction_below, s.loan_denied_below) if x is not None]
        return sorted(set(th))

    def sanction_thresholds(self) -> list[float]:
        s = self.config.sanctions
        return [x for x in (s.slow_internet_below, s.job_restriction_below, s.loan_denied_below) if x is not None] \
            if s.enabled else []

    def perks_and_sanctions(self, score: float, row: dict) -> tuple[list[dict], list[dict]]:
        """What a citizen with ``score`` (and the flags of ``row``: a ``citizens.parquet`` row)
        holds and suffers, each with its reason in words."""
        import math

        perks: list[dict] = []
        sanctions: list[dict] = []
        if not self.system:
            return perks, sanctions
        for p in sorted(self.config.perks, key=lambda p: p.min_score):
            if score >= p.min_score:
                what = p.description or p.name.replace("_", " ")
                perks.append({"name": p.name, "min_score": p.min_score,
                              "reason": f"score {score:.1f} is at least {p.min_score:g}: {what}"})
        cfg = self.config.sanctions
        if not cfg.enabled:
            return perks, sanctions

        def flag(k: str) -> bool:
            v = row.get(k)
            return bool(v) if v is not None and not (isinstance(v, float) and math.isnan(v)) else False

        def num(k: str) -> int | None:
            v = row.get(k)
            if v is None or (isinstance(v, float) and math.isnan(v)) or int(v) < 0:
                return None
            return int(v)

        if flag("slow_internet"):
            sanctions.append({"name": "slow_internet",
                              "reason": f"score {score:.1f} is below {cfg.slow_internet_below:g}: slower internet"})
        if flag("job_restricted"):
            sanctions.append({"name": "job_restriction",
                              "reason": f"score {score:.1f} is below {cfg.job_restriction_below:g}: job restrictions "
                                        f"(income cut by {100 * cfg.income_cut:g}%)"})
        if flag("loan_denied"):
            th = cfg.loan_denied_below
            if th is not None and score < th:
                why = f"score {score:.1f} is below {th:g}: bank loans denied"
            else:
                why = "on the blacklist of dishonest judgement debtors: bank loans denied"
            sanctions.append({"name": "loan_denied", "reason": why})
        if flag("blacklisted"):
            since, until, n_list = num("listed_since"), num("listed_until"), num("listings")
            parts = ["listed as a dishonest judgement debtor for an unpaid court judgement"]
            if since is not None:
                parts.append(f" since tick {since}")
            if until is not None:
                parts.append(f" until tick {until} unless paid first")
            if n_list is not None and n_list > 1:
                parts.append(f" (listing number {n_list})")
            bans = cfg.blacklist.bans
            item = {"name": "blacklist", "reason": "".join(parts) + "; banned from " + ", ".join(b.description for b in bans),
                    "bans": [b.name for b in bans]}
            if flag("listed_by_error"):
                item["by_error"] = True
                item["reason"] += "; the judgement on record was not yours (an error in the records)"
            for k, v in (("listed_since", since), ("listed_until", until)):
                if v is not None:
                    item[k] = v
            sanctions.append(item)
        return perks, sanctions

    # -- feedback the sources read --------------------------------------------------------------
    def _feedback(self) -> None:
        s = self.config.sanctions
        self._travel = (1 - np.float32(s.trip_cut) * self.blacklisted).astype(np.float32)
        self._internet = (1 - np.float32(s.internet_cut) * self.slow_internet).astype(np.float32)
        self._default = (1 + np.float32(s.loan_default_boost) * self.loan_denied).astype(np.float32)

    def travel_factor(self) -> np.ndarray:
        """Trips left under a travel ban (blacklist): ``1 - trip_cut`` for the listed, else 1."""
        return self._travel

    def internet_factor(self) -> np.ndarray:
        """Posting and gaming left on slow internet."""
        return self._internet

    def default_factor(self) -> np.ndarray:
        """Loan defaults multiplied by this when loans are denied."""
        return self._default

    # -- the tick --------------------------------------------------------------------------------
    def step(self, sim, t: int) -> None:
        score = sim.scoring.score
        self.tier[:] = self.tier_of(score)
        self.slow_internet[:], self.job_restricted[:], loan_by_score = self.score_sanctions(score)
        self._blacklist(sim, t)
        self.loan_denied[:] = loan_by_score | self.blacklisted
        self.income_factor[:] = 1 - np.float32(self.config.sanctions.income_cut) * self.job_restricted
        self._feedback()

    def _blacklist(self, sim, t: int) -> None:
        """List new debtors, extend repeat offenders, delist payers and expired listings."""
        cfg = self.config.sanctions
        bl = cfg.blacklist
        if not (self.system and cfg.enabled and bl.enabled):
            return
        # payment and expiry first: a debtor who pays is removed within the tick
        listed = np.flatnonzero(self.blacklisted)
        if listed.size:
            p = sim.people
            income = p.income[listed] * self.income_factor[listed] * sim.groups.income_factor[listed]
            pay = np.minimum(bl.pay_rate * income / p.income_median, 1.0)
            paid = self.rng.uniform(t, "payment", listed) < pay
            expired = self.listed_until[listed] <= t
            out = listed[paid | expired]
            self.blacklisted[out] = False
            self.listed_by_error[out] = False
        rec = sim.sources.record("courts.judgement_unpaid")
        hit = np.union1d(rec.beh_ids, rec.err_ids).astype(np.int64)
        if hit.size == 0:
            return
        by_error = ~np.isin(hit, rec.beh_ids[rec.beh > 0], assume_unique=True)
        ext = bl.repeat_extension_min + self.rng.integers(
            t, "extension", bl.repeat_extension_max - bl.repeat_extension_min + 1, hit)
        ext = ext.astype(np.int32)
        already = self.blacklisted[hit]
        # new listings: a first offence lasts `duration`; a repeat (listed before) adds the extension
        new = hit[~already]
        dur = np.where(self.listings[new] > 0, bl.duration + ext[~already], bl.duration)
        dur = np.minimum(dur, bl.max_duration)
        self.blacklisted[new] = True
        self.listed_since[new] = t
        self.listed_until[new] = t + dur
        self.listings[new] += 1
        self.listed_by_error[new] = by_error[~already]
        # repeat offence while listed: extend, to max_duration from the listing's start
        cur = hit[already]
        self.listed_until[cur] = np.minimum(self.listed_until[cur] + ext[already], self.listed_since[cur] + bl.max_duration)
        self.listings[cur] += 1
        self.listed_by_error[cur] &= by_error[already]

    @property
    def sanctioned(self) -> np.ndarray:
        """Any sanction in force."""
        return self.blacklisted | self.slow_internet | self.job_restricted | self.loan_denied

    def measure(self, sim, t: int) -> dict:
        shares = np.bincount(self.tier, minlength=len(self.tier_names)) / max(sim.n, 1)
        row = {f"share_{k}": float(v) for k, v in zip(self.tier_names, shares)}
        row["sanctioned"] = int(self.sanctioned.sum())
        for k in SANCTION_KINDS:
            row[k] = int(getattr(self, k).sum())
        return row

    def citizen_columns(self, sim) -> dict:
        bl = self.blacklisted
        return {"tier": np.asarray(self.tier_names, dtype=object)[self.tier],
                "perks": self.perks_of(sim.scoring.score),
                "blacklisted": bl, "listings": self.listings,
                "listed_since": np.where(bl, self.listed_since, -1).astype(np.int32),
                "listed_until": np.where(bl, self.listed_until, -1).astype(np.int32),
                "listed_by_error": self.listed_by_error & bl,
                "slow_internet": self.slow_internet, "job_restricted": self.job_restricted,
                "loan_denied": self.loan_denied, "sanctioned": self.sanctioned}
