"""Pattern of life and the disposition matrix (MODEL.md section 9).

Every ``every`` ticks (first at tick ``every``; the columns carry the last analysis in between,
and are 0, or NaN for precision and recall, before the first) the watcher reads the telecom metadata of the last ``window`` ticks and
infers a contact graph: a pair of citizens is tied when their calls and co-locations reach
``min_contacts`` (k) in the window. It then watchlists everyone within ``hops`` (h) hops of a
flagged citizen on that inferred graph: by default a single call (k = 1, h = 1) is enough.

The metadata are drawn pair by pair (with the ``surveillance`` random stream, block by block of
the lower endpoint), at the rates of the scenario's ``[sources.metadata]``:

* along each true tie (i, j) where both own a phone: Poisson with mean
  ``window * ((calls_i + colocations_i) / deg_i + (calls_j + colocations_j) / deg_j)``, where
  ``calls_i = rates.calls * (0.5 + sociability_i)`` and likewise for co-locations (the metadata
  source's own rates, spread over one's friends);
* with strangers (one-off calls, deliveries, wrong numbers): each phone owner makes
  Poisson(``window * rates.stranger_calls``) calls to phone owners of the same region, at random.

Measured against the true graph: precision and recall of the inferred ties, the number
watchlisted (not counting the flagged themselves), and how many of them are *not* within h hops
of a flagged citizen in the true graph (for h = 1: no true tie to anyone flagged).

A citizen is flagged when the ledger of ``flag_rule`` (behaviour plus error points) is at or
below ``-flag_points`` (recent flagged posts), or, with ``flag_blacklisted``, when blacklisted.

>>> import scsim
>>> sc = scsim.load_scenario("article", population=3000, ticks=4, seed=1,
...                          **{"surveillance.every": 4, "surveillance.flag_points": 30})
>>> r = scsim.Simulation(sc).run()
>>> float(r.ticks["inferred_tie_recall"].iloc[-1]) > 0.5
True
"""
from __future__ import annotations

import numpy as np
from scipy.special import gammainc

from .graph import find_in_rows
from .rng import BLOCK, stream

COLUMNS = ("flagged_citizens", "watchlisted", "watchlisted_without_true_tie", "inferred_ties",
           "inferred_tie_precision", "inferred_tie_recall")
_LOW = np.int64(0xFFFFFFFF)


class SurveillanceState:
    def __init__(self, sim):
        pop = sim.pop
        phone = pop.platforms["phone"]
        owners = np.flatnonzero(phone)
        order = np.argsort(pop.region[owners], kind="stable")
        self.members = owners[order].astype(np.int64)
        counts = np.bincount(pop.region[owners], minlength=len(pop.region_names))
        self.start = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
        self.count = counts.astype(np.int64)
        self.last = {c: 0 for c in COLUMNS}
        self.last["inferred_tie_precision"] = float("nan")
        self.last["inferred_tie_recall"] = float("nan")


def state(sim) -> SurveillanceState:
    st = getattr(sim, "surveillance_state", None)
    if st is None:
        st = sim.surveillance_state = SurveillanceState(sim)
    return st


def flagged(sim) -> np.ndarray:
    """Who the watcher has flagged this tick."""
    cfg = sim.scenario.surveillance
    names = sim.rules.names
    out = np.zeros(sim.n, bool)
    if cfg.flag_rule in names:
        r = names.index(cfg.flag_rule)
        out |= (sim.ledger_behaviour[r] + sim.ledger_error[r]) <= -cfg.flag_points
    if cfg.flag_blacklisted:
        out |= sim.sanctions.blacklisted
    return out


def within_hops(a: np.ndarray, b: np.ndarray, seeds: np.ndarray, hops: int) -> np.ndarray:
    """Nodes within ``hops`` hops of ``seeds`` on the undirected edge list ``(a, b)``.

    >>> within_hops(np.array([0, 1, 3]), np.array([1, 2, 4]), np.array([True, False, False, False, False]), 1).tolist()
    [True, True, False, False, False]
    """
    mark = seeds.copy()
    for _ in range(hops):
        nxt = mark.copy()
        nxt[b[mark[a]]] = True
        nxt[a[mark[b]]] = True
        if (nxt == mark).all():
            break
        mark = nxt
    return mark


def contacts(sim, t: int, window: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw the window's metadata and threshold it at ``k`` contacts.

    Returns ``(u, v, true_inferred, false_keys)``: the true edges ``(u[e], v[e])`` (u < v), whether
    each reached k contacts (stranger contacts that happen to fall on a true tie count too), and
    the ``lo << 32 | hi`` keys of the pairs that reached k without being true ties. Only whether a
    Poisson count reaches k matters, so each edge draws one uniform against
    ``P(N >= k) = gammainc(k, mean)``.
    """
    sc = sim.scenario
    st = state(sim)
    src = sc.source("metadata")
    pop = sim.pop
    g = sim.graph
    n = sim.n
    ptr = np.asarray(g.indptr, np.int64)
    from .kernels import upper_triangle

    u, v, first = upper_triangle(ptr, g.indices)  # = g.edges(), with each row's first edge number
    if not src.enabled:
        return u, v, np.zeros(u.size, bool), np.zeros(0, np.int64)
    phone = pop.platforms["phone"]
    rates = src.rates
    per = ((rates.get("calls", 0.0) + rates.get("colocations", 0.0)) * (0.5 + pop.traits["sociability"])) * phone
    share = np.where(sim.deg > 0, per / np.maximum(sim.deg, 1), 0).astype(np.float32)
    lam = np.float32(window) * (share[u] + share[v])
    lam *= phone[u] & phone[v]
    p = -np.expm1(-lam) if k == 1 else gammainc(k, lam)
    draw = np.empty(u.size, np.float32)
    stranger_rate = window * rates.get("stranger_calls", 0.0)
    s_a, s_b = [], []
    for b in range((n + BLOCK - 1) // BLOCK):
        lo, hi = b * BLOCK, min((b + 1) * BLOCK, n)
        e0, e1 = first[lo], first[hi]  # the block's edges (by lower endpoint)
        rng = stream(sim.seed, t, "surveillance", b)
        draw[e0:e1] = rng.random(e1 - e0, dtype=np.float32)
        calls = rng.poisson(stranger_rate * phone[lo:hi])
        who = np.repeat(np.arange(lo, hi, dtype=np.int64), calls)
        reg = pop.region[who].astype(np.int64)
        size = st.count[reg]
        pick = np.minimum((rng.random(who.size) * size).astype(np.int64), np.maximum(size - 1, 0))
        to = st.members[st.start[reg] + pick]
        ok = to != who
        s_a.append(who[ok])
        s_b.append(to[ok])
    a = np.concatenate(s_a) if s_a else np.zeros(0, np.int64)
    bb = np.concatenate(s_b) if s_b else np.zeros(0, np.int64)
    keys, kc = np.unique((np.minimum(a, bb) << 32) | np.maximum(a, bb), return_counts=True)
    if u.size and keys.size:
        # which stranger pairs are true ties, and their edge numbers: a binary search in the
        # lower endpoint's CSR row; edge numbers follow edges()' order (the rows' upper parts)
        lo_, hi_ = keys >> 32, keys & _LOW
        pos, hit = find_in_rows(ptr, g.indices, lo_, hi_)
        r = lo_[hit]
        e = first[r] + pos[hit] - (ptr[r + 1] - (first[r + 1] - first[r]))  # rows end with their upper part
        # true ties also called as "strangers": the threshold falls by those calls
        c = kc[hit]
        p[e] = np.where(c >= k, 1.0, gammainc(np.maximum(k - c, 1), lam[e]))
        keys, kc = keys[~hit], kc[~hit]
    return u, v, draw < p, keys[kc >= k]


def analyse(sim, t: int) -> dict:
    """Infer ties, watchlist, and measure against the truth."""
    cfg = sim.scenario.surveillance
    window = min(cfg.window, t)
    u, v, tp_mask, fp_keys = contacts(sim, t, window, cfg.min_contacts)
    tp = int(tp_mask.sum())
    fp = int(fp_keys.size)
    ia = np.r_[u[tp_mask], (fp_keys >> 32).astype(np.int32)]
    ib = np.r_[v[tp_mask], (fp_keys & _LOW).astype(np.int32)]
    fl = flagged(sim)
    watch = within_hops(ia, ib, fl, cfg.hops) & ~fl
    true_reach = fl.copy()
    for _ in range(cfg.hops):  # h hops on the true graph: sparse products with the adjacency
        true_reach |= (sim.adj @ true_reach.astype(np.float32)) > 0
    return {
        "flagged_citizens": int(fl.sum()),
        "watchlisted": int(watch.sum()),
        "watchlisted_without_true_tie": int((watch & ~true_reach).sum()),
        "inferred_ties": tp + fp,
        "inferred_tie_precision": tp / (tp + fp) if tp + fp else float("nan"),
        "inferred_tie_recall": tp / u.size if u.size else float("nan"),
    }


def step(sim, t: int) -> dict:
    """Run this tick's pattern-of-life analysis (every ``every`` ticks); return the columns."""
    sc = sim.scenario
    cfg = sc.surveillance
    if sc.groups.xingqiao is not None:
        return {}
    if not (sc.system and cfg.enabled):
        row = dict.fromkeys(COLUMNS, 0)
        row["inferred_tie_precision"] = row["inferred_tie_recall"] = float("nan")
        return row
    st = state(sim)
    if t % cfg.every == 0:
        st.last = analyse(sim, t)
    return dict(st.last)
