"""The reference model's implementations agree statistically (correctness, not timing).

Citizens are simulated. Small: 2,000 citizens, 20 ticks, 6 seeds per implementation on one graph.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import scsim  # noqa: E402
from benchlib import Trace, agreement, pool, reference_graph, z_threshold  # noqa: E402

N, TICKS, SEEDS = 2000, 20, range(11, 17)


@pytest.fixture(scope="module")
def graph():
    g, _ = reference_graph(N, seed=1)
    return g


def _scsim(g, seed):
    sc = scsim.load_scenario("reference", population=g.n, ticks=TICKS, seed=seed)
    sim = scsim.Simulation(sc, graph=g)
    tr = Trace(g.n)
    for _ in range(TICKS):
        sim.step()
        row = sim.collector.last()
        tr.add(sim.reference.score, [row[f"share_{k}"] for k in sim.reference.tier_names])
    return tr


def _mesa(g, seed, **kw):
    from reference_mesa import ReferenceMesa

    m = ReferenceMesa(g.indptr, g.indices, seed=seed, **kw)
    tr = Trace(g.n)
    for _ in range(TICKS):
        m.step()
        tr.add(m.agents.get("score"), [v for k, v in m.rows[-1].items() if k.startswith("share_")])
    return tr


@pytest.fixture(scope="module")
def scsim_runs(graph):
    return pool([_scsim(graph, s) for s in SEEDS])


def test_mesa_agrees_with_scsim(graph, scsim_runs):
    """Mesa's reference model and scsim's agree within sampling error at every tick.

    The criterion (benchlib.agreement) has a 1% family-wise false-alarm rate when both are right;
    the seeds are fixed, so this test is deterministic.
    """
    mesa_runs = pool([_mesa(graph, s) for s in SEEDS])
    ag = agreement(scsim_runs, mesa_runs)
    assert ag["ticks"] == TICKS
    assert ag["agree"], ag
    # the mean score moves (events and decay act): the test compares a trajectory, not a constant
    assert scsim_runs.mean[0] - scsim_runs.mean[-1] > 2.0
    assert abs(scsim_runs.mean[-1] - mesa_runs.mean[-1]) < 0.5


def test_wrong_model_is_caught(graph, scsim_runs):
    """A Mesa model with a wrong ledger decay (0.90 instead of 0.98) is declared in disagreement.

    Expected gap after 20 ticks: the ledger drift is about -0.35 points a tick, which sums to
    -5.8 with decay 0.98 and -3.1 with 0.90, i.e. ~2.4 points on the score against a pooled standard
    error of ~0.3 (x 1.5 design effect): z ~ 8, far above the threshold of ~3.8.
    """
    wrong = pool([_mesa(graph, s, decay=0.90) for s in SEEDS])
    ag = agreement(scsim_runs, wrong)
    assert not ag["agree"]
    assert ag["max_z"] > 2 * ag["z_star"]


def test_agreement_criterion():
    """The criterion flags a gap of 10 standard errors and accepts one of 1."""
    n = 10_000
    rng = np.random.default_rng(0)
    base = rng.normal(600, 10, n)
    se = 10 / np.sqrt(n) * np.sqrt(2) * 1.5
    a, b, c = Trace(n), Trace(n), Trace(n)
    a.add(base, [1.0])
    b.add(base - base.mean() + a.mean[0] + 1 * se, [1.0])
    c.add(base - base.mean() + a.mean[0] + 10 * se, [1.0])
    assert agreement(a, b)["agree"]
    assert not agreement(a, c)["agree"]
    assert z_threshold(1) == pytest.approx(2.5758, abs=1e-3)
    with pytest.raises(ValueError, match="same number of citizens"):
        pool([Trace(1), Trace(2)])


@pytest.mark.parametrize("name", ["benchlib", "limits", "compare_reference", "reference_mesa",
                                  "bench_article", "design_effect", "profile_hooks", "compare_engines"])
def test_benchmark_docstring_examples(name):
    """The benchmark modules' docstring examples run and give the output they show."""
    import doctest
    import importlib

    mod = importlib.import_module(name)
    failures, tried = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
    assert tried > 0, f"{name} has no examples"


def test_bench_kernels_runs_every_operation_both_ways(capsys):
    """benchmarks/bench_kernels.py times each kernel beside its NumPy form (timing not asserted)."""
    import bench_kernels

    out = bench_kernels.main(["-n", "20000", "--repeat", "1"])
    assert len(out) == 5 and all(t_np > 0 and t_k > 0 for t_np, t_k in out.values())
    assert "friends' sum" in capsys.readouterr().out


def test_bench_heap_runs_both_settings():
    """benchmarks/bench_heap.py runs the engine with and without engine.reuse_memory."""
    import bench_heap

    best = bench_heap.main(["-n", "3000", "-t", "2", "--repeat", "1"])
    assert set(best) == {"reuse_memory=false", "reuse_memory=true"}
    assert all(r["wall_s"] > 0 and r["peak_gib"] > 0 for r in best.values())


def test_profile_hooks_times_every_module_call_by_call():
    """benchmarks/profile_hooks.py wraps each module's step and measure, times them, and puts them back."""
    import profile_hooks

    out = profile_hooks.main(["-n", "3000", "-t", "4"])
    calls = out["calls"]
    assert set(out["modules"]) == {"people", "graph", "ostracism", "rebuke", "censorship", "gaming", "appeals",
                                   "groups", "surveillance", "sources", "scoring", "sanctions", "audit"}
    for name in out["modules"]:  # every module stepped and measured once a tick
        assert len(calls[f"{name}.step"]) == 4 and len(calls[f"{name}.measure"]) == 4
    assert out["worked"]["ostracism.step"] == [4]  # one contact check in 4 ticks (every 4)
    assert out["worked"]["graph.measure"] == [1, 4]  # network measures on the first and the last tick
    assert out["worked"]["surveillance.step"] == []  # every 13 ticks: none in 4
    # the engine's own per-module totals count the same calls
    assert all(v[0] >= 0 and v[1] >= 0 for v in out["engine_timings"].values())
    assert out["restored"]


def test_compare_engines_against_the_module_engine_base():
    """benchmarks/compare_engines.py runs the engine before the modules (commit a0c5a23, a git
    worktree) and the current one in fresh processes, and reports the ratio of their throughputs."""
    import subprocess

    import compare_engines

    root = Path(__file__).resolve().parents[1]
    has = subprocess.run(["git", "-C", str(root), "cat-file", "-e", f"{compare_engines.BASE}^{{commit}}"],
                         capture_output=True)
    if has.returncode:
        pytest.skip(f"commit {compare_engines.BASE} is not in this clone (a shallow clone?)")
    before = subprocess.run(["git", "-C", str(root), "worktree", "list"], capture_output=True, text=True).stdout
    out = compare_engines.main(["-n", "3000", "-t", "2", "--repeat", "1"])
    assert out["base"]["citizen_ticks_per_s"] > 0 and out["current"]["citizen_ticks_per_s"] > 0
    assert out["ratio"] > 0
    assert out["base"]["runs"] == 1 and out["current"]["runs"] == 1
    after = subprocess.run(["git", "-C", str(root), "worktree", "list"], capture_output=True, text=True).stdout
    assert after == before  # the temporary worktree is gone
