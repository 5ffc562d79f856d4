"""The Stars of Xingqiao (MODEL.md section 8): one school, classes of simulated pupils.

From the article: on a chart at the back of the classroom, each pupil earns a red star for
punctuality, classroom manner and orderliness; the pupil with most stars at the end of the week is
the brightest star, the one with fewest does Friday-afternoon janitorial duty; the class with the
most stars gets treats at the end of the semester and its teacher a bonus. The programme
"dissolved into rancorous disputes regarding mass star inflation", and parents protested "the
unquantifiability of certain categories".

The model, week by week (one tick), for every pupil and category:

* true conduct ``= propensity + N(0, weekly_noise)``; the star is *deserved* when conduct clears
  ``bar``;
* the teacher *perceives* ``conduct + N(0, noise_c) + bias_class * bias_share_c`` and gives the
  star when that clears the bar. Quantifiable categories (punctuality) have little noise and take
  little of the bias; unquantifiable ones (manner, orderliness) take all of it;
* the brightest star and the pupil on Friday janitorial duty are the most and fewest stars of the
  week in each class (ties: semester total, then at random); a pupil back from duty tries harder
  (``effort`` added to the propensity);
* the teacher's bias grows each week by ``inflation_rate * teacher_bonus * (1 - honesty) *
  (1 + rivalry * gap)``, ``gap`` the class's shortfall in stars behind the leading class (share
  of the stars possible so far this semester), up to ``max_bias``; a new semester removes
  ``semester_reset`` of it; teachers' honesty is Beta(``teacher_honesty``);
* at the end of a semester the class with most stars gets treats and its teacher the bonus;
* parents dispute a star decision that diverges from the pupil's true conduct
  (``dispute_divergent``), a star denied in an unquantifiable category
  (``dispute_unquantifiable``), and janitorial duty given to a pupil whose conduct that week was
  not the lowest of the class (``dispute_duty``); and each week parents protest "mass star
  inflation" with probability ``dispute_inflation`` times their class's surplus of stars given
  over stars deserved (share of the week's decisions).

``star_inflation`` is the mean of (stars given - stars deserved) over every decision of the week.
In the control twin (``system = false``) the teacher keeps the chart honestly (no bias) and
nothing rides on it: no brightest star, no duty, no treats, no bonus, no disputes; its
``star_inflation`` is the perception noise alone. A pupil's score is the mean number of stars
per week so far this semester (0 to the number of categories).
"""
from __future__ import annotations

import numpy as np

from ..engine.config import MAX_FACTOR, MAX_SCALE, MAX_TICKS, Config, Field, model_validator
from ..engine.module import Module
from .sanctions import TierConfig, check_tiers, tier_index
from .scoring import score_summary

COLUMNS = ("stars", "stars_deserved", "star_inflation", "disputes", "janitorial_duty", "janitorial_duty_wrongful",
           "brightest_star_wrongful", "treats", "teacher_bonus", "teacher_bias", "semester")


class CategoryConfig(Config):
    """A red-star category of the chart."""

    quantifiable: bool = Field(description="a count (minutes late) rather than the teacher's impression")
    noise: float = Field(ge=0, le=MAX_SCALE, description="sd of the teacher's perception of the pupil's conduct")
    bias_share: float = Field(ge=0, le=1, description="share of the teacher's inflation that reaches this category")


class BetaConfig(Config):
    a: float = Field(ge=1 / MAX_FACTOR, le=MAX_FACTOR)
    b: float = Field(ge=1 / MAX_FACTOR, le=MAX_FACTOR)


class ClassroomConfig(Config):
    """The Stars of Xingqiao (MODEL.md section 8): one school, classes of pupils."""

    class_size: int = Field(ge=2, le=2**32 - 1, description="pupils per class")
    semester_weeks: int = Field(ge=1, le=MAX_TICKS, description="weeks per semester; treats and bonuses at its end")
    bar: float = Field(ge=-MAX_SCALE, le=MAX_SCALE, description="a star when the teacher's perception of conduct clears this bar")
    categories: dict[str, CategoryConfig] = Field(min_length=1)
    conduct: BetaConfig = Field(description="pupils' conduct propensity ~ Beta(a, b)")
    teacher_honesty: BetaConfig = Field(description="teachers' honesty ~ Beta(a, b)")
    weekly_noise: float = Field(ge=0, le=MAX_SCALE, description="sd of a pupil's conduct from week to week")
    teacher_bonus: float = Field(ge=0, le=MAX_FACTOR, description="bonus to the teacher of the class with most stars in a semester (0: none)")
    inflation_rate: float = Field(ge=0, le=MAX_FACTOR, description="perception added per week per unit of bonus by a fully dishonest teacher")
    rivalry: float = Field(ge=0, le=MAX_FACTOR, description="extra inflation per unit of the class's star gap to the leading class (share of stars)")
    max_bias: float = Field(ge=0, le=MAX_SCALE, description="largest inflation of the teacher's perception")
    semester_reset: float = Field(ge=0, le=1, description="share of a teacher's inflation removed when a new semester starts")
    effort: float = Field(ge=0, le=MAX_SCALE, description="conduct a pupil gains per week after Friday janitorial duty (and keeps)")
    dispute_divergent: float = Field(ge=0, le=1, description="chance parents dispute a star decision that diverges from true conduct")
    dispute_unquantifiable: float = Field(ge=0, le=1, description="chance parents dispute a star denied in an unquantifiable category")
    dispute_inflation: float = Field(ge=0, le=1, description="chance per unit of the class's star surplus (given minus deserved, share of decisions) that parents protest mass inflation in a week")
    dispute_duty: float = Field(ge=0, le=1, description="chance parents dispute janitorial duty given to a pupil whose conduct was not the class's lowest")


class ClassroomModuleConfig(Config):
    classroom: ClassroomConfig
    tiers: list[TierConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self):
        check_tiers(self.tiers)
        return self


def _first_last(cls: np.ndarray, keys: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per class (contiguous ids), the pupil ranked first and last by ``keys`` (lexsort order,
    last key primary)."""
    order = np.lexsort(keys + (cls,))
    c = cls[order]
    starts = np.r_[0, np.flatnonzero(np.diff(c)) + 1]
    ends = np.r_[starts[1:], c.size] - 1
    return order[starts], order[ends]


class Classroom(Module):
    """The classroom model."""

    name = "classroom"
    label = "the Stars of Xingqiao"
    Config = ClassroomModuleConfig

    def __init__(self, config=None, *, system: bool = True, **kw):
        self.system = bool(system)
        super().__init__(config, **kw)

    def declare(self) -> None:
        cfg = self.config.classroom
        self.cat_names = list(cfg.categories)
        K = len(self.cat_names)
        self.tier_names = [t.name for t in self.config.tiers]
        self.tier_mins = np.array([t.min for t in self.config.tiers], np.float32)
        self.stream()
        self.state("cls", np.int32, label="class")
        self.state("propensity", np.float32, rows=K, label="conduct propensity per category")
        for k in ("sem_stars", "sem_deserved", "stars_total", "deserved_total", "duties", "brightest", "disputes"):
            self.state(k, np.int32)
        self.state("on_duty", bool, label="on Friday janitorial duty this week")
        self.state("score", np.float32, label="stars per week this semester")
        self.column("mean_score", "mean stars per week this semester", "stars per week")
        for q in (5, 25, 50, 75, 95):
            self.column(f"score_p{q:02d}", f"{q}th percentile of stars per week", "stars per week")
        self.column("gini", "Gini coefficient of stars per week", "0 (equal) to 1")
        for name in self.tier_names:
            self.column(f"share_{name}", f"share in tier {name}", "share of pupils")
        self.column("sanctioned", "pupils on Friday janitorial duty", "pupils")
        labels = {"stars": ("red stars given", "stars"), "stars_deserved": ("red stars deserved", "stars"),
                  "star_inflation": ("star inflation (given minus deserved)", "stars per decision"),
                  "disputes": ("parents' disputes", "disputes"), "janitorial_duty": ("pupils on janitorial duty", "pupils"),
                  "janitorial_duty_wrongful": ("janitorial duty for a pupil whose conduct was not the lowest", "pupils"),
                  "brightest_star_wrongful": ("brightest star whose conduct was not the best", "pupils"),
                  "treats": ("treats for the class with most stars", "classes"),
                  "teacher_bonus": ("teacher's bonus paid", "bonus units"),
                  "teacher_bias": ("teachers' mean bias", "perception points"), "semester": ("semester", "semester")}
        for k in COLUMNS:
            self.column(k, *labels[k])

    @property
    def score_range(self) -> tuple[float, float]:
        return 0.0, float(len(self.cat_names))

    def init(self, sim) -> None:
        cfg = self.config.classroom
        n = sim.n
        cats = [cfg.categories[k] for k in self.cat_names]
        self.noise = np.array([c.noise for c in cats], np.float32)[:, None]
        self.bias_share = np.array([c.bias_share for c in cats], np.float32)[:, None]
        self.unquant = np.array([not c.quantifiable for c in cats], bool)[:, None]
        self.cls[:] = np.arange(n) // cfg.class_size
        self.n_classes = int(self.cls[-1]) + 1 if n else 0
        self.class_n = np.bincount(self.cls, minlength=self.n_classes)
        for k, name in enumerate(self.cat_names):
            self.propensity[k] = self.rng.beta(0, f"propensity.{name}", cfg.conduct.a, cfg.conduct.b, n=n)
        C = self.n_classes
        self.array("honesty", C, np.float32)[:] = self.rng.beta(0, "teacher_honesty", cfg.teacher_honesty.a,
                                                                 cfg.teacher_honesty.b, n=C)
        self.array("bias", C, np.float32)
        self.array("treats", C, np.int32)
        self.row = {}

    def tier_of(self, score) -> np.ndarray:
        return tier_index(np.asarray(score, np.float32), self.tier_mins)

    def step(self, sim, t: int) -> None:
        cfg = self.config.classroom
        n, K, C = sim.n, len(self.cat_names), self.n_classes
        on = self.system
        week = (t - 1) % cfg.semester_weeks
        if week == 0 and t > 1:  # a new semester
            self.bias *= np.float32(1 - cfg.semester_reset)
            self.sem_stars[:] = 0
            self.sem_deserved[:] = 0
        r = self.rng
        z_c = np.vstack([r.normal(t, f"conduct.{c}", n=n) for c in self.cat_names]).astype(np.float32)
        z_p = np.vstack([r.normal(t, f"perception.{c}", n=n) for c in self.cat_names]).astype(np.float32)
        tie = r.uniform(t, "tie", n=n)
        u_d = np.vstack([r.uniform(t, f"dispute.{j}", n=n) for j in range(K + 2)])
        conduct = self.propensity + np.float32(cfg.weekly_noise) * z_c
        deserved = conduct > cfg.bar
        perceived = conduct + self.noise * z_p
        if on:
            perceived += self.bias_share * self.bias[self.cls][None, :]
        given = perceived > cfg.bar
        stars = given.sum(axis=0).astype(np.int32)
        dstars = deserved.sum(axis=0).astype(np.int32)
        self.sem_stars += stars
        self.sem_deserved += dstars
        self.stars_total += stars
        self.deserved_total += dstars
        self.score[:] = np.clip(self.sem_stars / np.float32(week + 1), *self.score_range)
        cols = dict.fromkeys(COLUMNS, 0)
        cols["semester"] = (t - 1) // cfg.semester_weeks + 1
        cols["stars"] = int(stars.sum())
        cols["stars_deserved"] = int(dstars.sum())
        cols["star_inflation"] = float((given.astype(np.int8) - deserved).mean()) if n else 0.0
        cols["teacher_bonus"] = 0.0
        self.on_duty[:] = False
        if on and n:
            # the week's brightest star and Friday janitorial duty, one of each per class
            low, high = _first_last(self.cls, (tie, self.sem_stars, stars))
            self.on_duty[low] = True
            self.duties[low] += 1
            self.brightest[high] += 1
            dmin = np.full(C, K + 1, np.int32)
            np.minimum.at(dmin, self.cls, dstars)
            dmax = np.zeros(C, np.int32)
            np.maximum.at(dmax, self.cls, dstars)
            wrong_duty = dstars[low] > dmin[self.cls[low]]
            cols["janitorial_duty"] = int(low.size)
            cols["janitorial_duty_wrongful"] = int(wrong_duty.sum())
            cols["brightest_star_wrongful"] = int((dstars[high] < dmax[self.cls[high]]).sum())
            self.propensity[:, low] = np.minimum(self.propensity[:, low] + np.float32(cfg.effort), 1.0)
            # parents' disputes
            p = np.where(given != deserved, np.float32(cfg.dispute_divergent), np.float32(0))
            q = np.where(self.unquant & ~given, np.float32(cfg.dispute_unquantifiable), np.float32(0))
            disputed = (u_d[:K] < 1 - (1 - p) * (1 - q)).sum(axis=0).astype(np.int32)
            duty_wrong = np.zeros(n, bool)
            duty_wrong[low[wrong_duty]] = True
            disputed += (duty_wrong & (u_d[K] < cfg.dispute_duty)).astype(np.int32)
            surplus = np.bincount(self.cls, weights=(given.astype(np.int8) - deserved).sum(axis=0), minlength=C)
            infl = np.clip(surplus / np.maximum(self.class_n * K, 1), 0, 1).astype(np.float32)
            disputed += (u_d[K + 1] < np.float32(cfg.dispute_inflation) * infl[self.cls]).astype(np.int32)
            self.disputes += disputed
            cols["disputes"] = int(disputed.sum())
            # the teachers' bonus: inflation grows with the bonus and the gap to the leading class
            cstars = np.bincount(self.cls, weights=self.sem_stars, minlength=C)
            possible = np.maximum(self.class_n * K * (week + 1), 1)
            gap = (cstars.max() - cstars) / possible
            self.bias += (np.float32(cfg.inflation_rate * cfg.teacher_bonus) * (1 - self.honesty)
                          * (1 + np.float32(cfg.rivalry) * gap.astype(np.float32)))
            np.minimum(self.bias, np.float32(cfg.max_bias), out=self.bias)
            if week == cfg.semester_weeks - 1:  # end of the semester: treats and the bonus
                win = int(np.argmax(cstars))
                self.treats[win] += 1
                cols["treats"] = 1
                cols["teacher_bonus"] = float(cfg.teacher_bonus)
        cols["teacher_bias"] = float(self.bias.mean()) if C else 0.0
        self.row = cols

    def measure(self, sim, t: int) -> dict:
        lo, hi = self.score_range
        row = score_summary(self.score, lo, hi)
        shares = np.bincount(self.tier_of(self.score), minlength=len(self.tier_names)) / max(sim.n, 1)
        row.update({f"share_{k}": float(v) for k, v in zip(self.tier_names, shares)})
        row["sanctioned"] = int(self.on_duty.sum())
        row.update(self.row)
        return row

    def get_state(self) -> dict:
        return {"row": self.row}

    def set_state(self, state: dict) -> None:
        self.row = state.get("row", {})

    def citizen_columns(self, sim) -> dict:
        cols = {"unit": self.cls, "class": self.cls}
        for k, name in enumerate(self.cat_names):
            cols[f"propensity_{name}"] = self.propensity[k]
        cols.update({"stars": self.stars_total, "stars_deserved": self.deserved_total, "janitorial_duties": self.duties,
                     "brightest_star": self.brightest, "disputes": self.disputes, "score": self.score,
                     "tier": np.asarray(self.tier_names, dtype=object)[self.tier_of(self.score)],
                     "sanctioned": self.on_duty})
        return cols

    def final_arrays(self, sim) -> dict:
        return {"score": self.score, "propensity": self.propensity}

    def tables(self, sim) -> dict:
        import pandas as pd

        return {"classes": pd.DataFrame({"class": np.arange(self.n_classes), "pupils": self.class_n,
                                         "teacher_honesty": self.honesty, "teacher_bias": self.bias,
                                         "treats": self.treats})}
