"""Exact explanations of a simulated citizen's score (MODEL.md section 5, "Explanation").

The score of citizen ``i`` at the last tick is (see :mod:`scsim.scoring`)::

    own_i = base + sum_r w_r * (Lb_r,i + Le_r,i)        (w_r: dimension weight, or 1 for points)
    m_i   = mean of friends' previous scores over the graph the last tick used (own_i if none)
    s_i   = clip((1 - a) * own_i + a * m_i, min, max), then capped at score.grade_cap while a
            grade-cap rule is active

so it splits exactly into terms that sum to ``s_i``:

* ``rule`` terms: ``base`` with value ``f * base`` and one term per rule with a non-zero ledger,
  value ``f * w_r * (Lb_r + Le_r)``, where ``f = 1 - a`` for a citizen with friends and ``f = 1``
  for one without (``m_i = own_i`` then, so the friends' term folds back into the own score).
  **Provenance is given as fields of each rule term**: ``behaviour`` (``f * w_r * Lb_r``, true
  events) and ``error`` (``f * w_r * Le_r``, misattributed events and false flags); they sum to
  ``value``.
* one ``network`` term, ``a * m_i``, whose field ``split`` lists each friend's share
  ``a / deg_i * prev_score_j`` (the friends of the graph the last tick's score used).
* ``clip`` terms: the exact corrections of the floor (``min - raw``), the ceiling
  (``max - raw``) and the grade cap (``cap - clip(raw)``), present only when they apply.

``contacts`` are the citizen's friends in the final graph, ranked by ``drag = a / deg_i *
(s_j - s_i)`` (final scores; most negative first): how much each friend pulls the score down.
``perks`` and ``sanctions`` hold what is in force at the end, each with its reason.

Every citizen is simulated: an explanation describes no real person.

>>> import scsim
>>> r = scsim.Simulation(scsim.load_scenario("article", population=3000, ticks=3, seed=2)).run()
>>> d = explain(r, 7)
>>> abs(sum(t["value"] for t in d["terms"]) - d["score"]) < 0.01
True
>>> explain_text(d).splitlines()[0]
'To simulated citizen #7 (a synthetic person: no real individual is described)'
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import ScsimError

TOLERANCE = 0.01
"""Largest allowed gap between the sum of the terms and the stored score."""

STATE_KEYS = ("ledger_behaviour", "ledger_error", "score", "prev_score", "score_indptr", "score_indices",
              "indptr", "indices")
OPTIONAL_KEYS = ("own",)
"""``own`` (the own score when the score was computed) reveals ledger edits made after scoring."""

BAN_WORDS = {"flights": "flights", "high_speed_rail": "high-speed rail", "star_hotels": "star hotels",
             "private_schools": "private schools for your children", "executive_posts": "executive posts",
             "bank_loans": "bank loans"}

PROFILE = ("age", "age_band", "sex", "region", "urban", "occupation", "income_quintile", "degree", "unit")


# ----------------------------------------------------------------------------------------------
# loading


class _Run:
    """What an explanation needs from a run: manifest, state arrays, one citizen's row."""

    def __init__(self, run: Any):
        from .results import Result

        if isinstance(run, Result):
            self.label = str(run.path) if run.path is not None else "run"
            self.manifest = run.manifest
            self.arrays = run.arrays
            self._citizens = run.citizens
            self.path = None
        elif isinstance(run, (str, Path)):
            from .store import read_manifest

            p = Path(run)
            self.label = str(p)
            self.manifest = read_manifest(p)
            f = p / "state.npz"
            if not f.is_file():
                raise ScsimError(f"{p}: run has no state.npz; explanations need the final ledgers and graph")
            try:
                with np.load(f) as z:  # read only the arrays an explanation uses
                    self.arrays = {k: z[k] for k in z.files if k in STATE_KEYS + OPTIONAL_KEYS}
            except Exception as e:  # corrupt or truncated archive
                raise ScsimError(f"{f}: unreadable state archive: {e.__class__.__name__}: {e}") from None
            self._citizens = None
            self.path = p
        else:
            raise ScsimError(f"explain: expected a run folder path or a scsim.Result, got {type(run).__name__}")
        missing = [k for k in STATE_KEYS if k not in self.arrays]
        if missing:
            raise ScsimError(f"{self.label}: state has no {', '.join(missing)}; this run (scenario "
                             f"{self.manifest.get('scenario_name')!r}) keeps no ledgers to explain scores from")
        self.n = int(self.arrays["score"].shape[0])

    def citizen_row(self, cid: int) -> dict:
        if self._citizens is not None:
            c = self._citizens
            if "id" in c.columns and 0 <= cid < len(c) and int(c["id"].iat[cid]) == cid:
                row = c.iloc[cid]
            else:
                rows = c.loc[c["id"] == cid] if "id" in c.columns else c.iloc[0:0]
                if rows.empty:
                    return {}
                row = rows.iloc[0]
            return row.to_dict()
        f = self.path / "citizens.parquet"
        if not f.is_file():
            raise ScsimError(f"{self.path}: run has no citizens table (citizens.parquet missing)")
        rows = pd.read_parquet(f, filters=[("id", "==", cid)])
        return rows.iloc[0].to_dict() if len(rows) else {}


def parse_citizen_id(text: Any, n: int, where: str = "--citizen") -> int:
    """A citizen id from user input, or a one-line :class:`ScsimError`.

    >>> parse_citizen_id("12", 100)
    12
    >>> parse_citizen_id("x", 100)
    Traceback (most recent call last):
    ...
    scsim.errors.ScsimError: --citizen 'x': expected an integer citizen id from 0 to 99
    """
    if isinstance(text, (bool, np.bool_)):
        raise ScsimError(f"{where} {text!r}: expected an integer citizen id from 0 to {n - 1}")
    try:
        cid = int(text) if isinstance(text, (int, np.integer)) else int(str(text).strip(), 10)
    except (TypeError, ValueError):
        raise ScsimError(f"{where} {text!r}: expected an integer citizen id from 0 to {n - 1}") from None
    if not 0 <= cid < n:
        raise ScsimError(f"{where} {cid}: no such citizen; this run's simulated citizens have ids 0 to {n - 1}")
    return cid


# ----------------------------------------------------------------------------------------------
# the explanation


def _py(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    return x


def explain(run: Any, citizen_id: Any) -> dict:
    """Explain citizen ``citizen_id``'s final score exactly; ``run`` is a run folder or a Result.

    Returns a JSON-able dict: ``citizen``, ``simulated`` (always true), ``scenario``, ``tick``,
    ``score``, ``tier``, ``profile``, ``terms`` (kinds ``rule``, ``network``, ``clip``; they sum to
    ``score`` within :data:`TOLERANCE`), ``contacts`` (``id``, ``score``, ``drag``; most negative
    drag first), ``perks`` and ``sanctions`` (``name``, ``reason``), ``transparent`` (whether the
    scenario shows rules to citizens), ``residual`` (terms' sum minus the stored score).

    Raises :class:`ScsimError` (one line) for an unknown citizen, a folder that is not a run, or
    a run without explanation state.
    """
    R = _Run(run)
    m = R.manifest
    sc = m.get("scenario") or {}
    cid = parse_citizen_id(citizen_id, R.n, where="citizen")
    A = R.arrays
    row = R.citizen_row(cid)
    score_cfg = sc.get("score", {})
    kind = score_cfg.get("kind", "sesame")
    base = float(score_cfg.get("base", 600.0))
    lo, hi = float(score_cfg.get("min", 350.0)), float(score_cfg.get("max", 950.0))
    cap_value = float(score_cfg.get("grade_cap", np.inf))
    dims = score_cfg.get("dimensions", {})
    alpha = float(sc.get("network", {}).get("alpha", 0.0))
    rule_names = list(m.get("rules") or sc.get("rules", {}).keys())
    rules_cfg = sc.get("rules", {})
    Lb = A["ledger_behaviour"][:, cid].astype(np.float64)
    Le = A["ledger_error"][:, cid].astype(np.float64)
    if Lb.shape[0] != len(rule_names):
        raise ScsimError(f"{R.label}: state.npz has {Lb.shape[0]} ledgers but the manifest lists {len(rule_names)} rules")
    s_i = float(A["score"][cid])
    prev = A["prev_score"]

    # friends at scoring time (the graph the last tick's friends' term used)
    sp, si = A["score_indptr"], A["score_indices"]
    nb_score = si[int(sp[cid]):int(sp[cid + 1])].astype(np.int64)
    deg_s = nb_score.size
    f = (1.0 - alpha) if deg_s > 0 else 1.0

    terms: list[dict] = [{"kind": "rule", "name": "base", "value": f * base,
                          "description": f"starting score {base:g}" + (f" x (1 - alpha {alpha:g})" if deg_s and alpha > 0 else "")}]
    own = base
    capped_by: list[str] = []
    for r, name in enumerate(rule_names):
        rc = rules_cfg.get(name, {})
        L = Lb[r] + Le[r]
        if rc.get("grade_cap") and abs(L) >= 0.5:
            capped_by.append(name)
        if L == 0.0:
            continue
        dim = rc.get("dimension", "")
        w = float(dims.get(dim, 1.0)) if kind == "sesame" else 1.0
        own += w * L
        terms.append({"kind": "rule", "name": name, "value": f * w * L, "behaviour": f * w * Lb[r], "error": f * w * Le[r],
                      "event": rc.get("event", ""), "dimension": dim, "weight": w, "points_per_event": rc.get("points"),
                      "ledger_points": L, "ledger_error_points": Le[r]})
    if deg_s > 0 and alpha > 0:
        vals = alpha / deg_s * prev[nb_score].astype(np.float64)
        order = np.lexsort((nb_score, vals))
        mean_f = float(prev[nb_score].astype(np.float64).mean())
        terms.append({"kind": "network", "name": "friends", "value": float(vals.sum()), "friends": int(deg_s),
                      "alpha": alpha, "mean_friends_score": mean_f,
                      "description": f"alpha {alpha:g} x mean of {deg_s} friends' scores last tick ({mean_f:.1f})",
                      "split": [{"id": int(nb_score[k]), "prev_score": float(prev[nb_score[k]]), "value": float(vals[k])}
                                for k in order]})
    raw = float(sum(t["value"] for t in terms))
    clipped = min(max(raw, lo), hi)
    if raw < lo:
        terms.append({"kind": "clip", "name": "floor", "value": lo - raw,
                      "description": f"the score cannot fall below {lo:g} (raw {raw:.2f})"})
    elif raw > hi:
        terms.append({"kind": "clip", "name": "ceiling", "value": hi - raw,
                      "description": f"the score cannot exceed {hi:g} (raw {raw:.2f})"})
    # the grade cap applied when the stored score sits at the cap below the clipped raw score
    if clipped > cap_value + 1e-3 and s_i <= cap_value + 1e-3:
        why = f"while {', '.join(capped_by)} is on record" if capped_by else "while a grade-cap rule was on record"
        terms.append({"kind": "clip", "name": "grade_cap", "value": cap_value - clipped, "rules": capped_by,
                      "description": f"capped at {cap_value:g} {why}"})
    total = float(sum(t["value"] for t in terms))
    residual = total - s_i
    if not abs(residual) <= TOLERANCE:
        raise ScsimError(f"{R.label}: citizen {cid}: the stored state gives {total:.4f} but the stored score is "
                         f"{s_i:.4f}; the run's state.npz does not match its scenario")
    for t in terms:
        for k in ("value", "behaviour", "error", "ledger_points", "ledger_error_points"):
            if k in t:
                t[k] = float(t[k])

    # contacts in the final graph, ranked by drag
    ip, ix = A["indptr"], A["indices"]
    nb = ix[int(ip[cid]):int(ip[cid + 1])].astype(np.int64)
    contacts: list[dict] = []
    if nb.size:
        sj = A["score"][nb].astype(np.float64)
        drag = alpha / nb.size * (sj - s_i)
        order = np.lexsort((nb, drag))
        contacts = [{"id": int(nb[k]), "score": float(sj[k]), "drag": float(drag[k])} for k in order]

    perks, sanctions = _perks_and_sanctions(sc, s_i, row)
    profile = {k: _py(row[k]) for k in PROFILE if k in row}
    tier = row.get("tier")
    if tier is None:
        tiers = sc.get("tiers") or []
        mins = [t["min"] for t in tiers]
        tier = tiers[max(int(np.searchsorted(mins, s_i, side="right")) - 1, 0)]["name"] if tiers else ""
    return {
        "citizen": cid, "simulated": True, "scenario": m.get("scenario_name"), "tick": m.get("ticks"),
        "seed": m.get("seed"), "score": s_i, "tier": str(tier), "own_score": own, "alpha": alpha,
        "score_kind": kind, "score_range": [lo, hi], "transparent": bool(score_cfg.get("transparent", False)),
        "system": bool(sc.get("system", True)), "profile": profile, "terms": terms, "residual": residual,
        "contacts": contacts, "perks": perks, "sanctions": sanctions,
    }


def _perks_and_sanctions(sc: dict, s: float, row: dict) -> tuple[list[dict], list[dict]]:
    """What the citizen holds and suffers at the end, each with its reason."""
    perks: list[dict] = []
    sanctions: list[dict] = []
    if not sc.get("system", True):
        return perks, sanctions
    for p in sorted(sc.get("perks") or [], key=lambda p: p["min_score"]):
        if s >= p["min_score"]:
            what = p.get("description") or p["name"].replace("_", " ")
            perks.append({"name": p["name"], "min_score": p["min_score"],
                          "reason": f"score {s:.1f} is at least {p['min_score']:g}: {what}"})
    cfg = sc.get("sanctions") or {}
    if not cfg.get("enabled", True):
        return perks, sanctions

    def flag(k: str) -> bool:
        v = row.get(k)
        return bool(v) if v is not None and not (isinstance(v, float) and np.isnan(v)) else False

    cut = cfg.get("income_cut", 0.0)
    th = cfg.get("slow_internet_below")
    if flag("slow_internet"):
        sanctions.append({"name": "slow_internet", "reason": f"score {s:.1f} is below {th:g}: slower internet"})
    th = cfg.get("job_restriction_below")
    if flag("job_restricted"):
        sanctions.append({"name": "job_restriction",
                          "reason": f"score {s:.1f} is below {th:g}: job restrictions (income cut by {100 * cut:g}%)"})
    th = cfg.get("loan_denied_below")
    if flag("loan_denied"):
        if th is not None and s < th:
            why = f"score {s:.1f} is below {th:g}: bank loans denied"
        else:
            why = "on the blacklist of dishonest judgement debtors: bank loans denied"
        sanctions.append({"name": "loan_denied", "reason": why})
    if flag("blacklisted"):
        until = row.get("listed_until")
        since = row.get("listed_since")
        n_list = row.get("listings")
        parts = ["listed as a dishonest judgement debtor for an unpaid court judgement"]
        if since is not None and not pd.isna(since):
            parts.append(f" since tick {int(since)}")
        if until is not None and not pd.isna(until):
            parts.append(f" until tick {int(until)} unless paid first")
        if n_list is not None and not pd.isna(n_list) and int(n_list) > 1:
            parts.append(f" (listing number {int(n_list)})")
        bans = ", ".join(BAN_WORDS.values())
        reason = "".join(parts) + f"; banned from {bans}"
        item = {"name": "blacklist", "reason": reason, "bans": list(BAN_WORDS)}
        if flag("listed_by_error"):
            item["by_error"] = True
            item["reason"] += "; the judgement on record was not yours (an error in the records)"
        for k, v in (("listed_since", since), ("listed_until", until)):
            if v is not None and not pd.isna(v):
                item[k] = int(v)
        sanctions.append(item)
    return perks, sanctions


# ----------------------------------------------------------------------------------------------
# the letter


def _fmt(v: float) -> str:
    return f"{v:+.2f}"


def explain_text(d: dict, contacts: int = 5) -> str:
    """The explanation as a plain-text letter to the (simulated) citizen.

    ``contacts`` limits how many friends the letter names (the JSON has all of them).
    """
    cid = d["citizen"]
    lines = [f"To simulated citizen #{cid} (a synthetic person: no real individual is described)", ""]
    p = d.get("profile", {})
    who = ", ".join(str(x) for x in (
        f"aged {p['age']}" if "age" in p else None, p.get("sex"), p.get("occupation"),
        (f"{'urban' if p['urban'] else 'rural'} {p.get('region', '')}".strip() if "urban" in p else p.get("region")))
        if x)
    if who:
        lines.append(f"You are {who}, in the {d.get('scenario')} scenario (seed {d.get('seed')}).")
    lines.append(f"After week {d.get('tick')} your score is {d['score']:.1f}, which places you in tier "
                 f"\"{d['tier']}\".")
    if not d.get("system", True):
        lines.append("The system is switched off in this scenario: the score is computed in the shadow "
                     "and brings you no perk and no sanction.")
    if not d.get("transparent", False):
        lines.append("The rules here are opaque: a real citizen under this system would not be shown this "
                     "letter. The simulation shows it so that its workings can be examined.")
    lines += ["", "How your score is made up (the lines add up to your score):"]
    terms = d["terms"]
    rule_terms = [t for t in terms if t["kind"] == "rule" and t["name"] != "base"]
    for t in terms:
        if t["kind"] == "rule" and t["name"] == "base":
            lines.append(f"  {_fmt(t['value']):>10}  {t.get('description', 'starting score')}")
    for t in sorted(rule_terms, key=lambda t: t["value"]):
        if "event" not in t:  # not a rule of the rulebook: say what it is
            lines.append(f"  {_fmt(t['value']):>10}  {t.get('description', t['name'])}")
            continue
        note = ""
        if abs(t.get("error", 0.0)) >= 0.005:
            note = f"  ({_fmt(t['error'])} of it from records that were not yours)"
        lines.append(f"  {_fmt(t['value']):>10}  {t['name'].replace('_', ' ')} ({t.get('event', '')}){note}")
    for t in terms:
        if t["kind"] == "network":
            lines.append(f"  {_fmt(t['value']):>10}  your friends: {t['description']}")
    for t in terms:
        if t["kind"] == "clip":
            lines.append(f"  {_fmt(t['value']):>10}  {t['description']}")
    lines.append(f"  {d['score']:>10.2f}  your score")
    err = sum(t.get("error", 0.0) for t in rule_terms)
    if abs(err) >= 0.005:
        lines += ["", f"Errors in the records (events misattributed to you, or false flags) moved your score "
                      f"by {_fmt(err)} points."]
    cs = d.get("contacts", [])
    if cs and d.get("alpha", 0) > 0:
        worst = [c for c in cs if c["drag"] < 0][:contacts]
        best = [c for c in reversed(cs) if c["drag"] > 0][:min(3, contacts)]
        lines += ["", f"You have {len(cs)} friends. Each pulls your score towards theirs by alpha/friends x "
                      "the gap between your scores."]
        if worst:
            lines.append("Those who drag it down most:")
            lines += [f"  citizen #{c['id']}: score {c['score']:.1f}, drag {_fmt(c['drag'])}" for c in worst]
        if best:
            lines.append("Those who lift it most:")
            lines += [f"  citizen #{c['id']}: score {c['score']:.1f}, lift {_fmt(c['drag'])}" for c in best]
    elif d.get("alpha", 0) > 0:
        lines += ["", "You have no friends in the graph, so your own score stands in for theirs."]
    lines += [""]
    if d.get("perks"):
        lines.append("What your score gives you:")
        lines += [f"  - {q['reason']}" for q in d["perks"]]
    else:
        lines.append("Your score gives you no perks.")
    if d.get("sanctions"):
        lines.append("What you are subject to:")
        lines += [f"  - {q['reason']}" for q in d["sanctions"]]
    else:
        lines.append("You are under no sanction.")
    lines += ["", "Everything in this letter is simulated by scsim; no real person is scored."]
    return "\n".join(lines)
