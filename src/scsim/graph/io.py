"""Import of SNAP-style edge lists (anonymised topology only: integer node ids).

The format `read_edge_list` accepts, and what it refuses
--------------------------------------------------------

* A **regular file** of ASCII (or UTF-8) text. A directory, a named pipe (FIFO), a device such as
  ``/dev/zero`` or a socket is refused after an ``os.stat``, before anything is opened for reading,
  so a FIFO can never block the reader; the file is then opened with ``O_NONBLOCK`` and checked
  again on its descriptor.
* At most `MAX_EDGE_LIST_BYTES` bytes (16 GiB, about 8e8 SNAP lines of ~20 bytes): reading holds
  the file and int64 edge arrays, about `READ_MEMORY_FACTOR` (4) times the file at its peak, so the
  limit is 64 GiB of reading memory; a graph that large is already far beyond what a run on it
  could hold (every citizen costs a kilobyte or more on top of its ties). The run-level loader
  (:func:`scsim.mechanisms.network.load_edge_list`) also refuses a file whose reading would not fit
  in the memory available now.
* Lines end in LF or CRLF; a carriage return anywhere else in a line (old Mac line endings) is
  refused naming the line. A UTF-8 byte-order mark at the start is skipped. A NUL byte anywhere
  (a binary file, or UTF-16 text) is refused naming its line.
* ``#`` or ``%`` starts a comment that runs to the end of the line (whatever bytes it holds);
  blank lines are skipped; columns are separated by whitespace (spaces, tabs).
* Each other line has at least two columns; the first two are node ids, integers written as an
  optional sign and ASCII digits within int64, ``[-2**63, 2**63 - 1]``; further columns are
  ignored. Anything else (one column, ``1.5``, ``0x10``, ``1_000``, a 5,000-digit id, ``2**63``)
  is refused naming the line and what was expected.
* **Negative ids are allowed**: ids are opaque labels (as in the SNAP files), remapped to
  ``0..n-1`` in sorted order of id; the original ids are returned.
* Pairs may appear once or in both directions; duplicates are merged and self-loops dropped (the
  node of a self-loop is kept, with no tie). A file with no edge, or only self-loops, is refused.
  More than ``2**31 - 1`` distinct nodes (int32 indices) are refused.

Every refusal is a `GraphError` whose message is one line naming the file, the line where one
applies, and what was expected. Reading is NumPy's C parser; only when it fails does a slow Python
pass look for the first bad line, in the one chunk of 256 KiB that NumPy cannot read (and it parses
that chunk itself should NumPy have refused a line that the rules above accept, so the two always
agree); a bad line at the end of a 5-million-line file is named in about the time of a good read.
"""

from __future__ import annotations

import io
import os
import re
import stat
import warnings
from array import array
from os import PathLike
from pathlib import Path

import numpy as np

from .csr import _INT32_MAX, Graph, GraphError, _one_line

MAX_EDGE_LIST_BYTES = 16 * 2**30
"""Largest edge-list file `read_edge_list` reads (bytes): 16 GiB, about 8e8 SNAP lines."""

READ_MEMORY_FACTOR = 4
"""Peak memory of reading an edge list, in multiples of its file size (measured: 3.9 for a
5-million-edge SNAP file of 14-byte lines)."""

_BOM = b"\xef\xbb\xbf"
_CHUNK_BYTES = 1 << 18  # bytes per chunk of the parse that looks for a bad line
_INT_TOKEN = re.compile(r"[+-]?[0-9]+")
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1


def _display_name(path: str | PathLike) -> str:
    """The file's name for a one-line message (escaped if it holds a newline or other control)."""
    name = os.fsdecode(path) if isinstance(path, (bytes, PathLike)) else str(path)
    return name if name.isprintable() else ascii(name)


def _size(n: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return "not a regular file"


def _read_regular_file(path: str | PathLike, name: str, max_bytes: int) -> bytes:
    """The bytes of ``path``, refused unless it is a regular file of at most ``max_bytes``."""
    try:
        st = os.stat(path)
    except (OSError, ValueError) as exc:
        raise GraphError(f"{name}: cannot read edge list ({getattr(exc, 'strerror', None) or _one_line(exc)})") from exc
    kind = _not_regular(st.st_mode)
    if kind is not None:
        raise GraphError(f"{name}: is {kind}, not a regular file; expected an edge-list file")
    _check_size(name, st.st_size, max_bytes)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise GraphError(f"{name}: cannot read edge list ({exc.strerror or _one_line(exc)})") from exc
    try:
        fh = open(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise
    try:
        with fh:
            st = os.fstat(fh.fileno())  # it may have been replaced since the first look
            kind = _not_regular(st.st_mode)
            if kind is not None:
                raise GraphError(f"{name}: is {kind}, not a regular file; expected an edge-list file")
            _check_size(name, st.st_size, max_bytes)
            # at most the size seen now: a file that grows while it is read is cut there
            return fh.read(st.st_size)
    except OSError as exc:
        raise GraphError(f"{name}: cannot read edge list ({exc.strerror or _one_line(exc)})") from exc


def _check_size(name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise GraphError(
            f"{name}: the edge list is {_size(size)}, more than the {_size(max_bytes)} an edge list may have "
            f"(scsim.graph.io.MAX_EDGE_LIST_BYTES; reading needs about {READ_MEMORY_FACTOR}x the file in "
            f"memory); sample or split the graph")


def _show(body: bytes, cut: bool = False, limit: int = 60) -> str:
    """``body`` for a message: stripped, cut to ``limit`` bytes, as a bytes repr without the b
    (non-ASCII bytes as escapes); ``cut``: a comment followed it."""
    body = body.strip(b" \t")
    more = "..." if len(body) > limit else ""
    text = repr(body[:limit])[1:] + more
    return f"{text} before a comment" if cut else text


def _bad_line(name: str, lineno: int, what: str) -> GraphError:
    return GraphError(f"{name} line {lineno}: {what}")


def _loadtxt(data: bytes) -> np.ndarray:
    """NumPy's C parse of ``data`` (comments already '#'): the ``(m, 2)`` int64 ids; raises
    ValueError or OverflowError on a line it cannot read."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "input contained no data"
        return np.loadtxt(io.BytesIO(data), dtype=np.int64, comments="#", usecols=(0, 1), ndmin=2,
                          encoding="latin-1")


def _parse_chunked(data: bytes, name: str) -> np.ndarray:
    """`_loadtxt` chunk by chunk (whole lines), `_parse_slow` only for a chunk it cannot read:
    the first bad line of a long file is found in about the time of a fast parse."""
    parts = []
    start, line0, n = 0, 0, len(data)
    while start < n:
        end = data.find(b"\n", min(start + _CHUNK_BYTES, n))
        end = n if end < 0 else end + 1
        chunk = data[start:end]
        try:
            parts.append(_loadtxt(chunk))
        except (ValueError, OverflowError):
            parts.append(_parse_slow(chunk, name, first_line=line0 + 1))
        line0 += chunk.count(b"\n")
        start = end
    return np.concatenate(parts) if parts else np.empty((0, 2), np.int64)


def _parse_slow(data: bytes, name: str, first_line: int = 1) -> np.ndarray:
    """Line-by-line parse of ``data`` ('%' may already read '#'; its first line is line
    ``first_line`` of the file): the ``(m, 2)`` int64 ids, or the `GraphError` of the first line
    that breaks the rules of the module docstring."""
    out = array("q")
    for lineno, raw in enumerate(io.BytesIO(data), start=first_line):
        if raw.endswith(b"\n"):
            raw = raw[:-1]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        body, cut = raw, False
        for c in (b"#", b"%"):
            at = body.find(c)
            if at >= 0:
                body, cut = body[:at], True
        if b"\r" in body:
            raise _bad_line(name, lineno, "a carriage return inside the line; expected lines ending in LF or "
                                          f"CRLF, got {_show(body, cut)}")
        if b"\x00" in body:
            raise _bad_line(name, lineno, "a NUL byte; expected a text file (is it binary, or UTF-16?)")
        tok = body.decode("latin-1").split(maxsplit=2)  # the ids and the rest (not split)
        if not tok:
            continue
        if len(tok) < 2 or not (_INT_TOKEN.fullmatch(tok[0]) and _INT_TOKEN.fullmatch(tok[1])):
            raise _bad_line(name, lineno, f"expected two integer node ids, got {_show(body, cut)}")
        pair = []
        for t in tok[:2]:
            digits = t.lstrip("+-").lstrip("0")
            v = int(t) if len(digits) <= 19 else None  # no int() of a 5,000-digit string
            if v is None or not _I64_MIN <= v <= _I64_MAX:
                shown = t if len(t) <= 30 else f"{t[:24]}... ({len(digits)} digits)"
                raise _bad_line(name, lineno, f"node id {shown} is outside int64; expected integers from -2**63 "
                                              f"to 2**63-1")
            pair.append(v)
        out.extend(pair)
    return np.frombuffer(out, dtype=np.int64).reshape(-1, 2) if len(out) else np.empty((0, 2), np.int64)


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


def read_edge_list(path: str | PathLike, *, max_bytes: int | None = None) -> tuple[Graph, np.ndarray]:
    """Read a SNAP-style edge list (the format is in this module's docstring).

    Lines starting with ``#`` or ``%`` are comments (text after either character is ignored),
    blank lines are skipped, the first two whitespace-separated columns are integer node ids
    (further columns are ignored). Pairs may appear once or in both directions; duplicates are
    merged and self-loops dropped (their node is kept). Original ids, which may be any int64
    values (negative too), are remapped to ``0..n-1`` in sorted order: returns ``(graph, ids)``
    with new id ``i`` <-> original ``ids[i]`` (int64). ``max_bytes`` (default
    `MAX_EDGE_LIST_BYTES`) bounds the file's size. Raises `GraphError` with a one-line message
    naming the file (and the first bad line, and what was expected) on a missing file or one
    that is not a regular file, too large a file, a malformed line, or no edges.
    """
    name = _display_name(path)
    limit = MAX_EDGE_LIST_BYTES if max_bytes is None else int(max_bytes)
    data = _read_regular_file(path, name, limit)
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    nul = data.find(b"\x00")
    if nul >= 0:
        raise _bad_line(name, data.count(b"\n", 0, nul) + 1,
                        "a NUL byte; expected a text file (is it binary, or UTF-16?)")
    # NumPy's C reader handles one comment character; '%' means the same as '#' here, and with
    # several comment characters loadtxt falls back to a slow Python pass over the lines.
    if b"%" in data:
        data = data.replace(b"%", b"#")
    try:
        arr = _loadtxt(data)
    except (ValueError, OverflowError):
        arr = _parse_chunked(data, name)  # raises naming the first bad line
    del data
    if arr.shape[0] == 0:
        raise GraphError(f"{name}: no edges found (expected lines of two integer node ids)")
    codes, ids = _remap_ids(arr.ravel())
    del arr
    if ids.size > _INT32_MAX:
        raise GraphError(f"{name}: too many nodes ({ids.size:,}); at most 2**31-1 (int32 indices)")
    g = Graph.from_edges(codes[0::2], codes[1::2], ids.size)
    if g.n_edges == 0:
        raise GraphError(f"{name}: no edges found (only self-loops; expected pairs of two different node ids)")
    return g, ids.astype(np.int64)
