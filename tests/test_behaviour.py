"""Citizens respond (MODEL.md section 7): each mechanism shown by two seeded runs that differ by
one switch. Every citizen here is simulated."""
from __future__ import annotations

import numpy as np
import pytest

import scsim
from scsim import graph
from scsim.errors import ScenarioError
from scsim.graph import (Graph, assortativity, erdos_renyi, giant_component_share, largest_component_share,
                         weighted_assortativity)

ALL_OFF = {f"behaviour.{m}.enabled": False for m in ("ostracism", "rebuke", "censorship", "gaming", "appeals")}


def sim_with(n=10_000, ticks=12, seed=3, scenario="article", only=None, **kw):
    """A simulation with the [behaviour] table on and only the mechanisms in ``only`` enabled."""
    over = {"behaviour.enabled": True, "groups.enabled": False, "surveillance.enabled": False, **ALL_OFF}
    for m in only or ():
        over[f"behaviour.{m}.enabled"] = True
    over.update(kw)
    return scsim.Simulation(scsim.load_scenario(scenario, population=n, ticks=ticks, seed=seed, **over))


def total(ticks, col):
    """Sum of a column over the ticks."""
    return float(np.nansum(ticks[col].to_numpy(dtype=float)))


# ---------------------------------------------------------------------------------------------
# checking contacts and ostracism


@pytest.fixture(scope="module")
def ostracism_pair():
    """The same world for 32 weeks, with and without ostracism (8 monthly checks)."""
    out = {}
    for on in (True, False):
        sim = sim_with(n=15_000, ticks=32, seed=11, only=["ostracism"] if on else [], **{"graph.measure_every": 4})
        deg0 = sim.exchange.graph.degree.copy()
        res = sim.run()
        out[on] = (sim, res, deg0)
    return out


def test_ostracism_cuts_ties_and_raises_score_assortativity(ostracism_pair):
    """Wei, Yildirim, Van den Bulte & Dellarocas (2016): friend-based scoring makes people drop
    low-score friends and link to similar ones, so score assortativity rises."""
    on, off = ostracism_pair[True][1].ticks, ostracism_pair[False][1].ticks
    assert on["ties_cut"].sum() > 0.05 * ostracism_pair[True][0].exchange.graph.n_edges
    assert off["ties_cut"].sum() == 0 and off["ties_formed"].sum() == 0
    a_on = on["score_assortativity"].dropna().to_numpy()
    a_off = off["score_assortativity"].dropna().to_numpy()
    # The standard error of an edge correlation over ~150k edges is ~1/sqrt(E) < 0.003; the
    # margins (0.03 rise over the run, 0.03 above the world without ostracism) are 10 of those,
    # and the measured rise at this size is 0.067 (seed 11; 0.025 without ostracism).
    assert a_on[-1] - a_on[0] > 0.03
    assert a_on[-1] > a_off[-1] + 0.03
    # and the network fragments a little: the largest component shrinks
    assert on["largest_component_share"].dropna().iloc[-1] < off["largest_component_share"].dropna().iloc[-1]


def test_rewired_graph_stays_valid_and_degrees_realistic(ostracism_pair):
    sim, _, deg0 = ostracism_pair[True]
    g = sim.exchange.graph
    g.check()  # symmetric, simple, sorted rows
    deg = g.degree
    # low scorers lose friends (that is the effect), but the mean degree stays within 10% of the
    # start (measured: -1% after 32 weeks) and nobody passes WeChat's cap
    assert 0.9 * deg0.mean() < deg.mean() <= 1.02 * deg0.mean()
    assert deg.max() <= sim.scenario.graph.max_degree
    assert np.array_equal(sim.exchange.degree, deg.astype(np.float32))
    # the ties cut and formed account exactly for the change in edges
    t = ostracism_pair[True][1].ticks
    assert g.n_edges == deg0.sum() // 2 - t["ties_cut"].sum() + t["ties_formed"].sum()


def test_those_cut_are_the_low_scorers(ostracism_pair):
    sim, _, deg0 = ostracism_pair[True]
    lost = deg0 - sim.exchange.graph.degree
    s = sim.scoring.score
    low = s < np.quantile(s, 0.1)
    high = s > np.quantile(s, 0.9)
    assert lost[low].mean() > lost[high].mean() + 1.0  # measured: 4.5 ties against 0.1


def test_csr_edits_match_a_rebuilt_graph():
    rng = np.random.default_rng(0)
    g = erdos_renyi(500, 8.0, rng)
    u, v = g.edges()
    cut = rng.choice(u.size, 60, replace=False)
    keep = np.ones(u.size, bool)
    keep[cut] = False
    pos_uv, f1 = graph.find_in_rows(g.indptr, g.indices, u[cut].astype(np.int64), v[cut].astype(np.int64))
    pos_vu, f2 = graph.find_in_rows(g.indptr, g.indices, v[cut].astype(np.int64), u[cut].astype(np.int64))
    assert f1.all() and f2.all()
    ptr, ind = graph.remove_entries(g.indptr, g.indices, np.r_[pos_uv, pos_vu], np.r_[u[cut], v[cut]].astype(np.int64), g.n)
    a = rng.integers(0, 500, 80)
    b = rng.integers(0, 500, 80)
    pairs = np.unique(np.c_[np.minimum(a, b), np.maximum(a, b)], axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    _, there = graph.find_in_rows(ptr, ind, pairs[:, 0], pairs[:, 1])
    pairs = pairs[~there]
    ptr, ind = graph.insert_entries(ptr, ind, np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]], g.n)
    got = Graph(ptr, ind)
    got.check()
    want = Graph.from_edges(np.r_[u[keep], pairs[:, 0]], np.r_[v[keep], pairs[:, 1]], g.n)
    assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)


@pytest.mark.parametrize("mean_degree", [0.8, 1.5, 6.0])
def test_fast_network_measures_agree_with_graph_module(mean_degree):
    g = erdos_renyi(3000, mean_degree, np.random.default_rng(1))
    assert giant_component_share(g) == pytest.approx(largest_component_share(g))
    x = np.random.default_rng(2).normal(600, 30, g.n).astype(np.float32)
    x[g.indices[:50]] += 40
    got = weighted_assortativity(g.to_scipy(), g.degree.astype(np.float32), x)
    assert got == pytest.approx(assortativity(g, x), abs=1e-5)


# ---------------------------------------------------------------------------------------------
# self-censorship, rebuke, gaming, appeals


def test_monitor_chills_critical_posting():
    """With the monitor flagging critical posts, fewer are written than with it off; more so when
    the rules are transparent. Totals over ~30k posts: Poisson noise ~0.6%, effects 20-40%."""
    def posts(**kw):
        t = sim_with(n=10_000, ticks=6, only=["censorship"], **kw).run().ticks
        return total(t, "critical_posts"), total(t, "self_censored_posts")

    on, on_cens = posts()
    off, off_cens = posts(**{"sources.social_media.params.recall": 0.0})
    clear, _ = posts(**{"score.transparent": True})
    assert off_cens == 0 and on_cens > 0
    assert on < 0.85 * off
    assert clear < 0.9 * on
    # the switch: with self-censorship off, the monitor chills nothing
    no_switch = sim_with(n=10_000, ticks=6, only=[]).run().ticks
    assert total(no_switch, "self_censored_posts") == 0
    assert total(no_switch, "critical_posts") == pytest.approx(off, rel=0.03)


def test_rebuke_lowers_dissent_of_low_scorers():
    sims = {}
    for on in (True, False):
        sim = sim_with(n=10_000, ticks=20, only=["rebuke"] if on else [], **{"behaviour.rebuke.below": 600.0})
        sim.run()
        sims[on] = sim
    on, off = sims[True], sims[False]
    trait = on.people.dissent
    assert np.array_equal(off.rebuke.dissent, trait)  # nobody presses anyone
    d = on.rebuke.dissent
    pressed = d < trait - 1e-6
    assert pressed.sum() > 100
    assert d[pressed].mean() < 0.9 * trait[pressed].mean()
    assert not (d > trait + 1e-6).any()
    assert on.collector.last()["rebuked"] > 0


def test_gaming_buys_rewarded_goods():
    def rewarded(**kw):
        sim = sim_with(n=10_000, ticks=5, **kw)
        got = 0
        for _ in range(5):
            sim.step()
            got += sim.sources.totals["commerce.diapers"] + sim.sources.totals["commerce.books"]
        return got, sim

    off, _ = rewarded()
    opaque, sim = rewarded(only=["gaming"])
    clear, _ = rewarded(only=["gaming"], **{"score.transparent": True})
    # ~1,000 rewarded purchases a week at this size: Poisson noise ~1.5% of the 5-week total
    assert opaque > 1.1 * off
    assert clear > 1.5 * opaque  # everyone knows what is rewarded when the rules are shown
    assert sim.collector.last()["gaming_citizens"] > 0 and (sim.gaming.purchase_boost >= 0).all()


def test_appeals_are_filed_decided_after_the_delay_and_remove_error_points():
    delay = 4
    sim = sim_with(n=10_000, ticks=16, only=["appeals"], **{"behaviour.appeals.delay": delay,
                                                            "behaviour.appeals.appeal_prob": 0.5})
    base = sim_with(n=10_000, ticks=16, only=[])
    res, _ = sim.run(), base.run()
    t = res.ticks
    assert t["appeals"].sum() > 100
    assert (t["appeals_won"].iloc[:delay] == 0).all()  # nothing is decided before the delay
    decided = t["appeals"].iloc[: len(t) - delay].sum()
    won = t["appeals_won"].sum()
    # wins ~ Binomial(decided, 0.4): 4 standard deviations either side
    sd = np.sqrt(decided * 0.4 * 0.6)
    assert abs(won - 0.4 * decided) < 4 * sd + 1
    r = sim.scoring.rule_index("flagged_post")
    assert sim.scoring.ledger_error[r].sum() > 1.02 * base.scoring.ledger_error[r].sum()  # errors are negative points
    assert np.array_equal(sim.scoring.ledger_behaviour, base.scoring.ledger_behaviour)     # appeals touch errors only


def test_control_twin_responds_to_nothing():
    on = {"behaviour.enabled": True, "groups.enabled": True, "surveillance.enabled": True}
    ctl = scsim.Simulation(scsim.load_scenario("article-control", population=5000, ticks=8, seed=2, **on))
    g0 = ctl.exchange.graph
    t = ctl.run().ticks
    for col in ("ties_cut", "ties_formed", "rebuked", "gaming_citizens", "appeals", "self_censored_posts",
                "watchlisted", "star_inflation"):
        assert total(t, col) == 0, col
    assert ctl.exchange.graph is g0
    assert total(t, "critical_posts") > 0  # the measurements are still taken


def test_same_seed_same_run_with_every_behaviour_on():
    on = {"behaviour.enabled": True, "groups.enabled": True, "surveillance.enabled": True}
    a, b = (scsim.Simulation(scsim.load_scenario("article", population=4000, ticks=8, seed=5, **on)).run()
            for _ in range(2))
    assert a.ticks.equals(b.ticks)
    assert np.array_equal(a.arrays["indices"], b.arrays["indices"])


def test_switches_are_off_by_default_and_on_in_article():
    from scsim.mechanisms.behaviour import BehaviourConfig
    from scsim.mechanisms.groups import GroupsConfig
    from scsim.mechanisms.surveillance import SurveillanceConfig

    assert not (BehaviourConfig().enabled or GroupsConfig().enabled or SurveillanceConfig().enabled)
    sc = scsim.load_scenario("article")
    assert sc.behaviour.enabled and sc.groups.enabled and sc.surveillance.enabled
    for m in ("ostracism", "rebuke", "censorship", "gaming", "appeals"):
        assert sc.behaviour.on(m)
        assert not scsim.load_scenario("article", **{f"behaviour.{m}.enabled": False}).behaviour.on(m)


def test_bad_parameters_give_one_line_errors():
    with pytest.raises(ScenarioError, match=r"article.toml: behaviour.ostracism.cut_max: .*less than or equal to 1"):
        scsim.load_scenario("article", **{"behaviour.ostracism.cut_max": 2})
    with pytest.raises(ScenarioError, match=r"behaviour.rebuke.speed: unknown key"):
        scsim.load_scenario("article", **{"behaviour.rebuke.speed": 1})
    with pytest.raises(ScenarioError, match=r"behaviour.appeals.rules\[0\]: unknown rule 'no_such_rule'"):
        scsim.load_scenario("article", **{"behaviour.appeals.rules": ["no_such_rule"]})
