"""Scenario sections for the social dynamics (MODEL.md sections 7, 8 and 9).

``[behaviour]`` (citizens respond), ``[groups]`` (units and supervisors) and ``[surveillance]``
(pattern of life). Every mechanism has its own switch; all are off unless a scenario turns them on.

A mechanism runs when its section's ``enabled`` *and* its own ``enabled`` are true (the
mechanisms' own switches default to true, so ``--set behaviour.enabled=true`` turns on every
behaviour with its defaults, and ``--set behaviour.rebuke.enabled=false`` then turns one off).
In a control twin (``system = false``) nothing responds, whatever the switches say: the columns
are still written (zeros, or the measurement of the unchanged world). docs/behaviour.md documents
every parameter.

>>> BehaviourConfig().enabled, GroupsConfig().enabled, SurveillanceConfig().enabled
(False, False, False)
>>> BehaviourConfig(enabled=True).ostracism.enabled
True
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# ---------------------------------------------------------------------------------------------
# [behaviour]: citizens respond (MODEL.md section 7)


class OstracismConfig(_Model):
    """Checking contacts: cut the friend who drags one's score down most; form new ties."""

    enabled: bool = True
    every: int = Field(4, ge=1, description="ticks between contact checks (4: monthly)")
    check_share: float = Field(0.5, ge=0, le=1, description="share of citizens who check their contacts at a check")
    cut_max: float = Field(0.5, ge=0, le=1, description="probability of cutting the worst drag when the drag is very large")
    drag_scale: float = Field(0.1, gt=0, description="drag (score points) at which the cut probability reaches 63% of cut_max")
    form_rate: float = Field(0.5, ge=0, le=1, description="chance per check that a citizen below their starting degree proposes a tie")
    proposals: int = Field(2, ge=1, le=8, description="rounds of proposals per check; a citizen proposes one tie per round while below the starting degree")
    matchmaking_share: float = Field(0.3, ge=0, le=1, description="share of proposals made through matchmaking (Baihe) instead of friends of friends")
    matchmaking_tier_weight: float = Field(2.0, ge=1, description="matchmaking offers a candidate with weight tier_weight**tier (high tiers first)")
    max_degree: int | None = Field(None, ge=1, description="no new tie beyond this degree; default graph.max_degree")


class RebukeConfig(_Model):
    """Higher-scoring friends press low scorers, whose dissent falls; it recovers slowly."""

    enabled: bool = True
    below: float | None = Field(None, description="only citizens scoring below this are rebuked; default the lowest sanction threshold, else the second tier's minimum")
    rate: float = Field(0.05, ge=0, le=1, description="weekly share of dissent lost under full pressure")
    gap_scale: float = Field(20.0, gt=0, description="friends' mean minus own score (points) that counts as full pressure")
    recovery: float = Field(0.01, ge=0, le=1, description="weekly share of the gap back to the latent dissent trait regained")


class CensorshipConfig(_Model):
    """Self-censorship: critical posts not written, growing with the perceived risk."""

    enabled: bool = True
    sensitivity: float = Field(0.3, ge=0, description="per score point of perceived risk")
    max_share: float = Field(0.9, ge=0, le=1, description="largest share of critical posts left unwritten")
    transparent_factor: float = Field(2.0, ge=0, description="perceived risk multiplier when score.transparent (the rules are known)")
    experience_weight: float = Field(0.1, ge=0, description="extra risk per recent flag on one's own record")
    rule: str = Field("flagged_post", min_length=1, description="the rule that punishes flagged posts")


class GamingConfig(_Model):
    """Gaming the metric: rewarded purchases (diapers, books) bought for the score."""

    enabled: bool = True
    boost: float = Field(0.5, ge=0, description="extra rewarded purchases (in units of the base rate) of a citizen who games")
    aware_share: float = Field(0.3, ge=0, le=1, description="share of citizens who know which purchases are rewarded while the rules are opaque")
    margin: float = Field(25.0, ge=0, description="citizens within this many points below a perk or sanction threshold game in full")
    base_effort: float = Field(0.3, ge=0, le=1, description="effort of aware citizens far from any threshold")


class AppealsConfig(_Model):
    """Some wrongly flagged citizens appeal; some win, after a delay, and the error points go."""

    enabled: bool = True
    rules: list[str] = Field(default_factory=lambda: ["flagged_post"], description="rules whose error points can be appealed")
    appeal_prob: float = Field(0.1, ge=0, le=1, description="chance a citizen who was wrongly flagged this tick appeals")
    transparent_factor: float = Field(2.0, ge=0, description="appeal chance multiplier when score.transparent (citizens see why their score fell)")
    win_prob: float = Field(0.4, ge=0, le=1, description="chance an appeal succeeds")
    delay: int = Field(8, ge=0, description="ticks from filing to decision")


class BehaviourConfig(_Model):
    """Citizens respond (MODEL.md section 7)."""

    enabled: bool = Field(False, description="master switch of the section")
    network_every: int = Field(13, ge=1, description="ticks between network measures (assortativity, components); values carry over")
    ostracism: OstracismConfig = Field(default_factory=OstracismConfig)
    rebuke: RebukeConfig = Field(default_factory=RebukeConfig)
    censorship: CensorshipConfig = Field(default_factory=CensorshipConfig)
    gaming: GamingConfig = Field(default_factory=GamingConfig)
    appeals: AppealsConfig = Field(default_factory=AppealsConfig)

    def on(self, name: str) -> bool:
        """Whether mechanism ``name`` runs (section and mechanism switches both on)."""
        return bool(self.enabled and getattr(self, name).enabled)


# ---------------------------------------------------------------------------------------------
# [groups]: units and supervisors (MODEL.md section 8)


class CollectiveConfig(_Model):
    """Collective rewards (top units) and punishments (bottom units) by the unit's mean score."""

    enabled: bool = True
    reward_share: float = Field(0.1, ge=0, le=1, description="share of units rewarded each tick (highest mean score)")
    punish_share: float = Field(0.1, ge=0, le=1, description="share of units punished each tick (lowest mean score)")
    reward_income: float = Field(0.05, ge=0, le=1, description="income bonus of a rewarded unit's members for the next tick")
    punish_income: float = Field(0.05, ge=0, le=1, description="income fine of a punished unit's members for the next tick")
    reward_rule: str | None = Field(None, description="optional rule whose ledger receives its points once per tick rewarded")
    punish_rule: str | None = Field(None, description="optional rule whose ledger receives its points once per tick punished")
    min_size: int = Field(5, ge=1, description="units smaller than this are not ranked")

    @model_validator(mode="after")
    def _check(self):
        if self.reward_share + self.punish_share > 1:
            raise ValueError("reward_share + punish_share must be at most 1")
        return self


class SupervisorsConfig(_Model):
    """Supervisors rate their members; a bonus growing with the unit's aggregate inflates ratings."""

    enabled: bool = True
    bonus_slope: float = Field(1.0, ge=0, description="supervisor's bonus per point of the unit's mean score above the population mean (0: no bonus, no inflation)")
    inflation_rate: float = Field(0.02, ge=0, description="rating points added per tick per unit of bonus_slope by a fully dishonest supervisor")
    max_bias: float = Field(1.5, ge=0, description="largest inflation of a rating (rating points, on the 1-5 scale)")
    honesty_trait: str = Field("prudence", description="latent trait that restrains a supervisor (inflation scales with 1 - trait)")
    audit_rate: float = Field(0.005, ge=0, le=1, description="weekly chance a supervisor is audited and the bias reset to 0")


class CategoryConfig(_Model):
    """A red-star category of the Xingqiao chart."""

    quantifiable: bool = Field(False, description="a count (minutes late) rather than the teacher's impression")
    noise: float = Field(0.25, ge=0, description="sd of the teacher's perception of the pupil's conduct")
    bias_share: float = Field(1.0, ge=0, le=1, description="share of the teacher's inflation that reaches this category")


class XingqiaoConfig(_Model):
    """The Stars of Xingqiao (MODEL.md section 8): one school, classes of 40."""

    class_size: int = Field(40, ge=2, description="pupils per class")
    semester_weeks: int = Field(20, ge=1, description="weeks per semester; treats and bonuses at its end")
    bar: float = Field(0.6, description="a star when the teacher's perception of conduct clears this bar")
    categories: dict[str, CategoryConfig] = Field(default_factory=lambda: {
        "punctuality": CategoryConfig(quantifiable=True, noise=0.05, bias_share=0.2),
        "classroom_manner": CategoryConfig(noise=0.25),
        "orderliness": CategoryConfig(noise=0.2),
    })
    conduct_a: float = Field(3.0, gt=0, description="pupils' conduct propensity ~ Beta(a, b)")
    conduct_b: float = Field(2.0, gt=0)
    weekly_noise: float = Field(0.15, ge=0, description="sd of a pupil's conduct from week to week")
    teacher_bonus: float = Field(1.0, ge=0, description="bonus to the teacher of the class with most stars in a semester (0: none)")
    inflation_rate: float = Field(0.01, ge=0, description="perception added per week per unit of bonus by a fully dishonest teacher")
    rivalry: float = Field(1.0, ge=0, description="extra inflation per unit of the class's star gap to the leading class (share of stars)")
    max_bias: float = Field(0.4, ge=0, description="largest inflation of the teacher's perception")
    semester_reset: float = Field(0.5, ge=0, le=1, description="share of a teacher's inflation removed when a new semester starts")
    effort: float = Field(0.02, ge=0, description="conduct a pupil gains per week after Friday janitorial duty (and keeps)")
    dispute_divergent: float = Field(0.05, ge=0, le=1, description="chance parents dispute a star decision that diverges from true conduct")
    dispute_unquantifiable: float = Field(0.01, ge=0, le=1, description="chance parents dispute a star denied in an unquantifiable category")
    dispute_inflation: float = Field(0.5, ge=0, le=1, description="chance per unit of the class's star surplus (given minus deserved, share of decisions) that parents protest mass inflation in a week")
    dispute_duty: float = Field(0.3, ge=0, le=1, description="chance parents dispute janitorial duty given to a pupil whose conduct was not the class's lowest")

    @model_validator(mode="after")
    def _check(self):
        if not self.categories:
            raise ValueError("categories must list at least one category")
        return self


class GroupsConfig(_Model):
    """Collective scoring of units and supervisors' ratings (MODEL.md section 8)."""

    enabled: bool = Field(False, description="master switch of the section")
    collective: CollectiveConfig = Field(default_factory=CollectiveConfig)
    supervisors: SupervisorsConfig = Field(default_factory=SupervisorsConfig)
    xingqiao: XingqiaoConfig | None = Field(None, description="the Stars of Xingqiao classroom: runs the classroom model instead of the national one")

    def on(self, name: str) -> bool:
        return bool(self.enabled and getattr(self, name).enabled)


# ---------------------------------------------------------------------------------------------
# [surveillance]: pattern of life (MODEL.md section 9)


class SurveillanceConfig(_Model):
    """Pattern of life and the watchlist (MODEL.md section 9)."""

    enabled: bool = Field(False, description="master switch of the section")
    every: int = Field(13, ge=1, description="ticks between analyses (the first at tick `every`); columns carry the last value in between")
    window: int = Field(4, ge=1, description="ticks of metadata counted for an inferred tie")
    min_contacts: int = Field(1, ge=1, description="k: calls and co-locations in the window that make an inferred tie (1: a single call)")
    hops: int = Field(1, ge=1, le=6, description="h: watchlist everyone within h hops of a flagged citizen on the inferred graph")
    flag_rule: str = Field("flagged_post", min_length=1, description="rule whose ledger flags a citizen")
    flag_points: float = Field(60.0, gt=0, description="a citizen is flagged when that rule's ledger is at or below -flag_points")
    flag_blacklisted: bool = Field(False, description="also flag everyone on the blacklist")
