"""One engine, one loop: :class:`Simulation` runs any scenario, tick by tick, as its modules say.

A scenario names its model (``national``, ``xingqiao`` or ``reference``); the model says which
modules run and in which order (:mod:`scsim.models`). A tick is::

    for module in modules:  module.step(sim, t)       # in the model's order
    for module in modules:  row |= module.measure(sim, t)
    collector.append(row)                            # one row of ticks.parquet

Mesa users will recognise the shape: build with a scenario, call :meth:`Simulation.step` or
:meth:`Simulation.run`, read the collected data from the returned :class:`scsim.Result`.

>>> import scsim
>>> sim = scsim.Simulation(scsim.load_scenario("article", population=5000, ticks=3, seed=1))
>>> sim.step(); sim.tick
1
>>> result = sim.run()
>>> len(result.ticks), int(result.citizens.shape[0])
(3, 5000)
"""
from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from ..errors import ScenarioError, ScsimError
from .checkpoint import CHECKPOINT, CHECKPOINT_FORMAT, read_checkpoint, scenario_hash, write_checkpoint
from .config import ScenarioBase, scenario_from_dict
from .exchange import Exchange
from .memory import check_memory
from .module import Column, Module
from .streams import StreamRegistry

ProgressFn = Callable[[int, int], None]
_CRASH_HOOK = "SCSIM_CRASH_AT" in os.environ
"""A test asked to kill the process at a given moment (see :func:`scsim.store._crash_point`)."""


class NonFiniteError(ScsimError):
    """A module's state or measure became NaN or infinite during a tick."""



class DataCollector:
    """The per-tick rows of ``ticks.parquet``: the modules' declared columns, in order."""

    def __init__(self, columns: list[Column]):
        self.columns = columns
        self.names = ["tick"] + [c.name for c in columns]
        self.rows: list[dict[str, Any]] = []

    def append(self, row: dict[str, Any]) -> None:
        self.rows.append({k: _plain(row[k]) for k in self.names})

    def frame(self):
        import pandas as pd

        if not self.rows:
            return pd.DataFrame({k: [] for k in self.names})
        return pd.DataFrame(self.rows, columns=self.names)

    def last(self) -> dict[str, Any]:
        return self.rows[-1] if self.rows else {}


def _plain(x: Any) -> Any:
    """A Python scalar (JSON round-trips it exactly)."""
    if isinstance(x, np.generic):
        return x.item()
    return x


class Simulation:
    """A run of a scenario: its modules, their state, and the collected measures.

    Parameters
    ----------
    scenario : Scenario
        From :func:`scsim.load_scenario`.
    modules : list of Module, optional
        Further modules, run after the model's own each tick (a user's mechanism).
    graph : Graph, optional
        A ready-made social graph (its node count overrides ``scenario.population``).
    """

    def __init__(self, scenario, modules: Iterable[Module] = (), graph=None, *, _resuming: bool = False):
        t0 = time.perf_counter()
        sc = scenario
        if not isinstance(sc, ScenarioBase):
            raise ScsimError(f"Simulation: expected a scenario from scsim.load_scenario, got {type(sc).__name__}")
        if graph is None and not _resuming:
            graph = sc.load_graph()
        if graph is not None and graph.n != sc.population:
            lo, hi = _population_bounds()
            if not lo <= graph.n <= hi:
                raise ScenarioError(f"graph: {graph.n:,} nodes; a run needs {lo} to {hi:,} citizens (one per node)")
            sc = sc.model_copy(update={"population": graph.n})
        if not _resuming:
            check_memory(sc)
        self.scenario = sc
        self.n = n = sc.population
        self.seed = sc.seed
        self.tick = 0
        self.resuming = _resuming
        self.exchange = Exchange(n)
        if graph is not None:
            self.exchange.set_graph(graph)
        mods = list(sc.build_modules()) + list(modules)
        self.modules: dict[str, Module] = {}
        for m in mods:
            if not isinstance(m, Module):
                raise ScenarioError(f"modules: {m!r} is not a scsim.Module")
            if m.name in self.modules:
                raise ScenarioError(f"modules: two modules are named {m.name!r}; give one another name "
                                    f"(e.g. {type(m).__name__}(name='{m.name}2'))")
            self.modules[m.name] = m
        self.streams = StreamRegistry(sc.seed)
        columns: list[Column] = []
        seen: dict[str, str] = {}
        for m in self.modules.values():
            for s in m.stream_names:
                st = self.streams.claim(s, m.name)
                if s == m.name:
                    m.rng = st
                else:
                    m.rngs[s.split(".", 1)[1]] = st
            for c in m.column_specs.values():
                if c.name in seen or c.name == "tick":
                    raise ScenarioError(f"modules {m.name!r} and {seen.get(c.name, 'engine')!r} both measure "
                                        f"column {c.name!r}")
                seen[c.name] = m.name
                columns.append(c)
            for spec in m.state_specs.values():
                setattr(m, spec.name, spec.allocate(n))
        self.collector = DataCollector(columns)
        self.timings = {name: [0.0, 0.0] for name in self.modules}
        for m in self.modules.values():
            m.init(self)
        self.build_s = time.perf_counter() - t0
        self.ticks_s = 0.0
        self.checkpoint_s = 0.0

    # ------------------------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Module:
        mods = self.__dict__.get("modules")
        if mods is not None and name in mods:
            return mods[name]
        raise AttributeError(f"{type(self).__name__} has no attribute or module {name!r}")

    def __repr__(self) -> str:
        return (f"Simulation({self.scenario.name!r}, model={self.scenario.model!r}, n={self.n:,}, "
                f"tick={self.tick}/{self.scenario.ticks}, modules={list(self.modules)})")

    @property
    def columns(self) -> list[Column]:
        """The ``ticks.parquet`` columns the modules measure, in order."""
        return self.collector.columns

    @property
    def tier_names(self) -> list[str]:
        for m in self.modules.values():
            names = getattr(m, "tier_names", None)
            if names:
                return list(names)
        return []

    # ------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one tick (one week): every module's step in order, then every measure."""
        t0 = time.perf_counter()
        t = self.tick + 1
        timings = self.timings
        for name, m in self.modules.items():
            t1 = time.perf_counter()
            m.step(self, t)
            timings[name][0] += time.perf_counter() - t1
        row: dict[str, Any] = {"tick": t}
        for name, m in self.modules.items():
            t1 = time.perf_counter()
            vals = m.measure(self, t)
            timings[name][1] += time.perf_counter() - t1
            if vals.keys() != m.column_specs.keys():
                missing = sorted(set(m.column_specs) - set(vals))
                extra = sorted(set(vals) - set(m.column_specs))
                raise ScsimError(f"module {name!r} measured {extra or 'nothing extra'} beyond its declared columns "
                                 f"and left out {missing or 'nothing'}")
            row.update(vals)
        self._check_finite(t, row)
        self.collector.append(row)
        self.tick = t
        self.ticks_s += time.perf_counter() - t0
        if _CRASH_HOOK:
            from ..store import _crash_point

            _crash_point(f"tick:{t}")

    def _check_finite(self, t: int, row: dict[str, Any]) -> None:
        """Stop the run if a module's state or measure is not finite (NaN or infinite): one
        line naming the first module, in tick order, that holds one.

        A float array is checked through its sum (one pass, no temporary), element-wise only
        when the sum is not finite. An array of several rows per citizen (a ledger) is checked
        one row per tick in turn: what it holds reaches its module's one-row states (the score)
        the same tick. The check costs about 1.3% of a tick at 1M citizens (BENCHMARKS.md)."""
        for name, m in self.modules.items():
            for k, a in m.saved_arrays().items():
                if a.dtype.kind not in "fc" or not a.size:
                    continue
                part = a[(t - 1) % a.shape[0]] if a.ndim == 2 and a.shape[0] > 1 else a
                if not np.isfinite(part.sum()) and not np.isfinite(part).all():
                    bad = np.flatnonzero(~np.isfinite(part.ravel()))
                    raise NonFiniteError(f"tick {t}: module {name!r} produced a non-finite value in {k} "
                                         f"({part.ravel()[bad[0]]} at {bad.size:,} of {part.size:,} places); check the "
                                         f"scenario's parameters of {name!r}")
            for k, c in m.column_specs.items():
                v = row.get(k)
                if isinstance(v, float) and not math.isfinite(v) and not (c.undefined and math.isnan(v)):
                    raise NonFiniteError(f"tick {t}: module {name!r} measured {k} = {v}; check the scenario's "
                                         f"parameters of {name!r}")

    def run(self, progress: ProgressFn | None = None, checkpoint_dir: str | Path | None = None,
            on_checkpoint: Callable[[int], None] | None = None):
        """Run the remaining ticks and return a :class:`~scsim.engine.results.Result`.

        With ``checkpoint_dir``, the state is saved there every ``engine.checkpoint_every`` ticks
        (:meth:`save_checkpoint`; ``scsim resume`` continues from it), and ``on_checkpoint(tick)``
        is called after each.
        """
        from .results import Result

        total = self.scenario.ticks
        every = self.scenario.engine.checkpoint_every
        while self.tick < total:
            self.step()
            if checkpoint_dir is not None and every and self.tick % every == 0 and self.tick < total:
                t0 = time.perf_counter()
                self.save_checkpoint(checkpoint_dir)
                self.checkpoint_s += time.perf_counter() - t0
                if on_checkpoint is not None:
                    on_checkpoint(self.tick)
            if progress is not None:
                progress(self.tick, total)
        return Result.from_simulation(self)

    def module_timings(self) -> dict[str, dict[str, float]]:
        """Seconds each module spent in its steps and its measures so far."""
        return {k: {"step_s": round(v[0], 4), "measure_s": round(v[1], 4)} for k, v in self.timings.items()}

    # ------------------------------------------------------------------------------------------
    # checkpoints: arrays plus JSON, no pickle

    def _meta(self) -> dict[str, Any]:
        resolved = self.scenario.resolved()
        return {
            "format": CHECKPOINT_FORMAT, "kind": "scsim-checkpoint", "scsim_version": _version(),
            "model": self.scenario.model, "scenario": resolved, "scenario_hash": scenario_hash(resolved),
            "tick": self.tick, "population": self.n,
            "modules": [{"name": k, "class": f"{type(m).__module__}.{type(m).__qualname__}", "state": m.get_state()}
                        for k, m in self.modules.items()],
            "rows": self.collector.rows,
            "timings": {"build_s": self.build_s, "ticks_s": self.ticks_s, "checkpoint_s": self.checkpoint_s,
                        "modules": self.timings},
        }

    def save_checkpoint(self, folder: str | Path) -> Path:
        """Write the whole state to ``folder/checkpoint.npz`` (atomically): every module's arrays
        and the graph, with a JSON header (format version, scenario and its hash, each array's
        shape, dtype and CRC-32). Random streams are derived from (seed, stream, tick, ...),
        never carried, so a run resumed from it ends bit-identical to an uninterrupted one."""
        from ..store import atomic_write

        arrays: dict[str, np.ndarray] = {}
        for name, m in self.modules.items():
            for k, a in m.saved_arrays().items():
                arrays[f"{name}/{k}"] = a
        for k, a in self.exchange.saved_arrays().items():
            arrays[f"exchange/{k}"] = a
        return write_checkpoint(Path(folder) / CHECKPOINT, self._meta(), arrays)

    @classmethod
    def resume(cls, folder: str | Path, modules: Iterable[Module] = ()) -> "Simulation":
        """The simulation saved in ``folder/checkpoint.npz``, ready to continue.

        The checkpoint is validated before anything is built from it: its format version, the
        hash of its scenario, the modules it names (give the same user ``modules`` as the run
        had), and every array's shape, dtype and checksum. Nothing in it is executed (no
        pickle). A foreign, truncated or tampered file gets a one-line :class:`ScsimError`.
        """
        path = Path(folder) / CHECKPOINT
        meta, arrays = read_checkpoint(path)
        try:
            sc = scenario_from_dict(meta["scenario"], label=f"{path} (scenario)")
        except ScsimError as e:
            raise ScsimError(f"{path}: the checkpoint's scenario is not valid: {e}") from None
        if scenario_hash(sc.resolved()) != meta.get("scenario_hash"):
            raise ScsimError(f"{path}: the checkpoint's scenario does not match its hash (tampered or damaged)")
        graph = None
        if "exchange/indptr" in arrays and "exchange/indices" in arrays:
            from ..graph import Graph

            try:
                graph = Graph(arrays["exchange/indptr"], arrays["exchange/indices"])
            except ValueError as e:
                raise ScsimError(f"{path}: the checkpoint's graph is not valid: {e}") from None
            if graph.n != sc.population:
                raise ScsimError(f"{path}: the checkpoint's graph has {graph.n} nodes for {sc.population} citizens")
        sim = cls(sc, modules=modules, graph=graph, _resuming=True)
        names = [m.get("name") for m in meta.get("modules", [])]
        if names != list(sim.modules):
            raise ScsimError(f"{path}: the checkpoint was written by modules {names} but this simulation has "
                             f"{list(sim.modules)}; resume with the same modules")
        expected: dict[str, np.ndarray] = {}
        for name, m in sim.modules.items():
            for k, a in m.saved_arrays().items():
                expected[f"{name}/{k}"] = a
        got = {k for k in arrays if not k.startswith("exchange/")}
        if got != set(expected):
            extra, missing = sorted(got - set(expected)), sorted(set(expected) - got)
            raise ScsimError(f"{path}: the checkpoint's arrays do not match this model (missing {missing[:3]}, "
                             f"unexpected {extra[:3]})")
        for k, a in expected.items():
            b = arrays[k]
            if b.shape != a.shape or b.dtype != a.dtype:
                raise ScsimError(f"{path}: array {k} has shape {b.shape} and dtype {b.dtype}; this run needs "
                                 f"{a.shape} and {a.dtype}")
        for name, m in sim.modules.items():
            pre = f"{name}/"
            m.restore_arrays({k[len(pre):]: v for k, v in arrays.items() if k.startswith(pre)})
        for m, saved in zip(sim.modules.values(), meta["modules"]):
            m.set_state(saved.get("state") or {})
        sim.tick = int(meta["tick"])
        sim.collector.rows = list(meta.get("rows", []))
        tm = meta.get("timings", {})
        sim.build_s = float(tm.get("build_s", 0.0))
        sim.ticks_s = float(tm.get("ticks_s", 0.0))
        sim.checkpoint_s = float(tm.get("checkpoint_s", 0.0))
        for k, v in (tm.get("modules") or {}).items():
            if k in sim.timings:
                sim.timings[k] = [float(v[0]), float(v[1])]
        sim.resuming = False
        for m in sim.modules.values():
            restored = getattr(m, "restored", None)
            if restored is not None:
                restored(sim)
        return sim


def _population_bounds() -> tuple[int, int]:
    """The smallest and largest population a scenario accepts (``ScenarioBase.population``)."""
    lo, hi = 0, 2**63
    for m in ScenarioBase.model_fields["population"].metadata:
        lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else lo
        hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else hi
    return int(lo), int(hi)


def _version() -> str:
    from ..version import __version__

    return __version__


__all__ = ["Simulation", "DataCollector", "CHECKPOINT", "NonFiniteError"]
