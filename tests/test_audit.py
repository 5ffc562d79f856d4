"""Harm measures: wrongful sanctions, guilt by association, Gini, tier transitions, persistence at
the bottom, and the disparity table. All citizens are simulated."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import scsim
from scsim.mechanisms.audit import ATTRIBUTES, COLUMNS, Audit, disparity, katz, wilson
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


# ---------------------------------------------------------------------------------------------
# two-sided harms (MODEL.md section 13): each measure beside its mirror, and the nets

NEW = ("wrongly_spared", "protected_by_association", "net_sanctions_from_errors", "net_sanctions_from_friends",
       "perks_lost_to_friends", "perks_gained_from_friends")


def _identities(ticks):
    """The identities hold exactly (integer counts of sets taken on the same masks): no tolerance."""
    t = ticks
    assert (t["net_sanctions_from_errors"] == t["wrongful_sanctions"] - t["wrongly_spared"]).all()
    assert (t["net_sanctions_from_friends"] == t["guilt_by_association"] - t["protected_by_association"]).all()
    assert (t["wrongly_spared"] <= N - t["sanctioned"]).all()
    assert (t["protected_by_association"] <= N - t["sanctioned"] + t["blacklisted"]).all()
    assert (t[list(NEW[:2] + NEW[4:])] >= 0).all().all()


def test_two_sided_harms_identities_and_recomputation(harsh):
    sc, r = harsh
    t = r.ticks
    for k in NEW:
        assert k in t.columns and np.issubdtype(t[k].dtype, np.integer)
    _identities(t)
    # both sides are live in the harsh world (errors go both ways, friends pull both ways)
    last = t.iloc[-1]
    assert last["wrongly_spared"] > 0 and last["protected_by_association"] > 0
    # the last tick against an independent recomputation from the saved state, engine float32
    # arithmetic through the run's own modules (so threshold decisions match exactly)
    model = run_model(r.manifest)
    scoring, sanctions = model.scoring, model.sanctions
    A, c = r.arrays, r.citizens
    Lb, Le, own = A["ledger_behaviour"], A["ledger_error"], A["own"]
    err = c["error_points"].to_numpy(np.float32)
    s_noerr, _ = scoring.scores_from(own - err, A["friends_mean"], scoring.capped(Lb, None))
    a, b, d = sanctions.score_sanctions(s_noerr)
    sanctioned = c["sanctioned"].to_numpy()
    assert last["wrongly_spared"] == int((~sanctioned & (a | b | d)).sum())   # blacklist off in HARSH
    own_only, _ = scoring.scores_from(own, own, scoring.capped(Lb, Le), alpha=0.0)
    a, b, d = sanctions.score_sanctions(own_only)
    assert last["protected_by_association"] == int((~sanctioned & (a | b | d)).sum())
    score = c["score"].to_numpy(np.float32)
    p_now, p_own = sanctions.perks_of(score), sanctions.perks_of(own_only)
    assert c["perks"].to_numpy().tolist() == p_now.tolist()
    assert last["perks_lost_to_friends"] == int((p_now < p_own).sum())
    assert last["perks_gained_from_friends"] == int((p_now > p_own).sum())


def test_no_errors_means_nobody_wrongly_spared():
    sc, r = _run("article", **HARSH, **NO_ERRORS)
    assert not r.arrays["ledger_error"].any()
    assert r.ticks["sanctioned"].iloc[-1] > 100
    assert (r.ticks["wrongly_spared"] == 0).all()
    assert (r.ticks["net_sanctions_from_errors"] == 0).all()
    _identities(r.ticks)


def test_alpha_zero_means_no_effect_of_friends_either_way():
    sc, r = _run("article", **{**HARSH, "network.alpha": 0.0})
    t = r.ticks
    assert t["sanctioned"].iloc[-1] > 100
    for k in ("guilt_by_association", "protected_by_association", "net_sanctions_from_friends",
              "perks_lost_to_friends", "perks_gained_from_friends"):
        assert (t[k] == 0).all(), k
    _identities(t)


def test_two_sided_harms_with_the_blacklist_on_and_perks_through_friends(saved):
    r, _ = saved
    t = r.ticks
    _identities(t)  # the default article: blacklist on, errors on, alpha 0.1
    # scores start at 600, the first perk's threshold: friends pull citizens across it both ways
    last = t.iloc[-1]
    assert last["perks_lost_to_friends"] > 0 and last["perks_gained_from_friends"] > 0
    model = run_model(r.manifest)
    scoring, sanctions = model.scoring, model.sanctions
    A, c = r.arrays, r.citizens
    own_only, _ = scoring.scores_from(A["own"], A["own"], scoring.capped(A["ledger_behaviour"], A["ledger_error"]),
                                      alpha=0.0)
    p_now, p_own = c["perks"].to_numpy(), sanctions.perks_of(own_only)
    assert last["perks_lost_to_friends"] == int((p_now < p_own).sum())
    assert last["perks_gained_from_friends"] == int((p_now > p_own).sum())


# ---------------------------------------------------------------------------------------------
# who is punished for what they think: disparity by dissent decile


def test_dissent_deciles_match_an_independent_recomputation(saved):
    r, path = saved
    d = pd.read_parquet(path / "disparity.parquet")
    c = pd.read_parquet(path / "citizens.parquet")
    assert "dissent" in c.columns
    dd = d[d.attribute == "dissent_decile"]
    assert list(dd["group"]) == [str(k) for k in range(1, 11)]        # numeric order
    # ranks make the deciles equal by construction: N / 10 each, exactly when 10 divides N
    assert (dd["population"] == N // 10).all()
    # independent: pandas ranks (ties by order of appearance, i.e. by id), deciles from ranks
    rank0 = c["dissent"].rank(method="first").astype(np.int64) - 1
    dec = (rank0 * 10 // len(c) + 1).astype(str)
    g = c.groupby(dec)
    ref = pd.DataFrame({"population": g.size(), "sanction_rate": g["sanctioned"].mean(),
                        "blacklist_rate": g["blacklisted"].mean(), "mean_score": g["score"].mean()})
    dd = dd.set_index("group")
    for k in ref.index:
        assert dd.loc[k, "population"] == ref.loc[k, "population"]
        # the same counts divided the same way: equal to float rounding (1e-12 is far below 1 / N)
        assert dd.loc[k, "sanction_rate"] == pytest.approx(ref.loc[k, "sanction_rate"], abs=1e-12)
        assert dd.loc[k, "blacklist_rate"] == pytest.approx(ref.loc[k, "blacklist_rate"], abs=1e-12)
        # float32 scores summed in a different order: 1e-6 relative is many float32 ulps of a mean near 600
        assert dd.loc[k, "mean_score"] == pytest.approx(ref.loc[k, "mean_score"], rel=1e-6)
    least = dd["sanction_rate"].min()
    if least > 0:
        np.testing.assert_allclose(dd["impact_ratio"], dd["sanction_rate"] / least)
    assert dd["sanctioned"].sum() == int(c["sanctioned"].sum())


# ------------------------------------------------------------------ disparity that survives noise
def test_wilson_matches_the_direct_formula():
    z = 1.959963984540054  # the 97.5% normal quantile
    for x, n in ((0, 10), (5, 10), (10, 10), (3, 241), (4000, 50000)):
        p = x / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        lo, hi = wilson(np.array([x]), np.array([n]))
        # the same closed form, z to 15 digits: agreement to 1e-12 is float rounding only
        assert lo[0] == pytest.approx(max(centre - half, 0.0), abs=1e-12)
        assert hi[0] == pytest.approx(min(centre + half, 1.0), abs=1e-12)
    # a textbook value (Newcombe 1998, 81/263): 0.2553 .. 0.3662, to the 4 decimals printed there
    lo, hi = wilson(np.array([81]), np.array([263]))
    assert (round(float(lo[0]), 4), round(float(hi[0]), 4)) == (0.2553, 0.3662)


def test_katz_matches_the_direct_formula():
    lo, hi = katz(np.array([20]), np.array([100]), 10, 100)
    se = np.sqrt(1 / 20 - 1 / 100 + 1 / 10 - 1 / 100)
    assert lo[0] == pytest.approx(2 * np.exp(-1.959963984540054 * se), rel=1e-12)
    assert hi[0] == pytest.approx(2 * np.exp(1.959963984540054 * se), rel=1e-12)
    lo, hi = katz(np.array([3]), np.array([100]), 0, 100)  # a zero count: Haldane keeps it finite
    assert np.isfinite(lo[0]) and np.isfinite(hi[0]) and lo[0] < 7 / 1 < hi[0] * 10


def test_disparity_intervals_and_verdicts_on_a_seeded_run(saved):
    r, path = saved
    c = pd.read_parquet(path / "citizens.parquet")
    d = disparity(c, min_group_size=200)
    assert list(d.columns) == list(COLUMNS)
    # the stored table (no [audit] section passed in this run) holds the same numbers, verdicts aside
    stored = pd.read_parquet(path / "disparity.parquet")
    pd.testing.assert_frame_equal(stored.drop(columns="verdict"), d.drop(columns="verdict"), check_dtype=False)
    for rate in ("sanction_rate", "blacklist_rate"):
        assert (d[f"{rate}_low"] <= d[rate]).all() and (d[rate] <= d[f"{rate}_high"]).all()
        assert ((d[f"{rate}_low"] >= 0) & (d[f"{rate}_high"] <= 1)).all()
    ir = d[np.isfinite(d["impact_ratio"])]
    assert (ir["impact_ratio_low"] <= ir["impact_ratio"] + 1e-12).all()
    assert (ir["impact_ratio"] <= ir["impact_ratio_high"] + 1e-12).all()
    ref = d["group"] == d["reference_group"]
    assert (d.loc[ref, "impact_ratio_low"] == 1.0).all() and (d.loc[ref, "impact_ratio_high"] == 1.0).all()
    # widths shrink with size: the same rate on 10x the citizens gives an interval ~sqrt(10) narrower
    p = float(d["sanction_rate"].mean())
    lo, hi = wilson(np.array([p * 500, p * 5000]), np.array([500, 5000]))
    assert (hi - lo)[1] < (hi - lo)[0] / 3
    # and across the run's groups: the width of each region's interval falls with its population
    # (Spearman rank correlation, region rates being similar; strongly negative, not exactly -1)
    reg = d[d.attribute == "region"]
    width = (reg["sanction_rate_high"] - reg["sanction_rate_low"]).rank()
    assert width.corr(reg["population"].rank()) < -0.5
    small = d["population"] < 200
    assert small.any()  # with 5,000 citizens, the small provinces are under 200
    assert (d.loc[small, "verdict"] == "too small").all()
    assert set(d.loc[~small, "verdict"]) <= {"violation", "no violation", "within noise"}
    assert disparity(c)["verdict"].isna().all()  # no minimum configured: no verdict given


def test_verdict_violation_and_no_violation_on_constructed_groups():
    # a: 400 of 2,000 sanctioned (20%), b: 100 of 2,000 (5%), c: 100 of 2,000 (5%, identical to b)
    n = 2000
    sanc = np.concatenate([np.arange(n) < 400, np.arange(n) < 100, np.arange(n) < 100])
    df = pd.DataFrame({"sex": ["a"] * n + ["b"] * n + ["c"] * n, "sanctioned": sanc,
                       "blacklisted": False, "score": 600.0})
    d = disparity(df, min_group_size=100).set_index("group")
    assert d.loc["b", "reference_group"] == "b"
    assert d.loc["a", "verdict"] == "violation"  # ratio 4 with an interval of about 3.2 .. 5.0
    assert d.loc["a", "impact_ratio_low"] > 1.25
    assert d.loc["c", "verdict"] in ("no violation", "within noise")  # ratio 1, identical groups
    # within noise: 1.5 on 60 citizens straddles 1.25; and a group under the minimum is too small
    few = pd.DataFrame({"sex": ["a"] * 60 + ["b"] * 60, "sanctioned": np.r_[np.arange(60) < 15, np.arange(60) < 10],
                        "blacklisted": False, "score": 600.0})
    assert disparity(few, min_group_size=50).set_index("group").loc["a", "verdict"] == "within noise"
    assert (disparity(few, min_group_size=61)["verdict"] == "too small").all()


def test_audit_config_needs_a_valid_min_group_size():
    assert Audit().config is None
    assert Audit(min_group_size=500).config.min_group_size == 500
    with pytest.raises(scsim.ScenarioError if hasattr(scsim, "ScenarioError") else Exception):
        Audit(min_group_size=0)
    with pytest.raises(Exception):
        Audit({})  # required: no default in code
