"""Scenarios: TOML files validated by pydantic v2.

A scenario holds every parameter of a run; nothing the model needs is a constant in code. The
built-in scenarios live in ``scsim/scenarios/*.toml``; each names its sources for the defaults.

>>> from scsim import load_scenario
>>> sc = load_scenario("article", population=20_000, ticks=4, seed=7)
>>> sc.population, sc.ticks, sc.network.alpha
(20000, 4, 0.1)
>>> load_scenario("article", **{"network.alpha": 0.3}).network.alpha
0.3
"""
from __future__ import annotations

import json
import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .config_behaviour import BehaviourConfig, GroupsConfig, SurveillanceConfig
from .errors import ScenarioError
from .rng import BLOCK

SOURCES = (
    "commerce", "finance", "gaming", "mobility", "courts",
    "ratings", "social_media", "clinics", "good_deeds", "metadata",
)
"""The ten data sources of MODEL.md section 4, in the order they run each tick."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class EngineConfig(_Model):
    chunk_size: int = Field(4 * BLOCK, gt=0, description="citizens processed together; a multiple of 65536")
    panel_size: int = Field(1000, ge=0, description="tracked citizens whose full trajectories are stored")
    memory_limit_gib: float | None = Field(None, gt=0, description="refuse runs estimated above this; default: available memory")
    checkpoint_every: int = Field(26, ge=0, description="ticks between checkpoints of a run written to a folder (0: never)")
    threads: int = Field(0, ge=0, le=256, description="threads drawing blocks of citizens and running the compiled kernels in parallel (0: one per core); never changes results")
    reuse_memory: bool = Field(True, description="keep freed memory in the process for the next large array instead of returning it to the system (glibc; faster, never changes results; the process does not shrink until it exits)")

    @field_validator("chunk_size")
    @classmethod
    def _multiple_of_block(cls, v: int) -> int:
        if v % BLOCK:
            raise ValueError(f"must be a multiple of {BLOCK} (the random-number block)")
        return v


class PlatformConfig(_Model):
    alibaba: float = Field(0.29, ge=0, le=1)
    tencent: float = Field(0.80, ge=0, le=1)
    credit_record: float = Field(0.27, ge=0, le=1)
    internet: float = Field(0.60, ge=0, le=1)
    phone: float = Field(0.90, ge=0, le=1)
    urban_odds: float = Field(2.0, gt=0, description="odds multiplier for urban citizens")
    young_odds: float = Field(2.0, gt=0, description="odds multiplier for citizens under 40")


class TraitConfig(_Model):
    """Beta(a, b) distribution of a latent trait in [0, 1]."""
    a: float = Field(gt=0)
    b: float = Field(gt=0)


class PopulationConfig(_Model):
    age_min: int = Field(18, ge=0, le=120)
    age_max: int = Field(85, ge=1, le=120)
    share_60_plus: float = Field(0.187, ge=0, le=1)
    male_share: float = Field(0.512, ge=0, le=1)
    urban_share: float = Field(0.639, ge=0, le=1)
    regions: dict[str, float] = Field(default_factory=lambda: {"region": 1.0})
    income_median_urban: float = Field(40_000.0, gt=0)
    income_urban_rural_ratio: float = Field(2.5, gt=0)
    income_sigma: float = Field(0.6, gt=0)
    occupation_income: dict[str, float] = Field(default_factory=lambda: {
        "student": 0.3, "worker": 1.0, "professional": 1.6, "civil_servant": 1.3,
        "unemployed": 0.4, "retired": 0.7})
    platforms: PlatformConfig = Field(default_factory=PlatformConfig)
    traits: dict[str, TraitConfig] = Field(default_factory=lambda: {
        "diligence": TraitConfig(a=2, b=2), "prudence": TraitConfig(a=2, b=2),
        "idleness": TraitConfig(a=1.5, b=5), "dissent": TraitConfig(a=1.5, b=5),
        "sociability": TraitConfig(a=2, b=2)})

    @model_validator(mode="after")
    def _check(self):
        if self.age_max <= self.age_min:
            raise ValueError("age_max must be greater than age_min")
        if not 60 > self.age_min:
            raise ValueError("age_min must be below 60")
        if not self.regions or any(w <= 0 for w in self.regions.values()):
            raise ValueError("regions must map at least one region name to a positive weight")
        missing = {"diligence", "prudence", "idleness", "dissent", "sociability"} - set(self.traits)
        if missing:
            raise ValueError(f"traits must define {sorted(missing)}")
        occ = {"student", "worker", "professional", "civil_servant", "unemployed", "retired"}
        if set(self.occupation_income) != occ:
            raise ValueError(f"occupation_income must have exactly the keys {sorted(occ)}")
        return self


class GraphConfig(_Model):
    kind: Literal["dcsbm", "watts_strogatz", "barabasi_albert", "erdos_renyi", "edgelist"] = "dcsbm"
    mean_degree: float = Field(20.0, gt=0, le=5000)
    degree_sigma: float = Field(1.0, ge=0, le=3)
    within_region: float = Field(0.85, ge=0, le=1)
    age_homophily: float = Field(0.5, ge=0, le=1)
    max_degree: int = Field(5000, ge=1)
    rewire_p: float = Field(0.1, ge=0, le=1, description="Watts-Strogatz rewiring probability")
    path: str | None = Field(None, description="edge list for kind = 'edgelist'")

    @model_validator(mode="after")
    def _check(self):
        if self.kind == "edgelist" and not self.path:
            raise ValueError("kind = 'edgelist' needs path")
        return self


class UnitsConfig(_Model):
    size: int = Field(30, ge=2, le=10_000)


class NetworkConfig(_Model):
    alpha: float = Field(0.1, ge=0, lt=1, description="weight of the mean of friends' scores")


class TierConfig(_Model):
    name: str = Field(min_length=1)
    min: float


class PerkConfig(_Model):
    name: str = Field(min_length=1)
    min_score: float
    description: str = ""


class ScoreConfig(_Model):
    kind: Literal["sesame", "points"] = "sesame"
    base: float = 600.0
    min: float = 350.0
    max: float = 950.0
    dimensions: dict[str, float] = Field(default_factory=lambda: {
        "credit_history": 0.35, "behaviour_preference": 0.25, "fulfilment_capacity": 0.20,
        "identity": 0.15, "interpersonal": 0.05})
    transparent: bool = False
    grade_cap: float = Field(849.0, description="score cap while a rule with grade_cap is active (points ledger)")

    @model_validator(mode="after")
    def _check(self):
        if self.max <= self.min:
            raise ValueError("max must be greater than min")
        if not self.min <= self.base <= self.max:
            raise ValueError("base must lie between min and max")
        if not self.dimensions or any(w < 0 for w in self.dimensions.values()):
            raise ValueError("dimensions must map names to non-negative weights")
        return self


class RuleConfig(_Model):
    event: str = Field(description="'source.event', e.g. 'courts.traffic_violation'")
    points: float
    dimension: str
    half_life: float = Field(52.0, ge=0, description="ticks; 0 means points never decay")
    cap_per_tick: int | None = Field(None, ge=1, description="events counted per tick at most")
    cap: float | None = Field(None, gt=0, description="bound on the absolute value of the rule's ledger")
    grade_cap: bool = Field(False, description="while active, the score cannot exceed score.grade_cap")


class BlacklistConfig(_Model):
    enabled: bool = True
    duration: int = Field(104, ge=1, description="ticks on the list for a first listing (2 years)")
    repeat_extension_min: int = Field(52, ge=0)
    repeat_extension_max: int = Field(156, ge=0)
    max_duration: int = Field(260, ge=1, description="5 years at most")
    pay_rate: float = Field(0.01, ge=0, le=1, description="weekly chance a listed citizen of median income pays")

    @model_validator(mode="after")
    def _check(self):
        if self.repeat_extension_max < self.repeat_extension_min:
            raise ValueError("repeat_extension_max must be >= repeat_extension_min")
        return self


class SanctionsConfig(_Model):
    enabled: bool = True
    slow_internet_below: float | None = 550.0
    job_restriction_below: float | None = 550.0
    loan_denied_below: float | None = 550.0
    income_cut: float = Field(0.2, ge=0, le=1, description="income lost under job restrictions")
    trip_cut: float = Field(0.7, ge=0, le=1, description="trips lost under a travel ban (blacklist)")
    internet_cut: float = Field(0.5, ge=0, le=1, description="posts and gaming lost on slow internet")
    loan_default_boost: float = Field(1.0, ge=0, description="relative rise of defaults when loans are denied")
    blacklist: BlacklistConfig = Field(default_factory=BlacklistConfig)


class SourceConfig(_Model):
    enabled: bool = True
    misattribution: float = Field(0.005, ge=0, le=1, description="share of events landing on another citizen of the region")
    rates: dict[str, float] = Field(default_factory=dict, description="base weekly rates per event")
    false_flags: dict[str, float] = Field(default_factory=dict, description="spurious events per covered citizen per tick")
    params: dict[str, float] = Field(default_factory=dict, description="source-specific parameters")

    @field_validator("rates", "false_flags")
    @classmethod
    def _nonneg(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if not (x >= 0 and math.isfinite(x)):
                raise ValueError(f"{k} must be a finite rate >= 0")
        return v


class Scenario(_Model):
    """A fully specified run. Every default is documented in the scenario files."""

    name: str = "custom"
    description: str = ""
    control: str | None = Field(None, description="name of the control twin (the system off)")
    system: bool = Field(True, description="false for a control twin: no scoring consequences")
    seed: int = Field(42, ge=0, lt=2**63)
    population: int = Field(100_000, ge=10)
    ticks: int = Field(104, ge=1, le=100_000)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    population_params: PopulationConfig = Field(default_factory=PopulationConfig, alias="people")
    graph: GraphConfig = Field(default_factory=GraphConfig)
    units: UnitsConfig = Field(default_factory=UnitsConfig)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    score: ScoreConfig = Field(default_factory=ScoreConfig)
    tiers: list[TierConfig] = Field(default_factory=list)
    perks: list[PerkConfig] = Field(default_factory=list)
    sanctions: SanctionsConfig = Field(default_factory=SanctionsConfig)
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    rules: dict[str, RuleConfig] = Field(default_factory=dict)
    behaviour: BehaviourConfig = Field(default_factory=BehaviourConfig)
    groups: GroupsConfig = Field(default_factory=GroupsConfig)
    surveillance: SurveillanceConfig = Field(default_factory=SurveillanceConfig)
    reference: dict[str, float] | None = Field(None, description="benchmark reference model (MODEL.md section 12)")

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)

    @model_validator(mode="after")
    def _check(self):
        unknown = set(self.sources) - set(SOURCES)
        if unknown:
            raise ValueError(f"unknown source(s) {sorted(unknown)}; expected some of {list(SOURCES)}")
        for name, r in self.rules.items():
            src, _, ev = r.event.partition(".")
            if src not in SOURCES or not ev:
                raise ValueError(f"rules.{name}.event {r.event!r} must be 'source.event' with source in {list(SOURCES)}")
            if r.dimension not in self.score.dimensions:
                raise ValueError(f"rules.{name}.dimension {r.dimension!r} is not one of score.dimensions {list(self.score.dimensions)}")
        if self.reference is None and not self.tiers:
            raise ValueError("tiers must list at least one tier")
        mins = [t.min for t in self.tiers]
        if mins != sorted(mins):
            raise ValueError("tiers must be listed from the lowest min to the highest")
        return self

    def resolved(self) -> dict[str, Any]:
        """The fully resolved scenario as plain JSON-able data (stored with every run)."""
        return json.loads(self.model_dump_json(by_alias=True))

    @property
    def tier_names(self) -> list[str]:
        return [t.name for t in self.tiers] if self.tiers else ["poor", "fair", "good", "very_good", "excellent"]

    def source(self, name: str) -> SourceConfig:
        """The configuration of a source (disabled if the scenario does not list it)."""
        return self.sources.get(name) or SourceConfig(enabled=False)


# ---------------------------------------------------------------------------------------------
# Loading


def _builtin_dir():
    return resources.files("scsim") / "scenarios"


def builtin_scenarios() -> dict[str, str]:
    """Map of built-in scenario name to its one-line description."""
    out = {}
    for f in sorted(_builtin_dir().iterdir(), key=lambda p: p.name.removesuffix(".toml")):
        if f.name.endswith(".toml"):
            data = tomllib.loads(f.read_text(encoding="utf-8"))
            out[f.name[:-5]] = str(data.get("description", "")).strip().splitlines()[0] if data.get("description") else ""
    return out


def _format_loc(loc: tuple) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        else:
            parts.append(("." if parts else "") + str(p))
    return "".join(parts) or "(top level)"


def _validation_message(where: str, err: ValidationError) -> str:
    e = err.errors()[0]
    loc = tuple(x for x in e["loc"] if x not in ("function-after",))
    msg = e["msg"]
    if e["type"] == "extra_forbidden":
        msg = "unknown key"
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    got = e.get("input")
    got_s = ""
    if e["type"] != "extra_forbidden" and not isinstance(got, (dict, list)) and got is not None:
        got_s = f" (got {got!r})"
    more = f" (and {len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return f"{where}: {_format_loc(loc)}: {msg}{got_s}{more}"


def _read_toml(path: Path, label: str) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{label}: no such scenario file (built-in scenarios: {', '.join(builtin_scenarios())})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(f"{label}: cannot read scenario file: {e.__class__.__name__}: {e}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{label}: invalid TOML: {e}") from None


def _parse_value(text: str) -> Any:
    """Parse an override value as TOML (numbers, booleans, strings, lists); fall back to a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _set_dotted(data: dict, key: str, value: Any, label: str) -> None:
    parts = key.replace("__", ".").split(".")
    if parts[0] == "population" and len(parts) > 1:
        parts[0] = "people"
    cur = data
    for p in parts[:-1]:
        nxt = cur.get(p)
        if nxt is None:
            nxt = cur[p] = {}
        if not isinstance(nxt, dict):
            raise ScenarioError(f"{label}: override {key}: {p} is not a table")
        cur = nxt
    cur[parts[-1]] = value


def load_scenario(name_or_path: str | Path = "article", _set: dict[str, Any] | None = None, **overrides: Any) -> Scenario:
    """Load a built-in scenario by name, or a TOML file by path, and apply overrides.

    Overrides are keyword arguments: ``population``, ``ticks``, ``seed``, ``graph`` (an edge-list
    path), or any dotted key (``**{"network.alpha": 0.2}`` or ``network__alpha=0.2``).
    A built-in scenario may ``extends`` another one; its tables are merged over the parent's.

    Raises :class:`scsim.errors.ScenarioError` with a one-line message naming the file and field.

    >>> load_scenario("sesame", population=1000).sanctions.enabled
    False
    """
    data, label = _load_raw(name_or_path)
    allset = dict(_set or {})
    allset.update(overrides)
    for key, value in allset.items():
        if key == "graph" and isinstance(value, (str, Path)):
            _set_dotted(data, "graph.kind", "edgelist", label)
            _set_dotted(data, "graph.path", str(value), label)
            continue
        if isinstance(value, str) and key not in ("name", "description", "graph.path", "graph.kind", "control"):
            value = _parse_value(value)
        _set_dotted(data, key, value, label)
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(_validation_message(label, e)) from None


def _load_raw(name_or_path: str | Path, _seen: tuple = ()) -> tuple[dict, str]:
    p = Path(name_or_path)
    if isinstance(name_or_path, str) and "/" not in name_or_path and not name_or_path.endswith(".toml"):
        f = _builtin_dir() / f"{name_or_path}.toml"
        if not f.is_file():
            raise ScenarioError(f"{name_or_path}: no such built-in scenario (choose one of {', '.join(builtin_scenarios())}, or give a .toml path)")
        data = tomllib.loads(f.read_text(encoding="utf-8"))
        label = f"{name_or_path}.toml"
    else:
        label = str(p)
        data = _read_toml(p, label)
    parent = data.pop("extends", None)
    replace = data.pop("replace", [])
    if parent is not None:
        if not isinstance(parent, str) or parent in _seen:
            raise ScenarioError(f"{label}: extends: expected the name of another scenario, got {parent!r}")
        if not isinstance(replace, list) or not all(isinstance(k, str) for k in replace):
            raise ScenarioError(f"{label}: replace: expected a list of table names, got {replace!r}")
        base, _ = _load_raw(parent, _seen + (parent,))
        for k in replace:
            base.pop(k, None)
        data = _merge(base, data)
    return data, label


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k not in ("dimensions", "regions"):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def schema_json() -> str:
    """The JSON Schema of a scenario file."""
    return json.dumps(Scenario.model_json_schema(by_alias=True), indent=2)
