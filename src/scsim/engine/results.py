"""The result of a run: per-tick measures, the citizens at the end, the tracked panel, and the
tables and arrays the modules keep."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import store

SUMMARY_KEYS = ("mean_score", "score_p50", "gini", "sanctioned", "blacklisted", "wrongful_sanctions",
                "guilt_by_association")
"""Columns of the last tick copied into the manifest's summary (when the run measures them)."""


@dataclass
class Result:
    """What a run produced. DataFrames: :attr:`ticks` (one row per tick), :attr:`citizens` (one
    row per citizen at the end), :attr:`panel` (full trajectories of a tracked sample).

    >>> import scsim
    >>> r = scsim.Simulation(scsim.load_scenario("article", population=2000, ticks=2)).run()
    >>> list(r.ticks["tick"]), r.manifest["model"]
    ([1, 2], 'national')
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
        from ..version import __version__

        sc = sim.scenario
        ticks = sim.collector.frame()
        cols: dict[str, Any] = {"id": np.arange(sim.n, dtype=np.int64)}
        arrays: dict[str, np.ndarray] = {}
        tables: dict[str, pd.DataFrame] = {}
        summary_extra: dict[str, Any] = {}
        for m in sim.modules.values():
            for k, v in m.citizen_columns(sim).items():
                cols[k] = v
            for k, v in m.final_arrays(sim).items():
                arrays[k] = v
            tables.update(m.tables(sim))
            summary = getattr(m, "summary", None)
            if summary is not None:
                summary_extra.update(summary(sim))
        citizens = pd.DataFrame(cols)
        panel = tables.pop("panel", None)
        if panel is None:
            panel = pd.DataFrame({"tick": pd.Series([], dtype=np.int32), "id": pd.Series([], dtype=np.int64),
                                  "score": pd.Series([], dtype=np.float32)})
        last = sim.collector.last()
        summary = {k: last[k] for k in SUMMARY_KEYS if k in last}
        summary.update({f"share_{t}": last[f"share_{t}"] for t in sim.tier_names if f"share_{t}" in last})
        summary.update(summary_extra)
        g = sim.exchange.graph
        manifest = {
            "scenario_name": sc.name, "model": sc.model, "population": sim.n,
            "edges": int(g.n_edges) if g is not None else 0, "ticks": sim.tick, "seed": sc.seed,
            "scsim_version": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "simulated": "every citizen in this run is synthetic; no real person is described",
            "tier_names": sim.tier_names,
            "rules": [r for m in sim.modules.values() for r in getattr(m, "rule_names", [])],
            "modules": [{"name": k, "class": f"{type(m).__module__}.{type(m).__qualname__}", "label": m.label}
                        for k, m in sim.modules.items()],
            "columns": [c.to_json() for c in sim.columns],
            "timings": {"build_s": round(sim.build_s, 4), "ticks_s": round(sim.ticks_s, 4),
                        "checkpoint_s": round(sim.checkpoint_s, 4), "modules": sim.module_timings()},
            "summary": summary, "scenario": sc.resolved(),
        }
        return cls(ticks=ticks, citizens=citizens, panel=panel, manifest=manifest, arrays=arrays, tables=tables)

    def save(self, path: str | Path) -> Path:
        """Write the run folder and return its path. A new or empty folder, or the folder this
        run checkpointed into (``Simulation.run(checkpoint_dir=...)``, ``scsim run``) is
        accepted; any other folder holding files is refused before anything is written.

        The tables come first and ``manifest.json`` last: a folder with a manifest is complete.
        Then ``status.json`` says ``complete`` and the checkpoint is removed.
        """
        p = Path(path)
        st = store.read_status(p) if p.is_dir() else None
        if st is not None and st["state"] != "complete" and not st.get("alive"):
            store.remove_stale_temporaries(p)
        else:
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
        status = {"state": "complete", "scenario_name": self.manifest.get("scenario_name"),
                  "ticks": self.manifest.get("ticks"), "checkpoint_tick": None, "updated": store._now()}
        store.write_json(p / store.STATUS, status)
        (p / store.CHECKPOINT).unlink(missing_ok=True)
        self.path = p
        return p

    def explain(self, citizen_id: int) -> dict:
        """Why citizen ``citizen_id`` has their score: see :func:`scsim.analysis.explain.explain`."""
        from ..analysis.explain import explain

        return explain(self, citizen_id)

    def column_info(self) -> dict[str, dict]:
        """Label, unit and description of each ``ticks`` column, by name (as the modules declared)."""
        return {c["name"]: c for c in self.manifest.get("columns", [])}

    @classmethod
    def load(cls, path: str | Path) -> "Result":
        """Read a run folder back."""
        p = Path(path)
        manifest = store.read_manifest(p)
        arrays = {}
        if (p / "state.npz").is_file():
            with np.load(p / "state.npz", allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        tables = {f.stem: pd.read_parquet(f) for f in sorted(p.glob("*.parquet"))
                  if f.stem not in ("ticks", "citizens", "panel")}
        return cls(ticks=store.read_table(p, "ticks"), citizens=store.read_table(p, "citizens"),
                   panel=store.read_table(p, "panel"), manifest=manifest, arrays=arrays, tables=tables, path=p)
