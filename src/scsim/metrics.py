"""What is measured each tick (MODEL.md section 10): one row of ``ticks.parquet``.

Score quantiles and the Gini coefficient come from a histogram of scores at 0.1-point resolution
(exact to within 0.1 point), which costs one pass over the citizens. The harms of the system
(:func:`harms`) are counted here too; disparities by group are in :mod:`scsim.audit`.
"""
from __future__ import annotations

import numpy as np

from .scoring import combine
from .tiers import score_sanctions

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
RESOLUTION = 0.1


def score_summary(score: np.ndarray, lo: float, hi: float) -> dict[str, float]:
    """Mean, quantiles and Gini of scores in ``[lo, hi]`` (histogram at 0.1-point bins).

    >>> s = np.array([400., 600., 800.], np.float32)
    >>> d = score_summary(s, 350, 950)
    >>> round(d["mean_score"], 3), d["score_p50"]
    (600.0, 600.0)
    """
    n = score.shape[0]
    nb = int(round((hi - lo) / RESOLUTION)) + 1
    idx = np.clip(np.rint((score - lo) / RESOLUTION).astype(np.int64), 0, nb - 1)
    h = np.bincount(idx, minlength=nb)
    cum = np.cumsum(h)
    out = {"mean_score": float(score.mean(dtype=np.float64))}
    for q in QUANTILES:
        k = np.searchsorted(cum, q * n - 1e-9, side="left") if n else 0
        out[f"score_p{int(q * 100):02d}"] = round(lo + float(k) * RESOLUTION, 1)
    # Gini of the binned distribution (values are positive: the score floor is > 0 in practice)
    vals = lo + np.arange(nb) * RESOLUTION
    tot = float((h * vals).sum())
    if n and tot > 0:
        cumv = np.cumsum(h * vals)
        # G = 1 - sum_k h_k (2 C_{k-1} + h_k v_k) / (n * tot)
        prev = np.r_[0.0, cumv[:-1]]
        out["gini"] = float(1.0 - (h * (2 * prev + h * vals)).sum() / (n * tot))
    else:
        out["gini"] = 0.0
    return out


def gini_exact(x: np.ndarray) -> float:
    """Exact Gini coefficient (for tests and small arrays)."""
    x = np.sort(np.asarray(x, np.float64))
    n = x.size
    if n == 0 or x.sum() == 0:
        return 0.0
    i = np.arange(1, n + 1)
    return float((2 * i - n - 1) @ x / (n * x.sum()))


def harms(sim, capped: np.ndarray) -> dict[str, int]:
    """Wrongful sanctions and guilt by association after this tick's scoring.

    * ``wrongful_sanctions``: sanctioned now, and would not be without error points (the score
      recomputed without them, including any grade cap they set off; a blacklisting caused by an
      error event alone).
    * ``guilt_by_association``: under a score-based sanction now, which the own score alone (no
      friends' term) would not bring.
    """
    sc = sim.scenario
    st = sim.sanctions
    lo, hi, cap = sc.score.min, sc.score.max, sc.score.grade_cap
    capped_noerr = sim.rules.capped(sim.ledger_behaviour, np.zeros_like(sim.ledger_error)) if capped.any() else capped
    s_noerr, _ = combine(sim.own - sim.own_error, sim.friends_mean, sc.network.alpha, lo, hi, capped_noerr, cap)
    a, b, c = score_sanctions(sc, s_noerr)
    noerr = a | b | c | (st.blacklisted & ~st.listed_by_error)
    by_score = st.slow_internet | st.job_restricted | (st.loan_denied & ~st.blacklisted)
    own_only, _ = combine(sim.own, sim.own, 0.0, lo, hi, capped, cap)
    a, b, c = score_sanctions(sc, own_only)
    return {"wrongful_sanctions": int((st.sanctioned & ~noerr).sum()),
            "guilt_by_association": int((by_score & ~(a | b | c)).sum())}
