"""scsim: simulate a social credit system on synthetic citizens and measure what it does to them.

Every citizen in scsim is simulated. scsim never ingests records about real people.

>>> import scsim
>>> sc = scsim.load_scenario("article", population=3000, ticks=2, seed=3)
>>> result = scsim.Simulation(sc).run()
>>> list(result.ticks["tick"]), int(result.citizens.shape[0])
([1, 2], 3000)
>>> {"mean_score", "sanctioned", "blacklisted", "events_courts"} <= set(result.ticks.columns)
True

The public API: :class:`Simulation` (one engine for every model), :class:`Module` (the base of
every mechanism, and of yours), :func:`load_scenario`, :class:`Result` (one run, one seed: no
interval), :func:`run_replicates` and :class:`Replicates` (R seeds: every measure with its 95%
interval), and :func:`prepare_process` for fast runs.
"""
from importlib import import_module as _import_module

from .version import __version__  # noqa: E402
from .errors import ScenarioError, ScsimError  # noqa: E402

_LAZY = {
    "Config": "engine.config", "ScenarioBase": "engine.config", "Column": "engine.module", "Module": "engine.module",
    "State": "engine.module", "estimate_memory": "engine.memory", "prepare_process": "engine.process",
    "Simulation": "engine.simulation", "Scenario": "scenario", "builtin_scenarios": "scenario",
    "load_scenario": "scenario", "Result": "engine.results", "Replicates": "analysis.replicates",
    "run_replicates": "analysis.replicates",
}
"""The public API, imported on first use: ``import scsim`` stays cheap for commands that never
simulate (``scsim runs``, ``scsim query``)."""


def __getattr__(name: str):
    if name in _LAZY:
        _import_module(".models", __name__)  # the models register themselves (scenarios of any model load)
        value = getattr(_import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'scsim' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["Simulation", "Module", "State", "Column", "Config", "Scenario", "ScenarioBase", "Result",
           "Replicates", "run_replicates", "load_scenario", "builtin_scenarios", "estimate_memory", "prepare_process", "ScsimError",
           "ScenarioError", "__version__"]
