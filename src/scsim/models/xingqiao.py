"""The classroom model: the Stars of Xingqiao (MODEL.md section 8). One module runs each week:
``classroom`` (stars, the brightest star, janitorial duty, disputes, the teachers' bonus)."""
from __future__ import annotations

from typing import ClassVar, Literal

from ..engine.config import Field, ScenarioBase, model_validator
from ..mechanisms.classroom import Classroom, ClassroomConfig, ClassroomModuleConfig
from ..mechanisms.sanctions import TierConfig


class XingqiaoScenario(ScenarioBase):
    """A scenario of the classroom model (``xingqiao`` and its control twin)."""

    WORLD: ClassVar[tuple[str, ...]] = ("classroom.class_size", "classroom.conduct", "classroom.teacher_honesty", "classroom.weekly_noise", "classroom.categories")
    """Sections that build the world: two runs are comparable when these are equal."""

    model: Literal["xingqiao"] = Field(description="the classroom model")
    classroom: ClassroomConfig
    tiers: list[TierConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _cross(self):
        ClassroomModuleConfig(classroom=self.classroom, tiers=self.tiers)
        return self

    def memory_per_citizen(self) -> float:
        return 200 + 40 * len(self.classroom.categories)

    def load_graph(self):
        return None

    @property
    def tier_names(self) -> list[str]:
        return [t.name for t in self.tiers]

    def build_modules(self) -> list:
        return [Classroom(ClassroomModuleConfig(classroom=self.classroom, tiers=self.tiers), system=self.system)]
