"""scsim: simulate a social credit system on synthetic citizens and measure what it does to them.

Every citizen in scsim is simulated. scsim never ingests records about real people.

>>> import scsim
>>> sc = scsim.load_scenario("article", population=3000, ticks=2, seed=3)
>>> result = scsim.Simulation(sc).run()
>>> list(result.ticks["tick"]), int(result.citizens.shape[0])
([1, 2], 3000)
>>> {"mean_score", "sanctioned", "blacklisted", "events_courts"} <= set(result.ticks.columns)
True
"""
__version__ = "0.1.0"

from .errors import ScenarioError, ScsimError  # noqa: E402
from .scenario import Scenario, builtin_scenarios, load_scenario  # noqa: E402
from .model import Simulation, estimate_memory  # noqa: E402
from .results import Result  # noqa: E402

__all__ = ["Scenario", "Simulation", "Result", "load_scenario", "builtin_scenarios", "estimate_memory",
           "ScsimError", "ScenarioError", "__version__"]
