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

Two single runs are one draw each: :func:`compare` then says that it has no interval
(``"interval": null``). Two *replicate sets* (``scsim run --replicates R``, the same seeds) are
compared seed by seed: each measure's end-of-run difference ``A - B`` is taken within each seed
(a pair of runs sharing world and random numbers), and the report gives the mean paired
difference with its 95% Student t interval over the R pairs and says whether the difference is
*within noise* (the interval contains 0). Per citizen, it says how many citizens the policy
touched at all (any column of ``citizens.parquet`` differs at the end), so a count such as "tier
changed" is read against it.

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
                "ticks": run.ticks, "citizens": run.citizens, "citizen_source": run.citizens}
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
    return {"label": str(p), "manifest": manifest, "ticks": ticks, "citizens": citizens,
            "citizen_source": f if f.is_file() else None}


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


def _source_columns(src: Any) -> list[str]:
    if isinstance(src, pd.DataFrame):
        return list(src.columns)
    import pyarrow.parquet as pq

    return list(pq.read_schema(src).names)


def _source_column(src: Any, name: str) -> np.ndarray:
    if isinstance(src, pd.DataFrame):
        col = src[name]
    else:
        import pyarrow.parquet as pq

        col = pq.read_table(src, columns=[name]).to_pandas()[name]
    if isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype(object)
    return col.to_numpy()


def _differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise ``a != b``, with NaN equal to NaN."""
    d = np.asarray(a != b, dtype=bool)
    if a.dtype.kind == "f" and b.dtype.kind == "f":
        d &= ~(np.isnan(a) & np.isnan(b))
    elif a.dtype.kind == "O" or b.dtype.kind == "O":
        na = pd.isna(a) & pd.isna(b)
        d &= ~np.asarray(na, dtype=bool)
    return d


def touched(src_a: Any, src_b: Any) -> dict | None:
    """How many citizens differ at all at the end between two runs of the same world: any column
    of ``citizens.parquet`` the two runs share (score, tier, sub-scores, perks, sanctions,
    listings, degree, ...), read one column at a time. ``src_a``/``src_b``: a ``citizens.parquet``
    path or a DataFrame. Returns ``touched`` (citizens), ``aligned``, ``columns`` (how many were
    compared) and ``by_column`` (citizens differing in each column that differs anywhere)."""
    if src_a is None or src_b is None:
        return None
    ca, cb = _source_columns(src_a), _source_columns(src_b)
    if "id" not in ca or "id" not in cb:
        return None
    ida, idb = _source_column(src_a, "id"), _source_column(src_b, "id")
    if ida.shape == idb.shape and np.array_equal(ida, idb):
        pa = pb = None
    else:
        pos = pd.Index(idb).get_indexer(ida)
        pa = np.flatnonzero(pos >= 0)
        pb = pos[pa]
    n = ida.size if pa is None else pa.size
    mask = np.zeros(n, dtype=bool)
    by: dict[str, int] = {}
    cols = [c for c in ca if c != "id" and c in set(cb)]
    for c in cols:
        a, b = _source_column(src_a, c), _source_column(src_b, c)
        if pa is not None:
            a, b = a[pa], b[pb]
        d = _differs(a, b)
        k = int(d.sum())
        if k:
            by[c] = k
            mask |= d
    return {"touched": int(mask.sum()), "aligned": int(n), "columns": len(cols),
            "by_column": dict(sorted(by.items(), key=lambda kv: (-kv[1], kv[0])))}


def compare(run_a: Any, run_b: Any) -> dict:
    """Compare two runs of the same world and seed; ``diff`` is always A minus B.

    ``run_a`` and ``run_b`` are run folders or :class:`scsim.Result` objects. Returns a JSON-able
    dict: ``simulated`` (true), ``a`` and ``b`` (folder, scenario), ``world`` (population, seed,
    ticks), ``measures`` (per ticks column: ``a``, ``b``, ``diff``, ``max_abs_diff``,
    ``identical``, ``first_divergence``), ``only_in_a``/``only_in_b`` (columns one run lacks),
    ``summary`` (the manifests' end-of-run summaries side by side), ``citizens`` (per-citizen
    differences at the end, with ``touched``: citizens whose end state differs at all) and
    ``interval`` (None: one run each has no interval). Raises a one-line :class:`ScsimError` when
    the runs are not of the same world.

    Two replicate sets (folders of ``scsim run --replicates R``, or
    :class:`~scsim.analysis.replicates.Replicates`) give :func:`compare_replicates`'s paired
    differences with 95% intervals instead.
    """
    from .replicates import Replicates, is_replicate_set

    set_a = isinstance(run_a, Replicates) or is_replicate_set(run_a)
    set_b = isinstance(run_b, Replicates) or is_replicate_set(run_b)
    if set_a or set_b:
        if not (set_a and set_b):
            one, other = (run_a, run_b) if set_a else (run_b, run_a)
            raise ScsimError(f"compare: {_name(one)} is a replicate set and {_name(other)} a single run; compare two "
                             "replicate sets (paired by seed) or two runs")
        return compare_replicates(run_a, run_b)
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
        "citizens": _with_touched(_citizens(A["citizens"], B["citizens"]), A["citizen_source"], B["citizen_source"]),
        "interval": None,
        "note": NO_INTERVAL,
    }


NO_INTERVAL = ("one run each: no interval; a single seed cannot tell a difference from noise. Run both with "
               "scsim run SCENARIO --replicates R --with-control (R >= 2) and compare the two sets")


def _name(x: Any) -> str:
    return str(getattr(x, "path", None) or x)


def _with_touched(ci: dict | None, src_a: Any, src_b: Any) -> dict | None:
    if ci is None:
        return None
    t = touched(src_a, src_b)
    if t is not None:
        ci["touched"] = t
    return ci


# ---------------------------------------------------------------------------------------------
# Replicate sets: paired differences with intervals


def _as_set(x: Any):
    from .replicates import Replicates

    if isinstance(x, Replicates):
        return x
    from .replicates import read_plan

    plan = read_plan(x)
    if plan is not None and plan.get("kind") == "replicate-pair":
        a, b = plan["sets"]
        raise ScsimError(f"compare: {x} holds two replicate sets; compare them with scsim compare {x} "
                         f"(or scsim compare {Path(x) / a} {Path(x) / b})")
    return Replicates.load(x)


def compare_replicates(set_a: Any, set_b: Any) -> dict:
    """Paired comparison of two replicate sets of the same world and seeds; ``diff`` is A - B.

    Each seed's runs are a pair (same world, same random numbers); for every end-of-run measure
    the paired differences are summarised by their mean, their sd and the 95% Student t interval
    of the mean over the ``n`` pairs (``n - 1`` degrees of freedom). ``within_noise`` is true when
    that interval contains 0 (false when every pair differs by the same nonzero amount);
    ``identical`` when every pair is equal. Per citizen, each pair is compared as
    :func:`compare` does and the counts (``touched``, ``tier_changed``, ...) get the same
    interval. Refuses sets whose seeds differ (naming them) and pairs that are not the same world.
    """
    from ..store import read_manifest
    from .replicates import INTERVAL, _seed_range, t_interval

    A, B = _as_set(set_a), _as_set(set_b)
    sa, sb = set(A.seeds), set(B.seeds)
    if sa != sb:
        only_a, only_b = sorted(sa - sb), sorted(sb - sa)
        parts = [f"only in A ({A.path}): {_seed_range(only_a)}" if only_a else "",
                 f"only in B ({B.path}): {_seed_range(only_b)}" if only_b else ""]
        raise ScsimError(f"compare: the replicate sets have different seeds ({'; '.join(p for p in parts if p)}); "
                         "paired differences need the same seeds (run both with the same --seed and --replicates)")
    seeds = sorted(sa)
    for s in seeds:
        fa, fb = A.folder(s), B.folder(s)
        check_same_world(read_manifest(fa), read_manifest(fb), str(fa), str(fb))
    ra = A.runs.set_index("seed").loc[seeds]
    rb = B.runs.set_index("seed").loc[seeds]
    num = lambda df: [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]  # noqa: E731
    common = [c for c in num(ra) if c in set(num(rb))]
    measures: dict[str, dict] = {}
    for c in common:
        a = ra[c].to_numpy(np.float64)
        b = rb[c].to_numpy(np.float64)
        d = a - b
        st = t_interval(d)
        same = bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))
        lo, hi = st["ci_low"], st["ci_high"]
        within = None if not (np.isfinite(lo) and np.isfinite(hi)) else bool(lo <= 0.0 <= hi)
        measures[c] = {"a_mean": json_value(float(np.nanmean(a)) if np.isfinite(a).any() else float("nan")),
                       "b_mean": json_value(float(np.nanmean(b)) if np.isfinite(b).any() else float("nan")),
                       "diff": json_value(st["mean"]), "sd": json_value(st["sd"]), "n": st["n"],
                       "ci_low": json_value(lo), "ci_high": json_value(hi),
                       "within_noise": True if same else within, "identical": same,
                       "diffs": [json_value(float(x)) for x in d]}
    only_a = [c for c in num(ra) if c not in set(num(rb))]
    only_b = [c for c in num(rb) if c not in set(num(ra))]
    per_seed = []
    for s in seeds:
        fa, fb = A.folder(s), B.folder(s)
        la, lb = _load(fa, "A"), _load(fb, "B")
        ci = _with_touched(_citizens(la["citizens"], lb["citizens"]), la["citizen_source"], lb["citizen_source"])
        per_seed.append(ci or {})
    counts: dict[str, list] = {}

    def grab(key: str, get) -> None:
        vals = []
        for ci in per_seed:
            try:
                vals.append(float(get(ci)))
            except (KeyError, TypeError):
                return
        counts[key] = vals

    grab("touched", lambda ci: ci["touched"]["touched"])
    grab("score_differs", lambda ci: ci["score"]["differs"])
    grab("tier_changed", lambda ci: ci["tier"]["changed"])
    for flag in ("sanctioned", "blacklisted"):
        grab(f"{flag}_only_a", lambda ci, f=flag: ci[f]["only_a"])
        grab(f"{flag}_only_b", lambda ci, f=flag: ci[f]["only_b"])
    citizens = {k: {**{kk: json_value(vv) for kk, vv in t_interval(v).items()}, "per_seed": [int(x) for x in v]}
                for k, v in counts.items()}
    if per_seed and "aligned" in per_seed[0]:
        citizens["aligned"] = int(per_seed[0]["aligned"])
    return {
        "simulated": True,
        "kind": "replicates",
        "a": {"set": str(A.path), "scenario": A.scenario_name},
        "b": {"set": str(B.path), "scenario": B.scenario_name},
        "world": {"population": A.population, "ticks": A.ticks, "seeds": seeds, "replicates": len(seeds)},
        "interval": {"level": 0.95, "method": f"paired differences A - B per seed; {INTERVAL}", "df": len(seeds) - 1},
        "measures": measures, "only_in_a": only_a, "only_in_b": only_b,
        "citizens": citizens,
    }


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    return f"{int(v):,}" if isinstance(v, (int, float)) else str(v)


def _table(head: tuple, body: list[tuple]) -> list[str]:
    width = [max(len(str(r[i])) for r in [head] + body) for i in range(len(head))]
    return ["  ".join(str(x).ljust(width[i]) if i == 0 else str(x).rjust(width[i]) for i, x in enumerate(r))
            for r in [head] + body]


def compare_replicates_text(c: dict, all_measures: bool = False) -> str:
    """A plain-text report of :func:`compare_replicates` (measures outside noise first)."""
    from .replicates import _seed_range

    w = c["world"]
    R = w["replicates"]
    lines = [f"A: {c['a']['set']} ({c['a']['scenario']}, {R} replicates)",
             f"B: {c['b']['set']} ({c['b']['scenario']}, {R} replicates)",
             f"paired by seed: {R} pairs of runs of the same world ({w['population']:,} simulated citizens, "
             f"{w['ticks']} ticks, seeds {_seed_range(w['seeds'])}); differences are A - B at the end",
             f"95% interval: Student t over the {R} paired differences ({R - 1} degrees of freedom); "
             "within noise: the interval contains 0", ""]
    ms = c["measures"]
    rows = [(k, m) for k, m in ms.items() if all_measures or not m["identical"]]
    rows.sort(key=lambda km: {False: 0, None: 1, True: 2}[km[1]["within_noise"]])
    same = [k for k, m in ms.items() if m["identical"]]
    if rows:
        body = []
        for k, m in rows:
            ci = f"[{_fmt(m['ci_low'])}, {_fmt(m['ci_high'])}]" if m["ci_low"] is not None else "-"
            wn = {True: "yes", False: "no", None: "-"}[m["within_noise"]]
            body.append((k, _fmt(m["a_mean"]), _fmt(m["b_mean"]), _fmt(m["diff"]), ci, _fmt(m["sd"]), wn))
        lines += _table(("measure", "A mean", "B mean", "A - B", "95% interval", "sd of A - B", "within noise"), body)
        out = sum(1 for _, m in rows if m["within_noise"] is False)
        lines.append(f"{out} of {len(rows)} differing measures lie outside noise")
    if same and not all_measures:
        lines += ["", f"identical in every pair ({len(same)}): {', '.join(same)}"]
    for side, cols in (("A", c["only_in_a"]), ("B", c["only_in_b"])):
        if cols:
            lines.append(f"only in {side}: {', '.join(cols)}")
    ci = c.get("citizens") or {}
    if ci:
        n = ci.get("aligned")
        lines += ["", f"citizens at the end (mean over the {R} pairs [95% interval]"
                  + (f"; {n:,} citizens aligned by id" if n else "") + "):"]

        def line(key: str, text: str) -> None:
            if key in ci:
                x = ci[key]
                lines.append(f"  {text}: {_fmt(x['mean'])} [{_fmt(x['ci_low'])}, {_fmt(x['ci_high'])}]")

        line("touched", "touched by the policy (any end state differs)")
        line("score_differs", "score differs")
        line("tier_changed", "in another tier in A than in B")
        for flag in ("sanctioned", "blacklisted"):
            line(f"{flag}_only_a", f"{flag} only in A")
            line(f"{flag}_only_b", f"{flag} only in B")
    lines += ["", "All citizens are simulated."]
    return "\n".join(lines)


def compare_text(c: dict, all_measures: bool = False) -> str:
    """A plain-text report of :func:`compare`'s result (differing measures first)."""
    if c.get("kind") == "replicates":
        return compare_replicates_text(c, all_measures)
    w = c["world"]
    lines = [f"A: {c['a']['run']} ({c['a']['scenario']})", f"B: {c['b']['run']} ({c['b']['scenario']})",
             f"same world: {w['population']:,} simulated citizens, seed {w['seed']}, {w['ticks']} ticks; "
             "differences are A - B", f"{c.get('note') or NO_INTERVAL}.", ""]

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
        t = ci.get("touched")
        if t:
            top = ", ".join(f"{k} {v:,}" for k, v in list(t["by_column"].items())[:4])
            lines.append(f"  touched by the policy (any end state differs, {t['columns']} columns compared): "
                         f"{t['touched']:,} of {t['aligned']:,} citizens" + (f" (by column: {top}, ...)" if top else ""))
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
            of = f" of the {ci['touched']['touched']:,} touched" if ci.get("touched") else ""
            lines.append(f"  tier: {t['changed']:,} citizens{of} in another tier in A than in B" + (f" (B -> A: {moves})" if moves else ""))
    lines += ["", "All citizens are simulated."]
    return "\n".join(lines)
