import os
from pathlib import Path

import pytest


def shared_dir() -> Path:
    env = os.environ.get("SCSIM_SHARED")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def facebook_path() -> Path:
    p = shared_dir() / "data" / "facebook_combined.txt"
    assert p.is_file(), f"missing {p}: set SCSIM_SHARED to the shared/ folder"
    return p
