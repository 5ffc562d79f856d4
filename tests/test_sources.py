"""Event sampling: the fast Poisson paths give Poisson counts (statistical tests, seeded)."""
import numpy as np
import pytest
from scipy import stats

from scsim.sources import misattribute, poisson


@pytest.mark.parametrize("kind", ["dense", "thinning", "uneven"])
def test_counts_are_poisson_with_the_given_rates(kind):
    rng = np.random.default_rng(7)
    m = 20_000
    lam = {"dense": rng.random(m) * 2.0,
           "thinning": rng.random(m) * 0.02,
           "uneven": np.r_[np.full(20, 3.0), rng.random(m - 20) * 0.01]}[kind].astype(np.float32)
    reps = 200
    draws = np.stack([poisson(np.random.default_rng(1000 + r), lam) for r in range(reps)])
    assert draws.dtype == np.int32 and (draws >= 0).all()
    tot = draws.sum(axis=1)
    # block totals: mean and variance both equal sum(lam) for a Poisson total
    L = float(lam.sum(dtype=np.float64))
    assert abs(tot.mean() - L) < 4 * np.sqrt(L / reps)                      # 4 standard errors
    assert 0.7 < tot.var(ddof=1) / L < 1.4                                  # chi2(199)/199 is within this at >99.9%
    # per-citizen means follow the rates: groups of citizens by rate decile
    order = np.argsort(lam)
    for grp in np.array_split(order, 10):
        mean = draws[:, grp].mean()
        expect = lam[grp].mean()
        assert abs(mean - expect) < 5 * np.sqrt(expect / (reps * grp.size)) + 1e-9


def test_constant_rate_histogram_matches_the_pmf():
    lam = np.full(50_000, 0.05, np.float32)
    c = poisson(np.random.default_rng(3), lam)
    obs = np.bincount(c, minlength=3)[:3].astype(float)
    obs[2] = (c >= 2).sum()
    exp = np.array([stats.poisson.pmf(0, 0.05), stats.poisson.pmf(1, 0.05), stats.poisson.sf(1, 0.05)]) * lam.size
    chi2 = ((obs - exp) ** 2 / exp).sum()
    assert chi2 < stats.chi2.ppf(0.999, df=2)


def test_zero_rates_and_empty():
    assert poisson(np.random.default_rng(0), np.zeros(10, np.float32)).sum() == 0
    assert poisson(np.random.default_rng(0), np.zeros(0, np.float32)).shape == (0,)


def test_misattribution_takes_the_right_share_without_creating_events():
    rng = np.random.default_rng(5)
    counts = rng.poisson(1.0, 50_000).astype(np.int32)
    kept, owner = misattribute(np.random.default_rng(6), counts, 0.1)
    assert kept.sum() + owner.size == counts.sum()
    assert (kept >= 0).all() and (kept <= counts).all()
    assert abs(owner.size / counts.sum() - 0.1) < 4 * np.sqrt(0.09 / counts.sum())
    assert (np.bincount(owner, minlength=counts.size) == counts - kept).all()
