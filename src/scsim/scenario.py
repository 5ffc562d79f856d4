"""Scenarios: TOML files validated against each model's typed sections.

A scenario names its model (``model = "national"``, ``"xingqiao"`` or ``"reference"``) and holds
every parameter of a run: nothing the model needs is a constant in code. Each module's section is
typed where the module is defined, and every key is checked: an unknown rate, parameter, event
name, rule, tier or source is refused with one line that names the file, the dotted field, the
bad value and the nearest valid name. The built-in scenarios live in ``scsim/scenarios/*.toml``;
each names the source of every figure, or says ``unverified``.

>>> from scsim import load_scenario
>>> sc = load_scenario("article", population=20_000, ticks=4, seed=7)
>>> sc.model, sc.population, sc.ticks, sc.network.alpha
('national', 20000, 4, 0.1)
>>> load_scenario("article", **{"network.alpha": 0.3}).network.alpha
0.3
>>> load_scenario("article", **{"sources.commerce.rates.dipers": 0.3})
Traceback (most recent call last):
...
scsim.errors.ScenarioError: article.toml: sources.commerce.rates.dipers: unknown key (did you mean diapers?)
"""
from __future__ import annotations

import json
import os
import stat
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import Field

from .engine.config import ScenarioBase, did_you_mean, scenario_adapter, scenario_from_dict
from .errors import ScenarioError
from .models import NationalScenario, ReferenceScenario, XingqiaoScenario

Scenario = Annotated[Union[NationalScenario, XingqiaoScenario, ReferenceScenario], Field(discriminator="model")]
"""A scenario of any model (a pydantic discriminated union on ``model``)."""
MAX_FILE_BYTES = 4 << 20
"""Scenario files larger than this are refused (a scenario is a few kilobytes)."""
MAX_EXTENDS = 16
"""The longest chain of ``extends``."""


def _builtin_dir():
    return resources.files("scsim") / "scenarios"


def builtin_scenarios() -> dict[str, str]:
    """Map of built-in scenario name to its one-line description."""
    out = {}
    for f in sorted(_builtin_dir().iterdir(), key=lambda p: p.name.removesuffix(".toml")):
        if f.name.endswith(".toml"):
            data = tomllib.loads(f.read_text(encoding="utf-8"))
            desc = str(data.get("description", "")).strip()
            out[f.name[:-5]] = desc.splitlines()[0] if desc else ""
    return out


# ---------------------------------------------------------------------------------------------
# reading files


def _read_text(path: Path, label: str) -> str:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ScenarioError(f"{label}: no such scenario file (built-in scenarios: {', '.join(builtin_scenarios())})") from None
    except OSError as e:
        raise ScenarioError(f"{label}: cannot read scenario file: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ScenarioError(f"{label}: not a regular file (a scenario is a TOML file)")
    if st.st_size > MAX_FILE_BYTES:
        raise ScenarioError(f"{label}: {st.st_size:,} bytes is too large for a scenario file (at most {MAX_FILE_BYTES:,})")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(f"{label}: cannot read scenario file: {e.__class__.__name__}: {e}") from None


def _read_toml(path: Path, label: str) -> dict:
    text = _read_text(path, label)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{label}: invalid TOML: {e}") from None


def _is_builtin_name(name: str) -> bool:
    return "/" not in name and os.sep not in name and not name.endswith(".toml")


def _load_raw(name_or_path: str | Path, base_dir: Path | None = None, _seen: tuple = ()) -> tuple[dict, str]:
    if len(_seen) > MAX_EXTENDS:
        raise ScenarioError(f"{_seen[0]}: extends: a chain of more than {MAX_EXTENDS} scenarios")
    if isinstance(name_or_path, str) and _is_builtin_name(name_or_path):
        f = _builtin_dir() / f"{name_or_path}.toml"
        if not f.is_file():
            raise ScenarioError(f"{name_or_path}: no such built-in scenario"
                                f"{did_you_mean(name_or_path, builtin_scenarios())}; or give a .toml path")
        data = tomllib.loads(f.read_text(encoding="utf-8"))
        label = f"{name_or_path}.toml"
        folder = None
    else:
        p = Path(name_or_path)
        if base_dir is not None and not p.is_absolute():
            p = base_dir / p
        label = str(p)
        data = _read_toml(p, label)
        folder = p.parent
        g = data.get("graph")
        if isinstance(g, dict) and isinstance(g.get("path"), str) and g["path"] and not Path(g["path"]).is_absolute():
            g["path"] = str(folder / g["path"])  # a file's paths are relative to the file, like its extends
    parent = data.pop("extends", None)
    replace = data.pop("replace", [])
    if parent is not None:
        if not isinstance(parent, str) or not parent:
            raise ScenarioError(f"{label}: extends: expected the name of another scenario, got {parent!r}")
        key = parent if _is_builtin_name(parent) else str((folder / parent) if folder and not Path(parent).is_absolute() else parent)
        if key in _seen:
            raise ScenarioError(f"{label}: extends: {parent!r} extends itself (a cycle)")
        if not isinstance(replace, list) or not all(isinstance(k, str) for k in replace):
            raise ScenarioError(f"{label}: replace: expected a list of table names, got {replace!r}")
        base, _ = _load_raw(parent, folder, _seen + (key,))
        for k in replace:
            base.pop(k, None)
        data = _merge(base, data)
    return data, label


_WHOLE = ("dimensions", "regions")
"""Tables an extending file replaces whole rather than merges (the weights must add up)."""


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k not in _WHOLE:
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _parse_value(text: str) -> Any:
    """Parse an override value as TOML (numbers, booleans, strings, lists); fall back to a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _set_dotted(data: dict, key: str, value: Any, label: str) -> None:
    parts = key.replace("__", ".").split(".")
    if any(not p for p in parts):
        raise ScenarioError(f"{label}: override {key!r}: expected a dotted key such as network.alpha")
    cur = data
    for i, p in enumerate(parts[:-1]):
        nxt = cur.get(p)
        if nxt is None:
            nxt = cur[p] = {}
        if not isinstance(nxt, dict):
            raise ScenarioError(f"{label}: override {key}: {'.'.join(parts[:i + 1])} is not a table")
        cur = nxt
    cur[parts[-1]] = value


_STRING_KEYS = ("name", "description", "graph.path", "graph.kind", "control", "model")


def load_scenario(name_or_path: str | Path = "article", _set: dict[str, Any] | None = None, **overrides: Any):
    """Load a built-in scenario by name, or a TOML file by path, and apply overrides.

    Overrides are keyword arguments: ``population``, ``ticks``, ``seed``, ``graph`` (an edge-list
    path), or any dotted key (``**{"network.alpha": 0.2}`` or ``network__alpha=0.2``). A file may
    ``extends`` another scenario (a built-in name, or a path relative to the file); its tables are
    merged over the parent's.

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
        if isinstance(value, str) and key not in _STRING_KEYS:
            value = _parse_value(value)
        _set_dotted(data, key, value, label)
    return scenario_from_dict(data, label)


def check_control_twin(sc, ctl, label: str) -> None:
    """Refuse a control twin ``ctl`` of ``sc`` (loaded from the file or name ``label``) that
    does not share its world (population, seed, ticks, model), or whose name cannot sit beside
    ``sc``'s in one folder (``OUT/<name>`` for each: valid folder names, and different)."""
    from .store import check_run_name

    for world in ("population", "seed", "ticks", "model"):
        if getattr(ctl, world) != getattr(sc, world):
            raise ScenarioError(f"{sc.control}: {world} differs from {sc.name}'s; a control twin must share the world")
    check_run_name(sc.name, label)
    check_run_name(ctl.name, sc.control)
    if sc.name == ctl.name:
        raise ScenarioError(f"{label}: name: the scenario and its control twin ({sc.control}) are both named "
                            f"{sc.name!r}; --with-control writes OUT/<name> for each, so give them different names")


def from_manifest(manifest: dict, label: str = "manifest.json"):
    """The typed scenario a run was made with, rebuilt from its manifest."""
    sc = manifest.get("scenario") if isinstance(manifest, dict) else None
    if not isinstance(sc, dict):
        raise ScenarioError(f"{label}: no scenario in the manifest")
    return scenario_from_dict(sc, f"{label} (scenario)")


def schema_json() -> str:
    """The JSON Schema of a scenario file (any model)."""
    return json.dumps(scenario_adapter().json_schema(by_alias=True), indent=2)


__all__ = ["Scenario", "ScenarioBase", "load_scenario", "scenario_from_dict", "from_manifest", "builtin_scenarios",
           "schema_json", "check_control_twin"]
