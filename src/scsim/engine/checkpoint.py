"""Checkpoints: a run's whole state as arrays plus JSON, in one ``.npz`` file, and no pickle.

``checkpoint.npz`` holds every module's arrays (``<module>/<array>``), the social graph
(``exchange/indptr``, ``exchange/indices``) and a JSON header (``__meta__``, bytes): the format
version, the resolved scenario and its SHA-256, the tick, each module's JSON state, the collected
rows, the timings, and each array's shape, dtype and CRC-32. It is written under a temporary name
and renamed into place. Reading it loads no object (``allow_pickle=False``) and checks everything
before anything is built from it: a foreign, truncated or tampered file gets a one-line error.
"""
from __future__ import annotations

import hashlib
import json
import zlib
from pathlib import Path

import numpy as np

from ..errors import ScsimError

CHECKPOINT = "checkpoint.npz"
CHECKPOINT_FORMAT = 1
"""Version of the checkpoint layout; a checkpoint of another version is refused."""


def _plain(x):
    if isinstance(x, np.generic):
        return x.item()
    return x


def scenario_hash(resolved: dict) -> str:
    """SHA-256 of a resolved scenario (canonical JSON)."""
    return hashlib.sha256(json.dumps(resolved, sort_keys=True, default=_plain).encode()).hexdigest()


def read_checkpoint(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """The JSON header and arrays of a checkpoint, validated; one-line errors."""
    if not path.is_file():
        raise ScsimError(f"{path.parent}: no checkpoint to resume from ({path.name} missing)")
    try:
        with np.load(path, allow_pickle=False) as z:
            if "__meta__" not in z.files:
                raise ScsimError(f"{path}: not an scsim checkpoint (no header)")
            meta = json.loads(bytes(z["__meta__"]).decode("utf-8"))
            if not isinstance(meta, dict) or meta.get("kind") != "scsim-checkpoint":
                raise ScsimError(f"{path}: not an scsim checkpoint")
            if meta.get("format") != CHECKPOINT_FORMAT:
                raise ScsimError(f"{path}: checkpoint format {meta.get('format')!r} is not the one this scsim "
                                 f"writes ({CHECKPOINT_FORMAT}); it cannot be resumed")
            specs = meta.get("arrays")
            if not isinstance(specs, dict) or set(specs) != set(z.files) - {"__meta__"}:
                raise ScsimError(f"{path}: the checkpoint's arrays do not match its header (tampered or damaged)")
            arrays = {}
            for k, spec in specs.items():
                a = z[k]
                if list(a.shape) != spec.get("shape") or a.dtype.str != spec.get("dtype") or \
                        zlib.crc32(np.ascontiguousarray(a).data) != spec.get("crc32"):
                    raise ScsimError(f"{path}: array {k} does not match its checksum (tampered or damaged)")
                arrays[k] = a
    except ScsimError:
        raise
    except Exception as e:  # a truncated, foreign or pickled file
        raise ScsimError(f"{path}: unreadable checkpoint: {e.__class__.__name__}: {_one_line(e)}") from None
    for key in ("scenario", "tick", "modules", "rows"):
        if key not in meta:
            raise ScsimError(f"{path}: the checkpoint header has no {key!r}")
    return meta, arrays


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:300]



def write_checkpoint(path: Path, meta: dict, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``meta`` (JSON) and ``arrays`` to ``path`` atomically, with each array's shape, dtype
    and CRC-32 in the header."""
    from ..store import atomic_write

    arrays = {k: np.ascontiguousarray(a) for k, a in arrays.items()}
    meta = dict(meta)
    meta["arrays"] = {k: {"shape": list(a.shape), "dtype": a.dtype.str, "crc32": zlib.crc32(a.data)}
                      for k, a in arrays.items()}
    blob = np.frombuffer(json.dumps(meta, default=_plain).encode("utf-8"), np.uint8)

    def write(tmp):
        with open(tmp, "wb") as f:
            np.savez(f, __meta__=blob, **arrays)
    atomic_write(path, write)
    return path
