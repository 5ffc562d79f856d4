"""Tiers, benefits and sanctions (MODEL.md section 6), and the feedback of sanctions.

* **Tiers**: the scenario's bands (Sesame: poor, fair, good, very good, excellent; Rongcheng's
  grades D..AAA).
* **Perks**: each perk has a minimum score (deposit-free bikes at 600, rentals at 650, visas at
  700 and 750).
* **Low-tier sanctions**: slower internet, job restrictions and denied loans below thresholds.
* **Blacklist** of dishonest judgement debtors: listed when a court judgement is left unpaid, for
  ``duration`` ticks (2 years); a repeat offence adds ``repeat_extension_min..max`` ticks, to at
  most ``max_duration`` (5 years); a listed debtor pays with a weekly probability that grows with
  income and is removed the same tick. Listed citizens are banned from flights, high-speed rail,
  star hotels, private schools for their children, executive posts and bank loans.
* **Feedback**: job restrictions cut income (which raises late payments next tick), travel bans
  cut trips, slow internet cuts posting and gaming, denied loans raise defaults.

A control twin (``system = false``) computes shadow scores but applies no perk or sanction.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scenario import Scenario

BLACKLIST_BANS = ("flights", "high_speed_rail", "star_hotels", "private_schools", "executive_posts", "bank_loans")
SANCTION_KINDS = ("blacklist", "slow_internet", "job_restriction", "loan_denied")


@dataclass
class SanctionState:
    """Per-citizen sanction state (struct of arrays)."""

    blacklisted: np.ndarray      # bool
    listed_until: np.ndarray     # int32 tick at which the listing ends
    listed_since: np.ndarray     # int32 tick of the current listing's start
    listings: np.ndarray         # int16 listings so far
    listed_by_error: np.ndarray  # bool: current listing came from an error event only
    slow_internet: np.ndarray    # bool
    job_restricted: np.ndarray   # bool
    loan_denied: np.ndarray      # bool

    @classmethod
    def empty(cls, n: int) -> "SanctionState":
        z = lambda dt: np.zeros(n, dt)  # noqa: E731
        return cls(z(bool), z(np.int32), z(np.int32), z(np.int16), z(bool), z(bool), z(bool), z(bool))

    @property
    def sanctioned(self) -> np.ndarray:
        """Any sanction in force."""
        return self.blacklisted | self.slow_internet | self.job_restricted | self.loan_denied


def score_sanctions(sc: Scenario, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Low-tier sanctions for scores: (slow_internet, job_restricted, loan_denied_by_score)."""
    s = sc.sanctions
    off = np.zeros(score.shape[0], bool)
    if not (sc.system and s.enabled):
        return off, off, off

    def below(th):
        return score < th if th is not None else off

    return below(s.slow_internet_below), below(s.job_restriction_below), below(s.loan_denied_below)


def update_blacklist(sc: Scenario, st: SanctionState, tick: int, unpaid_beh: np.ndarray, unpaid_err: np.ndarray,
                     income_ratio: np.ndarray, rng_listing: np.random.Generator, rng_pay: np.random.Generator) -> None:
    """List new debtors, extend repeat offenders, delist payers and expired listings (in place).

    ``unpaid_*`` count this tick's unpaid judgements by provenance; ``income_ratio`` is effective
    income over the median.
    """
    bl = sc.sanctions.blacklist
    if not (sc.system and sc.sanctions.enabled and bl.enabled):
        return
    # payment and expiry first: a debtor who pays is removed within the tick
    listed = np.flatnonzero(st.blacklisted)
    if listed.size:
        p = np.minimum(bl.pay_rate * income_ratio[listed], 1.0)
        paid = rng_pay.random(listed.size) < p
        expired = st.listed_until[listed] <= tick
        out = listed[paid | expired]
        st.blacklisted[out] = False
        st.listed_by_error[out] = False
    hit = np.flatnonzero((unpaid_beh + unpaid_err) > 0)
    if hit.size == 0:
        return
    ext = rng_listing.integers(bl.repeat_extension_min, bl.repeat_extension_max, hit.size, endpoint=True).astype(np.int32)
    already = st.blacklisted[hit]
    by_error = unpaid_beh[hit] == 0
    # new listings: a first offence lasts `duration`; a repeat (listed before) adds the extension
    new = hit[~already]
    dur = np.where(st.listings[new] > 0, bl.duration + ext[~already], bl.duration)
    dur = np.minimum(dur, bl.max_duration)
    st.blacklisted[new] = True
    st.listed_since[new] = tick
    st.listed_until[new] = tick + dur
    st.listings[new] += 1
    st.listed_by_error[new] = by_error[~already]
    # repeat offence while listed: extend, to max_duration from the listing's start
    cur = hit[already]
    st.listed_until[cur] = np.minimum(st.listed_until[cur] + ext[already], st.listed_since[cur] + bl.max_duration)
    st.listings[cur] += 1
    st.listed_by_error[cur] &= by_error[already]


def perks_of(sc: Scenario, score: np.ndarray) -> np.ndarray:
    """Number of perks each citizen holds (0 in a control twin)."""
    if not sc.system or not sc.perks:
        return np.zeros(score.shape[0], np.int8)
    mins = np.sort(np.array([p.min_score for p in sc.perks], np.float32))
    return np.searchsorted(mins, score, side="right").astype(np.int8)
