"""Bad command lines and unusable output folders are refused up front, with one line and exit 2,
before any compute, and nothing is ever written outside ``--out`` (issue 11)."""
import os

import pytest

from scsim import store
from scsim.cli import main


def _cli(capsys, *args):
    rc = main(list(args))
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _refused(capsys, *args, match):
    rc, out, err = _cli(capsys, *args)
    assert rc == 2, (args, out, err)
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert match in err, err
    return err


@pytest.mark.parametrize("out,match", [
    ("/proc/scsim-run", "pseudo-filesystem"),
    ("/sys/scsim-run", "pseudo-filesystem"),
    ("/dev/scsim-run", "pseudo-filesystem"),
    ("x" * 300, "bytes long (at most 255)"),
])
def test_unusable_output_folders_are_refused_before_any_compute(capsys, tmp_path, out, match):
    os.chdir(tmp_path)
    _refused(capsys, "run", "-n", "200", "-t", "1", "-q", "--out", out, match=match)
    assert os.listdir(tmp_path) == []


def test_dangling_symlink_file_and_read_only_places_are_refused(capsys, tmp_path, monkeypatch):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    _refused(capsys, "run", "-n", "200", "-t", "1", "-q", "--out", str(link), match="symbolic link to nothing")
    f = tmp_path / "file"
    f.write_text("x")
    _refused(capsys, "run", "-n", "200", "-t", "1", "-q", "--out", str(f), match="this is a file")
    _refused(capsys, "run", "-n", "200", "-t", "1", "-q", "--out", str(f / "run"), match="is a file, not a folder")

    class RO:
        f_flag = os.ST_RDONLY

    monkeypatch.setattr(os, "statvfs", lambda p: RO())
    _refused(capsys, "run", "-n", "200", "-t", "1", "-q", "--out", str(tmp_path / "ro"), match="read-only filesystem")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "link"]


def test_option_conflicts(capsys, tmp_path, facebook_path):
    out = tmp_path / "r"
    _refused(capsys, "run", "-n", "500", "--graph", str(facebook_path), "-q", "--out", str(out),
             match="--population: cannot be combined with --graph")
    toml = tmp_path / "fb.toml"
    toml.write_text(f'extends = "article"\n[graph]\nkind = "edgelist"\npath = "{facebook_path}"\n')
    _refused(capsys, "run", str(toml), "-n", "500", "-q", "--out", str(out), match="drop --population")
    _refused(capsys, "run", "-n", "500", "--checkpoint-every", "-1", "-q", "--out", str(out),
             match="--checkpoint-every -1: expected 0")
    assert not out.exists()


@pytest.mark.parametrize("name", ["../escaped", "ABSOLUTE", "a/b", "..", ".hidden"])
def test_with_control_never_writes_outside_out(capsys, tmp_path, name):
    absolute = tmp_path.parent / f"{tmp_path.name}-absolute"
    name = str(absolute) if name == "ABSOLUTE" else name
    toml = tmp_path / "s.toml"
    toml.write_text(f'extends = "article"\nname = "{name}"\n')
    out = tmp_path / "out"
    _refused(capsys, "run", str(toml), "-n", "200", "-t", "1", "--with-control", "-q", "--out", str(out),
             match="cannot name a run folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]
    assert not absolute.exists() and not (tmp_path.parent / "escaped").exists()


def test_with_control_refuses_twins_of_one_name_before_the_first_run(capsys, tmp_path):
    out = tmp_path / "pair"
    _refused(capsys, "run", "article", "-n", "200", "-t", "1", "--set", "name=myexp", "--with-control", "-q",
             "--out", str(out), match="both named 'myexp'")
    assert not out.exists()
    rc, printed, err = _cli(capsys, "run", "article", "-n", "200", "-t", "1", "--with-control", "-q", "--out", str(out))
    assert rc == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["article", "article-control"]


def test_query_is_read_only(capsys, tmp_path):
    run = tmp_path / "run"
    assert main(["run", "-n", "300", "-t", "2", "-q", "--out", str(run)]) == 0
    capsys.readouterr()
    rc, out, _ = _cli(capsys, "query", str(run), "select count(*) as n from citizens")
    assert rc == 0 and "300" in out
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    for sql in (f"copy citizens to '{tmp_path}/leak.csv'", f"select * from read_csv('{secret}')",
                f"select * from read_parquet('{run}/ticks.parquet')", "set enable_external_access = true",
                f"attach '{tmp_path}/x.duckdb' as x", "install httpfs"):
        _refused(capsys, "query", str(run), sql, match="query: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "secret.csv"]


def test_a_folder_left_with_only_stale_temporaries_is_usable(capsys, tmp_path):
    d = tmp_path / "r"
    d.mkdir()
    (d / ".status.json.abc123.tmp").write_text("{")
    rc, _, err = _cli(capsys, "run", "-n", "200", "-t", "1", "-q", "--out", str(d))
    assert rc == 0, err
    assert not any(f.name.endswith(".tmp") for f in d.iterdir())
    assert store.read_status(d)["state"] == "complete"


def test_a_graph_outside_the_population_bounds_is_refused_in_python_too():
    import numpy as np

    import scsim
    from scsim.graph import Graph

    g = Graph.from_edges(np.array([0, 1, 2, 3]), np.array([1, 2, 3, 4]), 5)
    with pytest.raises(scsim.ScsimError, match="5 nodes; a run needs 10 to"):
        scsim.Simulation(scsim.load_scenario("article", ticks=1), graph=g)


def test_query_reads_a_sweep_table_read_only(capsys, tmp_path):
    import pandas as pd

    sw = tmp_path / "sw"
    sw.mkdir()
    (sw / "sweep.json").write_text("{}")
    pd.DataFrame({"run_id": ["p0-r0", "p1-r0"], "network.alpha": [0.0, 0.3], "sanctioned": [10, 7]}).to_parquet(
        sw / "sweep.parquet")
    rc, out, err = _cli(capsys, "query", str(sw), 'select "network.alpha" as a, sanctioned from sweep order by 1')
    assert rc == 0 and "0.3" in out and "7" in out, err
    _refused(capsys, "query", str(sw), f"copy sweep to '{tmp_path}/leak.csv'", match="query: ")
    _refused(capsys, "query", str(tmp_path), "select 1", match="not a run folder")


def test_a_scenario_files_graph_path_is_relative_to_the_file(capsys, tmp_path, facebook_path, monkeypatch):
    import shutil

    sub = tmp_path / "sub"
    sub.mkdir()
    shutil.copy(facebook_path, sub / "fb.txt")
    (sub / "s.toml").write_text('extends = "article"\n[graph]\nkind = "edgelist"\npath = "fb.txt"\n')
    monkeypatch.chdir(tmp_path)
    rc, out, err = _cli(capsys, "scenario", "check", "sub/s.toml")
    assert rc == 0 and "4,039 citizens" in out, err
