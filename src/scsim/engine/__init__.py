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

from importlib import import_module as _import_module

_LAZY = {
    "Config": "config", "EngineConfig": "config", "ScenarioBase": "config", "Exchange": "exchange",
    "Groups": "exchange", "available_memory": "memory", "check_memory": "memory", "estimate_memory": "memory",
    "Column": "module", "Module": "module", "State": "module", "prepare_process": "process",
    "DataCollector": "simulation", "Simulation": "simulation", "Stream": "streams",
}
"""Imported on first use, so that importing one engine module does not import them all."""


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(_import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'scsim.engine' has no attribute {name!r}")


__all__ = ["Module", "State", "Column", "Config", "EngineConfig", "ScenarioBase", "Simulation", "DataCollector",
           "Exchange", "Groups", "Stream", "prepare_process", "estimate_memory", "check_memory", "available_memory"]
