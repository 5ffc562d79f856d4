"""Random streams (scsim.engine.streams): Philox4x32-10 against its published known-answer
vectors, the distributions against their laws (seeded statistical tests with stated false-alarm
rates), and the per-citizen property: a draw depends on nothing but (seed, stream, tick, slot,
id)."""
import numpy as np
import pytest
from scipy import stats

from scsim.engine import streams
from scsim.engine.streams import Stream, StreamRegistry, philox4x32, slot_id, stream_key


def test_philox_matches_the_random123_known_answers():
    """Salmon et al. (2011), Random123 kat_vectors for philox4x32_R(10, ctr, key)."""
    assert philox4x32((0, 0, 0, 0), (0, 0)) == (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)
    assert philox4x32((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2) == (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)
    assert philox4x32((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0)) == \
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)


def _chi2_pvalue(counts: np.ndarray, lam: float) -> float:
    n = counts.size
    kmax = int(lam + 10 * np.sqrt(lam) + 10)
    k = np.arange(kmax)
    obs = np.bincount(counts, minlength=kmax)[:kmax].astype(float)
    exp = stats.poisson.pmf(k, lam) * n
    keep = exp > 5
    o = np.r_[obs[keep], n - obs[keep].sum()]
    e = np.r_[exp[keep], n - exp[keep].sum()]
    if e[-1] < 5:
        o, e = o[:-1], e[:-1] * o[:-1].sum() / e[:-1].sum()
    return float(stats.chi2.sf(((o - e) ** 2 / e).sum(), len(o) - 1))


# every path of the sampler: the sparse shortcut, inversion, the switch at 40, PTRS
RATES = (0.0005, 0.05, 0.5, 3.0, 9.99, 17.0, 39.9, 40.0, 112.0)


@pytest.mark.parametrize("lam", RATES)
def test_poisson_counts_follow_the_poisson_law(lam):
    """Chi-square goodness of fit at 200,000 draws; the test fails at p < 1e-4 (a false alarm in
    10,000 for a correct sampler; a sampler off by 1% in a cell fails at these sizes)."""
    c = Stream("test", seed=11).poisson(np.full(200_000, lam), 3, "x")
    assert c.dtype == np.int32 and (c >= 0).all()
    assert _chi2_pvalue(c, lam) > 1e-4
    assert abs(c.mean() - lam) < 5 * np.sqrt(lam / c.size)


def test_poisson_with_varying_rates_has_the_right_mean_per_group():
    rng = np.random.default_rng(7)
    lam = np.r_[rng.random(50_000) * 0.02, rng.random(50_000) * 5, 20 + rng.random(20_000) * 60].astype(np.float32)
    c = Stream("test", seed=3).poisson(lam, 1, "y")
    order = np.argsort(lam)
    for grp in np.array_split(order, 12):  # 5 standard errors per group
        assert abs(c[grp].mean() - lam[grp].mean()) < 5 * np.sqrt(lam[grp].mean() / grp.size)


def test_zero_negative_and_nan_rates_give_no_events():
    s = Stream("test", seed=1)
    assert s.poisson(np.array([0.0, -1.0, np.nan, 0.0]), 1, "z").tolist() == [0, 0, 0, 0]
    assert s.poisson(np.zeros(0), 1, "z").shape == (0,)


def test_inversion_is_monotone_in_the_rate():
    """Below a mean of 40, a citizen whose rate rises never draws fewer events (the same uniform,
    inverted): counterfactuals move counts only where rates moved, and only a little."""
    s = Stream("test", seed=5)
    lam = np.random.default_rng(0).random(100_000) * 8
    a = s.poisson(lam, 2, "m")
    b = s.poisson(lam * 1.01, 2, "m")
    # a count changes when the uniform falls between the two CDFs: about d(lam) of the time
    assert (b >= a).all() and 0 < (b != a).mean() < 1.5 * 0.01 * lam.mean()


def test_sparse_and_dense_forms_agree():
    s = Stream("test", seed=9)
    lam = np.random.default_rng(1).random(30_000) * 0.1
    pos, cnt = s.poisson_sparse(lam, 4, "q")
    dense = s.poisson(lam, 4, "q")
    assert np.array_equal(np.flatnonzero(dense), pos) and np.array_equal(dense[pos], cnt)
    assert s.poisson_total(lam, 4, "q") == dense.sum()


@pytest.mark.parametrize("shape", [0.3, 1.0, 2.5, 9.0])
def test_gamma_follows_its_law(shape):
    g = Stream("test", seed=2).gamma(0, f"g{shape}", shape, n=100_000)
    assert stats.kstest(g, stats.gamma(shape).cdf).pvalue > 1e-4


def test_beta_normal_uniform_follow_their_laws():
    s = Stream("test", seed=4)
    assert stats.kstest(s.beta(0, "b", 1.5, 5.0, n=100_000), stats.beta(1.5, 5.0).cdf).pvalue > 1e-4
    assert stats.kstest(s.normal(0, "n", n=100_000), "norm").pvalue > 1e-4
    u = s.uniform(0, "u", n=100_000)
    assert stats.kstest(u, "uniform").pvalue > 1e-4 and 0 < u.min() and u.max() < 1
    u2 = s.uniform2(0, "u2", n=50_000)
    assert abs(stats.pearsonr(u2[0], u2[1]).statistic) < 0.02  # the two words of one call are independent


def test_thinning_keeps_the_right_share():
    counts = np.random.default_rng(5).poisson(2.0, 50_000).astype(np.int32)
    kept, moved = Stream("test", seed=6).thin(counts, 0.1, 1, "t")
    assert np.array_equal(kept + moved, counts) and (moved >= 0).all()
    share = moved.sum() / counts.sum()
    assert abs(share - 0.1) < 5 * np.sqrt(0.09 / counts.sum())


def test_a_draw_depends_only_on_its_id():
    s = Stream("sources.courts", seed=7)
    lam = np.random.default_rng(1).random(80_000) * 3
    full = s.poisson(lam, 5, "traffic_violation")
    pick = np.sort(np.random.default_rng(2).choice(80_000, 900, replace=False))
    assert np.array_equal(s.poisson(lam[pick], 5, "traffic_violation", ids=pick), full[pick])
    assert np.array_equal(s.poisson(lam[1000:70000], 5, "traffic_violation", ids=range(1000, 70000)), full[1000:70000])
    u = s.uniform(5, "u", n=80_000)
    assert np.array_equal(s.uniform(5, "u", ids=pick), u[pick])
    k = np.random.default_rng(3).integers(0, 4, 80_000)
    e = s.each(5, "e", k)
    e_pick = s.each(5, "e", k[pick], ids=pick)
    first = np.r_[0, np.cumsum(k)]
    assert np.array_equal(e_pick, np.concatenate([e[first[i]:first[i + 1]] for i in pick]))


def test_serial_and_parallel_kernels_draw_the_same_numbers():
    s = Stream("test", seed=8)
    lam = np.random.default_rng(4).random(5000) * 60
    keep = streams.PARALLEL_FROM
    try:
        streams.PARALLEL_FROM = 1 << 40
        serial = (s.poisson(lam, 1, "p"), s.uniform(1, "u", n=5000), s.beta(1, "b", 2, 3, n=5000))
        streams.PARALLEL_FROM = 1
        parallel = (s.poisson(lam, 1, "p"), s.uniform(1, "u", n=5000), s.beta(1, "b", 2, 3, n=5000))
    finally:
        streams.PARALLEL_FROM = keep
    for a, b in zip(serial, parallel):
        assert np.array_equal(a, b)


def test_pair_draws_depend_on_the_ids_not_their_width():
    """An edge list of int32 ids (the graph's) draws what the same ids as int64 draw, and a
    pair's draw does not depend on the other pairs in the list."""
    s = Stream("test", seed=8)
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 2**31 - 1, 3000), rng.integers(0, 2**31 - 1, 3000)
    wide = s.uniform_pairs(2, "tie", a, b)
    assert np.array_equal(wide, s.uniform_pairs(2, "tie", a.astype(np.int32), b.astype(np.int32)))
    assert np.array_equal(wide[::7], s.uniform_pairs(2, "tie", a[::7], b[::7]))
    assert not np.array_equal(wide, s.uniform_pairs(2, "tie", b, a))  # (a, b) is not (b, a)


def test_streams_ticks_and_slots_are_independent():
    a, b = Stream("a", seed=1), Stream("b", seed=1)
    ua, ub = a.uniform(1, "x", n=50_000), b.uniform(1, "x", n=50_000)
    assert abs(stats.pearsonr(ua, ub).statistic) < 0.02
    assert not np.array_equal(a.uniform(2, "x", n=10), a.uniform(1, "x", n=10))
    assert not np.array_equal(a.uniform(1, "y", n=10), a.uniform(1, "x", n=10))
    assert stream_key(1, "a") != stream_key(1, "b") != stream_key(2, "a")
    assert slot_id("diapers") != slot_id("books")


def test_a_stream_is_claimed_once():
    reg = StreamRegistry(seed=1)
    reg.claim("people", "people")
    with pytest.raises(Exception, match="claimed by module 'other' and by module 'people'"):
        reg.claim("people", "other")
