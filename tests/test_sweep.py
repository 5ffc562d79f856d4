"""Sweeps on Dask (local and existing clusters), resume, worker loss, and SALib sensitivity."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from scsim import cli
from scsim.analysis.sensitivity import analyze
from scsim.analysis.sweep import derive_seed, make_plan, plan_runs, run_sweep

SMALL = ["--population", "3000", "--ticks", "5"]


@pytest.fixture(scope="module")
def cluster():
    """An existing Dask cluster (2 worker processes under nannies), as a user would start one."""
    from distributed import Client, LocalCluster

    c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
    client = Client(c)
    yield c, client
    client.close()
    c.close()


def _run_cli(argv, capsys):
    rc = cli.main(argv)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_grid_on_local_cluster_then_resume_reruns_only_the_missing_run(tmp_path, capsys, cluster):
    out = tmp_path / "sw"
    argv = ["sweep", "article", "--grid", "network.alpha=0.1,0.3", "--grid", "sanctions.job_restriction_below=550,600",
            "--replicates", "2", *SMALL, "--out", str(out), "--quiet"]
    rc, stdout, err = _run_cli(argv + ["--workers", "2"], capsys)
    assert rc == 0, err
    df = pd.read_parquet(out / "sweep.parquet")
    assert len(df) == 8 and df["run_id"].is_unique
    got = sorted(zip(df["network.alpha"], df["sanctions.job_restriction_below"], df["replicate"]))
    assert got == sorted((a, j, r) for a in (0.1, 0.3) for j in (550, 600) for r in (0, 1))
    # common random numbers: one seed per replicate, shared by every point
    assert df.groupby("replicate")["seed"].nunique().tolist() == [1, 1]
    assert df.groupby("replicate")["seed"].first().tolist() == [derive_seed(42, 0), derive_seed(42, 1)]
    for col in ("mean_score", "gini", "sanctioned", "blacklisted", "wrongful_sanctions", "guilt_by_association", "share_good"):
        assert col in df.columns and df[col].notna().all(), col
    # each run folder really ran its parameters and seed
    for _, row in df.iterrows():
        m = json.loads((out / "runs" / row["run_id"] / "manifest.json").read_text())
        assert m["scenario"]["network"]["alpha"] == row["network.alpha"]
        assert m["scenario"]["sanctions"]["job_restriction_below"] == row["sanctions.job_restriction_below"]
        assert m["seed"] == row["seed"] and m["population"] == 3000
    # the threshold matters: a higher sanction line sanctions more citizens (same seeds, same world)
    piv = df.pivot_table(index=["network.alpha", "replicate"], columns="sanctions.job_restriction_below", values="job_restricted")
    assert (piv[600] > piv[550]).all()

    # resume on an existing cluster (--scheduler): only the deleted run runs again
    victim = out / "runs" / "p2-r1"
    import shutil

    shutil.rmtree(victim)
    before = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    rc, stdout, err = _run_cli(argv + ["--scheduler", cluster[0].scheduler_address], capsys)
    assert rc == 0, err
    after = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    assert set(after) == set(before) | {"p2-r1"}
    assert all(after[k] == v for k, v in before.items()), "completed runs were not touched"
    df2 = pd.read_parquet(out / "sweep.parquet")
    # the rerun has the same seed and parameters, so the table is identical (determinism)
    pd.testing.assert_frame_equal(df, df2)

    # the same folder with another plan is refused in one line
    rc, _, err = _run_cli(["sweep", "article", "--grid", "network.alpha=0.2", *SMALL, "--out", str(out), "-q"], capsys)
    assert rc == 2 and err.startswith("error: ") and "different sweep" in err and err.count("\n") == 1


def test_a_worker_killed_mid_sweep_still_gives_every_run_exactly_once(tmp_path, cluster):
    c, client = cluster
    client.wait_for_workers(2)
    pids = client.run(os.getpid)  # {worker address: worker process id}
    out = tmp_path / "killed"
    plan = make_plan("article", grid={"network.alpha": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]}, population=20000, ticks=6)
    killed: list[int] = []

    def executing(dask_worker):
        return [str(ts.key) for ts in dask_worker.state.executing]

    def killer():
        # wait until a run is in progress on a worker (its temporary folder exists), then SIGKILL that worker
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            tmps = [p.name.split("-", 1)[1].rsplit("-", 1)[0] for p in (out / "runs").glob(".tmp-*")] if (out / "runs").is_dir() else []
            if tmps:
                for addr, keys in client.run(executing).items():
                    if addr in pids and any(k.endswith("-" + rid) for k in keys for rid in tmps):
                        os.kill(pids[addr], signal.SIGKILL)
                        killed.append(pids[addr])
                        return
            time.sleep(0.01)

    th = threading.Thread(target=killer)
    th.start()
    outcome = run_sweep(plan, out, scheduler=c.scheduler_address)
    th.join()
    assert killed, "no worker was killed"
    assert not outcome.failed
    assert outcome.stale_removed >= 1, "the killed worker's half-written run was removed"
    names = sorted(p.name for p in (out / "runs").iterdir())
    assert names == [r["run_id"] for r in plan_runs(plan)]
    assert all((out / "runs" / n / "manifest.json").is_file() for n in names)
    df = pd.read_parquet(out / "sweep.parquet")
    assert sorted(df["run_id"]) == names and df["run_id"].is_unique
    assert sorted(df["network.alpha"]) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    client.wait_for_workers(2, timeout=60)  # the nanny restarted the killed worker
    assert killed[0] not in client.run(os.getpid).values()


def test_bad_specs_are_one_line_errors_with_exit_2(tmp_path, capsys):
    out = str(tmp_path / "bad")
    cases = [
        (["--grid", "network.alpha"], "--grid 'network.alpha': expected key=v1,v2"),
        (["--grid", "network.alpha=0.1,,0.2"], "expected key=v1,v2"),
        (["--grid", "netwrk.alpha=0.1,0.2"], "netwrk: unknown key"),
        (["--grid", "network.alpha=0.1,2"], "network.alpha"),
        (["--grid", "seed=1,2"], "seed cannot be swept"),
        (["--sample", "lhs", "4", "--range", "network.alpha=0.5:0.1"], "expected key=lo:hi"),
        (["--sample", "lhs", "4", "--range", "network.alpha=a:b"], "expected key=lo:hi"),
        (["--sample", "sobol", "5", "--range", "network.alpha=0:0.5"], "power of 2"),
        (["--range", "network.alpha=0:0.5"], "--range needs --sample"),
        (["--grid", "network.alpha=0.1", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "choose one"),
    ]
    for extra, msg in cases:
        rc, _, err = _run_cli(["sweep", "article", *extra, *SMALL, "--out", out, "-q"], capsys)
        assert rc == 2, (extra, err)
        assert err.startswith("error: ") and err.count("\n") == 1 and msg in err, (extra, err)
    assert not Path(out).exists(), "nothing is written for a bad sweep"


def test_sensitivity_ranks_a_strong_parameter_first_and_an_inert_one_at_zero(tmp_path, capsys, cluster):
    addr = cluster[0].scheduler_address
    ranges = ["--range", "engine.panel_size=0:1000", "--range", "sanctions.job_restriction_below=500:640",
              "--range", "network.alpha=0:0.5"]
    small = ["--population", "1000", "--ticks", "3", "--scheduler", addr, "-q"]
    sob, mor = tmp_path / "sobol", tmp_path / "morris"
    rc, _, err = _run_cli(["sweep", "article", "--sample", "sobol", "4", *ranges, *small, "--out", str(sob)], capsys)
    assert rc == 0, err
    plan = json.loads((sob / "sweep.json").read_text())
    assert len(plan["points"]) == 4 * (2 * 3 + 2) == len(pd.read_parquet(sob / "sweep.parquet"))
    assert all(isinstance(p[0], int) for p in plan["points"]), "integer ranges give integer values"
    rc, stdout, err = _run_cli(["sensitivity", str(sob), "--json"], capsys)
    assert rc == 0, err
    res = json.loads(stdout)
    assert res == json.loads((sob / "sensitivity.json").read_text())
    san = res["outputs"]["sanctioned"]
    # The sanction line decides who is sanctioned: it carries most of the variance even with N=4
    # (its ST is ~0.7 at N=8 and N=4 on this world; 0.4 leaves room for the estimator's noise).
    assert san["ranking"][0] == "sanctions.job_restriction_below" and san["indices"][san["ranking"][0]]["ST"] > 0.4
    # panel_size only chooses which trajectories are stored: with common random numbers every
    # output is bit-identical across its values, so Saltelli's estimators give exactly 0.
    for o, e in res["outputs"].items():
        if not e["constant"]:
            assert e["indices"]["engine.panel_size"]["S1"] == 0 and e["indices"]["engine.panel_size"]["ST"] == 0, o

    rc, _, err = _run_cli(["sweep", "article", "--sample", "morris", "3", *ranges, *small, "--out", str(mor)], capsys)
    assert rc == 0, err
    assert len(pd.read_parquet(mor / "sweep.parquet")) == 3 * (3 + 1)
    res = analyze(mor)
    assert res["method"] == "morris"
    assert res["outputs"]["sanctioned"]["ranking"][0] == "sanctions.job_restriction_below"
    assert res["outputs"]["sanctioned"]["indices"]["engine.panel_size"]["mu_star"] == 0
    rc, _, err = _run_cli(["sensitivity", str(mor), "--method", "sobol"], capsys)
    assert rc == 2 and "morris sweep cannot give sobol" in err


def test_sampled_plans_are_deterministic_bounded_and_sized_for_their_method():
    ranges = {"network.alpha": [0.0, 0.5], "engine.panel_size": [0, 1000]}
    lhs = make_plan("article", sample="lhs", n=10, ranges=ranges, population=3000, ticks=2)
    assert lhs == make_plan("article", sample="lhs", n=10, ranges=ranges, population=3000, ticks=2), "resume needs the same plan"
    assert len(lhs["points"]) == 10
    a = [p[0] for p in lhs["points"]]
    b = [p[1] for p in lhs["points"]]
    assert all(0 <= x <= 0.5 for x in a) and all(isinstance(x, int) and 0 <= x <= 1000 for x in b)
    # Latin hypercube: exactly one sample in each of the 10 equal strata of each parameter
    assert sorted(int(x / 0.05) for x in a) == list(range(10))
    assert len(make_plan("article", sample="sobol", n=8, ranges=ranges, population=3000, ticks=2)["points"]) == 8 * (2 * 2 + 2)
    assert len(make_plan("article", sample="morris", n=5, ranges=ranges, population=3000, ticks=2)["points"]) == 5 * (2 + 1)
    other_seed = make_plan("article", sample="lhs", n=10, ranges=ranges, population=3000, ticks=2, seed=7)
    assert other_seed["points"] != lhs["points"] and other_seed["base_seed"] == 7
