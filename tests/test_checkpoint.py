"""Long runs survive: checkpoints (arrays plus JSON, no pickle), kill -9, resume, bit-identical end."""
import json
import os
import pickle
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pandas as pd
import pytest

import scsim
from scsim.engine.simulation import CHECKPOINT

RUNS = {
    "article": ["article", "-n", "30000", "-t", "24", "--seed", "5", "--checkpoint-every", "4", "-q"],
    "xingqiao": ["xingqiao", "-n", "24000", "-t", "40", "--seed", "5", "--checkpoint-every", "4", "-q"],
    "reference": ["reference", "-n", "200000", "-t", "40", "--seed", "5", "--checkpoint-every", "4", "-q"],
}


def scsim_cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "scsim", *args], capture_output=True, text=True, timeout=600, **kw)


def _same_runs(full, cut):
    names = sorted(f.stem for f in full.glob("*.parquet"))
    assert names == sorted(f.stem for f in cut.glob("*.parquet"))
    for name in names:
        pd.testing.assert_frame_equal(pd.read_parquet(full / f"{name}.parquet"), pd.read_parquet(cut / f"{name}.parquet"),
                                      check_exact=True)
    with np.load(full / "state.npz") as za, np.load(cut / "state.npz") as zb:
        assert za.files == zb.files
        for k in za.files:
            assert np.array_equal(za[k], zb[k]), k
    ma, mb = (json.loads((d / "manifest.json").read_text()) for d in (full, cut))
    assert ma["scenario"] == mb["scenario"] and ma["summary"] == mb["summary"]


@pytest.mark.parametrize("model", ["article", "xingqiao", "reference"])
def test_resume_after_kill_9_is_bit_identical(tmp_path, model):
    args = RUNS[model]
    full = tmp_path / "full"
    r = scsim_cli("run", *args, "--out", str(full))
    assert r.returncode == 0, r.stderr
    assert not (full / CHECKPOINT).exists()          # removed once the run is complete

    cut = tmp_path / "cut"
    proc = subprocess.Popen([sys.executable, "-m", "scsim", "run", *args, "--out", str(cut)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = cut / CHECKPOINT
    deadline = time.time() + 300
    while time.time() < deadline and not ckpt.exists():
        time.sleep(0.02)
    assert ckpt.exists(), "no checkpoint was written"
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (cut / "manifest.json").exists(), "the run finished before it could be killed"
    r = scsim_cli("resume", str(cut), "-q")
    assert r.returncode == 0, r.stderr
    _same_runs(full, cut)
    assert not (cut / CHECKPOINT).exists()


def _checkpoint(tmp_path, name="article", n=3000, ticks=4):
    sim = scsim.Simulation(scsim.load_scenario(name, population=n, ticks=ticks, seed=3))
    sim.step()
    sim.step()
    sim.save_checkpoint(tmp_path)
    return sim


def test_resume_in_python_continues_the_same_run(tmp_path):
    sim = _checkpoint(tmp_path)
    resumed = scsim.Simulation.resume(tmp_path)
    assert resumed.tick == 2 and type(resumed) is scsim.Simulation
    a, b = sim.run(), resumed.run()
    pd.testing.assert_frame_equal(a.ticks, b.ticks, check_exact=True)
    pd.testing.assert_frame_equal(a.citizens, b.citizens, check_exact=True)


class Exploit:
    """A pickle payload: unpickling it would create a file."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_a_pickled_checkpoint_is_refused_and_never_executed(tmp_path):
    target = tmp_path / "pwned"
    run = tmp_path / "run"
    run.mkdir()
    (run / CHECKPOINT).write_bytes(pickle.dumps(Exploit(target)))
    r = scsim_cli("resume", str(run))
    assert r.returncode == 2 and "unreadable checkpoint" in r.stderr and r.stderr.strip().count("\n") == 0
    assert not target.exists()
    # the same payload inside an .npz (an object array) is refused as well
    with zipfile.ZipFile(run / CHECKPOINT, "w") as z:
        with z.open("__meta__.npy", "w") as f:
            np.lib.format.write_array(f, np.array([Exploit(target)], dtype=object), allow_pickle=True)
    r = scsim_cli("resume", str(run))
    assert r.returncode == 2 and "unreadable checkpoint" in r.stderr and "Traceback" not in r.stderr
    assert not target.exists()
    # and the old format's pickle file is never opened
    (run / CHECKPOINT).unlink()
    (run / "checkpoint.pkl").write_bytes(pickle.dumps(Exploit(target)))
    r = scsim_cli("resume", str(run))
    assert r.returncode == 2 and "nothing to resume" in r.stderr
    assert not target.exists()


def _rewrite(path, change):
    """Rewrite a checkpoint with ``change(meta, arrays)`` applied (keeping the checksums honest
    unless the change is about them)."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(bytes(arrays.pop("__meta__")).decode())
    change(meta, arrays)
    blob = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    with open(path, "wb") as f:
        np.savez(f, __meta__=blob, **arrays)


def test_a_tampered_or_foreign_checkpoint_is_refused(tmp_path):
    sim = _checkpoint(tmp_path)
    path = tmp_path / CHECKPOINT
    good = path.read_bytes()

    def refused(change, match):
        path.write_bytes(good)
        _rewrite(path, change)
        with pytest.raises(scsim.ScsimError, match=match) as e:
            scsim.Simulation.resume(tmp_path)
        assert "\n" not in str(e.value)

    def bump_version(m, a):
        m["format"] = 99

    def other_scenario(m, a):
        m["scenario"]["network"]["alpha"] = 0.5

    def flip_score(m, a):
        a["scoring/score"] = a["scoring/score"] + np.float32(1)

    def reshape(m, a):
        a["scoring/score"] = a["scoring/score"][:10]
        m["arrays"]["scoring/score"] = {"shape": [10], "dtype": "<f4", "crc32": 0}

    def not_ours(m, a):
        m["kind"] = "something-else"

    def no_modules(m, a):
        m["modules"] = m["modules"][:3]

    refused(bump_version, "checkpoint format 99 is not the one this scsim writes")
    refused(other_scenario, "does not match its hash")
    refused(flip_score, "array scoring/score does not match its checksum")
    refused(reshape, "array scoring/score does not match its checksum")
    refused(not_ours, "not an scsim checkpoint")
    refused(no_modules, "resume with the same modules")
    path.write_bytes(good[: len(good) // 2])          # truncated
    with pytest.raises(scsim.ScsimError, match="unreadable checkpoint"):
        scsim.Simulation.resume(tmp_path)
    path.write_bytes(good)
    assert scsim.Simulation.resume(tmp_path).tick == sim.tick


def test_resume_errors(tmp_path):
    r = scsim_cli("resume", str(tmp_path))
    assert r.returncode == 2 and "nothing to resume" in r.stderr
    (tmp_path / CHECKPOINT).write_bytes(b"garbage")
    r = scsim_cli("resume", str(tmp_path))
    assert r.returncode == 2 and "unreadable checkpoint" in r.stderr and r.stderr.strip().count("\n") == 0
    done = tmp_path / "done"
    assert scsim_cli("run", "-n", "1000", "-t", "2", "-q", "--out", str(done)).returncode == 0
    r = scsim_cli("resume", str(done))
    assert r.returncode == 2 and "complete" in r.stderr


def test_checkpoints_are_cheap_by_default(tmp_path):
    """One checkpoint write costs under 5% of the ticks between two checkpoints (default 26)."""
    sc = scsim.load_scenario("article", population=50_000, ticks=26)
    assert sc.engine.checkpoint_every == 26
    sim = scsim.Simulation(sc)
    res = sim.run()
    t0 = time.perf_counter()
    sim.save_checkpoint(tmp_path)
    one = time.perf_counter() - t0
    assert one < 0.05 * res.manifest["timings"]["ticks_s"], (one, res.manifest["timings"]["ticks_s"])
