"""The results store: one folder per run, Parquet tables, a JSON manifest, DuckDB queries.

A run folder holds ``manifest.json``, ``ticks.parquet``, ``citizens.parquet``, ``panel.parquet``,
the modules' further tables (``transitions``, ``disparity``, ...) and ``state.npz`` (final ledgers
and graph, for explanations). Every file is written under a
temporary name and renamed into place, so a reader never sees half a file and an interrupted write
leaves nothing behind. A folder that already holds files is refused before anything is written.
"""
from __future__ import annotations

import json
import math
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import ResourceError, ScsimError


def json_value(x: Any) -> Any:
    """A value JSON can hold: NumPy scalars become Python ones, NaN and infinities ``None``.

    >>> json_value(np.float32(1.5)), json_value(float("nan")), json_value("a")
    (1.5, None, 'a')
    """
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def check_out_dir(path: str | Path) -> Path:
    """Refuse a folder that exists and is not empty (touching nothing); return the path."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ResourceError(f"{p}: --out must be a folder, and this is a file")
    if p.is_dir() and any(p.iterdir()):
        raise ResourceError(f"{p}: output folder is not empty; choose a new folder (nothing was written)")
    return p


def default_run_dir(scenario: str, seed: int, root: str | Path = "runs") -> Path:
    """``runs/<scenario>-<YYYYmmdd-HHMMSS>-<seed>`` (a suffix is added if it exists)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', scenario)}-{stamp}-{seed}"
    p, k = base, 1
    while p.exists():
        k += 1
        p = base.with_name(f"{base.name}-{k}")
    return p


_TEMPORARY = re.compile(r"^\.[A-Za-z0-9_.-]+\.[A-Za-z0-9_]+\.tmp$")


def remove_stale_temporaries(folder: Path) -> list[str]:
    """Remove the half-written temporary files :func:`atomic_write` leaves when a process is
    killed mid-write (``.<name>.<random>.tmp``); nothing else is touched. Returns their names."""
    gone = []
    for f in folder.iterdir():
        if _TEMPORARY.match(f.name) and f.is_file() and not f.is_symlink():
            f.unlink(missing_ok=True)
            gone.append(f.name)
    return gone


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place (a
    reader never sees half a file; an interrupted write leaves nothing behind)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json(path: Path, data: dict) -> None:
    def w(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, default=_json_default)
            f.write("\n")
    atomic_write(Path(path), w)


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"cannot store {type(o).__name__} in JSON")


def write_table(path: Path, df: pd.DataFrame) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    atomic_write(Path(path), lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    def w(tmp):
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
    atomic_write(Path(path), w)


def read_json(folder: str | Path, name: str, kind: str) -> dict:
    """``folder/name`` as JSON; a one-line error naming the folder if it is missing or broken."""
    p = Path(folder) / name
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScsimError(f"{folder}: not a {kind} folder (no {name})") from None
    except (OSError, json.JSONDecodeError) as e:
        raise ScsimError(f"{p}: unreadable {name}: {e}") from None


def read_manifest(run: str | Path) -> dict:
    return read_json(run, "manifest.json", "run")


def read_table(run: str | Path, name: str) -> pd.DataFrame:
    p = Path(run) / f"{name}.parquet"
    if not p.is_file():
        raise ScsimError(f"{run}: run has no {name} table ({p.name} missing)")
    return pd.read_parquet(p)


def list_runs(root: str | Path = "runs") -> list[dict[str, Any]]:
    """Runs found in ``root`` (itself a run, or a folder of runs, searched two levels deep)."""
    root = Path(root)
    if not root.exists():
        raise ScsimError(f"{root}: no such folder")
    cands = [root] if (root / "manifest.json").is_file() else sorted(
        {p.parent for p in list(root.glob("*/manifest.json")) + list(root.glob("*/*/manifest.json"))})
    out = []
    for run in cands:
        try:
            m = read_manifest(run)
        except ScsimError:
            continue
        out.append({"run": str(run), "scenario": m.get("scenario_name", "?"), "population": m.get("population"),
                    "ticks": m.get("ticks"), "seed": m.get("seed"), "created": m.get("created", ""),
                    "mean_score": m.get("summary", {}).get("mean_score")})
    return out


def connect(run: str | Path):
    """A DuckDB connection with one view per table of the run (``ticks``, ``citizens``, ...)."""
    import duckdb

    run = Path(run)
    read_manifest(run)
    con = duckdb.connect()
    for f in sorted(run.glob("*.parquet")):
        name = f.stem
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{str(f).replace(chr(39), chr(39) * 2)}')")
    return con


def query(run: str | Path, sql: str) -> pd.DataFrame:
    """Run DuckDB SQL over a run's tables.

    Raises :class:`ScsimError` with DuckDB's one-line message for bad SQL.
    """
    import duckdb

    con = connect(run)
    try:
        return con.execute(sql).df()
    except duckdb.Error as e:
        raise ScsimError(f"query: {str(e).splitlines()[0]}") from None
    finally:
        con.close()
