"""Harm measures: wrongful sanctions, guilt by association, Gini, tier transitions, persistence at
the bottom, and the disparity table. All citizens are simulated."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import scsim
from scsim.mechanisms.audit import ATTRIBUTES, COLUMNS, disparity
from scsim.analysis.model import run_model
from scsim.mechanisms.scoring import gini_exact

N = 5000
T = 6
SOURCES = ("commerce", "finance", "gaming", "mobility", "courts", "ratings", "social_media", "clinics",
           "good_deeds", "metadata")
# A harsh world: everyone starts 2 points above the sanction line (550), friends weigh 30%, and the
# blacklist is off so that every sanction comes from the score (the recomputations below are exact).
HARSH = {"score.base": 552.0, "network.alpha": 0.3, "sanctions.blacklist.enabled": False,
         "engine.panel_size": N}
NO_ERRORS = {**{f"sources.{s}.misattribution": 0.0 for s in SOURCES},
             "sources.courts.false_flags.traffic_violation": 0.0, "sources.social_media.params.false_positive": 0.0}


def _run(name, **over):
    sc = scsim.load_scenario(name, population=N, ticks=T, seed=11, **over)
    return sc, scsim.Simulation(sc).run()


@pytest.fixture(scope="module")
def harsh():
    return _run("article", **HARSH)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    sc, r = _run("article")
    return r, r.save(tmp_path_factory.mktemp("audit") / "run")


def _recompute(sc, r, drop_error_caps=True):
    """Wrongful sanctions and guilt by association at the last tick, recomputed from the state
    with the engine's own float32 arithmetic (so threshold decisions match exactly), through the
    run's modules rebuilt from its manifest."""
    model = run_model(r.manifest)
    scoring, sanctions = model.scoring, model.sanctions
    A, c = r.arrays, r.citizens
    Lb, Le = A["ledger_behaviour"], A["ledger_error"]
    own = A["own"]
    err = c["error_points"].to_numpy(np.float32)
    # without error points: the grade cap too can only come from true events
    capped_noerr = scoring.capped(Lb, None) if drop_error_caps else scoring.capped(Lb, Le)
    s_noerr, _ = scoring.scores_from(own - err, A["friends_mean"], capped_noerr)
    a, b, d = sanctions.score_sanctions(s_noerr)
    sanctioned = c["sanctioned"].to_numpy()
    wrongful = int((sanctioned & ~(a | b | d)).sum())
    own_only, _ = scoring.scores_from(own, own, scoring.capped(Lb, Le), alpha=0.0)
    a, b, d = sanctions.score_sanctions(own_only)
    guilt = int((sanctioned & ~(a | b | d)).sum())
    return wrongful, guilt


# ---------------------------------------------------------------------------------------------
# per-tick harm measures (computed by the engine; checked here)


def test_wrongful_and_guilt_match_a_recomputation_from_the_final_state(harsh):
    sc, r = harsh
    last = r.ticks.iloc[-1]
    wrongful, guilt = _recompute(sc, r)
    assert last["sanctioned"] > 100  # the harsh world sanctions many: the measures are not vacuous
    assert last["wrongful_sanctions"] == wrongful > 0
    assert last["guilt_by_association"] == guilt > 0
    assert (r.ticks["wrongful_sanctions"] <= r.ticks["sanctioned"]).all()
    assert (r.ticks["guilt_by_association"] <= r.ticks["sanctioned"]).all()


def test_no_errors_means_no_wrongful_sanctions():
    sc, r = _run("article", **HARSH, **NO_ERRORS)
    assert not r.arrays["ledger_error"].any()          # every error channel was switched off
    assert (r.ticks["error_events"] == 0).all()
    assert r.ticks["sanctioned"].iloc[-1] > 100
    assert (r.ticks["wrongful_sanctions"] == 0).all()


def test_alpha_zero_means_no_guilt_by_association():
    sc, r = _run("article", **{**HARSH, "network.alpha": 0.0})
    assert r.ticks["sanctioned"].iloc[-1] > 100
    assert (r.ticks["guilt_by_association"] == 0).all()


def test_grade_cap_from_an_error_is_a_wrongful_sanction():
    # false drunk-driving flags (2% per citizen-week) cap scores at 849, which denies loans (< 850)
    sc, r = _run("rongcheng", **{"sources.courts.false_flags.drunk_driving": 0.02, "sanctions.blacklist.enabled": False})
    k = r.manifest["rules"].index("drunk_driving")
    Lb, Le = r.arrays["ledger_behaviour"][k], r.arrays["ledger_error"][k]
    capped_by_error_only = (np.abs(Lb + Le) >= 0.5) & (np.abs(Lb) < 0.5)
    assert capped_by_error_only.sum() > 50
    wrongful, _ = _recompute(sc, r)
    assert r.ticks["wrongful_sanctions"].iloc[-1] == wrongful


def test_gini_matches_the_exact_gini_of_final_scores(harsh):
    _, r = harsh
    exact = gini_exact(r.citizens["score"].to_numpy())
    # ticks.gini bins scores at 0.1 point: moving every score by <= 0.05 moves the Gini by at most
    # 0.05 * (1 + G) / mean score, about 9.1e-5 at a mean near 552; 1e-4 is that bound rounded up.
    assert exact > 0.003  # several times the tolerance: a wrong formula would show
    assert abs(r.ticks["gini"].iloc[-1] - exact) < 1e-4


def test_transitions_sum_to_population_and_match_tier_shares(harsh):
    sc, r = harsh
    tr = r.tables["transitions"]
    assert list(tr.columns) == ["tick", "from_tier", "to_tier", "count"]
    per_tick = tr.groupby("tick")["count"].sum()
    assert list(per_tick.index) == list(range(1, T + 1))
    assert (per_tick == N).all()
    names = sc.tier_names
    for t in range(1, T + 1):
        into = tr[tr.tick == t].groupby("to_tier")["count"].sum().reindex(names, fill_value=0)
        shares = r.ticks.loc[r.ticks.tick == t, [f"share_{x}" for x in names]].to_numpy()[0]
        np.testing.assert_allclose(into.to_numpy() / N, shares, atol=1e-12)
        if t > 1:  # what leaves a tier at t is what was in it at t - 1
            out = tr[tr.tick == t].groupby("from_tier")["count"].sum().reindex(names, fill_value=0)
            prev = r.ticks.loc[r.ticks.tick == t - 1, [f"share_{x}" for x in names]].to_numpy()[0]
            np.testing.assert_allclose(out.to_numpy() / N, prev, atol=1e-12)


def test_persistence_at_bottom_matches_the_full_panel(harsh):
    sc, r = harsh
    p = r.panel  # panel_size = population: every citizen's trajectory
    bottom = sc.tier_names[0]
    first = set(p.loc[(p.tick == 1) & (p.tier == bottom), "id"])
    last = set(p.loc[(p.tick == T) & (p.tier == bottom), "id"])
    s = r.manifest["summary"]
    assert s["bottom_at_start"] == len(first) > 100
    assert s["persistence_at_bottom"] == pytest.approx(len(first & last) / len(first), abs=1e-12)
    assert 0 < s["persistence_at_bottom"] < 1


# ---------------------------------------------------------------------------------------------
# disparity


def test_disparity_table_written_and_consistent(saved):
    r, path = saved
    d = pd.read_parquet(path / "disparity.parquet")
    assert list(d.columns) == list(COLUMNS)
    assert list(dict.fromkeys(d["attribute"])) == list(ATTRIBUTES)
    assert d["group"].map(type).eq(str).all()
    c = r.citizens
    for attr, g in d.groupby("attribute", sort=False):
        assert g["population"].sum() == N
        assert g["sanctioned"].sum() == int(c["sanctioned"].sum())
        least = g["sanction_rate"].min()
        if least > 0:
            assert g["impact_ratio"].min() == pytest.approx(1.0)
            np.testing.assert_allclose(g["impact_ratio"], g["sanction_rate"] / least)
        assert (g["four_fifths_violation"] == (g["impact_ratio"] > 1.25)).all()
        assert set(g["reference_group"]) == {g.loc[g["sanction_rate"].idxmin(), "group"]}
    # one attribute against a direct computation
    sex = d[d.attribute == "sex"].set_index("group")
    for grp in ("male", "female"):
        m = c["sex"] == grp
        assert sex.loc[grp, "population"] == m.sum()
        assert sex.loc[grp, "sanction_rate"] == pytest.approx(c.loc[m, "sanctioned"].mean())
        assert sex.loc[grp, "blacklist_rate"] == pytest.approx(c.loc[m, "blacklisted"].mean())
        assert sex.loc[grp, "mean_score"] == pytest.approx(c.loc[m, "score"].astype(float).mean())
    assert set(d.loc[d.attribute == "urban", "group"]) == {"urban", "rural"}
    assert set(d.loc[d.attribute == "income_quintile", "group"]) == {"1", "2", "3", "4", "5"}


def test_disparity_impact_ratio_and_four_fifths_rule_direction():
    # group a: 10%, b: 12% (ratio 1.2 -> no violation), c: 13% (1.3 -> violation), d: 0% and e: 0%
    rates = {"a": 10, "b": 12, "c": 13}
    rows = []
    for g, k in rates.items():
        rows += [(g, 1)] * k + [(g, 0)] * (100 - k)
    df = pd.DataFrame(rows, columns=["region", "sanctioned"])
    df["blacklisted"] = False
    df["score"] = 600.0
    d = disparity(df).set_index("group")
    assert d.loc["a", "impact_ratio"] == 1.0 and not d.loc["a", "four_fifths_violation"]
    assert d.loc["b", "impact_ratio"] == pytest.approx(1.2) and not d.loc["b", "four_fifths_violation"]
    assert d.loc["c", "impact_ratio"] == pytest.approx(1.3) and d.loc["c", "four_fifths_violation"]
    assert set(d["reference_group"]) == {"a"}
    # least-sanctioned rate 0: ratio 1 for the other unsanctioned groups, inf (a violation) otherwise
    df0 = pd.concat([df, pd.DataFrame({"region": ["d"] * 50 + ["e"] * 50, "sanctioned": 0, "blacklisted": False,
                                       "score": 600.0})])
    d0 = disparity(df0).set_index("group")
    assert d0.loc["d", "impact_ratio"] == 1.0 and d0.loc["e", "impact_ratio"] == 1.0
    assert not d0.loc["d", "four_fifths_violation"] and not d0.loc["e", "four_fifths_violation"]
    assert np.isinf(d0.loc["a", "impact_ratio"]) and d0.loc["a", "four_fifths_violation"]
    assert d0.loc["d", "reference_group"] == "d"


def test_disparity_without_outcome_columns_is_empty_with_the_schema():
    d = disparity(pd.DataFrame({"id": [0, 1], "score": [600.0, 610.0]}))
    assert len(d) == 0 and list(d.columns) == list(COLUMNS)
    assert list(disparity(pd.DataFrame()).columns) == list(COLUMNS)
