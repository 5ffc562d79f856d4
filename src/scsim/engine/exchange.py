"""Where citizens meet: every interaction between citizens goes through the :class:`Exchange`.

A module computes on its own citizens' arrays; whatever crosses from one citizen to another
passes through one of these methods, and nowhere else:

* :meth:`Exchange.friends_sum` / :meth:`friends_mean`: friends' scores (the friends' term,
  rebuke, rumours);
* :meth:`gather`: reading the state of named other citizens (a friend of a friend proposed as a
  tie, a matchmaking candidate);
* :meth:`tally`: events that land on other citizens (misattribution);
* :meth:`pick`: a random member of a group (the victim of a misattributed event, a matchmaking
  offer, the stranger one calls);
* :meth:`rewire`: ties cut and formed (ostracism, matchmaking);
* :meth:`reach`: everyone within h hops of a set, on the social graph or another edge list (the
  watchlist).

In one process these are plain NumPy and compiled loops; a run split across processes (MODEL.md
section 16) replaces them with their distributed forms and nothing else changes.

>>> import numpy as np
>>> from scsim.graph import Graph
>>> ex = Exchange(4)
>>> ex.set_graph(Graph.from_edges(np.array([0, 1]), np.array([1, 2]), 4))
>>> ex.friends_mean(np.array([10., 20., 30., 40.], np.float32), np.full(4, -1, np.float32)).tolist()
[20.0, 20.0, 20.0, -1.0]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Groups:
    """Citizens sorted by group (region, region x platform...): ``members[start[g]:start[g] +
    size[g]]`` are the members of group ``g``."""

    members: np.ndarray
    start: np.ndarray
    size: np.ndarray

    @classmethod
    def of(cls, labels: np.ndarray, k: int, mask: np.ndarray | None = None) -> "Groups":
        ids = np.arange(labels.size, dtype=np.int64) if mask is None else np.flatnonzero(mask).astype(np.int64)
        lab = labels[ids]
        order = np.argsort(lab, kind="stable")
        counts = np.bincount(lab, minlength=k).astype(np.int64)
        return cls(ids[order], np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64), counts)


class Exchange:
    """The social graph and every cross-citizen operation of a run of ``n`` citizens."""

    def __init__(self, n: int):
        self.n = int(n)
        self.graph = None
        self._adj = None
        self._deg = None
        self.version = 0  # bumped whenever the graph changes

    # -- the social graph ---------------------------------------------------------------------
    def set_graph(self, graph) -> None:
        """Install a social graph (its node count must be the population's)."""
        if graph.n != self.n:
            raise ValueError(f"the graph has {graph.n} nodes for {self.n} citizens")
        self.graph = graph
        self._adj = None
        self._deg = None
        self.version += 1

    @property
    def degree(self) -> np.ndarray:
        """Friends per citizen (float32)."""
        if self._deg is None:
            self._deg = self.graph.degree.astype(np.float32)
        return self._deg

    @property
    def adj(self):
        """The graph as a SciPy CSR matrix of float32 ones (built on first use)."""
        if self._adj is None:
            self._adj = self.graph.to_scipy()
        return self._adj

    def friends_sum(self, x: np.ndarray) -> np.ndarray:
        """Sum of ``x`` over each citizen's friends (float32; a threaded compiled loop with the
        same numbers as SciPy's mat-vec)."""
        from ..graph.kernels import neighbour_sum

        g = self.graph
        return neighbour_sum(g.indptr, g.indices, np.ascontiguousarray(x, np.float32))

    def friends_mean(self, x: np.ndarray, fallback: np.ndarray) -> np.ndarray:
        """Mean of ``x`` over each citizen's friends; ``fallback`` for citizens with none."""
        s = self.friends_sum(x)
        deg = self.degree
        return np.where(deg > 0, s / np.maximum(deg, 1), fallback).astype(np.float32, copy=False)

    def rows(self):
        """``(indptr as int64, indices)`` of the graph, to read one's own friends."""
        g = self.graph
        return np.asarray(g.indptr, np.int64), g.indices

    def rewire(self, cut_rows: np.ndarray, cut_pos: np.ndarray, add_a: np.ndarray, add_b: np.ndarray) -> None:
        """Cut the ties stored at positions ``cut_pos`` of rows ``cut_rows`` (both orientations
        are cut), then form the ties ``(add_a[k], add_b[k])`` (absent after the cuts)."""
        from ..graph import Graph
        from ..graph.edits import find_in_rows, insert_entries, remove_entries

        if not (cut_rows.size or add_a.size):
            return
        ptr, ind = self.rows()
        cut_j = ind[cut_pos].astype(np.int64)
        pos_j, _ = find_in_rows(ptr, ind, cut_j, cut_rows)
        ptr2, ind2 = remove_entries(ptr, ind, np.r_[cut_pos, pos_j], np.r_[cut_rows, cut_j], self.n)
        ptr3, ind3 = insert_entries(ptr2, ind2, np.r_[add_a, add_b], np.r_[add_b, add_a], self.n)
        self.set_graph(Graph(ptr3, ind3))

    # -- other citizens ------------------------------------------------------------------------
    @staticmethod
    def gather(x: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """``x`` of the citizens ``ids`` (any citizens, not only one's friends)."""
        return x[ids]

    @staticmethod
    def tally(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Events landing on other citizens (one entry of ``ids`` per event): the citizens they
        land on (sorted) and how many each receives."""
        if ids.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        who, count = np.unique(ids, return_counts=True)
        return who.astype(np.int64), count.astype(np.int32)

    @staticmethod
    def pick(groups: Groups, group: np.ndarray, u: np.ndarray, avoid: np.ndarray | None = None) -> np.ndarray:
        """A member of ``groups`` group ``group[k]`` for each uniform ``u[k]`` (-1 for an empty
        group). With ``avoid``, the pick is among the other members: never ``avoid[k]`` itself
        (which must be a member of that group)."""
        g = np.asarray(group, np.int64)
        size = groups.size[g]
        if avoid is None:
            k = np.minimum((u * size).astype(np.int64), np.maximum(size - 1, 0))
            out = groups.members[groups.start[g] + k]
            return np.where(size > 0, out, -1)
        # uniform over the other size - 1 members: draw a rank among them, skip the avoided one
        m = np.maximum(size - 1, 0)
        k = np.minimum((u * m).astype(np.int64), np.maximum(m - 1, 0))
        seg = groups.members
        lo = groups.start[g]
        # rank of the avoided member in its group (members are sorted by id within a group)
        r = _rank_in_segments(seg, lo, size, np.asarray(avoid, np.int64))
        k = k + (k >= r)
        out = seg[lo + np.minimum(k, np.maximum(size - 1, 0))]
        return np.where(m > 0, out, -1)

    def reach(self, seeds: np.ndarray, hops: int, edges: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """Citizens within ``hops`` hops of ``seeds`` (a mask), on the social graph or on the
        undirected edge list ``edges = (a, b)``; includes the seeds."""
        mark = seeds.copy()
        if edges is None:
            for _ in range(hops):
                nxt = mark | (self.friends_sum(mark.astype(np.float32)) > 0)
                if (nxt == mark).all():
                    break
                mark = nxt
            return mark
        a, b = edges
        for _ in range(hops):
            nxt = mark.copy()
            nxt[b[mark[a]]] = True
            nxt[a[mark[b]]] = True
            if (nxt == mark).all():
                break
            mark = nxt
        return mark

    # -- checkpoints -----------------------------------------------------------------------------
    def saved_arrays(self) -> dict[str, np.ndarray]:
        g = self.graph
        return {} if g is None else {"indptr": g.indptr, "indices": g.indices}

    def restore_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        from ..graph import Graph

        if "indptr" in arrays:
            self.set_graph(Graph(arrays["indptr"], arrays["indices"]))


def _rank_in_segments(members: np.ndarray, lo: np.ndarray, size: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Position of ``x[k]`` in the sorted segment ``members[lo[k]:lo[k] + size[k]]``."""
    from ..graph.kernels import search_sorted_segments

    return search_sorted_segments(members, lo, lo + size, x) - lo
