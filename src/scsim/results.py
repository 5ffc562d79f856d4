"""The result of a run: per-tick measures, the citizens at the end, the tracked panel."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import store


@dataclass
class Result:
    """What a run produced. DataFrames: :attr:`ticks` (one row per tick), :attr:`citizens` (one
    row per citizen at the end), :attr:`panel` (full trajectories of a tracked sample).

    >>> import scsim
    >>> r = scsim.Simulation(scsim.load_scenario("article", population=2000, ticks=2)).run()
    >>> list(r.ticks["tick"])
    [1, 2]
    """

    ticks: pd.DataFrame
    citizens: pd.DataFrame
    panel: pd.DataFrame
    manifest: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(repr=False, default_factory=dict)
    """Further tables written as ``<name>.parquet`` (``transitions``, ``disparity``, ...)."""
    path: Path | None = None

    @classmethod
    def from_simulation(cls, sim) -> "Result":
        from . import __version__

        sc = sim.scenario
        st = sim.sanctions
        ticks = pd.DataFrame(sim.rows)
        cols: dict[str, Any] = {"id": np.arange(sim.n, dtype=np.int64)}
        cols.update(sim.pop.columns())
        cols["degree"] = sim.graph.degree
        cols["score"] = sim.score
        cols["own_score"] = sim.own
        cols["tier"] = np.asarray(sim.tier_names, dtype=object)[sim.tier]
        if len(sim.rules):
            for name, v in sim.rules.dimension_scores(sim.ledger_behaviour, sim.ledger_error).items():
                cols[f"dim_{name}"] = v
        cols["error_points"] = sim.own_error
        cols["perks"] = sim.perks()
        cols["blacklisted"] = st.blacklisted
        cols["listings"] = st.listings
        cols["listed_since"] = np.where(st.blacklisted, st.listed_since, -1).astype(np.int32)
        cols["listed_until"] = np.where(st.blacklisted, st.listed_until, -1).astype(np.int32)
        cols["listed_by_error"] = st.listed_by_error & st.blacklisted
        cols["slow_internet"] = st.slow_internet
        cols["job_restricted"] = st.job_restricted
        cols["loan_denied"] = st.loan_denied
        cols["sanctioned"] = st.sanctioned
        citizens = pd.DataFrame(cols)
        if sim.panel:
            panel = pd.DataFrame({k: np.concatenate([p[k] for p in sim.panel]) for k in sim.panel[0]})
            panel["tier"] = np.asarray(sim.tier_names, dtype=object)[panel["tier"].to_numpy()]
        else:
            panel = pd.DataFrame({"tick": [], "id": [], "score": []})
        last = sim.rows[-1] if sim.rows else {}
        summary = {k: last.get(k) for k in ("mean_score", "score_p50", "gini", "sanctioned", "blacklisted",
                                              "wrongful_sanctions", "guilt_by_association") if k in last}
        summary.update({f"share_{t}": last.get(f"share_{t}") for t in sim.tier_names if f"share_{t}" in last})
        if sim.transitions:
            tr = np.stack(sim.transitions)  # (T, k, k)
            tt, ff, to = np.nonzero(tr)
            names = np.asarray(sim.tier_names, dtype=object)
            transitions = pd.DataFrame({"tick": (tt + 1).astype(np.int32), "from_tier": names[ff], "to_tier": names[to],
                                        "count": tr[tt, ff, to].astype(np.int64)})
        else:
            transitions = pd.DataFrame({"tick": [], "from_tier": [], "to_tier": [], "count": []})
        bottom = sim.bottom_at_start
        summary["persistence_at_bottom"] = float((bottom & (sim.tier == 0)).sum() / bottom.sum()) if bottom.any() else None
        summary["bottom_at_start"] = int(bottom.sum())
        manifest = {
            "scenario_name": sc.name, "population": sim.n, "edges": int(sim.graph.n_edges), "ticks": sim.tick,
            "seed": sc.seed, "scsim_version": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "tier_names": sim.tier_names, "rules": sim.rules.names,
            "timings": {"build_s": round(sim.build_s, 4), "ticks_s": round(sim.ticks_s, 4),
                        "checkpoint_s": round(getattr(sim, "checkpoint_s", 0.0), 4)},
            "summary": summary, "scenario": sc.resolved(),
        }
        arrays = {
            "ledger_behaviour": sim.ledger_behaviour, "ledger_error": sim.ledger_error,
            "score": sim.score, "prev_score": sim.prev_score, "own": sim.own, "raw": sim.raw,
            "friends_mean": sim.friends_mean,
            "indptr": sim.graph.indptr, "indices": sim.graph.indices,
            "score_indptr": sim.score_graph.indptr, "score_indices": sim.score_graph.indices,
        }
        from .audit import disparity

        return cls(ticks=ticks, citizens=citizens, panel=panel, manifest=manifest, arrays=arrays,
                   tables={"transitions": transitions, "disparity": disparity(citizens)})

    def save(self, path: str | Path) -> Path:
        """Write the run folder (refuses a non-empty folder). Returns the path.

        A folder holding only the run's own checkpoint is accepted; the checkpoint is removed once
        every table is written.
        """
        from .model import Simulation

        p = Path(path)
        ckpt = p / Simulation.CHECKPOINT
        if not (p.is_dir() and {f.name for f in p.iterdir()} == {Simulation.CHECKPOINT}):
            store.check_out_dir(p)
        p.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        store.write_table(p / "ticks.parquet", self.ticks)
        store.write_table(p / "citizens.parquet", self.citizens)
        store.write_table(p / "panel.parquet", self.panel)
        for name, df in self.tables.items():
            store.write_table(p / f"{name}.parquet", df)
        if self.arrays:
            store.write_arrays(p / "state.npz", self.arrays)
        self.manifest["timings"]["write_s"] = round(time.perf_counter() - t0, 4)
        store.write_json(p / "manifest.json", self.manifest)
        if ckpt.exists():
            ckpt.unlink()
        self.path = p
        return p

    def explain(self, citizen_id: int) -> dict:
        """Why citizen ``citizen_id`` has their score: see :func:`scsim.explain.explain`."""
        from .explain import explain

        return explain(self, citizen_id)

    @classmethod
    def load(cls, path: str | Path) -> "Result":
        """Read a run folder back."""
        p = Path(path)
        manifest = store.read_manifest(p)
        arrays = {}
        if (p / "state.npz").is_file():
            with np.load(p / "state.npz") as z:
                arrays = {k: z[k] for k in z.files}
        tables = {f.stem: pd.read_parquet(f) for f in sorted(p.glob("*.parquet"))
                  if f.stem not in ("ticks", "citizens", "panel")}
        return cls(ticks=store.read_table(p, "ticks"), citizens=store.read_table(p, "citizens"),
                   panel=store.read_table(p, "panel"), manifest=manifest, arrays=arrays, tables=tables, path=p)
