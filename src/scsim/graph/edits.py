"""Edits of CSR arrays: binary searches in rows, dropping and inserting entries (ostracism
rewires the graph through :meth:`scsim.engine.exchange.Exchange.rewire`; pattern of life looks
ties up). Each is one compiled pass (:mod:`scsim.graph.kernels`)."""

from __future__ import annotations

import numpy as np

from .csr import Graph  # noqa: F401  (doctests)


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


