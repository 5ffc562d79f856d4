"""The HTML report: self-contained, offline, every figure renders in headless Chromium."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import scsim
from scsim import cli
from scsim.report import tier_flows

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    sc = scsim.load_scenario("article", population=4000, ticks=8, seed=5)
    return scsim.Simulation(sc).run().save(tmp_path_factory.mktemp("report") / "run")


def _open(page_path: Path, screenshot: Path):
    """Open the page in headless Chromium with every non-file request blocked; return what happened."""
    # No skip: CI installs Debian's chromium; a missing browser must fail this test.
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: install Debian's chromium package"
    from playwright.sync_api import sync_playwright

    errors, requests = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))

        def route(r):
            if r.request.url.startswith("file:"):
                r.continue_()
            else:
                requests.append(r.request.url)
                r.abort()
        page.route("**/*", route)
        page.goto(page_path.as_uri(), wait_until="load")
        page.wait_for_function(
            "() => { const d = [...document.querySelectorAll('.plotly-graph-div')];"
            " return d.length > 0 && d.every(x => x.querySelector('svg.main-svg, canvas')); }", timeout=30_000)
        declared = int(page.evaluate("document.body.dataset.figures"))
        rendered = page.evaluate("""() => [...document.querySelectorAll('.plotly-graph-div')].map(d => ({
            id: d.id, svg: d.querySelectorAll('svg.main-svg').length,
            marks: d.querySelectorAll('.trace, .sankey-node, path.point, .bars path, .scatterlayer path').length}))""")
        banner = page.evaluate("""() => { const b = document.getElementById('simulated').getBoundingClientRect();
            return {top: b.top, bottom: b.bottom, text: document.getElementById('simulated').innerText}; }""")
        explanations = page.evaluate("document.querySelectorAll('.explanation pre').length")
        page.screenshot(path=str(screenshot), full_page=False)
        page.screenshot(path=str(screenshot.with_name(screenshot.stem + "-full.png")), full_page=True)
        browser.close()
    return declared, rendered, banner, explanations, errors, requests


def test_report_renders_offline_with_every_figure_and_says_citizens_are_simulated(run_dir, capsys):
    rc = cli.main(["report", str(run_dir), "--quiet"])
    out = capsys.readouterr().out.strip()
    assert rc == 0 and out == str(run_dir / "report.html")
    page = run_dir / "report.html"
    text = page.read_text(encoding="utf-8")
    # self-contained: no external script, stylesheet, image or font
    assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)=["']?(https?:)?//""", text)
    assert text.count("<script") >= 2 and "<script src" not in text
    ARTIFACTS.mkdir(exist_ok=True)
    declared, rendered, banner, n_expl, errors, requests = _open(page, ARTIFACTS / "report.png")
    assert requests == [], f"the page asked the network for {requests}"
    assert errors == [], errors
    assert declared == len(rendered) >= 10
    for fig in rendered:
        assert fig["svg"] >= 1 and fig["marks"] >= 1, fig
    ids = {f["id"] for f in rendered}
    for must in ("fig-score-time", "fig-score-hist", "fig-tier-shares", "fig-tier-sankey", "fig-disparity", "fig-degree",
                 "fig-sanctions-citizens", "fig-audit-citizens"):
        assert must in ids, must
    # every measure a module declared is charted, under the label the module gave it
    from scsim.analysis.model import measure_groups
    from scsim.store import read_manifest

    manifest = read_manifest(run_dir)
    ticks = pd.read_parquet(run_dir / "ticks.parquet")
    groups = measure_groups(manifest, list(ticks.columns))
    charted = {c for g in groups for c in g["columns"]}
    assert {"wrongful_sanctions", "ties_cut", "watchlisted", "star_inflation", "events_courts"} <= charted
    for c in manifest["columns"]:
        if c["name"] in charted:
            assert c["label"] in text, c["label"]
    # the first screen says the citizens are simulated
    assert 0 <= banner["top"] and banner["bottom"] < 900 and "Simulated citizens only" in banner["text"]
    assert n_expl == 3 and "fig-citizen-2" in ids
    pngs = sorted(p.name for p in (run_dir / "figures").glob("*.png"))
    for must in ("score_distribution.png", "score_histogram.png", "tier_shares.png", "tier_flows.png",
                 "sanctions-citizens.png", "audit-citizens.png", "disparity.png", "degree.png"):
        assert must in pngs, must
        assert (run_dir / "figures" / must).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_classroom_report_charts_the_classroom(tmp_path):
    """The report of the Stars of Xingqiao shows its own measures (duty, disputes, inflation),
    with the classroom's labels, and says why no letter explains a pupil's stars."""
    from scsim.report import load, render

    res = scsim.Simulation(scsim.load_scenario("xingqiao", population=400, ticks=6)).run().save(tmp_path / "x")
    html, _ = render(load(res))
    for label in ("pupils on Friday janitorial duty", "parents' disputes", "star inflation (given minus deserved)"):
        assert label in html, label
    assert "the xingqiao model keeps no ledgers" in html


def test_page_size_does_not_grow_with_the_population(run_dir, tmp_path):
    """Only aggregates reach the page: a run 4x larger gives (almost) the same page."""
    import plotly.offline

    from scsim.report import load, render

    big = scsim.Simulation(scsim.load_scenario("article", population=16000, ticks=8, seed=5)).run().save(tmp_path / "big")
    js = len(plotly.offline.get_plotlyjs())
    small_page = len(render(load(run_dir))[0]) - js
    big_page = len(render(load(big))[0]) - js
    # per-citizen data would scale 4x; aggregates (fixed bins, per-tick rows, degree values,
    # group rows) grow only with the number of distinct degrees, a few kB at most
    assert big_page < 1.3 * small_page and big_page < 400_000, (small_page, big_page)


def test_tier_flows_keep_exact_node_totals(run_dir):
    tr = pd.read_parquet(run_dir / "transitions.parquet")
    tiers = scsim.load_scenario("article").tier_names
    T = int(tr["tick"].max())
    nodes, flows = tier_flows(tr, tiers, [0, T // 2, T])
    for s, (a, b) in enumerate(zip(nodes[:-1], nodes[1:])):
        assert flows[s].sum(axis=1) == pytest.approx(a, abs=1e-6)  # everyone leaves a stage once
        assert flows[s].sum(axis=0) == pytest.approx(b, abs=1e-6)  # and arrives in the next exactly
    end = tr[tr["tick"] == T].groupby("to_tier")["count"].sum().reindex(tiers, fill_value=0).to_numpy()
    assert nodes[-1] == pytest.approx(end)
    assert nodes[0].sum() == 4000


def test_report_errors_are_one_line(tmp_path, capsys):
    rc = cli.main(["report", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: ") and "not a run folder" in err and err.count("\n") == 1
