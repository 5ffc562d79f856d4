"""docs/tutorial.md shows real commands with their real output: rebuild it and compare.

Only the timing lines of `scsim run`'s summary may differ (they are measured, not simulated), and
with them the width (and so the wrapping) of the summary table: the pages are compared as one
string without spaces, line breaks and box-drawing characters.
"""
import importlib.util
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
TIMING = re.compile(r"time build / ticks / write|citizen-ticks per second")
LAYOUT = re.compile(r"[\s\u2500-\u257f]+")


def _content(text: str) -> str:
    return "".join(LAYOUT.sub("", line) for line in text.splitlines() if not TIMING.search(line))


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_tutorial", DOCS / "build_tutorial.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_tutorial_output_is_current(tmp_path):
    target = tmp_path / "tutorial.md"
    _load_builder().main(target, tmp_path / "work")
    fresh, shipped = _content(target.read_text()), _content((DOCS / "tutorial.md").read_text())
    at = next((i for i, (a, b) in enumerate(zip(fresh, shipped)) if a != b), min(len(fresh), len(shipped)))
    assert fresh == shipped, f"docs/tutorial.md is stale near {shipped[max(0, at - 40):at + 40]!r}: run python docs/build_tutorial.py"
