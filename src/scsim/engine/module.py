"""The module: one mechanism of the model, with its own parameters, state, random streams and
measures.

A :class:`Module` is what Starsim calls a module and Mesa users know as the parts of a model's
``step``. Each one

* has a **name** (unique in a simulation) and a typed **config** (its section of the scenario,
  a :class:`~scsim.engine.config.Config`), validated when the module is made;
* **declares** in :meth:`declare` the per-citizen arrays it owns (:meth:`state`), the random
  streams it draws from (:meth:`stream`; named after the module, the engine refuses a stream
  claimed twice) and the ``ticks.parquet`` columns it measures (:meth:`column`, with a label and
  a unit that the report and the dashboard read);
* runs in three phases the engine calls: :meth:`init` once (states are allocated, streams
  made), :meth:`step` each tick in the model's order, then :meth:`measure` each tick in the same
  order, returning exactly the columns it declared.

Other modules read a module's states by name (``sim.sanctions.blacklisted``); writes to another
module's state go through that module's methods (``sim.scoring.add_points``). Whatever a module
keeps between ticks is a declared state, or an array it registers with :meth:`array`, or a
JSON-able value returned by :meth:`get_state`: checkpoints save exactly that, so a resumed run
ends bit-identical.

A researcher adds a mechanism without editing scsim: subclass :class:`Module` and pass it to
:class:`scsim.Simulation` (``modules=[...]``); see ``docs/modules.md``.

>>> import numpy as np
>>> class Rumour(Module):
...     '''Citizens whose friends were blacklisted lose some dissent.'''
...     class Config(Config):
...         strength: float = 0.1
...     def declare(self):
...         self.column("rumour_hits", "citizens reached by the rumour", "citizens")
...     def step(self, sim, t):
...         listed = sim.sanctions.blacklisted.astype(np.float32)
...         self.hits = sim.exchange.friends_sum(listed) > 0
...         sim.rebuke.dissent[self.hits] *= 1 - self.config.strength
...     def measure(self, sim, t):
...         return {"rumour_hits": int(self.hits.sum())}
>>> Rumour(strength=0.2).config.strength
0.2
>>> Rumour(strenght=0.2)
Traceback (most recent call last):
...
scsim.errors.ScenarioError: rumour: strenght: unknown key (did you mean strength?)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from pydantic import ValidationError

from .config import Config, did_you_mean, keys_at

__all__ = ["Module", "State", "Column", "Config"]


@dataclass(frozen=True)
class State:
    """A per-citizen array a module owns: ``rows`` rows (None: one row) of ``n`` citizens."""

    name: str
    dtype: Any
    default: Any = 0
    rows: int | None = None
    label: str = ""

    def allocate(self, n: int) -> np.ndarray:
        shape = (n,) if self.rows is None else (self.rows, n)
        return np.full(shape, self.default, dtype=self.dtype)


@dataclass(frozen=True)
class Column:
    """A ``ticks.parquet`` column a module measures.

    ``unit`` is what one unit of the value is (``citizens``, ``share of citizens``, ``points``,
    ``events per week``...); ``every`` says the measure is taken every so many ticks and carried
    in between (0: every tick)."""

    name: str
    label: str
    unit: str = ""
    description: str = ""
    every: int = 0
    module: str = ""
    undefined: str = ""
    """When the value is undefined (say, a correlation without variance): it is then NaN in the
    row and null in ``ticks.parquet``. Empty: the value is always a finite number (the engine
    stops a run whose measure is not)."""

    def to_json(self) -> dict:
        return {"name": self.name, "label": self.label, "unit": self.unit, "description": self.description,
                "every": self.every, "module": self.module, "undefined": self.undefined}


def _config_error(module: str, err: ValidationError, cls) -> str:
    errs = err.errors()
    e = next((x for x in errs if x["type"] == "extra_forbidden"), errs[0])  # a typo first: it explains a "missing"
    loc = tuple(e["loc"])
    path = ".".join(str(x) for x in loc)
    if e["type"] == "extra_forbidden":
        valid = keys_at(cls, loc[:-1]) or []
        return f"{module}: {path}: unknown key{did_you_mean(str(loc[-1]), valid)}"
    msg = e["msg"].removeprefix("Value error, ")
    got = e.get("input")
    shown = f" (got {got!r})" if not isinstance(got, (dict, list)) and got is not None else ""
    return f"{module}: {path}: {msg}{shown}"


class Module:
    """A mechanism of the model. Subclasses set ``name`` and ``Config`` and override
    :meth:`declare`, :meth:`init`, :meth:`step` and :meth:`measure` as they need."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    Config: ClassVar[type[Config] | None] = None

    def __init__(self, config: Any = None, *, name: str | None = None, **params: Any):
        if name is not None:
            self.name = name  # type: ignore[misc]
        if not self.name:
            self.name = type(self).__name__.lower()  # type: ignore[misc]
        cls = type(self).Config
        if cls is None:
            if config is not None or params:
                raise TypeError(f"module {self.name!r} takes no parameters")
            self.config = None
        elif isinstance(config, cls) and not params:
            self.config = config
        else:
            data = config.model_dump() if isinstance(config, Config) else dict(config or {})
            data.update(params)
            try:
                self.config = cls.model_validate(data)
            except ValidationError as e:
                from ..errors import ScenarioError

                raise ScenarioError(_config_error(self.name, e, cls)) from None
        self.state_specs: dict[str, State] = {}
        self.stream_names: list[str] = []
        self.column_specs: dict[str, Column] = {}
        self.arrays: dict[str, np.ndarray] = {}
        self.rng = None  # the module's own stream once the engine made it
        self.rngs: dict[str, Any] = {}
        self.declare()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    # -- declarations (call from declare) ---------------------------------------------------
    def declare(self) -> None:
        """Declare states, streams and columns (called once, when the module is made)."""

    def state(self, name: str, dtype: Any, default: Any = 0, rows: int | None = None, label: str = "") -> None:
        """Declare a per-citizen array (``rows`` rows of ``n``), allocated by the engine and
        reachable as ``module.<name>``."""
        if name in self.state_specs:
            raise ValueError(f"module {self.name!r} declares state {name!r} twice")
        self.state_specs[name] = State(name, dtype, default, rows, label)

    def stream(self, name: str = "") -> None:
        """Declare a random stream: ``"<module>"`` for the default one (``self.rng``), else
        ``"<module>.<name>"`` (``self.rngs[name]``)."""
        full = self.name if not name else f"{self.name}.{name}"
        if full in self.stream_names:
            raise ValueError(f"module {self.name!r} declares stream {full!r} twice")
        self.stream_names.append(full)

    def column(self, name: str, label: str, unit: str = "", description: str = "", every: int = 0,
               undefined: str = "") -> None:
        """Declare a column of ``ticks.parquet`` that :meth:`measure` returns every tick;
        ``undefined`` says when it may be NaN (stored as null), otherwise it must be finite."""
        if name in self.column_specs:
            raise ValueError(f"module {self.name!r} declares column {name!r} twice")
        self.column_specs[name] = Column(name, label, unit, description, every, self.name, undefined)

    def array(self, name: str, shape: int | tuple, dtype: Any, fill: Any = 0) -> np.ndarray:
        """A state array that is not one row per citizen (per unit, per class), made in
        :meth:`init`; checkpoints save it. Reachable as ``module.<name>``."""
        a = np.full(shape, fill, dtype=dtype)
        self.arrays[name] = a
        setattr(self, name, a)
        return a

    # -- lifecycle -----------------------------------------------------------------------------
    def init(self, sim: "Simulation") -> None:
        """Set up once states are allocated and streams made (in the model's order)."""

    def step(self, sim: "Simulation", t: int) -> None:
        """Do this module's part of tick ``t``."""

    def measure(self, sim: "Simulation", t: int) -> dict[str, Any]:
        """The declared columns' values for tick ``t`` (all of them, nothing else)."""
        return {}

    def citizen_columns(self, sim: "Simulation") -> dict[str, np.ndarray]:
        """Per-citizen columns of ``citizens.parquet`` at the end of a run."""
        return {}

    def final_arrays(self, sim: "Simulation") -> dict[str, np.ndarray]:
        """Arrays kept in ``state.npz`` at the end of a run (what explanations need)."""
        return {}

    def tables(self, sim: "Simulation") -> dict[str, Any]:
        """Further tables written as ``<name>.parquet`` (pandas DataFrames)."""
        return {}

    def get_state(self) -> dict[str, Any]:
        """JSON-able values this module keeps between ticks besides its arrays."""
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`get_state` returned."""

    # -- helpers -------------------------------------------------------------------------------
    def saved_arrays(self) -> dict[str, np.ndarray]:
        """Every array a checkpoint keeps: declared states, then registered arrays."""
        out = {k: getattr(self, k) for k in self.state_specs}
        out.update(self.arrays)
        return out

    def standalone(self, n: int, seed: int) -> "Module":
        """Initialise this module on its own for ``n`` citizens (states allocated, streams made):
        for a module that reads no other module at init, such as ``people``.

        >>> from scsim.mechanisms.people import People
        >>> from scsim import load_scenario
        >>> p = People(load_scenario("article").people).standalone(1000, seed=1)
        >>> p.age.shape, bool(p.age.min() >= 18)
        ((1000,), True)
        """
        from types import SimpleNamespace

        from .streams import StreamRegistry

        reg = StreamRegistry(seed)
        for s in self.stream_names:
            st = reg.claim(s, self.name)
            if s == self.name:
                self.rng = st
            else:
                self.rngs[s.split(".", 1)[1]] = st
        for spec in self.state_specs.values():
            setattr(self, spec.name, spec.allocate(n))
        self.init(SimpleNamespace(n=int(n), seed=int(seed), resuming=False, modules={}))
        return self

    def restore_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        for k, v in arrays.items():
            if k in self.arrays:
                self.arrays[k] = v
            setattr(self, k, v)
