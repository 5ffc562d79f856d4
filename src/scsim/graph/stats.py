"""Graph statistics: components and assortativity."""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import connected_components

from .csr import _CHUNK, Graph


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



def weighted_assortativity(adj, deg: np.ndarray, x: np.ndarray) -> float:
    """Pearson correlation of ``x`` across edges (both directions), as :func:`assortativity`,
    through a ready sparse adjacency ``adj`` and float32 degrees ``deg`` (cheaper on large graphs)."""
    tot = float(deg.sum(dtype=np.float64))
    if tot == 0:
        return float("nan")
    z = (x - np.float32(float(deg @ x.astype(np.float64)) / tot)).astype(np.float32)
    var = float(deg.astype(np.float64) @ (z.astype(np.float64) ** 2))
    if var == 0:
        return float("nan")
    return float(z.astype(np.float64) @ (adj @ z).astype(np.float64)) / var
