"""Social graphs: generators and SNAP edge-list import into a symmetric CSR (`Graph`).

Everything here is vectorised NumPy/SciPy: no Python loop runs over nodes or edges (the only
loops run over fixed-size chunks of stubs or over a handful of repair/top-up rounds).

Contract (docs/ARCHITECTURE.md, MODEL.md section 3): undirected, no self-loops, no duplicate
edges; CSR with ``indices`` int32 (sorted within each row) and ``indptr`` int32, or int64 when the
number of stored entries ``2 * n_edges`` is ``>= 2**31``.

Internally an undirected edge set is held as sorted, unique int64 keys ``row << 32 | col`` with
both orientations present; the CSR is read straight off that array (``indptr`` from the
positions where the high 32 bits change, ``indices`` as the low 32 bits), so building costs one
``np.sort``.
"""

from __future__ import annotations

import io
import sys
import warnings
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import scipy.sparse
from scipy.sparse.csgraph import connected_components

__all__ = [
    "GraphError",
    "Graph",
    "dcsbm",
    "watts_strogatz",
    "barabasi_albert",
    "erdos_renyi",
    "read_edge_list",
    "largest_component_share",
    "assortativity",
    "AGE_WINDOW",
    "AGE_WINDOW_MIN_NODES",
]

# Age homophily window of `dcsbm` (see its docstring): standard deviation of the partner offset
# along a block's age order, as a share of the block's tie mass, and a floor in nodes so that
# small blocks do not collapse into cliques.
AGE_WINDOW = 0.05
AGE_WINDOW_MIN_NODES = 20

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
        name = str(path)
        try:
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


# --------------------------------------------------------------------------------------------
# generators
# --------------------------------------------------------------------------------------------


def dcsbm(
    block: np.ndarray,
    region: np.ndarray,
    age: np.ndarray,
    mean_degree: float,
    rng: np.random.Generator,
    *,
    degree_sigma: float = 1.0,
    within_region: float = 0.85,
    age_homophily: float = 0.5,
    max_degree: int = 5000,
) -> Graph:
    """Degree-corrected stochastic block model (Chung-Lu style) with regions and age homophily.

    Node weights ``theta ~ LogNormal(0, degree_sigma)`` give expected degrees
    ``d_i = min(s * theta_i, max_degree)`` with ``s`` fixed so that ``mean(d) = mean_degree``.

    Sampling works on "stubs". Nodes are sorted by (region, block, age, random tie-break); each
    node holds ``round_stochastic(d_i)`` target stubs laid out in that order (array ``T``), so a
    uniformly random position of ``T`` (or of a contiguous range of it) is a node drawn with
    probability proportional to ``d_i`` (within that range). Each node emits
    ``Poisson(d_i / 2)`` source stubs; each source stub draws its partner:

    * with probability ``1 - within_region``: uniformly from the target stubs of all *other*
      regions (an out-of-region tie);
    * with probability ``within_region * age_homophily``: an *age-local* tie inside the node's
      own block (region x urban): the partner's stub position is the node's own position plus a
      Normal offset with standard deviation ``max(AGE_WINDOW * block stubs,
      AGE_WINDOW_MIN_NODES * mean stubs per node of the block)``, reflected at the ends of the
      block's range, so partners are near in age and still drawn proportionally to weight;
    * otherwise: uniformly from the target stubs of the node's region (all its blocks).

    So ``within_region`` is the share of ties inside the region whatever ``age_homophily`` is,
    and the expected degree of node i is ``d_i``. Self-loops are dropped, multi-edges merged, and
    any node whose realised degree exceeds ``max_degree`` loses random edges down to the cap.
    These losses fall mostly on the dense within-region (age-local) ties, so further rounds of
    the same process top up within-region and out-of-region ties separately, each by its own
    shortfall against ``n * mean_degree / 2`` edges split by ``within_region`` (until neither is
    short by more than 0.3% of the total; at most 4 top-ups, usually 0-2). With one region only,
    every tie is within it.

    ``block`` and ``region`` are integer ids per node (any values); every block must lie inside
    one region. ``age`` is any numeric array. Deterministic given ``rng``.
    """
    block = np.asarray(block)
    region = np.asarray(region)
    age = np.asarray(age)
    n = int(block.size)
    if block.ndim != 1 or region.shape != block.shape or age.shape != block.shape:
        raise ValueError("dcsbm: block, region and age must be 1-D arrays of the same length")
    if n < 2 or n > _INT32_MAX:
        raise ValueError(f"dcsbm: need 2 <= n < 2**31 nodes, got {n}")
    if not (0 < mean_degree < n - 1):
        raise ValueError(f"dcsbm: mean_degree must be in (0, n-1), got {mean_degree}")
    if not (0.0 <= within_region <= 1.0 and 0.0 <= age_homophily <= 1.0):
        raise ValueError("dcsbm: within_region and age_homophily must be in [0, 1]")
    if degree_sigma < 0:
        raise ValueError("dcsbm: degree_sigma must be >= 0")
    if max_degree < mean_degree:
        raise ValueError("dcsbm: max_degree must be >= mean_degree")
    if not np.all(np.isfinite(age)):
        raise ValueError("dcsbm: age must be finite")

    # --- blocks ordered by region, nodes ordered by (block, age, random) ---------------------
    rcode, nr = _dense_ids(region)
    bcode, nb = _dense_ids(block)
    breg = np.zeros(nb, dtype=np.int32)
    breg[bcode] = rcode
    if np.any(breg[bcode] != rcode):
        raise ValueError("dcsbm: every block must lie inside one region")
    border = np.lexsort((np.arange(nb), breg))
    brank = np.empty(nb, dtype=np.int64)
    brank[border] = np.arange(nb)
    breg = breg[border]  # region of each block rank, non-decreasing

    amin, amax = float(age.min()), float(age.max())
    age_bits = 20
    ageq = ((age.astype(np.float64) - amin) * ((2**age_bits - 1) / max(amax - amin, 1e-12)))
    ageq = ageq.astype(np.int64)
    bbits = max(int(nb - 1).bit_length(), 1)
    rbits = 63 - bbits - age_bits
    key = (brank[bcode] << (63 - bbits)) | (ageq << rbits)
    key |= rng.integers(0, 2**rbits, n, dtype=np.int64)
    order = np.argsort(key).astype(np.int32)
    del key, ageq
    blk_s = brank[bcode][order].astype(np.int32)  # block rank by sorted position
    bpos = np.searchsorted(blk_s, np.arange(nb + 1))  # node ranges of blocks
    rpos = bpos[np.searchsorted(breg, np.arange(nr + 1))]  # node ranges of regions

    # --- expected degrees ----------------------------------------------------------------------
    theta = rng.lognormal(0.0, float(degree_sigma), n)
    theta /= theta.mean()
    scale = float(mean_degree)
    for _ in range(200):  # monotone fixed point: the capped mean never overshoots
        d = np.minimum(theta * scale, float(max_degree))
        m = d.mean()
        if abs(m - mean_degree) <= 1e-6 * mean_degree:
            break
        scale *= mean_degree / m
    d_s = d[order]  # by sorted position
    del theta, d

    # --- target stubs ------------------------------------------------------------------------
    c_t = np.floor(d_s + rng.random(n)).astype(np.int64)
    t_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(c_t, out=t_start[1:])
    targets = np.repeat(order, c_t)
    total = int(t_start[-1])
    if total == 0:
        raise ValueError("dcsbm: no target stubs (mean_degree too small)")
    b_lo = t_start[bpos[:-1]]
    b_len = t_start[bpos[1:]] - b_lo
    r_lo = t_start[rpos[:-1]]
    r_len = t_start[rpos[1:]] - r_lo
    nodes_b = np.diff(bpos)
    b_sigma = np.maximum(AGE_WINDOW * b_len, AGE_WINDOW_MIN_NODES * b_len / np.maximum(nodes_b, 1))

    wr = float(within_region) if nr > 1 else 1.0  # one region: every tie is inside it
    target_edges = n * mean_degree / 2.0
    region_s = rcode  # region code by node id, to measure the realised within-region share

    def draw(frac: float, t_out: float, t_age: float) -> np.ndarray:
        """Sorted unique keys of one round with Poisson(frac * d_i / 2) source stubs per node;
        a stub's tie is out of region if u < t_out, age-local if t_out <= u < t_age, else
        within region."""
        c_s = rng.poisson(d_s * (0.5 * frac))
        k_tot = int(c_s.sum())
        keys = np.empty(2 * k_tot, dtype=np.int64)
        cum = np.cumsum(c_s)
        cuts = np.searchsorted(cum, np.arange(_CHUNK, k_tot, _CHUNK), side="right")
        edges_nodes = np.concatenate([[0], cuts, [n]])
        off = 0
        for p0, p1 in zip(edges_nodes[:-1], edges_nodes[1:]):
            pos = np.repeat(np.arange(p0, p1, dtype=np.int64), c_s[p0:p1])
            k = pos.size
            if k == 0:
                continue
            b = blk_s[pos]
            r = breg[b]
            lo = r_lo[r]
            ln = r_len[r]
            u = rng.random(k)
            x = np.empty(k, dtype=np.int64)
            # within-region, uniform over the region's target stubs
            w = np.flatnonzero(u >= t_age)
            uw = (u[w] - t_age) / (1.0 - t_age) if w.size else u[w]
            x[w] = lo[w] + np.floor(uw * ln[w]).astype(np.int64)
            # out of region, uniform over the other regions' target stubs
            o = np.flatnonzero(u < t_out)
            if o.size:
                lno = total - ln[o]
                j = np.floor((u[o] / t_out) * lno).astype(np.int64)
                j = np.minimum(j, np.maximum(lno - 1, 0))
                x[o] = j + (j >= lo[o]) * ln[o]
                alone = o[lno == 0]  # the region holds every target stub: stay inside
                x[alone] = lo[alone] + np.floor(u[alone] / t_out * ln[alone]).astype(np.int64)
            # age-local inside the block
            a = np.flatnonzero((u >= t_out) & (u < t_age))
            if a.size:
                pa = pos[a]
                ba = b[a]
                blo = b_lo[ba]
                bln = b_len[ba]
                centre = (t_start[pa] - blo) + 0.5 * c_t[pa]
                y = centre + rng.standard_normal(a.size) * b_sigma[ba]
                np.abs(y, out=y)  # reflect at the block's ends
                span = bln.astype(np.float64)
                far = np.flatnonzero(y >= span)
                if far.size:
                    sp = np.maximum(span[far], 1.0)
                    yf = np.fmod(y[far], 2.0 * sp)
                    y[far] = np.minimum(np.where(yf >= sp, 2.0 * sp - yf, yf), sp - 1.0)
                x[a] = blo + y.astype(np.int64)
                empty = bln == 0  # fall back to the region
                x[a[empty]] = lo[a[empty]] + np.floor(u[a[empty]] * ln[a[empty]]).astype(np.int64)
            # regions without target stubs: anywhere
            none = np.flatnonzero(ln == 0)
            if none.size:
                x[none] = np.floor(u[none] * total).astype(np.int64)
            np.clip(x, 0, total - 1, out=x)
            src = order[pos]
            dst = targets[x]
            fwd = keys[off : off + k]
            rev = keys[k_tot + off : k_tot + off + k]
            np.left_shift(src, 32, out=fwd, dtype=np.int64)
            fwd |= dst
            np.left_shift(dst, 32, out=rev, dtype=np.int64)
            rev |= src
            loops = src == dst
            fwd[loops] = -1
            rev[loops] = -1
            off += k
        return _sorted_unique_keys(keys)

    # Round 0 draws the design mix. Self-loops, merged multi-edges and the cap lose ties, mostly
    # dense (within-region, age-local) ones, so later rounds top up each kind by its own
    # shortfall, scaled by its observed keep rate, until neither kind is short by more than
    # 0.3% of the target edge count (at most 4 top-ups).
    want_w, want_o = wr * target_edges, (1.0 - wr) * target_edges
    keys = np.empty(0, dtype=np.int64)
    drawn_w = drawn_o = 0.0
    frac_w, frac_o = wr, 1.0 - wr
    for round_ in range(5):
        if round_ > 0:
            have = keys.size / 2.0
            w_share = _within_share(keys, region_s)
            have_w, have_o = have * w_share, have * (1.0 - w_share)
            short_w, short_o = want_w - have_w, want_o - have_o
            tol = 0.003 * target_edges
            if short_w <= tol and short_o <= tol:
                break
            frac_w = max(short_w, 0.0) / max(have_w / drawn_w, 0.2) / target_edges if drawn_w else 0.0
            frac_o = max(short_o, 0.0) / max(have_o / drawn_o, 0.2) / target_edges if drawn_o else 0.0
        frac = frac_w + frac_o
        if frac <= 0.0:
            break
        t_out = frac_o / frac
        t_age = t_out + (1.0 - t_out) * age_homophily
        new = draw(frac, t_out, t_age)
        keys = _cap_degrees(_merge_keys(keys, new) if keys.size else new, n, max_degree, rng)
        drawn_w += frac_w * target_edges
        drawn_o += frac_o * target_edges
    return _graph_from_sorted_keys(keys, n)


def watts_strogatz(n: int, k: int, p: float, rng: np.random.Generator) -> Graph:
    """Watts-Strogatz small world: ring lattice with ``k`` (even) neighbours, each edge's far
    end rewired with probability ``p`` to a uniform node; rewirings that would create a
    self-loop or duplicate are redrawn (up to 10 rounds; any left are dropped)."""
    n, k = int(n), int(k)
    if k % 2 or k < 0 or (n > 0 and k >= n):
        raise ValueError(f"watts_strogatz: k must be even and 0 <= k < n, got n={n}, k={k}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"watts_strogatz: p must be in [0, 1], got {p}")
    h = k // 2
    u = np.repeat(np.arange(n, dtype=np.int64), h)
    v = (u + np.tile(np.arange(1, h + 1, dtype=np.int64), n)) % n
    rew = np.flatnonzero(rng.random(u.size) < p)
    v[rew] = rng.integers(0, n, rew.size)
    is_rew = np.zeros(u.size, dtype=bool)
    is_rew[rew] = True
    for _ in range(10):
        key = np.minimum(u, v) * n + np.maximum(u, v)
        order = np.lexsort((is_rew, key))  # lattice edges first among equal keys
        ks = key[order]
        bad = order[1:][ks[1:] == ks[:-1]]
        bad = np.union1d(bad, np.flatnonzero(u == v))
        bad = bad[is_rew[bad]]
        if bad.size == 0:
            break
        v[bad] = rng.integers(0, n, bad.size)
    return Graph.from_edges(u, v, n)


def barabasi_albert(n: int, m: int, rng: np.random.Generator) -> Graph:
    """Barabasi-Albert preferential attachment, as networkx: a star on nodes ``0..m`` (centre
    0), then each node ``v > m`` attaches ``m`` edges to distinct earlier nodes chosen with
    probability proportional to degree.

    Vectorised Batagelj-Brandes: the list ``M`` of edge endpoints holds, for the edge slot ``s``
    of node v, ``M[2s] = v`` and ``M[2s+1] = M[r]`` with ``r`` uniform over the list as it stood
    before node v (``r < 2*m*(v-m)``). All ``r`` are drawn at once and the chains of references
    are resolved by pointer doubling. A pick that repeats an earlier pick of the same node is
    redrawn the same way (up to 10 rounds; any left over are merged, so the edge count can fall
    a hair short of ``m * (n - m)``). Mean degree ``~ 2m``.
    """
    n, m = int(n), int(m)
    if m < 1 or m >= n:
        raise ValueError(f"barabasi_albert: need 1 <= m < n, got n={n}, m={m}")
    n_new = n - m - 1
    s_tot = m + n_new * m  # star edges, then m edge slots per new node
    src = np.empty(s_tot, dtype=np.int64)
    src[:m] = 0
    src[m:] = np.repeat(np.arange(m + 1, n, dtype=np.int64), m)
    hi = 2 * m * (src - m)  # exclusive bound of r per slot (new nodes)
    val = np.empty(2 * s_tot, dtype=np.int64)  # endpoint value where known
    val[0::2] = src
    val[1 : 2 * m : 2] = np.arange(1, m + 1)  # star leaves
    ref = np.arange(2 * s_tot, dtype=np.int64)  # known entries point at themselves
    r = np.floor(rng.random(s_tot - m) * hi[m:]).astype(np.int64)
    ref[2 * m + 1 :: 2] = r
    odd = ref[2 * m + 1 :: 2]  # a view: references of the new nodes' picks
    while True:
        # unresolved: pointing at another new node's pick (odd and past the star)
        pending = np.flatnonzero((odd & 1).astype(bool) & (odd > 2 * m))
        if pending.size == 0:
            break
        odd[pending] = ref[odd[pending]]  # pointer doubling
    target = val[ref[1::2]]
    for _ in range(10):
        key = src * n + target
        order = np.argsort(key, kind="stable")
        ks = key[order]
        bad = order[1:][ks[1:] == ks[:-1]]
        if bad.size == 0:
            break
        rr = np.floor(rng.random(bad.size) * hi[bad]).astype(np.int64)
        target[bad] = val[ref[rr]]
    return Graph.from_edges(src, target, n)


def erdos_renyi(n: int, mean_degree: float, rng: np.random.Generator) -> Graph:
    """G(n, p) with ``p = mean_degree / (n - 1)``: the edge count is drawn from
    Binomial(n(n-1)/2, p), then that many distinct uniform pairs (first occurrences in draw
    order of uniformly drawn pairs, so the edge set is uniform given its size)."""
    n = int(n)
    if n < 2:
        raise ValueError(f"erdos_renyi: need n >= 2, got {n}")
    p = float(mean_degree) / (n - 1)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"erdos_renyi: mean_degree must be in [0, n-1], got {mean_degree}")
    pairs = n * (n - 1) // 2
    m = int(rng.binomial(pairs, p))
    kept = np.empty(0, dtype=np.int64)
    for _ in range(200):
        need = m - kept.size
        if need <= 0:
            break
        batch = int(need * (1.0 + 2.0 * m / pairs) + 16)
        a = rng.integers(0, n, batch, dtype=np.int64)
        b = rng.integers(0, n, batch, dtype=np.int64)
        ok = a != b
        new = np.minimum(a[ok], b[ok]) * n + np.maximum(a[ok], b[ok])
        both = np.concatenate([kept, new])
        _, first = np.unique(both, return_index=True)
        kept = both[np.sort(first)][:m]
    return Graph.from_edges(kept // n, kept % n, n)


# --------------------------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------------------------


def _find_bad_line(path: Path) -> tuple[int, str] | None:
    """Slow pass, only after the fast parse failed: first line that is not two integers."""
    import re

    integer = re.compile(r"[+-]?[0-9]+\Z")
    with open(path, encoding="latin-1", newline=None) as fh:
        for lineno, line in enumerate(fh, start=1):
            body = line
            for c in "#%":
                cut = body.find(c)
                if cut >= 0:
                    body = body[:cut]
            tok = body.split()
            if not tok:
                continue
            bad = len(tok) < 2 or not (integer.match(tok[0]) and integer.match(tok[1]))
            if not bad:
                bad = not all(-(2**63) <= int(t) < 2**63 for t in tok[:2])
            if bad:
                text = line.rstrip("\r\n")
                if len(text) > 60:
                    text = text[:57] + "..."
                return lineno, text
    return None


def _remap_ids(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..k-1 of int64 ids in sorted order of id, and the sorted distinct ids."""
    lo, hi = int(flat.min()), int(flat.max())
    if hi - lo <= 4 * flat.size + 1024:  # dense enough for a lookup table (no sort)
        present = np.zeros(hi - lo + 1, dtype=bool)
        present[flat - lo] = True
        ids = np.flatnonzero(present).astype(np.int64) + lo
        table = np.cumsum(present, dtype=np.int64) - 1
        return table[flat - lo], ids
    ids, inv = np.unique(flat, return_inverse=True)
    return inv.reshape(-1), ids.astype(np.int64)


def read_edge_list(path: str | PathLike) -> tuple[Graph, np.ndarray]:
    """Read a SNAP-style edge list.

    Lines starting with ``#`` or ``%`` are comments (text after either character is ignored),
    blank lines are skipped, the first two whitespace-separated columns are integer node ids
    (further columns are ignored). Pairs may appear once or in both directions; duplicates are
    merged and self-loops dropped (their node is kept). Original ids, which may be any int64
    values, are remapped to ``0..n-1`` in sorted order: returns ``(graph, ids)`` with new id
    ``i`` <-> original ``ids[i]`` (int64). Raises `GraphError` with a one-line message naming
    the file (and the first bad line) on a missing file, a malformed line or no edges.
    """
    p = Path(path)
    name = str(path)
    try:
        with open(p, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise GraphError(f"{name}: cannot read edge list ({exc.strerror or _one_line(exc)})") from exc
    # NumPy's C reader handles one comment character; '%' means the same as '#' here, and with
    # several comment characters loadtxt falls back to a slow Python pass over the lines.
    if b"%" in data:
        data = data.replace(b"%", b"#")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.loadtxt(
                io.BytesIO(data), dtype=np.int64, comments="#", usecols=(0, 1), ndmin=2,
                encoding="latin-1",
            )
    except (ValueError, OverflowError) as exc:
        bad = _find_bad_line(p)
        if bad is None:
            raise GraphError(f"{name}: cannot parse edge list ({_one_line(exc)})") from exc
        lineno, text = bad
        raise GraphError(f"{name} line {lineno}: expected two integer node ids, got {text!r}") from exc
    except OSError as exc:
        raise GraphError(f"{name}: cannot read edge list ({exc.strerror or _one_line(exc)})") from exc
    del data
    if arr.shape[0] == 0:
        raise GraphError(f"{name}: no edges found (expected lines of two integer node ids)")
    codes, ids = _remap_ids(arr.ravel())
    del arr
    if ids.size > _INT32_MAX:
        raise GraphError(f"{name}: too many nodes ({ids.size}) for int32 indices")
    g = Graph.from_edges(codes[0::2], codes[1::2], ids.size)
    if g.n_edges == 0:
        raise GraphError(f"{name}: no edges found (only self-loops)")
    return g, ids.astype(np.int64)


# --------------------------------------------------------------------------------------------
# edits of CSR arrays (ostracism rewires the graph; pattern of life looks ties up)
# --------------------------------------------------------------------------------------------


def find_in_rows(indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each pair, the position in CSR row ``rows[q]`` of the first index ``>= cols[q]`` and
    whether ``cols[q]`` is there: a binary search per pair in its sorted row
    (:func:`scsim.kernels.search_rows`).

    >>> g = Graph.from_edges(np.array([0, 0, 1]), np.array([1, 2, 2]), 3)
    >>> pos, found = find_in_rows(g.indptr, g.indices, np.array([0, 1]), np.array([2, 1]))
    >>> pos.tolist(), found.tolist()
    ([1, 3], [True, False])
    """
    from .kernels import search_rows

    return search_rows(np.asarray(indptr, np.int64), indices, np.asarray(rows, np.int64), np.asarray(cols, np.int64))


def remove_entries(indptr: np.ndarray, indices: np.ndarray, pos: np.ndarray, rows: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR without the stored entries at ``pos`` (distinct positions, which lie in ``rows``).

    >>> g = Graph.from_edges(np.array([0, 0, 1]), np.array([1, 2, 2]), 3)
    >>> ptr, ind = remove_entries(g.indptr, g.indices, np.array([1, 2]), np.array([0, 1]), 3)
    >>> ptr.tolist(), ind.tolist()
    ([0, 1, 2, 4], [1, 2, 0, 1])
    """
    from .kernels import splice

    ptr = np.asarray(indptr, np.int64)
    if pos.size == 0:
        return ptr, indices
    none = np.zeros(0, np.int64)
    removed = np.bincount(rows, minlength=n)
    return ptr - np.r_[0, np.cumsum(removed)], splice(indices, np.sort(pos).astype(np.int64), none, none)


def insert_entries(indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray, cols: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR with new entries ``(rows, cols)`` (absent before) inserted, rows kept sorted.

    >>> g = Graph.from_edges(np.array([0]), np.array([2]), 3)
    >>> ptr, ind = insert_entries(g.indptr, g.indices, np.array([1, 0]), np.array([0, 1]), 3)
    >>> ptr.tolist(), ind.tolist()
    ([0, 2, 3, 4], [1, 2, 0, 0])
    """
    from .kernels import splice

    ptr = np.asarray(indptr, np.int64)
    if rows.size == 0:
        return ptr, indices
    order = np.argsort((np.asarray(rows, np.int64) << 32) | cols, kind="stable")
    rows, cols = rows[order], cols[order]
    at, _ = find_in_rows(ptr, indices, rows, cols)
    added = np.bincount(rows, minlength=n)
    return ptr + np.r_[0, np.cumsum(added)], splice(indices, np.zeros(0, np.int64), at, cols)


# --------------------------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------------------------


def largest_component_share(g: Graph) -> float:
    """Share of nodes in the largest connected component (0.0 for an empty graph)."""
    if g.n == 0:
        return 0.0
    _, labels = connected_components(g.to_scipy(), directed=False)
    return float(np.bincount(labels).max() / g.n)


def _neighbour_sums(g: Graph, z: np.ndarray) -> np.ndarray:
    """sum of z over each node's neighbours (float64), in chunks of rows."""
    out = np.empty(g.n, dtype=np.float64)
    ptr = g.indptr.astype(np.int64)
    cuts = np.searchsorted(ptr, np.arange(0, ptr[-1], _CHUNK), side="right") - 1
    starts = np.unique(np.concatenate([cuts, [0]]))
    stops = np.concatenate([starts[1:], [g.n]])
    for r0, r1 in zip(starts, stops):
        e0, e1 = ptr[r0], ptr[r1]
        c = np.zeros(e1 - e0 + 1, dtype=np.float64)
        np.cumsum(z[g.indices[e0:e1]], out=c[1:])
        out[r0:r1] = c[ptr[r0 + 1 : r1 + 1] - e0] - c[ptr[r0:r1] - e0]
    return out


def assortativity(g: Graph, x) -> float:
    """Pearson correlation of ``x`` across edges, each edge counted in both directions
    (networkx's numeric assortativity). NaN without edges or without variation."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (g.n,):
        raise ValueError(f"assortativity: x must have shape ({g.n},), got {x.shape}")
    deg = g.degree.astype(np.float64)
    s = deg.sum()
    if s == 0:
        return float("nan")
    mu = float(deg @ x) / s
    z = x - mu
    var = float(deg @ (z * z))
    if var == 0:
        return float("nan")
    cov = float(z @ _neighbour_sums(g, z))
    return cov / var
