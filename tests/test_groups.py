"""Units and supervisors (MODEL.md section 8): collective rewards and punishments, star inflation.
Every citizen here is simulated."""
from __future__ import annotations

import numpy as np
import pytest

import scsim
from scsim.errors import ScenarioError
from scsim.mechanisms.groups import assign_units

BASE = {"behaviour.enabled": False, "surveillance.enabled": False, "groups.enabled": True}


def run(ticks=20, n=10_000, seed=4, **kw):
    sim = scsim.Simulation(scsim.load_scenario("article", population=n, ticks=ticks, seed=seed, **{**BASE, **kw}))
    return sim, sim.run()


@pytest.fixture(scope="module")
def bonus_pair():
    return {slope: run(**{"groups.supervisors.bonus_slope": slope, "groups.collective.enabled": False})
            for slope in (1.0, 0.0)}


def test_supervisor_bonus_inflates_ratings(bonus_pair):
    sim, res = bonus_pair[1.0]
    infl = res.ticks["star_inflation"].to_numpy()
    assert infl[-1] > 0.1                        # deterministic drift: ~0.01 a week, minus audits
    assert (np.diff(infl) > -0.05).all()         # it drifts up (an audit resets one unit of ~350)
    assert infl[-1] > infl[len(infl) // 2] > infl[0] > 0
    # given - true rating among the rated members, exactly the bias the supervisors add
    g = sim.groups
    assert infl[-1] == pytest.approx(float(g.rating_bias[g.rated].mean()), rel=1e-6)
    assert (g.rating_bias[g.supervisor] == 0).all()
    assert g.rating_bias.max() <= sim.scenario.groups.supervisors.max_bias + 1e-6


def test_no_bonus_no_inflation(bonus_pair):
    sim, res = bonus_pair[0.0]
    assert (res.ticks["star_inflation"] == 0).all()
    assert (sim.groups.rating_bias == 0).all()


def test_inflated_ratings_reach_the_ratings_agency(bonus_pair):
    """More high ratings are recorded when supervisors inflate (same world, same draws)."""
    hi_on, hi_off = (bonus_pair[k][0].scoring.ledger_behaviour[bonus_pair[k][0].scoring.rule_index("rating_high")].sum()
                     for k in (1.0, 0.0))
    assert hi_on > 1.05 * hi_off


def test_collective_rewards_and_punishments():
    sim, res = run(ticks=6, **{"groups.supervisors.enabled": False, "groups.collective.reward_rule": "volunteering",
                               "groups.collective.punish_rule": "noncompliance"})
    t = res.ticks
    sizes = np.bincount(sim.groups.unit)
    ranked = int((sizes >= 5).sum())
    # the first tick sees every unit at the base score: nobody is ranked by lot
    assert t["units_rewarded"].iloc[0] == 0 and t["units_punished"].iloc[0] == 0
    # then the shares, less the units tied at the edge of a share (rare once scores move)
    assert (t["units_rewarded"].iloc[1:] <= int(0.1 * ranked)).all()
    assert (t["units_rewarded"].iloc[1:] >= int(0.1 * ranked) - 3).all()
    assert (t["units_punished"].iloc[1:] <= int(0.1 * ranked)).all()
    assert (t["units_punished"].iloc[1:] >= int(0.1 * ranked) - 3).all()
    assert (t["citizens_rewarded"].iloc[1:] > 0).all() and (t["citizens_punished"].iloc[1:] > 0).all()
    # the named rules received the points: rewarded members have volunteering points, the
    # punished noncompliance points, without having done anything
    base, _ = run(ticks=6, **{"groups.enabled": False})
    r_v = sim.scoring.rule_index("volunteering")
    r_n = sim.scoring.rule_index("noncompliance")
    L, L0 = sim.scoring.ledger_behaviour, base.scoring.ledger_behaviour
    assert L[r_v].sum() > L0[r_v].sum() + 100
    assert L[r_n].sum() < L0[r_n].sum() - 100


def test_collective_rewards_follow_the_unit_mean():
    sim = scsim.Simulation(scsim.load_scenario("article", population=3000, ticks=2, seed=1, **BASE))
    sim.step()
    g = sim.groups
    mean = g.unit_mean(sim.scoring.score)
    sim.step()  # the units are ranked at the start of tick 2, on the scores of tick 1
    up = g.income_factor > 1.01
    down = g.income_factor < 0.99
    assert up.any() and down.any()
    assert mean[np.unique(g.unit[up])].min() > mean[np.unique(g.unit[down])].max()


def test_units_have_one_supervisor_and_bounded_size():
    sim = scsim.Simulation(scsim.load_scenario("article", population=5000, ticks=1, seed=3))
    unit, sup = sim.groups.unit, sim.groups.supervisor
    assert np.bincount(unit).max() <= 30
    assert (np.bincount(unit, weights=sup) == 1).all()
    # each unit lies in one region; supervisors are adults who are not students where a unit has one
    reg = sim.people.region
    assert all(len(set(reg[unit == u])) == 1 for u in range(0, unit.max() + 1, 7))
    rng = np.random.default_rng(0)
    region, occ = rng.integers(0, 3, 400), rng.integers(0, 6, 400).astype(np.int8)
    u2, s2 = assign_units(region, occ, 25, rng.random(400), rng.random(400))
    assert np.bincount(u2).max() <= 25 and (np.bincount(u2, weights=s2) == 1).all()


def test_bad_rule_name_is_a_one_line_error():
    with pytest.raises(ScenarioError, match=r"groups.collective.reward_rule: unknown rule 'nope'"):
        run(ticks=1, n=500, **{"groups.collective.reward_rule": "nope"})
