from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"


def data_file(name: str) -> Path:
    """A data file the tests read, shipped in ``tests/data`` (see its README)."""
    p = DATA / name
    assert p.is_file(), f"missing {p}: the tests need {name} (tests/data/README.md)"
    return p


@pytest.fixture(scope="session")
def facebook_path() -> Path:
    return data_file("facebook_combined.txt")


def nonfinite_columns(run_dir: Path) -> list[str]:
    """The float columns of a run's ``ticks`` and ``citizens`` tables holding a value that is not
    finite; NaN (null) is allowed only in a measure the manifest declares undefined at times
    (``Column.undefined``), infinity never."""
    import json

    import numpy as np
    import pandas as pd

    manifest = json.loads((run_dir / "manifest.json").read_text())
    undefined = {c["name"] for c in manifest.get("columns", []) if c.get("undefined")}
    bad = []
    for table in ("ticks", "citizens"):
        df = pd.read_parquet(run_dir / f"{table}.parquet")
        for c in df.columns:
            if df[c].dtype.kind != "f":
                continue
            x = df[c].to_numpy()
            ok = ~np.isinf(x) if c in undefined else np.isfinite(x)
            if not ok.all():
                bad.append(f"{table}.{c}")
    return bad
