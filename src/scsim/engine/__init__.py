"""The engine: modules, the simulation loop, random streams, where citizens meet, checkpoints.

* :mod:`~scsim.engine.module`: the :class:`Module` base (parameters, states, streams, columns);
* :mod:`~scsim.engine.simulation`: :class:`Simulation`, the one loop, and its checkpoints;
* :mod:`~scsim.engine.streams`: counter-based random streams, per citizen;
* :mod:`~scsim.engine.exchange`: every interaction between citizens;
* :mod:`~scsim.engine.config`: typed configuration and what every scenario holds;
* :mod:`~scsim.engine.memory`, :mod:`~scsim.engine.process`, :mod:`~scsim.engine.heap`: memory
  estimates, process settings, heap reuse.
"""
import os as _os

# numba's OpenMP threads busy-wait after each parallel kernel; between kernels the NumPy work
# then shares the cores with spinning threads. Passive waiting made article at 100k citizens
# 1.8x faster on a 2-core machine (BENCHMARKS.md). A value the user set is kept.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .config import Config, EngineConfig, ScenarioBase
from .exchange import Exchange, Groups
from .memory import available_memory, check_memory, estimate_memory
from .module import Column, Module, State
from .process import prepare_process
from .simulation import DataCollector, Simulation
from .streams import Stream

__all__ = ["Module", "State", "Column", "Config", "EngineConfig", "ScenarioBase", "Simulation", "DataCollector",
           "Exchange", "Groups", "Stream", "prepare_process", "estimate_memory", "check_memory", "available_memory"]
