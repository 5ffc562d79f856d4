import os
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"


def data_file(name: str) -> Path:
    """A data file the tests read: ``$SCSIM_SHARED/data/NAME`` when that variable is set, else the
    copy shipped in ``tests/data`` (see its README)."""
    env = os.environ.get("SCSIM_SHARED")
    p = (Path(env) / "data" if env else DATA) / name
    assert p.is_file(), f"missing {p}: the tests need {name} (tests/data/README.md)"
    return p


@pytest.fixture(scope="session")
def facebook_path() -> Path:
    return data_file("facebook_combined.txt")
