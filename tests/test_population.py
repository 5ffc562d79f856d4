"""Synthetic citizens: marginals match the scenario's published figures; deterministic."""
import numpy as np
import pytest

from scsim.mechanisms.groups import assign_units
from scsim.mechanisms.people import PLATFORMS, RETIRED, STUDENT, TRAITS, People
from scsim.scenario import load_scenario

N = 200_000


def generate(n, cfg, seed):
    return People(cfg).standalone(n, seed)


@pytest.fixture(scope="module")
def pop():
    return generate(N, load_scenario("article").people, seed=11)


def se(p, n=N):
    """Binomial standard error; tolerances below are 5 standard errors (false alarm ~1e-6)."""
    return 5 * np.sqrt(p * (1 - p) / n)


def test_shares_match_the_census(pop):
    cfg = load_scenario("article").people
    assert abs((pop.age >= 60).mean() - cfg.share_60_plus) < se(cfg.share_60_plus)
    assert abs(pop.male.mean() - cfg.male_share) < se(cfg.male_share)
    assert abs(pop.urban.mean() - cfg.urban_share) < se(cfg.urban_share)
    assert pop.age.min() >= 18 and pop.age.max() <= 85


def test_regions_in_proportion_to_provincial_populations(pop):
    cfg = load_scenario("article").people
    w = np.array(list(cfg.regions.values()))
    expect = w / w.sum()
    got = np.bincount(pop.region, minlength=len(w)) / N
    assert len(w) == 31
    assert np.all(np.abs(got - expect) < se(expect) + 1e-9)


def test_platform_marginals_and_urban_young_skew(pop):
    cfg = load_scenario("article").people.platforms
    for pl in PLATFORMS:
        target = getattr(cfg, pl)
        assert abs(getattr(pop, pl).mean() - target) < se(target) + 0.002, pl
    ali = pop.alibaba
    assert ali[pop.urban].mean() > ali[~pop.urban].mean()
    assert ali[pop.age < 40].mean() > ali[pop.age >= 40].mean()


def test_income_lognormal_urban_median_about_2_5_times_rural(pop):
    workers = pop.occupation == 1
    ratio = np.median(pop.income[pop.urban & workers]) / np.median(pop.income[~pop.urban & workers])
    assert 2.3 < ratio < 2.7
    assert (pop.income > 0).all()


def test_occupations_by_age_and_traits_in_unit_interval(pop):
    assert (pop.occupation[pop.age >= 60] == RETIRED).mean() > 0.8
    assert (pop.occupation[pop.age < 23] == STUDENT).mean() > 0.5
    assert not (pop.occupation[pop.age >= 30] == STUDENT).any()
    for t in TRAITS:
        v = pop.trait(t)
        assert v.dtype == np.float32 and v.min() >= 0 and v.max() <= 1, t
    assert (pop.infant <= (pop.children > 0)).all()


def test_deterministic_and_citizen_by_citizen():
    """Each citizen's attributes depend only on the seed and their id: the first citizens of a
    larger population are the citizens of a smaller one."""
    cfg = load_scenario("article").people
    a = generate(70_000, cfg, seed=3)
    b = generate(70_000, cfg, seed=3)
    c = generate(70_000, cfg, seed=4)
    assert np.array_equal(a.age, b.age) and np.array_equal(a.income, b.income)
    assert not np.array_equal(a.age, c.age)
    d = generate(1000, cfg, seed=3)
    for k in ("age", "male", "region", "urban", "occupation", "children", "infant", "dissent", "alibaba"):
        assert np.array_equal(getattr(a, k)[:1000], getattr(d, k)), k


def test_traits_follow_their_beta_distributions(pop):
    from scipy import stats

    cfg = load_scenario("article").people.traits
    for t in TRAITS:
        p = stats.kstest(pop.trait(t), stats.beta(cfg[t].a, cfg[t].b).cdf).pvalue
        assert p > 1e-3, (t, p)


def test_units_of_about_thirty_with_one_supervisor_each(pop):
    rng = np.random.default_rng(1)
    unit, sup = assign_units(pop.region, pop.occupation, 30, rng.random(N), rng.random(N))
    sizes = np.bincount(unit)
    assert sizes.max() == 30 and np.median(sizes) == 30
    assert np.bincount(unit, weights=sup).max() == 1 and np.bincount(unit, weights=sup).min() == 1
    # a unit never spans two regions
    r_min = np.full(sizes.size, 99)
    np.minimum.at(r_min, unit, pop.region)
    r_max = np.zeros(sizes.size, int)
    np.maximum.at(r_max, unit, pop.region)
    assert (r_min == r_max).all()
