"""The model a run was made with, rebuilt from its manifest: the one home of the model's meaning
after a run.

:func:`run_model` turns a run's manifest back into the typed scenario and its modules (made, not
run), so that the explanation, the comparison, the report and the dashboard ask the modules
themselves what a score means (the tier of a score, perks and sanctions with their reasons, the
drag of a friend, the decomposition of a score) instead of re-deriving it from raw dicts.

>>> import scsim
>>> r = scsim.Simulation(scsim.load_scenario("article", population=2000, ticks=2)).run()
>>> m = run_model(r.manifest)
>>> m.sanctions.tier_name(620.0), m.alpha
('good', 0.1)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ScsimError


@dataclass
class RunModel:
    """A run's scenario and modules. Modules are reachable by name (``m.scoring``); a model
    without a module of that name answers None."""

    scenario: Any
    modules: dict = field(default_factory=dict)

    def __getattr__(self, name: str):
        mods = self.__dict__.get("modules", {})
        if name in mods:
            return mods[name]
        if name.startswith("_"):
            raise AttributeError(name)
        return None

    @property
    def model(self) -> str:
        return self.scenario.model

    @property
    def alpha(self) -> float:
        """The weight of friends' scores (0 where the model has no friends' term)."""
        if self.scoring is not None:
            return self.scoring.alpha
        if self.reference is not None:
            return float(self.reference.config.reference.alpha)
        return 0.0

    @property
    def tiers(self):
        """The module that knows the tiers (sanctions, classroom or reference)."""
        for name in ("sanctions", "classroom", "reference"):
            if name in self.modules:
                return self.modules[name]
        return None

    @property
    def tier_names(self) -> list[str]:
        t = self.tiers
        return list(t.tier_names) if t is not None else []

    def tier_name(self, score: float) -> str | None:
        t = self.tiers
        if t is None or score is None:
            return None
        return t.tier_names[int(t.tier_of([score])[0])]

    @property
    def score_range(self) -> tuple[float, float] | None:
        if self.scoring is not None:
            return self.scoring.bounds
        if self.classroom is not None:
            return self.classroom.score_range
        if self.reference is not None:
            p = self.reference.config.reference
            return float(p.min), float(p.max)
        return None

    def drag(self, degree, s_friend, s_self):
        """How much a friend pulls a citizen's score: ``alpha / degree * (s_friend - s_self)``."""
        if self.scoring is not None:
            return self.scoring.drag(degree, s_friend, s_self)
        import numpy as np

        return self.alpha / np.maximum(degree, 1) * (np.asarray(s_friend, np.float64) - np.asarray(s_self, np.float64))

    def perks_and_sanctions(self, score: float, row: dict) -> tuple[list[dict], list[dict]]:
        if self.sanctions is None or score is None:
            return [], []
        return self.sanctions.perks_and_sanctions(float(score), row)


def run_model(manifest: dict, label: str = "manifest.json") -> RunModel:
    """The typed scenario and modules of a run, from its manifest; a one-line error if the
    manifest's scenario is missing or invalid."""
    from ..scenario import from_manifest

    try:
        sc = from_manifest(manifest, label)
    except ScsimError as e:
        raise ScsimError(f"{label}: cannot rebuild the run's model: {e}") from None
    mods = {m.name: m for m in sc.build_modules()}
    return RunModel(sc, mods)


SCORE_SUMMARY = ("mean_score", "score_p05", "score_p25", "score_p50", "score_p75", "score_p95", "gini")
"""Columns of the score distribution (shown by the score figures, not the per-module ones)."""


def column_info(manifest: dict, present: list[str] | None = None) -> dict[str, dict]:
    """Label, unit, description, module and cadence of each ``ticks`` column, as the modules
    declared them (a run without declarations, or a column it did not declare, gets its name)."""
    out = {c["name"]: dict(c) for c in manifest.get("columns") or [] if isinstance(c, dict) and isinstance(c.get("name"), str)}
    for name in present or []:
        out.setdefault(name, {"name": name, "label": name.replace("_", " "), "unit": "", "description": "",
                              "module": "measures", "every": 0})
    return out


def measure_groups(manifest: dict, present: list[str]) -> list[dict]:
    """The run's measures grouped for charts: one group per module and unit, in the order the
    modules ran (``{"module", "label", "unit", "columns"}``), leaving out the tick, the score
    distribution and the tier shares, which have figures of their own. Only columns in
    ``present`` are listed."""
    labels = {m["name"]: m.get("label") or m["name"] for m in manifest.get("modules") or []
              if isinstance(m, dict) and isinstance(m.get("name"), str)}
    info = column_info(manifest, present)
    have = set(present)
    groups: dict[tuple[str, str], dict] = {}
    for name, c in info.items():
        if name == "tick" or name in SCORE_SUMMARY or name.startswith("share_") or name not in have:
            continue
        key = (str(c.get("module", "")), str(c.get("unit", "")))
        g = groups.setdefault(key, {"module": key[0], "label": labels.get(key[0], key[0]), "unit": key[1], "columns": []})
        g["columns"].append(name)
    return list(groups.values())
