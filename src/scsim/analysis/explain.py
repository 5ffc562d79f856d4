"""Exact explanations of a simulated citizen's score (MODEL.md section 5, "Explanation").

The score of citizen ``i`` at the last tick is (see :mod:`scsim.mechanisms.scoring`)::

    own_i = base + sum_r w_r * (Lb_r,i + Le_r,i)        (w_r: dimension weight, or 1 for points)
    m_i   = mean of friends' previous scores over the graph the last tick used (own_i if none)
    s_i   = clip((1 - a) * own_i + a * m_i, min, max), then capped at score.grade_cap while a
            grade-cap rule is active

so it splits exactly into terms that sum to ``s_i`` (:meth:`Scoring.decompose`, the scoring
module's own function; this module loads a run and writes the letter):

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

from ..errors import ScsimError

TOLERANCE = 0.01
"""Largest allowed gap between the sum of the terms and the stored score."""

STATE_KEYS = ("ledger_behaviour", "ledger_error", "score", "prev_score", "indptr", "indices")
"""What an explanation reads from ``state.npz``."""

PROFILE = ("age", "age_band", "sex", "region", "urban", "occupation", "income_quintile", "degree", "unit")


# ----------------------------------------------------------------------------------------------
# loading


class _Run:
    """What an explanation needs from a run: manifest, state arrays, one citizen's row."""

    def __init__(self, run: Any):
        from ..engine.results import Result

        if isinstance(run, Result):
            self.label = str(run.path) if run.path is not None else "run"
            self.manifest = run.manifest
            self.arrays = run.arrays
            self._citizens = run.citizens
            self.path = None
        elif isinstance(run, (str, Path)):
            from ..store import read_manifest

            p = Path(run)
            self.label = str(p)
            self.manifest = read_manifest(p)
            f = p / "state.npz"
            if not f.is_file():
                raise ScsimError(f"{p}: run has no state.npz; explanations need the final ledgers and graph")
            try:
                with np.load(f, allow_pickle=False) as z:  # read only the arrays an explanation uses
                    self.arrays = {k: z[k] for k in z.files if k in STATE_KEYS}
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

    The terms come from the run's own scoring module (:meth:`Scoring.decompose`), the perks and
    sanctions from its sanctions module, rebuilt from the manifest.

    Raises :class:`ScsimError` (one line) for an unknown citizen, a folder that is not a run, or
    a run without explanation state.
    """
    from .model import run_model

    R = _Run(run)
    m = R.manifest
    model = run_model(m, f"{R.label}/manifest.json")
    scoring, sanctions = model.scoring, model.sanctions
    if scoring is None or sanctions is None:
        raise ScsimError(f"{R.label}: the {model.model} model keeps no ledgers to explain scores from")
    cid = parse_citizen_id(citizen_id, R.n, where="citizen")
    A = R.arrays
    row = R.citizen_row(cid)
    if A["ledger_behaviour"].shape[0] != len(scoring.rule_names):
        raise ScsimError(f"{R.label}: state.npz has {A['ledger_behaviour'].shape[0]} ledgers but the scenario has "
                         f"{len(scoring.rule_names)} rules")
    Lb = A["ledger_behaviour"][:, cid]
    Le = A["ledger_error"][:, cid]
    s_i = float(A["score"][cid])
    prev = A["prev_score"]
    # friends at scoring time: the score of the last tick was computed on the final graph (ties
    # are cut and formed at the start of a tick, before the sources and the score)
    ip, ix = A["indptr"], A["indices"]
    nb = ix[int(ip[cid]):int(ip[cid + 1])].astype(np.int64)
    terms = scoring.decompose(Lb, Le, s_i, nb, prev[nb])
    total = float(sum(t["value"] for t in terms))
    residual = total - s_i
    if not abs(residual) <= TOLERANCE:
        raise ScsimError(f"{R.label}: citizen {cid}: the stored state gives {total:.4f} but the stored score is "
                         f"{s_i:.4f}; the run's state.npz does not match its scenario")
    own = float(scoring.config.score.base) + float(scoring.weight.astype(np.float64) @ (Lb.astype(np.float64) + Le))
    # contacts in the final graph, ranked by drag
    contacts: list[dict] = []
    if nb.size:
        sj = A["score"][nb].astype(np.float64)
        drag = scoring.drag(nb.size, sj, s_i)
        order = np.lexsort((nb, drag))
        contacts = [{"id": int(nb[k]), "score": float(sj[k]), "drag": float(drag[k])} for k in order]
    perks, sanctions_ = sanctions.perks_and_sanctions(s_i, row)
    profile = {k: _py(row[k]) for k in PROFILE if k in row}
    sc = model.scenario
    return {
        "citizen": cid, "simulated": True, "scenario": m.get("scenario_name"), "tick": m.get("ticks"),
        "seed": m.get("seed"), "score": s_i, "tier": str(row.get("tier") or sanctions.tier_name(s_i)),
        "own_score": own, "alpha": scoring.alpha, "score_kind": sc.score.kind, "score_range": list(scoring.bounds),
        "transparent": bool(sc.score.transparent), "system": bool(sc.system), "profile": profile, "terms": terms,
        "residual": residual, "contacts": contacts, "perks": perks, "sanctions": sanctions_,
    }


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
