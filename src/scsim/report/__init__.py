"""``scsim report RUN``: one self-contained, offline HTML page about a run, plus PNG figures.

The page (``RUN/report.html``) embeds Plotly.js once, inline, and loads nothing from the network
(a Content-Security-Policy forbids it). Its first screen says that every citizen is simulated.
Sections: key figures; the score distribution over time and the final histogram; tier shares
and a Sankey of tier flows; disparity by group (table and chart); the degree distribution; then
every measure of the run, module by module, as the modules declared them (label, unit and
description come from the manifest's ``columns``, never from a list here); three sample
citizens' explanations. Matplotlib writes the same figures as PNG files in ``RUN/figures/``.

Everything is aggregated before it reaches the page (DuckDB over ``citizens.parquet`` for the
histograms; per-tick tables otherwise), so a run of a million citizens gives a page of the same
size as a run of a thousand.

>>> import scsim, tempfile, pathlib
>>> run = scsim.Simulation(scsim.load_scenario("article", population=2000, ticks=3)).run()
>>> folder = run.save(pathlib.Path(tempfile.mkdtemp()) / "run")
>>> page = write_report(folder)
>>> page.name, "simulated" in page.read_text()
('report.html', True)
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ScsimError

SHOWN_ELSEWHERE = ("tick", "mean_score", "score_p05", "score_p25", "score_p50", "score_p75", "score_p95", "gini")
"""Columns the score figures show; every other measure is charted with the module that declared it."""
TIER_COLORS = ("#b2182b", "#ef8a62", "#bababa", "#67a9cf", "#2166ac", "#053061", "#7f3b08")
CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
       "img-src data: blob:; font-src data:; connect-src 'none'")
"""Nothing may be fetched: every script and style is inline, images are data URLs."""


def _html(p, title: str) -> tuple[str, int]:
    """The self-contained page of ``p``'s parts (Plotly inlined, no network) and its figure count."""
    import plotly

    head = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>scsim report: {_esc(title)}</title><style>{STYLE}</style>"
            f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script></head><body data-figures="{p.figs}">')
    return head + "".join(p.parts) + "</body></html>", p.figs


def _esc(x: Any) -> str:
    return html.escape(str(x))


def _tier_colors(k: int) -> list[str]:
    """One colour per tier, red (lowest) to blue (highest)."""
    if k <= 5:
        return [TIER_COLORS[i] for i in np.linspace(0, 4, k).round().astype(int)]
    return [TIER_COLORS[i % len(TIER_COLORS)] for i in range(k)]


# ---------------------------------------------------------------------------------------------
# Data: everything small, aggregated


@dataclass
class RunData:
    """The aggregated data behind a report."""

    path: Path
    manifest: dict[str, Any]
    ticks: pd.DataFrame
    tiers: list[str]
    transitions: pd.DataFrame | None
    disparity: pd.DataFrame | None
    hist: pd.DataFrame  # bin_lo, bin_hi, count
    degree: pd.DataFrame  # degree, count
    samples: list[tuple[str, int]] = field(default_factory=list)  # (why chosen, citizen id)
    model: Any = None  # the run's modules, rebuilt from the manifest (scsim.analysis.model.RunModel)

    @property
    def columns(self) -> dict[str, dict]:
        """Label, unit, description and module of each ticks column, as the modules declared them."""
        from ..analysis.model import column_info

        return column_info(self.manifest, list(self.ticks.columns))

    @property
    def population(self) -> int:
        return int(self.manifest.get("population", 0))


def _parquet_columns(f: Path) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(f).names)


def load(run: str | Path, bins: int = 60) -> RunData:
    """Read and aggregate what the report shows (never a per-citizen array into the page)."""
    import duckdb

    from ..store import read_manifest, read_table

    p = Path(run)
    manifest = read_manifest(p)
    ticks = read_table(p, "ticks")
    if ticks.empty:
        raise ScsimError(f"{p}: ticks.parquet has no rows; nothing to report")
    tiers = list(manifest.get("tier_names") or [c[6:] for c in ticks.columns if c.startswith("share_")])
    tables = {}
    for name in ("transitions", "disparity"):
        f = p / f"{name}.parquet"
        tables[name] = pd.read_parquet(f) if f.is_file() else None
    cf = p / "citizens.parquet"
    if not cf.is_file():
        raise ScsimError(f"{p}: run has no citizens table (citizens.parquet missing)")
    cols = set(_parquet_columns(cf))
    con = duckdb.connect()
    src = f"read_parquet('{str(cf)}')".replace("\\", "/")
    lo, hi = con.execute(f"select min(score), max(score) from {src}").fetchone()
    lo, hi = float(lo), float(hi)
    if not hi > lo:
        hi = lo + 1.0
    w = (hi - lo) / bins
    h = con.execute(f"select least(cast(floor((score - {lo}) / {w}) as integer), {bins - 1}) as b, count(*) as n "
                    f"from {src} group by b order by b").df()
    counts = np.zeros(bins, dtype=np.int64)
    counts[h["b"].to_numpy(dtype=int)] = h["n"].to_numpy()
    edges = lo + w * np.arange(bins + 1)
    hist = pd.DataFrame({"bin_lo": edges[:-1], "bin_hi": edges[1:], "count": counts})
    degree = (con.execute(f"select degree, count(*) as count from {src} group by degree order by degree").df()
              if "degree" in cols else pd.DataFrame({"degree": [], "count": []}))
    samples = _pick_samples(con, src, cols)
    con.close()
    from ..analysis.model import run_model

    try:
        model = run_model(manifest, f"{p}/manifest.json")
    except ScsimError:
        model = None
    return RunData(path=p, manifest=manifest, ticks=ticks, tiers=tiers, transitions=tables["transitions"],
                   disparity=tables["disparity"], hist=hist, degree=degree, samples=samples, model=model)


def measure_groups(d: RunData) -> list[dict]:
    """The run's numeric measures grouped by module and unit (:func:`scsim.analysis.model.measure_groups`)."""
    from ..analysis.model import measure_groups as groups

    present = [c for c in d.ticks.columns if pd.api.types.is_numeric_dtype(d.ticks[c])]
    return groups(d.manifest, present)


def _pick_samples(con, src: str, cols: set[str]) -> list[tuple[str, int]]:
    """Three citizens worth reading: a typical one, the lowest score, and the sanctioned citizen
    whose records carry the most erroneous points (or the highest score when nobody is sanctioned)."""
    picks: list[tuple[str, int]] = []
    queries = [("a typical citizen (score closest to the median)",
                f"select id from {src} order by abs(score - (select median(score) from {src})), id limit 1"),
               ("the lowest score of the run", f"select id from {src} order by score, id limit 1")]
    if "sanctioned" in cols and "error_points" in cols:
        queries.append(("a sanctioned citizen with the most points from records that were not theirs",
                        f"select id from {src} where sanctioned order by error_points, score, id limit 1"))
    elif "sanctioned" in cols:
        queries.append(("a sanctioned citizen", f"select id from {src} where sanctioned order by score desc, id limit 1"))
    queries.append(("the highest score of the run", f"select id from {src} order by score desc, id limit 1"))
    for why, q in queries:
        row = con.execute(q).fetchone()
        if row is not None and int(row[0]) not in {c for _, c in picks}:
            picks.append((why, int(row[0])))
        if len(picks) == 3:
            break
    return picks


def tier_flows(transitions: pd.DataFrame, tiers: list[str], stages: list[int]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Tier counts at each stage tick and the flows between consecutive stages.

    ``transitions`` holds per tick ``t`` the counts of citizens moving from their tier at ``t-1``
    to their tier at ``t``. Node totals are exact at every stage; the flow between two stages
    chains the weekly transition matrices of the ticks between them (exact for one tick, a
    Markov approximation across several: individual paths are not stored, except for the panel).

    >>> tr = pd.DataFrame({"tick": [1, 1, 2, 2], "from_tier": ["a", "a", "a", "b"],
    ...                    "to_tier": ["a", "b", "b", "b"], "count": [6, 4, 6, 4]})
    >>> nodes, flows = tier_flows(tr, ["a", "b"], [0, 2])
    >>> nodes[0].tolist(), nodes[1].tolist(), flows[0].tolist()
    ([10.0, 0.0], [0.0, 10.0], [[0.0, 10.0], [0.0, 0.0]])
    """
    k = len(tiers)
    idx = {t: i for i, t in enumerate(tiers)}
    T = int(transitions["tick"].max()) if len(transitions) else 0
    M = np.zeros((T + 1, k, k))
    f = transitions["from_tier"].map(idx).to_numpy()
    g = transitions["to_tier"].map(idx).to_numpy()
    ok = ~(pd.isna(f) | pd.isna(g))
    np.add.at(M, (transitions["tick"].to_numpy()[ok].astype(int), f[ok].astype(int), g[ok].astype(int)),
              transitions["count"].to_numpy()[ok].astype(float))
    def at(t: int) -> np.ndarray:  # tier counts at tick t
        return M[1].sum(axis=1) if t == 0 else M[t].sum(axis=0)
    nodes = [at(s) for s in stages]
    flows = []
    for a, b in zip(stages[:-1], stages[1:]):
        P = np.eye(k)
        for t in range(a + 1, b + 1):
            rows = M[t].sum(axis=1, keepdims=True)
            Pt = np.where(rows > 0, M[t] / np.where(rows > 0, rows, 1), np.eye(k))
            P = P @ Pt
        flows.append(at(a)[:, None] * P)
    return nodes, flows


# ---------------------------------------------------------------------------------------------
# Figures (Plotly for the page)


def _dtick(d: RunData) -> int:
    """Spacing of week ticks on time axes: whole weeks, about ten ticks."""
    return max(1, math.ceil(int(d.ticks["tick"].iat[-1]) / 10))


def _layout(fig, title: str, ytitle: str | None = None, xtitle: str | None = "week (tick)", height: int = 420,
            dtick: int | None = None):
    fig.update_layout(title={"text": title, "x": 0.01, "xanchor": "left"}, height=height, template="plotly_white",
                      margin={"l": 60, "r": 20, "t": 60, "b": 50}, legend={"orientation": "h", "y": -0.18},
                      font={"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 13})
    if xtitle is not None:
        fig.update_xaxes(title_text=xtitle)
    if xtitle == "week (tick)":  # whole weeks only
        fig.update_xaxes(tickformat="d", tick0=0, dtick=dtick or 1)
    if ytitle is not None:
        fig.update_yaxes(title_text=ytitle)
    return fig


def fig_score_over_time(d: RunData):
    import plotly.graph_objects as go

    t = d.ticks
    x = t["tick"].tolist()
    fig = go.Figure()
    q = [c for c in ("score_p05", "score_p25", "score_p50", "score_p75", "score_p95") if c in t]
    if len(q) == 5:
        for lo, hi, name, op in (("score_p05", "score_p95", "5th-95th percentile", 0.18),
                                 ("score_p25", "score_p75", "25th-75th percentile", 0.35)):
            fig.add_trace(go.Scatter(x=x, y=t[hi].tolist(), mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"))
            fig.add_trace(go.Scatter(x=x, y=t[lo].tolist(), mode="lines", line={"width": 0}, fill="tonexty",
                                     fillcolor=f"rgba(33,102,172,{op})", name=name))
        fig.add_trace(go.Scatter(x=x, y=t["score_p50"].tolist(), mode="lines", name="median", line={"color": "#2166ac"}))
    fig.add_trace(go.Scatter(x=x, y=t["mean_score"].tolist(), mode="lines", name="mean", line={"color": "#111", "dash": "dot"}))
    return _layout(fig, "Score distribution over time", "score", dtick=_dtick(d))


def fig_histogram(d: RunData):
    import plotly.graph_objects as go

    h = d.hist
    mid = ((h["bin_lo"] + h["bin_hi"]) / 2).round(2).tolist()
    fig = go.Figure(go.Bar(x=mid, y=h["count"].tolist(), width=float(h["bin_hi"].iat[0] - h["bin_lo"].iat[0]),
                           marker={"color": "#4393c3"}, name="citizens"))
    tiers = d.model.tiers if d.model is not None else None
    for name, lo in zip(tiers.tier_names if tiers is not None else [], tiers.tier_mins if tiers is not None else []):
        if h["bin_lo"].iat[0] < lo < h["bin_hi"].iat[-1]:
            fig.add_vline(x=float(lo), line={"dash": "dash", "color": "#888"}, annotation_text=name)
    return _layout(fig, f"Final scores of {d.population:,} simulated citizens (week {int(d.ticks['tick'].iat[-1])})",
                   "citizens", "score")


def fig_tier_shares(d: RunData):
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, color in zip(d.tiers, _tier_colors(len(d.tiers))):
        c = f"share_{name}"
        if c in d.ticks:
            fig.add_trace(go.Scatter(x=d.ticks["tick"].tolist(), y=(100 * d.ticks[c]).tolist(), name=name, mode="lines",
                                     stackgroup="tiers", line={"width": 0.5, "color": color}))
    return _layout(fig, "Tier shares over time", "% of citizens", dtick=_dtick(d))


def _stages(T: int) -> list[int]:
    return sorted({0, T // 2, T}) if T >= 2 else [0, T]


def fig_sankey(d: RunData):
    import plotly.graph_objects as go

    T = int(d.ticks["tick"].iat[-1])
    stages = _stages(T)
    nodes, flows = tier_flows(d.transitions, d.tiers, stages)
    k = len(d.tiers)
    colors = _tier_colors(k)
    labels, ncolors = [], []
    for s, n in zip(stages, nodes):
        for i, name in enumerate(d.tiers):
            labels.append(f"{name} · {'start' if s == 0 else f'week {s}'} ({n[i]:,.0f})")
            ncolors.append(colors[i])
    src, dst, val, lcol = [], [], [], []
    for si, F in enumerate(flows):
        for i in range(k):
            for j in range(k):
                if F[i, j] >= 0.5:
                    src.append(si * k + i)
                    dst.append((si + 1) * k + j)
                    val.append(round(float(F[i, j]), 1))
                    c = colors[j].lstrip("#")
                    lcol.append(f"rgba({int(c[0:2], 16)},{int(c[2:4], 16)},{int(c[4:6], 16)},0.35)")
    fig = go.Figure(go.Sankey(arrangement="snap", node={"label": labels, "color": ncolors, "pad": 12, "thickness": 14},
                              link={"source": src, "target": dst, "value": val, "color": lcol}))
    return _layout(fig, "Tier flows: start → middle → end", None, None, height=460)


def _lines(d: RunData, cols: list[str], title: str, ytitle: str, names: dict[str, str] | None = None,
           secondary: list[str] | None = None, total: str | None = None):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(specs=[[{"secondary_y": bool(secondary)}]])
    for c in cols:
        if c in d.ticks:
            y = d.ticks[c].astype(float).where(np.isfinite(d.ticks[c].astype(float)))
            wide = c == total  # drawn wide and grey under its parts, visible where they overlap
            label = (names or {}).get(c) or d.columns.get(c, {}).get("label") or c.replace("_", " ")
            fig.add_trace(go.Scatter(x=d.ticks["tick"].tolist(), y=[None if pd.isna(v) else float(v) for v in y],
                                     mode="lines", name=label,
                                     line={"width": 6, "color": "rgba(0,0,0,0.22)"} if wide else {"width": 2}),
                          secondary_y=bool(secondary and c in secondary))
    _layout(fig, title, ytitle, dtick=_dtick(d))
    if secondary:
        fig.update_yaxes(title_text=", ".join(s.replace("_", " ") for s in secondary), secondary_y=True)
    return fig


def fig_disparity(d: RunData):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    dp = d.disparity
    attrs = list(dict.fromkeys(dp["attribute"]))
    widths = [max(len(dp[dp["attribute"] == a]), 2) for a in attrs]
    fig = make_subplots(rows=1, cols=len(attrs), column_widths=widths, subplot_titles=[a.replace("_", " ") for a in attrs],
                        shared_yaxes=True, horizontal_spacing=0.025)
    for j, a in enumerate(attrs, start=1):
        g = dp[dp["attribute"] == a]
        viol = g["four_fifths_violation"].astype(bool).tolist() if "four_fifths_violation" in g else [False] * len(g)
        fig.add_trace(go.Bar(x=g["group"].astype(str).tolist(), y=(100 * g["sanction_rate"]).tolist(),
                             marker={"color": ["#b2182b" if v else "#4393c3" for v in viol]}, showlegend=False,
                             customdata=np.stack([g["population"].to_numpy(), g["impact_ratio"].replace(np.inf, np.nan).to_numpy()], axis=1).tolist(),
                             hovertemplate="%{x}: %{y:.2f}% sanctioned<br>population %{customdata[0]:,}<br>impact ratio %{customdata[1]:.2f}<extra></extra>"),
                      row=1, col=j)
        ref = float(g["sanction_rate"].min()) if len(g) else 0.0
        fig.add_hline(y=100 * ref * 1.25, line={"dash": "dash", "color": "#555", "width": 1}, row=1, col=j)
    fig.update_xaxes(tickangle=-60, tickfont={"size": 10})
    _layout(fig, "Sanction rate by group<br><sup>red: breaks the four-fifths rule · dashed line: 1.25 × the "
                 "least-sanctioned group's rate</sup>", None, None, height=500)
    fig.update_yaxes(title_text="% sanctioned", row=1, col=1)
    fig.update_annotations(font_size=12)
    fig.update_layout(showlegend=False, margin={"t": 100, "b": 110})
    return fig


def fig_degree(d: RunData):
    import plotly.graph_objects as go

    dg = d.degree[d.degree["degree"] > 0] if len(d.degree) else d.degree
    fig = go.Figure(go.Scatter(x=dg["degree"].tolist(), y=dg["count"].tolist(), mode="markers",
                               marker={"size": 5, "color": "#2166ac"}, name="citizens"))
    fig = _layout(fig, "Degree distribution (friends per citizen, log-log)", "citizens", "degree")
    fig.update_xaxes(type="log")
    fig.update_yaxes(type="log")
    iso = int(d.degree.loc[d.degree["degree"] == 0, "count"].sum()) if len(d.degree) else 0
    if iso:
        fig.add_annotation(text=f"{iso:,} citizens without friends", xref="paper", yref="paper", x=1, y=1, showarrow=False)
    return fig


def fig_explanation(e: dict):
    import plotly.graph_objects as go

    terms = e["terms"]
    base = [t for t in terms if t["kind"] == "rule" and t["name"] == "base"]
    rules = sorted([t for t in terms if t["kind"] == "rule" and t["name"] != "base"], key=lambda t: -abs(t["value"]))
    top, rest = rules[:8], rules[8:]
    items = [("base", sum(t["value"] for t in base))]
    items += [(t["name"].replace("_", " "), t["value"]) for t in top]
    if rest:
        items.append((f"{len(rest)} other rules", sum(t["value"] for t in rest)))
    items += [("friends (network)", t["value"]) for t in terms if t["kind"] == "network"]
    items += [(t["name"].replace("_", " "), t["value"]) for t in terms if t["kind"] == "clip"]
    fig = go.Figure(go.Waterfall(x=[n for n, _ in items] + ["score"], y=[v for _, v in items] + [0],
                                 measure=["absolute"] + ["relative"] * (len(items) - 1) + ["total"],
                                 decreasing={"marker": {"color": "#b2182b"}}, increasing={"marker": {"color": "#2166ac"}},
                                 totals={"marker": {"color": "#444"}}, connector={"line": {"color": "#bbb"}}))
    running = np.cumsum([v for _, v in items])
    lo, hi = float(min(running.min(), e["score"])), float(max(running.max(), e["score"]))
    pad = max(10.0, 0.15 * (hi - lo))
    fig = _layout(fig, f"How citizen #{e['citizen']}'s score of {e['score']:.1f} is made up", "points", None, height=360)
    fig.update_yaxes(range=[lo - pad, hi + pad])
    fig.update_xaxes(tickangle=-30)
    fig.update_layout(showlegend=False)
    return fig


# ---------------------------------------------------------------------------------------------
# PNG figures (matplotlib, Agg canvas: never touches the user's pyplot backend)


def _png(path: Path, draw, title: str, width: float = 8.0, height: float = 4.2) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(111)
    draw(fig, ax)
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    fig.text(0.99, 0.005, "scsim · simulated citizens", ha="right", va="bottom", fontsize=7, color="#777")
    fig.tight_layout(rect=(0, 0.02, 1, 0.97))
    fig.savefig(path)
    return path


def _legend(ax, **kw) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, **kw)
    else:
        ax.text(0.5, 0.5, "not measured in this run", transform=ax.transAxes, ha="center", color="#777")


def write_pngs(d: RunData, folder: Path) -> list[Path]:
    """Matplotlib versions of the figures in ``folder`` (``RUN/figures``)."""
    folder.mkdir(parents=True, exist_ok=True)
    t = d.ticks
    x = t["tick"].to_numpy()
    out = []

    def score(fig, ax):
        if "score_p05" in t:
            ax.fill_between(x, t["score_p05"], t["score_p95"], alpha=0.18, color="#2166ac", label="5th-95th percentile")
            ax.fill_between(x, t["score_p25"], t["score_p75"], alpha=0.35, color="#2166ac", label="25th-75th percentile")
            ax.plot(x, t["score_p50"], color="#2166ac", label="median")
        ax.plot(x, t["mean_score"], color="#111", ls=":", label="mean")
        ax.set_xlabel("week (tick)")
        ax.set_ylabel("score")
        _legend(ax)
    out.append(_png(folder / "score_distribution.png", score, "Score distribution over time"))

    def hist(fig, ax):
        h = d.hist
        ax.bar(h["bin_lo"], h["count"], width=h["bin_hi"] - h["bin_lo"], align="edge", color="#4393c3")
        ax.set_xlabel("score")
        ax.set_ylabel("citizens")
    out.append(_png(folder / "score_histogram.png", hist, f"Final scores of {d.population:,} simulated citizens"))

    def tiers(fig, ax):
        cols = [f"share_{n}" for n in d.tiers if f"share_{n}" in t]
        ax.stackplot(x, *[100 * t[c] for c in cols], labels=[c[6:] for c in cols], colors=_tier_colors(len(cols)))
        ax.set_xlabel("week (tick)")
        ax.set_ylabel("% of citizens")
        ax.set_ylim(0, 100)
        _legend(ax, loc="lower left")
    out.append(_png(folder / "tier_shares.png", tiers, "Tier shares over time"))

    if d.transitions is not None and len(d.transitions):
        def flows(fig, ax):
            T = int(t["tick"].iat[-1])
            nodes, fl = tier_flows(d.transitions, d.tiers, [0, T])
            F = fl[0]
            share = np.divide(F, F.sum(axis=1, keepdims=True), out=np.zeros_like(F), where=F.sum(axis=1, keepdims=True) > 0)
            im = ax.imshow(100 * share, cmap="Blues", vmin=0, vmax=100)
            ax.set_xticks(range(len(d.tiers)), d.tiers, rotation=30)
            ax.set_yticks(range(len(d.tiers)), d.tiers)
            ax.set_xlabel(f"tier at week {T}")
            ax.set_ylabel("tier at start")
            for i in range(len(d.tiers)):
                for j in range(len(d.tiers)):
                    if F[i, j] >= 0.5:
                        ax.text(j, i, f"{F[i, j]:,.0f}", ha="center", va="center", fontsize=7,
                                color="white" if share[i, j] > 0.6 else "black")
            fig.colorbar(im, ax=ax, label="% of the start tier")
        out.append(_png(folder / "tier_flows.png", flows, "Tier flows from start to end (counts)", 7, 5))

    if d.disparity is not None and len(d.disparity):
        dp = d.disparity

        def disp(fig, ax):
            labels = [f"{a}: {g}" for a, g in zip(dp["attribute"], dp["group"])]
            viol = dp["four_fifths_violation"].astype(bool) if "four_fifths_violation" in dp else pd.Series(False, index=dp.index)
            ax.barh(range(len(dp)), 100 * dp["sanction_rate"], color=np.where(viol, "#b2182b", "#4393c3"))
            ax.set_yticks(range(len(dp)), labels, fontsize=6)
            ax.invert_yaxis()
            ax.set_xlabel("% sanctioned (red: breaks the four-fifths rule)")
        out.append(_png(folder / "disparity.png", disp, "Sanction rate by group", 8, max(4.0, 0.16 * len(dp) + 1)))

    if len(d.degree):
        def deg(fig, ax):
            dg = d.degree[d.degree["degree"] > 0]
            ax.loglog(dg["degree"], dg["count"], "o", ms=3, color="#2166ac")
            ax.set_xlabel("degree (friends)")
            ax.set_ylabel("citizens")
        out.append(_png(folder / "degree.png", deg, "Degree distribution"))

    info = d.columns
    for g in measure_groups(d):
        def curves(fig, ax, cols=g["columns"], unit=g["unit"]):
            for c in cols:
                ax.plot(x, t[c].astype(float), label=info.get(c, {}).get("label", c))
            ax.set_xlabel("week (tick)")
            if unit:
                ax.set_ylabel(unit)
            _legend(ax)
        slug = "-".join(filter(None, (g["module"], "".join(ch if ch.isalnum() else "_" for ch in g["unit"])))) or "measures"
        out.append(_png(folder / f"{slug}.png", curves, f"{g['label']}: {g['unit']}" if g["unit"] else g["label"]))
    return out


# ---------------------------------------------------------------------------------------------
# Explanations (scsim.analysis.explain)


def explanations(d: RunData) -> tuple[list[dict], str | None]:
    """``[{'why', 'json', 'text'}]`` for the sample citizens, or ``([], reason)`` when unavailable."""
    from ..analysis.explain import explain, explain_text

    if d.model is None or d.model.scoring is None:
        kind = d.model.model if d.model is not None else "this"
        return [], f"explanations unavailable: the {kind} model keeps no ledgers to explain scores from"
    if not (d.path / "state.npz").is_file():
        return [], "explanations unavailable: the run folder keeps no state.npz (final ledgers and graph)"
    out = []
    for why, cid in d.samples:
        try:
            e = explain(d.path, cid)
        except ScsimError as ex:
            return [], f"explanations unavailable: {ex}"
        out.append({"why": why, "json": e, "text": explain_text(e)})
    return out, None


# ---------------------------------------------------------------------------------------------
# The page


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9}
main{max-width:1120px;margin:0 auto;padding:0 20px 60px}
.banner{background:#7a1f1f;color:#fff;padding:18px 22px;border-radius:0 0 10px 10px;font-size:17px;line-height:1.45}
.banner strong{font-size:19px}
h1{font-size:26px;margin:20px 0 4px}
h2{font-size:20px;margin:34px 0 8px;border-bottom:2px solid #dde1e6;padding-bottom:4px}
.sub{color:#555;margin:0 0 14px}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;margin:14px 0}
.kpi{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:10px 12px}
.kpi .v{font-size:21px;font-weight:600}.kpi .l{color:#555;font-size:13px}
.card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:8px;margin:12px 0}
.note{color:#555;font-size:13px;margin:4px 4px 10px}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:12px}
@media (max-width:900px){.grid2{grid-template-columns:1fr}}
table{border-collapse:collapse;font-size:13px;width:100%}
th,td{padding:4px 8px;border-bottom:1px solid #e5e8ec;text-align:right}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
tr.bad td{background:#fbe9e9}
.scroll{max-height:420px;overflow:auto}
pre{white-space:pre-wrap;background:#fbfbfb;border:1px solid #e5e8ec;padding:10px;border-radius:6px;font-size:12.5px}
nav a{margin-right:12px;color:#2166ac;text-decoration:none;font-size:14px}
"""


class _Page:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.figs = 0

    def add(self, s: str) -> None:
        self.parts.append(s)

    def fig(self, fig, name: str, note: str | None = None) -> None:
        import plotly.io as pio

        self.figs += 1
        div = pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=f"fig-{name}",
                          config={"displaylogo": False, "responsive": True})
        self.add(f'<div class="card">{div}' + (f'<p class="note">{_esc(note)}</p>' if note else "") + "</div>")


def _fmt_n(v: Any) -> str:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(v):
        return "–"
    return f"{v:,.0f}" if v == int(v) else f"{v:,.3g}"


def _disparity_table(dp: pd.DataFrame) -> str:
    rows = []
    for _, r in dp.iterrows():
        bad = bool(r.get("four_fifths_violation", False))
        ir = r.get("impact_ratio", float("nan"))
        rows.append(f'<tr class="{"bad" if bad else ""}"><td>{_esc(r["attribute"])}</td><td>{_esc(r["group"])}</td>'
                    f'<td>{int(r["population"]):,}</td><td>{100 * r["sanction_rate"]:.2f}%</td>'
                    f'<td>{100 * r.get("blacklist_rate", float("nan")):.2f}%</td><td>{r.get("mean_score", float("nan")):.1f}</td>'
                    f'<td>{"∞" if ir == np.inf else f"{ir:.2f}"}</td><td>{"yes" if bad else ""}</td></tr>')
    return ('<div class="card scroll"><table><thead><tr><th>attribute</th><th>group</th><th>citizens</th>'
            '<th>sanction rate</th><th>blacklist rate</th><th>mean score</th><th>impact ratio</th>'
            '<th>breaks 4/5 rule</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table></div>")


def render(d: RunData) -> tuple[str, int]:
    """The page's HTML and its number of figures."""
    import plotly.offline

    m, t = d.manifest, d.ticks
    last = t.iloc[-1]
    n = d.population
    T = int(last["tick"])
    s = m.get("summary", {})
    p = _Page()
    scen = m.get("scenario_name", "?")
    p.add(f'<div class="banner" id="simulated"><strong>Simulated citizens only.</strong> Every person in this report is '
          f'synthetic: {n:,} citizens generated by scsim from seed {_esc(m.get("seed"))}. No real person\'s data was used '
          'and nothing here describes a real individual. The figures show what the modelled system does to a '
          'synthetic population.</div>')
    p.add(f"<main><h1>scsim report: {_esc(scen)}</h1>"
          f'<p class="sub">{n:,} simulated citizens · {m.get("edges", 0):,} ties · {T} weeks (ticks) · seed {_esc(m.get("seed"))} · '
          f'scsim {_esc(m.get("scsim_version", ""))} · run {_esc(d.path.name)}</p>')
    kp = [("mean score", f"{last['mean_score']:.1f}")]
    if "gini" in t:
        kp.append(("Gini of scores", f"{last['gini']:.3f}"))
    for c, label in (("sanctioned", "sanctioned"), ("blacklisted", "blacklisted"), ("wrongful_sanctions", "wrongfully sanctioned"),
                     ("guilt_by_association", "guilty by association")):
        if c in t:
            kp.append((label, f"{int(last[c]):,} ({100 * last[c] / max(n, 1):.2f}%)"))
    if s.get("persistence_at_bottom") is not None:
        kp.append(("of the lowest tier at week 1, still there at the end", f"{100 * s['persistence_at_bottom']:.1f}%"))
    p.add('<div class="kpis">' + "".join(f'<div class="kpi"><div class="v">{_esc(v)}</div><div class="l">{_esc(k)}</div></div>'
                                          for k, v in kp) + "</div>")
    p.add(f'<p class="note" id="no-interval">One run, seed {_esc(m.get("seed"))}: no interval. These figures are one '
          'draw; another seed lands elsewhere. <code>scsim run SCENARIO --replicates R</code> runs R seeds and '
          '<code>scsim report</code> on its folder gives every measure with its 95% interval.</p>')
    p.add('<nav><a href="#scores">scores</a><a href="#tiers">tiers</a><a href="#disparity">disparity</a>'
          '<a href="#network">network</a><a href="#measures">measures by mechanism</a>'
          '<a href="#citizens">sample citizens</a></nav>')

    p.add('<h2 id="scores">Scores</h2>')
    p.fig(fig_score_over_time(d), "score-time", "Bands: percentiles of the score across all citizens each week.")
    p.fig(fig_histogram(d), "score-hist", "Dashed lines: tier thresholds.")

    p.add('<h2 id="tiers">Tiers</h2>')
    p.fig(fig_tier_shares(d), "tier-shares")
    if d.transitions is not None and len(d.transitions):
        p.fig(fig_sankey(d), "tier-sankey", "Node sizes are exact tier counts at each stage. Flows between stages chain the "
              "weekly tier transitions of transitions.parquet (exact for single weeks; across several weeks a Markov "
              "approximation, as individual paths are not stored for every citizen).")
    else:
        p.add('<p class="note">No transitions.parquet in this run: tier flows unavailable.</p>')

    p.add('<h2 id="disparity">Disparity by group</h2>')
    if d.disparity is not None and len(d.disparity):
        p.fig(fig_disparity(d), "disparity")
        p.add(_disparity_table(d.disparity))
        p.add('<p class="note">Impact ratio: the group\'s sanction rate over the least-sanctioned group\'s of the same '
              'attribute. A group breaks the four-fifths rule when its rate exceeds 1.25 times that rate.</p>')
    else:
        p.add('<p class="note">No disparity table in this run (disparity.parquet is missing or empty).</p>')

    if len(d.degree):
        p.add('<h2 id="network">Network</h2>')
        p.fig(fig_degree(d), "degree")

    p.add('<h2 id="measures">What each mechanism measured</h2>')
    p.add('<p class="note">Every measure of the run, grouped by the module that took it, with the label and unit the '
          'module declared (manifest.json, "columns").</p>')
    info = d.columns
    for g in measure_groups(d):
        cols = g["columns"]
        notes = [f"{info[c]['label']}: {info[c]['description']}" for c in cols if info[c].get("description")]
        every = {info[c].get("every") for c in cols if info[c].get("every")}
        if every:
            notes.append(f"measured every {', '.join(map(str, sorted(every)))} ticks and carried in between")
        title = f"{g['label']}" + (f" ({g['unit']})" if g["unit"] else "")
        slug = "-".join(filter(None, (g["module"], "".join(ch if ch.isalnum() else "-" for ch in g["unit"]))))
        p.fig(_lines(d, cols, title, g["unit"] or "value"), slug or "measures", "; ".join(notes) or None)

    p.add('<h2 id="citizens">Three sample citizens</h2>')
    ex, why_not = explanations(d)
    if why_not:
        p.add(f'<p class="note" id="explanations-unavailable">{_esc(why_not)}</p>')
    else:
        p.add('<p class="note">Each letter explains a simulated citizen\'s final score exactly: the lines add up to the score.</p>')
        for i, e in enumerate(ex):
            p.add(f'<h3>Citizen #{e["json"]["citizen"]}: {_esc(e["why"])}</h3>')
            p.fig(fig_explanation(e["json"]), f"citizen-{i}")
            p.add(f'<div class="card explanation"><pre>{_esc(e["text"])}</pre></div>')
    p.add('<p class="note" style="margin-top:40px">Generated by scsim. Every citizen is simulated. '
          f'Scenario {_esc(scen)}, resolved parameters in manifest.json.</p></main>')

    return _html(p, f"{scen} (simulated citizens)")


def _write_page(target: Path, page: str) -> Path:
    import os

    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def write_report(run: str | Path) -> Path:
    """Write ``RUN/report.html`` and ``RUN/figures/*.png``; return the page's path.

    ``run`` may also be a replicate set (``scsim run --replicates R``) or the folder of a set and
    its control twin (``--with-control``): the page then shows every measure's mean with its 95%
    interval, the bands per tick, and for a pair the paired differences (:func:`write_replicates_report`).
    """
    from ..analysis.replicates import is_replicate_set

    if is_replicate_set(run):
        return write_replicates_report(run)
    d = load(run)
    page, _ = render(d)
    write_pngs(d, d.path / "figures")
    return _write_page(d.path / "report.html", page)


# ---------------------------------------------------------------------------------------------
# Replicate sets: intervals and bands


BAND_MEASURES = ("mean_score", "gini", "sanctioned", "blacklisted", "wrongful_sanctions", "guilt_by_association",
                 "star_inflation", "disputes", "janitorial_duty_wrongful")
"""Measures drawn as bands over time in a replicate set's report (when the runs measure them)."""
SET_COLORS = (("33,102,172", "#2166ac"), ("120,120,120", "#555555"))


def _scale(measure: str) -> float:
    return 100.0 if measure.startswith("share_") else 1.0


def _seed_ticks(rep) -> dict[int, pd.DataFrame]:
    return {s: pd.read_parquet(rep.folder(s) / "ticks.parquet") for s in rep.seeds}


def fig_bands(sets: list, measure: str, title: str, ytitle: str, seed_ticks: list[dict] | None = None):
    """One measure over time for one or two replicate sets: the mean over seeds, its 95% interval
    (dark band) and the 2.5th-97.5th percentiles of the runs (light band), each seed a thin line."""
    import plotly.graph_objects as go

    fig = go.Figure()
    k = _scale(measure)
    for i, rep in enumerate(sets):
        rgb, line = SET_COLORS[i % len(SET_COLORS)]
        b = rep.bands[rep.bands["measure"] == measure].sort_values("tick")
        if b.empty:
            continue
        x = b["tick"].tolist()
        tag = f"{rep.scenario_name}: " if len(sets) > 1 else ""
        clean = lambda col: [None if not np.isfinite(v) else float(v) * k for v in b[col]]  # noqa: E731
        for lo, hi, name, op in (("q025", "q975", "2.5th-97.5th percentile of the runs", 0.12),
                                 ("ci_low", "ci_high", "95% interval of the mean", 0.35)):
            fig.add_trace(go.Scatter(x=x, y=clean(hi), mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"))
            fig.add_trace(go.Scatter(x=x, y=clean(lo), mode="lines", line={"width": 0}, fill="tonexty",
                                     fillcolor=f"rgba({rgb},{op})", name=tag + name))
        if seed_ticks is not None and len(seed_ticks[i]) <= 30:
            for j, (seed, t) in enumerate(seed_ticks[i].items()):
                if measure in t:
                    fig.add_trace(go.Scatter(x=t["tick"].tolist(), y=[None if pd.isna(v) else float(v) * k for v in t[measure]],
                                             mode="lines", line={"width": 0.7, "color": f"rgba({rgb},0.45)"},
                                             name=f"{tag}one run per seed", legendgroup=f"seeds-{i}", showlegend=j == 0,
                                             hovertext=f"seed {seed}"))
        fig.add_trace(go.Scatter(x=x, y=clean("mean"), mode="lines", name=tag + "mean over seeds",
                                 line={"color": line, "width": 2.5}))
    T = int(sets[0].ticks or 1)
    return _layout(fig, title, ytitle, dtick=max(1, math.ceil(T / 10)))


def _interval_rows(rep, measures: list[str]) -> str:
    from ..analysis.replicates import format_value

    sm = rep.summary.set_index("measure")
    rows = []
    for m in measures:
        if m not in sm.index:
            continue
        r = sm.loc[m]
        f = lambda v, m=m: format_value(m, v)  # noqa: E731
        ci = f"[{f(r['ci_low'])}, {f(r['ci_high'])}]" if int(r["n"]) >= 2 else "–"
        rows.append(f'<tr data-measure="{_esc(m)}"><td>{_esc(m)}</td><td>{_esc(r["label"])}</td><td>{_esc(f(r["mean"]))}</td>'
                    f'<td class="ci">{_esc(ci)}</td><td>{_esc(f(r["sd"]))}</td><td>{int(r["n"])}</td>'
                    + "".join(f'<td>{_esc(f(r[k]))} ({int(r[sk])})</td>' if r[sk] >= 0 else "<td>–</td>"
                              for k, sk in (("min", "seed_min"), ("max", "seed_max"))) + "</tr>")
    return ('<table><thead><tr><th>measure</th><th>label</th><th>mean</th><th>95% interval</th><th>sd</th><th>runs</th>'
            '<th>min (seed)</th><th>max (seed)</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")


def _summary_section(p: "_Page", rep) -> None:
    from ..analysis.replicates import headline_measures

    head = headline_measures([m for m, h in zip(rep.summary["measure"], rep.summary["headline"]) if h])
    p.add(f'<div class="card" id="summary-{_esc(rep.scenario_name)}">' + _interval_rows(rep, head) + "</div>")
    rest = [m for m in rep.summary["measure"] if m not in set(head)]
    if rest:
        p.add(f'<details><summary class="note">every other measure ({len(rest)})</summary><div class="card scroll">'
              + _interval_rows(rep, rest) + "</div></details>")


def _pair_table(c: dict) -> str:
    from ..analysis.replicates import format_value

    rows = []
    order = sorted(c["measures"].items(), key=lambda km: {False: 0, None: 1, True: 2}[km[1]["within_noise"]])
    for k, m in order:
        if m["identical"]:
            continue
        f = lambda v, k=k: format_value(k, v) if v is not None else "–"  # noqa: E731
        ci = f"[{f(m['ci_low'])}, {f(m['ci_high'])}]" if m["ci_low"] is not None else "–"
        wn = {True: "yes", False: "no", None: "–"}[m["within_noise"]]
        rows.append(f'<tr class="{"" if m["within_noise"] is not False else "bad"}" data-measure="{_esc(k)}"><td>{_esc(k)}</td>'
                    f'<td>{_esc(f(m["a_mean"]))}</td><td>{_esc(f(m["b_mean"]))}</td><td>{_esc(f(m["diff"]))}</td>'
                    f'<td class="ci">{_esc(ci)}</td><td>{_esc(f(m["sd"]))}</td><td>{wn}</td></tr>')
    same = [k for k, m in c["measures"].items() if m["identical"]]
    note = (f'<p class="note">Identical in every pair ({len(same)}): {_esc(", ".join(same))}.</p>' if same else "")
    return ('<div class="card scroll"><table><thead><tr><th>measure</th><th>A mean</th><th>B mean</th><th>A − B</th>'
            '<th>95% interval</th><th>sd of A − B</th><th>within noise</th></tr></thead><tbody>' + "".join(rows)
            + "</tbody></table></div>" + note)


def render_replicates(sets: list, comparison: dict | None = None) -> tuple[str, int]:
    """The page of one replicate set, or of a set and its control twin (with ``comparison``,
    :func:`scsim.analysis.compare.compare_replicates`); returns the HTML and its figure count."""
    import plotly.offline

    from ..analysis.replicates import INTERVAL, _seed_range

    first = sets[0]
    R, n = len(first.seeds), first.population
    p = _Page()
    names = " and ".join(r.scenario_name for r in sets)
    p.add(f'<div class="banner" id="simulated"><strong>Simulated citizens only.</strong> Every person in this report is '
          f'synthetic: {n:,} citizens generated by scsim for each of {R} seeds ({_esc(_seed_range(first.seeds))}). No real '
          "person's data was used and nothing here describes a real individual.</div>")
    p.add(f"<main><h1>scsim report: {_esc(names)}, {R} replicates</h1>"
          f'<p class="sub">{n:,} simulated citizens · {first.ticks} weeks (ticks) · seeds {_esc(_seed_range(first.seeds))} · '
          f'{_esc(INTERVAL)}</p>')
    p.add('<p class="note">Each seed is an independent synthetic world run with the same scenario. <b>mean</b>: over the '
          'seeds; <b>95% interval</b>: where the mean over many more seeds would lie (Student t over the runs, not '
          'clipped to 0); <b>min</b>/<b>max</b>: the runs at the two ends, with their seeds. A single run is one of these '
          'draws.</p>')
    if comparison is not None:
        ci = comparison.get("citizens") or {}
        p.add(f'<h2 id="differences">Paired differences: {_esc(comparison["a"]["scenario"])} − '
              f'{_esc(comparison["b"]["scenario"])}</h2>')
        p.add(f'<p class="note">Seed by seed, the two runs share their world and random numbers; the table gives the mean '
              f'of the {R} paired differences at the end with its 95% interval ({R - 1} degrees of freedom). '
              'Within noise: the interval contains 0 (rows outside noise are shaded).</p>')
        p.add(_pair_table(comparison))
        if "touched" in ci:
            from ..analysis.replicates import format_value

            def cl(key, text):
                if key not in ci:
                    return ""
                x = ci[key]
                f = lambda v: format_value("citizens", v)  # noqa: E731
                return f"<li>{_esc(text)}: {_esc(f(x['mean']))} [{_esc(f(x['ci_low']))}, {_esc(f(x['ci_high']))}]</li>"
            p.add('<div class="card" id="citizens-touched"><p class="note">Citizens at the end, mean over the pairs [95% '
                  f'interval], of {ci.get("aligned", n):,}:</p><ul>'
                  + cl("touched", "touched by the policy (any end state differs)") + cl("score_differs", "score differs")
                  + cl("tier_changed", "in another tier") + cl("sanctioned_only_a", "sanctioned only under A")
                  + cl("sanctioned_only_b", "sanctioned only under B") + "</ul></div>")
    for rep in sets:
        p.add(f'<h2 id="set-{_esc(rep.scenario_name)}">{_esc(rep.scenario_name)}: every measure at the end, over {R} seeds</h2>')
        _summary_section(p, rep)
    p.add('<h2 id="bands">Over time</h2>')
    ticks = [_seed_ticks(r) for r in sets]
    info = {c["name"]: c for c in first.manifest.get("columns", []) if isinstance(c, dict) and "name" in c}
    for m in [m for m in BAND_MEASURES if (first.bands["measure"] == m).any()]:
        label = info.get(m, {}).get("label") or m.replace("_", " ")
        p.fig(fig_bands(sets, m, label, info.get(m, {}).get("unit") or m.replace("_", " "), ticks), f"bands-{m}")
    for m in [m for m in dict.fromkeys(first.bands["measure"]) if str(m).startswith("share_")]:
        p.fig(fig_bands(sets, m, f"tier {m[6:]}", "% of citizens", ticks), f"bands-{m}")
    p.add('<p class="note" style="margin-top:40px">Generated by scsim. Every citizen is simulated. The runs are '
          'ordinary run folders under runs/seed-&lt;seed&gt;; summary.parquet and bands.parquet hold these numbers.</p></main>')
    return _html(p, f"{names}, {R} replicates (simulated citizens)")


def write_replicate_pngs(sets: list, folder: Path) -> list[Path]:
    """PNG bands (``figures/bands-<measure>.png``) of one replicate set or of a pair."""
    folder.mkdir(parents=True, exist_ok=True)
    first = sets[0]
    out = []
    measures = [m for m in BAND_MEASURES if (first.bands["measure"] == m).any()]
    measures += [m for m in dict.fromkeys(first.bands["measure"]) if str(m).startswith("share_")]
    for m in measures:
        k = _scale(m)

        def draw(fig, ax, m=m, k=k):
            for i, rep in enumerate(sets):
                color = SET_COLORS[i % len(SET_COLORS)][1]
                b = rep.bands[rep.bands["measure"] == m].sort_values("tick")
                tag = f"{rep.scenario_name}: " if len(sets) > 1 else ""
                ax.fill_between(b["tick"], k * b["q025"], k * b["q975"], alpha=0.12, color=color,
                                label=tag + "2.5th-97.5th percentile of the runs")
                ax.fill_between(b["tick"], k * b["ci_low"], k * b["ci_high"], alpha=0.35, color=color,
                                label=tag + "95% interval of the mean")
                ax.plot(b["tick"], k * b["mean"], color=color, label=tag + "mean over seeds")
            ax.set_xlabel("week (tick)")
            ax.set_ylabel("% of citizens" if k == 100 else m.replace("_", " "))
            _legend(ax)
        out.append(_png(folder / f"bands-{m}.png", draw, f"{m.replace('_', ' ')} over {len(first.seeds)} seeds"))
    return out


def write_replicates_report(path: str | Path) -> Path:
    """``OUT/report.html`` and ``OUT/figures/bands-*.png`` of a replicate set, or of a set and its
    control twin (``scsim run --replicates R --with-control``: with the paired differences)."""
    from ..analysis.compare import compare_replicates
    from ..analysis.replicates import Replicates, load_pair, read_plan

    p = Path(path)
    plan = read_plan(p)
    if plan is not None and plan["kind"] == "replicate-pair":
        a, b = load_pair(p)
        sets, comparison = [a, b], compare_replicates(a, b)
    else:
        sets, comparison = [Replicates.load(p)], None
    page, _ = render_replicates(sets, comparison)
    write_replicate_pngs(sets, p / "figures")
    return _write_page(p / "report.html", page)
