"""docs/tutorial.md shows real commands with their real output: rebuild it and compare.

Only the timing lines of `scsim run`'s summary may differ (they are measured, not simulated).
"""
import importlib.util
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
TIMING = re.compile(r"time build / ticks / write|citizen-ticks per second")


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_tutorial", DOCS / "build_tutorial.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_tutorial_output_is_current(tmp_path):
    target = tmp_path / "tutorial.md"
    _load_builder().main(target)
    fresh = [line for line in target.read_text().splitlines() if not TIMING.search(line)]
    shipped = [line for line in (DOCS / "tutorial.md").read_text().splitlines() if not TIMING.search(line)]
    assert fresh == shipped, "docs/tutorial.md is stale: run python docs/build_tutorial.py"
