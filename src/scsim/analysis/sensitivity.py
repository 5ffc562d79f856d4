"""Global sensitivity of a sweep's outputs to its parameters (SALib: Sobol or Morris).

The sweep must have been sampled for the method: ``--sample sobol N`` (Saltelli's scheme,
``N * (2D + 2)`` points) for Sobol indices, ``--sample morris N`` (``N`` trajectories,
``N * (D + 1)`` points) for Morris elementary effects. With replicates, each point's output is the
mean over its replicates (they share seeds across points: common random numbers), which removes
most of the noise that would otherwise show up as spurious sensitivity.

Sobol: first-order ``S1`` and total ``ST`` indices with their 95 % bootstrap half-widths
(``S1_conf``, ``ST_conf``); parameters ranked by ``ST``. Morris: ``mu_star`` (mean absolute
elementary effect, in the output's units per unit of the parameter's range), ``mu_star_conf``,
``sigma`` (spread: interaction or non-linearity); ranked by ``mu_star``. An output that does not
vary across the sweep (for Sobol: across its ``A`` and ``B`` base samples, whose variance the
indices divide by) has no variance to apportion: it is reported as ``constant`` with null indices.

>>> from scsim.analysis.sensitivity import DEFAULT_OUTPUTS
>>> DEFAULT_OUTPUTS
('mean_score', 'sanctioned', 'wrongful_sanctions')
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ScsimError
from .sweep import MORRIS_LEVELS, read_sweep, warnings_off

DEFAULT_OUTPUTS = ("mean_score", "sanctioned", "wrongful_sanctions")
METHODS = ("sobol", "morris")


def _clean(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def point_means(plan: dict[str, Any], table: pd.DataFrame, output: str) -> np.ndarray:
    """The output at each point of the plan, averaged over replicates; refuses an incomplete sweep."""
    npts = len(plan["points"])
    if output not in table.columns:
        numeric = [c for c in table.columns if c not in ("run_id", "point", "replicate", "seed", *plan["params"])]
        raise ScsimError(f"--output {output}: not a measure of this sweep (choose from {', '.join(numeric)})")
    counts = table.groupby("point")["run_id"].count().reindex(range(npts), fill_value=0)
    missing = int((plan["replicates"] - counts).clip(lower=0).sum())
    if missing:
        raise ScsimError(f"sweep.parquet: {missing} of {npts * plan['replicates']} runs are missing; "
                         "rerun the same scsim sweep command to finish them first")
    return table.groupby("point")[output].mean().reindex(range(npts)).to_numpy(dtype=float)


def analyze(out: str | Path, method: str | None = None, outputs: list[str] | tuple[str, ...] | None = None) -> dict[str, Any]:
    """Compute sensitivity indices of a finished sweep; returns the JSON-able result."""
    plan, table = read_sweep(out)
    design = plan["design"]
    if method is None:
        if design not in METHODS:
            raise ScsimError(f"{out}: a {design} sweep has no sample to compute sensitivity indices from; "
                             "sweep with --sample morris N or --sample sobol N and --range key=lo:hi")
        method = design
    if method not in METHODS:
        raise ScsimError(f"--method {method!r}: expected sobol or morris")
    if design != method:
        raise ScsimError(f"{out}: a {design} sweep cannot give {method} indices; sweep with --sample {method} N --range key=lo:hi")
    names = plan["params"]
    problem = {"num_vars": len(names), "names": names, "bounds": [[float(lo), float(hi)] for lo, hi in plan["ranges"].values()]}
    X = np.asarray(plan["sample"], dtype=float)
    res: dict[str, Any] = {"sweep": str(out), "method": method, "params": names, "ranges": plan["ranges"],
                           "n": plan["n"], "points": len(plan["points"]), "replicates": plan["replicates"], "outputs": {}}
    for o in outputs or DEFAULT_OUTPUTS:
        Y = point_means(plan, table, o)
        constant = bool(np.ptp(Y) == 0)
        if method == "sobol" and not constant:
            # Saltelli blocks of 2D+2 rows: A, AB_1..AB_D, BA_1..BA_D, B. The variance the indices
            # divide by comes from the A and B rows only; without it they are 0/0, not 0.
            step = 2 * len(names) + 2
            constant = bool(np.ptp(np.r_[Y[0::step], Y[step - 1::step]]) == 0)
        entry: dict[str, Any] = {"mean": _clean(Y.mean()), "std": _clean(Y.std()), "constant": constant}
        if entry["constant"]:
            entry["indices"] = {p: None for p in names}
            entry["ranking"] = []
        else:
            with warnings_off():
                if method == "sobol":
                    from SALib.analyze import sobol

                    si = sobol.analyze(problem, Y, calc_second_order=True, seed=plan["base_seed"] % 2**32)
                    keys = ("S1", "S1_conf", "ST", "ST_conf")
                    rank_key = "ST"
                else:
                    from SALib.analyze import morris

                    si = morris.analyze(problem, X, Y, num_levels=plan.get("morris_levels", MORRIS_LEVELS),
                                        seed=plan["base_seed"] % 2**32)
                    keys = ("mu_star", "mu_star_conf", "sigma", "mu")
                    rank_key = "mu_star"
            entry["indices"] = {p: {k: _clean(si[k][j]) for k in keys} for j, p in enumerate(names)}
            entry["ranking"] = sorted(names, key=lambda p: -(entry["indices"][p][rank_key] or 0.0))
        res["outputs"][o] = entry
    return res


def write(out: str | Path, res: dict[str, Any]) -> Path:
    from ..store import write_json

    p = Path(out) / "sensitivity.json"
    write_json(p, res)
    return p


def table(res: dict[str, Any]):
    """A rich table of the result (one block of rows per output)."""
    from rich.table import Table

    sobol = res["method"] == "sobol"
    t = Table(title=f"{res['method'].capitalize()} sensitivity: {res['points']} points x {res['replicates']} replicates "
                    "(simulated citizens)")
    t.add_column("output")
    t.add_column("parameter")
    cols = ("S1", "S1 95% ±", "ST", "ST 95% ±") if sobol else ("mu*", "mu* 95% ±", "sigma")
    keys = ("S1", "S1_conf", "ST", "ST_conf") if sobol else ("mu_star", "mu_star_conf", "sigma")
    for c in cols:
        t.add_column(c, justify="right")
    for o, e in res["outputs"].items():
        if e["constant"]:
            t.add_row(o, "(no variance over the sweep's base samples: nothing to apportion)", *[""] * len(cols))
            continue
        for j, p in enumerate(e["ranking"]):
            ind = e["indices"][p]
            t.add_row(o if j == 0 else "", p, *["—" if ind[k] is None else f"{ind[k]:.3g}" for k in keys])
    return t
