"""Long runs survive: checkpoints, kill -9, resume, bit-identical end."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd

ARGS = ["article", "-n", "30000", "-t", "24", "--seed", "5", "--checkpoint-every", "4", "-q"]


def scsim(*args, **kw):
    return subprocess.run([sys.executable, "-m", "scsim", *args], capture_output=True, text=True, timeout=600, **kw)


def test_resume_after_kill_9_is_bit_identical(tmp_path):
    full = tmp_path / "full"
    assert scsim("run", *ARGS, "--out", str(full)).returncode == 0
    assert not (full / "checkpoint.pkl").exists()          # removed once the run is complete

    cut = tmp_path / "cut"
    proc = subprocess.Popen([sys.executable, "-m", "scsim", "run", *ARGS, "--out", str(cut)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = cut / "checkpoint.pkl"
    deadline = time.time() + 300
    while time.time() < deadline and not ckpt.exists():
        time.sleep(0.05)
    assert ckpt.exists(), "no checkpoint was written"
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (cut / "manifest.json").exists(), "the run finished before it could be killed"
    r = scsim("resume", str(cut), "-q")
    assert r.returncode == 0, r.stderr
    for name in ("ticks", "citizens", "panel", "transitions", "disparity"):
        a = pd.read_parquet(full / f"{name}.parquet")
        b = pd.read_parquet(cut / f"{name}.parquet")
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    with np.load(full / "state.npz") as za, np.load(cut / "state.npz") as zb:
        assert za.files == zb.files
        for k in za.files:
            assert np.array_equal(za[k], zb[k]), k
    ma, mb = (json.loads((d / "manifest.json").read_text()) for d in (full, cut))
    assert ma["scenario"] == mb["scenario"] and ma["summary"] == mb["summary"]
    assert not (cut / "checkpoint.pkl").exists()


def test_resume_errors(tmp_path):
    r = scsim("resume", str(tmp_path))
    assert r.returncode == 2 and "no checkpoint to resume from" in r.stderr
    (tmp_path / "checkpoint.pkl").write_bytes(b"garbage")
    r = scsim("resume", str(tmp_path))
    assert r.returncode == 2 and "unreadable checkpoint" in r.stderr and r.stderr.strip().count("\n") == 0
    done = tmp_path / "done"
    assert scsim("run", "-n", "1000", "-t", "2", "-q", "--out", str(done)).returncode == 0
    r = scsim("resume", str(done))
    assert r.returncode == 2 and "complete" in r.stderr


def test_checkpoints_are_cheap_by_default(tmp_path):
    """One checkpoint write costs under 5% of the ticks between two checkpoints (default 26)."""
    import scsim as s

    sc = s.load_scenario("article", population=50_000, ticks=26)
    assert sc.engine.checkpoint_every == 26
    sim = s.Simulation(sc)
    res = sim.run()
    t0 = time.perf_counter()
    sim.save_checkpoint(tmp_path)
    one = time.perf_counter() - t0
    assert one < 0.05 * res.manifest["timings"]["ticks_s"], (one, res.manifest["timings"]["ticks_s"])
