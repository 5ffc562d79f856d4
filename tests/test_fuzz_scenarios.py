"""Property-based fuzz of scenario files (issue 11): every value ``scsim scenario check`` accepts
also runs, without a traceback and with finite results; every value it refuses, ``scsim run``
refuses too, with the same one-line message.

Each example starts from a shipped scenario (``load_scenario(name).resolved()``, so ``extends``
is resolved), made small (20 to 60 citizens, 1 to 3 ticks), and mutates one to three of its
leaves, tables or lists: numbers set to 0, negative, huge (1e300, 10**30), NaN or infinite; wrong
types; empty strings, lists and tables; removed, renamed and unknown keys; reordered or shortened
lists; weights scaled so they no longer add up; optional keys that were absent set to anything.
The mutant is written as a TOML file and given to ``scsim.cli.main`` in this process (the
compiled kernels load once):

* ``scenario check FILE`` and ``run FILE -q --out DIR`` must each exit 0, or exit 2 with exactly
  one line on stderr starting with ``error:``; any other exception (a traceback) fails, and so
  does an example running past :data:`ALARM_S` seconds;
* check and run agree: check 0 means run 0; check 2 means run 2 with the same message;
* a run that exits 0 has finite float columns in ``ticks.parquet`` and ``citizens.parquet``
  (except the measures the manifest declares undefined at times, `Column.undefined`), and
  raised no NumPy ``RuntimeWarning`` on the way (an overflow to infinity, an invalid value: a
  figure the scenario should have refused).

The run is derandomised (the same examples on every machine). ``SCSIM_FUZZ_SCALE`` (a float,
default 1) multiplies the number of examples (:data:`EXAMPLES`, 1,000 at scale 1) for longer
local runs, e.g. ``SCSIM_FUZZ_SCALE=10 python -m pytest tests/test_fuzz_scenarios.py -q -s``
(``-s`` prints the tally of outcomes). ``test_regressions`` keeps every failure the fuzz found,
one case each.
"""
from __future__ import annotations

import contextlib
import copy
import faulthandler
import io
import math
import os
import re
import shutil
import signal
import tempfile
import time
import types
import typing
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import nonfinite_columns
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import scsim.cli
from scsim import load_scenario
from scsim.engine.config import ScenarioBase
from scsim.scenario import builtin_scenarios

SCALE = float(os.environ.get("SCSIM_FUZZ_SCALE", "1") or 1)
EXAMPLES = max(1, int(round(1000 * SCALE)))
"""Mutated scenarios per run of the fuzz test (1,000 at the default scale)."""
ALARM_S = 30
"""Seconds one example (check and run) may take before it counts as a hang."""
"""Measures that are NaN by definition when undefined (no inferred tie yet, no variance of
scores across ties); never infinite."""

BASES = sorted(builtin_scenarios())
BASE = {name: load_scenario(name).resolved() for name in BASES}
FIXED = {("population",), ("ticks",)}
"""Keys mutated only to refused values or small ones (a valid huge population or tick count
would be a long run, not a bug)."""


# ---------------------------------------------------------------------------------------------
# writing TOML

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k) -> str:
    k = str(k)
    return k if _BARE.match(k) else _string(k)


def _string(s: str) -> str:
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\u{o:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v if x is not None) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items() if x is not None) + "}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def to_toml(data: dict) -> str:
    """TOML text of nested dicts, lists and scalars (None: the key is left out); every value of
    the top level on one line, tables inline."""
    return "".join(f"{_key(k)} = {_value(v)}\n" for k, v in data.items() if v is not None)


# ---------------------------------------------------------------------------------------------
# mutations


def _paths(obj, prefix=()):
    items = obj.items() if isinstance(obj, dict) else enumerate(obj)
    for k, v in items:
        p = prefix + (k,)
        yield p
        if isinstance(v, (dict, list)):
            yield from _paths(v, p)


def _get(data, path):
    for k in path:
        data = data[k]
    return data


def _strings(obj) -> list[str]:
    return sorted({v for p in _paths(obj) if isinstance(v := _get(obj, p), str) and len(v) < 80})


HUGE = [1e300, -1e300, 10**30, -(10**30), 2**31, 2**63 - 1, -(2**63), 3.5e38, 1e38, 1e-300, -1e-300]
SPECIAL = [0, 0.0, -1, -0.5, 0.5, 1, 1.5, 2, 3, 100, math.nan, math.inf, -math.inf]
WRONG = ["", "x", "nan", "inf", [], {}, [1, 2], {"a": 1}, True, False]


def _field(model: str, path: tuple):
    """The pydantic field a scenario of ``model`` holds at ``path``, or None (a free key, a list
    element)."""
    t, found = ScenarioBase.MODELS.get(model), None
    for part in path:
        found = None
        for c in (typing.get_args(t) or (t,)) if typing.get_origin(t) in (typing.Union, types.UnionType) else (t,):
            if isinstance(c, type) and issubclass(c, BaseModel) and isinstance(part, str):
                for name, f in c.model_fields.items():
                    if part in (name, f.alias):
                        found = f
                        break
            elif typing.get_origin(c) is dict and isinstance(part, str):
                t = typing.get_args(c)[1]
                break
            elif typing.get_origin(c) is list and isinstance(part, int):
                t = typing.get_args(c)[0]
                break
            if found is not None:
                break
        if found is not None:
            t = found.annotation
        elif t is None:
            return None
    return found


def _edges(model: str, path: tuple) -> list:
    """The bounds a field declares, and the numbers just inside and outside them."""
    f = _field(model, path)
    out = []
    for m in getattr(f, "metadata", None) or []:
        for attr, inward in (("ge", 1), ("gt", 1), ("le", -1), ("lt", -1)):
            x = getattr(m, attr, None)
            if isinstance(x, (int, float)) and not isinstance(x, bool):
                out += [x, x - inward if isinstance(x, int) else math.nextafter(x, x - inward * math.inf)]
                if isinstance(x, float) or x != int(x):
                    out.append(math.nextafter(float(x), float(x) + inward * math.inf))
    return out


def _number(draw, v, edges=()):
    """A replacement for the number ``v`` (``edges``: the bounds of its field)."""
    how = draw(st.sampled_from(["special", "huge", "relative", "float", "int", "wrong", "edge", "edge"]))
    if how == "edge":
        return draw(st.sampled_from(list(edges) or SPECIAL))
    if how == "special":
        return draw(st.sampled_from(SPECIAL))
    if how == "huge":
        return draw(st.sampled_from(HUGE))
    if how == "relative":
        f = draw(st.sampled_from([-1, 10, 1e6, 1e-6, 0.5, 2]))
        out = v * f
        if isinstance(v, int) and float(out).is_integer():
            return int(out)
        return float(out)
    if how == "float":
        return draw(st.floats(allow_nan=True, allow_infinity=True))
    if how == "int":
        return draw(st.integers(-(2**70), 2**70))
    return draw(st.sampled_from(WRONG))


def _string_value(draw, v, pool):
    how = draw(st.sampled_from(["empty", "other", "edit", "text", "long", "wrong"]))
    if how == "empty":
        return draw(st.sampled_from(["", " "]))
    if how == "other":  # another name of the scenario: an event, a rule, a trait ...
        return draw(st.sampled_from(pool)) if pool else "x"
    if how == "edit":
        return draw(st.sampled_from([v + "x", v[:-1], v.upper(), v.replace("_", "-"), "_" + v]))
    if how == "text":
        return draw(st.text(st.characters(exclude_categories=["Cs"]), max_size=12))
    if how == "long":
        return "a" * 500
    return draw(st.sampled_from([0, -1, 1.5, math.nan, True, [], {}, [v]]))


def _list_value(draw, v, pool):
    how = draw(st.sampled_from(["empty", "reverse", "double", "drop", "shuffle", "first", "add", "wrong"]))
    if how == "empty":
        return []
    if how == "reverse":
        return list(reversed(v))
    if how == "double":
        return v + copy.deepcopy(v)
    if how == "drop" and v:
        i = draw(st.integers(0, len(v) - 1))
        return v[:i] + v[i + 1:]
    if how == "shuffle":
        return draw(st.permutations(v))
    if how == "first":
        return v[:1]
    if how == "add":
        return v + [draw(st.sampled_from(["x", 1, 1e300, math.nan, {}, {"name": "x"}, (pool or ["x"])[0]]))]
    return draw(st.sampled_from(["", 0, 1.5, {}, True]))


def _dict_value(draw, v):
    how = draw(st.sampled_from(["empty", "drop", "unknown", "rename", "scale", "wrong"]))
    if how == "empty":
        return {}
    if how == "drop" and v:
        k = draw(st.sampled_from(list(v)))
        return {a: b for a, b in v.items() if a != k}
    if how == "unknown":
        return {**v, draw(st.sampled_from(["unknown_key", "x", "enabled", "min", "rate"])): draw(st.sampled_from([1, 0.5, "x", True]))}
    if how == "rename" and v:
        k = draw(st.sampled_from(list(v)))
        new = draw(st.sampled_from([k + "x", k[:-1] or "x", k.upper()]))
        return {(new if a == k else a): b for a, b in v.items()}
    if how == "scale":  # weights that no longer add up
        f = draw(st.sampled_from([0, -1, 2, 1e300, 1e-300, math.nan]))
        return {a: (b * f if isinstance(b, (int, float)) and not isinstance(b, bool) else b) for a, b in v.items()}
    return draw(st.sampled_from([[], "", 0, 1.5, True, [v]]))


def _absent(draw, pool):
    """A value for an optional key that was absent."""
    return draw(st.sampled_from([0, 1, -1, 0.5, 2, 1e300, 10**30, math.nan, -math.inf, True, False, "", "x",
                                 (pool or ["x"])[0], [], ["x"], {}, {"enabled": True}]))


def _mutate(draw, data: dict, label: list, model: str) -> None:
    paths = list(_paths(data))
    path = draw(st.sampled_from(paths))
    parent, key = _get(data, path[:-1]), path[-1]
    v = parent[key]
    pool = _strings(data)
    if path in FIXED:
        new = draw(st.one_of(st.sampled_from([0, -1, 5, 1e300, 10**30, math.nan, math.inf, "x", "", [], {}, True, 2.5]),
                             st.integers(20, 60) if path == ("population",) else st.integers(1, 3)))
        parent[key] = new
        label.append(f"{'.'.join(map(str, path))} = {new!r}")
        return
    if draw(st.integers(0, 9)) == 0:  # remove the key or element
        del parent[key]
        label.append(f"del {'.'.join(map(str, path))}")
        return
    if v is None:
        new = _absent(draw, pool)
    elif isinstance(v, bool):
        new = draw(st.sampled_from([not v, 0, 1, "true", [v]]))
    elif isinstance(v, (int, float)):
        new = _number(draw, v, _edges(model, path))
    elif isinstance(v, str):
        new = _string_value(draw, v, pool)
    elif isinstance(v, list):
        new = _list_value(draw, v, pool)
    else:
        new = _dict_value(draw, v)
    parent[key] = new
    shown = repr(new)
    label.append(f"{'.'.join(map(str, path))} = {shown[:80]}")


@st.composite
def mutants(draw) -> tuple[str, dict, list[str]]:
    """``(base name, mutated scenario, what was mutated)``."""
    name = draw(st.sampled_from(BASES))
    data = copy.deepcopy(BASE[name])
    data["population"] = draw(st.integers(20, 60))
    data["ticks"] = draw(st.integers(1, 3))
    data["seed"] = draw(st.integers(0, 2**16))
    data["engine"]["panel_size"] = draw(st.integers(0, 8))
    label: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        _mutate(draw, data, label, data.get("model") if isinstance(data.get("model"), str) else "")
    return name, data, label


# ---------------------------------------------------------------------------------------------
# running a mutant


class Hang(Exception):
    """An example ran past :data:`ALARM_S` seconds."""


def _alarm(signum, frame):
    raise Hang(f"no result after {ALARM_S} s")


def cli(*argv: str) -> tuple[int, str, str]:
    """``scsim.cli.main(argv)`` in this process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = scsim.cli.main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def one_error_line(rc: int, err: str, what: str) -> str:
    lines = err.strip("\n").split("\n") if err.strip() else []
    assert rc == 2, f"{what}: exit {rc}, expected 0 or 2; stderr: {err!r}"
    assert len(lines) == 1 and lines[0].startswith("error: "), f"{what}: expected one line 'error: ...', got {err!r}"
    return lines[0]


def check_mutant(data: dict, folder: Path, stats: Counter | None = None, alarm: int = ALARM_S) -> tuple[int, str]:
    """Check and run one scenario; assert the contract. Returns (exit status, message).
    ``alarm``: seconds before it counts as a hang (0: no limit)."""
    f = folder / "mutant.toml"
    f.write_text(to_toml(data), encoding="utf-8")
    out_dir = folder / "run"
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(alarm)
    if alarm:  # a hang inside compiled code never returns to the alarm: dump the stacks and exit
        faulthandler.dump_traceback_later(4 * alarm, exit=True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rc_c, _, err_c = cli("scenario", "check", str(f))
            rc_r, out_r, err_r = cli("run", str(f), "-q", "--out", str(out_dir))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        faulthandler.cancel_dump_traceback_later()
    shown = [f"{w.category.__name__}: {str(w.message)[:60]} ({Path(w.filename).name}:{w.lineno})" for w in caught]
    if stats is not None:
        for w in shown:
            stats[f"warning: {w}"] += 1
    if rc_c == 0:
        assert rc_r == 0, f"check accepted the scenario but run exited {rc_r}: {err_r.strip()!r}"
        bad = nonfinite_columns(out_dir)
        assert not bad, f"run exited 0 but these columns hold NaN or infinite values: {bad}"
        numeric = [w for w, c in zip(shown, caught) if issubclass(c.category, RuntimeWarning)]
        assert not numeric, f"run exited 0 after numeric warnings: {numeric}"
        return 0, ""
    msg = one_error_line(rc_c, err_c, "scenario check")
    one_error_line(rc_r, err_r, "run")
    assert err_r.strip() == msg, f"check and run refuse with different messages: {msg!r} / {err_r.strip()!r}"
    return 2, msg


# ---------------------------------------------------------------------------------------------
# the tests


def small(name: str, population: int = 30, ticks: int = 2) -> dict:
    """The resolved base of a shipped scenario, made small."""
    data = copy.deepcopy(BASE[name])
    data.update(population=population, ticks=ticks)
    data["engine"]["panel_size"] = 4
    return data


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """Each model run once, unmutated and without the alarm: the compiled kernels load (or, on a
    cold cache, compile) here, not inside a timed example."""
    for name in ("article", "xingqiao", "reference"):
        assert check_mutant(small(name), tmp_path_factory.mktemp(name), alarm=0) == (0, "")


def test_toml_writer_round_trips_every_base(tmp_path):
    """The unmutated base of each shipped scenario, written by :func:`to_toml`, loads back to
    the same resolved scenario (so every mutant differs from it only where it was mutated)."""
    for name in BASES:
        f = tmp_path / f"{name}.toml"
        f.write_text(to_toml(BASE[name]), encoding="utf-8")
        assert load_scenario(f).resolved() == BASE[name], name


def test_fuzz_scenarios(warm):
    stats: Counter = Counter()
    root = Path(tempfile.mkdtemp(prefix="scsim-fuzz-"))
    start = time.perf_counter()

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(mutants())
    def fuzz(m):
        name, data, label = m
        note(f"mutant of {name}: {'; '.join(label)}")
        folder = Path(tempfile.mkdtemp(dir=root))
        try:
            rc, msg = check_mutant(data, folder, stats)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        stats["examples"] += 1
        stats[f"exit {rc}"] += 1
        stats[f"base {name}"] += 1

    try:
        fuzz()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    wall = time.perf_counter() - start
    print(f"\nfuzz: {stats['examples']} mutated scenarios in {wall:.1f} s: exit 0 {stats['exit 0']}, "
          f"exit 2 {stats['exit 2']}")
    for k, v in sorted(stats.items()):
        if k.startswith(("base ", "warning: ")):
            print(f"  {k}: {v}")
    assert stats["examples"] >= EXAMPLES


# ---------------------------------------------------------------------------------------------
# the failures the fuzz found, one case each: before the fix each ended in a traceback, a hang,
# a run refused after `scenario check` accepted it, or values overflowing to infinity in a run
# that exited 0. Cases marked "latent" are of the same kind, found reading the code the fuzz
# pointed at; they did not fail at the fuzz's sizes but do at others (longer runs, more events).


def _set(data: dict, path: tuple, value) -> None:
    _get(data, path[:-1])[path[-1]] = value


REGRESSIONS = [
    # a traceback when the run built its modules: only the national model checked its tiers
    pytest.param("xingqiao", {("tiers",): "reversed"}, "tiers must be listed from the lowest min to the highest",
                 id="xingqiao-tiers-unsorted"),
    pytest.param("xingqiao-control", {("tiers", 2, "min"): -1e300}, "tiers[2].min: Input should be greater than or equal to",
                 id="xingqiao-tier-min-huge"),
    # a traceback: "module 'classroom' declares column 'share_some_stars' twice"
    pytest.param("xingqiao", {("tiers", 3, "name"): "some_stars"}, "tiers: two tiers share the name 'some_stars'",
                 id="xingqiao-tier-names-twice"),
    pytest.param("reference", {("tiers", 1, "name"): "poor"}, "tiers: two tiers share the name 'poor'",
                 id="reference-tier-names-twice"),
    # latent: unsorted reference tiers ran, with negative tier shares
    pytest.param("reference", {("tiers",): "reversed"}, "tiers must be listed from the lowest min to the highest",
                 id="reference-tiers-unsorted"),
    # check accepted, run refused: income overflowed to infinity
    pytest.param("article", {("people", "occupation_income", "retired"): 1e300},
                 "occupation_income.retired: expected a multiplier between 1e-06 and 1e+06", id="income-multiplier-huge"),
    pytest.param("article", {("people", "occupation_income", "professional"): -1e300},
                 "occupation_income.professional: expected a multiplier", id="income-multiplier-negative"),
    # a hang: 1e11 purchases of alcohol a week per citizen, each drawn, thinned and misattributed
    # (at other sizes the counts wrapped past 32 bits instead)
    pytest.param("article", {("sources", "commerce", "rates", "alcohol"): 1e11},
                 "sources.commerce.rates.alcohol: Input should be less than or equal to 10000", id="rate-huge-hangs"),
    # latent: rates allowed one by one whose product with the response is absurd (the hang above)
    pytest.param("article", {("sources", "commerce", "rates", "alcohol"): 10_000.0},
                 "sources: commerce.rates.alcohol: the weekly rate can reach 1.5e+04 events per citizen",
                 id="rate-times-response"),
    pytest.param("article", {("sources", "strain", "min"): 1e-6, ("sources", "courts", "response", "late_fees", "strain"): -5},
                 "sources: courts.rates.late_fees: the weekly rate can reach", id="rate-times-strain-power"),
    pytest.param("sesame", {("behaviour", "enabled"): True, ("behaviour", "gaming", "boost"): 1e6},
                 "sources.commerce.rates.diapers: the weekly rate can reach", id="rate-times-gaming-boost"),
    # latent: a negative Poisson rate (intercept + slope * trait < 0) drew no event, silently
    pytest.param("article", {("sources", "commerce", "response", "alcohol", "slope"): -2.0},
                 "intercept + slope must not be negative", id="response-negative-rate"),
    # a traceback: "dcsbm: no target stubs (mean_degree too small)"
    pytest.param("sesame", {("graph", "mean_degree"): 8.651663694154116e-201},
                 "graph.mean_degree: Input should be greater than or equal to 1", id="mean-degree-tiny"),
    # run exited 0 after values overflowed single precision (a score bound, points, a threshold)
    pytest.param("sesame-control", {("tiers", 0, "min"): -3.062691983721768e253}, "tiers[0].min: Input should be",
                 id="tier-min-overflows-float32"),
    pytest.param("article", {("rules", "contract_breach", "points"): 3.5e38}, "rules.contract_breach.points: Input should be",
                 id="points-overflow-float32"),
    # latent: points that round to 0 in single precision (censorship divides by them)
    pytest.param("article", {("rules", "contract_breach", "points"): 1e-300}, "rules.contract_breach.points: expected 0 or at least",
                 id="points-underflow-float32"),
    pytest.param("article", {("rules", "bill_late", "cap"): 1e300}, "rules.bill_late.cap: Input should be", id="ledger-cap-huge"),
    pytest.param("article-control", {("sanctions", "loan_denied_below"): 1e300}, "sanctions.loan_denied_below: Input should be",
                 id="threshold-overflows-float32"),
    pytest.param("reference-control", {("reference", "late_factor"): 1e300, ("reference", "traffic_rate"): 1e300},
                 "reference.late_factor: Input should be", id="reference-factor-huge"),
    pytest.param("xingqiao", {("classroom", "weekly_noise"): 1e300}, "classroom.weekly_noise: Input should be",
                 id="classroom-noise-huge"),
    pytest.param("xingqiao", {("classroom", "bar"): 3.5e38}, "classroom.bar: Input should be", id="classroom-bar-huge"),
    pytest.param("reference", {("people", "regions", "Guangdong"): 1.7e308, ("people", "regions", "Xinjiang"): 1.7e308},
                 "people: regions: the weights must add up to a finite number", id="region-weights-sum-overflows"),
    # a traceback: an unbounded integer added to a tick ("Python int too large to convert to C long")
    pytest.param("article", {("behaviour", "appeals", "delay"): 10**30}, "behaviour.appeals.delay: Input should be",
                 id="appeal-delay-huge"),
    # latent: a listing's end tick is a 32-bit integer
    pytest.param("article", {("sanctions", "blacklist", "duration"): 2**31}, "sanctions.blacklist.duration: Input should be",
                 id="blacklist-duration-int32"),
    # check accepted, run refused: a divisor that rounds to 0 in single precision made dissent NaN
    pytest.param("article", {("behaviour", "rebuke", "gap_scale"): 1e-300}, "behaviour.rebuke.gap_scale: Input should be",
                 id="rebuke-scale-tiny"),
    # a traceback: a score range whose 0.1-point histogram would hold 1e301 bins
    pytest.param("sesame", {("score", "max"): 1e300}, "score.max: Input should be", id="score-range-huge"),
    # latent: 4 million bins a tick
    pytest.param("sesame", {("score", "min"): -200_000.0, ("score", "max"): 200_000.0},
                 "score: max - min must be at most 100000", id="score-range-wide"),
    # check accepted, run refused: a memory limit the scenario gives is now checked by `scenario check`
    pytest.param("article", {("engine", "memory_limit_gib"): 0.01}, "engine.memory_limit_gib: 0.01 GiB is below the estimated peak",
                 id="memory-limit-below-estimate"),
    # valid extremes still run, with finite results
    pytest.param("article", {("sources", "commerce", "rates", "alcohol"): 6000.0}, None, id="rate-high-but-allowed"),
    pytest.param("xingqiao", {("classroom", "conduct", "a"): 1e-6, ("classroom", "conduct", "b"): 1e6}, None,
                 id="beta-extreme-shapes"),
    pytest.param("sesame", {("graph", "mean_degree"): 1.0}, None, id="mean-degree-one"),
]


@pytest.mark.parametrize("name, sets, expect", REGRESSIONS)
def test_regressions(warm, tmp_path, name, sets, expect):
    data = small(name)
    for path, value in sets.items():
        if value == "reversed":
            value = list(reversed(_get(data, path)))
        _set(data, path, value)
    rc, msg = check_mutant(data, tmp_path)
    if expect is None:
        assert rc == 0
    else:
        assert rc == 2 and expect in msg, msg
