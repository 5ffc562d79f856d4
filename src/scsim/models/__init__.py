"""The models: which modules a scenario runs, in which order.

A scenario names its model (``model = "national" | "xingqiao" | "reference"``); the model's
scenario class validates the file and lists the modules of a tick
(:meth:`~scsim.engine.config.ScenarioBase.build_modules`).

* :mod:`~scsim.models.national`: the article's national system (``article``, ``sesame``,
  ``rongcheng``);
* :mod:`~scsim.models.xingqiao`: the Stars of Xingqiao classroom;
* :mod:`~scsim.models.reference`: the benchmark reference model.
"""
from .national import NationalScenario
from .reference import ReferenceScenario
from .xingqiao import XingqiaoScenario

MODELS = {"national": NationalScenario, "xingqiao": XingqiaoScenario, "reference": ReferenceScenario}

__all__ = ["MODELS", "NationalScenario", "XingqiaoScenario", "ReferenceScenario"]
