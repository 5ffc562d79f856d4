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
