"""The algorithm (MODEL.md section 5): rulebook, ledgers with provenance, score, friends' term.

* The **rulebook** (``[rules.<name>]``) maps each event of the sources' catalogue to points, a
  dimension, a half-life (ticks) and optional caps.
* Each citizen keeps a **ledger per rule**, split by provenance: ``behaviour`` (true events,
  rightly attributed) and ``error`` (misattributed events and false flags). Each tick
  ``L <- decay * L + points * count`` with ``decay = 0.5 ** (1 / half_life)``.
* The **own score** is linear in the ledger: ``own = base + sum_r weight(dim_r) * L_r`` where the
  weight is the dimension's weight for a Sesame-style score and 1 for a points ledger.
* The **friends' term**: ``s_i(t) = clip((1-a) own_i(t) + a m_i(t-1))``, ``m_i`` the mean of i's
  friends' scores at t-1 (own_i when i has none). With constant own scores this converges to
  ``(1-a)(I - aW)^-1 own``.
* A rule marked ``grade_cap`` (drunk driving in Rongcheng) caps the score at ``score.grade_cap``
  while its ledger is active (|L| at least ``score.grade_cap_until`` points).

Because the score is linear in the ledger before clipping, it can be explained exactly:
:meth:`Scoring.decompose` splits a score into its rule terms (each with its behaviour and error
parts), the network term (split by friend) and the clipping corrections. The explanation, the
dashboard and the report all call it.

**Dimension weights.** A dimension's weight is its share of the score's *ledger-driven
movement*: a citizen whose ledgers move only in dimension ``d`` moves by ``weight_d`` times the
ledger's points (``points`` are in dimension units). tests/test_scoring.py checks it.
"""
from __future__ import annotations

from typing import Literal

import numpy as np

from ..engine.config import (MAX_FACTOR, MAX_SCALE, MAX_SCORE_RANGE, Config, Field, did_you_mean, field_validator,
                             model_validator)
from ..engine.module import Module
from .sources import CATALOGUE

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
RESOLUTION = 0.1
"""Score quantiles and the Gini coefficient come from a histogram of scores at 0.1-point bins
(exact to within 0.1 point), one pass over the citizens."""


class ScoreConfig(Config):
    """How the score is made from the ledgers (MODEL.md section 5)."""

    kind: Literal["sesame", "points"] = Field(description="sesame: weighted dimensions; points: a points ledger (Rongcheng)")
    base: float = Field(ge=-MAX_SCALE, le=MAX_SCALE, description="starting score")
    min: float = Field(ge=-MAX_SCALE, le=MAX_SCALE)
    max: float = Field(ge=-MAX_SCALE, le=MAX_SCALE)
    dimensions: dict[str, float] = Field(min_length=1, description="dimension -> weight (points ledgers: weights unused)")
    transparent: bool = Field(description="citizens see the rules and weights (true) or not (false, the article)")
    grade_cap: float | None = Field(None, ge=-MAX_SCALE, le=MAX_SCALE, description="score cap while a rule with grade_cap is active (points ledger)")
    grade_cap_until: float | None = Field(None, gt=0, le=MAX_SCALE, description="a grade-cap rule is active while its ledger holds at least this many points (absolute)")

    @model_validator(mode="after")
    def _check(self):
        if self.max <= self.min:
            raise ValueError("max must be greater than min")
        if self.max - self.min > MAX_SCORE_RANGE:
            raise ValueError(f"max - min must be at most {MAX_SCORE_RANGE:g} score points (got {self.max - self.min:g})")
        if not self.min <= self.base <= self.max:
            raise ValueError("base must lie between min and max")
        if any(not 0 <= w <= MAX_FACTOR for w in self.dimensions.values()):
            raise ValueError(f"dimensions must map names to weights between 0 and {MAX_FACTOR:g}")
        return self


class NetworkConfig(Config):
    """The friends' term (MODEL.md section 5)."""

    alpha: float = Field(ge=0, lt=1, description="weight of the mean of friends' scores")


class RuleConfig(Config):
    """One rule of the rulebook."""

    event: str = Field(description="'source.event' of the sources' catalogue, e.g. 'courts.traffic_violation'")
    points: float = Field(ge=-MAX_SCALE, le=MAX_SCALE, description="points per event, in dimension units")
    dimension: str
    half_life: float = Field(ge=0, description="ticks; 0 means points never decay")
    cap_per_tick: int | None = Field(None, ge=1, le=2**31 - 1, description="events counted per tick at most")
    cap: float | None = Field(None, gt=0, le=MAX_SCALE, description="bound on the absolute value of the rule's ledger")
    grade_cap: bool = Field(False, description="while active, the score cannot exceed score.grade_cap")

    @field_validator("points")
    @classmethod
    def _representable(cls, points: float) -> float:
        if points != 0 and abs(points) < 1 / MAX_FACTOR:
            raise ValueError(f"expected 0 or at least {1 / MAX_FACTOR:g} points in absolute value")
        return points

    @field_validator("event")
    @classmethod
    def _known_event(cls, event: str) -> str:
        if event not in CATALOGUE:
            from .sources import EVENTS

            src = event.partition(".")[0]
            choices = [f"{src}.{e}" for e in EVENTS[src]] if src in EVENTS else CATALOGUE
            raise ValueError(f"unknown event {event!r}{did_you_mean(event, choices)}")
        return event


class ScoringConfig(Config):
    score: ScoreConfig
    network: NetworkConfig
    rules: dict[str, RuleConfig]

    @model_validator(mode="after")
    def _check(self):
        dims = list(self.score.dimensions)
        for name, r in self.rules.items():
            if r.dimension not in dims:
                raise ValueError(f"rules.{name}.dimension: unknown dimension {r.dimension!r}{did_you_mean(r.dimension, dims)}")
            if r.grade_cap and (self.score.grade_cap is None or self.score.grade_cap_until is None):
                raise ValueError(f"rules.{name}.grade_cap needs score.grade_cap and score.grade_cap_until")
        return self


def score_summary(score: np.ndarray, lo: float, hi: float) -> dict[str, float]:
    """Mean, quantiles and Gini of scores in ``[lo, hi]`` (histogram at 0.1-point bins).

    >>> s = np.array([400., 600., 800.], np.float32)
    >>> d = score_summary(s, 350, 950)
    >>> round(d["mean_score"], 3), d["score_p50"]
    (600.0, 600.0)
    """
    n = score.shape[0]
    nb = int(round((hi - lo) / RESOLUTION)) + 1
    idx = np.clip(np.rint((score - lo) / RESOLUTION).astype(np.int64), 0, nb - 1)
    h = np.bincount(idx, minlength=nb)
    cum = np.cumsum(h)
    out = {"mean_score": float(score.mean(dtype=np.float64)) if n else float("nan")}
    for q in QUANTILES:
        k = np.searchsorted(cum, q * n - 1e-9, side="left") if n else 0
        out[f"score_p{int(q * 100):02d}"] = round(lo + float(k) * RESOLUTION, 1)
    vals = lo + np.arange(nb) * RESOLUTION
    tot = float((h * vals).sum())
    if n and tot > 0:
        cumv = np.cumsum(h * vals)
        prev = np.r_[0.0, cumv[:-1]]
        out["gini"] = float(1.0 - (h * (2 * prev + h * vals)).sum() / (n * tot))
    else:
        out["gini"] = 0.0
    return out


def gini_exact(x: np.ndarray) -> float:
    """Exact Gini coefficient (for tests and small arrays)."""
    x = np.sort(np.asarray(x, np.float64))
    n = x.size
    if n == 0 or x.sum() == 0:
        return 0.0
    i = np.arange(1, n + 1)
    return float((2 * i - n - 1) @ x / (n * x.sum()))


def combine(own: np.ndarray, m: np.ndarray, alpha: float, lo: float, hi: float,
            capped: np.ndarray | None = None, cap_value: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``clip((1-a) own + a m)`` and the unclipped value; grade caps applied after clipping."""
    raw = (1.0 - alpha) * own + alpha * m
    s = np.clip(raw, lo, hi)
    if capped is not None and cap_value is not None and capped.any():
        s = np.where(capped, np.minimum(s, cap_value), s)
    return s.astype(np.float32, copy=False), raw.astype(np.float32, copy=False)


class Scoring(Module):
    """Rulebook, ledgers, own score and the friends' term."""

    name = "scoring"
    label = "the score"
    Config = ScoringConfig

    def declare(self) -> None:
        cfg = self.config
        names = list(cfg.rules)
        rules = [cfg.rules[k] for k in names]
        R = len(rules)
        self.rule_names = names
        self.events = [r.event for r in rules]
        self.points = np.array([r.points for r in rules], np.float32)
        self.decay = np.array([0.5 ** (1.0 / r.half_life) if r.half_life > 0 else 1.0 for r in rules], np.float32)
        self.dimensions = list(cfg.score.dimensions)
        self.dim_index = np.array([self.dimensions.index(r.dimension) for r in rules], np.int64)
        if cfg.score.kind == "sesame":
            self.weight = np.array([cfg.score.dimensions[r.dimension] for r in rules], np.float32)
        else:
            self.weight = np.ones(R, np.float32)
        self.cap_per_tick = [r.cap_per_tick for r in rules]
        self.cap = [r.cap for r in rules]
        self.grade_cap = np.array([r.grade_cap for r in rules], bool)
        self.state("ledger_behaviour", np.float32, rows=R, label="points from true events, per rule")
        self.state("ledger_error", np.float32, rows=R, label="points from errors, per rule")
        base = float(np.clip(cfg.score.base, cfg.score.min, cfg.score.max))
        for k, label in (("score", "score"), ("prev_score", "score at the previous tick"),
                         ("own", "own score (no friends' term, not clipped)"),
                         ("own_error", "part of the own score from error points"),
                         ("raw", "score before clipping"), ("friends_mean", "mean of friends' previous scores")):
            self.state(k, np.float32, 0.0 if k == "own_error" else base, label=label)
        self.column("mean_score", "mean score", "score points")
        for q in QUANTILES:
            self.column(f"score_p{int(q * 100):02d}", f"{int(q * 100)}th percentile of scores", "score points")
        self.column("gini", "Gini coefficient of scores", "0 (equal) to 1")

    # -- what other modules and the explanations use ------------------------------------------
    @property
    def alpha(self) -> float:
        return float(self.config.network.alpha)

    @property
    def bounds(self) -> tuple[float, float]:
        return float(self.config.score.min), float(self.config.score.max)

    def rule_index(self, name: str) -> int:
        return self.rule_names.index(name)

    def drag(self, degree, s_friend, s_self):
        """How much a friend pulls a citizen's score: ``alpha / degree * (s_friend - s_self)``
        (negative: down)."""
        return self.alpha / np.maximum(degree, 1) * (np.asarray(s_friend, np.float64) - np.asarray(s_self, np.float64))

    def add_points(self, r: int, ids: np.ndarray, points: float | None = None, error: bool = False) -> None:
        """Add rule ``r``'s points (or ``points``) to the ledgers of citizens ``ids``."""
        L = self.ledger_error if error else self.ledger_behaviour
        L[r, ids] += np.float32(self.points[r] if points is None else points)

    def clear_errors(self, rules: np.ndarray, ids: np.ndarray) -> None:
        """Remove the error points of ``rules`` from the ledgers of citizens ``ids`` (a won appeal)."""
        if ids.size and rules.size:
            self.ledger_error[np.ix_(rules, ids)] = 0

    def own_score(self, Lb: np.ndarray, Le: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Own score (before the friends' term and clipping) and its error part."""
        n = Lb.shape[1]
        base = float(self.config.score.base)
        if len(self.rule_names) == 0:
            return np.full(n, base, np.float32), np.zeros(n, np.float32)
        err = self.weight @ Le
        own = self.weight @ Lb
        own += err
        own += base
        return own.astype(np.float32, copy=False), err.astype(np.float32, copy=False)

    def capped(self, Lb: np.ndarray, Le: np.ndarray | None) -> np.ndarray:
        """Citizens whose score is capped by an active grade-cap rule."""
        rs = np.flatnonzero(self.grade_cap)
        if rs.size == 0:
            return np.zeros(Lb.shape[1], bool)
        tot = Lb[rs] if Le is None else Lb[rs] + Le[rs]
        return (np.abs(tot) >= self.config.score.grade_cap_until).any(axis=0)

    def scores_from(self, own: np.ndarray, m: np.ndarray, capped: np.ndarray, alpha: float | None = None):
        """The score (and raw score) for own scores ``own`` and friends' means ``m``."""
        sc = self.config.score
        return combine(own, m, self.alpha if alpha is None else alpha, sc.min, sc.max, capped, sc.grade_cap)

    def dimension_scores(self) -> dict[str, np.ndarray]:
        """Each dimension's contribution to the own score."""
        Lb, Le = self.ledger_behaviour, self.ledger_error
        out = {}
        for d, name in enumerate(self.dimensions):
            rs = np.flatnonzero(self.dim_index == d)
            out[name] = (self.weight[rs] @ (Lb[rs] + Le[rs])).astype(np.float32) if rs.size else \
                np.zeros(Lb.shape[1], np.float32)
        return out

    # -- the tick -----------------------------------------------------------------------------
    def step(self, sim, t: int) -> None:
        Lb, Le = self.ledger_behaviour, self.ledger_error
        for r, ev in enumerate(self.events):
            lb, le = Lb[r], Le[r]
            if self.decay[r] != 1:
                lb *= self.decay[r]
                le *= self.decay[r]
            rec = sim.sources.records.get(ev)
            if rec is None:
                continue
            nb, ne = rec.beh, rec.err
            cap = self.cap_per_tick[r]
            if cap is not None:
                nb = np.minimum(nb, cap)
                if rec.err_ids.size:  # errors count only up to what behaviour left of the cap
                    used = np.zeros(rec.err_ids.size, np.int32)
                    if rec.beh_ids.size:
                        pos = np.minimum(np.searchsorted(rec.beh_ids, rec.err_ids), rec.beh_ids.size - 1)
                        hit = rec.beh_ids[pos] == rec.err_ids
                        used[hit] = nb[pos[hit]]
                    ne = np.minimum(ne, cap - used)
            if rec.beh_ids.size:
                lb[rec.beh_ids] += self.points[r] * nb.astype(np.float32)
            if rec.err_ids.size:
                le[rec.err_ids] += self.points[r] * ne.astype(np.float32)
        for r, cap in enumerate(self.cap):
            if cap is None:
                continue
            tot = Lb[r] + Le[r]
            over = np.abs(tot) > cap
            if over.any():
                f = (cap / np.abs(tot[over])).astype(np.float32)
                Lb[r, over] *= f
                Le[r, over] *= f
        own, own_err = self.own_score(Lb, Le)
        m = sim.exchange.friends_mean(self.score, own)
        score, raw = self.scores_from(own, m, self.capped(Lb, Le))
        self.prev_score, self.score, self.raw = self.score, score, raw
        self.own, self.own_error, self.friends_mean = own, own_err, m

    def measure(self, sim, t: int) -> dict:
        lo, hi = self.bounds
        return score_summary(self.score, lo, hi)

    def citizen_columns(self, sim) -> dict:
        cols = {"score": self.score, "own_score": self.own}
        if self.rule_names:
            cols.update({f"dim_{k}": v for k, v in self.dimension_scores().items()})
        cols["error_points"] = self.own_error
        return cols

    def final_arrays(self, sim) -> dict:
        return {"ledger_behaviour": self.ledger_behaviour, "ledger_error": self.ledger_error, "score": self.score,
                "prev_score": self.prev_score, "own": self.own, "raw": self.raw, "friends_mean": self.friends_mean}

    def summarise(self, own: float, dims: dict[str, float], friends_mean: float | None, score: float) -> list[dict]:
        """A summary decomposition from a citizen's stored columns, when the ledgers are not at
        hand: the base, each dimension's contribution (they make the own score), the friends' term
        ``alpha * (m - own)`` (the score is ``own + alpha * (m - own)`` before clipping) and the
        clipping correction. The terms add up to ``score``."""
        base = float(self.config.score.base)
        terms: list[dict] = [{"kind": "rule", "name": "base score", "value": base}]
        terms += [{"kind": "rule", "name": f"dimension: {k.replace('_', ' ')}", "value": float(v)} for k, v in dims.items()]
        rest = own - base - sum(float(v) for v in dims.values())
        if abs(rest) > 1e-2:
            terms.append({"kind": "rule", "name": "other own-score terms", "value": rest})
        if friends_mean is not None:
            net = self.alpha * (friends_mean - own)
            terms.append({"kind": "network", "name": f"friends' scores (alpha {self.alpha:g} x (friends' mean "
                                                     f"{friends_mean:.1f} - own))", "value": net})
            terms.append({"kind": "clip", "name": "clipping and caps", "value": score - (own + net)})
        else:
            terms.append({"kind": "network", "name": "friends' term and clipping", "value": score - own})
        return terms

    # -- the exact explanation -------------------------------------------------------------------
    def decompose(self, Lb: np.ndarray, Le: np.ndarray, score: float, friends: np.ndarray,
                  friends_prev: np.ndarray) -> list[dict]:
        """The terms of one citizen's score, which sum to it exactly (to float tolerance).

        ``Lb``, ``Le``: the citizen's ledgers (one value per rule); ``friends``: their friends'
        ids in the graph the score was computed on; ``friends_prev``: those friends' scores at
        the tick before. Terms: ``rule`` (``base`` and one per rule with a non-zero ledger,
        ``f * w_r * L_r`` with its ``behaviour`` and ``error`` parts, where ``f = 1 - alpha``
        for a citizen with friends and 1 without), one ``network`` term ``alpha * m`` split by
        friend, and ``clip`` corrections (floor, ceiling, grade cap) when they apply.
        """
        cfg = self.config
        sc = cfg.score
        alpha = self.alpha
        deg = int(np.asarray(friends).size)
        f = (1.0 - alpha) if deg > 0 else 1.0
        base = float(sc.base)
        terms: list[dict] = [{"kind": "rule", "name": "base", "value": f * base,
                              "description": f"starting score {base:g}" + (f" x (1 - alpha {alpha:g})" if deg and alpha > 0 else "")}]
        capped_by: list[str] = []
        for r, name in enumerate(self.rule_names):
            rc = cfg.rules[name]
            L = float(Lb[r]) + float(Le[r])
            if rc.grade_cap and abs(L) >= sc.grade_cap_until:
                capped_by.append(name)
            if L == 0.0:
                continue
            w = float(self.weight[r])
            terms.append({"kind": "rule", "name": name, "value": f * w * L, "behaviour": f * w * float(Lb[r]),
                          "error": f * w * float(Le[r]), "event": rc.event, "dimension": rc.dimension, "weight": w,
                          "points_per_event": rc.points, "ledger_points": L, "ledger_error_points": float(Le[r])})
        if deg > 0 and alpha > 0:
            prev = np.asarray(friends_prev, np.float64)
            ids = np.asarray(friends, np.int64)
            vals = alpha / deg * prev
            order = np.lexsort((ids, vals))
            mean_f = float(prev.mean())
            terms.append({"kind": "network", "name": "friends", "value": float(vals.sum()), "friends": deg,
                          "alpha": alpha, "mean_friends_score": mean_f,
                          "description": f"alpha {alpha:g} x mean of {deg} friends' scores last tick ({mean_f:.1f})",
                          "split": [{"id": int(ids[k]), "prev_score": float(prev[k]), "value": float(vals[k])}
                                    for k in order]})
        raw = float(sum(t["value"] for t in terms))
        lo, hi = float(sc.min), float(sc.max)
        clipped = min(max(raw, lo), hi)
        if raw < lo:
            terms.append({"kind": "clip", "name": "floor", "value": lo - raw,
                          "description": f"the score cannot fall below {lo:g} (raw {raw:.2f})"})
        elif raw > hi:
            terms.append({"kind": "clip", "name": "ceiling", "value": hi - raw,
                          "description": f"the score cannot exceed {hi:g} (raw {raw:.2f})"})
        cap = sc.grade_cap
        if cap is not None and clipped > cap + 1e-3 and score <= cap + 1e-3:
            why = f"while {', '.join(capped_by)} is on record" if capped_by else "while a grade-cap rule was on record"
            terms.append({"kind": "clip", "name": "grade_cap", "value": cap - clipped, "rules": capped_by,
                          "description": f"capped at {cap:g} {why}"})
        return terms
