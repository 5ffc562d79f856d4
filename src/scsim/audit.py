"""Harm measures by group (MODEL.md section 10): disparate impact and the four-fifths rule.

:func:`disparity` turns the citizens at the end of a run into one row per group of each audited
attribute (``sex``, ``age_band``, ``region``, ``urban``, ``income_quintile``); the run folder
stores it as ``disparity.parquet``. The per-tick harm measures (``wrongful_sanctions``,
``guilt_by_association``, ``gini``), ``transitions.parquet`` and ``persistence_at_bottom`` are
computed by the engine (:mod:`scsim.model`, :mod:`scsim.results`); ``docs/audit.md`` defines them.

Definitions used here
---------------------
* ``sanction_rate``: share of the group with any sanction in force at the end (blacklist, slow
  internet, job restriction or denied loan); ``blacklist_rate``: share on the blacklist.
* ``impact_ratio`` = the group's sanction rate / the lowest sanction rate among the groups of the
  same attribute (the *least-sanctioned* group). When that lowest rate is 0 the ratio is 1.0 for
  groups whose own rate is also 0 and ``+inf`` for groups with a positive rate.
* ``four_fifths_violation``: the four-fifths rule of US employment law, stated for selection rates
  (a group selected at less than 4/5 of the most-selected group's rate suffers adverse impact),
  applied to an adverse outcome by comparing rates the other way round: a group violates it when
  ``least_rate / group_rate < 0.8``, i.e. when its sanction rate exceeds 1.25 times the
  least-sanctioned group's (``impact_ratio > 1.25``). A group with rate 0 never violates it; with
  a least rate of 0, every group with a positive rate does.

All citizens are simulated.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

ATTRIBUTES = ("sex", "age_band", "region", "urban", "income_quintile")
"""The attributes audited, in the order of the table's rows."""

FOUR_FIFTHS = 0.8
"""Threshold of the four-fifths rule (least rate / group rate below it is a violation)."""

COLUMNS = ("attribute", "group", "population", "sanctioned", "sanction_rate", "blacklist_rate", "mean_score",
           "impact_ratio", "four_fifths_violation", "reference_group")
"""``sanctioned`` is the count behind ``sanction_rate``; ``reference_group`` names the attribute's
least-sanctioned group (the first in sorted order on a tie), the denominator of ``impact_ratio``."""


def _empty() -> pd.DataFrame:
    return pd.DataFrame({
        "attribute": pd.Series([], dtype=object), "group": pd.Series([], dtype=object),
        "population": pd.Series([], dtype=np.int64), "sanctioned": pd.Series([], dtype=np.int64),
        "sanction_rate": pd.Series([], dtype=np.float64), "blacklist_rate": pd.Series([], dtype=np.float64),
        "mean_score": pd.Series([], dtype=np.float64), "impact_ratio": pd.Series([], dtype=np.float64),
        "four_fifths_violation": pd.Series([], dtype=bool), "reference_group": pd.Series([], dtype=object)})


def _group_labels(attribute: str, values: pd.Series) -> pd.Series:
    """Readable string labels: ``urban`` True/False become ``urban``/``rural``."""
    if attribute == "urban" and values.dtype == bool:
        return values.map({True: "urban", False: "rural"}).astype(object)
    return values.astype(str).astype(object)


def disparity(citizens: pd.DataFrame) -> pd.DataFrame:
    """Sanction and blacklist rates, mean score and impact ratio per group of each attribute.

    ``citizens`` needs ``sanctioned``, ``blacklisted``, ``score`` and the audited attribute
    columns (attributes it lacks are skipped; without the outcome columns the table is empty).
    Returns one row per (attribute, group) with the columns of :data:`COLUMNS`; ``group`` is a
    string (``urban`` is ``"urban"``/``"rural"``, quintiles ``"1"`` (poorest) .. ``"5"``).

    >>> df = pd.DataFrame({"sex": ["male"] * 4 + ["female"] * 4,
    ...                    "sanctioned": [1, 1, 0, 0, 1, 0, 0, 0], "blacklisted": [0] * 8,
    ...                    "score": [500., 520., 600., 610., 540., 600., 620., 640.]})
    >>> d = disparity(df)
    >>> d[["group", "sanction_rate", "impact_ratio", "four_fifths_violation"]].to_string(index=False)
    ' group  sanction_rate  impact_ratio  four_fifths_violation\\nfemale           0.25           1.0                  False\\n  male           0.50           2.0                   True'
    """
    need = {"sanctioned", "blacklisted", "score"}
    if not need <= set(citizens.columns) or len(citizens) == 0:
        return _empty()
    sanctioned = citizens["sanctioned"].to_numpy().astype(bool)
    blacklisted = citizens["blacklisted"].to_numpy().astype(bool)
    score = citizens["score"].to_numpy().astype(np.float64)
    parts = []
    for attr in ATTRIBUTES:
        if attr not in citizens.columns:
            continue
        frame = pd.DataFrame({"group": _group_labels(attr, citizens[attr]), "s": sanctioned,
                              "b": blacklisted, "score": score})
        g = frame.groupby("group", sort=True, observed=True).agg(
            population=("s", "size"), sanctioned=("s", "sum"), sanction_rate=("s", "mean"),
            blacklist_rate=("b", "mean"), mean_score=("score", "mean")).reset_index()
        least = float(g["sanction_rate"].min())
        rate = g["sanction_rate"].to_numpy(np.float64)
        if least > 0:
            ratio = rate / least
        else:
            ratio = np.where(rate > 0, np.inf, 1.0)
        g["impact_ratio"] = ratio
        # least / rate < 0.8, written without dividing by a zero rate
        g["four_fifths_violation"] = (rate > 0) & (least < FOUR_FIFTHS * rate)
        g["reference_group"] = g["group"].iloc[int(np.argmin(rate))]
        g.insert(0, "attribute", attr)
        parts.append(g)
    if not parts:
        return _empty()
    out = pd.concat(parts, ignore_index=True)
    out["attribute"] = out["attribute"].astype(object)
    out["group"] = out["group"].astype(object)
    out["reference_group"] = out["reference_group"].astype(object)
    out["population"] = out["population"].astype(np.int64)
    out["sanctioned"] = out["sanctioned"].astype(np.int64)
    out["four_fifths_violation"] = out["four_fifths_violation"].astype(bool)
    return out[list(COLUMNS)]
