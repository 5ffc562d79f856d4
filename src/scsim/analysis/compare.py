"""Counterfactual comparison of two runs of the same world (MODEL.md section 10).

Two runs are comparable when they simulate the same synthetic world with the same random
numbers: the same model, population size, seed and number of ticks, and the same sections that
build the world (``people``, ``graph``, ``units`` for the national model). Every random draw is
keyed by (seed, stream, tick, slot, citizen id) (:mod:`scsim.engine.streams`), so two such runs
share their draws citizen by citizen (common random numbers) and differ only for the citizens
the changed policy reaches.

:func:`compare` aligns ``ticks.parquet`` on ``tick`` and reports, for every numeric measure, the
end-of-run values in A and B, ``diff = A - B``, the largest absolute difference over the ticks,
whether the two series are identical and the first tick at which they diverge. It also compares
the citizens at the end, id by id: who is sanctioned or blacklisted in one run and not the other,
whose tier changed, how far scores moved.

All citizens are simulated.

>>> import scsim, tempfile, os
>>> d = tempfile.mkdtemp()
>>> for name in ("article", "article-control"):
...     _ = scsim.Simulation(scsim.load_scenario(name, population=3000, ticks=3, seed=5)).run().save(os.path.join(d, name))
>>> c = compare(os.path.join(d, "article"), os.path.join(d, "article-control"))
>>> c["measures"]["events_good_deeds"]["identical"]
True
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ScsimError
from ..store import json_value

CITIZEN_COLUMNS = ("id", "score", "tier", "sanctioned", "blacklisted")
EXAMPLES = 10
"""How many example ids are listed for each kind of per-citizen difference."""


def _flatten(d: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(d, dict):
        out: dict[str, Any] = {}
        for k, v in d.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: d}


def _load(run: Any, label: str) -> dict:
    from ..engine.results import Result
    from ..store import read_manifest, read_table

    if isinstance(run, Result):
        if run.path is None and not len(run.ticks):
            raise ScsimError(f"{label}: the result has no ticks to compare")
        return {"label": str(run.path) if run.path is not None else label, "manifest": run.manifest,
                "ticks": run.ticks, "citizens": run.citizens}
    if not isinstance(run, (str, Path)):
        raise ScsimError(f"compare: {label}: expected a run folder path or a scsim.Result, got {type(run).__name__}")
    p = Path(run)
    if not p.is_dir():
        raise ScsimError(f"{p}: no such run folder")
    manifest = read_manifest(p)
    ticks = read_table(p, "ticks")
    f = p / "citizens.parquet"
    citizens = None
    if f.is_file():
        import pyarrow.parquet as pq

        have = set(pq.read_schema(f).names)
        citizens = pd.read_parquet(f, columns=[c for c in CITIZEN_COLUMNS if c in have])
    return {"label": str(p), "manifest": manifest, "ticks": ticks, "citizens": citizens}


def _dotted(d: dict, key: str):
    for part in key.split("."):
        if not isinstance(d, dict):
            return None
        d = d.get(part)
    return d


def check_same_world(ma: dict, mb: dict, la: str = "A", lb: str = "B") -> None:
    """Raise a one-line :class:`ScsimError` unless two manifests describe the same world and seed:
    the same model, population, seed and length, and the same sections that build the world (the
    model's :attr:`~scsim.engine.config.ScenarioBase.WORLD`: citizens, graph and units for the
    national model, pupils and classes for the classroom)."""
    from ..models import MODELS

    sa, sb = ma.get("scenario") or {}, mb.get("scenario") or {}
    mod_a, mod_b = sa.get("model"), sb.get("model")
    if mod_a != mod_b:
        raise ScsimError(f"compare: the runs are of different models ({la}: {ma.get('scenario_name')}, {mod_a}; "
                         f"{lb}: {mb.get('scenario_name')}, {mod_b}); compare needs two runs of the same world")
    for key in ("population", "seed", "ticks"):
        va, vb = ma.get(key), mb.get(key)
        if va != vb:
            raise ScsimError(f"compare: the runs differ in {key} ({la}: {va}, {lb}: {vb}); compare needs two runs "
                             "of the same world, seed and length")
    world = MODELS[mod_a].WORLD if mod_a in MODELS else ()
    for sec in world:
        fa, fb = _flatten(_dotted(sa, sec) or {}, sec), _flatten(_dotted(sb, sec) or {}, sec)
        diff = sorted(k for k in set(fa) | set(fb) if fa.get(k) != fb.get(k))
        if diff:
            k = diff[0]
            more = f" (and {len(diff) - 1} more)" if len(diff) > 1 else ""
            raise ScsimError(f"compare: the runs are built on different worlds: {k} is {fa.get(k)!r} in {la} and "
                             f"{fb.get(k)!r} in {lb}{more}")


def _measures(ta: pd.DataFrame, tb: pd.DataFrame) -> tuple[dict, list, list]:
    if "tick" not in ta.columns or "tick" not in tb.columns:
        raise ScsimError("compare: a ticks table has no tick column")
    num_a = [c for c in ta.columns if c != "tick" and pd.api.types.is_numeric_dtype(ta[c])]
    num_b = [c for c in tb.columns if c != "tick" and pd.api.types.is_numeric_dtype(tb[c])]
    common = [c for c in num_a if c in set(num_b)]
    j = ta[["tick"] + common].merge(tb[["tick"] + common], on="tick", suffixes=("_a", "_b"), how="inner")
    j = j.sort_values("tick", kind="stable").reset_index(drop=True)
    ticks = j["tick"].to_numpy()
    out: dict[str, dict] = {}
    for c in common:
        a = j[f"{c}_a"].to_numpy(np.float64)
        b = j[f"{c}_b"].to_numpy(np.float64)
        d = a - b
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        diverge = np.flatnonzero(~same)
        absd = np.abs(d[~np.isnan(d)])
        out[c] = {"a": json_value(j[f"{c}_a"].iloc[-1]) if a.size else None, "b": json_value(j[f"{c}_b"].iloc[-1]) if b.size else None,
                  "diff": json_value(float(d[-1])) if d.size else None,
                  "max_abs_diff": json_value(float(absd.max())) if absd.size else 0.0,
                  "identical": bool(same.all()),
                  "first_divergence": int(ticks[diverge[0]]) if diverge.size else None}
    only_a = [c for c in num_a if c not in set(num_b)]
    only_b = [c for c in num_b if c not in set(num_a)]
    return out, only_a, only_b


def _examples(mask: np.ndarray, ids: np.ndarray) -> list[int]:
    return [int(x) for x in ids[np.flatnonzero(mask)[:EXAMPLES]]]


def _citizens(ca: pd.DataFrame | None, cb: pd.DataFrame | None) -> dict | None:
    if ca is None or cb is None or "id" not in ca.columns or "id" not in cb.columns:
        return None
    j = ca.merge(cb, on="id", suffixes=("_a", "_b"), how="inner")
    ids = j["id"].to_numpy()
    out: dict[str, Any] = {"aligned": int(len(j))}
    for flag in ("sanctioned", "blacklisted"):
        if f"{flag}_a" in j.columns and f"{flag}_b" in j.columns:
            a = j[f"{flag}_a"].to_numpy().astype(bool)
            b = j[f"{flag}_b"].to_numpy().astype(bool)
            out[flag] = {"a": int(a.sum()), "b": int(b.sum()), "both": int((a & b).sum()),
                         "only_a": int((a & ~b).sum()), "only_b": int((~a & b).sum()),
                         "examples_only_a": _examples(a & ~b, ids), "examples_only_b": _examples(~a & b, ids)}
    if "score_a" in j.columns and "score_b" in j.columns:
        d = j["score_a"].to_numpy(np.float64) - j["score_b"].to_numpy(np.float64)
        out["score"] = {"mean_diff": json_value(float(d.mean())) if d.size else None,
                        "mean_abs_diff": json_value(float(np.abs(d).mean())) if d.size else None,
                        "max_abs_diff": json_value(float(np.abs(d).max())) if d.size else None,
                        "differs": int((d != 0).sum()),
                        "lower_in_a": int((d < 0).sum()), "higher_in_a": int((d > 0).sum())}
    if "tier_a" in j.columns and "tier_b" in j.columns:
        changed = (j["tier_a"] != j["tier_b"]).to_numpy()
        moves = (j.loc[changed].groupby(["tier_a", "tier_b"], observed=True).size().reset_index(name="count")
                 .sort_values(["count", "tier_a", "tier_b"], ascending=[False, True, True], kind="stable"))
        out["tier"] = {"changed": int(changed.sum()), "examples": _examples(changed, ids),
                       "moves": [{"tier_a": str(r.tier_a), "tier_b": str(r.tier_b), "count": int(r.count)}
                                 for r in moves.itertuples(index=False)]}
    return out


def compare(run_a: Any, run_b: Any) -> dict:
    """Compare two runs of the same world and seed; ``diff`` is always A minus B.

    ``run_a`` and ``run_b`` are run folders or :class:`scsim.Result` objects. Returns a JSON-able
    dict: ``simulated`` (true), ``a`` and ``b`` (folder, scenario), ``world`` (population, seed,
    ticks), ``measures`` (per ticks column: ``a``, ``b``, ``diff``, ``max_abs_diff``,
    ``identical``, ``first_divergence``), ``only_in_a``/``only_in_b`` (columns one run lacks),
    ``summary`` (the manifests' end-of-run summaries side by side) and ``citizens`` (per-citizen
    differences at the end). Raises a one-line :class:`ScsimError` when the runs are not of the
    same world.
    """
    A = _load(run_a, "A")
    B = _load(run_b, "B")
    ma, mb = A["manifest"], B["manifest"]
    check_same_world(ma, mb, A["label"], B["label"])
    measures, only_a, only_b = _measures(A["ticks"], B["ticks"])
    sa, sb = ma.get("summary") or {}, mb.get("summary") or {}
    summary = {}
    for k in sa:
        va, vb = sa.get(k), sb.get(k)
        if k in sb and isinstance(va, (int, float)) and isinstance(vb, (int, float)) and not isinstance(va, bool):
            summary[k] = {"a": json_value(va), "b": json_value(vb), "diff": json_value(float(va) - float(vb))}
    return {
        "simulated": True,
        "a": {"run": A["label"], "scenario": ma.get("scenario_name")},
        "b": {"run": B["label"], "scenario": mb.get("scenario_name")},
        "world": {"population": ma.get("population"), "seed": ma.get("seed"), "ticks": ma.get("ticks")},
        "measures": measures, "only_in_a": only_a, "only_in_b": only_b, "summary": summary,
        "citizens": _citizens(A["citizens"], B["citizens"]),
    }


def compare_text(c: dict, all_measures: bool = False) -> str:
    """A plain-text report of :func:`compare`'s result (differing measures first)."""
    w = c["world"]
    lines = [f"A: {c['a']['run']} ({c['a']['scenario']})", f"B: {c['b']['run']} ({c['b']['scenario']})",
             f"same world: {w['population']:,} simulated citizens, seed {w['seed']}, {w['ticks']} ticks; "
             "differences are A - B", ""]

    def f(v):
        if v is None:
            return "-"
        if isinstance(v, float) and not v.is_integer():
            return f"{v:.4g}"
        return f"{int(v):,}" if isinstance(v, (int, float)) else str(v)

    rows = [(k, m) for k, m in c["measures"].items() if all_measures or not m["identical"]]
    same = [k for k, m in c["measures"].items() if m["identical"]]
    if rows:
        head = ("measure", "A (end)", "B (end)", "A - B", "max |A - B|", "diverges at tick")
        body = [(k, f(m["a"]), f(m["b"]), f(m["diff"]), f(m["max_abs_diff"]), f(m["first_divergence"])) for k, m in rows]
        width = [max(len(str(r[i])) for r in [head] + body) for i in range(len(head))]
        lines.append("  ".join(h.ljust(width[i]) if i == 0 else h.rjust(width[i]) for i, h in enumerate(head)))
        for r in body:
            lines.append("  ".join(str(x).ljust(width[i]) if i == 0 else str(x).rjust(width[i]) for i, x in enumerate(r)))
    if same and not all_measures:
        lines += ["", f"identical at every tick ({len(same)}): {', '.join(same)}"]
    for side, cols in (("A", c["only_in_a"]), ("B", c["only_in_b"])):
        if cols:
            lines.append(f"only in {side}: {', '.join(cols)}")
    ci = c.get("citizens")
    if ci:
        lines.append("")
        lines.append(f"citizens at the end ({ci['aligned']:,} aligned by id):")
        for flag in ("sanctioned", "blacklisted"):
            if flag in ci:
                x = ci[flag]
                lines.append(f"  {flag}: {x['a']:,} in A, {x['b']:,} in B; {x['only_a']:,} only in A, "
                             f"{x['only_b']:,} only in B, {x['both']:,} in both")
        if "score" in ci:
            s = ci["score"]
            lines.append(f"  score: differs for {s['differs']:,} citizens; mean A - B {f(s['mean_diff'])}, "
                         f"mean |A - B| {f(s['mean_abs_diff'])}, max |A - B| {f(s['max_abs_diff'])}")
        if "tier" in ci:
            t = ci["tier"]
            moves = ", ".join(f"{m['tier_b']} -> {m['tier_a']}: {m['count']:,}" for m in t["moves"][:5])
            lines.append(f"  tier: {t['changed']:,} citizens in another tier in A than in B" + (f" (B -> A: {moves})" if moves else ""))
    lines += ["", "All citizens are simulated."]
    return "\n".join(lines)
