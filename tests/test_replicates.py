"""Replicates and intervals (issue 12): ``scsim run --replicates R``, the 95% intervals of
``summary.parquet``/``bands.parquet``, ``scsim compare`` of two replicate sets (paired by seed,
"within noise"), the per-citizen "touched" count, and ``scsim report`` on a replicate set.

Every statistical claim is checked against an independent computation or with a seeded
statistical test whose tolerance is stated where it is made. Small worlds (2,000-3,000
citizens, 4-6 ticks) keep the file near 40 s on two cores.
"""
from __future__ import annotations

import json
import math
import shutil
import statistics

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import scsim
from scsim import cli
from scsim.analysis.compare import compare, compare_text, touched
from scsim.analysis.replicates import Replicates, format_value, load_pair, run_replicates, t_interval
from scsim.errors import ScsimError

N, T, R = 3000, 6, 8
HARSH = {"sanctions.job_restriction_below": 598}  # sanctions by the hundred at this size: a policy effect to detect
CONTINUOUS = ("mean_score", "gini", "share_fair", "share_good", "events_commerce", "events_finance", "events_gaming",
              "events_mobility", "events_social_media", "events_metadata")
"""Measures that take many values at this size (sanction counts of a few citizens do not)."""


@pytest.fixture(scope="module")
def client():
    from scsim.analysis.sweep import dask_client

    with dask_client(2) as c:
        yield c


@pytest.fixture(scope="module")
def sets(tmp_path_factory, client):
    root = tmp_path_factory.mktemp("replicates")
    policy, control = run_replicates("article", R, root / "pair", population=N, ticks=T, overrides=HARSH,
                                     with_control=True, client=client)
    other = run_replicates("article", R, root / "other", population=N, ticks=T, seed=42 + R, overrides=HARSH, client=client)
    return {"root": root, "policy": policy, "control": control, "other": other}


def _last_rows(rep: Replicates) -> pd.DataFrame:
    """Each seed's last tick, read from its run folder (not through the replicate code)."""
    rows = []
    for s in rep.seeds:
        t = pd.read_parquet(rep.path / "runs" / f"seed-{s}" / "ticks.parquet")
        rows.append(t.iloc[-1].rename(s))
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# the set and its summary


def test_a_set_is_seeds_S_to_S_plus_R_minus_1_each_an_ordinary_run(sets):
    pol = sets["policy"]
    assert pol.seeds == list(range(42, 42 + R)) and sets["control"].seeds == pol.seeds
    assert sets["other"].seeds == list(range(42 + R, 42 + 2 * R))
    for s in pol.seeds:
        m = json.loads((pol.path / "runs" / f"seed-{s}" / "manifest.json").read_text())
        st = json.loads((pol.path / "runs" / f"seed-{s}" / "status.json").read_text())
        assert m["seed"] == s and m["population"] == N and m["ticks"] == T and st["state"] == "complete"
        assert m["scenario"]["sanctions"]["job_restriction_below"] == 598
    plan = json.loads((sets["root"] / "pair" / "replicates.json").read_text())
    assert plan["kind"] == "replicate-pair" and plan["sets"] == ["article", "article-control"] and plan["seeds"] == pol.seeds
    # replicate k is the very run `scsim run --seed k` makes (same draws, bit-identical measures)
    single = scsim.Simulation(scsim.load_scenario("article", population=N, ticks=T, seed=43, **HARSH)).run()
    pd.testing.assert_frame_equal(single.ticks, pd.read_parquet(pol.folder(43) / "ticks.parquet"), check_exact=True)


def test_summary_is_the_t_interval_of_the_end_values(sets):
    pol = sets["policy"]
    last = _last_rows(pol)
    sm = pol.summary.set_index("measure")
    tq = stats.t.ppf(0.975, R - 1)
    checked = 0
    for m in CONTINUOUS + ("sanctioned", "wrongful_sanctions", "blacklisted"):
        x = last[m].astype(float).tolist()
        mean, sd = statistics.fmean(x), statistics.stdev(x)
        r = sm.loc[m]
        assert r["n"] == R and r["mean"] == pytest.approx(mean, rel=1e-12, abs=1e-12)
        assert r["sd"] == pytest.approx(sd, rel=1e-9, abs=1e-12)
        half = tq * sd / math.sqrt(R)
        assert r["ci_low"] == pytest.approx(mean - half, rel=1e-9, abs=1e-9)
        assert r["ci_high"] == pytest.approx(mean + half, rel=1e-9, abs=1e-9)
        assert r["min"] == min(x) and r["max"] == max(x)
        assert last.loc[r["seed_min"], m] == min(x) and last.loc[r["seed_max"], m] == max(x)
        checked += 1
    assert checked == len(CONTINUOUS) + 3
    # the harsh threshold sanctions hundreds: an interval well away from 0
    assert sm.loc["sanctioned", "ci_low"] > 100
    # bands: the last tick of each measure is the summary's interval; percentiles bracket the mean
    b = pol.bands
    lastb = b[b["tick"] == T].set_index("measure")
    for m in CONTINUOUS:
        assert lastb.loc[m, "mean"] == pytest.approx(sm.loc[m, "mean"], rel=1e-12)
        assert lastb.loc[m, "ci_low"] == pytest.approx(sm.loc[m, "ci_low"], rel=1e-9)
        assert lastb.loc[m, "q025"] <= lastb.loc[m, "mean"] <= lastb.loc[m, "q975"]
        assert lastb.loc[m, "q025"] == pytest.approx(np.quantile(last[m].astype(float), 0.025), rel=1e-12)
    assert sorted(b["tick"].unique()) == list(range(1, T + 1))
    # what was written is what the object holds
    on_disk = Replicates.load(pol.path)
    pd.testing.assert_frame_equal(on_disk.summary, pol.summary)
    mean, lo, hi = on_disk.interval("mean_score")
    assert lo < mean < hi and (mean, lo, hi) == pytest.approx(tuple(sm.loc["mean_score", ["mean", "ci_low", "ci_high"]]))


def test_t_interval_is_calibrated():
    """Coverage of the 95% interval on normal samples of 3, 5 and 8 values (20,000 samples each,
    seeded): the binomial standard error of a coverage of 0.95 is 0.0015; 0.006 is 4 of them."""
    rng = np.random.default_rng(20261202)
    for n in (3, 5, 8):
        x = rng.normal(7.0, 3.0, size=(20_000, n))
        lo, hi = [], []
        for row in x[:20_000]:
            d = t_interval(row)
            lo.append(d["ci_low"])
            hi.append(d["ci_high"])
        cover = np.mean((np.array(lo) <= 7.0) & (7.0 <= np.array(hi)))
        assert abs(cover - 0.95) < 0.006, (n, cover)
    # edge cases: NaN left out, one value has no interval, equal values give the value itself
    assert t_interval([1.0, float("nan"), 3.0])["n"] == 2
    one = t_interval([5.0])
    assert one["n"] == 1 and one["mean"] == 5.0 and math.isnan(one["ci_low"])
    same = t_interval([0.1 + 0.2] * 4)
    assert same["sd"] == 0.0 and same["ci_low"] == same["ci_high"] == same["mean"]


def test_another_R_seeds_land_inside_the_interval(sets):
    """Set A (seeds 42-49) against set B (seeds 50-57) of the same scenario: the same model, other
    draws, so every difference is noise. One measure per mechanism (the tier shares, which move
    with the mean score, are left out).

    (1) Welch's t of the two means stays below 4.5 for each measure: with about 14 degrees of
    freedom P(|t| > 4.5) = 0.0005, so a correct implementation fails for a given set of seeds with
    probability under 10 x 0.0005 = 0.5% (the seeds are fixed: the test is deterministic); an
    interval too narrow by a factor 2 would double every t (the largest here is about 3.8).
    (2) A's interval holds B's mean for most measures: the chance is P(|t_7| < t_7(0.975) / sqrt 2)
    = 0.861 per measure; fewer than 6 of 10 has probability 0.7% for independent measures."""
    A, B = sets["policy"].summary.set_index("measure"), sets["other"].summary.set_index("measure")
    measures = ("mean_score", "gini", "sanctioned", "wrongful_sanctions", "events_commerce", "events_finance",
                "events_gaming", "events_mobility", "events_social_media", "events_metadata")
    inside = 0
    for m in measures:
        welch = (B.loc[m, "mean"] - A.loc[m, "mean"]) / math.hypot(A.loc[m, "se"], B.loc[m, "se"])
        assert abs(welch) < 4.5, (m, welch)
        inside += bool(A.loc[m, "ci_low"] <= B.loc[m, "mean"] <= A.loc[m, "ci_high"])
    assert inside >= 6, inside
    p = stats.t.cdf(stats.t.ppf(0.975, R - 1) / math.sqrt(2), R - 1) * 2 - 1
    assert 0.86 < p < 0.862 and stats.binom.cdf(5, 10, p) < 0.008


# ---------------------------------------------------------------------------------------------
# compare: paired differences


def test_policy_against_control_paired_by_seed(sets):
    pol, ctl = sets["policy"], sets["control"]
    c = compare(pol.path, ctl.path)
    assert c["kind"] == "replicates" and c["world"]["seeds"] == pol.seeds and c["interval"]["df"] == R - 1
    # recomputed from the run folders: per seed A - B, then the t interval
    la, lb = _last_rows(pol), _last_rows(ctl)
    for m in ("sanctioned", "mean_score", "events_finance", "events_good_deeds"):
        d = (la[m].astype(float) - lb[m].astype(float)).tolist()
        got = c["measures"][m]
        assert got["diffs"] == pytest.approx(d) and got["diff"] == pytest.approx(statistics.fmean(d))
        if len(set(d)) > 1:
            half = stats.t.ppf(0.975, R - 1) * statistics.stdev(d) / math.sqrt(R)
            assert got["ci_low"] == pytest.approx(statistics.fmean(d) - half, rel=1e-9)
            assert got["within_noise"] == (got["ci_low"] <= 0 <= got["ci_high"])
    s = c["measures"]["sanctioned"]
    assert s["b_mean"] == 0 and s["ci_low"] > 0 and s["within_noise"] is False and not s["identical"]
    # per citizen: counts with intervals; touched bounds every other count, pair by pair
    ci = c["citizens"]
    for key in ("score_differs", "tier_changed", "sanctioned_only_a"):
        assert all(t >= x for t, x in zip(ci["touched"]["per_seed"], ci[key]["per_seed"])), key
    assert ci["sanctioned_only_a"]["mean"] == pytest.approx(s["diff"]) and ci["sanctioned_only_b"]["mean"] == 0
    text = compare_text(c)
    assert "within noise" in text and "95% interval" in text and "touched by the policy" in text
    assert text.splitlines()[-1] == "All citizens are simulated."
    # the same through the object
    assert pol.compare(ctl)["measures"]["sanctioned"] == s


def test_a_set_against_itself_is_all_within_noise_and_zero(sets):
    pol = sets["policy"]
    c = compare(pol, pol.path)
    for k, m in c["measures"].items():
        assert m["identical"] and m["within_noise"] is True, k
        assert all(d is None or d == 0 for d in m["diffs"]), k  # None: a measure undefined in every run (NaN)
    assert c["citizens"]["touched"]["per_seed"] == [0] * R
    assert "identical in every pair" in compare_text(c)


def test_compare_refuses_what_cannot_be_paired(sets, capsys):
    pol, other = sets["policy"], sets["other"]
    with pytest.raises(ScsimError, match=r"different seeds \(only in A .*: 42-49; only in B .*: 50-57\)"):
        compare(pol.path, other.path)
    with pytest.raises(ScsimError, match="is a replicate set and .* a single run"):
        compare(pol.path, pol.folder(42))
    rc = cli.main(["compare", str(pol.path), str(other.path)])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "different seeds" in err
    with pytest.raises(ScsimError, match="holds two replicate sets"):
        Replicates.load(sets["root"] / "pair")


def test_single_runs_have_no_interval_and_say_how_many_citizens_were_touched(sets):
    a, b = sets["policy"].folder(42), sets["control"].folder(42)
    c = compare(a, b)
    assert c["interval"] is None
    text = compare_text(c)
    assert "one run each: no interval" in text and "--replicates" in text
    # touched: citizens whose row differs in any shared column, recomputed with pandas
    ca, cb = pd.read_parquet(a / "citizens.parquet"), pd.read_parquet(b / "citizens.parquet")
    cols = [x for x in ca.columns if x in cb.columns and x != "id"]
    diff = np.zeros(len(ca), dtype=bool)
    for x in cols:
        u, v = ca[x].to_numpy(), cb[x].to_numpy()
        same = (u == v) | (pd.isna(u) & pd.isna(v))
        diff |= ~np.asarray(same, dtype=bool)
    t = c["citizens"]["touched"]
    assert t["touched"] == int(diff.sum()) and t["columns"] == len(cols) and t["aligned"] == N
    assert t["touched"] >= c["citizens"]["tier"]["changed"] and t["touched"] >= c["citizens"]["score"]["differs"]
    assert f"of the {t['touched']:,} touched" in text
    # a run against itself touches nobody; rows in another order are aligned by id
    assert touched(a / "citizens.parquet", a / "citizens.parquet")["touched"] == 0
    shuffled = cb.sample(frac=1.0, random_state=3)
    assert touched(ca, shuffled)["touched"] == int(diff.sum())


# ---------------------------------------------------------------------------------------------
# the command line


def _cli(argv, capsys):
    rc = cli.main(argv)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_cli_run_replicates_with_control_compare_report_and_resume(tmp_path, capsys, client):
    out = tmp_path / "rep"
    argv = ["run", "article", "--replicates", "3", "--with-control", "-n", "2000", "-t", "4", "--workers", "2",
            "--out", str(out)]
    rc, stdout, err = _cli(argv, capsys)
    assert rc == 0, err
    assert "article: 2,000 simulated citizens, 4 ticks (weeks), 3 replicates (seeds 42-44)" in stdout
    assert "article-control: 2,000" in stdout and "95% interval" in stdout and "Student t, 2 degrees of freedom" in stdout
    assert f"scsim compare {out}" in stdout
    for name in ("article", "article-control"):
        for s in (42, 43, 44):
            assert (out / name / "runs" / f"seed-{s}" / "manifest.json").is_file()
        assert (out / name / "summary.parquet").is_file() and (out / name / "bands.parquet").is_file()
    # the printed interval is the stored one
    pol = Replicates.load(out / "article")
    mean, lo, hi = pol.interval("mean_score")
    assert f"[{format_value('mean_score', lo)}, {format_value('mean_score', hi)}]" in stdout
    # the same command again: nothing to run
    rc, stdout, err = _cli(argv, capsys)
    assert rc == 0 and "(0 run now, 6 already done)" in stdout, err
    # compare OUT (the pair) and the report of the pair
    rc, stdout, err = _cli(["compare", str(out)], capsys)
    assert rc == 0 and "within noise" in stdout and "paired by seed: 3 pairs" in stdout, err
    rc, stdout, err = _cli(["compare", str(out), "--json"], capsys)
    assert rc == 0 and json.loads(stdout)["kind"] == "replicates"
    rc, stdout, err = _cli(["report", str(out), "-q"], capsys)
    assert rc == 0, err
    page = (out / "report.html").read_text()
    assert "Simulated citizens only." in page and "Paired differences" in page and "touched by the policy" in page
    sm = pol.summary.set_index("measure")
    for m in ("mean_score", "share_fair", "events_commerce"):
        ci = f"[{format_value(m, sm.loc[m, 'ci_low'])}, {format_value(m, sm.loc[m, 'ci_high'])}]"
        assert ci in page, m  # the page shows the stored intervals
    assert (out / "figures" / "bands-mean_score.png").is_file()
    # an interrupted set: a missing run is named, and the same call runs only that one again
    keep = pd.read_parquet(out / "article" / "runs" / "seed-43" / "ticks.parquet")
    shutil.rmtree(out / "article" / "runs" / "seed-43")
    with pytest.raises(ScsimError, match=r"1 of 3 replicate runs are missing \(seeds 43\)"):
        Replicates.load(out / "article")
    a, b = run_replicates("article", 3, out, population=2000, ticks=4, with_control=True, client=client)
    assert a.ran == 1 and b.ran == 0
    pd.testing.assert_frame_equal(keep, pd.read_parquet(out / "article" / "runs" / "seed-43" / "ticks.parquet"))
    assert load_pair(out)[0].summary.equals(pol.summary)


@pytest.mark.parametrize("extra, message", [
    (["--replicates", "1"], "--replicates 1: an interval needs at least 2 replicates"),
    (["--replicates", "0"], "--replicates 0: an interval needs at least 2 replicates"),
    (["--replicates", "3", "--checkpoint-every", "2"], "--checkpoint-every: not with --replicates"),
    (["--replicates", "3", "--profile"], "--profile: not with --replicates"),
    (["--workers", "2"], "--workers: only with --replicates"),
    (["--replicates", "3", "--workers", "0"], "--workers 0: expected a whole number >= 1"),
    (["--replicates", "3", "--set", "seed=7"], "--set seed=...: with --replicates, give --seed instead"),
    (["--replicates", "3", "--set", "network.alpah=0.2"], "network.alpah: unknown key (did you mean alpha?)"),
])
def test_cli_refusals_are_one_line_and_write_nothing(tmp_path, capsys, extra, message):
    out = tmp_path / "x"
    rc, stdout, err = _cli(["run", "article", "-n", "2000", "-t", "2", "--out", str(out), *extra], capsys)
    assert rc == 2 and stdout == "" and err.count("\n") == 1 and message in err, err
    assert not out.exists()


def test_cli_refuses_a_folder_holding_something_else(tmp_path, capsys, sets):
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine")
    rc, _, err = _cli(["run", "--replicates", "2", "-n", "2000", "-t", "2", "--out", str(full)], capsys)
    assert rc == 2 and "output folder is not empty" in err and err.count("\n") == 1
    assert sorted(p.name for p in full.iterdir()) == ["notes.txt"]
    # a replicate set made with other arguments: named, not touched
    other = sets["other"].path
    before = sorted(p.name for p in other.rglob("*"))
    rc, _, err = _cli(["run", "--replicates", str(R), "-n", str(N), "-t", "5", "--seed", "50",
                      "--set", "sanctions.job_restriction_below=598", "--out", str(other)], capsys)
    assert rc == 2 and "holds a different replicate set (differs in: ticks" in err and err.count("\n") == 1
    assert sorted(p.name for p in other.rglob("*")) == before
