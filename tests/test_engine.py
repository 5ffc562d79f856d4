"""The national model's machinery: sources, ledgers with provenance, friends' term, tiers,
sanctions, determinism."""
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

import scsim
from scsim.graph import read_edge_list
from scsim.mechanisms.sources import SOURCES, Record

# citizens' responses switched off, for tests of the scoring machinery alone
NO_RESPONSES = {"behaviour.enabled": False, "groups.enabled": False, "surveillance.enabled": False}


def run(name="article", n=20_000, ticks=10, seed=1, **kw):
    return scsim.Simulation(scsim.load_scenario(name, population=n, ticks=ticks, seed=seed, **kw)).run()


@pytest.fixture(scope="module")
def article():
    sim = scsim.Simulation(scsim.load_scenario("article", population=30_000, ticks=30, seed=2))
    res = sim.run()
    return sim, res


def test_every_source_emits_events(article):
    _, res = article
    for s in SOURCES:
        assert res.ticks[f"events_{s}"].sum() > 0, s
    assert res.ticks["error_events"].sum() > 0


def test_sources_only_see_the_citizens_they_cover(article):
    sim, _ = article
    sc = sim.scoring
    # clinics: only women 18-49 ever get non-compliance points, from behaviour or from errors
    r = sc.rule_index("noncompliance")
    cov = sim.sources.covered_mask(sim, "clinics")
    hit = sc.ledger_behaviour[r] != 0
    assert hit.any() and not (hit & ~cov).any()
    assert not ((sc.ledger_error[r] != 0) & ~cov).any()
    r = sc.rule_index("rating_high")
    assert not ((sc.ledger_behaviour[r] != 0) & ~sim.sources.covered_mask(sim, "ratings")).any()
    # commerce errors (misattributed diapers) land only on Alibaba users
    r = sc.rule_index("diapers")
    assert (sc.ledger_error[r] != 0).any()
    assert not ((sc.ledger_error[r] != 0) & ~sim.people.alibaba).any()


def test_error_points_kept_apart_and_only_with_errors():
    clean = {f"sources.{s}.misattribution": 0.0 for s in SOURCES}
    clean["sources.courts.false_flags.traffic_violation"] = 0.0
    clean["sources.social_media.params.false_positive"] = 0.0
    sim = scsim.Simulation(scsim.load_scenario("article", population=10_000, ticks=8, seed=3, **clean))
    res = sim.run()
    assert np.all(sim.scoring.ledger_error == 0)
    assert res.ticks["error_events"].sum() == 0 and res.ticks["wrongful_sanctions"].sum() == 0
    noisy = scsim.Simulation(scsim.load_scenario("article", population=10_000, ticks=8, seed=3,
                                                 **{"sources.finance.misattribution": 0.3}))
    noisy.run()
    r = noisy.scoring.rule_index("bill_on_time")
    assert (noisy.scoring.ledger_error[r] > 0).sum() > 100


def test_misattribution_moves_events_within_the_region_and_conserves_them():
    base = dict(population=20_000, ticks=1, seed=4)
    sims = []
    for p in (0.0, 0.5):
        sc = scsim.load_scenario("article", **base, **{"sources.finance.misattribution": p})
        sim = scsim.Simulation(sc)
        sim.step()
        sims.append(sim)
    r = sims[0].scoring.rule_index("bill_on_time")
    L = [(s.scoring.ledger_behaviour[r], s.scoring.ledger_error[r]) for s in sims]
    tot0 = L[0][0].sum() + L[0][1].sum()
    tot1 = L[1][0].sum() + L[1][1].sum()
    assert tot0 == pytest.approx(tot1, rel=1e-6)  # same draws, same events: only the owner changes
    share = L[1][1].sum() / tot1
    assert 0.45 < share < 0.55
    # errors land only on citizens of regions where the events happened: per-region totals equal
    reg = sims[1].people.region
    by_region0 = np.bincount(reg, weights=L[0][0])
    by_region1 = np.bincount(reg, weights=L[1][0] + L[1][1])
    assert np.allclose(by_region0, by_region1, rtol=1e-5)
    # and only on citizens the source covers
    assert not ((L[1][1] != 0) & ~sims[1].sources.covered_mask(sims[1], "finance")).any()


def test_a_misattributed_event_never_lands_on_the_one_who_did_it():
    """With misattribution 1, every recorded event moves: nobody keeps a behaviour point, and
    errors land on other covered citizens of the region only."""
    sim = scsim.Simulation(scsim.load_scenario("article", population=5000, ticks=1, seed=5,
                                               **{"sources.finance.misattribution": 1.0}))
    sim.step()
    rec = sim.sources.record("finance.bill_on_time")
    assert rec.beh.sum() == 0 and rec.err.sum() > 1000


def test_score_is_the_friends_term_of_own_scores(article):
    sim, _ = article
    sc = sim.scoring
    cfg = sim.scenario
    a = cfg.network.alpha
    m = sc.friends_mean
    deg = sim.exchange.graph.degree
    raw = (1 - a) * sc.own + a * m
    assert np.allclose(sc.score, np.clip(raw, cfg.score.min, cfg.score.max), atol=1e-3)
    # m is the mean of friends' previous scores
    i = int(np.flatnonzero(deg > 3)[0])
    nb = sim.exchange.graph.neighbors(i)
    assert m[i] == pytest.approx(sc.prev_score[nb].mean(), rel=1e-5)
    # own is base + weighted ledger
    own = cfg.score.base + sc.weight @ (sc.ledger_behaviour + sc.ledger_error)
    assert np.allclose(sc.own, own, atol=1e-3)
    assert sc.score.min() >= cfg.score.min and sc.score.max() <= cfg.score.max


def test_converges_to_the_closed_form_on_a_real_graph(facebook_path):
    """With constant own scores, s* = (1-a)(I - aW)^-1 own (W row-normalised adjacency): every
    source off, ledgers that never decay."""
    g, _ = read_edge_list(facebook_path)
    off = {f"sources.{s}.enabled": False for s in SOURCES}
    sc = scsim.load_scenario("article", ticks=40, seed=5, **{"network.alpha": 0.4}, **NO_RESPONSES, **off)
    sc = sc.model_copy(update={"rules": {k: r.model_copy(update={"half_life": 0.0}) for k, r in sc.rules.items()}})
    sim = scsim.Simulation(sc, graph=g)
    assert sim.n == 4039 and sim.exchange.graph.n_edges == 88234
    rng = np.random.default_rng(0)
    L = sim.scoring.ledger_behaviour
    L[:] = rng.normal(0, 60, L.shape).astype(np.float32) / L.shape[0]
    for _ in range(40):
        sim.step()
    own = sim.scoring.own.astype(np.float64)
    assert own.min() > 350 and own.max() < 950   # clipping never binds here
    A = g.to_scipy().astype(np.float64)
    deg = np.asarray(A.sum(axis=1)).ravel()
    W = sp.diags(1 / deg) @ A
    a = 0.4
    s_star = spsolve((sp.identity(g.n) - a * W).tocsc(), (1 - a) * own)
    rel = np.abs(sim.scoring.score - s_star) / np.abs(s_star)
    assert rel.max() < 1e-4


def test_tiers_follow_sesame_bands():
    sim = scsim.Simulation(scsim.load_scenario("article", population=1000, ticks=1))
    got = sim.sanctions.tier_of(np.array([350, 549.9, 550, 599, 600, 650, 700, 950], np.float32))
    assert [sim.sanctions.tier_names[k] for k in got] == ["poor", "poor", "fair", "fair", "good", "very_good",
                                                          "excellent", "excellent"]


def _judgement(behaviour=(), error=()):
    b = np.asarray(behaviour, np.int64)
    e = np.asarray(error, np.int64)
    return {"courts.judgement_unpaid": Record(b, np.ones(b.size, np.int32), e, np.ones(e.size, np.int32))}


def test_blacklist_listing_duration_repeat_and_payment():
    sim = scsim.Simulation(scsim.load_scenario("article", population=50, ticks=1, **{"sanctions.blacklist.pay_rate": 0.0}))
    sa = sim.sanctions
    listing = sa._blacklist

    def tick(t, **kw):
        sim.sources.records = _judgement(**kw)
        listing(sim, t)

    tick(1, behaviour=[0])
    assert sa.blacklisted[:4].tolist() == [True, False, False, False] and sa.listed_until[0] == 1 + 104
    tick(50, behaviour=[0])                          # repeat offence while listed: +1..3 years
    assert 105 + 52 <= sa.listed_until[0] <= 105 + 156
    for t in range(60, 80):                          # never more than 5 years from listing
        tick(t, behaviour=[0])
    assert sa.listed_until[0] == 1 + 260
    tick(261)                                        # expires
    assert not sa.blacklisted[0]
    tick(300, behaviour=[0])                         # relisted as a repeat offender
    assert 300 + 104 + 52 <= sa.listed_until[0] <= 300 + 260 and sa.listings[0] == 23
    # payment: with pay_rate 1 the debtor (of at least median income) is removed within the tick
    sa.config.sanctions.blacklist.pay_rate = 1.0
    rich = int(np.argmax(sim.people.income))
    tick(301, behaviour=[rich])
    tick(302)
    assert not sa.blacklisted[rich]
    # errors: a listing caused only by a misattributed judgement is marked as such
    tick(303, error=[1])
    assert sa.blacklisted[1] and sa.listed_by_error[1]


def test_about_one_percent_blacklisted_at_two_years():
    """Calibration target: ~1.0% of the population listed (14.5M of 1.4B, July 2019)."""
    res = run("article", n=50_000, ticks=104, seed=6)
    share = res.ticks["blacklisted"].iloc[-1] / 50_000
    assert 0.006 < share < 0.015, share


def test_sanctions_feed_back_on_income_trips_and_posts():
    """Same world with and without the system (responses off, so only sanctions differ)."""
    over = {"sanctions.slow_internet_below": 600.0, "sanctions.job_restriction_below": 600.0, **NO_RESPONSES}
    sims = [scsim.Simulation(scsim.load_scenario(name, population=40_000, ticks=40, seed=7, **over))
            for name in ("article", "article-control")]
    res, ctl = (s.run() for s in sims)
    assert res.ticks["job_restricted"].iloc[-1] > 1000 and ctl.ticks["sanctioned"].max() == 0
    # slow internet cuts posting and gaming; travel bans cut trips
    for col in ("events_social_media", "events_gaming", "events_mobility"):
        assert res.ticks[col].iloc[-10:].mean() < ctl.ticks[col].iloc[-10:].mean(), col
    # job restrictions cut income, which raises late payments: the same citizens owe more
    # late-payment points with the system than without it
    treat, control = sims
    r = treat.scoring.rule_index("bill_late")
    hit = treat.sanctions.job_restricted & treat.sources.covered_mask(treat, "finance")
    late = [s.scoring.ledger_behaviour[r][hit].sum() + s.scoring.ledger_error[r][hit].sum() for s in sims]
    assert hit.sum() > 500
    assert late[0] < late[1]  # points are negative: more late payments


def test_job_restriction_cuts_income_by_the_configured_share():
    sim = scsim.Simulation(scsim.load_scenario("article", population=20_000, ticks=20, seed=8,
                                               **{"sanctions.job_restriction_below": 600.0}))
    sim.run()
    jr = sim.sanctions.job_restricted
    assert jr.sum() > 100
    assert np.allclose(sim.sanctions.income_factor[jr], 0.8)
    assert np.allclose(sim.sanctions.income_factor[~jr], 1.0)


def test_control_twin_shares_the_world_and_draws():
    a = run("article", n=10_000, ticks=1, seed=9, **NO_RESPONSES)
    b = run("article-control", n=10_000, ticks=1, seed=9, **NO_RESPONSES)
    cols = ["age", "sex", "region", "income", "degree", "dissent"]
    pd.testing.assert_frame_equal(a.citizens[cols], b.citizens[cols])
    # tick 1 happens before any sanction can feed back: identical events
    ev = [c for c in a.ticks.columns if c.startswith("events_")]
    pd.testing.assert_frame_equal(a.ticks[ev], b.ticks[ev])
    assert b.ticks["sanctioned"].sum() == 0 and b.citizens["perks"].sum() == 0


def test_rongcheng_points_and_grade_cap_for_drunk_driving():
    sim = scsim.Simulation(scsim.load_scenario("rongcheng", population=30_000, ticks=30, seed=10,
                                               **{"sources.courts.rates.drunk_driving": 0.01}))
    res = sim.run()
    sc = sim.scoring
    r = sc.rule_index("drunk_driving")
    drunk = sc.ledger_behaviour[r] + sc.ledger_error[r] != 0
    assert drunk.sum() > 50
    assert (sc.score[drunk] <= 849.0 + 1e-3).all()   # dropped straight to grade C or below
    assert set(res.citizens.loc[drunk, "tier"]) <= {"C", "D"}
    assert res.citizens["score"].max() <= 1200 and res.ticks["mean_score"].iloc[0] > 990


def _all_outputs(res):
    return res.ticks, res.citizens, res.panel, res.tables["transitions"], res.arrays


def test_bit_identical_whatever_the_chunk_size_and_thread_count():
    """Same scenario and seed, two chunk sizes and thread counts (sources and compiled kernels,
    serial and parallel forms): every output array is equal. Five ticks, so that a contact check
    (tick 4) and a pattern-of-life analysis (tick 5 here) run under both."""
    from scsim.engine import streams

    outs = []
    for chunk, threads, parallel_from in ((7_000, 1, 1 << 40), (131072, 2, 1)):
        streams.PARALLEL_FROM, keep = parallel_from, streams.PARALLEL_FROM
        try:
            scsim.prepare_process(threads=threads)
            sc = scsim.load_scenario("article", population=40_000, ticks=5, seed=12,
                                     **{"engine.chunk_size": chunk, "engine.threads": threads, "surveillance.every": 5})
            outs.append(_all_outputs(scsim.Simulation(sc).run()))
        finally:
            streams.PARALLEL_FROM = keep
            scsim.prepare_process(threads=0)
    (t1, c1, p1, tr1, a1), (t2, c2, p2, tr2, a2) = outs
    pd.testing.assert_frame_equal(t1, t2, check_exact=True)
    pd.testing.assert_frame_equal(c1, c2, check_exact=True)
    pd.testing.assert_frame_equal(p1, p2, check_exact=True)
    pd.testing.assert_frame_equal(tr1, tr2, check_exact=True)
    assert a1.keys() == a2.keys()
    for k in a1:
        assert np.array_equal(a1[k], a2[k]), k


def test_same_seed_same_result_other_seed_differs():
    a, b, c = run(n=5000, ticks=4, seed=1), run(n=5000, ticks=4, seed=1), run(n=5000, ticks=4, seed=2)
    pd.testing.assert_frame_equal(a.ticks, b.ticks, check_exact=True)
    assert not a.ticks["mean_score"].equals(c.ticks["mean_score"])


@pytest.mark.parametrize("kind", ["watts_strogatz", "barabasi_albert", "erdos_renyi"])
def test_runs_on_every_generator(kind):
    res = run(n=3000, ticks=2, **{"graph.kind": kind})
    assert res.manifest["edges"] > 3000 * 5


def test_step_and_run_api_like_mesa():
    sim = scsim.Simulation(scsim.load_scenario("sesame", population=2000, ticks=5))
    sim.step()
    sim.step()
    assert sim.tick == 2 and len(sim.collector.rows) == 2
    res = sim.run()
    assert list(res.ticks["tick"]) == [1, 2, 3, 4, 5]
    assert res.ticks["sanctioned"].max() == 0     # sesame has no sanctions


@pytest.mark.parametrize("kind", ["dcsbm", "watts_strogatz", "barabasi_albert", "erdos_renyi"])
def test_tiny_populations_run(kind):
    """Ten citizens cannot have twenty friends each: the mean degree is capped, the run works."""
    res = run(n=10, ticks=2, **{"graph.kind": kind})
    assert 0 < res.manifest["edges"] <= 45 and len(res.citizens) == 10
