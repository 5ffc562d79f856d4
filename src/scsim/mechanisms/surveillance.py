"""Pattern of life and the disposition matrix (MODEL.md section 9).

Every ``every`` ticks (first at tick ``every``; the columns carry the last analysis in between,
and are 0, or NaN for precision and recall, before the first) the watcher reads the telecom
metadata of the last ``window`` ticks and infers a contact graph: a pair of citizens is tied when
their calls and co-locations reach ``min_contacts`` (k) in the window. It then watchlists
everyone within ``hops`` (h) hops of a flagged citizen on that inferred graph: by default a
single call (k = 1, h = 1) is enough.

The metadata are drawn pair by pair from the ``surveillance`` stream (keyed by both ends of a
tie), at the rates of the metadata source (``[sources.metadata]``, with its responses):

* along each true tie (i, j) where both own a phone: Poisson with mean
  ``window * ((calls_i + colocations_i) / deg_i + (calls_j + colocations_j) / deg_j)`` (one's
  calls and co-locations spread over one's friends);
* with strangers (one-off calls, deliveries, wrong numbers): each phone owner makes
  Poisson(``window * stranger_calls``) calls to other phone owners of the same region.

Measured against the true graph: precision and recall of the inferred ties, the number
watchlisted (not counting the flagged themselves), and how many of them are *not* within h hops
of a flagged citizen in the true graph (for h = 1: no true tie to anyone flagged). A citizen is
flagged when the ledger of ``flag_rule`` (behaviour plus error points) is at or below
``-flag_points`` (recent flagged posts), or, with ``flag_blacklisted``, when blacklisted.
"""
from __future__ import annotations

import numpy as np
from scipy.special import gammainc

from ..engine.config import MAX_SCALE, MAX_TICKS, Field, Switchable, needed
from ..engine.exchange import Groups
from ..engine.module import Module

_LOW = np.int64(0xFFFFFFFF)
COLUMNS = ("flagged_citizens", "watchlisted", "watchlisted_without_true_tie", "inferred_ties",
           "inferred_tie_precision", "inferred_tie_recall")


class SurveillanceConfig(Switchable):
    """Pattern of life and the watchlist (MODEL.md section 9)."""

    every: int | None = needed(ge=1, le=MAX_TICKS, description="ticks between analyses (the first at tick `every`); columns carry the last value in between")
    window: int | None = needed(ge=1, le=MAX_TICKS, description="ticks of metadata counted for an inferred tie")
    min_contacts: int | None = needed(ge=1, le=2**31 - 1, description="k: calls and co-locations in the window that make an inferred tie (1: a single call)")
    hops: int | None = needed(ge=1, le=6, description="h: watchlist everyone within h hops of a flagged citizen on the inferred graph")
    flag_rule: str | None = needed(min_length=1, description="rule whose ledger flags a citizen")
    flag_points: float | None = needed(gt=0, le=MAX_SCALE, description="a citizen is flagged when that rule's ledger is at or below -flag_points")
    flag_blacklisted: bool = Field(False, description="also flag everyone on the blacklist")


class Surveillance(Module):
    name = "surveillance"
    label = "pattern of life"
    Config = SurveillanceConfig

    def declare(self) -> None:
        self.stream()
        e = self.config.every or 0
        self.column("flagged_citizens", "citizens flagged by the watcher", "citizens", every=e)
        self.column("watchlisted", "citizens watchlisted (not flagged themselves)", "citizens", every=e)
        self.column("watchlisted_without_true_tie", "watchlisted with no true tie to anyone flagged", "citizens",
                    f"not within {self.config.hops or 1} hop(s) of a flagged citizen in the true graph", every=e)
        self.column("inferred_ties", "ties inferred from metadata", "ties", every=e)
        self.column("inferred_tie_precision", "precision of inferred ties", "share of inferred ties that are true", every=e,
                    undefined="when no tie is inferred")
        self.column("inferred_tie_recall", "recall of inferred ties", "share of true ties inferred", every=e,
                    undefined="when there is no true tie")

    def init(self, sim) -> None:
        p = sim.people
        self.phones = Groups.of(p.region, len(p.region_names), p.phone)
        names = sim.scoring.rule_names
        self.r = names.index(self.config.flag_rule) if self.config.flag_rule in names else -1
        self.last = self._empty()

    @staticmethod
    def _empty() -> dict:
        row = dict.fromkeys(COLUMNS, 0)
        row["inferred_tie_precision"] = row["inferred_tie_recall"] = float("nan")
        return row

    def flagged(self, sim) -> np.ndarray:
        """Who the watcher has flagged this tick."""
        cfg = self.config
        out = np.zeros(sim.n, bool)
        if self.r >= 0:
            sc = sim.scoring
            out |= (sc.ledger_behaviour[self.r] + sc.ledger_error[self.r]) <= -cfg.flag_points
        if cfg.flag_blacklisted:
            out |= sim.sanctions.blacklisted
        return out

    def contacts(self, sim, t: int, window: int, k: int):
        """Draw the window's metadata and threshold it at ``k`` contacts.

        Returns ``(u, v, true_inferred, false_keys)``: the true edges ``(u[e], v[e])`` (u < v),
        whether each reached k contacts (stranger calls that happen to fall on a true tie count
        too), and the ``lo << 32 | hi`` keys of the pairs that reached k without being true ties.
        Only whether a Poisson count reaches k matters, so each edge draws one uniform against
        ``P(N >= k) = gammainc(k, mean)``.
        """
        from ..graph.edits import find_in_rows
        from ..graph.kernels import edge_sum, upper_triangle
        from .sources import RATES, View

        ex = sim.exchange
        ptr, ind = ex.rows()
        u, v, first = upper_triangle(ptr, ind)
        src = sim.sources.cfg("metadata")
        if not src.enabled:
            return u, v, np.zeros(u.size, bool), np.zeros(0, np.int64)
        phone = sim.people.phone
        rates = RATES["metadata"](View(sim, np.arange(sim.n)), src, sim.sources.config.strain)
        per = ((rates["calls"] + rates["colocations"]) * phone).astype(np.float32)
        deg = ex.degree
        share = np.where(deg > 0, per / np.maximum(deg, 1), 0).astype(np.float32)
        lam = edge_sum(u, v, share, phone, window)  # window * (share_u + share_v), 0 unless both own a phone
        p = -np.expm1(-lam) if k == 1 else gammainc(k, lam)
        draw = self.rng.uniform_pairs(t, "tie", u, v)
        inferred = draw < p
        del p
        # stranger calls: Poisson per phone owner, each to another phone owner of the region
        owners = self.phones.members
        calls = self.rng.poisson(np.float32(window) * rates["stranger_calls"][owners], t, "strangers", ids=owners)
        has = calls > 0
        who = np.repeat(owners[has], calls[has])
        to = ex.pick(self.phones, sim.people.region[who], self.rng.each(t, "callee", calls[has], ids=owners[has]),
                     avoid=who)
        ok = to >= 0
        a, bb = who[ok], to[ok]
        keys, kc = np.unique((np.minimum(a, bb) << 32) | np.maximum(a, bb), return_counts=True)
        if u.size and keys.size:
            # which stranger pairs are true ties, and their edge numbers: a binary search in the
            # lower endpoint's CSR row; edge numbers follow the rows' upper parts
            lo_, hi_ = keys >> 32, keys & _LOW
            pos, hit = find_in_rows(ptr, ind, lo_, hi_)
            r = lo_[hit]
            e = first[r] + pos[hit] - (ptr[r + 1] - (first[r + 1] - first[r]))
            c = kc[hit]
            inferred[e] = draw[e] < np.where(c >= k, 1.0, gammainc(np.maximum(k - c, 1), lam[e]))
            keys, kc = keys[~hit], kc[~hit]
        return u, v, inferred, keys[kc >= k]

    def analyse(self, sim, t: int) -> dict:
        """Infer ties, watchlist, and measure against the truth."""
        cfg = self.config
        window = min(cfg.window, t)
        u, v, tp_mask, fp_keys = self.contacts(sim, t, window, cfg.min_contacts)
        tp = int(tp_mask.sum())
        fp = int(fp_keys.size)
        ia = np.r_[u[tp_mask], (fp_keys >> 32)].astype(np.int64)
        ib = np.r_[v[tp_mask], (fp_keys & _LOW)].astype(np.int64)
        fl = self.flagged(sim)
        ex = sim.exchange
        watch = ex.reach(fl, cfg.hops, edges=(ia, ib)) & ~fl
        true_reach = ex.reach(fl, cfg.hops)
        return {
            "flagged_citizens": int(fl.sum()),
            "watchlisted": int(watch.sum()),
            "watchlisted_without_true_tie": int((watch & ~true_reach).sum()),
            "inferred_ties": tp + fp,
            "inferred_tie_precision": tp / (tp + fp) if tp + fp else float("nan"),
            "inferred_tie_recall": tp / u.size if u.size else float("nan"),
        }

    def step(self, sim, t: int) -> None:
        cfg = self.config
        if not (sim.scenario.system and cfg.enabled):
            self.last = self._empty()
            return
        if t % cfg.every == 0:
            self.last = self.analyse(sim, t)

    def measure(self, sim, t: int) -> dict:
        return dict(self.last)

    def get_state(self) -> dict:
        return {"last": self.last}

    def set_state(self, state: dict) -> None:
        last = dict(state.get("last", self._empty()))
        for k in ("inferred_tie_precision", "inferred_tie_recall"):
            if last.get(k) is None:
                last[k] = float("nan")
        self.last = last
