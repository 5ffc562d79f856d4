"""Citizens respond (MODEL.md section 7): one module per mechanism, each with its own switch.

``[behaviour]`` holds the master switch and one table per mechanism; a mechanism runs when the
master switch *and* its own ``enabled`` are true (``--set behaviour.rebuke.enabled=false`` turns
one off, ``--set behaviour.enabled=false`` all of them). A mechanism that is off needs no
parameters; one that is on needs them all. In a control twin (``system = false``) nothing
responds, whatever the switches say. docs/behaviour.md documents every parameter.
"""
from __future__ import annotations

from ...engine.config import Config, Field
from .appeals import Appeals, AppealsConfig
from .censorship import Censorship, CensorshipConfig
from .gaming import Gaming, GamingConfig
from .ostracism import Ostracism, OstracismConfig
from .rebuke import Rebuke, RebukeConfig


class BehaviourConfig(Config):
    """Citizens respond (MODEL.md section 7). A mechanism whose table is absent is off."""

    enabled: bool = Field(False, description="master switch of the section")
    ostracism: OstracismConfig = Field(default_factory=OstracismConfig)
    rebuke: RebukeConfig = Field(default_factory=RebukeConfig)
    censorship: CensorshipConfig = Field(default_factory=CensorshipConfig)
    gaming: GamingConfig = Field(default_factory=GamingConfig)
    appeals: AppealsConfig = Field(default_factory=AppealsConfig)

    def on(self, name: str) -> bool:
        """Whether mechanism ``name`` runs (section and mechanism switches both on)."""
        return bool(self.enabled and getattr(self, name).enabled)

    def effective(self, name: str):
        """The mechanism's config with ``enabled`` the effective switch."""
        cfg = getattr(self, name)
        return cfg.model_copy(update={"enabled": self.on(name)})


__all__ = ["BehaviourConfig", "Ostracism", "Rebuke", "Censorship", "Gaming", "Appeals", "OstracismConfig",
           "RebukeConfig", "CensorshipConfig", "GamingConfig", "AppealsConfig"]
