"""Replicates: one scenario run with R seeds, and every headline measure with a 95% interval.

A single run is one draw: its wrongful sanctions, its events per source, its mean score are
those of one seed, and nothing in the run says how far another seed would land. A *replicate
set* runs the scenario with the seeds ``S, S + 1, ..., S + R - 1`` (``S`` is ``--seed``, or the
scenario's own seed, 42 for the built-in scenarios, so the run ``scsim run`` makes is replicate
0). Each seed keys every random stream through a hash of (seed, stream name)
(:func:`scsim.engine.streams.stream_key`), so consecutive seeds are independent draws of the same
model: the same scenario, the same population size, a new synthetic world each.

A replicate set is a sweep over the seed (:mod:`scsim.analysis.sweep`, one point, ``R``
replicates) and runs on the same Dask ``LocalCluster`` (or an existing scheduler); it is
resumable the same way (run the same command again). Its folder ``OUT`` holds:

- ``replicates.json``: the plan (scenario, population, ticks, seeds, overrides);
- ``sweep.json`` and ``sweep.parquet``: the sweep's plan and one row per seed with the end-of-run
  measures (the last row of each run's ``ticks.parquet`` and ``persistence_at_bottom``);
- ``runs/seed-<seed>/``: one ordinary run folder per seed (``scsim query``, ``report``,
  ``explain`` and ``compare`` work on it);
- ``summary.parquet``: one row per end-of-run measure: ``mean``, ``sd``, ``n``, ``se``, the 95%
  interval of the mean (``ci_low``, ``ci_high``: Student *t* with ``n - 1`` degrees of freedom,
  ``mean +- t(0.975, n - 1) * sd / sqrt(n)``), ``min`` and ``max`` with the seeds that gave them,
  ``label``, ``unit`` and ``headline`` (the measures ``scsim run`` prints);
- ``bands.parquet``: one row per tick and measure: ``mean``, ``sd``, ``n``, ``ci_low``,
  ``ci_high`` (the same *t*-interval of the mean, tick by tick) and ``q025``, ``q975`` (the 2.5th
  and 97.5th percentiles of the replicates, linear interpolation: where a single run falls; with
  fewer than 40 replicates they sit close to the smallest and largest run).

With ``with_control=True`` the scenario and its control twin each get a replicate set,
``OUT/<scenario>/`` and ``OUT/<control>/``, with the same seeds: replicate ``k`` of both is the
same world with the same random numbers (common random numbers), so
:func:`scsim.analysis.compare.compare` pairs them seed by seed.

The interval is an interval for the *mean over seeds* (the expected value of the measure in this
model at this size), not for any one run; it assumes the replicates are independent (they are)
and that their mean is close to normal (a t-interval is robust to moderate skew; with very few
replicates and a skewed measure, read it as approximate). An interval needs at least 2
replicates.

Every citizen is simulated.

>>> t_interval([1.0, 2.0, 3.0])["ci_low"] < 2.0 < t_interval([1.0, 2.0, 3.0])["ci_high"]
True
>>> seeds_for(42, 3)
[42, 43, 44]
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..errors import ResourceError, ScsimError

PLAN = "replicates.json"
"""The file that marks a replicate set (or a pair of them) and holds its plan."""
PLAN_VERSION = 1
LEVEL = 0.95
"""Level of every interval."""
INTERVAL = "95% Student t interval of the mean over replicates (n - 1 degrees of freedom)"
HEADLINE = ("mean_score", "gini", "sanctioned", "blacklisted", "wrongful_sanctions", "guilt_by_association",
            "persistence_at_bottom", "star_inflation", "disputes", "janitorial_duty_wrongful")
"""End-of-run measures printed by ``scsim run --replicates`` (with every ``share_<tier>`` and
``events_<source>``); ``summary.parquet`` holds every measure."""
EXTRA_LABELS = {"persistence_at_bottom": ("of the lowest tier at week 1, still there at the end", "share")}

ProgressFn = Callable[[int, int], None]


# ---------------------------------------------------------------------------------------------
# Statistics


@functools.lru_cache(maxsize=1024)
def t_quantile(df: int, level: float = LEVEL) -> float:
    """The two-sided ``level`` quantile of Student's t with ``df`` degrees of freedom.

    >>> round(t_quantile(7), 3)
    2.365
    """
    from scipy.special import stdtrit  # the inverse of Student t's distribution function (imports faster than scipy.stats)

    return float(stdtrit(df, 0.5 + level / 2))


def t_interval(values: Any, level: float = LEVEL) -> dict[str, float]:
    """Mean, sd (``ddof=1``), n, standard error and the ``level`` Student t interval of the mean.

    NaN values are left out (``n`` counts the others). With ``n < 2`` the sd and the interval are
    NaN; with ``sd == 0`` the interval is the mean itself.

    >>> d = t_interval([600.0, 602.0, 604.0, 606.0])
    >>> d["mean"], round(d["ci_low"], 2), round(d["ci_high"], 2)
    (603.0, 598.89, 607.11)
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[~np.isnan(x)]
    n = int(x.size)
    nan = float("nan")
    if n == 0:
        return {"n": 0, "mean": nan, "sd": nan, "se": nan, "ci_low": nan, "ci_high": nan}
    mean = float(x.mean())
    if n < 2:
        return {"n": 1, "mean": mean, "sd": nan, "se": nan, "ci_low": nan, "ci_high": nan}
    sd = float(x.std(ddof=1))
    if not np.any(x != x[0]):
        sd = 0.0  # identical values: no rounding noise in the interval
    se = sd / math.sqrt(n)
    h = t_quantile(n - 1, float(level)) * se
    return {"n": n, "mean": mean, "sd": sd, "se": se, "ci_low": mean - h, "ci_high": mean + h}


def seeds_for(base_seed: int, replicates: int) -> list[int]:
    """The seeds of a replicate set: ``base_seed, base_seed + 1, ..., base_seed + replicates - 1``."""
    return [int(base_seed) + r for r in range(int(replicates))]


def _numeric(df: pd.DataFrame, skip: tuple[str, ...]) -> list[str]:
    return [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])
            and not pd.api.types.is_bool_dtype(df[c])]


def headline_measures(columns: list[str]) -> list[str]:
    """The measures ``scsim run`` prints, in its order, among ``columns``."""
    first = [c for c in ("mean_score", "gini") if c in columns]
    shares = [c for c in columns if c.startswith("share_")]
    rest = [c for c in HEADLINE[2:] if c in columns]
    events = [c for c in columns if c.startswith("events_")]
    return first + shares + rest + events


def format_value(measure: str, v: Any) -> str:
    """A value of ``measure`` as ``scsim run --replicates``, ``scsim report`` print it: shares
    in %, scores to 2 decimals, counts to 3 or 4 significant figures.

    >>> format_value("share_poor", 0.0431), format_value("sanctioned", 4564.25), format_value("mean_score", 604.6)
    ('4.31%', '4,564', '604.60')
    >>> format_value("sanctioned", 8.0), format_value("sanctioned", 4.25), format_value("appeals", 0.0123)
    ('8', '4.25', '0.01')
    """
    try:
        v = float(v)
    except (TypeError, ValueError):
        return "-"
    if not math.isfinite(v):
        return "-"
    if measure.startswith("share_") or measure == "persistence_at_bottom":
        return f"{100 * v:.2f}%"
    if measure in ("gini", "star_inflation"):
        return f"{v:.4f}"
    if measure == "mean_score" or (measure.startswith("score_p") and measure[7:].isdigit()):
        return f"{v:,.2f}"
    if v.is_integer():
        return f"{v:,.0f}"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.1f}" if abs(v) >= 10 else f"{v:.2f}" if abs(v) >= 0.01 else f"{v:.3g}"


def summarize(runs: pd.DataFrame, info: dict[str, dict] | None = None, level: float = LEVEL) -> pd.DataFrame:
    """``summary.parquet`` from the per-seed end values (one row per seed, a ``seed`` column)."""
    info = info or {}
    measures = _numeric(runs, ("seed", "replicate", "point"))
    head = set(headline_measures(measures))
    seeds = runs["seed"].to_numpy()
    rows = []
    for m in measures:
        x = runs[m].to_numpy(np.float64)
        st = t_interval(x, level)
        ok = ~np.isnan(x)
        lo_i = int(np.flatnonzero(ok)[np.argmin(x[ok])]) if ok.any() else None
        hi_i = int(np.flatnonzero(ok)[np.argmax(x[ok])]) if ok.any() else None
        label, unit = EXTRA_LABELS.get(m, (info.get(m, {}).get("label") or m.replace("_", " "), info.get(m, {}).get("unit", "")))
        rows.append({"measure": m, "label": label, "unit": unit, "headline": m in head, **st,
                     "min": float(x[lo_i]) if lo_i is not None else float("nan"),
                     "seed_min": int(seeds[lo_i]) if lo_i is not None else -1,
                     "max": float(x[hi_i]) if hi_i is not None else float("nan"),
                     "seed_max": int(seeds[hi_i]) if hi_i is not None else -1})
    df = pd.DataFrame(rows, columns=["measure", "label", "unit", "headline", "n", "mean", "sd", "se", "ci_low", "ci_high",
                                     "min", "seed_min", "max", "seed_max"])
    return df.astype({"n": "int64", "seed_min": "int64", "seed_max": "int64", "headline": bool})


def bands_of(ticks: dict[int, pd.DataFrame], level: float = LEVEL) -> pd.DataFrame:
    """``bands.parquet`` from each seed's ``ticks.parquet``: per tick and measure, the mean over
    replicates, its t-interval, and the 2.5th and 97.5th percentiles of the replicates."""
    frames = list(ticks.values())
    if not frames:
        return pd.DataFrame(columns=["tick", "measure", "mean", "sd", "n", "ci_low", "ci_high", "q025", "q975"])
    measures = [c for c in _numeric(frames[0], ("tick",)) if all(c in f.columns for f in frames[1:])]
    all_ticks = sorted(set().union(*(set(f["tick"].tolist()) for f in frames)))
    idx = pd.Index(all_ticks, name="tick")
    out = []
    for m in measures:
        X = np.column_stack([f.set_index("tick")[m].reindex(idx).to_numpy(np.float64) for f in frames])  # ticks x R
        ok = ~np.isnan(X)
        n = ok.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"), _quiet():
            mean = np.nanmean(X, axis=1)
            sd = np.nanstd(X, axis=1, ddof=1)
            q025 = np.nanquantile(X, 0.025, axis=1)
            q975 = np.nanquantile(X, 0.975, axis=1)
        same = np.array([not np.any(row[o] != row[o][0]) if o.any() else True for row, o in zip(X, ok)])
        sd = np.where(same & (n >= 2), 0.0, np.where(n >= 2, sd, np.nan))
        tq = np.array([t_quantile(int(k) - 1, level) if k >= 2 else np.nan for k in n])
        h = tq * sd / np.sqrt(np.maximum(n, 1))
        out.append(pd.DataFrame({"tick": all_ticks, "measure": m, "mean": mean, "sd": sd, "n": n.astype(np.int64),
                                 "ci_low": mean - h, "ci_high": mean + h, "q025": q025, "q975": q975}))
    return pd.concat(out, ignore_index=True)


class _quiet:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *a):
        return self._w.__exit__(*a)


# ---------------------------------------------------------------------------------------------
# A replicate set on disk


def read_plan(path: str | Path) -> dict[str, Any] | None:
    """The ``replicates.json`` of ``path``, or None when it holds none."""
    from ..store import read_json

    p = Path(path)
    if not (p / PLAN).is_file():
        return None
    plan = read_json(p, PLAN, "replicate set")
    if not isinstance(plan, dict) or plan.get("kind") not in ("replicates", "replicate-pair"):
        raise ScsimError(f"{p / PLAN}: not a replicate plan (no kind replicates)")
    return plan


def is_replicate_set(path: Any) -> bool:
    """True when ``path`` is a folder holding ``replicates.json`` (a set, or a pair of sets)."""
    return isinstance(path, (str, Path)) and (Path(path) / PLAN).is_file()


@dataclass
class Replicates:
    """A finished replicate set: R runs of one scenario, seeds ``S .. S + R - 1``.

    :attr:`runs`: one row per seed (``seed``, ``run``: its folder under ``runs/``, and every
    end-of-run measure); :attr:`summary`: one row per measure with ``mean``, ``sd``, ``n`` and
    the 95% interval (``ci_low``, ``ci_high``); :attr:`bands`: the same per tick, with the
    replicates' 2.5th and 97.5th percentiles. A single :class:`scsim.Result` is one seed and has
    no interval; a :class:`Replicates` has one for every measure (:meth:`interval`).
    """

    path: Path
    plan: dict[str, Any]
    runs: pd.DataFrame
    summary: pd.DataFrame
    bands: pd.DataFrame
    manifest: dict[str, Any] = field(repr=False, default_factory=dict)
    """The manifest of the first seed's run (labels, units, tier names)."""
    ran: int | None = field(repr=False, default=None)
    """How many of the runs the call that returned this set ran (the others were already done)."""

    @property
    def seeds(self) -> list[int]:
        return [int(s) for s in self.runs["seed"]]

    @property
    def scenario_name(self) -> str:
        return str(self.plan.get("scenario_name"))

    @property
    def population(self) -> int:
        return int(self.manifest.get("population") or self.plan.get("population") or 0)

    @property
    def ticks(self) -> int:
        return int(self.plan.get("ticks") or 0)

    def folder(self, seed: int) -> Path:
        """The run folder of ``seed``."""
        if int(seed) not in self.seeds:
            raise ScsimError(f"{self.path}: no run with seed {seed} (seeds {_seed_range(self.seeds)})")
        return self.path / "runs" / f"seed-{int(seed)}"

    def result(self, seed: int):
        """The :class:`scsim.Result` of ``seed``'s run."""
        from ..engine.results import Result

        return Result.load(self.folder(seed))

    def interval(self, measure: str) -> tuple[float, float, float]:
        """``(mean, ci_low, ci_high)`` of an end-of-run measure over the replicates."""
        row = self.summary[self.summary["measure"] == measure]
        if row.empty:
            raise ScsimError(f"{self.path}: no measure {measure!r} (measures: {', '.join(self.summary['measure'][:12])}, ...)")
        r = row.iloc[0]
        return float(r["mean"]), float(r["ci_low"]), float(r["ci_high"])

    def compare(self, other: "Replicates") -> dict:
        """Paired differences with ``other`` (same seeds): :func:`scsim.analysis.compare.compare`."""
        from .compare import compare

        return compare(self, other)

    @classmethod
    def load(cls, path: str | Path) -> "Replicates":
        """Read a finished replicate set (its ``summary.parquet`` and ``bands.parquet``, computed
        again from the runs if they are missing)."""
        from ..store import read_manifest

        p = Path(path)
        if not p.is_dir():
            raise ScsimError(f"{p}: no such replicate set")
        plan = read_plan(p)
        if plan is None:
            raise ScsimError(f"{p}: not a replicate set (no {PLAN}); make one with scsim run --replicates R")
        if plan["kind"] == "replicate-pair":
            a, b = plan["sets"]
            raise ScsimError(f"{p}: holds two replicate sets, {p / a} and {p / b}; read one of them")
        seeds = [int(s) for s in plan["seeds"]]
        missing = [s for s in seeds if not (p / "runs" / f"seed-{s}" / "manifest.json").is_file()]
        if missing:
            raise ScsimError(f"{p}: {len(missing)} of {len(seeds)} replicate runs are missing (seeds {_seed_range(missing)}); "
                             "rerun the same scsim run --replicates command to finish them")
        manifest = read_manifest(p / "runs" / f"seed-{seeds[0]}")
        runs = _runs_table(p, seeds)
        sf, bf = p / "summary.parquet", p / "bands.parquet"
        summary = pd.read_parquet(sf) if sf.is_file() else summarize(runs, _info(manifest))
        bands = pd.read_parquet(bf) if bf.is_file() else bands_of(_ticks(p, seeds))
        return cls(path=p, plan=plan, runs=runs, summary=summary, bands=bands, manifest=manifest)


def _info(manifest: dict) -> dict[str, dict]:
    return {c["name"]: c for c in manifest.get("columns", []) if isinstance(c, dict) and "name" in c}


def _seed_range(seeds: list[int]) -> str:
    s = sorted(int(x) for x in seeds)
    if len(s) > 2 and s == list(range(s[0], s[-1] + 1)):
        return f"{s[0]}-{s[-1]}"
    return ", ".join(map(str, s[:8])) + (f" and {len(s) - 8} more" if len(s) > 8 else "")


def _runs_table(p: Path, seeds: list[int]) -> pd.DataFrame:
    """One row per seed: ``seed``, ``run`` and the end-of-run measures (``sweep.parquet``; read
    from the run folders when the table is missing or stale)."""
    from .sweep import run_row

    f = p / "sweep.parquet"
    df = pd.read_parquet(f) if f.is_file() else None
    if df is None or sorted(df["seed"].astype("int64").tolist()) != sorted(seeds):
        rows = [run_row(p / "runs" / f"seed-{s}", {"run_id": f"seed-{s}", "point": 0, "replicate": r, "seed": s, "params": {}})
                for r, s in enumerate(seeds)]
        df = pd.DataFrame(rows)
    df = df.copy()
    df["seed"] = df["seed"].astype("int64")
    df["run"] = df["run_id"].astype(str)
    keep = ["seed", "run"] + [c for c in df.columns if c not in ("seed", "run", "run_id", "point", "replicate")
                              and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    return df[keep].sort_values("seed", kind="stable").reset_index(drop=True)


def _ticks(p: Path, seeds: list[int]) -> dict[int, pd.DataFrame]:
    return {s: pd.read_parquet(p / "runs" / f"seed-{s}" / "ticks.parquet") for s in seeds}


def finish(path: str | Path) -> Replicates:
    """Compute and write ``summary.parquet`` and ``bands.parquet`` of a complete set; return it."""
    from ..store import read_manifest, write_table

    p = Path(path)
    plan = read_plan(p)
    if plan is None or plan["kind"] != "replicates":
        raise ScsimError(f"{p}: not a replicate set")
    seeds = [int(s) for s in plan["seeds"]]
    manifest = read_manifest(p / "runs" / f"seed-{seeds[0]}")
    runs = _runs_table(p, seeds)
    summary = summarize(runs, _info(manifest))
    bands = bands_of(_ticks(p, seeds))
    write_table(p / "summary.parquet", summary)
    write_table(p / "bands.parquet", bands)
    return Replicates(path=p, plan=plan, runs=runs, summary=summary, bands=bands, manifest=manifest)


# ---------------------------------------------------------------------------------------------
# Running a set


def _typed(overrides: dict[str, Any] | None) -> dict[str, Any]:
    from ..scenario import _STRING_KEYS, _parse_value

    out = {}
    for k, v in (overrides or {}).items():
        out[k] = _parse_value(v) if isinstance(v, str) and k not in _STRING_KEYS else v
    return out


def _workers(sc, total: int, workers: int | None) -> int:
    """How many runs go at once: the CPU count (or ``workers``), at most ``total``, and no more
    than the memory available holds (:func:`scsim.engine.memory.estimate_memory` per run)."""
    import os

    from ..engine.memory import available_memory, check_memory, estimate_memory

    check_memory(sc)  # one run must fit
    need = estimate_memory(sc)
    limit = sc.engine.memory_limit_gib * 2**30 if sc.engine.memory_limit_gib else 0.9 * available_memory()
    fit = max(1, int(limit // max(need, 1)))
    if workers is None:
        return max(1, min(os.cpu_count() or 1, total, fit))
    if workers < 1:
        raise ScsimError(f"--workers {workers}: expected a whole number >= 1")
    if workers > fit:
        raise ResourceError(f"--workers {workers}: {workers} runs at once need about {workers * need / 2**30:.1f} GiB "
                            f"but {limit / 2**30:.1f} GiB is available; at most {fit} fit (lower --workers)")
    return min(workers, total)


@dataclass
class _SetSpec:
    name: str
    out: Path
    sweep_plan: dict[str, Any]
    plan: dict[str, Any]


def _diff_keys(a: dict, b: dict) -> list[str]:
    import json

    return sorted(k for k in set(a) | set(b) if json.dumps(a.get(k), sort_keys=True, default=str)
                  != json.dumps(b.get(k), sort_keys=True, default=str))


def _prepare(out: Path, top: dict[str, Any], sets: list[_SetSpec]) -> None:
    """Create the folder(s) of a new set, or check that ``out`` holds the same plan (resume)."""
    from ..store import check_out_dir, read_json, write_json
    from .sweep import prepare_dir

    single = top["kind"] == "replicates"
    if (out / PLAN).is_file():
        old = read_json(out, PLAN, "replicate set")
        if old != top:
            diff = ", ".join(_diff_keys(old, top)) if isinstance(old, dict) else "content"
            raise ScsimError(f"{out}: holds a different replicate set (differs in: {diff}); rerun with the same "
                             "arguments to resume it, or choose a new --out")
    elif single and (out / "sweep.json").is_file():
        pass  # killed between the sweep's plan and ours: prepare_dir checks the sweep's
    else:
        check_out_dir(out)  # a usable, new or empty folder (the message says what a non-empty one holds)
    if single:
        prepare_dir(out, sets[0].sweep_plan)
        write_json(out / PLAN, top)
        return
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / PLAN, top)
    for s in sets:
        if (s.out / PLAN).is_file():
            old = read_json(s.out, PLAN, "replicate set")
            if old != s.plan:
                raise ScsimError(f"{s.out}: holds a different replicate set (differs in: "
                                 f"{', '.join(_diff_keys(old, s.plan))}); choose a new --out")
        prepare_dir(s.out, s.sweep_plan)
        write_json(s.out / PLAN, s.plan)


def run_replicates(scenario: str | Path = "article", replicates: int = 10, out: str | Path | None = None, *,
                   population: int | None = None, ticks: int | None = None, seed: int | None = None,
                   graph: str | Path | None = None, overrides: dict[str, Any] | None = None, with_control: bool = False,
                   workers: int | None = None, scheduler: str | None = None, client: Any = None,
                   progress: ProgressFn | None = None):
    """Run ``scenario`` with ``replicates`` seeds into ``out`` (on Dask) and summarize them.

    The seeds are ``S .. S + R - 1`` (``S``: ``seed``, or the scenario's). ``overrides`` are
    dotted scenario keys (``{"network.alpha": 0.2}``; strings are read as ``--set`` reads them).
    Returns a :class:`Replicates`; with ``with_control=True``, the scenario's and its control
    twin's, ``(policy, control)``, written to ``out/<scenario>`` and ``out/<control>`` with the
    same seeds. ``progress(done, total)`` is called as runs finish; ``client`` reuses an open
    Dask client. Running the same call again resumes an interrupted set (finished runs are kept).
    Raises a one-line :class:`ScsimError` for bad input: fewer than 2 replicates (an interval
    needs 2), a folder holding something else, runs that failed.

    >>> import tempfile, pathlib
    >>> rep = run_replicates("article", 2, pathlib.Path(tempfile.mkdtemp()) / "r", population=2000, ticks=2,
    ...                      workers=1)  # doctest: +SKIP
    """
    import contextlib

    from ..scenario import check_control_twin, load_scenario
    from ..store import check_run_name
    from .sweep import _resolve_scenario, dask_client, make_plan, plan_runs, run_sweep

    if isinstance(replicates, bool) or not isinstance(replicates, (int, np.integer)) or replicates < 2:
        raise ScsimError(f"--replicates {replicates}: an interval needs at least 2 replicates (independent seeds); "
                         "give R >= 2, e.g. --replicates 10")
    if out is None:
        raise ScsimError("run_replicates: out: give the folder to write the replicate set to")
    if workers is not None and scheduler is not None:
        raise ScsimError("--workers and --scheduler: choose one (a local cluster, or an existing one)")
    R = int(replicates)
    over = _typed(overrides)
    for k in ("seed", "population", "ticks"):
        if k in over:
            raise ScsimError(f"--set {k}=...: with --replicates, give --{k} instead (the seeds are --seed, --seed + 1, ...)")
    base: dict[str, Any] = {}
    if population is not None:
        base["population"] = int(population)
    if ticks is not None:
        base["ticks"] = int(ticks)
    if seed is not None:
        base["seed"] = int(seed)
    if graph is not None:
        base["graph"] = str(Path(graph).resolve())
    sc = load_scenario(scenario, **base, **over)
    if population is not None and getattr(getattr(sc, "graph", None), "kind", None) == "edgelist":
        raise ScsimError(f"--population: {scenario} imports its graph ({sc.graph.path}), whose nodes are the citizens; "
                         "drop --population")
    if getattr(getattr(sc, "graph", None), "kind", None) == "edgelist":
        sc = sc.model_copy(update={"population": sc.load_graph().n})
    seeds = seeds_for(sc.seed, R)
    if not (0 <= seeds[0] and seeds[-1] < 2**63):
        raise ScsimError(f"--seed {sc.seed}: the seeds {seeds[0]}..{seeds[-1]} must lie in 0 <= seed < 2**63")
    params = dict(over)
    if graph is not None:
        params["graph"] = base["graph"]
    twins = [(scenario, sc)]
    if with_control:
        if not sc.control:
            raise ScsimError(f"{scenario}: control: the scenario names no control twin; set control = \"<name>\" in the file")
        check_run_name(sc.name, str(scenario))
        ctl = load_scenario(sc.control, **base, **over)
        if getattr(getattr(ctl, "graph", None), "kind", None) == "edgelist":
            ctl = ctl.model_copy(update={"population": sc.population})
        check_control_twin(sc, ctl, str(scenario))
        twins.append((sc.control, ctl))

    out = Path(out)
    sets: list[_SetSpec] = []
    for name, x in twins:
        splan = make_plan(str(name), grid={k: [v] for k, v in params.items()}, replicates=R, population=x.population,
                          ticks=x.ticks, seed=x.seed)
        splan.update(seeds=seeds, run_names="seed")
        rplan = {"kind": "replicates", "version": PLAN_VERSION, "scenario": _resolve_scenario(str(name)),
                 "scenario_name": x.name, "model": x.model, "population": x.population, "ticks": x.ticks,
                 "base_seed": seeds[0], "replicates": R, "seeds": seeds,
                 "overrides": {k: v for k, v in params.items()}, "interval": INTERVAL,
                 "simulated": "every citizen in these runs is synthetic"}
        sets.append(_SetSpec(name=x.name, out=out / x.name if with_control else out, sweep_plan=splan, plan=rplan))
    if with_control:
        top = {"kind": "replicate-pair", "version": PLAN_VERSION, "sets": [s.name for s in sets], "seeds": seeds,
               "population": sc.population, "ticks": sc.ticks, "replicates": R, "interval": INTERVAL,
               "simulated": "every citizen in these runs is synthetic"}
    else:
        top = sets[0].plan
    total = R * len(sets)
    todo_by = {s.name: sum(1 for r in plan_runs(s.sweep_plan) if not (s.out / "runs" / r["run_id"] / "manifest.json").is_file())
               for s in sets}
    todo = sum(todo_by.values())
    n_workers = _workers(sc, max(todo, 1), workers) if scheduler is None and client is None else None
    _prepare(out, top, sets)

    # each run reuses freed memory and loads its kernels first (twice as fast at 100,000 citizens,
    # same results), with the cores shared among the runs that go at once
    import os

    threads = max(1, (os.cpu_count() or 1) // n_workers) if n_workers else 1
    done_before = 0
    failed: dict[str, str] = {}
    need_cluster = todo > 0 and client is None
    ctx = dask_client(n_workers, scheduler) if need_cluster else contextlib.nullcontext(client)
    with ctx as cl:
        for s in sets:
            offset = done_before

            def prog(done: int, _total: int, offset=offset) -> None:
                if progress:
                    progress(offset + done, total)

            outcome = run_sweep(s.sweep_plan, s.out, client=cl, progress=prog, threads=threads)
            failed.update({f"{s.name}/{k}" if with_control else k: v for k, v in outcome.failed.items()})
            done_before += R
    if failed:
        first, msg = next(iter(failed.items()))
        raise ScsimError(f"{out}: {len(failed)} of {total} replicate runs failed (first: {first}: {msg}); "
                         "fix the cause and rerun the same command to finish them")
    done = [finish(s.out) for s in sets]
    for d, s in zip(done, sets):
        d.ran = todo_by[s.name]
    return (done[0], done[1]) if with_control else done[0]


def load_pair(path: str | Path) -> tuple[Replicates, Replicates]:
    """The two sets of a ``--with-control`` replicate folder: ``(policy, control)``."""
    p = Path(path)
    plan = read_plan(p)
    if plan is None or plan["kind"] != "replicate-pair":
        raise ScsimError(f"{p}: not a pair of replicate sets (scsim run --replicates R --with-control writes one)")
    a, b = plan["sets"]
    return Replicates.load(p / a), Replicates.load(p / b)


__all__ = ["Replicates", "run_replicates", "load_pair", "t_interval", "summarize", "bands_of", "seeds_for",
           "is_replicate_set", "headline_measures", "format_value", "LEVEL", "INTERVAL"]
