"""A run survives any crash (issue 11): the folder's recorded state, kill -9 at each moment of a
run (a tick, a checkpoint write, the final write), ``scsim resume`` finishing byte-identical, a
new run refused with a true message, stale temporaries cleaned, failed runs leaving nothing
half-written, and files readable by a colleague (the umask)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import scsim
from scsim import store
from scsim.cli import main

ARGS = ["article", "-n", "3000", "-t", "8", "--seed", "5", "--checkpoint-every", "3", "-q"]
"""Checkpoints at ticks 3 and 6 of 8."""


def _cli(capsys, *args):
    rc = main(list(args))
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    d = tmp_path_factory.mktemp("ref") / "full"
    assert main(["run", *ARGS, "--out", str(d)]) == 0
    return d


def _payload(folder):
    """Every result file's bytes (the manifest without its timings and date)."""
    out = {}
    for f in sorted(folder.iterdir()):
        if f.name == "manifest.json":
            m = json.loads(f.read_text())
            m.pop("timings"), m.pop("created")
            out[f.name] = m
        elif f.name != store.STATUS:
            out[f.name] = f.read_bytes()
    return out


MOMENTS = {
    "tick:2": "during the ticks, before the first checkpoint (resume starts again from tick 0)",
    "tick:5": "during the ticks, between checkpoints",
    "write:checkpoint.npz": "inside a checkpoint write (written, not yet renamed into place)",
    "written:checkpoint.npz": "just after a checkpoint, before the folder's state records it",
    "write:citizens.parquet": "inside the final write (ticks.parquet already in place)",
    "write:manifest.json": "inside the final write, at its last table",
    "written:manifest.json": "after the manifest, before the checkpoint is removed",
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_kill_9_at_each_moment_then_resume_is_byte_identical(tmp_path, capsys, reference, moment):
    cut = tmp_path / "cut"
    env = dict(os.environ, SCSIM_CRASH_AT=moment)
    r = subprocess.run([sys.executable, "-m", "scsim", "run", *ARGS, "--out", str(cut)], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == -9, (moment, r.returncode, r.stderr)
    st = store.read_status(cut)
    assert st is not None and not st["alive"]
    if moment != "written:manifest.json":
        assert st["state"] in ("running", "checkpointed")
        # a new run into it is refused, truthfully, and touches nothing
        before = sorted(os.listdir(cut))
        rc, _, err = _cli(capsys, "run", *ARGS, "--out", str(cut))
        assert rc == 2 and f"scsim resume {cut}" in err and "did not finish" in err and err.count("\n") == 1, err
        assert sorted(os.listdir(cut)) == before
        # scsim runs lists it with its state
        rc, out, _ = _cli(capsys, "runs", str(cut), "--plain")
        assert rc == 0 and "\tinterrupted (" in out and str(cut) in out
    else:
        assert st["state"] == "complete"
    rc, out, err = _cli(capsys, "resume", str(cut), "-q")
    assert rc == 0, err
    assert _payload(cut) == _payload(reference), moment
    assert not any(f.name.endswith(".tmp") for f in cut.iterdir())
    assert not (cut / store.CHECKPOINT).exists()
    assert store.read_status(cut)["state"] == "complete"
    assert json.loads((cut / store.STATUS).read_text())["state"] == "complete"


def test_killed_as_it_began_is_neither_resumable_nor_in_the_way(tmp_path, capsys):
    d = tmp_path / "early"
    env = dict(os.environ, SCSIM_CRASH_AT="write:status.json")
    r = subprocess.run([sys.executable, "-m", "scsim", "run", *ARGS, "--out", str(d)], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == -9
    assert [f.name.endswith(".tmp") for f in d.iterdir()] == [True]
    rc, _, err = _cli(capsys, "resume", str(d))
    assert rc == 2 and "killed as it began" in err
    rc, _, err = _cli(capsys, "run", *ARGS, "--out", str(d))
    assert rc == 0, err
    assert store.read_status(d)["state"] == "complete" and not any(f.name.endswith(".tmp") for f in d.iterdir())


def test_a_running_run_is_not_resumed_twice(tmp_path, capsys):
    d = tmp_path / "live"
    folder = store.RunFolder.create(d, scsim.load_scenario("article", population=100, ticks=2).resolved(), 2)
    folder.status.update(pid=os.getppid(), started=store._process_started(os.getppid()))  # a live process
    folder.mark("running")
    rc, _, err = _cli(capsys, "resume", str(d))
    assert rc == 2 and "still running" in err
    rc, _, err = _cli(capsys, "run", *ARGS, "--out", str(d))
    assert rc == 2 and "a run is writing into it" in err


def test_failed_state_keeps_a_resumable_checkpoint_and_otherwise_removes_the_folder(tmp_path, capsys, reference):
    sc = scsim.load_scenario("article", population=3000, ticks=8, seed=5,
                             **{"engine.checkpoint_every": 3})
    d = tmp_path / "keep"
    folder = store.RunFolder.create(d, sc.resolved(), sc.ticks)
    sim = scsim.Simulation(sc)
    for _ in range(3):
        sim.step()
    sim.save_checkpoint(d)
    folder.mark("checkpointed", checkpoint_tick=3)
    assert folder.fail("No space left on device") is True
    st = store.read_status(d)
    assert st["state"] == "failed" and "No space left" in store.describe_status(st)
    rc, out, _ = _cli(capsys, "runs", str(d), "--plain")
    assert "failed (checkpoint at tick 3 of 8): No space left on device" in out
    rc, _, err = _cli(capsys, "resume", str(d), "-q")
    assert rc == 0, err
    assert _payload(d) == _payload(reference)

    gone = tmp_path / "a" / "b" / "gone"
    folder = store.RunFolder.create(gone, sc.resolved(), sc.ticks)
    assert folder.fail("boom") is False
    assert not (tmp_path / "a").exists()  # the folders this run created are removed too


def test_a_run_that_fails_before_its_first_tick_leaves_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2\n2 x\n")
    out = tmp_path / "new" / "run"
    rc, _, err = _cli(capsys, "run", "article", "--graph", str(bad), "-t", "2", "-q", "--out", str(out))
    assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1
    assert not (tmp_path / "new").exists()


class Poison(scsim.Module):
    """A user module whose state turns NaN at tick 2."""

    def declare(self):
        self.state("x", np.float32, 1.0)

    def step(self, sim, t):
        if t == 2:
            self.x[7] = np.nan


def test_a_non_finite_state_stops_the_run_naming_its_module():
    sim = scsim.Simulation(scsim.load_scenario("article", population=500, ticks=4), modules=[Poison()])
    with pytest.raises(scsim.ScsimError, match=r"^tick 2: module 'poison' produced a non-finite value in x "
                                               r"\(nan at 1 of 500 places\)"):
        sim.run()
    assert sim.tick == 1


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_result_files_respect_the_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        r = scsim.Simulation(scsim.load_scenario("article", population=300, ticks=2)).run().save(tmp_path / "r")
    finally:
        os.umask(old)
    modes = {f.name: f.stat().st_mode & 0o777 for f in r.iterdir()}
    assert set(modes.values()) == {mode}, modes


def test_runs_lists_whole_paths(tmp_path, capsys):
    deep = tmp_path / ("a-rather-long-folder-name-for-a-shared-project-" * 3) / "run-1"
    scsim.Simulation(scsim.load_scenario("article", population=300, ticks=2)).run().save(deep)
    rc, out, _ = _cli(capsys, "runs", str(tmp_path), "--plain")
    assert rc == 0 and f"\n{deep}\tcomplete\t" in out
    rc, out, _ = _cli(capsys, "runs", str(tmp_path))  # the table folds the path onto further lines, whole
    first_column = "".join(line.split("│")[1].strip() for line in out.splitlines() if line.count("│") > 2)
    assert rc == 0 and str(deep) in first_column, out
