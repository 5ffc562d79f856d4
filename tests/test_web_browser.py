"""The dashboard in a real browser: Playwright driving Debian's chromium (issue 6).

Opens the analyst view, moves the tick slider, opens a comparison, goes to the citizen's-eye view,
draws a random citizen and searches one by id; checks that every figure renders (Plotly draws an
SVG), that the simulated-citizen banner shows, and that the console has no errors. Screenshots go
to tests/artifacts/ (git-ignored). Chromium missing is a failure, not a skip: CI installs it.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

import scsim
from scsim.web.server import Background, create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
ARTIFACTS = Path(__file__).parent / "artifacts"
N, T = 3000, 8
TIMEOUT = 20_000  # ms; a busy 2-core machine


RUNS: dict = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("browserruns")
    RUNS["root"] = root
    for name, seed in (("a", 21), ("b", 22)):
        scsim.Simulation(scsim.load_scenario("article", population=N, ticks=T, seed=seed)).run().save(root / name)
    with Background(create_app(root)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Console:
    """Errors the page reports: console errors, uncaught exceptions, failed requests."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: self.errors.append(f"requestfailed: {r.url}"))


def rendered(page, ids: list[str]) -> None:
    """Each figure div holds a Plotly SVG."""
    for fid in ids:
        page.wait_for_selector(f"#{fid} svg.main-svg", timeout=TIMEOUT)
        assert page.locator(f"#{fid} svg.main-svg").count() >= 1, fid


def rendered_or_empty(page, ids: list[str]) -> None:
    """Each figure div holds a Plotly SVG, or says why it is empty (a random citizen may have no
    contacts, and then has no drag chart): never a blank or broken div."""
    for fid in ids:
        page.wait_for_selector(f"#{fid} svg.main-svg, #{fid} .empty", timeout=TIMEOUT)
        if page.locator(f"#{fid} .empty").count():
            assert "no contacts" in page.locator(f"#{fid} .empty").text_content(), fid
        else:
            assert page.locator(f"#{fid} svg.main-svg").count() >= 1, fid


def title(page, fid: str) -> str:
    return page.locator(f"#{fid} .gtitle").first.text_content() or ""


def test_analyst_view(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    console = Console(page)
    page.goto(server + "/")
    assert "Simulated citizens only" in page.locator(".banner").text_content()
    figs = ["fig-hist", "fig-quantiles", "fig-shares", "fig-flows", "fig-sanctions", "fig-harm", "fig-disparity",
            "fig-degree", "fig-net", "fig-other"]
    rendered(page, figs)
    assert f"tick {T}" in title(page, "fig-hist") and "all 3,000 citizens" in title(page, "fig-hist")
    assert page.locator("#tbl-disparity tbody tr").count() >= 2
    expect(page.locator("#net-cards .card .v").nth(4)).not_to_have_text("…", timeout=TIMEOUT)  # components
    page.screenshot(path=str(ARTIFACTS / "analyst-last-tick.png"), full_page=False)

    # move the tick slider to the first tick: the histogram switches to the tracked panel
    page.focus("#tick")
    page.keyboard.press("Home")
    expect(page.locator("#fig-hist .gtitle")).to_contain_text("tick 1:", timeout=TIMEOUT)
    assert "tracked sample" in page.locator("#hist-src").text_content()
    assert "into tick 1" in title(page, "fig-flows")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#fig-hist .gtitle")).to_contain_text("tick 2:", timeout=TIMEOUT)
    assert page.locator("#tick-label").text_content() == "2"

    # two runs side by side
    page.select_option("#compare", "b")
    rendered(page, ["fig-cmp-mean", "fig-cmp-hist", "fig-cmp-tiers", "fig-cmp-sanctions"])
    assert re.search(r"compare=b", page.url)
    head = page.locator("#tbl-compare thead").text_content()
    assert "a" in head and "b" in head and page.locator("#tbl-compare tbody tr").count() > 5
    page.screenshot(path=str(ARTIFACTS / "analyst-compare.png"), full_page=True)
    assert console.errors == []
    page.close()


def test_citizen_view(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    console = Console(page)
    page.goto(server + "/?run=a")
    page.wait_for_selector("#fig-hist svg.main-svg", timeout=TIMEOUT)
    page.click("#nav-citizen")  # a random citizen of the chosen run
    page.wait_for_url(re.compile(r"/citizen/\d+\?run=a$"), timeout=TIMEOUT)
    figs = ["fig-explain", "fig-drag", "fig-graph"]
    rendered(page, figs[:1])
    rendered_or_empty(page, figs[1:])
    banner = page.locator("#simulated-banner")
    assert banner.is_visible() and "This citizen is simulated" in banner.text_content()
    first = page.url

    # random citizen button
    with page.expect_navigation(timeout=TIMEOUT):
        page.click("#random")
    rendered(page, figs[:1])
    rendered_or_empty(page, figs[1:])
    assert re.search(r"/citizen/\d+\?run=a$", page.url)

    # search by id: a citizen with contacts, shown with its score and contacts ranked by drag
    page.fill("#cid", "17")
    with page.expect_navigation(timeout=TIMEOUT):
        page.click("#search button[type=submit]")
    assert page.url.endswith("/citizen/17?run=a") and first
    rendered(page, figs)
    expect(page.locator("#score")).not_to_have_text("…", timeout=TIMEOUT)
    assert re.fullmatch(r"\d{3}\.\d", page.locator("#score").text_content())
    drags = [float(x) for x in page.locator("#tbl-contacts tbody td:nth-child(4)").all_text_contents()]
    assert drags and drags == sorted(drags)
    assert "scsim.explain" in page.locator("#expl-src").text_content() or "dashboard" in page.locator("#expl-src").text_content()
    page.screenshot(path=str(ARTIFACTS / "citizen.png"), full_page=True)

    # a bad id in the search box is refused on the page, with no request
    page.fill("#cid", "")
    page.locator("#cid").evaluate("el => { el.type = 'text'; el.value = 'abc'; }")
    page.click("#search button[type=submit]")
    assert "whole number" in page.locator("#status").text_content()
    assert console.errors == []
    page.close()


def test_citizen_without_contacts_says_so(server, browser):
    import pandas as pd

    c = pd.read_parquet(RUNS["root"] / "a" / "citizens.parquet", columns=["id", "degree"])
    lonely = c.loc[c["degree"] == 0, "id"]
    assert len(lonely), "the DCSBM leaves a few citizens without friends at this size"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    console = Console(page)
    page.goto(f"{server}/citizen/{int(lonely.iloc[0])}?run=a")
    rendered(page, ["fig-explain", "fig-graph"])
    page.wait_for_selector("#fig-drag .empty", timeout=TIMEOUT)
    assert "no contacts" in page.locator("#fig-drag .empty").text_content()
    assert console.errors == []
    page.close()
