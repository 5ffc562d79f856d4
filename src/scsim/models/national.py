"""The national model: the article's system, and the commercial and city variants built on it.

A tick, top to bottom (the order of :meth:`NationalScenario.build_modules`):

1. ``ostracism``, ``rebuke``, ``censorship``, ``gaming``, ``appeals``: citizens respond to the
   scores the last tick left them with (MODEL.md section 7);
2. ``groups``: collective rewards and punishments, supervisors' ratings (section 8);
3. ``surveillance``: pattern-of-life analysis and the watchlist (section 9);
4. ``sources``: the ten data sources draw this tick's events and errors (section 4);
5. ``scoring``: ledgers, own scores, the friends' term (section 5);
6. ``sanctions``: tiers, perks, sanctions, the blacklist and their feedback (section 6);
7. ``audit``: harms, tier flows, the panel (section 10);

then every module's measures, in the same order, make one row of ``ticks.parquet``. ``people``
(section 2) and ``graph`` (section 3) come first: they build the world when the run starts, and
the graph module measures the network each tick.
"""
from __future__ import annotations

from typing import ClassVar, Literal

from ..engine.config import Field, ScenarioBase, check_name, did_you_mean, model_validator
from ..mechanisms.audit import Audit, AuditConfig
from ..mechanisms.behaviour import Appeals, BehaviourConfig, Censorship, Gaming, Ostracism, Rebuke
from ..mechanisms.groups import Groups, GroupsConfig, GroupsModuleConfig, UnitsConfig
from ..mechanisms.network import GraphConfig, SocialGraph, load_edge_list
from ..mechanisms.people import People, PeopleConfig
from ..mechanisms.sanctions import PerkConfig, Sanctions, SanctionsConfig, SanctionsModuleConfig, TierConfig
from ..mechanisms.scoring import NetworkConfig, RuleConfig, ScoreConfig, Scoring, ScoringConfig
from ..mechanisms.sources import Sources, SourcesConfig, check_peak_rates
from ..mechanisms.surveillance import Surveillance, SurveillanceConfig

KEPT_EVENTS = ("courts.judgement_unpaid",)
"""Events recorded per citizen because a module reads them (the blacklist), scored or not."""


class NationalScenario(ScenarioBase):
    """A scenario of the national model (``article``, ``sesame``, ``rongcheng`` and twins)."""

    WORLD: ClassVar[tuple[str, ...]] = ("people", "graph", "units")
    """Sections that build the world: two runs are comparable when these are equal."""

    model: Literal["national"] = Field(description="the national model")
    people: PeopleConfig
    graph: GraphConfig
    units: UnitsConfig
    network: NetworkConfig
    score: ScoreConfig
    tiers: list[TierConfig] = Field(min_length=1)
    perks: list[PerkConfig] = Field(default_factory=list)
    sanctions: SanctionsConfig
    sources: SourcesConfig
    rules: dict[str, RuleConfig]
    behaviour: BehaviourConfig = Field(default_factory=BehaviourConfig)
    groups: GroupsConfig = Field(default_factory=GroupsConfig)
    surveillance: SurveillanceConfig = Field(default_factory=SurveillanceConfig)
    audit: AuditConfig

    @model_validator(mode="after")
    def _cross(self):
        ScoringConfig(score=self.score, network=self.network, rules=self.rules)
        SanctionsModuleConfig(tiers=self.tiers, perks=self.perks, sanctions=self.sanctions)
        boost = self.behaviour.gaming.boost if self.behaviour.on("gaming") and self.system else 0.0
        default_boost = self.sanctions.loan_default_boost if self.sanctions.enabled and self.system else 0.0
        if boost or default_boost:
            check_peak_rates(self.sources, boost or 0.0, default_boost, "sources.",
                             " and behaviour.gaming.boost, sanctions.loan_default_boost")
        names = list(self.rules)

        def rule(value: str | None, where: str) -> None:
            if value is not None and value not in names:
                raise ValueError(f"{where}: unknown rule {value!r}{did_you_mean(value, names)}")

        rule(self.behaviour.censorship.rule, "behaviour.censorship.rule")
        for i, r in enumerate(self.behaviour.appeals.rules or []):
            rule(r, f"behaviour.appeals.rules[{i}]")
        rule(self.surveillance.flag_rule, "surveillance.flag_rule")
        rule(self.groups.collective.reward_rule, "groups.collective.reward_rule")
        rule(self.groups.collective.punish_rule, "groups.collective.punish_rule")
        return self

    @property
    def mean_degree(self) -> float:
        return self.graph.mean_degree

    def memory_per_citizen(self) -> float:
        return 250 + 8 * len(self.rules) + 30 * self.graph.mean_degree

    def load_graph(self):
        """The imported graph of ``graph.kind = "edgelist"`` (else None: generated at init)."""
        return load_edge_list(self.graph.path) if self.graph.kind == "edgelist" else None

    @property
    def tier_names(self) -> list[str]:
        return [t.name for t in self.tiers]

    def recorded_events(self) -> tuple[str, ...]:
        """Events the system records per citizen: those its rules score and those kept."""
        return tuple(sorted({r.event for r in self.rules.values()} | set(KEPT_EVENTS)))

    def build_modules(self) -> list:
        b = self.behaviour
        return [
            People(self.people),
            SocialGraph(self.graph),
            Ostracism(b.effective("ostracism"), max_degree=self.graph.max_degree),
            Rebuke(b.effective("rebuke")),
            Censorship(b.effective("censorship")),
            Gaming(b.effective("gaming")),
            Appeals(b.effective("appeals")),
            Groups(GroupsModuleConfig(units=self.units, groups=self.groups)),
            Surveillance(self.surveillance),
            Sources(self.sources, recorded=self.recorded_events()),
            Scoring(ScoringConfig(score=self.score, network=self.network, rules=self.rules)),
            Sanctions(SanctionsModuleConfig(tiers=self.tiers, perks=self.perks, sanctions=self.sanctions),
                      system=self.system),
            Audit(self.audit),
        ]


__all__ = ["NationalScenario", "check_name"]
