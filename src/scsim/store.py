"""The results store: one folder per run, Parquet tables, a JSON manifest, DuckDB queries.

A run folder holds ``manifest.json``, ``ticks.parquet``, ``citizens.parquet``, ``panel.parquet``,
the modules' further tables (``transitions``, ``disparity``, ...), ``state.npz`` (final ledgers
and graph, for explanations) and ``status.json``, which records the folder's state:

=============  ===================================================================================
state          meaning
=============  ===================================================================================
running        a process is computing the run; if it was killed (its ``pid`` is gone) the folder
               is *interrupted* and ``scsim resume`` starts it again from tick 0
checkpointed   as running, and ``checkpoint.npz`` holds the state at ``checkpoint_tick``:
               ``scsim resume`` continues from there
complete       every table and ``manifest.json`` are written (the manifest is written last: a
               folder with a manifest is complete whatever else happened)
failed         the run stopped on an error (``message``); with a checkpoint, ``scsim resume``
               continues it, otherwise the folder was removed and this state is never seen
=============  ===================================================================================

Every file is written under a temporary name and renamed into place, so a reader never sees
half a file; a process killed mid-write leaves a ``.<name>.<random>.tmp`` that ``scsim resume``
removes. A resumed run ends byte-identical to an uninterrupted one (random streams are derived,
never carried). A folder that already holds files is refused before anything is written, with a
message saying what it holds. Files are created with the permissions the umask allows (0644
under umask 022), so a colleague can read a shared run.
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


STATUS = "status.json"
"""The file in a run folder that records its state (see the module's docstring)."""
STATES = ("running", "checkpointed", "complete", "failed")
CHECKPOINT = "checkpoint.npz"
MAX_PATH = 4096
"""Longest output path accepted (Linux's PATH_MAX)."""
_PSEUDO_FS = {"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "debugfs", "tracefs", "securityfs",
              "pstore", "bpf", "configfs", "fusectl", "mqueue", "efivarfs", "binfmt_misc", "autofs", "rpc_pipefs",
              "nsfs", "hugetlbfs"}


def file_mode() -> int:
    """Mode of every file the store writes: what the process's umask allows (0644 under 022)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _crash_point(where: str) -> None:
    """Test hook: ``SCSIM_CRASH_AT=<where>`` kills this process with SIGKILL at that moment
    (``tick:<t>``, ``write:<file name>`` between writing a file and renaming it into place,
    ``written:<file name>`` just after the rename). Used by the tests of the crash-safe store."""
    if os.environ.get("SCSIM_CRASH_AT") == where:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


# ---------------------------------------------------------------------------------------------
# the state of a run folder


def _process_started(pid: int) -> float | None:
    try:
        import psutil

        return psutil.Process(pid).create_time()
    except Exception:
        return None


def _me() -> dict:
    import socket

    return {"pid": os.getpid(), "host": socket.gethostname(), "started": _process_started(os.getpid())}


def tidy_complete(folder: str | Path) -> bool:
    """Finish the bookkeeping of a complete run killed just after its manifest was written (the
    checkpoint, temporaries and an outdated ``status.json`` left behind). True if anything was
    left to tidy."""
    p = Path(folder)
    if not (p / "manifest.json").is_file():
        return False
    left = remove_stale_temporaries(p)
    try:
        st = json.loads((p / STATUS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        st = None
    stale = not isinstance(st, dict) or st.get("state") != "complete"
    if stale:
        m = read_manifest(p)
        write_json(p / STATUS, {"state": "complete", "scenario_name": m.get("scenario_name"), "ticks": m.get("ticks"),
                                "checkpoint_tick": None, "updated": _now()})
    ck = p / CHECKPOINT
    had = ck.is_file()
    ck.unlink(missing_ok=True)
    return bool(left) or stale or had


def read_status(folder: str | Path) -> dict | None:
    """The recorded state of a run folder, or None when it holds no run.

    A folder with ``manifest.json`` is ``complete``. ``alive`` says whether the process that
    records ``running``/``checkpointed`` still runs (False: the run was interrupted)."""
    p = Path(folder)
    if (p / "manifest.json").is_file():
        return {"state": "complete", "alive": False}
    st: dict | None = None
    try:
        raw = (p / STATUS).read_bytes()[:1 << 20]
        st = json.loads(raw.decode("utf-8"))
        if not isinstance(st, dict) or st.get("state") not in STATES:
            st = None
    except (OSError, ValueError):
        st = None
    if st is None:
        if (p / CHECKPOINT).is_file():
            st = {"state": "checkpointed"}
        elif (p / STATUS).exists():
            st = {"state": "running"}
        else:
            return None
    import socket

    pid, started = st.get("pid"), st.get("started")
    st["alive"] = bool(st["state"] in ("running", "checkpointed") and isinstance(pid, int)
                       and st.get("host") == socket.gethostname() and pid != os.getpid()
                       and started is not None and _process_started(pid) == started)
    return st


def describe_status(st: dict) -> str:
    """A few words for a state: ``complete``, ``interrupted at tick 26 of 52 (checkpoint)``..."""
    s = st["state"]
    ticks = f" of {st['ticks']}" if st.get("ticks") else ""
    if s == "complete":
        return "complete"
    if s == "failed":
        at = f" (checkpoint at tick {st['checkpoint_tick']}{ticks})" if st.get("checkpoint_tick") else ""
        return f"failed{at}: {st.get('message', '')}".rstrip(": ")
    where = f"checkpoint at tick {st['checkpoint_tick']}{ticks}" if s == "checkpointed" and st.get("checkpoint_tick") \
        else "no checkpoint yet"
    return f"running (pid {st.get('pid')}, {where})" if st.get("alive") else f"interrupted ({where})"


class RunFolder:
    """The folder a run writes, and its recorded state (``status.json``).

    :meth:`create` validates the path and writes ``status.json`` before the first tick (so an
    unusable folder is refused before any compute); :meth:`mark` records each later state;
    :meth:`abandon` removes what this run created when it fails before anything is resumable.
    """

    def __init__(self, path: Path, created: list[Path], scenario: dict, ticks: int):
        self.path = path
        self.created = created
        self.status = {"state": "running", "scenario_name": scenario.get("name"), "ticks": ticks,
                       "checkpoint_tick": 0, **_me(), "updated": _now(), "scenario": scenario}

    @classmethod
    def create(cls, path: str | Path, scenario: dict, ticks: int) -> "RunFolder":
        """Make the folder (refusing an unusable or non-empty one) and record ``running``."""
        p = check_out_dir(path)
        if p.is_dir():
            remove_stale_temporaries(p)
        created = []
        for parent in reversed([p, *p.parents]):
            if not parent.exists():
                created.append(parent)
        try:
            p.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ResourceError(f"{p}: cannot create the output folder ({e.strerror or e})") from None
        folder = cls(p, created, scenario, ticks)
        try:
            folder._write()
        except OSError as e:
            folder.abandon()
            raise ResourceError(f"{p}: cannot write into the output folder ({e.strerror or e})") from None
        return folder

    @classmethod
    def reopen(cls, path: str | Path) -> "RunFolder":
        """An interrupted or failed run folder, for ``scsim resume``: refuses a complete run and a
        run whose process still writes; removes stale temporaries and half-written results."""
        p = Path(path)
        if not p.is_dir():
            raise ScsimError(f"{p}: no such run folder")
        st = read_status(p)
        if st is None:
            if any(_TEMPORARY.match(f.name) for f in p.iterdir()):
                raise ScsimError(f"{p}: the run was killed as it began (nothing computed, nothing to resume); "
                                 f"run it again into this folder")
            raise ScsimError(f"{p}: not a run folder (no {STATUS} and no {CHECKPOINT}); nothing to resume")
        if st["state"] == "complete":
            raise ScsimError(f"{p}: this run is complete (manifest.json exists); nothing to resume")
        if st.get("alive"):
            raise ScsimError(f"{p}: the run is still running (pid {st.get('pid')}); wait for it, or stop it first")
        folder = cls(p, [], st.get("scenario") if isinstance(st.get("scenario"), dict) else {}, st.get("ticks") or 0)
        folder.status.update({k: st[k] for k in ("checkpoint_tick", "scenario_name") if k in st})
        remove_stale_temporaries(p)
        for f in p.iterdir():  # results of a final write that was cut short: written again
            if f.is_file() and not f.is_symlink() and (f.suffix == ".parquet" or f.name == "state.npz"):
                f.unlink()
        return folder

    def _write(self) -> None:
        self.status["updated"] = _now()
        write_json(self.path / STATUS, self.status)

    def mark(self, state: str, **fields: Any) -> None:
        """Record ``state`` (one of :data:`STATES`) with further fields (tick, message)."""
        assert state in STATES
        self.status.update(state=state, **fields)
        if state == "complete":
            self.status.pop("scenario", None)  # the manifest holds it
        self._write()

    def fail(self, message: str) -> bool:
        """Record a failure. Keeps the folder when a checkpoint can resume it (returns True);
        otherwise removes what this run wrote (returns False)."""
        if (self.path / CHECKPOINT).is_file():
            try:
                self.mark("failed", message=message)
            except OSError:
                pass
            return True
        self.abandon()
        return False

    def abandon(self) -> None:
        """Remove this run's files, and the folders it created if they are then empty."""
        if self.path.is_dir():
            remove_stale_temporaries(self.path)
            for f in self.path.iterdir():
                if f.is_file() and not f.is_symlink() and (f.name in (STATUS, CHECKPOINT, "manifest.json", "state.npz")
                                                           or f.suffix == ".parquet"):
                    f.unlink(missing_ok=True)
        for d in reversed(self.created):
            try:
                d.rmdir()
            except OSError:
                break


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _fs_type(path: Path) -> str | None:
    """The filesystem type of the mount holding ``path`` (Linux's mount table), or None."""
    try:
        lines = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    best, kind = "", None
    s = str(path)
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mnt = parts[1].replace("\\040", " ")
        if (s == mnt or s.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(best):
            best, kind = mnt, parts[2]
    return kind


def check_out_dir(path: str | Path) -> Path:
    """Refuse an output folder that cannot hold a run (touching nothing); return the path.

    Refused: a path too long or with a name over 255 bytes, a dangling symbolic link, a file,
    a folder on a pseudo-filesystem (``/proc``, ``/sys``, ``/dev``...), a read-only or
    unwritable place, and a folder that already holds files (the message says what they are: a
    complete run, an interrupted one that ``scsim resume`` continues, or other files).
    """
    p = Path(path)
    s = str(p)
    if not s or "\0" in s:
        raise ResourceError(f"{s!r}: not a usable folder name")
    if len(os.fsencode(s)) > MAX_PATH:
        raise ResourceError(f"{s[:60]}...: the output path is {len(os.fsencode(s))} bytes long (at most {MAX_PATH})")
    for part in p.parts:
        if len(os.fsencode(part)) > 255:
            raise ResourceError(f"{p}: folder name {part[:40]}... is {len(os.fsencode(part))} bytes long "
                                f"(at most 255)")
    if p.is_symlink() and not p.exists():
        raise ResourceError(f"{p}: --out is a symbolic link to nothing ({os.readlink(p)}); give a real folder")
    if p.exists() and not p.is_dir():
        raise ResourceError(f"{p}: --out must be a folder, and this is a file")
    real = p.resolve()
    kind = _fs_type(real)
    if kind in _PSEUDO_FS or (kind is None and str(real).startswith(("/proc/", "/sys/"))) or real == Path("/dev") \
            or (str(real).startswith("/dev/") and not str(real).startswith("/dev/shm")):
        raise ResourceError(f"{p}: --out is on a pseudo-filesystem ({kind or 'system'}); give a folder on a disk")
    if p.is_dir():
        try:
            entries = list(p.iterdir())
        except OSError as e:
            raise ResourceError(f"{p}: cannot read the output folder ({e.strerror or e})") from None
        entries = [e for e in entries if not (_TEMPORARY.match(e.name) and e.is_file())]  # a run killed as it began
        if entries:
            st = read_status(p)
            if st is None:
                raise ResourceError(f"{p}: output folder is not empty; choose a new folder (nothing was written)")
            what = describe_status(st)
            if st["state"] == "complete":
                raise ResourceError(f"{p}: output folder is not empty (it holds a complete run); choose a new folder "
                                    f"(nothing was written)")
            if st.get("alive"):
                raise ResourceError(f"{p}: output folder is not empty: a run is writing into it ({what}); choose a new folder "
                                    f"(nothing was written)")
            raise ResourceError(f"{p}: output folder is not empty: it holds a run that did not finish, {what}; continue it with "
                                f"`scsim resume {p}`, or choose a new folder (nothing was written)")
    anc = p
    while not anc.exists():
        anc = anc.parent
    if not anc.is_dir():
        raise ResourceError(f"{p}: {anc} is a file, not a folder")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise ResourceError(f"{p}: cannot write into {anc} (permission denied)")
    try:
        if os.statvfs(anc).f_flag & os.ST_RDONLY:
            raise ResourceError(f"{p}: {anc} is on a read-only filesystem")
    except OSError:
        pass
    return p


def default_run_dir(scenario: str, seed: int, root: str | Path = "runs") -> Path:
    """``runs/<scenario>-<YYYYmmdd-HHMMSS>-<seed>`` (a suffix is added if it exists)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', scenario)[:120]}-{stamp}-{seed}"
    p, k = base, 1
    while p.exists():
        k += 1
        p = base.with_name(f"{base.name}-{k}")
    return p


def check_run_name(name: str, label: str) -> str:
    """``name`` if it can name a folder inside ``--out`` (no separator, not ``.``/``..``, no
    control character, at most 200 characters); else a one-line error naming ``label``."""
    bad = (not name or name in (".", "..") or "/" in name or "\\" in name or len(name) > 200
           or any(ord(c) < 32 or ord(c) == 127 for c in name) or name.startswith("."))
    if bad:
        raise ScsimError(f"{label}: name {name!r} cannot name a run folder (expected 1 to 200 characters, no / or \\, "
                         f"not starting with a dot)")
    return name


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
    reader never sees half a file; an interrupted write leaves only a temporary that
    :func:`remove_stale_temporaries` recognises). The file gets :func:`file_mode`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, file_mode())
        _crash_point(f"write:{path.name}")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _crash_point(f"written:{path.name}")


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
    """Runs found in ``root`` (itself a run, or a folder of runs, searched four levels deep, as
    deep as the runs of a replicate set with its control: ``root/<set>/<scenario>/runs/seed-42``),
    complete or not: ``state`` is one of :data:`STATES` and ``status`` says it in words
    (``interrupted (checkpoint at tick 26 of 52)``...)."""
    root = Path(root)
    if not root.exists():
        raise ScsimError(f"{root}: no such folder")
    marks = ("manifest.json", STATUS, CHECKPOINT)
    if any((root / m).is_file() for m in marks):
        cands = [root]
    else:
        cands = sorted({p.parent for m in marks for depth in ("*", "*/*", "*/*/*", "*/*/*/*")
                        for p in root.glob(f"{depth}/{m}")})
    out = []
    for run in cands:
        st = read_status(run)
        if st is None:
            continue
        row = {"run": str(run), "state": st["state"], "status": describe_status(st)}
        if st["state"] == "complete":
            try:
                m = read_manifest(run)
            except ScsimError:
                continue
            row.update({"scenario": m.get("scenario_name", "?"), "population": m.get("population"),
                        "ticks": m.get("ticks"), "seed": m.get("seed"), "created": m.get("created", ""),
                        "mean_score": m.get("summary", {}).get("mean_score")})
        else:
            sc = st.get("scenario") if isinstance(st.get("scenario"), dict) else {}
            row.update({"scenario": st.get("scenario_name") or sc.get("name", "?"), "population": sc.get("population"),
                        "ticks": st.get("ticks"), "seed": sc.get("seed"), "created": st.get("updated", ""),
                        "mean_score": None})
        out.append(row)
    return out


def connect(run: str | Path):
    """A read-only DuckDB connection with one view per table of the run (``ticks``,
    ``citizens``, ...) or of the sweep (``sweep``). The tables are opened through Arrow before DuckDB's access to files is
    switched off (``enable_external_access = false``, configuration locked), so a query can read
    the run's tables and nothing else, and can write no file (``COPY ... TO`` is refused)."""
    import duckdb
    import pyarrow.dataset as ds

    run = Path(run)
    if not (run / "manifest.json").is_file() and (run / "sweep.json").is_file():
        pass  # a sweep folder: its tables (sweep.parquet, ...) are queried the same way
    else:
        read_manifest(run)
    con = duckdb.connect(config={"enable_external_access": False})
    for f in sorted(run.glob("*.parquet")):
        name = f.stem
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            con.register(f"__{name}", ds.dataset(str(f), format="parquet"))
            con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM "__{name}"')
    con.execute("SET lock_configuration = true")
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
