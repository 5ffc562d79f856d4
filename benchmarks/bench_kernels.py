"""scsim.graph.kernels (numba) against the NumPy forms they replaced, on the `article` graph.

All citizens are simulated. For a graph of ``-n`` citizens (the `article` scenario's DCSBM, mean
degree 20) and a monthly contact check (half the citizens check, about 1% of ties are cut and as
many formed), times each operation both ways, wall clock, best of ``--repeat``, after one warm-up
call (numba compiles or loads its cache on the first; ``scsim.prepare_process`` loads them and
sets the thread count before anything is timed). Both forms give the same arrays
(tests/test_kernels.py). The graph is the one a run of the scenario builds
(``benchlib.scenario_graph``).

    python benchmarks/bench_kernels.py -n 1000000
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import scsim
from scsim.graph import kernels

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import best_of, scenario_graph  # noqa: E402


def best(f, repeat):
    """Best wall time after one warm-up call (numba compiles or loads its cache on the first)."""
    f()
    return best_of(f, repeat)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--population", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args(argv)
    sc = scsim.load_scenario("article", population=a.population, seed=1)
    scsim.prepare_process(sc)
    g = scenario_graph(sc)
    ptr, ind, n = g.indptr.astype(np.int64), g.indices, g.n
    rng = np.random.default_rng(0)
    s = rng.normal(600, 50, n).astype(np.float32)
    deg = np.diff(ptr)
    chk = np.flatnonzero((rng.random(n) < 0.5) & (deg > 0))
    cut = np.sort(rng.choice(ind.size, ind.size // 100, replace=False))
    ins_rows = np.sort(rng.integers(0, n, ind.size // 100))
    ins_cols = rng.integers(0, n, ins_rows.size)
    at, _ = kernels.search_rows(ptr, ind, ins_rows, ins_cols)
    adj = g.to_scipy()

    def np_lowest():
        rows = np.flatnonzero(deg > 0)
        low = np.empty(n, np.float32)
        low[rows] = np.minimum.reduceat(s[ind], ptr[rows])
        return low[chk]

    def np_search():  # the vectorised binary search (one pass per halving step)
        lo, hi = ptr[ins_rows].copy(), ptr[ins_rows + 1].copy()
        act = np.flatnonzero(lo < hi)
        while act.size:
            mid = (lo[act] + hi[act]) >> 1
            go = ind[mid] < ins_cols[act]
            lo[act] = np.where(go, mid + 1, lo[act])
            hi[act] = np.where(go, hi[act], mid)
            act = act[lo[act] < hi[act]]
        return lo

    def np_splice():
        keep = np.ones(ind.size, bool)
        keep[cut] = False
        ind2 = ind[keep]
        return np.insert(ind2, at - np.searchsorted(cut, at), ins_cols.astype(np.int32))

    def np_upper():
        rows = np.repeat(np.arange(n, dtype=np.int32), deg)
        keep = rows < ind
        return rows[keep], ind[keep]

    x = s
    none = np.zeros(0, np.int64)
    cases = [
        ("lowest friend of each checker", np_lowest, lambda: kernels.lowest_friend(ptr, ind, s, chk)),
        ("row search for each new tie", np_search, lambda: kernels.search_rows(ptr, ind, ins_rows, ins_cols)),
        ("cut 1% of entries, insert 1%", np_splice,
         lambda: kernels.splice(kernels.splice(ind, cut, none, none.astype(np.int32)), none,
                                at - np.searchsorted(cut, at), ins_cols.astype(np.int32))),
        ("edge list u < v (upper triangle)", np_upper, lambda: kernels.upper_triangle(ptr, ind)),
        ("friends' sum (adj @ score)", lambda: adj @ x, lambda: kernels.neighbour_sum(adj.indptr, adj.indices, x)),
    ]
    print(f"{n:,} simulated citizens, {g.n_edges:,} ties; wall ms, best of {a.repeat}")
    print(f"{'operation':36s} {'NumPy/SciPy':>12s} {'kernel':>8s} {'speed-up':>9s}")
    out = {}
    for name, f_np, f_k in cases:
        t_np, t_k = best(f_np, a.repeat), best(f_k, a.repeat)
        out[name] = (t_np, t_k)
        print(f"{name:36s} {1e3 * t_np:12.1f} {1e3 * t_k:8.1f} {t_np / t_k:8.1f}x")
    return out


if __name__ == "__main__":
    main()
