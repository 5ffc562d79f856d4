"""Every docstring example in the package runs and gives the output it shows."""
import doctest
import importlib
import pkgutil

import pytest

import scsim

ALL = sorted(m.name for m in pkgutil.walk_packages(scsim.__path__, "scsim.") if not m.name.endswith("__main__"))
MUST_HAVE_EXAMPLES = ["scsim", "scsim.scenario", "scsim.engine.results", "scsim.engine.module", "scsim.engine.simulation",
                      "scsim.engine.streams", "scsim.engine.exchange", "scsim.engine.config", "scsim.engine.memory",
                      "scsim.analysis.model", "scsim.analysis.explain", "scsim.graph", "scsim.mechanisms.people",
                      "scsim.mechanisms.scoring"]


@pytest.mark.parametrize("name", ALL)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    failures, tried = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
    if name in MUST_HAVE_EXAMPLES:
        assert tried > 0, f"{name} has no examples"


@pytest.mark.parametrize("page", ["modules.md"])
def test_docs_pages_run_as_shown(page):
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "docs" / page
    failures, tried = doctest.testfile(str(path), module_relative=False,
                                       optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0 and tried > 10
