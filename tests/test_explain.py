"""Exact explanations of a simulated citizen's score."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import scsim
from scsim.cli import main
from scsim.errors import ScsimError
from scsim.analysis.explain import explain, explain_text
from scsim.analysis.model import run_model

N = 4000
T = 5


def _run(name, **over):
    return scsim.Simulation(scsim.load_scenario(name, population=N, ticks=T, seed=5, **over)).run()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("explain")
    out = {
        "article": _run("article"),
        # a narrow score range: many citizens sit on the floor or the ceiling
        "narrow": _run("article", **{"score.min": 596.0, "score.max": 604.0, "network.alpha": 0.3}),
        # frequent drunk-driving flags (true and false): many scores capped at grade C (849)
        "rongcheng": _run("rongcheng", **{"sources.courts.rates.drunk_driving": 0.01,
                                          "sources.courts.false_flags.drunk_driving": 0.01}),
        # a harsh world with sanctions and the blacklist (unpaid judgements are frequent)
        "harsh": _run("article", **{"score.base": 552.0, "sources.courts.rates.court_judgement": 0.02,
                                    "sources.courts.params.unpaid_share": 0.5}),
        "sesame": _run("sesame"),
    }
    paths = {k: r.save(root / k) for k, r in out.items()}
    return out, paths


def _ids(r, k=120, seed=0):
    """Random citizens plus every special case: clipped, capped, friendless, erroneous, sanctioned."""
    c = r.citizens
    sc = r.manifest["scenario"]["score"]
    s = c["score"].to_numpy()
    rng = np.random.default_rng(seed)
    cap = sc["grade_cap"] if sc.get("grade_cap") is not None else np.inf
    special = np.flatnonzero((s <= sc["min"]) | (s >= sc["max"]) | (np.abs(s - cap) < 1e-3)
                             | (c["degree"].to_numpy() == 0) | (c["error_points"].to_numpy() != 0)
                             | c["sanctioned"].to_numpy())
    special = rng.permutation(special)[:k]
    return np.unique(np.r_[rng.choice(len(c), k, replace=False), special])


@pytest.mark.parametrize("name", ["article", "narrow", "rongcheng", "harsh", "sesame"])
def test_terms_sum_to_the_score(runs, name):
    r = runs[0][name]
    A = r.arrays
    alpha = r.manifest["scenario"]["network"]["alpha"]
    for i in _ids(r):
        d = explain(r, int(i))
        total = sum(t["value"] for t in d["terms"])
        assert abs(total - d["score"]) < 0.01
        assert d["score"] == pytest.approx(float(A["score"][i]))
        assert {t["kind"] for t in d["terms"]} <= {"rule", "network", "clip"}
        assert d["terms"][0]["name"] == "base"
        for t in d["terms"]:
            if t["kind"] == "rule" and t["name"] != "base":
                assert t["behaviour"] + t["error"] == pytest.approx(t["value"], abs=1e-9)
            if t["kind"] == "network":
                assert sum(x["value"] for x in t["split"]) == pytest.approx(t["value"], abs=1e-6)
                assert t["value"] == pytest.approx(alpha * float(A["friends_mean"][i]), abs=1e-3)
        # the error provenance adds up to the citizen's error points, scaled like the own score
        f = (1 - alpha) if any(t["kind"] == "network" for t in d["terms"]) else 1.0
        err = sum(t.get("error", 0.0) for t in d["terms"] if t["kind"] == "rule")
        assert err == pytest.approx(f * float(r.citizens["error_points"].iat[i]), abs=1e-3)


def test_clip_terms_at_the_bounds(runs):
    r = runs[0]["narrow"]
    s = r.citizens["score"].to_numpy()
    floor, ceil = np.flatnonzero(s <= 596.0), np.flatnonzero(s >= 604.0)
    assert floor.size > 20 and ceil.size > 20
    for i in floor[:20]:
        clip = [t for t in explain(r, int(i))["terms"] if t["kind"] == "clip"]
        assert [t["name"] for t in clip] == ["floor"] and clip[0]["value"] > 0
    for i in ceil[:20]:
        clip = [t for t in explain(r, int(i))["terms"] if t["kind"] == "clip"]
        assert [t["name"] for t in clip] == ["ceiling"] and clip[0]["value"] < 0


def test_grade_cap_term(runs):
    r = runs[0]["rongcheng"]
    k = r.manifest["rules"].index("drunk_driving")
    L = r.arrays["ledger_behaviour"][k] + r.arrays["ledger_error"][k]
    own = r.arrays["own"]
    capped = np.flatnonzero((np.abs(L) >= 0.5) & (own > 849.0))
    assert capped.size > 20
    for i in capped[:30]:
        d = explain(r, int(i))
        cap = [t for t in d["terms"] if t["name"] == "grade_cap"]
        assert len(cap) == 1 and cap[0]["kind"] == "clip" and cap[0]["value"] < 0
        assert "drunk_driving" in cap[0]["rules"]
        assert d["score"] == pytest.approx(849.0)
        assert abs(sum(t["value"] for t in d["terms"]) - 849.0) < 0.01


def test_contacts_ranked_by_drag(runs):
    r = runs[0]["article"]
    A = r.arrays
    i = int(np.argmax(r.citizens["degree"].to_numpy()))
    d = explain(r, i)
    nb = A["indices"][A["indptr"][i]:A["indptr"][i + 1]]
    assert sorted(c["id"] for c in d["contacts"]) == sorted(nb.tolist())
    drags = [c["drag"] for c in d["contacts"]]
    assert drags == sorted(drags) and drags[0] < 0 < drags[-1]
    for c in d["contacts"][:10]:
        assert c["drag"] == pytest.approx(0.1 / nb.size * (float(A["score"][c["id"]]) - d["score"]), rel=1e-6)
        assert c["score"] == pytest.approx(float(A["score"][c["id"]]))


def test_perks_and_sanctions_with_reasons(runs):
    r = runs[0]["harsh"]
    c = r.citizens
    both = np.flatnonzero(c["blacklisted"].to_numpy() & c["slow_internet"].to_numpy())
    assert both.size > 0
    d = explain(r, int(both[0]))
    names = [s["name"] for s in d["sanctions"]]
    assert names == ["slow_internet", "job_restriction", "loan_denied", "blacklist"]
    assert f"score {d['score']:.1f} is below 550: slower internet" in d["sanctions"][0]["reason"]
    assert "flights" in d["sanctions"][3]["reason"] and "high-speed rail" in d["sanctions"][3]["reason"]
    # perks: the count stored per citizen, each with its threshold
    r = runs[0]["article"]
    c = r.citizens
    good = np.flatnonzero(c["perks"].to_numpy() > 0)
    assert good.size > 0
    for i in good[:20]:
        d = explain(r, int(i))
        assert len(d["perks"]) == int(c["perks"].iat[i]) and not d["sanctions"]
        assert all(d["score"] >= p["min_score"] and "is at least" in p["reason"] for p in d["perks"])
    # a control twin has neither
    ctl = _run("article-control", **{"score.base": 552.0})
    low = int(np.argmin(ctl.citizens["score"].to_numpy()))
    d = explain(ctl, low)
    assert d["score"] < 550 and d["perks"] == [] and d["sanctions"] == [] and d["system"] is False


def test_path_and_result_agree_and_text_reads_like_a_letter(runs):
    res, paths = runs
    r = res["harsh"]
    i = int(np.flatnonzero(r.citizens["sanctioned"].to_numpy())[0])
    a, b = explain(r, i), explain(paths["harsh"], i)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    text = explain_text(b)
    assert text.startswith(f"To simulated citizen #{i}")
    assert "simulated" in text.splitlines()[-1]
    assert f"{b['score']:.1f}" in text and b["tier"] in text
    for s in b["sanctions"]:
        assert s["reason"] in text


def _cli(argv, capsys):
    rc = main(argv)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_cli_explain(runs, capsys):
    p = runs[1]["article"]
    rc, out, err = _cli(["explain", str(p), "--citizen", "17", "--json"], capsys)
    assert rc == 0, err
    d = json.loads(out)
    assert d["citizen"] == 17 and abs(sum(t["value"] for t in d["terms"]) - d["score"]) < 0.01
    rc, out, _ = _cli(["explain", str(p), "--citizen", "17"], capsys)
    assert rc == 0 and out.startswith("To simulated citizen #17")


@pytest.mark.parametrize("args, message", [
    (["--citizen", str(N)], f"--citizen {N}: no such citizen"),
    (["--citizen", "-1"], "--citizen -1: no such citizen"),
    (["--citizen", "seven"], "--citizen 'seven': expected an integer"),
    ([], "--citizen: missing"),
])
def test_cli_explain_bad_citizen(runs, capsys, args, message):
    rc, out, err = _cli(["explain", str(runs[1]["article"])] + args, capsys)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_cli_explain_bad_runs(runs, tmp_path, capsys):
    rc, _, err = _cli(["explain", str(tmp_path / "nowhere"), "--citizen", "1"], capsys)
    assert rc == 2 and err.count("\n") == 1 and "not a run folder" in err
    bare = tmp_path / "bare"
    shutil.copytree(runs[1]["article"], bare)
    (bare / "state.npz").unlink()
    rc, _, err = _cli(["explain", str(bare), "--citizen", "1"], capsys)
    assert rc == 2 and err.count("\n") == 1 and "no state.npz" in err
    (bare / "state.npz").write_bytes(b"not an archive")
    rc, _, err = _cli(["explain", str(bare), "--citizen", "1"], capsys)
    assert rc == 2 and err.count("\n") == 1 and "unreadable state archive" in err
    ref = scsim.Simulation(scsim.load_scenario("reference", population=500, ticks=2)).run().save(tmp_path / "ref")
    rc, _, err = _cli(["explain", str(ref), "--citizen", "1"], capsys)
    assert rc == 2 and err.count("\n") == 1 and "keeps no ledgers" in err


def test_api_errors(runs):
    r = runs[0]["article"]
    with pytest.raises(ScsimError, match="no such citizen"):
        explain(r, N + 5)
    with pytest.raises(ScsimError, match="expected a run folder path or a scsim.Result"):
        explain(42, 1)


def test_ledgers_edited_by_behaviour_still_explain_exactly():
    # appeals won (error points removed) and unit rewards/punishments (points added) edit the
    # ledgers; the engine runs them at the start of a tick, before scoring, so the saved ledgers
    # give the saved own score exactly and the terms still sum to the score
    over = {"behaviour.enabled": True, "behaviour.appeals.delay": 1, "behaviour.appeals.appeal_prob": 1.0,
            "behaviour.appeals.win_prob": 1.0, "groups.enabled": True,
            "groups.collective.reward_rule": "volunteering", "groups.collective.punish_rule": "video_games"}
    r = _run("article", **over)
    assert r.ticks["appeals_won"].iloc[-1] > 0 and r.ticks["citizens_punished"].iloc[-1] > 0
    scoring = run_model(r.manifest).scoring
    gap = np.abs(scoring.own_score(r.arrays["ledger_behaviour"], r.arrays["ledger_error"])[0] - r.arrays["own"])
    assert gap.max() < 0.005
    rng = np.random.default_rng(1)
    for i in rng.choice(N, 80, replace=False):
        d = explain(r, int(i))
        assert abs(sum(t["value"] for t in d["terms"]) - d["score"]) < 0.01