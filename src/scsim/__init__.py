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
every mechanism, and of yours), :func:`load_scenario`, :class:`Result`, and
:func:`prepare_process` for fast runs.
"""
from .version import __version__  # noqa: E402

from .errors import ScenarioError, ScsimError  # noqa: E402
from .engine.config import Config, ScenarioBase  # noqa: E402
from .engine.module import Column, Module, State  # noqa: E402
from .engine.memory import estimate_memory  # noqa: E402
from .engine.process import prepare_process  # noqa: E402
from .engine.simulation import Simulation  # noqa: E402
from .scenario import Scenario, builtin_scenarios, load_scenario  # noqa: E402
from .engine.results import Result  # noqa: E402

__all__ = ["Simulation", "Module", "State", "Column", "Config", "Scenario", "ScenarioBase", "Result",
           "load_scenario", "builtin_scenarios", "estimate_memory", "prepare_process", "ScsimError",
           "ScenarioError", "__version__"]
