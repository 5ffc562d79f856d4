"""The docstring examples of the public API run and give the output they show."""
import doctest
import importlib

import pytest

MODULES = ["scsim", "scsim.scenario", "scsim.rng", "scsim.population", "scsim.groups", "scsim.metrics",
           "scsim.model", "scsim.results", "scsim.reference", "scsim.graph", "scsim.heap", "scsim.kernels"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    failures, tried = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
    assert tried > 0, f"{name} has no examples"
