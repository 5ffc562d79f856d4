"""The graph type: an undirected simple graph as a symmetric CSR (`Graph`).

Contract (docs/ARCHITECTURE.md, MODEL.md section 3): undirected, no self-loops, no duplicate
edges; CSR with ``indices`` int32 (sorted within each row) and ``indptr`` int32, or int64 when the
number of stored entries ``2 * n_edges`` is ``>= 2**31``.

Internally an undirected edge set is held as sorted, unique int64 keys ``row << 32 | col`` with
both orientations present; the CSR is read straight off that array (``indptr`` from the
positions where the high 32 bits change, ``indices`` as the low 32 bits), so building costs one
``np.sort``. Everything here is vectorised NumPy/SciPy: no Python loop runs over nodes or edges.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from os import PathLike

import numpy as np
import scipy.sparse

_INT32_MAX = np.iinfo(np.int32).max
_LOW32 = np.int64(0xFFFFFFFF)
# Elements per chunk of chunked loops (dcsbm stubs, compaction, neighbour sums). Fixed, so the
# random streams never depend on it; small enough that temporaries reuse heap memory.
_CHUNK = 1 << 18


class GraphError(ValueError):
    """A graph file could not be read; the message is one line naming the file (and line)."""


# --------------------------------------------------------------------------------------------
# Graph
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Graph:
    """Undirected simple graph as symmetric CSR.

    ``indptr``: int32, or int64 when ``2 * n_edges >= 2**31``; ``indices``: int32, sorted within
    each row. Construct through `Graph.from_edges` or a generator; the constructor checks only
    shapes and dtypes (O(n)), `check` verifies the full contract (O(edges)).
    """

    indptr: np.ndarray
    indices: np.ndarray

    def __post_init__(self) -> None:
        indptr = np.asarray(self.indptr)
        indices = np.asarray(self.indices)
        if indptr.ndim != 1 or indices.ndim != 1 or indptr.size < 1:
            raise ValueError("Graph: indptr and indices must be 1-D, indptr non-empty")
        if not (np.issubdtype(indptr.dtype, np.integer) and np.issubdtype(indices.dtype, np.integer)):
            raise ValueError("Graph: indptr and indices must be integer arrays")
        if int(indptr[0]) != 0 or int(indptr[-1]) != indices.size:
            raise ValueError("Graph: indptr must start at 0 and end at len(indices)")
        want = np.int64 if indices.size > _INT32_MAX else np.int32
        if indptr.dtype != want:
            indptr = indptr.astype(want)
        if indices.dtype != np.int32:
            if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= indptr.size - 1):
                raise ValueError("Graph: indices out of range")
            indices = indices.astype(np.int32)
        object.__setattr__(self, "indptr", indptr)
        object.__setattr__(self, "indices", indices)

    # -- basic properties ------------------------------------------------------------------
    @property
    def n(self) -> int:
        return int(self.indptr.size - 1)

    @property
    def n_edges(self) -> int:
        """Number of undirected edges."""
        return int(self.indices.size // 2)

    @property
    def degree(self) -> np.ndarray:
        return np.diff(self.indptr).astype(np.int32, copy=False)

    def __repr__(self) -> str:
        return f"Graph(n={self.n}, n_edges={self.n_edges})"

    def to_scipy(self) -> scipy.sparse.csr_matrix:
        """Adjacency matrix, float32 ones, shape (n, n)."""
        data = np.ones(self.indices.size, dtype=np.float32)
        return scipy.sparse.csr_matrix((data, self.indices, self.indptr), shape=(self.n, self.n))

    def neighbors(self, i: int) -> np.ndarray:
        """Sorted neighbour ids of node ``i`` (a read-only view)."""
        i = int(i)
        if not 0 <= i < self.n:
            raise IndexError(f"node {i} out of range for a graph of {self.n} nodes")
        out = self.indices[self.indptr[i] : self.indptr[i + 1]]
        out.flags.writeable = False
        return out

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Each undirected edge once as int32 arrays ``(u, v)`` with ``u < v``, sorted by (u, v)."""
        from .kernels import upper_triangle

        u, v, _ = upper_triangle(np.asarray(self.indptr, np.int64), self.indices)
        return u, v

    def check(self) -> None:
        """Raise ValueError unless the full contract holds (symmetric, simple, sorted rows)."""
        n, ind, ptr = self.n, self.indices, self.indptr
        if np.any(np.diff(ptr) < 0):
            raise ValueError("Graph: indptr decreases")
        if ind.size == 0:
            return
        if int(ind.min()) < 0 or int(ind.max()) >= n:
            raise ValueError("Graph: indices out of range")
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
        keys = (rows << 32) | ind.astype(np.int64)
        if np.any(np.diff(keys) <= 0):
            raise ValueError("Graph: rows not strictly sorted (duplicate or unsorted indices)")
        if np.any(rows == ind):
            raise ValueError("Graph: self-loop")
        rev = np.sort((ind.astype(np.int64) << 32) | rows)
        if not np.array_equal(rev, keys):
            raise ValueError("Graph: not symmetric")

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_edges(cls, u, v, n: int) -> Graph:
        """Graph on ``n`` nodes from edge endpoint arrays ``u``, ``v``.

        Symmetrises, drops self-loops and merges duplicates: a pair may be given once, in both
        directions, or many times.
        """
        n = int(n)
        u = np.asarray(u)
        v = np.asarray(v)
        if u.shape != v.shape or u.ndim != 1:
            raise ValueError("from_edges: u and v must be 1-D arrays of the same length")
        if n < 0 or n > _INT32_MAX:
            raise ValueError(f"from_edges: n must be in [0, 2**31), got {n}")
        if u.size:
            if not (np.issubdtype(u.dtype, np.integer) and np.issubdtype(v.dtype, np.integer)):
                raise ValueError("from_edges: u and v must be integer arrays")
            lo = min(int(u.min()), int(v.min()))
            hi = max(int(u.max()), int(v.max()))
            if lo < 0 or hi >= n:
                raise ValueError(f"from_edges: node ids must be in [0, {n}), got [{lo}, {hi}]")
        return _graph_from_keys(_pair_keys(u, v), n)

    # -- persistence -------------------------------------------------------------------------
    def save(self, path: str | PathLike) -> None:
        """Write ``indptr`` and ``indices`` to the .npz file ``path`` (exactly that name)."""
        with open(path, "wb") as fh:
            np.savez(fh, indptr=self.indptr, indices=self.indices)

    @classmethod
    def load(cls, path: str | PathLike) -> Graph:
        import os
        import stat

        name = str(path)
        try:
            # a FIFO or a device would block or never end in np.load: only regular files are opened
            if not stat.S_ISREG(os.stat(path).st_mode):
                raise GraphError(f"{name}: not a regular file; expected a graph .npz")
            with np.load(path, allow_pickle=False) as z:
                if "indptr" not in z.files or "indices" not in z.files:
                    raise GraphError(f"{name}: expected arrays 'indptr' and 'indices' in the .npz")
                indptr, indices = z["indptr"], z["indices"]
        except GraphError:
            raise
        except (OSError, ValueError, EOFError) as exc:
            raise GraphError(f"{name}: cannot read graph .npz ({_one_line(exc)})") from exc
        try:
            return cls(indptr, indices)
        except ValueError as exc:
            raise GraphError(f"{name}: not a valid graph ({_one_line(exc)})") from exc


# --------------------------------------------------------------------------------------------
# internal CSR helpers
# --------------------------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _pair_keys(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """int64 keys of both orientations of each pair; self-loops become -1."""
    m = u.size
    keys = np.empty(2 * m, dtype=np.int64)
    a = keys[:m]
    b = keys[m:]
    np.left_shift(u, 32, out=a, dtype=np.int64)
    a |= v
    np.left_shift(v, 32, out=b, dtype=np.int64)
    b |= u
    loops = u == v
    if loops.any():
        a[loops] = -1
        b[loops] = -1
    return keys


def _compact(keys: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``keys[keep]`` computed in place, chunk by chunk (no second full-size array)."""
    w = 0
    for c0 in range(0, keys.size, _CHUNK):
        part = keys[c0 : c0 + _CHUNK][keep[c0 : c0 + _CHUNK]]
        keys[w : w + part.size] = part
        w += part.size
    return keys[:w]


def _sorted_unique_keys(keys: np.ndarray, presorted: bool = False) -> np.ndarray:
    """Sort in place (unless presorted), drop -1 sentinels and duplicates; may return a view."""
    if not presorted:
        keys.sort()
    start = int(np.searchsorted(keys, 0))
    keys = keys[start:]
    if keys.size < 2:
        return keys
    keep = np.empty(keys.size, dtype=bool)
    keep[0] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    if keep.all():
        return keys
    return _compact(keys, keep)


def _high32(keys: np.ndarray) -> np.ndarray:
    """Row part of keys as an int32 array (a strided view where possible)."""
    if sys.byteorder == "little" and keys.flags.c_contiguous:
        return keys.view(np.int32)[1::2]
    return (keys >> 32).astype(np.int32)


def _low32(keys: np.ndarray) -> np.ndarray:
    if sys.byteorder == "little" and keys.flags.c_contiguous:
        return np.ascontiguousarray(keys.view(np.int32)[0::2])
    return (keys & _LOW32).astype(np.int32)


def _indptr_from_keys(keys: np.ndarray, n: int) -> np.ndarray:
    """int64 row pointer of sorted keys, from the positions where the row changes."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    if keys.size == 0:
        return indptr
    rows = _high32(keys)
    starts = np.flatnonzero(rows[1:] != rows[:-1]) + 1
    starts = np.concatenate([[0], starts])
    counts = np.diff(np.concatenate([starts, [keys.size]]))
    indptr[rows[starts].astype(np.int64) + 1] = counts
    np.cumsum(indptr, out=indptr)
    return indptr


def _graph_from_sorted_keys(keys: np.ndarray, n: int) -> Graph:
    """CSR from sorted unique non-negative keys (both orientations present)."""
    indptr = _indptr_from_keys(keys, n)
    indptr = indptr.astype(np.int64 if keys.size > _INT32_MAX else np.int32)
    return Graph(indptr, _low32(keys))


def _graph_from_keys(keys: np.ndarray, n: int) -> Graph:
    return _graph_from_sorted_keys(_sorted_unique_keys(keys), n)


def _merge_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Union of two sorted unique key arrays."""
    if b.size == 0:
        return a
    pos = np.searchsorted(a, b)
    hit = pos < a.size
    hit[hit] = a[pos[hit]] == b[hit]
    new = ~hit
    return np.insert(a, pos[new], b[new])


def _cap_degrees(keys: np.ndarray, n: int, cap: int, rng: np.random.Generator) -> np.ndarray:
    """Drop random edges of nodes whose degree exceeds ``cap`` (so every degree is <= cap)."""
    bounds = _indptr_from_keys(keys, n)
    deg = np.diff(bounds)
    over = np.flatnonzero(deg > cap)
    if over.size == 0:
        return keys
    # entries of the over-cap rows, ranked within each row by a random priority
    cnt = deg[over]
    pos = np.repeat(bounds[over] - np.cumsum(cnt) + cnt, cnt) + np.arange(cnt.sum())
    row = np.repeat(np.arange(over.size), cnt)
    prio = rng.random(pos.size)
    order = np.lexsort((prio, row))
    start = np.cumsum(cnt) - cnt
    rank = np.empty(pos.size, dtype=np.int64)
    rank[order] = np.arange(pos.size) - np.repeat(start, cnt)
    drop = keys[pos[rank >= cap]]
    rev = (drop & _LOW32) << 32 | (drop >> 32)
    gone = np.unique(np.concatenate([drop, rev]))
    mask = np.ones(keys.size, dtype=bool)
    mask[np.searchsorted(keys, gone)] = False
    return _compact(keys, mask)


def _within_share(keys: np.ndarray, group: np.ndarray, sample: int = 1 << 22) -> float:
    """Share of edges with both ends in the same group (a systematic sample of the keys)."""
    if keys.size == 0:
        return 0.0
    sub = keys[:: max(1, keys.size // sample)]
    return float(np.mean(group[sub >> 32] == group[sub & _LOW32]))


def _dense_ids(ids: np.ndarray) -> tuple[np.ndarray, int]:
    """Map arbitrary integer ids to 0..k-1 preserving order; returns (int32 codes, k)."""
    ids = np.asarray(ids)
    if ids.size and np.issubdtype(ids.dtype, np.integer):
        lo, hi = int(ids.min()), int(ids.max())
        if hi - lo <= 4 * ids.size + 1024:
            ids = ids.astype(np.int64, copy=False)
            present = np.zeros(hi - lo + 1, dtype=bool)
            present[ids - lo] = True
            code = np.cumsum(present, dtype=np.int64) - 1
            return code[ids - lo].astype(np.int32), int(present.sum())
    uniq, inv = np.unique(ids, return_inverse=True)
    return inv.astype(np.int32), int(uniq.size)


