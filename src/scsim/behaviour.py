"""Citizens respond (MODEL.md section 7): ostracism, rebuke, self-censorship, gaming, appeals.

:func:`step` is called by :meth:`scsim.model.Simulation.step` at the start of tick ``t``: citizens
respond to the scores tick ``t - 1`` left them with; it returns the mechanisms' columns for that
tick's row of ``ticks.parquet``. :func:`measure` takes the tick's measurements once its events and
scores are in (posts written, assortativity, components). Each mechanism has its own
switch in the scenario's ``[behaviour]`` table (see :mod:`scsim.config_behaviour` and
docs/behaviour.md); in a control twin (``system = false``) nothing responds, but the
measurements (critical posts, assortativity, components) are still taken.

* **Checking contacts (ostracism).** The drag of friend j on citizen i is
  ``alpha / deg_i * (s_j - s_i)``. A share of citizens checks their contacts each tick; each
  checker considers the friend with the worst (most negative) drag and cuts that tie with
  probability ``cut_max * (1 - exp(-|drag| / drag_scale))``. Citizens below their starting degree
  propose new ties, to a friend of a friend or, through matchmaking (Baihe), to someone of their
  region offered with weight ``tier_weight ** tier``; a tie forms when both accept, each with
  probability ``exp(-max(0, -drag) / drag_scale)``: high scorers turn low scorers down, which is
  how friend-based scoring sorts the network (Wei, Yildirim, Van den Bulte & Dellarocas 2016).
  The CSR graph is edited in batches, never by a Python loop over edges: one compiled pass drops
  the cut ties, one inserts the new ones (:func:`scsim.graph.remove_entries`,
  :func:`scsim.graph.insert_entries`, on the kernels of :mod:`scsim.kernels`).
* **Rebuke.** A citizen scoring below ``rebuke.below`` whose friends score higher on average is
  pressed in proportion to the gap; dissent falls by ``rate * pressure`` and recovers towards the
  latent trait at ``recovery`` a tick.
* **Self-censorship.** The share of critical posts left unwritten is
  ``max_share * (1 - exp(-sensitivity * risk))`` with ``risk = recall * penalty * (1 +
  experience_weight * recent flags)``, times ``transparent_factor`` when the rules are known.
  ``penalty`` is the score points one flagged post costs.
* **Gaming.** Citizens who know which purchases are rewarded (everyone when transparent, a share
  ``aware_share`` when opaque) buy extra diapers and books for the score, in full when they are
  within ``margin`` points below a perk or sanction threshold.
* **Appeals.** A citizen who got error points on an appealable rule this tick appeals with
  probability ``appeal_prob``; after ``delay`` ticks the appeal is won with probability
  ``win_prob`` and the error points of those rules are removed from the ledger.

>>> import scsim
>>> sc = scsim.load_scenario("article", population=3000, ticks=4, seed=1)  # behaviours on
>>> r = scsim.Simulation(sc).run()
>>> int(r.ticks["ties_cut"].sum()) > 0
True
"""
from __future__ import annotations

import numpy as np

from .errors import ScenarioError
from .graph import Graph, find_in_rows, insert_entries, largest_component_share, remove_entries
from .rng import BLOCK, blocks, stream

MECHANISM_COLUMNS = ("ties_cut", "ties_formed", "rebuked", "gaming_citizens", "appeals", "appeals_won", "appeals_pending")
MEASURE_COLUMNS = ("critical_posts", "self_censored_posts", "flagged_posts", "mean_degree", "score_assortativity",
                   "largest_component_share")
COLUMNS = MECHANISM_COLUMNS + MEASURE_COLUMNS


# ---------------------------------------------------------------------------------------------
# helpers


def uniforms(seed: int, t: int, source: str, n: int, k: int) -> np.ndarray:
    """``(k, n)`` float32 uniforms drawn block by block from ``stream(seed, t, source, block)``.

    >>> u = uniforms(1, 2, "behaviour", 70000, 2)
    >>> u.shape, bool((u >= 0).all() and (u < 1).all())
    ((2, 70000), True)
    """
    out = np.empty((k, n), np.float32)
    for b, lo, hi in blocks(n):
        out[:, lo:hi] = stream(seed, t, source, b).random((k, hi - lo), dtype=np.float32)
    return out


def subset_uniforms(seed: int, t: int, source: str, n: int, subsets: list[tuple[np.ndarray, int]]) -> list[np.ndarray]:
    """Uniforms for subsets of citizens only: for each ``(idx, k)`` (``idx`` sorted citizen ids),
    a ``(k, idx.size)`` float32 array. Each block's stream draws, in order, ``k`` values per
    member of each subset in that block, so the numbers depend on who is drawn for, never on the
    chunking.

    >>> a, b = subset_uniforms(1, 2, "appeals", 100, [(np.array([3, 7]), 1), (np.array([5]), 2)])
    >>> a.shape, b.shape
    ((1, 2), (2, 1))
    """
    outs = [np.empty((k, idx.size), np.float32) for idx, k in subsets]
    cuts = [np.searchsorted(idx, np.arange(0, n + BLOCK, BLOCK)) for idx, _ in subsets]
    for b, lo, hi in blocks(n):
        sizes = [int(c[b + 1] - c[b]) for c in cuts]
        if not any(sizes):
            continue
        r = stream(seed, t, source, b)
        for out, c, (_, k), m in zip(outs, cuts, subsets, sizes):
            if m:
                out[:, c[b]:c[b + 1]] = r.random((k, m), dtype=np.float32)
    return outs


def giant_component_share(g: Graph, adj=None) -> float:
    """Share of nodes in the largest connected component, the same as
    :func:`scsim.graph.largest_component_share` but faster on one giant component: a
    breadth-first search from the highest-degree node, level by level over arrays; when that
    component holds half the nodes or fewer, SciPy's labelling decides.

    A wide level (its citizens hold more than 1/16 of all ties) is expanded by pulling through
    the sparse adjacency ``adj`` (``g.to_scipy()`` unless given; one mat-vec), a narrow one by
    gathering its citizens' rows.

    >>> g = Graph.from_edges(np.array([0, 1, 3]), np.array([1, 2, 4]), 6)
    >>> giant_component_share(g)
    0.5
    """
    n = g.n
    if n == 0:
        return 0.0
    ptr = g.indptr.astype(np.int64)
    deg = np.diff(ptr)
    wide = max(g.indices.size >> 4, 1)
    seen = np.zeros(n, bool)
    front = np.array([int(np.argmax(deg))], np.int64)
    seen[front] = True
    reached = 1
    x = None
    while front.size:
        cnt = deg[front]
        tot = int(cnt.sum())
        if tot == 0:
            break
        if tot > wide:  # pull: who has a friend in the front
            if adj is None:
                adj = g.to_scipy()
            if x is None:
                x = np.zeros(n, np.float32)
            x[:] = 0
            x[front] = 1
            new = (adj @ x) > 0
            new &= ~seen
            front = np.flatnonzero(new)
        else:  # push: gather the front's rows
            pos = np.repeat(ptr[front] - (np.cumsum(cnt) - cnt), cnt) + np.arange(tot, dtype=np.int64)
            nb = g.indices[pos]
            front = np.unique(nb[~seen[nb]])
        seen[front] = True
        reached += front.size
    if 2 * reached > n:
        return reached / n
    return largest_component_share(g)


def score_assortativity(sim) -> float:
    """Pearson correlation of scores across edges (both directions), as
    :func:`scsim.graph.assortativity`, through the simulation's cached sparse adjacency."""
    deg = sim.deg
    tot = float(deg.sum(dtype=np.float64))
    if tot == 0:
        return float("nan")
    x = sim.score
    z = (x - np.float32(float(deg @ x.astype(np.float64)) / tot)).astype(np.float32)
    var = float(deg.astype(np.float64) @ (z.astype(np.float64) ** 2))
    if var == 0:
        return float("nan")
    return float(z.astype(np.float64) @ (sim.adj @ z).astype(np.float64)) / var


# ---------------------------------------------------------------------------------------------
# state


class BehaviourState:
    """What the behaviours remember between ticks (held on the simulation as ``sim.behaviour_state``)."""

    def __init__(self, sim):
        sc = sim.scenario
        cfg = sc.behaviour
        n = sim.n
        self.deg0 = sim.graph.degree.copy()
        self.net_cache: dict[str, float] = {"score_assortativity": float("nan"), "largest_component_share": float("nan")}
        self.lcc_graph = None
        self.measured = 0  # last tick whose measurements were taken
        # gaming: who knows which purchases are rewarded while the rules are opaque (drawn once)
        self.aware = uniforms(sim.seed, 0, "behaviour", n, 1)[0] < cfg.gaming.aware_share
        names = sim.rules.names
        self.appeal_rules = np.array([names.index(r) for r in cfg.appeals.rules if r in names], np.int64)
        if cfg.on("appeals"):
            missing = [r for r in cfg.appeals.rules if r not in names]
            if missing and sc.system:
                raise ScenarioError(f"behaviour.appeals.rules: {missing} not in the scenario's [rules] ({names})")
        self.prev_err = sim.ledger_error[self.appeal_rules].copy()
        self.pending_until = np.full(n, -1, np.int32)
        self.censor_rule = names.index(cfg.censorship.rule) if cfg.censorship.rule in names else -1
        rw = [k for k, r in sc.rules.items() if r.event in ("commerce.diapers", "commerce.books") and r.points > 0]
        self.rewarded_purchases = bool(rw)
        th = [p.min_score for p in sc.perks]
        s = sc.sanctions
        if s.enabled:
            th += [x for x in (s.slow_internet_below, s.job_restriction_below, s.loan_denied_below) if x is not None]
        self.thresholds = np.unique(np.array(th, np.float32))
        if cfg.rebuke.below is not None:
            self.rebuke_below = float(cfg.rebuke.below)
        else:
            sanc = [x for x in (s.slow_internet_below, s.job_restriction_below, s.loan_denied_below) if x is not None]
            self.rebuke_below = float(max(sanc)) if sanc else float(sim.tier_mins[min(1, len(sim.tier_mins) - 1)])


def state(sim) -> BehaviourState:
    st = getattr(sim, "behaviour_state", None)
    if st is None:
        st = sim.behaviour_state = BehaviourState(sim)
    return st


# ---------------------------------------------------------------------------------------------
# mechanisms


def _propose(sim, seek, u, ptr2, ind2, deg2, cap, alpha, scale) -> tuple[np.ndarray, np.ndarray]:
    """One round of proposals by ``seek``: a friend of a friend, or a matchmaking offer within the
    region (high tiers first); returns the pairs both sides accept. ``u``: 4 rows of uniforms, one
    column per proposer."""
    cfg = sim.scenario.behaviour.ostracism
    s = sim.score
    mm = u[0] < cfg.matchmaking_share
    cand = np.full(seek.size, -1, np.int64)
    # friends of friends
    f_ok = ~mm & (deg2[seek] > 0)
    i_f = seek[f_ok]
    f = ind2[ptr2[i_f] + np.minimum((u[1, f_ok] * deg2[i_f]).astype(np.int64), deg2[i_f] - 1)].astype(np.int64)
    df = deg2[f]
    ok2 = df > 0
    k = np.full(i_f.size, -1, np.int64)
    k[ok2] = ind2[ptr2[f[ok2]] + np.minimum((u[2, f_ok][ok2] * df[ok2]).astype(np.int64), df[ok2] - 1)]
    cand[f_ok] = k
    # matchmaking within the region, high tiers offered first
    i_m = seek[mm]
    if i_m.size:
        reg = sim.pop.region[i_m].astype(np.int64)
        size = sim._region_size[reg]
        pick = np.minimum((u[1, mm] * size).astype(np.int64), size - 1)
        km = sim._region_members[sim._region_start[reg] + pick]
        tiers = sim.tier.astype(np.int64)
        top = int(tiers.max()) if tiers.size else 0
        offer = u[2, mm] < np.power(float(cfg.matchmaking_tier_weight), (tiers[km] - top).astype(np.float64))
        cand[mm] = np.where(offer, km, -1)
    ok = (cand >= 0) & (cand != seek)
    ok[ok] = deg2[cand[ok]] < cap
    ii, kk, uu = seek[ok], cand[ok], u[3, ok]
    # mutual acceptance: each side turns down a tie that would drag its score down
    if alpha > 0:
        di = np.float32(alpha) / (deg2[ii] + 1).astype(np.float32) * (s[kk] - s[ii])
        dk = np.float32(alpha) / (deg2[kk] + 1).astype(np.float32) * (s[ii] - s[kk])
        acc = np.exp(np.minimum(di, 0) / scale) * np.exp(np.minimum(dk, 0) / scale)
        keep = uu < acc
        ii, kk = ii[keep], kk[keep]
    return ii, kk


def ostracism(sim, t: int, u: np.ndarray) -> tuple[int, int]:
    """Check contacts, cut the worst drags, form new ties; replaces ``sim.graph``.

    ``u`` holds 3 rows of per-citizen uniforms (check, cut, form); the proposals draw theirs from
    the ``behaviour`` stream for the proposers only. Returns ``(ties_cut, ties_formed)``.
    """
    cfg = sim.scenario.behaviour.ostracism
    alpha = float(sim.scenario.network.alpha)
    g = sim.graph
    n = g.n
    ptr = g.indptr.astype(np.int64)
    ind = g.indices
    deg = np.diff(ptr)
    s = sim.score.astype(np.float32)
    scale = np.float32(cfg.drag_scale)
    # --- cuts: each checker's worst drag
    chk = np.flatnonzero((u[0] < cfg.check_share) & (deg > 0))
    cut_i = cut_j = np.zeros(0, np.int64)
    cut_pos_i = np.zeros(0, np.int64)
    if chk.size and alpha > 0:
        # the worst drag is the friend with the lowest score: one pass over the checkers' rows
        from .kernels import lowest_friend

        low, low_pos = lowest_friend(ptr, ind, s, chk)
        cnt = deg[chk]
        worst = np.float32(alpha) / cnt.astype(np.float32) * (low - s[chk])
        p = cfg.cut_max * (1 - np.exp(np.minimum(worst, 0) / scale))
        do = (worst < 0) & (u[1, chk] < p)
        cut_i = chk[do]
        cut_pos_i = low_pos[do]
        cut_j = ind[cut_pos_i].astype(np.int64)
    # remove both orientations (no duplicates: i cuts j only if s_j < s_i)
    pos_j, _ = find_in_rows(ptr, ind, cut_j, cut_i)
    ptr2, ind2 = remove_entries(ptr, ind, np.r_[cut_pos_i, pos_j], np.r_[cut_i, cut_j], n)
    deg2 = np.diff(ptr2)
    # --- new ties: proposals by citizens below their starting degree
    st = state(sim)
    cap = cfg.max_degree or sim.scenario.graph.max_degree
    seek = np.flatnonzero((deg2 < st.deg0) & (u[2] < cfg.form_rate) & (deg2 < cap))
    formed = 0
    a_new = b_new = np.zeros(0, np.int64)
    if seek.size:
        deficit = (st.deg0 - deg2)[seek]
        (us,) = subset_uniforms(sim.seed, t, "behaviour", n, [(seek, 4 * cfg.proposals)])
        pairs = []
        for r in range(cfg.proposals):  # rounds of proposals (a handful), each over arrays
            sel = deficit > r
            if sel.any():
                pairs.append(_propose(sim, seek[sel], us[4 * r:4 * r + 4, sel], ptr2, ind2, deg2, cap, alpha, scale))
        ii = np.concatenate([p[0] for p in pairs]) if pairs else np.zeros(0, np.int64)
        kk = np.concatenate([p[1] for p in pairs]) if pairs else np.zeros(0, np.int64)
        # not already friends; each pair once
        _, there = find_in_rows(ptr2, ind2, ii, kk)
        ii, kk = ii[~there], kk[~there]
        lo_, hi_ = np.minimum(ii, kk), np.maximum(ii, kk)
        key = np.unique((lo_ << 32) | hi_)
        a_new, b_new = key >> 32, key & 0xFFFFFFFF
        # degree cap: drop every new tie of a citizen who would exceed it
        add = np.bincount(np.r_[a_new, b_new], minlength=n)
        over = (deg2 + add) > cap
        keep = ~(over[a_new] | over[b_new])
        a_new, b_new = a_new[keep], b_new[keep]
        formed = int(a_new.size)
    ptr3, ind3 = insert_entries(ptr2, ind2, np.r_[a_new, b_new], np.r_[b_new, a_new], n)
    if cut_i.size or formed:
        sim.set_graph(Graph(ptr3, ind3))
    return int(cut_i.size), formed


def rebuke(sim) -> int:
    """Press low scorers whose friends score higher; returns how many were rebuked."""
    cfg = sim.scenario.behaviour.rebuke
    st = state(sim)
    gap = sim.friends_mean - sim.score
    pressure = np.clip(gap / np.float32(cfg.gap_scale), 0, 1) * ((sim.score < st.rebuke_below) & (sim.deg > 0))
    d = sim.dissent
    d *= (1 - np.float32(cfg.rate) * pressure).astype(np.float32)
    d += np.float32(cfg.recovery) * (sim.pop.traits["dissent"] - d)
    return int((pressure > 0).sum())


def censorship(sim) -> None:
    """Set ``sim.censor``, the share of critical posts left unwritten next tick."""
    sc = sim.scenario
    cfg = sc.behaviour.censorship
    st = state(sim)
    src = sc.source("social_media")
    r = st.censor_rule
    if r < 0 or not src.enabled:
        sim.censor[:] = 0
        return
    pts = float(sim.rules.points[r])
    penalty = -pts * float(sim.rules.weight[r])
    recall = float(src.params.get("recall", 0.0))
    if penalty <= 0 or recall <= 0:
        sim.censor[:] = 0
        return
    flags = (sim.ledger_behaviour[r] + sim.ledger_error[r]) / np.float32(pts)  # decayed count of recent flags
    risk = np.float32(recall * penalty * (cfg.transparent_factor if sc.score.transparent else 1.0))
    risk = risk * (1 + np.float32(cfg.experience_weight) * np.maximum(flags, 0))
    sim.censor[:] = np.float32(cfg.max_share) * (1 - np.exp(-np.float32(cfg.sensitivity) * risk))


def gaming(sim) -> int:
    """Set ``sim.purchase_boost``; returns how many citizens game the metric."""
    sc = sim.scenario
    cfg = sc.behaviour.gaming
    st = state(sim)
    if not st.rewarded_purchases:
        sim.purchase_boost[:] = 0
        return 0
    aware = np.ones(sim.n, bool) if sc.score.transparent else st.aware
    s = sim.score
    near = np.zeros(sim.n, bool)
    for th in st.thresholds:  # a handful of perk and sanction thresholds
        gap = np.float32(th) - s
        near |= (gap > 0) & (gap <= cfg.margin)
    want = np.where(near, np.float32(1), np.float32(cfg.base_effort))
    sim.purchase_boost[:] = np.where(aware, np.float32(cfg.boost) * want, 0).astype(np.float32)
    return int(((sim.purchase_boost > 0) & sim.coverage["commerce"]).sum())


def appeals(sim, t: int) -> tuple[int, int]:
    """File appeals for this tick's error points and decide those due; ``(filed, won)``."""
    sc = sim.scenario
    cfg = sc.behaviour.appeals
    st = state(sim)
    R = st.appeal_rules
    if R.size == 0:
        return 0, 0
    Le = sim.ledger_error
    decay = sim.rules.decay[R][:, None]
    sign = np.sign(sim.rules.points[R])[:, None]
    harm = sign < 0
    new_err = ((Le[R] - decay * st.prev_err) * sign > 1e-4) & harm
    cand = np.flatnonzero(new_err.any(axis=0) & (st.pending_until < 0))
    due = np.flatnonzero((st.pending_until >= 0) & (st.pending_until <= t))  # filed on earlier ticks
    u_c, u_d = subset_uniforms(sim.seed, t, "appeals", sim.n, [(cand, 2), (due, 1)])
    p = min(1.0, cfg.appeal_prob * (cfg.transparent_factor if sc.score.transparent else 1.0))
    filed = u_c[0] < p
    file = cand[filed]
    st.pending_until[due] = -1
    w = due[u_d[0] < cfg.win_prob]
    if cfg.delay == 0:  # decided on the spot
        w = np.union1d(w, file[u_c[1, filed] < cfg.win_prob])
    else:
        st.pending_until[file] = t + cfg.delay
    if w.size:
        Le[np.ix_(R, w)] = 0
    st.prev_err = Le[R].copy()
    return int(file.size), int(w.size)


# ---------------------------------------------------------------------------------------------


def measure(sim, t: int) -> dict:
    """The measurements of tick ``t`` once its events and scores are in: critical, flagged and
    self-censored posts, mean degree, score assortativity and the largest component's share
    (these two every ``network_every`` ticks, on the first and on the last tick; the last value
    is carried in between). Taken in every world, control twins included.
    """
    sc = sim.scenario
    cfg = sc.behaviour
    st = state(sim)
    st.measured = t
    et = sim.event_totals
    row = {
        "critical_posts": int(et.get("social_media.critical_post", 0)),
        "self_censored_posts": int(et.get("social_media.self_censored_post", 0)),
        "flagged_posts": int(et.get("social_media.flagged_post", 0) + et.get("social_media.flagged_post:error", 0)),
        "mean_degree": float(sim.graph.degree.mean()) if sim.n else 0.0,
    }
    if t == 1 or t % cfg.network_every == 0 or t == sc.ticks:
        g = sim.graph
        st.net_cache["score_assortativity"] = score_assortativity(sim)
        if g is not st.lcc_graph:
            st.net_cache["largest_component_share"] = giant_component_share(g, sim.adj)
            st.lcc_graph = g
    row.update(st.net_cache)
    return row


def step(sim, t: int) -> dict:
    """Citizens respond, at the start of tick ``t``, to the scores tick ``t - 1`` left them with.

    Returns the mechanisms' columns for tick ``t``'s row (ties cut and formed, citizens rebuked,
    gaming, appeals filed, won and pending). The measurements come from :func:`measure`, which
    the engine calls once the tick's scores are in; an engine without that hook gets them here,
    written into the previous tick's row (then the last row lacks them).
    """
    sc = sim.scenario
    cfg = sc.behaviour
    st = state(sim)
    if t > 1 and st.measured < t - 1 and sim.rows:
        sim.rows[-1].update(measure(sim, t - 1))
    respond = sc.system
    row = dict.fromkeys(MECHANISM_COLUMNS, 0)
    if respond and cfg.on("ostracism") and t % cfg.ostracism.every == 0:
        u = uniforms(sim.seed, t, "ostracism", sim.n, 3)
        row["ties_cut"], row["ties_formed"] = ostracism(sim, t, u)
    if respond and cfg.on("rebuke"):
        row["rebuked"] = rebuke(sim)
    if respond and cfg.on("censorship"):
        censorship(sim)
    if respond and cfg.on("gaming"):
        row["gaming_citizens"] = gaming(sim)
    if respond and cfg.on("appeals"):
        row["appeals"], row["appeals_won"] = appeals(sim, t)
        row["appeals_pending"] = int((st.pending_until >= 0).sum())
    return row
