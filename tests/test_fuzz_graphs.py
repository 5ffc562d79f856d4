"""Property-based fuzz of edge-list import (issue 11): every edge list ``scsim run --graph``
is given either runs, with the graph's distinct nodes as the population, or is refused at once
with one line naming the file (and the bad line where there is one).

Each example is a small random graph (2 to 40 nodes, so some fall under the smallest population
of 10) written as a SNAP-style edge list with the variations the format allows (tabs, runs of
spaces, extra columns, ``#`` and ``%`` comments, blank lines, CRLF, a byte-order mark, pairs
in both directions, duplicates, self-loops, negative and sparse 62-bit ids) and mutations it does
not (junk tokens, floats, hex, a single column, ids past int64 up to 5,000 digits, NUL bytes, a
carriage return inside a line, non-UTF-8 bytes), then perhaps cut mid-line or flooded with
self-loops. The file is given to ``scsim.cli.main(["run", "article", "--graph", f, "-t", "2",
"-q", "--out", d])`` in this process, and the outcome is checked against :func:`reference`, an
independent reading of the format documented in :mod:`scsim.graph.io`:

* a file with a bad line exits 2 with exactly one line ``error: <file> line <n>: ...`` on stderr,
  ``n`` one of the bad lines;
* a file with no edge, or fewer than 10 distinct nodes, exits 2 with one ``error:`` line naming
  the file (and saying so);
* anything else exits 0 with a run folder whose population (manifest) equals the number of
  distinct node ids, and whose float columns
  in ``ticks.parquet`` and ``citizens.parquet`` are finite (except the measures the manifest
  declares undefined, NaN, in some cases; never infinite);
* never another exception (a traceback), never an example past :data:`ALARM_S` seconds.

A second property compares `read_edge_list` itself with the reference on short byte strings
drawn from the characters that matter, and NumPy's fast parse with the slow line-by-line pass.
Plain tests cover what a generator cannot make: a named pipe, ``/dev/zero``, a directory, a
5,000-digit id, a 9-node graph, the size and memory limits.

Derandomised (the same examples on every machine). ``SCSIM_FUZZ_SCALE`` (a float, default 1)
multiplies the number of examples (:data:`EXAMPLES`, 300 CLI runs and :data:`PARSE_EXAMPLES`
parses at scale 1), e.g. ``SCSIM_FUZZ_SCALE=10 python -m pytest tests/test_fuzz_graphs.py -q -s``
(``-s`` prints the tally of outcomes).
"""
from __future__ import annotations

import contextlib
import faulthandler
import io
import json
import os
import re
import shutil
import signal
import stat
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import nonfinite_columns
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scsim.cli
import scsim.graph.io
from scsim.graph import GraphError, read_edge_list

SCALE = float(os.environ.get("SCSIM_FUZZ_SCALE", "1") or 1)
EXAMPLES = max(1, int(round(300 * SCALE)))
"""Edge lists run through the CLI per run of the fuzz test (300 at the default scale)."""
PARSE_EXAMPLES = max(1, int(round(600 * SCALE)))
"""Byte strings parsed in-process per run of the parser property (600 at the default scale)."""
ALARM_S = 30
"""Seconds one example may take before it counts as a hang."""
MIN_NODES = 10
"""The smallest population (``ScenarioBase.population``, ``ge=10``)."""

_I64 = (-(2**63), 2**63 - 1)
_TOKEN = re.compile(rb"[+-]?[0-9]+")


# ---------------------------------------------------------------------------------------------
# the format, read independently of scsim.graph.io


def reference(data: bytes) -> tuple[set[int], set[int], set[tuple[int, int]]]:
    """``(bad line numbers, distinct node ids, distinct non-loop pairs)`` of an edge list, as
    the format in :mod:`scsim.graph.io` reads: LF or CRLF lines (line numbers count LFs), a
    UTF-8 BOM skipped, ``#``/``%`` comments, no NUL byte anywhere, no other carriage return
    before a comment, at least two whitespace-separated columns of which the first two are
    ASCII integers within int64."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    bad: set[int] = set()
    nodes: set[int] = set()
    pairs: set[tuple[int, int]] = set()
    for no, line in enumerate(data.split(b"\n"), start=1):
        if b"\x00" in line:
            bad.add(no)
            continue
        if line.endswith(b"\r"):
            line = line[:-1]
        line = re.split(rb"[#%]", line, maxsplit=1)[0]
        if b"\r" in line:
            bad.add(no)
            continue
        tok = line.decode("latin-1").split()  # the whitespace of str.split, as NumPy's reader
        if not tok:
            continue
        ids = []
        for t in tok[:2]:
            t = t.encode("latin-1")
            if not _TOKEN.fullmatch(t) or len(t.lstrip(b"+-").lstrip(b"0")) > 19:
                break
            v = int(t)
            if not _I64[0] <= v <= _I64[1]:
                break
            ids.append(v)
        if len(ids) < 2:
            bad.add(no)
            continue
        nodes.update(ids)
        if ids[0] != ids[1]:
            pairs.add((min(ids), max(ids)))
    return bad, nodes, pairs


# ---------------------------------------------------------------------------------------------
# generated and mutated edge lists

JUNK = [b"x", b"1.5", b"2.0", b"1e3", b"0x1f", b"1_000", b"--1", b"+-2", b"nan", b"inf", b"\"3\"", b"3,4",
        b"\xef\xbc\x91", b"\xd9\xa1", b"\xff\xfe", b"\x80", b"3\xc2\xa04", b"\x1a", b"-", b"+"]
HUGE = [2**63, 2**63 + 1, -(2**63) - 1, 10**19, 10**30, -(10**40)]
EDGE_IDS = [2**63 - 1, -(2**63), 0, -1]


def _ids(draw, n: int) -> list[int]:
    """``n`` distinct node ids in one of several styles."""
    style = draw(st.sampled_from(["small", "offset", "negative", "sparse", "extreme"]))
    if style == "small":
        return list(range(n))
    if style == "offset":
        base = draw(st.integers(0, 10**6))
        return [base + i for i in range(n)]
    if style == "negative":
        return [i - n // 2 for i in range(n)]
    pool = st.integers(-(2**62), 2**62) if style == "sparse" else st.sampled_from(EDGE_IDS) | st.integers(*_I64)
    return draw(st.lists(pool, min_size=n, max_size=n, unique=True))


def _mutant_line(draw, a: int, b: int) -> bytes:
    """A line the format refuses (or, for a comment after the ids, accepts)."""
    how = draw(st.sampled_from(["junk", "huge", "digits", "one", "nul", "cr", "binary", "float"]))
    if how == "junk":
        j = draw(st.sampled_from(JUNK))
        return draw(st.sampled_from([j + b" " + str(b).encode(), str(a).encode() + b" " + j, j]))
    if how == "huge":
        return f"{a} {draw(st.sampled_from(HUGE))}".encode()
    if how == "digits":
        return b"1" * draw(st.integers(20, 5000)) + f" {b}".encode()
    if how == "one":
        return str(a).encode()
    if how == "nul":
        return draw(st.sampled_from([f"{a}\x00{b}", f"{a} {b}\x00", f"\x00{a} {b}", f"{a} {b} # \x00"])).encode()
    if how == "cr":
        return f"{a} {b}\r{b} {a}".encode()
    if how == "binary":
        return draw(st.binary(min_size=1, max_size=12)).replace(b"\n", b"")
    return f"{a}.5 {b}".encode()


@st.composite
def edge_lists(draw) -> tuple[bytes, list[str]]:
    """``(file bytes, labels of what was done)``."""
    label: list[str] = []
    n = draw(st.integers(2, 40))  # under 10 nodes: about one example in five
    ids = _ids(draw, n)
    m = draw(st.integers(0, 3 * n))
    pairs = [(draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))) for _ in range(m)]
    if draw(st.booleans()):  # a ring, so most examples use every node
        pairs += [(i, (i + 1) % n) for i in range(n)]
    sep = draw(st.sampled_from([b" ", b"\t", b"  ", b" \t ", b"\x0b"]))
    lines: list[bytes] = []
    if draw(st.booleans()):
        lines += [b"# Undirected graph: fuzz", b"# Nodes: %d Edges: %d" % (n, len(pairs)), b"% FromNodeId\tToNodeId"]
    for i, j in pairs:
        a, b = ids[i], ids[j]
        if draw(st.integers(0, 9)) == 9:
            a, b = b, a
        line = str(a).encode() + sep + str(b).encode()
        extra = draw(st.integers(0, 19))
        if extra == 19:
            line += b" 1.5 x extra"
        elif extra == 18:
            line += b"  # trailing comment"
        elif extra == 17:
            line += b"\t% other comment \xff"
        elif extra == 16:
            line = b"  " + line + b"  "
        lines.append(line)
        k = draw(st.integers(0, 29))
        if k == 29:
            lines.append(b"")
        elif k == 28:
            lines.append(line)  # duplicate
        elif k == 27:
            lines.append(b"%d %d" % (a, a))  # self-loop
        elif k == 26:
            lines.append(b"# comment " + draw(st.binary(max_size=10)).replace(b"\n", b""))
    if lines and draw(st.integers(0, 2)) == 2:
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(lines)))
            a, b = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
            lines.insert(at, _mutant_line(draw, a, b))
        label.append("mutated lines")
    flood = draw(st.sampled_from([0] * 20 + [1000, 30000]))
    if flood:
        lines += [b"%d %d" % (ids[0], ids[0])] * flood
        label.append(f"{flood} self-loops")
    eol = draw(st.sampled_from([b"\n"] * 3 + [b"\r\n"]))
    data = eol.join(lines) + (eol if draw(st.booleans()) else b"")
    if draw(st.integers(0, 9)) == 9:
        data = b"\xef\xbb\xbf" + data
        label.append("BOM")
    if data and draw(st.integers(0, 7)) == 7:
        data = data[: draw(st.integers(0, len(data)))]
        label.append("truncated")
    if draw(st.integers(0, 14)) == 14:
        data = draw(st.sampled_from([b"", b"# only a comment\n% and another\n", b"\n\n  \n", b"\xff\xfe0\x00 \x001\x00"]))
        label.append("degenerate")
    label.append("crlf" if eol == b"\r\n" else "lf")
    return data, label


# ---------------------------------------------------------------------------------------------
# running one example


class Hang(Exception):
    """An example ran past :data:`ALARM_S` seconds."""


def _alarm(signum, frame):
    raise Hang(f"no result after {ALARM_S} s")


@contextlib.contextmanager
def alarm(seconds: int = ALARM_S):
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def cli(*argv: str) -> tuple[int, str, str]:
    """``scsim.cli.main(argv)`` in this process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = scsim.cli.main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def run_graph(f: Path, out_dir: Path) -> tuple[int, str, str]:
    with alarm():
        return cli("run", "article", "--graph", str(f), "-t", "2", "-q", "--out", str(out_dir))


def error_line(rc: int, err: str, f: Path) -> str:
    """The one ``error:`` line of a refusal naming ``f``."""
    lines = err.strip("\n").split("\n") if err.strip() else []
    assert rc == 2, f"exit {rc}, expected 2; stderr: {err!r}"
    assert len(lines) == 1 and lines[0].startswith("error: "), f"expected one line 'error: ...', got {err!r}"
    assert str(f) in lines[0], f"the message does not name {f}: {lines[0]!r}"
    return lines[0]


def check_edge_list(data: bytes, folder: Path) -> str:
    """Run ``data`` as an edge list and assert the contract; the outcome's kind."""
    f = folder / "edges.txt"
    f.write_bytes(data)
    out_dir = folder / "run"
    bad, nodes, pairs = reference(data)
    t0 = time.perf_counter()
    rc, _, err = run_graph(f, out_dir)
    if bad:
        msg = error_line(rc, err, f)
        m = re.search(r" line (\d+): ", msg)
        assert m and int(m.group(1)) in bad, f"expected one of lines {sorted(bad)[:10]} named: {msg!r}"
        return "exit 2: bad line"
    if not pairs:
        msg = error_line(rc, err, f)
        assert "no edges" in msg, msg
        return "exit 2: no edges"
    if len(nodes) < MIN_NODES:
        msg = error_line(rc, err, f)
        assert f"{len(nodes)} nodes" in msg and f"at least {MIN_NODES}" in msg, msg
        return "exit 2: too few nodes"
    assert rc == 0, f"expected exit 0 ({len(nodes)} nodes, {len(pairs)} edges), got {rc}: {err!r}"
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["population"] == len(nodes)
    assert not nonfinite_columns(out_dir), f"non-finite columns: {nonfinite_columns(out_dir)}"
    assert time.perf_counter() - t0 < ALARM_S
    return "exit 0"


# ---------------------------------------------------------------------------------------------
# the fuzz tests


@pytest.fixture(scope="module", autouse=True)
def _backstop():
    """A hang inside compiled code cannot be interrupted by the alarm: dump the stacks and end
    the process instead of waiting for ever."""
    faulthandler.dump_traceback_later(600, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def test_fuzz_edge_lists():
    stats: Counter = Counter()
    root = Path(tempfile.mkdtemp(prefix="scsim-fuzz-graphs-"))
    start = time.perf_counter()

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(edge_lists())
    def fuzz(example):
        data, label = example
        folder = Path(tempfile.mkdtemp(dir=root))
        try:
            kind = check_edge_list(data, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        stats["examples"] += 1
        stats[kind] += 1
        for x in label:
            stats[f"with {x}"] += 1

    try:
        fuzz()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    wall = time.perf_counter() - start
    print(f"\nfuzz: {stats['examples']} edge lists in {wall:.1f} s")
    for k, v in sorted(stats.items()):
        if k != "examples":
            print(f"  {k}: {v}")
    assert stats["examples"] >= EXAMPLES


PIECES = [b"0", b"1", b"7", b"12", b"-3", b"+4", b"99999999999999999999", b"9223372036854775807",
          b"-9223372036854775808", b"9223372036854775808", b" ", b"  ", b"\t", b"\n", b"\r\n", b"\r", b"#", b"%",
          b"x", b".5", b"\x00", b"\x0b", b"\x0c", b"\x1c", b"\x85", b"\xa0", b"\xff", b"\xef\xbb\xbf", b"1 2\n",
          b"3 4\r\n", b"5\t6\n"]


@settings(max_examples=PARSE_EXAMPLES, deadline=None, derandomize=True, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.sampled_from(PIECES), max_size=40).map(b"".join), chunk=st.sampled_from([1 << 18, 1, 7]))
def test_parser_agrees_with_reference(tmp_path, monkeypatch, data, chunk):
    """`read_edge_list` reads what :func:`reference` reads, refuses what it refuses (naming one
    of its bad lines), and NumPy's fast parse, the chunked one (chunks of ``chunk`` bytes and
    more, up to a line's end) and the slow line-by-line pass agree."""
    monkeypatch.setattr(scsim.graph.io, "_CHUNK_BYTES", chunk)
    f = tmp_path / "e.txt"
    f.write_bytes(data)
    bad, nodes, pairs = reference(data)
    with alarm():
        try:
            g, ids = read_edge_list(f)
        except GraphError as e:
            msg = str(e)
            assert "\n" not in msg and str(f) in msg
            if bad:
                m = re.search(r" line (\d+): ", msg)
                assert m and int(m.group(1)) in bad, (sorted(bad), msg)
            else:
                assert not pairs and "no edges" in msg, msg
            return
    assert not bad and pairs, (sorted(bad), ids)
    assert ids.tolist() == sorted(nodes)
    assert g.n_edges == len(pairs)
    got = {(int(ids[a]), int(ids[b])) for a, b in zip(*g.edges())}
    assert got == pairs
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    body = body.replace(b"%", b"#")
    slow = scsim.graph.io._parse_slow(body, "e.txt")
    np.testing.assert_array_equal(scsim.graph.io._parse_chunked(body, "e.txt"), slow)
    np.testing.assert_array_equal(scsim.graph.io._loadtxt(body), slow)


# ---------------------------------------------------------------------------------------------
# what a generator cannot make


def _ring(n: int, first: int = 0) -> str:
    return "".join(f"{first + i} {first + (i + 1) % n}\n" for i in range(n))


def test_fifo_is_refused_without_blocking(tmp_path):
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    link = tmp_path / "link.txt"
    link.symlink_to(pipe)
    for f in (pipe, link):
        t0 = time.perf_counter()
        rc, _, err = run_graph(f, tmp_path / f"run-{f.stem}")
        assert time.perf_counter() - t0 < 10
        assert "named pipe" in error_line(rc, err, f)


def test_devices_and_directories_are_refused(tmp_path):
    zero = Path("/dev/zero")
    if zero.exists() and stat.S_ISCHR(zero.stat().st_mode):
        rc, _, err = run_graph(zero, tmp_path / "run-zero")
        assert "character device" in error_line(rc, err, zero)
    rc, _, err = run_graph(tmp_path, tmp_path / "run-dir")
    assert "directory" in error_line(rc, err, tmp_path)


def test_missing_file_is_refused(tmp_path):
    f = tmp_path / "missing.txt"
    rc, _, err = run_graph(f, tmp_path / "run")
    assert "No such file" in error_line(rc, err, f)


def test_5000_digit_id_is_refused_naming_its_line(tmp_path):
    f = tmp_path / "huge.txt"
    f.write_text(_ring(12) + "# a comment\n" + "7" * 5000 + " 3\n")
    rc, _, err = run_graph(f, tmp_path / "run")
    msg = error_line(rc, err, f)
    assert " line 14: " in msg and "int64" in msg and "5000 digits" in msg and len(msg) < 300


@pytest.mark.parametrize("bad", [str(2**63), str(-(2**63) - 1)])
def test_ids_just_outside_int64_are_refused(tmp_path, bad):
    f = tmp_path / "edge.txt"
    f.write_text(_ring(12) + f"{bad} 3\n")
    rc, _, err = run_graph(f, tmp_path / "run")
    assert " line 13: " in error_line(rc, err, f)


def test_int64_extremes_and_negative_ids_are_opaque_ids(tmp_path):
    f = tmp_path / "extremes.txt"
    f.write_text(_ring(10, first=-5) + f"{2**63 - 1} {-(2**63)}\n{-(2**63)} -5\n")
    rc, _, err = run_graph(f, tmp_path / "run")
    assert rc == 0, err
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["population"] == 12


def test_nine_nodes_refused_ten_run(tmp_path):
    f = tmp_path / "nine.txt"
    f.write_text(_ring(9))
    rc, _, err = run_graph(f, tmp_path / "run9")
    msg = error_line(rc, err, f)
    assert "9 nodes" in msg and "at least 10" in msg
    g = tmp_path / "ten.txt"
    g.write_text(_ring(10))
    rc, _, err = run_graph(g, tmp_path / "run10")
    assert rc == 0, err
    assert json.loads((tmp_path / "run10" / "manifest.json").read_text())["population"] == 10


def test_utf16_and_binary_files_are_refused(tmp_path):
    f = tmp_path / "utf16.txt"
    f.write_text(_ring(12), encoding="utf-16")
    rc, _, err = run_graph(f, tmp_path / "run16")
    assert "NUL" in error_line(rc, err, f)
    g = tmp_path / "random.bin"
    g.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    rc, _, err = run_graph(g, tmp_path / "runbin")
    error_line(rc, err, g)


def test_crlf_tabs_bom_and_a_long_comment_line_are_read(tmp_path):
    f = tmp_path / "windows.txt"
    text = "\ufeff# exported\r\n" + _ring(11).replace(" ", "\t").replace("\n", "\r\n") + "# " + "x" * 2_000_000 + "\r\n"
    f.write_bytes(text.encode("utf-8"))
    rc, _, err = run_graph(f, tmp_path / "run")
    assert rc == 0, err
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["population"] == 11


def test_many_self_loops_are_read_fast(tmp_path):
    f = tmp_path / "loops.txt"
    f.write_text(_ring(10) + "3 3\n" * 500_000)
    t0 = time.perf_counter()
    rc, _, err = run_graph(f, tmp_path / "run")
    assert rc == 0, err
    assert time.perf_counter() - t0 < 10
    g = tmp_path / "only-loops.txt"
    g.write_text("3 3\n" * 500_000)
    rc, _, err = run_graph(g, tmp_path / "run2")
    assert "only self-loops" in error_line(rc, err, g)


def test_a_bad_line_at_the_end_of_a_long_file_is_found(tmp_path):
    f = tmp_path / "long.txt"
    f.write_text(_ring(200_000) + "1 2 3\n" + "4\n")
    t0 = time.perf_counter()
    rc, _, err = run_graph(f, tmp_path / "run")
    assert " line 200002: " in error_line(rc, err, f)
    assert time.perf_counter() - t0 < 10


def test_file_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(scsim.graph.io, "MAX_EDGE_LIST_BYTES", 100)
    f = tmp_path / "big.txt"
    f.write_text(_ring(30))
    rc, _, err = run_graph(f, tmp_path / "run")
    assert "MAX_EDGE_LIST_BYTES" in error_line(rc, err, f)


def test_file_too_large_for_memory_is_refused_before_reading(tmp_path, monkeypatch):
    # as if reading needed 10**9 times the file: more than this machine has, whatever it has
    monkeypatch.setattr(scsim.graph.io, "READ_MEMORY_FACTOR", 10**9)
    f = tmp_path / "big.txt"
    f.write_text(_ring(30))
    rc, _, err = run_graph(f, tmp_path / "run")
    assert "of memory" in error_line(rc, err, f)


def test_newline_in_the_file_name_keeps_the_message_on_one_line(tmp_path):
    f = tmp_path / "two\nlines.txt"
    f.write_text(_ring(5))
    rc, _, err = run_graph(f, tmp_path / "run")
    assert rc == 2 and err.count("\n") == 1 and err.startswith("error: ") and "two\\nlines.txt" in err
