"""Parameter sweeps on Dask distributed: grids, Latin hypercubes, Sobol and Morris designs.

A sweep runs one scenario at many parameter points, each ``replicates`` times, and writes:

- ``DIR/sweep.json``: the plan (scenario, design, parameter names, every point, replicates, seeds);
- ``DIR/runs/<run_id>/``: one ordinary run folder per run (``scsim query``, ``scsim report`` work);
- ``DIR/sweep.parquet``: one row per run: ``run_id``, ``point``, one column per parameter,
  ``replicate``, ``seed``, and the end-of-run measures (the last row of the run's ``ticks.parquet``,
  every numeric column but ``tick``, plus ``persistence_at_bottom``).

Seeds are common random numbers: replicate ``r`` of every point uses the same seed,
:func:`derive_seed` ``(base_seed, r)``, so two points differ only by their parameters.

A run is written to ``DIR/runs/.tmp-<run_id>-<token>`` and renamed into place when complete, so a
run folder exists if and only if that run finished. Starting the same sweep again (same plan)
skips those runs and reruns the rest; a different plan in the same folder is refused.

>>> plan = make_plan("article", grid={"network.alpha": [0.1, 0.3]}, replicates=2, population=3000, ticks=2)
>>> [r["run_id"] for r in plan_runs(plan)]
['p0-r0', 'p0-r1', 'p1-r0', 'p1-r1']
>>> derive_seed(42, 1) == derive_seed(42, 1) != derive_seed(42, 0)
True
"""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import logging
import math
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd

from ..errors import ScenarioError, ScsimError

PLAN_VERSION = 1
DESIGNS = ("grid", "lhs", "sobol", "morris")
MORRIS_LEVELS = 4
"""Levels of the Morris grid (SALib ``num_levels``); stored in the plan."""
RESERVED = {"seed", "name", "description", "control"}


# ---------------------------------------------------------------------------------------------
# Parsing the command-line specs


def _parse_value(text: str) -> Any:
    from ..scenario import _parse_value as parse

    return parse(text)


def parse_grid(specs: list[str] | None) -> dict[str, list[Any]]:
    """Parse ``key=v1,v2,...`` specs (values read as TOML scalars: numbers, booleans, strings).

    >>> parse_grid(["network.alpha=0.1,0.3", "sanctions.enabled=true,false"])
    {'network.alpha': [0.1, 0.3], 'sanctions.enabled': [True, False]}
    >>> parse_grid(["network.alpha"])
    Traceback (most recent call last):
    scsim.errors.ScsimError: --grid 'network.alpha': expected key=v1,v2[,...], e.g. --grid network.alpha=0.1,0.3
    """
    out: dict[str, list[Any]] = {}
    for s in specs or []:
        key, eq, rest = s.partition("=")
        key = key.strip()
        values = [v.strip() for v in rest.split(",")]
        if not eq or not key or not rest.strip() or any(not v for v in values):
            raise ScsimError(f"--grid {s!r}: expected key=v1,v2[,...], e.g. --grid network.alpha=0.1,0.3")
        _check_key(key, "--grid", s)
        if key in out:
            raise ScsimError(f"--grid {s!r}: {key} is given twice")
        parsed = [_parse_value(v) for v in values]
        if len({json.dumps(v) for v in parsed}) != len(parsed):
            raise ScsimError(f"--grid {s!r}: a value is repeated")
        out[key] = parsed
    return out


def parse_ranges(specs: list[str] | None) -> dict[str, list[float]]:
    """Parse ``key=lo:hi`` specs. Integer bounds (``0:1000``) make an integer parameter.

    >>> parse_ranges(["network.alpha=0:0.5", "engine.panel_size=0:1000"])
    {'network.alpha': [0.0, 0.5], 'engine.panel_size': [0, 1000]}
    >>> parse_ranges(["network.alpha=0.5:0.1"])
    Traceback (most recent call last):
    scsim.errors.ScsimError: --range 'network.alpha=0.5:0.1': expected key=lo:hi with numbers lo < hi, e.g. --range network.alpha=0:0.5
    """
    out: dict[str, list[float]] = {}
    for s in specs or []:
        key, eq, rest = s.partition("=")
        key = key.strip()
        lo_s, colon, hi_s = rest.partition(":")
        bad = ScsimError(f"--range {s!r}: expected key=lo:hi with numbers lo < hi, e.g. --range network.alpha=0:0.5")
        if not eq or not key or not colon:
            raise bad
        lo, hi = _parse_value(lo_s.strip()), _parse_value(hi_s.strip())
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in (lo, hi)) or not lo < hi:
            raise bad
        _check_key(key, "--range", s)
        if key in out:
            raise ScsimError(f"--range {s!r}: {key} is given twice")
        if isinstance(lo, int) and isinstance(hi, int):
            out[key] = [lo, hi]
        else:
            out[key] = [float(lo), float(hi)]
    return out


def _check_key(key: str, opt: str, spec: str) -> None:
    if key in RESERVED or key in ("population", "ticks"):
        hint = "use --seed and --replicates" if key == "seed" else "use --population/--ticks" if key in ("population", "ticks") else "it is not a model parameter"
        raise ScsimError(f"{opt} {spec!r}: {key} cannot be swept ({hint})")
    if not all(part.replace("_", "").isalnum() for part in key.replace("__", ".").split(".")):
        raise ScsimError(f"{opt} {spec!r}: {key!r} is not a dotted scenario key such as network.alpha")


# ---------------------------------------------------------------------------------------------
# Plans


def derive_seed(base_seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate``: the same for every parameter point (common random numbers).

    Derived with NumPy's ``SeedSequence([base_seed, replicate])`` and kept below 2**63.

    >>> derive_seed(42, 0)
    5732826375231505755
    """
    state = np.random.SeedSequence([int(base_seed), int(replicate)]).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))


def _problem(ranges: dict[str, list[float]]) -> dict:
    names = list(ranges)
    return {"num_vars": len(names), "names": names, "bounds": [[float(lo), float(hi)] for lo, hi in ranges.values()]}


def _sample(method: str, n: int, ranges: dict[str, list[float]], seed: int) -> np.ndarray:
    problem = _problem(ranges)
    with warnings_off():
        if method == "lhs":
            from SALib.sample import latin

            X = latin.sample(problem, n, seed=seed)
        elif method == "sobol":
            from SALib.sample import sobol

            X = sobol.sample(problem, n, calc_second_order=True, seed=seed)
        else:
            from SALib.sample import morris

            X = morris.sample(problem, n, num_levels=MORRIS_LEVELS, seed=seed)
    return np.asarray(X, dtype=float)


@contextlib.contextmanager
def warnings_off():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _resolve_scenario(name: str) -> str:
    """A built-in name stays a name; a file becomes an absolute path (workers may run elsewhere)."""
    if "/" in name or name.endswith(".toml"):
        p = Path(name)
        if not p.is_file():
            raise ScenarioError(f"{name}: no such scenario file")
        return str(p.resolve())
    return name


def _base_overrides(population: int | None, ticks: int | None) -> dict[str, int]:
    over = {}
    if population is not None:
        over["population"] = int(population)
    if ticks is not None:
        over["ticks"] = int(ticks)
    return over


def make_plan(scenario: str, *, grid: dict[str, list[Any]] | None = None, sample: str | None = None,
              n: int | None = None, ranges: dict[str, list[float]] | None = None, replicates: int = 1,
              population: int | None = None, ticks: int | None = None, seed: int | None = None) -> dict[str, Any]:
    """Build and validate a sweep plan (every point is checked against the scenario schema).

    Exactly one design: ``grid`` (every combination of the listed values), or ``sample`` one of
    ``lhs`` (``n`` points), ``sobol`` (``n * (2D + 2)`` points, Saltelli's scheme with second-order
    terms, what :func:`scsim.analysis.sensitivity.analyze` needs; ``n`` a power of 2) or ``morris`` (``n``
    trajectories, ``n * (D + 1)`` points on a 4-level grid) over ``ranges``.

    >>> p = make_plan("article", sample="sobol", n=4, ranges={"network.alpha": [0, 0.5]}, population=3000, ticks=2)
    >>> p["design"], len(p["points"])
    ('sobol', 16)
    """
    from ..scenario import load_scenario

    if replicates < 1:
        raise ScsimError(f"--replicates {replicates}: expected a whole number >= 1")
    if grid and sample:
        raise ScsimError("--grid and --sample: choose one design (a grid, or a sample over --range)")
    if sample is None and ranges:
        raise ScsimError("--range needs --sample lhs|sobol|morris N")
    scen = _resolve_scenario(scenario)
    base = load_scenario(scen, **_base_overrides(population, ticks))
    base_seed = base.seed if seed is None else int(seed)
    if not 0 <= base_seed < 2**63:
        raise ScsimError(f"--seed {seed}: expected 0 <= seed < 2**63")
    resolved = base.resolved()
    resolved.pop("seed", None)
    digest = hashlib.sha256(json.dumps(resolved, sort_keys=True).encode()).hexdigest()

    plan: dict[str, Any] = {"version": PLAN_VERSION, "scenario": scen, "scenario_digest": digest,
                            "population": base.population, "ticks": base.ticks, "base_seed": base_seed,
                            "replicates": int(replicates)}
    if sample is not None:
        if sample not in ("lhs", "sobol", "morris"):
            raise ScsimError(f"--sample {sample!r}: expected lhs, sobol or morris followed by N, e.g. --sample sobol 64")
        if not ranges:
            raise ScsimError(f"--sample {sample}: needs at least one --range key=lo:hi")
        if n is None or n < 1:
            raise ScsimError(f"--sample {sample} {n}: N must be a whole number >= 1")
        if sample == "sobol" and n & (n - 1):
            raise ScsimError(f"--sample sobol {n}: N must be a power of 2 (Sobol sequences lose balance otherwise)")
        if sample == "morris" and n < 2:
            raise ScsimError(f"--sample morris {n}: N (trajectories) must be >= 2")
        X = _sample(sample, n, ranges, base_seed % 2**32)
        ints = [isinstance(lo, int) and isinstance(hi, int) for lo, hi in ranges.values()]
        points = [[int(round(v)) if isint else float(v) for v, isint in zip(row, ints)] for row in X]
        plan.update(design=sample, n=int(n), params=list(ranges), ranges={k: list(v) for k, v in ranges.items()},
                    points=points, sample=X.tolist())
        if sample == "morris":
            plan["morris_levels"] = MORRIS_LEVELS
    else:
        grid = grid or {}
        keys = list(grid)
        points = [list(c) for c in itertools.product(*(grid[k] for k in keys))] if keys else [[]]
        plan.update(design="grid", params=keys, grid=grid, points=points)
    _validate_points(plan)
    return plan


def _validate_points(plan: dict[str, Any]) -> None:
    """Load the scenario at every distinct value of each parameter (cheap), naming the bad one."""
    from ..scenario import load_scenario

    base = _base_overrides(plan["population"], plan["ticks"])
    opt = "--grid" if plan["design"] == "grid" else "--range"
    for j, key in enumerate(plan["params"]):
        seen = set()
        for pt in plan["points"]:
            v = pt[j]
            tag = json.dumps(v)
            if tag in seen:
                continue
            seen.add(tag)
            try:
                load_scenario(plan["scenario"], **base, **{key: v})
            except ScenarioError as e:
                raise ScsimError(f"{opt} {key}={v!r}: {e}") from None
            if len(seen) > 64:  # sampled designs: the bounds and a few values are enough
                break


def plan_runs(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every run of the plan in order: ``run_id``, ``point``, ``replicate``, ``seed``, ``params``.

    A plan may list its seeds (``plan["seeds"]``, one per replicate; otherwise :func:`derive_seed`)
    and name its runs by seed (``plan["run_names"] == "seed"``: ``seed-<seed>``, one point only),
    as the replicate sets of :mod:`scsim.analysis.replicates` do.
    """
    npts, R = len(plan["points"]), plan["replicates"]
    wp, wr = len(str(max(npts - 1, 0))), len(str(max(R - 1, 0)))
    seeds = [int(s) for s in plan["seeds"]] if plan.get("seeds") else [derive_seed(plan["base_seed"], r) for r in range(R)]
    by_seed = plan.get("run_names") == "seed" and npts == 1
    runs = []
    for i, pt in enumerate(plan["points"]):
        params = dict(zip(plan["params"], pt))
        for r in range(R):
            run_id = f"seed-{seeds[r]}" if by_seed else f"p{i:0{wp}d}-r{r:0{wr}d}"
            runs.append({"run_id": run_id, "point": i, "replicate": r, "seed": seeds[r], "params": params})
    return runs


def plan_digest(plan: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()


def _plan_diff(a: dict, b: dict) -> list[str]:
    return sorted(k for k in set(a) | set(b) if json.dumps(a.get(k), sort_keys=True) != json.dumps(b.get(k), sort_keys=True))


def read_plan(out: str | Path) -> dict[str, Any]:
    """The plan stored in a sweep folder."""
    from ..store import read_json

    return read_json(out, "sweep.json", "sweep")


def prepare_dir(out: str | Path, plan: dict[str, Any]) -> Path:
    """Create the sweep folder with its plan, or check that an existing one holds the same plan."""
    from ..store import check_out_dir, write_json

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ScsimError(f"{out}: --out must be a folder, and this is a file")
    if (out / "sweep.json").is_file():
        old = read_plan(out)
        if plan_digest(old) != plan_digest(plan):
            diff = ", ".join(_plan_diff(old, plan)) or "content"
            raise ScsimError(f"{out}: holds a different sweep (differs in: {diff}); rerun with the same arguments to resume, or choose a new --out")
    elif out.is_dir() and any(out.iterdir()):
        raise ScsimError(f"{out}: folder is not empty and holds no sweep.json; choose a new --out")
    else:
        check_out_dir(out)  # a usable place (not /proc, not read-only, names not too long)
        write_json(out / "sweep.json", plan)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    return out


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    import fcntl

    f = open(out / ".sweep.lock", "a+")
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ScsimError(f"{out}: another scsim sweep is writing this folder; wait for it or stop it") from None
        yield
    finally:
        f.close()


# ---------------------------------------------------------------------------------------------
# One run (executed on a Dask worker)


def run_one(task: dict[str, Any]) -> dict[str, Any]:
    """Run one point of a sweep and write its folder atomically; return its ``sweep.parquet`` row.

    ``task`` holds ``out``, ``run_id``, ``scenario``, ``population``, ``ticks``, ``seed``,
    ``params``, ``point``, ``replicate``. Safe to execute twice (a rescheduled task): the second
    finds the finished folder and keeps it.
    """
    from .. import Simulation, load_scenario

    runs = Path(task["out"]) / "runs"
    final = runs / task["run_id"]
    if (final / "manifest.json").is_file():
        return run_row(final, task)
    sc = load_scenario(task["scenario"], **_base_overrides(task["population"], task["ticks"]),
                       seed=task["seed"], **task["params"])
    if task.get("threads") is not None:  # set by the caller (replicate sets): heap reuse, kernels loaded, threads per run
        from ..engine.process import prepare_process

        prepare_process(sc, threads=int(task["threads"]))
    tmp = runs / f".tmp-{task['run_id']}-{uuid.uuid4().hex[:10]}"
    tmp.mkdir(parents=True)
    try:
        result = Simulation(sc).run()
        result.save(tmp)
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / "manifest.json").is_file():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another execution finished first: keep its folder
            return run_row(final, task)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _row(task, result.ticks.iloc[-1] if len(result.ticks) else pd.Series(dtype=float), result.manifest)


def run_row(folder: Path, task: dict[str, Any]) -> dict[str, Any]:
    """The ``sweep.parquet`` row of a finished run folder."""
    import pyarrow.parquet as pq

    from ..store import read_manifest

    t = pq.read_table(folder / "ticks.parquet").to_pandas()
    return _row(task, t.iloc[-1] if len(t) else pd.Series(dtype=float), read_manifest(folder))


def _row(task: dict[str, Any], last: pd.Series, manifest: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"run_id": task["run_id"], "point": task["point"]}
    row.update(task["params"])
    row.update(replicate=task["replicate"], seed=task["seed"])
    for k, v in last.items():
        if k != "tick" and isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
            row[k] = v.item() if hasattr(v, "item") else v
    pb = manifest.get("summary", {}).get("persistence_at_bottom")
    row["persistence_at_bottom"] = float(pb) if pb is not None else float("nan")
    return row


# ---------------------------------------------------------------------------------------------
# The sweep


@dataclass
class SweepOutcome:
    """What :func:`run_sweep` did."""

    table: pd.DataFrame
    total: int
    ran: int
    skipped: int
    stale_removed: int
    failed: dict[str, str] = field(default_factory=dict)


def _clean_stale(out: Path) -> int:
    n = 0
    for p in (out / "runs").glob(".tmp-*"):
        shutil.rmtree(p, ignore_errors=True)
        n += 1
    return n


def _frame(rows: list[dict[str, Any]], plan: dict[str, Any]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame({"run_id": pd.Series([], dtype=str)})
    df = df.sort_values(["point", "replicate"]).reset_index(drop=True)
    for k in plan["params"]:
        if df[k].dtype == object:
            vals = df[k].tolist()
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
                df[k] = df[k].astype(float)
            elif not all(isinstance(v, type(vals[0])) for v in vals):
                df[k] = df[k].map(str)
    df["seed"] = df["seed"].astype("int64")
    return df


def write_table(out: Path, rows: list[dict[str, Any]], plan: dict[str, Any]) -> pd.DataFrame:
    from ..store import write_table as wt

    df = _frame(rows, plan)
    wt(out / "sweep.parquet", df)
    return df


@contextlib.contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask client: on an existing scheduler, or on a new LocalCluster of ``workers`` processes
    (one thread each, loopback only, no dashboard), closed on exit."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        if "://" not in scheduler:
            raise ScsimError(f"--scheduler {scheduler!r}: expected an address such as tcp://127.0.0.1:8786")
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as e:
            raise ScsimError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({e.__class__.__name__})") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n < 1:
        raise ScsimError(f"--workers {n}: expected a whole number >= 1")
    import warnings

    with warnings.catch_warnings():  # "Port 8787 is already in use": it then picks a free one
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=logging.ERROR)
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


ProgressFn = Callable[[int, int], None]


def run_sweep(plan: dict[str, Any], out: str | Path, *, workers: int | None = None, scheduler: str | None = None,
              progress: ProgressFn | None = None, client: Any = None, threads: int | None = None) -> SweepOutcome:
    """Run (or resume) every run of ``plan`` into ``out`` on Dask and write ``sweep.parquet``.

    ``progress(done, total)`` is called as runs finish. ``client`` reuses an open Dask client.
    ``threads``: when given, each run first calls :func:`scsim.prepare_process` with that many
    kernel threads (freed memory reused, kernels loaded; results unchanged, runs faster).
    Runs that fail are reported in :attr:`SweepOutcome.failed` (their folders are not written);
    rerunning the same sweep retries them.
    """
    out = prepare_dir(out, plan)
    runs = plan_runs(plan)
    total = len(runs)
    with _locked(out):
        stale = _clean_stale(out)
        rows: list[dict[str, Any]] = []
        todo: list[dict[str, Any]] = []
        for r in runs:
            task = dict(r, out=str(out.resolve()), scenario=plan["scenario"], population=plan["population"], ticks=plan["ticks"])
            if threads is not None:
                task["threads"] = int(threads)
            folder = out / "runs" / r["run_id"]
            if (folder / "manifest.json").is_file():
                rows.append(run_row(folder, task))
            else:
                if folder.exists():  # not ours (no manifest): never leave it half
                    shutil.rmtree(folder)
                todo.append(task)
        skipped = len(rows)
        if progress:
            progress(skipped, total)
        failed: dict[str, str] = {}
        try:
            if todo:
                ctx = contextlib.nullcontext(client) if client is not None else dask_client(workers, scheduler)
                with ctx as cl:
                    _execute(cl, plan, todo, rows, failed, total, progress)
        finally:
            df = write_table(out, rows, plan)
            stale += _clean_stale(out)
    return SweepOutcome(table=df, total=total, ran=len(rows) - skipped, skipped=skipped, stale_removed=stale, failed=failed)


def _execute(client, plan, todo, rows, failed, total, progress) -> None:
    from distributed import as_completed

    prefix = f"scsim-sweep-{plan_digest(plan)[:12]}"
    futures = [client.submit(run_one, t, key=f"{prefix}-{t['run_id']}", retries=0) for t in todo]
    by_key = {f.key: t for f, t in zip(futures, todo)}
    done = total - len(todo)
    try:
        for fut in as_completed(futures):
            t = by_key[fut.key]
            if fut.status == "finished":
                rows.append(fut.result())
            else:
                exc = fut.exception()
                failed[t["run_id"]] = f"{exc.__class__.__name__}: {exc}"
            done += 1
            if progress:
                progress(done, total)
            fut.release()
    finally:
        for f in futures:
            f.release()


def read_sweep(out: str | Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """The plan and ``sweep.parquet`` of a sweep folder."""
    plan = read_plan(out)
    p = Path(out) / "sweep.parquet"
    if not p.is_file():
        raise ScsimError(f"{out}: sweep has no sweep.parquet yet; run scsim sweep first")
    return plan, pd.read_parquet(p)
