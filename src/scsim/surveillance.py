"""Placeholder: filled in by the social-dynamics work (issue 3)."""
from __future__ import annotations


def step(sim, t: int) -> dict:
    """Run this tick's mechanisms; return the columns they add to the tick's row."""
    return {}
