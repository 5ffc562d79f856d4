"""Import of SNAP-style edge lists (anonymised topology only: integer node ids)."""

from __future__ import annotations

import io
import warnings
from os import PathLike
from pathlib import Path

import numpy as np

from .csr import _INT32_MAX, Graph, GraphError, _one_line


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


