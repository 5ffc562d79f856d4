"""What the system does to people, tick by tick (MODEL.md section 10): harms, tier flows, the
tracked panel and persistence at the bottom.

* ``wrongful_sanctions``: sanctioned now, and would not be without error points (the score
  recomputed without them, including any grade cap they set off; a blacklisting caused by an
  error event alone).
* ``guilt_by_association``: under a score-based sanction now, which the own score alone (no
  friends' term) would not bring.
* tier transitions (``transitions.parquet``): per tick, citizens moving from their tier after the
  previous tick to their tier after this one.
* the panel (``panel.parquet``): the full trajectories of ``engine.panel_size`` citizens, drawn
  once (the smallest uniforms of the ``audit`` stream: the same citizens however the run is
  split).
* ``persistence_at_bottom``: of the citizens in the lowest tier after tick 1, the share still
  there at the end (a poverty trap).

* the two-sided harms, each the mirror of one above: ``wrongly_spared`` (not sanctioned now, and
  would be without error points), ``protected_by_association`` (free of any score sanction now,
  which the own score alone would bring), the nets ``net_sanctions_from_errors`` (= wrongful -
  spared) and ``net_sanctions_from_friends`` (= guilt - protected), and ``perks_lost_to_friends``
  / ``perks_gained_from_friends`` (fewer / more perks than the own score alone would give).
* the disparity table (``disparity.parquet``): at the end, sanction and blacklist rates, mean
  score and impact ratio per group of each audited attribute (:func:`disparity`), including
  ``dissent_decile`` (deciles of the latent trait dissent, which the system never sees).

Disparity: definitions
----------------------
* ``sanction_rate``: share of the group with any sanction in force at the end (blacklist, slow
  internet, job restriction or denied loan); ``blacklist_rate``: share on the blacklist.
* ``impact_ratio`` = the group's sanction rate / the lowest sanction rate among the groups of the
  same attribute (the *least-sanctioned* group). When that lowest rate is 0 the ratio is 1.0 for
  groups whose own rate is also 0 and ``+inf`` for groups with a positive rate.
* ``four_fifths_violation``: the four-fifths rule of US employment law, stated for selection rates
  (a group selected at less than 4/5 of the most-selected group's rate suffers adverse impact),
  applied to an adverse outcome by comparing rates the other way round: a group violates it when
  ``least_rate / group_rate < 0.8``, i.e. when its sanction rate exceeds 1.25 times the
  least-sanctioned group's (``impact_ratio > 1.25``). A group with rate 0 never violates it; with
  a least rate of 0, every group with a positive rate does.

* ``sanction_rate_low`` / ``sanction_rate_high`` and ``blacklist_rate_low`` / ``_high``: 95%
  Wilson score intervals for the binomial proportion (:func:`wilson`); they hold the rate, and
  stay inside [0, 1] even at 0 or all sanctioned.
* ``impact_ratio_low`` / ``impact_ratio_high``: 95% Katz log interval for the ratio of two
  proportions (:func:`katz`), group against ``reference_group``: ``exp(log(ratio) +- z * se)``,
  ``se = sqrt(1/x - 1/n + 1/x0 - 1/n0)``; when either count is 0, 0.5 is added to each count and
  to each non-count (Haldane's correction) so the interval stays finite. The reference group's
  own row is exactly [1, 1]. The interval treats the reference's rate as fixed in its choice (the
  least-sanctioned of several noisy rates is biased low, which the interval does not correct).
* ``verdict``: the one to cite. ``"too small"`` when the group has fewer than
  ``audit.min_group_size`` citizens; else ``"violation"`` when the whole impact-ratio interval is
  above 1.25 (least rate / group rate below 4/5 across the interval), ``"no violation"`` when the
  whole interval is at or below 1.25, ``"within noise"`` when it straddles 1.25. Null when the
  run configures no minimum group size. ``four_fifths_violation`` is kept, unchanged, for
  compatibility: it reads the point estimate only.

All citizens are simulated.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.config import Config, Field
from ..engine.module import Module


class AuditConfig(Config):
    """The audit's settings (the ``[audit]`` section of a scenario)."""

    min_group_size: int = Field(ge=1, description="citizens a group needs before the disparity table gives it a "
                                                  "four-fifths verdict; smaller groups are 'too small'")


class Audit(Module):
    name = "audit"
    label = "harms and flows"

    def __init__(self, config=None, **params):
        # The [audit] section is optional for a model that passes none (then the disparity table
        # gives no verdicts); when given, it is validated as AuditConfig (min_group_size required).
        super().__init__()
        if config is not None or params:
            from pydantic import ValidationError

            from ..engine.module import _config_error
            from ..errors import ScenarioError

            data = config.model_dump() if isinstance(config, Config) else dict(config or {})
            data.update(params)
            try:
                self.config = AuditConfig.model_validate(data)
            except ValidationError as e:
                raise ScenarioError(_config_error(self.name, e, AuditConfig)) from None

    def declare(self) -> None:
        self.stream()
        self.state("prev_tier", np.int8, label="tier after the previous tick")
        self.state("bottom_at_start", bool, label="in the lowest tier after tick 1")
        self.column("wrongful_sanctions", "wrongful sanctions", "citizens",
                    "sanctioned only because of error points (or an error listing)")
        self.column("guilt_by_association", "guilt by association", "citizens",
                    "under a score sanction their own score alone would not bring")
        self.column("wrongly_spared", "wrongly spared", "citizens",
                    "not sanctioned only because errors in the records were in their favour: without the "
                    "error points their score would sanction them (mirror of wrongful sanctions)")
        self.column("protected_by_association", "protected by association", "citizens",
                    "free of any score sanction only because of their friends' scores: their own score alone "
                    "would sanction them (mirror of guilt by association)")
        self.column("net_sanctions_from_errors", "net sanctions from errors", "citizens",
                    "citizens sanctioned now minus citizens who would be without error points "
                    "(= wrongful sanctions - wrongly spared); negative when errors spare more than they harm")
        self.column("net_sanctions_from_friends", "net sanctions from friends", "citizens",
                    "citizens under a score sanction now minus those their own score alone would sanction "
                    "(= guilt by association - protected by association); negative when friends protect more")
        self.column("perks_lost_to_friends", "perks lost to friends", "citizens",
                    "citizens holding fewer perks than their own score alone would give: their friends' "
                    "scores pull them below a perk's threshold")
        self.column("perks_gained_from_friends", "perks gained from friends", "citizens",
                    "citizens holding more perks than their own score alone would give: their friends' "
                    "scores lift them over a perk's threshold")

    def init(self, sim) -> None:
        sa = sim.sanctions
        self.prev_tier[:] = sa.tier
        T, K = sim.scenario.ticks, len(sa.tier_names)
        self.array("transitions", (T, K, K), np.int64)
        k = min(sim.scenario.engine.panel_size, sim.n)
        u = self.rng.uniform(0, "panel", n=sim.n)
        self.panel_ids = np.sort(np.argpartition(u, k - 1)[:k]) if 0 < k < sim.n else np.arange(k, dtype=np.int64)
        for name, dt in (("score", np.float32), ("own_score", np.float32), ("tier", np.int8), ("blacklisted", bool),
                         ("sanctioned", bool)):
            self.array(f"panel_{name}", (T, k), dt)

    def harms(self, sim) -> dict[str, int]:
        """The two-sided harms of this tick, against the same tick's scores recomputed without
        error points and without the friends' term (a static counterfactual)."""
        sc, sa = sim.scoring, sim.sanctions
        bl = sa.blacklisted
        sanctioned = sa.sanctioned
        capped = sc.capped(sc.ledger_behaviour, sc.ledger_error)
        capped_noerr = sc.capped(sc.ledger_behaviour, None) if capped.any() else capped
        s_noerr, _ = sc.scores_from(sc.own - sc.own_error, sc.friends_mean, capped_noerr)
        a, b, c = sa.score_sanctions(s_noerr)
        # sanctioned in the same tick without error points: by the score so recomputed, or on the
        # blacklist by a listing that did not come from an error alone
        noerr = a | b | c | (bl & ~sa.listed_by_error)
        wrongful = int((sanctioned & ~noerr).sum())
        spared = int((~sanctioned & noerr).sum())
        # score sanctions in force: a loan denied to a blacklisted citizen is the blacklist's
        by_score = sa.slow_internet | sa.job_restricted | (sa.loan_denied & ~bl)
        own_only, _ = sc.scores_from(sc.own, sc.own, capped, alpha=0.0)
        a, b, c = sa.score_sanctions(own_only)
        # what the own score alone would bring: for the citizens under a score sanction now, as
        # guilt_by_association has always read it (any of the three); for the others, a loan denial
        # by score counts only off the blacklist (on it, the loan is denied anyway). Both sides of
        # the net are then taken on the same sets, so guilt - protected == net exactly.
        own_sanc = a | b | np.where(by_score, c, c & ~bl)
        guilt = int((by_score & ~own_sanc).sum())
        protected = int((~by_score & own_sanc).sum())
        perks_now, perks_own = sa.perks_of(sc.score), sa.perks_of(own_only)
        return {"wrongful_sanctions": wrongful, "guilt_by_association": guilt,
                "wrongly_spared": spared, "protected_by_association": protected,
                "net_sanctions_from_errors": wrongful - spared,
                "net_sanctions_from_friends": guilt - protected,
                "perks_lost_to_friends": int((perks_now < perks_own).sum()),
                "perks_gained_from_friends": int((perks_now > perks_own).sum())}

    def measure(self, sim, t: int) -> dict:
        sa = sim.sanctions
        K = len(sa.tier_names)
        tier = sa.tier
        if t <= self.transitions.shape[0]:
            self.transitions[t - 1] = np.bincount(self.prev_tier.astype(np.int64) * K + tier, minlength=K * K).reshape(K, K)
            p = self.panel_ids
            if p.size:
                self.panel_score[t - 1] = sim.scoring.score[p]
                self.panel_own_score[t - 1] = sim.scoring.own[p]
                self.panel_tier[t - 1] = tier[p]
                self.panel_blacklisted[t - 1] = sa.blacklisted[p]
                self.panel_sanctioned[t - 1] = sa.sanctioned[p]
        if t == 1:
            self.bottom_at_start[:] = tier == 0
        self.prev_tier[:] = tier
        return self.harms(sim)

    def restored(self, sim) -> None:
        pass

    def summary(self, sim) -> dict:
        bottom = self.bottom_at_start
        now = sim.sanctions.tier == 0
        return {"persistence_at_bottom": float((bottom & now).sum() / bottom.sum()) if bottom.any() else None,
                "bottom_at_start": int(bottom.sum())}

    def tables(self, sim) -> dict:
        import pandas as pd

        T = sim.tick
        names = np.asarray(sim.sanctions.tier_names, dtype=object)
        tr = self.transitions[:T]
        tt, ff, to = np.nonzero(tr)
        transitions = pd.DataFrame({"tick": (tt + 1).astype(np.int32), "from_tier": names[ff], "to_tier": names[to],
                                    "count": tr[tt, ff, to].astype(np.int64)})
        p = self.panel_ids
        k = p.size
        panel = pd.DataFrame({
            "tick": np.repeat(np.arange(1, T + 1, dtype=np.int32), k), "id": np.tile(p.astype(np.int64), T),
            "score": self.panel_score[:T].ravel(), "own_score": self.panel_own_score[:T].ravel(),
            "tier": names[self.panel_tier[:T].ravel()], "blacklisted": self.panel_blacklisted[:T].ravel(),
            "sanctioned": self.panel_sanctioned[:T].ravel()})
        pop = sim.people
        sa = sim.sanctions
        citizens = pd.DataFrame({**{k: v for k, v in pop.citizen_columns(sim).items() if k in ATTRIBUTES + ("dissent",)},
                                 "income_quintile": pop.income_quintile, "sanctioned": sa.sanctioned,
                                 "blacklisted": sa.blacklisted, "score": sim.scoring.score})
        mgs = self.config.min_group_size if self.config is not None else None
        return {"panel": panel, "transitions": transitions, "disparity": disparity(citizens, min_group_size=mgs)}


ATTRIBUTES = ("sex", "age_band", "region", "urban", "income_quintile", "dissent_decile")
"""The attributes audited, in the order of the table's rows. ``dissent_decile`` is derived from
the latent trait ``dissent`` (which the system never sees) by :func:`dissent_decile`."""


def dissent_decile(dissent) -> np.ndarray:
    """Deciles 1 (least dissenting) .. 10 (most) of ``dissent`` by rank: the citizen of rank
    ``r`` (0-based, ties broken by order, i.e. by id) is in decile ``r * 10 // n + 1``, so each
    decile holds ``n / 10`` citizens, to one, by construction.

    >>> dissent_decile(np.array([0.9, 0.1, 0.5, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6])).tolist()
    [10, 1, 5, 6, 3, 8, 2, 9, 4, 7]
    """
    x = np.asarray(dissent, np.float64)
    n = x.shape[0]
    rank = np.empty(n, np.int64)
    rank[np.argsort(x, kind="stable")] = np.arange(n, dtype=np.int64)
    return (rank * 10 // max(n, 1) + 1).astype(np.int64)

FOUR_FIFTHS = 0.8
"""Threshold of the four-fifths rule (least rate / group rate below it is a violation)."""

COLUMNS = ("attribute", "group", "population", "sanctioned", "sanction_rate", "blacklist_rate", "mean_score",
           "impact_ratio", "four_fifths_violation", "reference_group", "sanction_rate_low", "sanction_rate_high",
           "blacklist_rate_low", "blacklist_rate_high", "impact_ratio_low", "impact_ratio_high", "verdict")
"""``sanctioned`` is the count behind ``sanction_rate``; ``reference_group`` names the attribute's
least-sanctioned group (the first in sorted order on a tie), the denominator of ``impact_ratio``;
the ``_low`` / ``_high`` columns are 95% intervals and ``verdict`` the four-fifths verdict that
survives noise (module docstring)."""

CONFIDENCE = 0.95
"""Coverage of the disparity table's intervals."""

VERDICTS = ("violation", "no violation", "within noise", "too small")


def _z(confidence: float = CONFIDENCE) -> float:
    from scipy.special import ndtri

    return float(ndtri(0.5 + confidence / 2))


def wilson(x, n, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion ``x / n`` (vectorised; ``n > 0``):
    centre ``(p + z^2/2n) / (1 + z^2/n)``, half-width ``z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/4n^2)``.

    >>> lo, hi = wilson(np.array([0, 5]), np.array([10, 10]))
    >>> [round(float(v), 4) for v in (lo[0], hi[0], lo[1], hi[1])]
    [0.0, 0.2775, 0.2366, 0.7634]
    """
    x = np.asarray(x, np.float64)
    n = np.asarray(n, np.float64)
    z = _z(confidence)
    p = x / n
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z / d * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # at x = 0 (x = n) the lower (upper) bound is exactly 0 (1); set so, not left to rounding
    lo = np.where(x == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    hi = np.where(x == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return lo, hi


def katz(x, n, x0, n0, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Katz log interval for the ratio of proportions ``(x/n) / (x0/n0)`` (vectorised):
    ``exp(log(ratio) +- z * sqrt(1/x - 1/n + 1/x0 - 1/n0))``; where ``x`` or ``x0`` is 0, each
    count and each non-count of both groups gets 0.5 (Haldane), so ``n`` grows by 1.

    >>> lo, hi = katz(np.array([20]), np.array([100]), 10, 100)
    >>> [round(float(lo[0]), 3), round(float(hi[0]), 3)]
    [0.987, 4.054]
    """
    x, n = np.asarray(x, np.float64), np.asarray(n, np.float64)
    x0, n0 = np.broadcast_to(np.asarray(x0, np.float64), x.shape), np.broadcast_to(np.asarray(n0, np.float64), x.shape)
    fix = (x == 0) | (x0 == 0)
    x, n = np.where(fix, x + 0.5, x), np.where(fix, n + 1, n)
    x0, n0 = np.where(fix, x0 + 0.5, x0), np.where(fix, n0 + 1, n0)
    log_r = np.log((x / n) / (x0 / n0))
    se = np.sqrt(1 / x - 1 / n + 1 / x0 - 1 / n0)
    z = _z(confidence)
    return np.exp(log_r - z * se), np.exp(log_r + z * se)


def verdicts(low, high, population, min_group_size: int | None) -> np.ndarray:
    """The four-fifths verdict per group from its impact-ratio interval (module docstring)."""
    low, high = np.asarray(low, np.float64), np.asarray(high, np.float64)
    bound = 1 / FOUR_FIFTHS
    out = np.where(low > bound, "violation", np.where(high <= bound, "no violation", "within noise")).astype(object)
    if min_group_size is None:
        return np.full(low.shape, None, dtype=object)
    out[np.asarray(population) < min_group_size] = "too small"
    return out


def _empty() -> pd.DataFrame:
    return pd.DataFrame({
        "attribute": pd.Series([], dtype=object), "group": pd.Series([], dtype=object),
        "population": pd.Series([], dtype=np.int64), "sanctioned": pd.Series([], dtype=np.int64),
        "sanction_rate": pd.Series([], dtype=np.float64), "blacklist_rate": pd.Series([], dtype=np.float64),
        "mean_score": pd.Series([], dtype=np.float64), "impact_ratio": pd.Series([], dtype=np.float64),
        "four_fifths_violation": pd.Series([], dtype=bool), "reference_group": pd.Series([], dtype=object),
        **{c: pd.Series([], dtype=np.float64) for c in COLUMNS[10:16]}, "verdict": pd.Series([], dtype=object)})


def _group_labels(attribute: str, values: pd.Series) -> pd.Series:
    """Readable string labels: ``urban`` True/False become ``urban``/``rural``."""
    if attribute == "urban" and values.dtype == bool:
        return values.map({True: "urban", False: "rural"}).astype(object)
    return values.astype(str).astype(object)


def disparity(citizens: pd.DataFrame, min_group_size: int | None = None) -> pd.DataFrame:
    """Sanction and blacklist rates, mean score and impact ratio per group of each attribute.

    ``citizens`` needs ``sanctioned``, ``blacklisted``, ``score`` and the audited attribute
    columns (attributes it lacks are skipped; without the outcome columns the table is empty).
    Returns one row per (attribute, group) with the columns of :data:`COLUMNS`; ``group`` is a
    string (``urban`` is ``"urban"``/``"rural"``, quintiles ``"1"`` (poorest) .. ``"5"``).
    ``min_group_size`` (the scenario's ``audit.min_group_size``) gates ``verdict``; None: no verdicts.

    >>> df = pd.DataFrame({"sex": ["male"] * 4 + ["female"] * 4,
    ...                    "sanctioned": [1, 1, 0, 0, 1, 0, 0, 0], "blacklisted": [0] * 8,
    ...                    "score": [500., 520., 600., 610., 540., 600., 620., 640.]})
    >>> d = disparity(df)
    >>> d[["group", "sanction_rate", "impact_ratio", "four_fifths_violation"]].to_string(index=False)
    ' group  sanction_rate  impact_ratio  four_fifths_violation\\nfemale           0.25           1.0                  False\\n  male           0.50           2.0                   True'
    """
    need = {"sanctioned", "blacklisted", "score"}
    if not need <= set(citizens.columns) or len(citizens) == 0:
        return _empty()
    sanctioned = citizens["sanctioned"].to_numpy().astype(bool)
    blacklisted = citizens["blacklisted"].to_numpy().astype(bool)
    score = citizens["score"].to_numpy().astype(np.float64)
    if "dissent_decile" not in citizens.columns and "dissent" in citizens.columns:
        citizens = citizens.assign(dissent_decile=dissent_decile(citizens["dissent"].to_numpy()))
    parts = []
    for attr in ATTRIBUTES:
        if attr not in citizens.columns:
            continue
        numeric = attr == "dissent_decile"  # rows 1..10 in numeric order (strings would put 10 after 1)
        frame = pd.DataFrame({"group": citizens[attr].to_numpy(np.int64) if numeric
                              else _group_labels(attr, citizens[attr]), "s": sanctioned,
                              "b": blacklisted, "score": score})
        g = frame.groupby("group", sort=True, observed=True).agg(
            population=("s", "size"), sanctioned=("s", "sum"), sanction_rate=("s", "mean"),
            blacklist_rate=("b", "mean"), mean_score=("score", "mean"), blacklisted=("b", "sum")).reset_index()
        if numeric:
            g["group"] = g["group"].astype(str).astype(object)
        least = float(g["sanction_rate"].min())
        rate = g["sanction_rate"].to_numpy(np.float64)
        if least > 0:
            ratio = rate / least
        else:
            ratio = np.where(rate > 0, np.inf, 1.0)
        g["impact_ratio"] = ratio
        # least / rate < 0.8, written without dividing by a zero rate
        g["four_fifths_violation"] = (rate > 0) & (least < FOUR_FIFTHS * rate)
        ref = int(np.argmin(rate))
        g["reference_group"] = g["group"].iloc[ref]
        pop_ = g["population"].to_numpy(np.float64)
        xs = g["sanctioned"].to_numpy(np.float64)
        g["sanction_rate_low"], g["sanction_rate_high"] = wilson(xs, pop_)
        g["blacklist_rate_low"], g["blacklist_rate_high"] = wilson(g["blacklisted"].to_numpy(np.float64), pop_)
        lo, hi = katz(xs, pop_, xs[ref], pop_[ref])
        lo[ref] = hi[ref] = 1.0  # the reference against itself: exactly 1
        g["impact_ratio_low"], g["impact_ratio_high"] = lo, hi
        g["verdict"] = verdicts(lo, hi, pop_, min_group_size)
        g.insert(0, "attribute", attr)
        parts.append(g)
    if not parts:
        return _empty()
    out = pd.concat(parts, ignore_index=True)
    out["attribute"] = out["attribute"].astype(object)
    out["group"] = out["group"].astype(object)
    out["reference_group"] = out["reference_group"].astype(object)
    out["population"] = out["population"].astype(np.int64)
    out["sanctioned"] = out["sanctioned"].astype(np.int64)
    out["four_fifths_violation"] = out["four_fifths_violation"].astype(bool)
    out["verdict"] = out["verdict"].astype(object)
    return out[list(COLUMNS)]
