"""The Stars of Xingqiao (MODEL.md section 8): one school, classes of 40 simulated pupils.

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
  ``semester_reset`` of it;
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
``star_inflation`` is the perception noise alone.

A pupil's score is the mean number of stars per week so far this semester (0 to the number of
categories).

>>> import scsim
>>> sc = scsim.load_scenario("xingqiao", ticks=6)
>>> r = XingqiaoSimulation(sc).run()
>>> int(r.ticks["janitorial_duty"].iloc[0]) == sc.population // 40
True
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from .errors import ScenarioError
from .metrics import score_summary
from .rng import blocks, stream
from .scenario import Scenario
from .scoring import tier_of

COLUMNS = ("stars", "stars_deserved", "star_inflation", "disputes", "janitorial_duty", "janitorial_duty_wrongful",
           "brightest_star_wrongful", "treats", "teacher_bonus", "teacher_bias", "semester")


def _first_last(cls: np.ndarray, keys: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per class (contiguous ids), the pupil ranked first and last by ``keys`` (lexsort order,
    last key primary)."""
    order = np.lexsort(keys + (cls,))
    c = cls[order]
    starts = np.r_[0, np.flatnonzero(np.diff(c)) + 1]
    ends = np.r_[starts[1:], c.size] - 1
    return order[starts], order[ends]


class XingqiaoSimulation:
    """The classroom model with the interface of :class:`scsim.Simulation` (``step``, ``run``).

    >>> import scsim
    >>> sim = XingqiaoSimulation(scsim.load_scenario("xingqiao", population=400, ticks=3))
    >>> sim.step(); sim.tick
    1
    """

    def __init__(self, scenario: Scenario, graph=None):
        t0 = time.perf_counter()
        sc = scenario
        cfg = sc.groups.xingqiao
        if cfg is None:
            raise ScenarioError(f"{sc.name}: groups.xingqiao: the classroom model needs a [groups.xingqiao] table")
        self.scenario = sc
        self.cfg = cfg
        self.n = n = sc.population
        self.seed = sc.seed
        self.tick = 0
        self.cat_names = list(cfg.categories)
        cats = [cfg.categories[k] for k in self.cat_names]
        K = len(cats)
        self.noise = np.array([c.noise for c in cats], np.float32)[:, None]
        self.bias_share = np.array([c.bias_share for c in cats], np.float32)[:, None]
        self.unquant = np.array([not c.quantifiable for c in cats], bool)[:, None]
        self.cls = (np.arange(n) // cfg.class_size).astype(np.int32)
        self.n_classes = int(self.cls[-1]) + 1 if n else 0
        self.class_n = np.bincount(self.cls, minlength=self.n_classes)
        prop = np.empty((K, n), np.float32)
        for b, lo, hi in blocks(n):
            prop[:, lo:hi] = stream(sc.seed, 0, "xingqiao", b).beta(cfg.conduct_a, cfg.conduct_b, (K, hi - lo))
        self.propensity = prop
        self.honesty = stream(sc.seed, 0, "supervisors", 0).beta(2.0, 2.0, self.n_classes).astype(np.float32)
        self.bias = np.zeros(self.n_classes, np.float32)
        self.sem_stars = np.zeros(n, np.int32)      # this semester, per pupil
        self.sem_deserved = np.zeros(n, np.int32)
        self.stars_total = np.zeros(n, np.int32)    # whole run
        self.deserved_total = np.zeros(n, np.int32)
        self.duties = np.zeros(n, np.int32)
        self.brightest = np.zeros(n, np.int32)
        self.disputes = np.zeros(n, np.int32)
        self.on_duty = np.zeros(n, bool)
        self.treats = np.zeros(self.n_classes, np.int32)
        self.tier_names = sc.tier_names
        self.tier_mins = np.array([t.min for t in sc.tiers], np.float32)
        self.score = np.zeros(n, np.float32)
        self.rows: list[dict] = []
        self.build_s = time.perf_counter() - t0
        self.ticks_s = 0.0

    # ------------------------------------------------------------------------------------------
    def step(self) -> None:
        """One school week."""
        t0 = time.perf_counter()
        sc, cfg = self.scenario, self.cfg
        t = self.tick + 1
        n, K, C = self.n, len(self.cat_names), self.n_classes
        on = sc.system
        week = (t - 1) % cfg.semester_weeks
        if week == 0 and t > 1:  # a new semester
            self.bias *= np.float32(1 - cfg.semester_reset)
            self.sem_stars[:] = 0
            self.sem_deserved[:] = 0
        # draws, block by block of pupils: conduct noise, perception noise, tie-break, disputes
        z_c = np.empty((K, n), np.float32)
        z_p = np.empty((K, n), np.float32)
        tie = np.empty(n, np.float32)
        u_d = np.empty((K + 2, n), np.float32)
        for b, lo, hi in blocks(n):
            r = stream(self.seed, t, "xingqiao", b)
            m = hi - lo
            z_c[:, lo:hi] = r.standard_normal((K, m), dtype=np.float32)
            z_p[:, lo:hi] = r.standard_normal((K, m), dtype=np.float32)
            tie[lo:hi] = r.random(m, dtype=np.float32)
            u_d[:, lo:hi] = r.random((K + 2, m), dtype=np.float32)
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
        row: dict = {"tick": t}
        self.score = (self.sem_stars / np.float32(week + 1)).astype(np.float32)
        np.clip(self.score, sc.score.min, sc.score.max, out=self.score)
        row.update(score_summary(self.score, sc.score.min, sc.score.max))
        tiers = tier_of(self.score, self.tier_mins)
        shares = np.bincount(tiers, minlength=len(self.tier_names)) / max(n, 1)
        row.update({f"share_{k}": float(v) for k, v in zip(self.tier_names, shares)})
        cols = dict.fromkeys(COLUMNS, 0)
        cols["semester"] = (t - 1) // cfg.semester_weeks + 1
        cols["stars"] = int(stars.sum())
        cols["stars_deserved"] = int(dstars.sum())
        cols["star_inflation"] = float((given.astype(np.int8) - deserved).mean()) if n else 0.0
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
            # "mass star inflation": parents protest the undeserved stars of their child's class
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
        row["sanctioned"] = int(self.on_duty.sum())
        row["blacklisted"] = 0
        row.update(cols)
        self.rows.append(row)
        self.tick = t
        self.ticks_s += time.perf_counter() - t0

    CHECKPOINT = "checkpoint.pkl"

    def save_checkpoint(self, folder):
        """Write the whole state to ``folder/checkpoint.pkl`` (as :meth:`scsim.Simulation.save_checkpoint`)."""
        from .model import Simulation

        return Simulation.save_checkpoint(self, folder)

    def run(self, progress=None, checkpoint_dir=None):
        """Run the remaining weeks; returns a :class:`~scsim.results.Result`. With
        ``checkpoint_dir``, the state is saved there every ``engine.checkpoint_every`` ticks."""
        from . import __version__
        from .results import Result

        sc = self.scenario
        every = sc.engine.checkpoint_every
        while self.tick < sc.ticks:
            self.step()
            if checkpoint_dir is not None and every and self.tick % every == 0 and self.tick < sc.ticks:
                self.save_checkpoint(checkpoint_dir)
            if progress is not None:
                progress(self.tick, sc.ticks)
        cols = {"id": np.arange(self.n, dtype=np.int64), "unit": self.cls, "class": self.cls}
        for k, name in enumerate(self.cat_names):
            cols[f"propensity_{name}"] = self.propensity[k]
        cols.update({"stars": self.stars_total, "stars_deserved": self.deserved_total, "janitorial_duties": self.duties,
                     "brightest_star": self.brightest, "disputes": self.disputes, "score": self.score,
                     "tier": np.asarray(self.tier_names, dtype=object)[tier_of(self.score, self.tier_mins)],
                     "sanctioned": self.on_duty})
        citizens = pd.DataFrame(cols)
        classes = pd.DataFrame({"class": np.arange(self.n_classes), "pupils": self.class_n,
                                "teacher_honesty": self.honesty, "teacher_bias": self.bias, "treats": self.treats})
        last = self.rows[-1] if self.rows else {}
        manifest = {"scenario_name": sc.name, "population": self.n, "edges": 0, "ticks": self.tick, "seed": sc.seed,
                    "scsim_version": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "tier_names": self.tier_names, "rules": [], "model": "xingqiao",
                    "note": "simulated pupils, classes and teachers; no real person is described",
                    "timings": {"build_s": round(self.build_s, 4), "ticks_s": round(self.ticks_s, 4)},
                    "summary": {k: v for k, v in last.items() if k != "tick"}, "scenario": sc.resolved()}
        return Result(ticks=pd.DataFrame(self.rows), citizens=citizens,
                      panel=pd.DataFrame({"tick": [], "id": [], "score": []}), manifest=manifest,
                      arrays={"score": self.score, "propensity": self.propensity}, tables={"classes": classes})
