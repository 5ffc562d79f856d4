"""The compiled graph kernels (scsim.graph.kernels) against plain NumPy forms of the same operations.

The NumPy forms below are the ones the kernels replaced (the behaviours and the graph module
before numba); each test draws random graphs and edits, including the edge cases (empty rows,
inserts at the very end, an insert where an entry is dropped, ties in the lowest score).
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from scsim.graph import kernels
from scsim.graph import Graph, erdos_renyi, find_in_rows, insert_entries, remove_entries
from scsim.engine.heap import reuse_freed_memory


def np_find_in_rows(indptr, indices, rows, cols):
    lo = indptr[rows].astype(np.int64)
    end = indptr[rows + 1].astype(np.int64)
    hi = end.copy()
    act = np.flatnonzero(lo < hi)
    while act.size:
        l, h = lo[act], hi[act]
        mid = (l + h) >> 1
        go = indices[mid] < cols[act]
        lo[act] = np.where(go, mid + 1, l)
        hi[act] = np.where(go, h, mid)
        act = act[lo[act] < hi[act]]
    last = max(indices.size - 1, 0)
    found = (lo < end) & (indices[np.minimum(lo, last)] == cols) if indices.size else np.zeros(rows.size, bool)
    return lo, found


def np_lowest_friend(indptr, indices, s, rows):
    """The engine's NumPy form: a segmented minimum over every row with entries, then the first
    position of that minimum in the rows asked for."""
    ptr = indptr.astype(np.int64)
    deg = np.diff(ptr)
    nonempty = np.flatnonzero(deg > 0)
    low_all = np.empty(deg.size, np.float32)
    low_all[nonempty] = np.minimum.reduceat(s[indices], ptr[nonempty])
    cnt, low = deg[rows], low_all[rows]
    off = np.cumsum(cnt) - cnt
    local = np.arange(int(cnt.sum())) - np.repeat(off, cnt)
    pos = np.repeat(ptr[rows], cnt) + local
    first = np.minimum.reduceat(np.where(s[indices[pos]] == np.repeat(low, cnt), local, pos.size), off)
    return low, ptr[rows] + first


def random_graph(n, d, seed):
    return erdos_renyi(n, d, np.random.default_rng(seed))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_search_rows_matches_numpy(seed):
    g = random_graph(3000, 6, seed)
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, g.n, 20000)
    cols = np.where(rng.random(rows.size) < 0.5, rng.integers(0, g.n, rows.size),  # mostly absent
                    g.indices[np.minimum(g.indptr[rows], g.indices.size - 1)])       # present (or not)
    cols[:50] = g.n + 5  # past every entry: the row's end
    pos, found = find_in_rows(g.indptr, g.indices, rows, cols)
    rp, rf = np_find_in_rows(g.indptr.astype(np.int64), g.indices, rows, cols)
    assert np.array_equal(pos, rp) and np.array_equal(found, rf)
    assert found.sum() > 1000 and (~found).sum() > 1000


@pytest.mark.parametrize("seed", [0, 1])
def test_lowest_friend_matches_numpy(seed):
    g = random_graph(4000, 8, seed)
    rng = np.random.default_rng(seed)
    s = rng.integers(300, 320, g.n).astype(np.float32)  # few distinct scores: ties in the minimum
    rows = np.flatnonzero((g.degree > 0) & (rng.random(g.n) < 0.6))
    low, pos = kernels.lowest_friend(g.indptr.astype(np.int64), g.indices, s, rows)
    rl, rp = np_lowest_friend(g.indptr, g.indices, s, rows)
    assert np.array_equal(low, rl) and np.array_equal(pos, rp)
    assert np.array_equal(s[g.indices[pos]], low)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_remove_then_insert_matches_numpy(seed):
    g = random_graph(2000, 10, seed)
    rng = np.random.default_rng(seed)
    ptr = g.indptr.astype(np.int64)
    # cut a random set of ties (both orientations)
    u, v = g.edges()
    cut = rng.random(u.size) < 0.1
    a, b = u[cut].astype(np.int64), v[cut].astype(np.int64)
    pa, _ = find_in_rows(ptr, g.indices, a, b)
    pb, _ = find_in_rows(ptr, g.indices, b, a)
    pos, rows = np.r_[pa, pb], np.r_[a, b]
    p2, i2 = remove_entries(ptr, g.indices, pos, rows, g.n)
    keep = np.ones(g.indices.size, bool)
    keep[pos] = False
    assert np.array_equal(i2, g.indices[keep])
    assert np.array_equal(p2, ptr - np.r_[0, np.cumsum(np.bincount(rows, minlength=g.n))])
    # new ties, including some just cut and some of the last node (inserts at the end)
    x = rng.integers(0, g.n, 3000)
    y = rng.integers(0, g.n, 3000)
    x[:5], y[:5] = g.n - 1, np.arange(5)
    x[5:20], y[5:20] = a[:15], b[:15]
    ok = x != y
    key = np.unique((np.minimum(x, y)[ok] << 32) | np.maximum(x, y)[ok])
    lo_, hi_ = key >> 32, key & 0xFFFFFFFF
    _, there = find_in_rows(p2, i2, lo_, hi_)
    lo_, hi_ = lo_[~there], hi_[~there]
    r, c = np.r_[lo_, hi_], np.r_[hi_, lo_]
    p3, i3 = insert_entries(p2, i2, r, c, g.n)
    order = np.argsort((r << 32) | c, kind="stable")
    at, _ = np_find_in_rows(p2, i2, r[order], c[order])
    assert np.array_equal(i3, np.insert(i2, at, c[order].astype(np.int32)))
    h = Graph(p3, i3)
    h.check()  # symmetric, sorted, simple
    assert h.n_edges == g.n_edges - int(cut.sum()) + lo_.size


def test_splice_insert_at_a_dropped_position_and_at_the_end():
    ind = np.array([1, 3, 5, 7], np.int32)
    out = kernels.splice(ind, np.array([1, 3], np.int64), np.array([1, 4, 4], np.int64), np.array([2, 8, 9], np.int32))
    assert out.tolist() == [1, 2, 5, 8, 9]
    assert kernels.splice(ind, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)).tolist() == ind.tolist()


def _splice_reference(ind, drop, at, values):
    """The splice spelt out in NumPy: keep, then insert before the old positions."""
    keep = np.ones(ind.size, bool)
    keep[drop] = False
    # each kept entry's old position, and each insert's old position; stable merge: inserts first
    pos = np.r_[np.flatnonzero(keep), at]
    first = np.r_[np.ones(int(keep.sum()), np.int8), np.zeros(at.size, np.int8)]
    order = np.lexsort((first, pos))
    return np.r_[ind[keep], values][order]


@pytest.mark.parametrize("part", [7, 64, 1 << 20])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_splice_in_parts_matches_the_reference(monkeypatch, part, seed):
    """However the input is cut into parallel parts (edits on the parts' edges included), the
    splice is the reference's."""
    monkeypatch.setattr(kernels, "SPLICE_PART", part)
    rng = np.random.default_rng(seed)
    ind = rng.integers(0, 10**6, 1000).astype(np.int32)
    drop = np.sort(rng.choice(1000, 150, replace=False)).astype(np.int64)
    at = np.sort(np.r_[rng.integers(0, 1001, 120), [0, 7, 7, 64, 1000, 1000]]).astype(np.int64)
    values = rng.integers(0, 10**6, at.size).astype(np.int32)
    assert kernels.splice(ind, drop, at, values).tolist() == _splice_reference(ind, drop, at, values).tolist()


@pytest.mark.parametrize("seed", [0, 1])
def test_upper_triangle_matches_edges(seed):
    g = random_graph(5000, 7, seed)
    u, v, first = kernels.upper_triangle(g.indptr.astype(np.int64), g.indices)
    rows = np.repeat(np.arange(g.n, dtype=np.int32), g.degree)
    keep = rows < g.indices
    assert np.array_equal(u, rows[keep]) and np.array_equal(v, g.indices[keep])
    assert np.array_equal(first, np.r_[0, np.cumsum(np.bincount(u, minlength=g.n))])


def test_kernels_on_an_empty_graph():
    g = Graph.from_edges(np.zeros(0, np.int64), np.zeros(0, np.int64), 4)
    u, v, first = kernels.upper_triangle(g.indptr.astype(np.int64), g.indices)
    assert u.size == 0 and first.tolist() == [0, 0, 0, 0, 0]
    pos, found = find_in_rows(g.indptr, g.indices, np.array([0, 3]), np.array([1, 2]))
    assert pos.tolist() == [0, 0] and not found.any()


def test_reuse_freed_memory_takes_effect_on_glibc_and_keeps_results():
    import platform

    done = reuse_freed_memory()
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert done is True
    assert reuse_freed_memory() is done  # idempotent
    # a run with the option off (a fresh process: the setting is process-wide) gives the same numbers
    code = ("import scsim, sys; sc = scsim.load_scenario('article', population=3000, ticks=3, seed=4, "
            "**{'engine.reuse_memory': %s}); scsim.prepare_process(sc); r = scsim.Simulation(sc).run(); "
            "sys.stdout.write(r.ticks.to_csv(index=False))")
    outs = [subprocess.run([sys.executable, "-c", code % flag], capture_output=True, text=True, check=True).stdout
            for flag in ("False", "True")]
    assert outs[0] == outs[1] and outs[0].count("\n") == 4


def test_edge_sum_matches_the_numpy_expression():
    rng = np.random.default_rng(3)
    x = rng.random(500).astype(np.float32)
    mask = rng.random(500) < 0.8
    u, v = rng.integers(0, 500, 4000).astype(np.int32), rng.integers(0, 500, 4000).astype(np.int32)
    ref = np.float32(13) * (x[u] + x[v])
    ref *= mask[u] & mask[v]
    out = kernels.edge_sum(u, v, x, mask, 13)
    assert out.dtype == np.float32 and np.array_equal(out, ref)
    assert (out[~(mask[u] & mask[v])] == 0).all()
