"""Harm measures by group (MODEL.md section 10). Placeholder until the audit work (issue 4) lands."""
from __future__ import annotations

import pandas as pd


def disparity(citizens: pd.DataFrame) -> pd.DataFrame:
    """Sanction and blacklist rates, mean score and impact ratio per group of each attribute."""
    return pd.DataFrame({"attribute": [], "group": []})
