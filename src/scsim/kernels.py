"""Compiled loops (numba) for the graph passes of the social dynamics.

Ostracism reads every checker's row to find the friend who drags hardest, then rewires the CSR
graph (cuts and new ties); pattern of life looks stranger calls up among the true ties. In NumPy
each of these is several passes over all ~2E stored entries, each pass through a fresh temporary
of the same size (a gather, a mask, a compress, an insert). Here each is one pass with no
temporary, and the per-row searches run over the rows concerned only. The kernels give the same
numbers as the NumPy forms they replace, which tests/test_kernels.py keeps as references;
``benchmarks/bench_kernels.py`` times both at 1M citizens (BENCHMARKS.md).

Kernels are compiled on first use and cached beside this file (``cache=True``). Rows are
independent, so the row loops run in parallel threads (``prange``); no result depends on the
thread count.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def lowest_friend(indptr, indices, score, rows):  # pragma: no cover - compiled
    """For each row in ``rows`` (rows with at least one entry): the lowest ``score`` among its
    entries and the position of its first occurrence in ``indices``."""
    low = np.empty(rows.size, np.float32)
    pos = np.empty(rows.size, np.int64)
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
    return low, pos


@njit(cache=True, parallel=True)
def search_rows(indptr, indices, rows, cols):  # pragma: no cover - compiled
    """For each pair, the position in CSR row ``rows[q]`` of the first index ``>= cols[q]`` and
    whether ``cols[q]`` is there (a binary search in the sorted row)."""
    m = rows.size
    pos = np.empty(m, np.int64)
    found = np.zeros(m, np.bool_)
    for q in prange(m):
        lo = indptr[rows[q]]
        end = indptr[rows[q] + 1]
        hi = end
        c = cols[q]
        while lo < hi:
            mid = (lo + hi) >> 1
            if indices[mid] < c:
                lo = mid + 1
            else:
                hi = mid
        pos[q] = lo
        found[q] = lo < end and indices[lo] == c
    return pos, found


@njit(cache=True)
def splice(indices, drop, at, values):  # pragma: no cover - compiled
    """``indices`` without the positions ``drop`` (sorted, unique) and with ``values[k]``
    inserted before old position ``at[k]`` (sorted; ``at == indices.size`` appends), in one
    pass of contiguous copies. An insert at a dropped position lands where that entry was."""
    n_in = indices.size
    out = np.empty(n_in - drop.size + values.size, indices.dtype)
    o = 0
    p = 0  # next old position to copy
    r = 0
    k = 0
    while r < drop.size or k < at.size:
        # the next event: an insert before position at[k], or the drop of position drop[r]
        if k < at.size and (r >= drop.size or at[k] <= drop[r]):
            nxt = at[k]
        else:
            nxt = drop[r]
        ln = nxt - p
        out[o:o + ln] = indices[p:nxt]
        o += ln
        p = nxt
        while k < at.size and at[k] == p:
            out[o] = values[k]
            o += 1
            k += 1
        if r < drop.size and drop[r] == p:
            p += 1
            r += 1
    ln = n_in - p
    out[o:o + ln] = indices[p:]
    return out


@njit(cache=True, parallel=True)
def upper_triangle(indptr, indices):  # pragma: no cover - compiled
    """Each undirected edge once, ``(u, v)`` with ``u < v`` in CSR order, and ``first[i]``: the
    number of the first edge of row ``i`` (``first[n]`` is the edge count)."""
    n = indptr.size - 1
    up = np.empty(n, np.int64)
    for i in prange(n):  # rows are sorted: entries above the diagonal are each row's last ones
        lo = indptr[i]
        hi = indptr[i + 1]
        end = hi
        while lo < hi:
            mid = (lo + hi) >> 1
            if indices[mid] <= i:
                lo = mid + 1
            else:
                hi = mid
        up[i] = end - lo
    first = np.zeros(n + 1, np.int64)
    for i in range(n):
        first[i + 1] = first[i] + up[i]
    u = np.empty(first[n], np.int32)
    v = np.empty(first[n], indices.dtype)
    for i in prange(n):
        e = first[i]
        a = indptr[i + 1] - up[i]
        for k in range(up[i]):
            u[e + k] = i
            v[e + k] = indices[a + k]
    return u, v, first


@njit(cache=True, parallel=True)
def neighbour_sum(indptr, indices, x):  # pragma: no cover - compiled
    """``A @ x`` for a 0/1 CSR adjacency ``A`` and float32 ``x``: each row's entries summed in
    order in float32, the same numbers as SciPy's mat-vec with float32 ones, rows split over
    threads."""
    n = indptr.size - 1
    out = np.empty(n, np.float32)
    for i in prange(n):
        s = np.float32(0)
        for e in range(indptr[i], indptr[i + 1]):
            s += x[indices[e]]
        out[i] = s
    return out
