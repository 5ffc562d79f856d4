"""The results store and the command line."""
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import scsim
from scsim.cli import main
from scsim.store import list_runs, query


def cli(*args):
    """Run the real console entry point; return (exit code, stdout, stderr)."""
    p = subprocess.run([sys.executable, "-m", "scsim", *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("runs") / "a"
    code, out, err = cli("run", "article", "--population", "5000", "--ticks", "6", "--seed", "3",
                         "--set", "network.alpha=0.2", "--out", str(d))
    assert code == 0, err
    return d


def test_run_folder_contents(run_dir):
    files = sorted(os.listdir(run_dir))
    for f in ("manifest.json", "ticks.parquet", "citizens.parquet", "panel.parquet", "transitions.parquet", "state.npz"):
        assert f in files
    assert not [f for f in files if f.endswith(".tmp") or f.startswith(".")], files   # atomic writes
    m = json.loads((run_dir / "manifest.json").read_text())
    assert m["population"] == 5000 and m["ticks"] == 6 and m["seed"] == 3 and m["edges"] > 20_000
    assert m["scenario"]["network"]["alpha"] == 0.2                       # the resolved scenario
    assert set(m["timings"]) >= {"build_s", "ticks_s", "write_s"} and m["scsim_version"] == scsim.__version__
    t = pd.read_parquet(run_dir / "ticks.parquet")
    assert list(t["tick"]) == [1, 2, 3, 4, 5, 6]
    for col in ("mean_score", "score_p05", "score_p50", "score_p95", "share_poor", "share_excellent", "sanctioned",
                "blacklisted", "events_commerce", "events_metadata", "gini", "wrongful_sanctions", "guilt_by_association"):
        assert col in t.columns, col
    c = pd.read_parquet(run_dir / "citizens.parquet")
    assert len(c) == 5000 and (c["id"] == np.arange(5000)).all()
    for col in ("age", "sex", "region", "urban", "income", "occupation", "score", "tier", "blacklisted",
                "dim_credit_history", "dim_government_affairs", "unit", "degree"):
        assert col in c.columns, col
    p = pd.read_parquet(run_dir / "panel.parquet")
    assert len(p) == 1000 * 6 and p["id"].nunique() == 1000


def test_refuses_non_empty_out_and_touches_nothing(run_dir):
    before = {f: (run_dir / f).stat().st_mtime_ns for f in os.listdir(run_dir)}
    code, out, err = cli("run", "--population", "1000", "--ticks", "1", "--out", str(run_dir))
    assert code == 2
    assert err.strip().count("\n") == 0 and "not empty" in err and str(run_dir) in err
    assert {f: (run_dir / f).stat().st_mtime_ns for f in os.listdir(run_dir)} == before


def test_default_out_folder(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "scsim", "run", "sesame", "-n", "1000", "-t", "2", "--seed", "7", "-q"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and runs[0].name.startswith("sesame-") and runs[0].name.endswith("-7")
    assert proc.stdout.strip().endswith(runs[0].name)


def test_query_and_runs(run_dir):
    df = query(run_dir, "select tier, count(*) as n from citizens group by tier")
    assert df["n"].sum() == 5000
    df = query(run_dir, "select max(tick) as t from ticks")
    assert int(df["t"].iloc[0]) == 6
    rows = list_runs(run_dir.parent)
    assert [r["run"] for r in rows] == [str(run_dir)]
    code, out, err = cli("query", str(run_dir), "select count(*) as n from panel")
    assert code == 0 and "6000" in out
    code, out, err = cli("query", str(run_dir), "select nope from ticks")
    assert code == 2 and err.startswith("error: query:") and err.strip().count("\n") == 0
    code, out, err = cli("runs", str(run_dir.parent))
    assert code == 0 and "article" in out


def test_summary_printed(tmp_path):
    code, out, err = cli("run", "rongcheng", "-n", "2000", "-t", "3", "--out", str(tmp_path / "r"))
    assert code == 0
    for word in ("tier AAA", "sanctioned", "blacklisted", "events/week courts", "citizen-ticks per second"):
        assert word in out, word


def test_version_scenarios_schema():
    code, out, _ = cli("--version")
    assert code == 0 and out.strip() == f"scsim {scsim.__version__}"
    code, out, _ = cli("scenarios")
    assert code == 0
    for name in ("article", "article-control", "sesame", "rongcheng", "reference"):
        assert name in out
    code, out, _ = cli("scenario", "schema")
    assert code == 0 and json.loads(out)["discriminator"]["propertyName"] == "model"


def test_imported_graph_gets_a_synthetic_population(tmp_path, facebook_path):
    code, out, err = cli("run", "--graph", str(facebook_path), "-t", "2", "-q", "--out", str(tmp_path / "fb"))
    assert code == 0, err
    m = json.loads((tmp_path / "fb" / "manifest.json").read_text())
    assert m["population"] == 4039 and m["edges"] == 88234


BAD = [
    (["run", "--set", "network.alpha=2"], "article.toml: network.alpha: Input should be less than 1"),
    (["run", "--set", "network.alpha"], "--set 'network.alpha': expected dotted.key=value"),
    (["run", "--set", "score.colour=red"], "score.colour: unknown key"),
    (["run", "nowhere.toml"], "nowhere.toml: no such scenario file"),
    (["run", "--population", "3000000000"], "population: 3,000,000,000 citizens need about"),
    (["run", "--population", "100000000000"], "population: Input should be less than or equal to 4294967295"),
    (["scenario", "check", "missing.toml"], "missing.toml: no such scenario file"),
    (["run", "--population", "abc"], "Invalid value for '--population'"),
    (["run", "--frobnicate"], "No such option: --frobnicate"),
]


@pytest.mark.parametrize("args, expect", BAD)
def test_bad_input_exits_2_with_one_line(args, expect):
    code, out, err = cli(*args)
    assert code == 2
    assert err.strip().count("\n") == 0, err
    assert expect in err, err
    assert "Traceback" not in err


def test_malformed_edge_list_names_the_line(tmp_path):
    f = tmp_path / "edges.txt"
    f.write_text("# comment\n0 1\n1 2\n2 x\n")
    code, out, err = cli("run", "--graph", str(f), "-t", "1", "--out", str(tmp_path / "o"))
    assert code == 2 and "edges.txt" in err and "line 4" in err and err.strip().count("\n") == 0
    assert not (tmp_path / "o").exists()


def test_scenario_check_good_and_bad(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('extends = "article"\npopulation = 1000\n')
    assert main(["scenario", "check", str(good)]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "article"\n[sanctions.blacklist]\nduration = -3\n')
    code, out, err = cli("scenario", "check", str(bad))
    assert code == 2 and "bad.toml: sanctions.blacklist.duration: Input should be greater than or equal to 1" in err


def test_memory_refused_before_allocating():
    from scsim.errors import ResourceError
    from scsim.engine.memory import check_memory

    sc = scsim.load_scenario("article", population=4 * 10**9)
    with pytest.raises(ResourceError, match="GiB"):
        check_memory(sc)
    with pytest.raises(ResourceError):
        scsim.Simulation(scsim.load_scenario("article", population=4 * 10**9))


def test_result_save_and_load_roundtrip(tmp_path):
    res = scsim.Simulation(scsim.load_scenario("article", population=2000, ticks=3)).run()
    res.save(tmp_path / "x")
    back = scsim.Result.load(tmp_path / "x")
    pd.testing.assert_frame_equal(back.ticks, res.ticks)
    pd.testing.assert_frame_equal(back.citizens, res.citizens)
    assert np.array_equal(back.arrays["ledger_error"], res.arrays["ledger_error"])
    with pytest.raises(scsim.ScsimError, match="not empty"):
        res.save(tmp_path / "x")
