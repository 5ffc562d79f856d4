"""Typed configuration: the base of every module's scenario section, and what the engine needs.

Every module declares its part of a scenario as a pydantic model deriving from :class:`Config`:
unknown keys are refused (``extra = "forbid"``), so a typo in a scenario file is an error that
names the file, the dotted path and the nearest valid name, never a silently ignored value.
:class:`ScenarioBase` holds what every model shares (name, seed, population, ticks, engine
settings); the models (:mod:`scsim.models`) extend it with their modules' sections.

>>> EngineConfig(chunk_sise=4)
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for EngineConfig
chunk_sise
  Extra inputs are not permitted [type=extra_forbidden, input_value=4, input_type=int]
...
>>> nearest("dipers", ["diapers", "books"])
'diapers'
"""
from __future__ import annotations

import difflib
import math
import types
import typing
from typing import Any, ClassVar, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Config(BaseModel):
    """Base of every configuration section: unknown keys refused, finite numbers only, values
    checked on assignment too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False,
                              populate_by_name=True)


def needed(default: Any = None, **kw: Any) -> Any:
    """A parameter a :class:`Switchable` section must give when it is on (None while off)."""
    extra = dict(kw.pop("json_schema_extra", None) or {})
    extra["needed_when_enabled"] = True
    return Field(default, json_schema_extra=extra, **kw)


class Switchable(Config):
    """A mechanism's section: off unless it says ``enabled = true``, and then every parameter
    marked :func:`needed` must be given (a mechanism that is off needs no figures)."""

    enabled: bool = Field(False, description="whether the mechanism runs")

    @model_validator(mode="after")
    def _needed_when_enabled(self):
        if self.enabled:
            for name, f in type(self).model_fields.items():
                extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
                if extra.get("needed_when_enabled") and getattr(self, name) is None:
                    raise ValueError(f"{f.alias or name}: missing (needed when enabled)")
        return self


def nearest(name: str, choices: Iterable[str]) -> str | None:
    """The valid name closest to ``name`` (for "did you mean ...?"), or None."""
    m = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return m[0] if m else None


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``" (did you mean x?)"`` or, when nothing is close, the list of valid names."""
    choices = list(choices)
    m = nearest(name, choices)
    if m is not None:
        return f" (did you mean {m}?)"
    shown = ", ".join(sorted(map(str, choices))[:12]) + (", ..." if len(choices) > 12 else "")
    return f" (expected one of {shown})" if choices else ""


def check_name(value: str, choices: Iterable[str], what: str) -> str:
    """``value`` if it is one of ``choices``; else a ValueError naming the nearest."""
    choices = list(choices)
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}{did_you_mean(value, choices)}")
    return value


def keys_at(model: Any, loc: tuple) -> list[str] | None:
    """The keys a scenario may hold at ``loc`` (a pydantic error location) under ``model`` (a
    pydantic model class or a type annotation), or None when that place takes free keys."""
    t = model
    for part in loc:
        t = _member(t, part)
        if t is None:
            return None
    return _fields(t)


def _unwrap(t: Any) -> list[Any]:
    origin = typing.get_origin(t)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(t)[0])
    if origin in (typing.Union, types.UnionType):
        out = []
        for a in typing.get_args(t):
            out += _unwrap(a)
        return out
    return [t]


def _member(t: Any, part: Any) -> Any:
    for c in _unwrap(t):
        if isinstance(c, type) and issubclass(c, BaseModel):
            if isinstance(part, str):
                for fname, f in c.model_fields.items():
                    if part in (fname, f.alias):
                        return f.annotation
        origin = typing.get_origin(c)
        if origin in (dict, typing.Dict) and isinstance(part, str):
            return typing.get_args(c)[1]
        if origin in (list, typing.List, tuple) and isinstance(part, int):
            return typing.get_args(c)[0]
    return None


def _fields(t: Any) -> list[str] | None:
    for c in _unwrap(t):
        if isinstance(c, type) and issubclass(c, BaseModel):
            return [f.alias or k for k, f in c.model_fields.items()]
    return None


# ---------------------------------------------------------------------------------------------
# bounds that keep a run's arithmetic finite and its memory bounded
#
# None of these is a behavioural figure: each is far beyond any scenario's value, and is there so
# that a value ``scsim scenario check`` accepts also runs (no overflow, no NaN, no absurd
# allocation); probabilities and shares are bounded by [0, 1] where they are declared.

MAX_TICKS = 100_000
"""The most ticks a run may have, and the longest span in ticks a scenario may give (delays,
listings, windows, semesters): tick arithmetic stays inside 32-bit integers."""
MAX_RATE = 10_000.0
"""The highest weekly rate of events per citizen a scenario may give (about one a minute, around
the clock): event counts are 32-bit integers and every event drawn is an entry of an array."""
MAX_FACTOR = 1e6
"""The largest multiplier, ratio, odds, weight or power base a scenario may give (and, where zero
makes no sense, 1 / MAX_FACTOR the smallest): products of a few of them stay finite in single
precision (3.4e38)."""
MAX_SCALE = 1e6
"""The largest magnitude of a value on a scale: scores and their bounds, thresholds, points per
event, ratings, perceptions, their spreads."""
MAX_SCORE_RANGE = 100_000.0
"""The widest score range (``max - min``): score quantiles come from a histogram at 0.1-point
bins, a million bins at most."""
MAX_NAMES = 127
"""The most tiers or perks (their indices are 8-bit integers)."""


# ---------------------------------------------------------------------------------------------
# what the engine needs


class EngineConfig(Config):
    """How a run is computed; none of it changes a result."""

    chunk_size: int = Field(1 << 20, gt=0, description="citizens processed together; never changes results")
    panel_size: int = Field(1000, ge=0, description="tracked citizens whose full trajectories are stored (panel.parquet)")
    memory_limit_gib: float | None = Field(None, gt=0, description="refuse runs estimated above this; default: the memory available")
    checkpoint_every: int = Field(26, ge=0, le=MAX_TICKS, description="ticks between checkpoints of a run written to a folder (0: never)")
    threads: int = Field(0, ge=0, le=256, description="threads of the compiled kernels and of blocks of citizens (0: one per core); never changes results")
    reuse_memory: bool = Field(True, description="keep freed memory in the process for the next large array instead of returning it to the system (glibc; faster, never changes results)")


class ScenarioBase(Config):
    """What every scenario holds, whatever its model. Models extend it with their sections and
    say which modules run, in which order (:meth:`build_modules`)."""

    model: str = Field(description="which model runs: national, xingqiao or reference")
    name: str = Field("custom", min_length=1, max_length=200)
    description: str = ""
    control: str | None = Field(None, description="name of the control twin (the system off)")
    system: bool = Field(True, description="false for a control twin: the world runs, nothing follows from the scores")
    seed: int = Field(42, ge=0, lt=2**63)
    population: int = Field(100_000, ge=10, le=2**32 - 1)
    ticks: int = Field(104, ge=1, le=MAX_TICKS)
    engine: EngineConfig = Field(default_factory=EngineConfig)

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False, populate_by_name=True)

    MODELS: ClassVar[dict[str, type["ScenarioBase"]]] = {}
    """Every model's scenario class, by model name (filled as the models are defined)."""

    WORLD: ClassVar[tuple[str, ...]] = ()
    """Dotted sections of the scenario that build the world (citizens, graph, units): two runs
    share a world, and can be compared citizen by citizen, when these are equal."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kw):
        super().__pydantic_init_subclass__(**kw)
        field = cls.model_fields.get("model")
        args = typing.get_args(field.annotation) if field is not None else ()
        if typing.get_origin(field.annotation) is Literal and len(args) == 1:
            ScenarioBase.MODELS[args[0]] = cls

    @model_validator(mode="after")
    def _within_memory_limit(self):
        # a limit the scenario gives is checked here, so that `scenario check` refuses what `run`
        # would (the memory available, when no limit is given, is the machine's, checked at run)
        limit = self.engine.memory_limit_gib
        if limit is not None:
            from .memory import estimate_memory

            need = estimate_memory(self)
            if need > limit * 2**30:
                raise ValueError(f"engine.memory_limit_gib: {limit:g} GiB is below the estimated peak of "
                                 f"{need / 2**30:.2f} GiB for {self.population:,} citizens; raise it or lower population")
        return self

    def build_modules(self) -> list:
        """The model's modules, in the order a tick runs them."""
        raise NotImplementedError

    def memory_per_citizen(self) -> float:
        """Bytes per citizen at the peak of a run (see :mod:`scsim.engine.memory`)."""
        return 300.0

    def load_graph(self):
        """A social graph read from a file (an edge list), or None (generated, or none)."""
        return None

    @property
    def mean_degree(self) -> float:
        """The mean number of friends the run's graph is built with (0: no graph)."""
        return 0.0

    def resolved(self) -> dict[str, Any]:
        """The fully resolved scenario as plain JSON data (stored with every run)."""
        import json

        return json.loads(self.model_dump_json(by_alias=True))


__all__ = ["Config", "Switchable", "needed", "EngineConfig", "ScenarioBase", "nearest", "scenario_from_dict",
           "MAX_TICKS", "MAX_RATE", "MAX_FACTOR", "MAX_SCALE", "MAX_SCORE_RANGE", "MAX_NAMES",
           "validation_message", "scenario_adapter", "did_you_mean", "check_name", "keys_at",
           "Field", "field_validator", "model_validator", "Literal", "math"]


def _format_loc(loc: tuple) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        else:
            parts.append(("." if parts else "") + str(p))
    return "".join(parts) or "(top level)"


def validation_message(where: str, err) -> str:
    """One line for the first error of a pydantic ``ValidationError`` of a scenario: the file, the
    dotted field, what was wrong, and the nearest valid name of a misspelt key."""
    errs = err.errors()
    e = next((x for x in errs if x["type"] == "extra_forbidden"), errs[0])  # a typo first: it explains a "missing"
    loc = tuple(e["loc"])
    model_cls = None
    models = ScenarioBase.MODELS
    if loc and isinstance(loc[0], str) and loc[0] in models:  # the union's tag
        model_cls = models[loc[0]]
        loc = loc[1:]
    loc = tuple(x for x in loc if x not in ("function-after",))
    msg = e["msg"]
    got = e.get("input")
    if e["type"] == "union_tag_not_found":
        return f"{where}: model: missing; expected model = one of {', '.join(models)}"
    if e["type"] == "union_tag_invalid":
        tag = e.get("ctx", {}).get("tag")
        return f"{where}: model: unknown model {tag!r}{did_you_mean(str(tag), models)}"
    if e["type"] == "extra_forbidden":
        valid = keys_at(model_cls, loc[:-1]) if model_cls is not None else None
        hint = did_you_mean(str(loc[-1]), valid) if valid else ""
        return f"{where}: {_format_loc(loc)}: unknown key{hint}"
    if e["type"] == "missing":
        return f"{where}: {_format_loc(loc)}: missing (every figure must be given in the scenario)"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    shown = ""
    if not isinstance(got, (dict, list)) and got is not None and "unknown" not in msg:
        shown = f" (got {got!r})"
    more = f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""
    if not loc:  # a check across sections names its own field
        return f"{where}: {msg}{more}"
    return f"{where}: {_format_loc(loc)}: {msg}{shown}{more}"


def scenario_from_dict(data: dict, label: str = "scenario"):
    """A typed scenario of any registered model from plain data (a TOML table, or a run's
    resolved scenario); a one-line :class:`ScenarioError` naming ``label`` and the field."""
    from pydantic import ValidationError

    from ..errors import ScenarioError

    if not isinstance(data, dict):
        raise ScenarioError(f"{label}: expected a table of scenario keys")
    try:
        return scenario_adapter().validate_python(data)
    except ValidationError as e:
        raise ScenarioError(validation_message(label, e)) from None
    except (RecursionError, OverflowError) as e:
        raise ScenarioError(f"{label}: cannot read the scenario: {e.__class__.__name__}") from None


def scenario_adapter():
    """A pydantic adapter validating a scenario of any registered model (a discriminated union
    on ``model``)."""
    from pydantic import TypeAdapter

    models = tuple(ScenarioBase.MODELS.values())
    if not models:
        from ..errors import ScsimError

        raise ScsimError("no scenario model is registered: import scsim.models (or scsim) first")
    union = models[0] if len(models) == 1 else typing.Union[models]  # type: ignore[valid-type]
    return TypeAdapter(typing.Annotated[union, Field(discriminator="model")])
