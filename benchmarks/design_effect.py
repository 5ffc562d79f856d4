"""Measure the design effects used by the agreement criterion (benchmarks/benchlib.py).

Citizens are simulated: nothing here describes a real person.

Runs scsim's reference model many times on ONE graph (seeds differ) and compares the across-seed
SD of each per-tick statistic with what independent citizens would give: ``sd/sqrt(N)`` for the
mean score, the binomial SE ``sqrt(p(1-p)/N)`` for each band share. Prints the ratios per tick.

    python benchmarks/design_effect.py --population 10000 --ticks 20 --seeds 60
    python benchmarks/design_effect.py --population 2000 --ticks 4 --seeds 40
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import reference_graph  # noqa: E402


def design_effects(n: int, ticks: int, seeds: int) -> dict:
    """Ratios (per tick) of across-seed SD to the independent-citizen SE.

    >>> d = design_effects(500, 2, 4); len(d["mean"])
    2
    """
    import scsim

    g, _ = reference_graph(n, seed=1)
    means, sds, shares = [], [], []
    names = None
    for s in range(seeds):
        sim = scsim.Simulation(scsim.load_scenario("reference", population=n, ticks=ticks, seed=100 + s), graph=g)
        ref = sim.reference
        names = ref.tier_names
        m, d = [], []
        for _ in range(ticks):
            sim.step()
            m.append(ref.score.mean(dtype=np.float64))
            d.append(ref.score.std(dtype=np.float64))
        means.append(m)
        sds.append(d)
        shares.append([[r[f"share_{k}"] for k in names] for r in sim.collector.rows])
    means, sds, shares = np.array(means), np.array(sds), np.array(shares)
    out = {"mean": (means.std(0, ddof=1) / (sds.mean(0) / np.sqrt(n))).tolist()}
    p = shares.mean(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = shares.std(0, ddof=1) / np.sqrt(p * (1 - p) / n)
    for j, k in enumerate(names):
        if (p[:, j] > 0.01).any():
            out[f"share_{k}"] = np.where(p[:, j] > 0.01, r[:, j], np.nan).tolist()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Design effects of the reference model's statistics.")
    ap.add_argument("--population", type=int, default=10_000)
    ap.add_argument("--ticks", type=int, default=20)
    ap.add_argument("--seeds", type=int, default=60)
    a = ap.parse_args(argv)
    print(f"{a.population:,} simulated citizens, {a.ticks} ticks, {a.seeds} seeds on one graph")
    for k, v in design_effects(a.population, a.ticks, a.seeds).items():
        vals = [x for x in v if x == x]
        print(f"{k:<18} min {min(vals):.2f} max {max(vals):.2f}  per tick: " + " ".join(f"{x:.2f}" for x in v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
