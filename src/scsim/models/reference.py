"""The benchmark reference model (MODEL.md section 12): ``people`` (the demography a graph is
built from), ``graph`` (the social graph, unmeasured) and ``reference`` (four Poisson events,
a decaying ledger, the friends' term)."""
from __future__ import annotations

from typing import ClassVar, Literal

from ..engine.config import Field, ScenarioBase, model_validator
from ..mechanisms.network import GraphConfig, SocialGraph, load_edge_list
from ..mechanisms.people import Demography, DemographyConfig
from ..mechanisms.reference import Reference, ReferenceConfig, ReferenceModuleConfig
from ..mechanisms.sanctions import TierConfig


class ReferenceScenario(ScenarioBase):
    """A scenario of the reference model (``reference`` and its control twin)."""

    WORLD: ClassVar[tuple[str, ...]] = ("people", "graph")
    """Sections that build the world: two runs are comparable when these are equal."""

    model: Literal["reference"] = Field(description="the benchmark reference model")
    people: DemographyConfig
    graph: GraphConfig
    reference: ReferenceConfig
    tiers: list[TierConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _cross(self):
        ReferenceModuleConfig(reference=self.reference, tiers=self.tiers)
        return self

    @property
    def mean_degree(self) -> float:
        return self.graph.mean_degree

    def memory_per_citizen(self) -> float:
        return 100 + 30 * self.graph.mean_degree

    def load_graph(self):
        return load_edge_list(self.graph.path) if self.graph.kind == "edgelist" else None

    @property
    def tier_names(self) -> list[str]:
        return [t.name for t in self.tiers]

    def build_modules(self) -> list:
        return [Demography(self.people), SocialGraph(self.graph, measures=False),
                Reference(ReferenceModuleConfig(reference=self.reference, tiers=self.tiers))]
