"""Compiled loops (numba) for the graph passes of the social dynamics and the friends' sum.

Ostracism reads every checker's row to find the friend who drags hardest, then rewires the CSR
graph (cuts and new ties); pattern of life looks stranger calls up among the true ties. In NumPy
each of these is several passes over all ~2E stored entries, each pass through a fresh temporary
of the same size (a gather, a mask, a compress, an insert). Here each is one pass with no
temporary, and the per-row searches run over the rows concerned only. The kernels give the same
numbers as the NumPy forms they replace, which tests/test_kernels.py keeps as references;
``benchmarks/bench_kernels.py`` times both at 1M citizens (BENCHMARKS.md).

Kernels are compiled on first use and cached beside this file (``cache=True``; a few seconds the
first time after installing, under a second to load them in a new process:
:func:`scsim.prepare_process` does it before a run). Rows are independent, so the row loops run
in parallel threads (``prange``); no result depends on the thread count. The compiled loops write
into arrays that NumPy allocates (the public functions below do it): NumPy asks the kernel for
huge pages on large arrays, numba's own allocator does not, and faulting a fresh result in by
4 KiB pages made the splice slower than NumPy's compress.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def _lowest_friend(indptr, indices, score, rows, low, pos):  # pragma: no cover - compiled
    for q in prange(rows.size):
        i = rows[q]
        a = indptr[i]
        best = np.float32(np.inf)
        bp = a
        for e in range(a, indptr[i + 1]):
            v = score[indices[e]]
            if v < best:
                best = v
                bp = e
        low[q] = best
        pos[q] = bp


def lowest_friend(indptr, indices, score, rows):
    """For each row in ``rows`` (rows with at least one entry): the lowest ``score`` (float32)
    among its entries and the position of its first occurrence in ``indices``."""
    low = np.empty(rows.size, np.float32)
    pos = np.empty(rows.size, np.int64)
    _lowest_friend(indptr, indices, score, rows, low, pos)
    return low, pos


@njit(inline="always")
def _lower_bound(values, a, b, c):  # pragma: no cover - compiled
    """The first position in the sorted ``values[a:b]`` whose entry is ``>= c`` (``b`` if none)."""
    while a < b:
        mid = (a + b) >> 1
        if values[mid] < c:
            a = mid + 1
        else:
            b = mid
    return a


@njit(cache=True, parallel=True)
def _search_rows(indptr, indices, rows, cols, pos, found):  # pragma: no cover - compiled
    for q in prange(rows.size):
        end = indptr[rows[q] + 1]
        lo = _lower_bound(indices, indptr[rows[q]], end, cols[q])
        pos[q] = lo
        found[q] = lo < end and indices[lo] == cols[q]


@njit(cache=True, parallel=True)
def _search_segments(values, lo, hi, x, pos):  # pragma: no cover - compiled
    for q in prange(x.size):
        pos[q] = _lower_bound(values, lo[q], hi[q], x[q])


def search_sorted_segments(values, lo, hi, x):
    """For each q, the position of the first entry ``>= x[q]`` in the sorted segment
    ``values[lo[q]:hi[q]]`` (a binary search per entry)."""
    pos = np.empty(x.size, np.int64)
    _search_segments(values, np.asarray(lo, np.int64), np.asarray(hi, np.int64), np.asarray(x, np.int64), pos)
    return pos


def search_rows(indptr, indices, rows, cols):
    """For each pair, the position in CSR row ``rows[q]`` of the first index ``>= cols[q]`` and
    whether ``cols[q]`` is there (a binary search in the sorted row)."""
    pos = np.empty(rows.size, np.int64)
    found = np.empty(rows.size, np.bool_)
    _search_rows(indptr, indices, rows, cols, pos, found)
    return pos, found


@njit(cache=True)
def _splice_part(indices, drop, at, values, out, p, b, r, k, o):  # pragma: no cover - compiled
    """Input positions ``[p, b)``: ``r``/``k`` are the first drop/insert at or after ``p``,
    ``o`` where position ``p``'s output starts. Runs between events are block copies."""
    nd = drop.size
    na = at.size
    while p < b:
        nxt = b
        if r < nd and drop[r] < nxt:
            nxt = drop[r]
        if k < na and at[k] < nxt:
            nxt = at[k]
        if nxt > p:
            out[o:o + nxt - p] = indices[p:nxt]
            o += nxt - p
            p = nxt
            if p == b:
                break
        while k < na and at[k] == p:
            out[o] = values[k]
            o += 1
            k += 1
        if r < nd and drop[r] == p:
            r += 1
        else:
            out[o] = indices[p]
            o += 1
        p += 1
    return k, o


@njit(cache=True, parallel=True)
def _splice(indices, drop, at, values, out, bounds, r0, k0):  # pragma: no cover - compiled
    n_parts = bounds.size - 1
    for c in prange(n_parts):
        a = bounds[c]
        _splice_part(indices, drop, at, values, out, a, bounds[c + 1], r0[c], k0[c], a - r0[c] + k0[c])
    # inserts at the end (at == indices.size)
    k = k0[n_parts]
    o = out.size - (at.size - k)
    while k < at.size:
        out[o] = values[k]
        o += 1
        k += 1


SPLICE_PART = 1 << 20  # input entries per parallel part (a few MB: each part is a block copy)


def splice(indices, drop, at, values):
    """``indices`` without the positions ``drop`` (sorted, unique) and with ``values[k]``
    inserted before old position ``at[k]`` (sorted; ``at == indices.size`` appends), in one
    pass: block copies between the edits, in parts of ``SPLICE_PART`` entries over threads. An
    insert at a dropped position lands where that entry was."""
    out = np.empty(indices.size - drop.size + values.size, indices.dtype)
    n_in = indices.size
    bounds = np.r_[np.arange(0, n_in, SPLICE_PART, dtype=np.int64), np.int64(n_in)]
    r0 = np.searchsorted(drop, bounds, "left").astype(np.int64)
    k0 = np.searchsorted(at, bounds, "left").astype(np.int64)
    _splice(indices, drop, at, values.astype(indices.dtype, copy=False), out, bounds, r0, k0)
    return out


@njit(cache=True, parallel=True)
def _upper_counts(indptr, indices, up):  # pragma: no cover - compiled
    for i in prange(up.size):  # rows are sorted: entries above the diagonal are each row's last ones
        end = indptr[i + 1]
        up[i] = end - _lower_bound(indices, indptr[i], end, i + 1)


@njit(cache=True, parallel=True)
def _upper_fill(indptr, indices, first, u, v):  # pragma: no cover - compiled
    for i in prange(first.size - 1):
        e = first[i]
        k = first[i + 1] - e
        a = indptr[i + 1] - k
        for j in range(k):
            u[e + j] = i
            v[e + j] = indices[a + j]


def upper_triangle(indptr, indices):
    """Each undirected edge once, ``(u, v)`` with ``u < v`` in CSR order, and ``first[i]``: the
    number of the first edge of row ``i`` (``first[n]`` is the edge count)."""
    n = indptr.size - 1
    up = np.empty(n, np.int64)
    _upper_counts(indptr, indices, up)
    first = np.zeros(n + 1, np.int64)
    np.cumsum(up, out=first[1:])
    u = np.empty(int(first[-1]), np.int32)
    v = np.empty(int(first[-1]), indices.dtype)
    _upper_fill(indptr, indices, first, u, v)
    return u, v, first


@njit(cache=True, parallel=True)
def _neighbour_sum(indptr, indices, x, out):  # pragma: no cover - compiled
    for i in prange(out.size):
        s = np.float32(0)
        for e in range(indptr[i], indptr[i + 1]):
            s += x[indices[e]]
        out[i] = s


def neighbour_sum(indptr, indices, x):
    """``A @ x`` for a 0/1 CSR adjacency ``A`` and float32 ``x``: each row's entries summed in
    order in float32, the same numbers as SciPy's mat-vec with float32 ones, rows split over
    threads."""
    out = np.empty(indptr.size - 1, np.float32)
    _neighbour_sum(indptr, indices, x, out)
    return out


@njit(cache=True, parallel=True)
def _edge_sum(u, v, x, mask, scale, out):  # pragma: no cover - compiled
    for e in prange(u.size):
        a = u[e]
        b = v[e]
        if mask[a] and mask[b]:
            out[e] = scale * (x[a] + x[b])
        else:
            out[e] = np.float32(0)


def edge_sum(u, v, x, mask, scale=1.0):
    """``scale * (x[u] + x[v])`` for each edge whose two ends are in ``mask``, 0 for the others
    (float32, the same numbers as the NumPy expression), in one pass without temporaries."""
    out = np.empty(u.size, np.float32)
    _edge_sum(u, v, np.asarray(x, np.float32), mask, np.float32(scale), out)
    return out


def warm_up() -> None:
    """Compile or load every graph kernel (and start numba's threads)."""
    ind = np.array([1, 0], np.int32)
    x = np.ones(2, np.float32)
    one = np.array([0], np.int64)
    none = np.zeros(0, np.int64)
    for ptr in (np.array([0, 1, 2], np.int64), np.array([0, 1, 2], np.int32)):
        neighbour_sum(ptr, ind, x)
        lowest_friend(ptr, ind, x, one)
        search_rows(ptr, ind, one, one)
        upper_triangle(ptr, ind)
    splice(ind, none, none, none.astype(np.int32))
    edge_sum(ind, ind, x, np.ones(2, bool))
    search_sorted_segments(np.array([1, 2], np.int64), one, one + 1, one)
