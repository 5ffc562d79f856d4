"""Checking contacts (MODEL.md section 7): citizens cut the friends who drag their score down
and form new ties, which is how friend-based scoring sorts the network (Wei, Yildirim, Van den
Bulte & Dellarocas, Marketing Science 2016).

Every ``every`` ticks a share ``check_share`` of citizens checks their contacts. The drag of
friend j on citizen i is ``alpha / deg_i * (s_j - s_i)`` (:meth:`Scoring.drag`); each checker
considers the friend with the worst (most negative) drag and cuts that tie with probability
``cut_max * (1 - exp(-|drag| / drag_scale))``. Citizens below their starting degree propose new
ties (``proposals`` rounds, with probability ``form_rate``), to a friend of a friend or, through
matchmaking (Baihe, a share ``matchmaking_share`` of proposals), to someone of their region
offered with weight ``tier_weight ** tier`` (high tiers first); a tie forms when both accept,
each with probability ``exp(-max(0, -drag) / drag_scale)`` where drag is the one the new friend
would exert. The graph is edited in batches through the exchange, never by a loop over edges.
"""
from __future__ import annotations

import numpy as np

from ...engine.config import MAX_FACTOR, MAX_SCALE, MAX_TICKS, Field, Switchable, needed
from ...engine.exchange import Groups
from ...engine.module import Module


class OstracismConfig(Switchable):
    """Checking contacts: cut the friend who drags one's score down most; form new ties."""

    every: int | None = needed(ge=1, le=MAX_TICKS, description="ticks between contact checks")
    check_share: float | None = needed(ge=0, le=1, description="share of citizens who check their contacts at a check")
    cut_max: float | None = needed(ge=0, le=1, description="probability of cutting the worst drag when the drag is very large")
    drag_scale: float | None = needed(ge=1 / MAX_FACTOR, le=MAX_SCALE, description="drag (score points) at which the cut probability reaches 63% of cut_max")
    form_rate: float | None = needed(ge=0, le=1, description="chance per check that a citizen below their starting degree proposes ties")
    proposals: int | None = needed(ge=1, le=8, description="rounds of proposals per check; one tie per round while below the starting degree")
    matchmaking_share: float | None = needed(ge=0, le=1, description="share of proposals made through matchmaking (Baihe) instead of friends of friends")
    matchmaking_tier_weight: float | None = needed(ge=1, le=MAX_FACTOR, description="matchmaking offers a candidate with weight tier_weight**tier (high tiers first)")
    max_degree: int | None = Field(None, ge=1, le=2**31 - 1, description="no new tie beyond this degree; default graph.max_degree")


class Ostracism(Module):
    name = "ostracism"
    label = "checking contacts"
    Config = OstracismConfig

    def __init__(self, config=None, *, max_degree: int = 5000, **kw):
        self.default_max_degree = int(max_degree)
        super().__init__(config, **kw)

    def declare(self) -> None:
        self.stream()
        self.state("deg0", np.int32, label="friends at the start")
        self.column("ties_cut", "ties cut by citizens checking their contacts", "ties")
        self.column("ties_formed", "new ties (friends of friends, matchmaking)", "ties")

    def init(self, sim) -> None:
        self.deg0[:] = sim.exchange.graph.degree
        self.regions = Groups.of(sim.people.region, len(sim.people.region_names))
        self.row = {"ties_cut": 0, "ties_formed": 0}

    def step(self, sim, t: int) -> None:
        cfg = self.config
        self.row = {"ties_cut": 0, "ties_formed": 0}
        if not (sim.scenario.system and cfg.enabled and t % cfg.every == 0):
            return
        cut, formed = self.check(sim, t)
        self.row = {"ties_cut": cut, "ties_formed": formed}

    def check(self, sim, t: int) -> tuple[int, int]:
        """One contact check: cut the worst drags, then form new ties; returns the counts."""
        from ...graph.kernels import lowest_friend

        cfg = self.config
        sc = sim.scoring
        alpha = sc.alpha
        ex = sim.exchange
        ptr, ind = ex.rows()
        deg = np.diff(ptr)
        n = sim.n
        s = sc.score.astype(np.float32)
        scale = np.float32(cfg.drag_scale)
        u = self.rng.uniform2(t, "check", n=n)
        checks = np.flatnonzero((u[0] < cfg.check_share) & (deg > 0))
        cut_i = np.zeros(0, np.int64)
        cut_pos = np.zeros(0, np.int64)
        if checks.size and alpha > 0:
            # the worst drag is the friend with the lowest score: one pass over the checkers' rows
            low, low_pos = lowest_friend(ptr, ind, s, checks)
            worst = sc.drag(deg[checks], low, s[checks]).astype(np.float32)
            p = cfg.cut_max * (1 - np.exp(np.minimum(worst, 0) / scale))
            do = (worst < 0) & (u[1, checks] < p)
            cut_i, cut_pos = checks[do], low_pos[do]
        # i cuts j only if s_j < s_i, so no tie is cut from both ends
        ex.rewire(cut_i, cut_pos, np.zeros(0, np.int64), np.zeros(0, np.int64))
        # new ties: proposals by citizens below their starting degree
        ptr2, ind2 = ex.rows()
        deg2 = np.diff(ptr2)
        cap = cfg.max_degree or self.default_max_degree
        u_form = self.rng.uniform(t, "form", n=n)
        seek = np.flatnonzero((deg2 < self.deg0) & (u_form < cfg.form_rate) & (deg2 < cap))
        formed = 0
        if seek.size:
            deficit = (self.deg0 - deg2)[seek]
            pairs = []
            for r in range(cfg.proposals):  # rounds of proposals (a handful), each over arrays
                sel = seek[deficit > r]
                if sel.size:
                    us = np.vstack([self.rng.uniform2(t, f"propose.{r}", sel), self.rng.uniform2(t, f"accept.{r}", sel)])
                    pairs.append(self._propose(sim, sel, us, ptr2, ind2, deg2, cap, alpha, scale))
            ii = np.concatenate([p[0] for p in pairs]) if pairs else np.zeros(0, np.int64)
            kk = np.concatenate([p[1] for p in pairs]) if pairs else np.zeros(0, np.int64)
            from ...graph.edits import find_in_rows

            _, there = find_in_rows(ptr2, ind2, ii, kk)  # not already friends; each pair once
            ii, kk = ii[~there], kk[~there]
            key = np.unique((np.minimum(ii, kk) << 32) | np.maximum(ii, kk))
            a_new, b_new = key >> 32, key & 0xFFFFFFFF
            # degree cap: drop every new tie of a citizen who would exceed it
            add = np.bincount(np.r_[a_new, b_new], minlength=n)
            over = (deg2 + add) > cap
            keep = ~(over[a_new] | over[b_new])
            a_new, b_new = a_new[keep], b_new[keep]
            formed = int(a_new.size)
            ex.rewire(np.zeros(0, np.int64), np.zeros(0, np.int64), a_new, b_new)
        return int(cut_i.size), formed

    def _propose(self, sim, seek, u, ptr2, ind2, deg2, cap, alpha, scale) -> tuple[np.ndarray, np.ndarray]:
        """One round of proposals by ``seek``: a friend of a friend, or a matchmaking offer in the
        region (high tiers first); returns the pairs both sides accept. ``u``: 4 rows of
        uniforms, one column per proposer (route, first pick, second pick, acceptance)."""
        cfg = self.config
        ex = sim.exchange
        s = sim.scoring.score
        mm = u[0] < cfg.matchmaking_share
        cand = np.full(seek.size, -1, np.int64)
        # friends of friends
        f_ok = ~mm & (deg2[seek] > 0)
        i_f = seek[f_ok]
        f = ind2[ptr2[i_f] + np.minimum((u[1, f_ok] * deg2[i_f]).astype(np.int64), deg2[i_f] - 1)].astype(np.int64)
        df = ex.gather(deg2, f)
        ok2 = df > 0
        k = np.full(i_f.size, -1, np.int64)
        k[ok2] = ind2[ptr2[f[ok2]] + np.minimum((u[2, f_ok][ok2] * df[ok2]).astype(np.int64), df[ok2] - 1)]
        cand[f_ok] = k
        # matchmaking within the region, high tiers offered first
        i_m = seek[mm]
        if i_m.size:
            km = ex.pick(self.regions, sim.people.region[i_m], u[1, mm])
            tiers = sim.sanctions.tier.astype(np.int64)
            top = int(tiers.max()) if tiers.size else 0
            offer = u[2, mm] < np.power(float(cfg.matchmaking_tier_weight), (ex.gather(tiers, km) - top).astype(np.float64))
            cand[mm] = np.where(offer, km, -1)
        ok = (cand >= 0) & (cand != seek)
        ok[ok] = ex.gather(deg2, cand[ok]) < cap
        ii, kk, uu = seek[ok], cand[ok], u[3, ok]
        # mutual acceptance: each side turns down a tie that would drag its score down
        if alpha > 0:
            sc = sim.scoring
            s_i, s_k = s[ii], ex.gather(s, kk)
            di = sc.drag(deg2[ii] + 1, s_k, s_i)
            dk = sc.drag(ex.gather(deg2, kk) + 1, s_i, s_k)
            acc = np.exp(np.minimum(di, 0) / scale) * np.exp(np.minimum(dk, 0) / scale)
            keep = uu < acc
            ii, kk = ii[keep], kk[keep]
        return ii, kk

    def measure(self, sim, t: int) -> dict:
        return dict(self.row)
