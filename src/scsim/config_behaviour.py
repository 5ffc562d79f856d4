"""Scenario sections for the social dynamics (MODEL.md sections 7, 8 and 9).

``[behaviour]`` (citizens respond), ``[groups]`` (units and supervisors) and ``[surveillance]``
(pattern of life). Every mechanism has its own switch; all are off unless a scenario turns them on.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class BehaviourConfig(_Model):
    """Citizens respond (MODEL.md section 7)."""


class GroupsConfig(_Model):
    """Collective scoring of units and supervisors' ratings (MODEL.md section 8)."""


class SurveillanceConfig(_Model):
    """Pattern of life and the watchlist (MODEL.md section 9)."""
