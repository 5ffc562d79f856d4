"""The algorithm (MODEL.md section 5): rulebook, ledgers with provenance, score, friends' term.

* The **rulebook** maps each event to points, a dimension, a half-life (ticks) and optional caps.
* Each citizen keeps a **ledger per rule**, split by provenance: ``behaviour`` (true events,
  rightly attributed) and ``error`` (misattributed events and false flags). Each tick
  ``L <- decay * L + points * count`` with ``decay = 0.5 ** (1 / half_life)``.
* The **own score** is linear in the ledger: ``own = base + sum_r weight(dim_r) * L_r`` where the
  weight is the dimension's weight for a Sesame-style score and 1 for a points ledger.
* The **friends' term**: ``s_i(t) = clip((1-a) own_i(t) + a m_i(t-1))``, ``m_i`` the mean of i's
  friends' scores at t-1 (own_i when i has none). With constant own scores this converges to
  ``(1-a)(I - aW)^-1 own``.
* A rule marked ``grade_cap`` (drunk driving in Rongcheng) caps the score at ``score.grade_cap``
  while its ledger is active (|L| >= 0.5 points).

Because the score is linear in the ledger before clipping, it can be explained exactly: see
:func:`scsim.explain.explain`.
"""
from __future__ import annotations

import numpy as np

from .scenario import Scenario


class Rulebook:
    """The rules of a scenario compiled to arrays (one entry per rule)."""

    def __init__(self, sc: Scenario):
        self.names = list(sc.rules)
        rules = [sc.rules[k] for k in self.names]
        self.events = [r.event for r in rules]
        self.points = np.array([r.points for r in rules], np.float32)
        self.decay = np.array([0.5 ** (1.0 / r.half_life) if r.half_life > 0 else 1.0 for r in rules], np.float32)
        dims = list(sc.score.dimensions)
        self.dimensions = dims
        self.dim_index = np.array([dims.index(r.dimension) for r in rules], np.int64)
        if sc.score.kind == "sesame":
            self.weight = np.array([sc.score.dimensions[r.dimension] for r in rules], np.float32)
        else:
            self.weight = np.ones(len(rules), np.float32)
        self.cap_per_tick = [r.cap_per_tick for r in rules]
        self.cap = [r.cap for r in rules]
        self.grade_cap = np.array([r.grade_cap for r in rules], bool)
        self.base = float(sc.score.base)
        self.lo, self.hi = float(sc.score.min), float(sc.score.max)
        self.grade_cap_value = float(sc.score.grade_cap)

    def __len__(self) -> int:
        return len(self.names)

    def update_block(self, Lb: np.ndarray, Le: np.ndarray, beh: dict, err: dict, lo: int, hi: int) -> None:
        """Decay and add this tick's points for citizens lo:hi (in place).

        ``beh`` and ``err`` map event keys to count arrays for the block.
        """
        for r, ev in enumerate(self.events):
            nb = beh.get(ev)
            ne = err.get(ev)
            lb = Lb[r, lo:hi]
            le = Le[r, lo:hi]
            lb *= self.decay[r]
            le *= self.decay[r]
            cap = self.cap_per_tick[r]
            if nb is not None and cap is not None:
                nb = np.minimum(nb, cap)
                if ne is not None:
                    ne = np.minimum(ne, cap - nb)
            if nb is not None:
                lb += self.points[r] * nb
            if ne is not None:
                le += self.points[r] * ne

    def add_errors(self, Le: np.ndarray, event: str, target: np.ndarray) -> None:
        """Add misattributed events (one per entry of ``target``) to the error ledgers."""
        if target.size == 0:
            return
        hit, cnt = np.unique(target, return_counts=True)
        for r, ev in enumerate(self.events):
            if ev == event:
                Le[r, hit] += self.points[r] * cnt.astype(np.float32)

    def apply_caps(self, Lb: np.ndarray, Le: np.ndarray) -> None:
        """Bound |L_behaviour + L_error| by the rule's cap, scaling both parts alike."""
        for r, cap in enumerate(self.cap):
            if cap is None:
                continue
            tot = Lb[r] + Le[r]
            over = np.abs(tot) > cap
            if over.any():
                f = (cap / np.abs(tot[over])).astype(np.float32)
                Lb[r, over] *= f
                Le[r, over] *= f

    def own(self, Lb: np.ndarray, Le: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Own score (before the friends' term and clipping) and its error part."""
        n = Lb.shape[1]
        if len(self) == 0:
            return np.full(n, self.base, np.float32), np.zeros(n, np.float32)
        err = self.weight @ Le
        own = self.weight @ Lb
        own += err
        own += self.base
        return own.astype(np.float32, copy=False), err.astype(np.float32, copy=False)

    def dimension_scores(self, Lb: np.ndarray, Le: np.ndarray) -> dict[str, np.ndarray]:
        """Each dimension's contribution to the own score."""
        out = {}
        for d, name in enumerate(self.dimensions):
            rs = np.flatnonzero(self.dim_index == d)
            if rs.size:
                out[name] = (self.weight[rs] @ (Lb[rs] + Le[rs])).astype(np.float32)
            else:
                out[name] = np.zeros(Lb.shape[1], np.float32)
        return out

    def capped(self, Lb: np.ndarray, Le: np.ndarray) -> np.ndarray:
        """Citizens whose score is capped by an active grade-cap rule."""
        rs = np.flatnonzero(self.grade_cap)
        if rs.size == 0:
            return np.zeros(Lb.shape[1], bool)
        return (np.abs(Lb[rs] + Le[rs]) >= 0.5).any(axis=0)


def friends_mean(adj, deg: np.ndarray, prev: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Mean of friends' previous scores; ``own`` for citizens with no friends.

    ``adj`` is the 0/1 adjacency as SciPy CSR; its rows are summed by
    :func:`scsim.kernels.neighbour_sum` (the same float32 numbers as ``adj @ prev``, in threads).
    """
    from .kernels import neighbour_sum

    s = neighbour_sum(adj.indptr, adj.indices, np.asarray(prev, np.float32))
    out = np.where(deg > 0, s / np.maximum(deg, 1), own)
    return out.astype(np.float32, copy=False)


def combine(own: np.ndarray, m: np.ndarray, alpha: float, lo: float, hi: float,
            capped: np.ndarray | None = None, cap_value: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """``clip((1-a) own + a m)`` and the unclipped value; grade caps applied after clipping."""
    raw = (1.0 - alpha) * own + alpha * m
    s = np.clip(raw, lo, hi)
    if capped is not None and capped.any():
        s = np.where(capped, np.minimum(s, cap_value), s)
    return s.astype(np.float32, copy=False), raw.astype(np.float32, copy=False)


def tier_of(score: np.ndarray, mins: np.ndarray) -> np.ndarray:
    """Tier index of each score given the tiers' lower bounds (lowest first)."""
    return np.maximum(np.searchsorted(mins, score, side="right") - 1, 0).astype(np.int8)
