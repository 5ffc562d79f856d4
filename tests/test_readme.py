"""README.md and docs/*.md work from a fresh clone: their links and repository paths resolve inside
the repository, and their command blocks run as written.

Command blocks are ```console blocks (a line starting with ``$ `` is a command, continued on the
next line after a trailing backslash; the lines up to the next ``$ `` are its output) and ```bash
blocks (every line that is not a comment is a command). A console block without ``$ `` is a
set-up command (the quick start's installs). A document's commands run in order, with bash, in
one temporary folder per document, so later commands use what earlier ones wrote (a run folder, a
sweep); each must exit 0. A command whose shown output starts with ``error:`` is a documented
refusal: it must exit 2 with that message. Whether the other output still matches is not tested
(numbers change when the model does): docs/tutorial.md is the page whose output is tested, by
rebuilding it in tests/test_tutorial.py, which also runs its commands, so they are not run here.

What is not run exactly as written, and why (``SKIP``, ``SHRINK``, ``_serve``):

- ``pip install ...`` and ``python -m pytest ...``: what CI itself runs before and around this test
  (running the suite here would run this test inside itself);
- ``scsim serve``: a server runs until stopped. It is started on a free port instead of the shown
  one (8050 may be taken on a shared machine), must answer ``/api/runs``, and is stopped when its
  document ends; later commands of the document that name the shown port get the real one;
- the benchmark scripts of docs/behaviour.md measure 200,000 to 1,000,000 citizens for minutes:
  they run with smaller ``-n``/``-t``/``--repeat`` in place of the shown ones, which checks that
  the command runs, not the figures it prints;
- a command the page already ran (after the above) is not run again: the README's quick start and
  its "What a run looks like" both show ``scsim run``, and two of the benchmark commands differ
  only in the sizes replaced.

The documents run two at a time (they are independent). Their commands take about 170 CPU seconds
in all: about a minute and a half on 2 idle cores, two and a half minutes on a busy one.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "scsim"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# built by running its commands, and its output compared, in tests/test_tutorial.py
BUILT_BY_TEST_TUTORIAL = {ROOT / "docs" / "tutorial.md", ROOT / "docs" / "tutorial.template.md"}

FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
COMMENT = re.compile(r"\s+#[^'\"]*$")  # a trailing shell comment (no quote after the '#')

# Set-up commands not run here (a regex on one '&&'-part of a line), with the reason.
SKIP = [
    (re.compile(r"^(python -m )?pip install\b"), "installs: what CI runs before the tests"),
    (re.compile(r"^python -m pytest\b"), "the test suite: what CI runs (it contains this test)"),
]
# Expensive commands, run with smaller sizes in place of the shown ones: (page name, command regex,
# options). Their figures are measurements of 200,000-1,000,000 citizens over minutes; here they
# only run.
SHRINK = [
    ("behaviour.md", re.compile(r"^python benchmarks/bench_behaviour\.py\b"), {"-n": "20000", "-t": "4", "--repeat": "1"}),
    ("behaviour.md", re.compile(r"^python benchmarks/bench_kernels\.py\b"), {"-n": "20000", "--repeat": "1"}),
    ("behaviour.md", re.compile(r"^python benchmarks/profile_hooks\.py\b"), {"-n": "20000", "-t": "4"}),
]
# Paths in backticks that a run of the tests or of scsim writes (git ignores them), not the clone.
WRITTEN_BY_TESTS = {"tests/artifacts/"}
TIMEOUT = 600
# CPU seconds of each page's commands, measured 2026-12-02 (2 cores): 59, 46, 44, 16 and 6 (about
# 170 in all, so about 90 s on 2 cores); dearest first, so that the two lanes end together.
DEAREST_FIRST = ["behaviour.md", "sweeps.md", "README.md", "audit.md", "dashboard.md"]


def _rel(p: Path) -> str:
    return str(p.relative_to(ROOT))


def _prose(text: str) -> str:
    """The page without its fenced blocks (their lines kept blank, so line numbers hold)."""
    return FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)


# --------------------------------------------------------------------------------------------
# (a) links and paths


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    h = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", h))


def _anchors(page: Path) -> set[str]:
    return {_slug(m.group(1)) for m in re.finditer(r"^#+\s+(.+)$", _prose(page.read_text(encoding="utf-8")), re.M)}


def _top_level() -> set[str]:
    ignored = {".git", "runs", "build", "dist", ".venv", "venv", ".pytest_cache", ".ruff_cache", ".hypothesis"}
    return {p.name for p in ROOT.iterdir() if p.name not in ignored and not p.name.endswith(".egg-info")}


def _exists(base: Path, path: str) -> bool:
    """``path`` under ``base``; ``<...>``, ``{...}`` and ``*`` are wildcards."""
    pattern = re.sub(r"<[^>]*>|\{[^}]*\}", "*", path).rstrip("/")
    if "*" in pattern:
        return any(base.glob(pattern))
    return (base / pattern).exists()


def _path_problem(page: Path, token: str) -> str | None:
    """Why a backticked ``token`` that names a file of the repository does not resolve, or None."""
    if re.match(r"(\.\./|shared/|/work/)", token):
        return "points outside the repository"
    first = token.split("/", 1)[0]
    if token in WRITTEN_BY_TESTS:
        return None
    if "/" in token and first in _top_level():
        path, _, test = token.partition("::")
        if not _exists(ROOT, path):
            return "no such file or folder"
        if test and not re.search(rf"^def {re.escape(test)}\(", (ROOT / path).read_text(encoding="utf-8"), re.M):
            return f"no test {test} in {path}"
    elif "/" in token and first in {p.name for p in PKG.iterdir()}:
        if not _exists(PKG, token):
            return f"no such file or folder in {_rel(PKG)}"
    elif "/" not in token and token.endswith(".md"):
        if not ((page.parent / token).exists() or (ROOT / token).exists()):
            return "no such page beside it or at the top of the repository"
    return None


def _problems(page: Path) -> list[str]:
    text = _prose(page.read_text(encoding="utf-8"))
    out = []
    for m in re.finditer(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)", text):
        target = m.group(1)
        if re.match(r"[a-z]+:", target):
            continue
        line = text.count("\n", 0, m.start()) + 1
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.is_relative_to(ROOT):
            out.append(f"{_rel(page)}:{line}: link {target} points outside the repository")
        elif not dest.exists():
            out.append(f"{_rel(page)}:{line}: link {target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            out.append(f"{_rel(page)}:{line}: link {target}: no heading #{anchor} in {_rel(dest)}")
    for m in re.finditer(r"`([^`\s]+)`", text):
        why = _path_problem(page, m.group(1))
        if why:
            out.append(f"{_rel(page)}:{text.count(chr(10), 0, m.start()) + 1}: `{m.group(1)}`: {why}")
    return out


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_links_and_paths_resolve_inside_the_repository(page):
    problems = _problems(page)
    assert not problems, "\n".join(problems)


def test_the_path_check_catches_what_a_clone_lacks():
    readme = ROOT / "README.md"
    assert _path_problem(readme, "shared/MODEL.md") == "points outside the repository"
    assert _path_problem(readme, "src/scsim/nothing.py") == "no such file or folder"
    assert _path_problem(readme, "engine/nothing.py") is not None
    assert _path_problem(readme, "tests/test_readme.py::test_nothing") is not None
    assert _path_problem(readme, "src/scsim/scenarios/article.toml") is None
    assert _path_problem(readme, "runs/<scenario>-<time>-<seed>") is None  # an output, not the repository's
    assert "the-article" in _anchors(readme)


# --------------------------------------------------------------------------------------------
# (b) command blocks


@dataclass
class Command:
    page: Path
    line: int
    text: str  # as shown, continuation lines included
    error: str | None = None  # the refusal the page shows, if it shows one

    def where(self) -> str:
        return f"{_rel(self.page)}:{self.line}"


def _script_commands(page: Path, first: int, lines: list[str]) -> tuple[list[Command], list[str]]:
    """A set-up block or a bash block: every line a command, '&&'-parts in SKIP left out."""
    cmds, skipped, i = [], [], 0
    while i < len(lines):
        start, cmd = i, lines[i]
        while cmd.endswith("\\") and i + 1 < len(lines):
            i += 1
            cmd += "\n" + lines[i]
        i += 1
        if not cmd.strip() or cmd.lstrip().startswith("#"):
            continue
        kept = []
        for part in cmd.split(" && "):
            reason = next((why for rx, why in SKIP if rx.match(COMMENT.sub("", part).strip())), None)
            (skipped if reason else kept).append(f"{part.strip()} ({reason})" if reason else part)
        if kept:
            cmds.append(Command(page, first + start, " && ".join(kept)))
    return cmds, skipped


def _console_commands(page: Path, first: int, lines: list[str]) -> list[Command]:
    cmds, i = [], 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            i += 1
            continue
        start, cmd = i, lines[i][2:]
        while cmd.endswith("\\") and i + 1 < len(lines):
            i += 1
            cmd += "\n" + lines[i]
        i += 1
        shown = []
        while i < len(lines) and not lines[i].startswith("$ "):
            shown.append(lines[i])
            i += 1
        error = shown[0] if shown and shown[0].startswith("error:") else None
        cmds.append(Command(page, first + start, cmd, error))
    return cmds


def page_commands(page: Path) -> tuple[list[Command], list[str]]:
    """The commands of a page's command blocks, in order, and the parts left out (with reasons)."""
    text = page.read_text(encoding="utf-8")
    cmds, skipped = [], []
    for m in FENCE.finditer(text):
        lang, lines = m.group(1), m.group(2).split("\n")[:-1]
        first = text.count("\n", 0, m.start()) + 2
        if lang == "console" and any(l.startswith("$ ") for l in lines):
            cmds += _console_commands(page, first, lines)
        elif lang in ("console", "bash"):
            c, s = _script_commands(page, first, lines)
            cmds += c
            skipped += s
    return cmds, skipped


RUN_PAGES = [p for p in PAGES if p not in BUILT_BY_TEST_TUTORIAL and page_commands(p)[0]]


def test_every_block_of_commands_is_one_this_file_runs():
    """A block with '$ ' lines that is not ```console would escape the runner; and the pages with
    commands are the ones expected (a page losing its blocks by a fence typo shows up here)."""
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            if m.group(1) != "console" and re.search(r"^\$ ", m.group(2), re.M):
                pytest.fail(f"{_rel(page)}:{text.count(chr(10), 0, m.start()) + 1}: a block of '$ ' commands "
                            "must be a ```console block")
    names = {p.name for p in RUN_PAGES}
    assert {"README.md", "audit.md", "behaviour.md", "sweeps.md", "dashboard.md"} <= names, names
    assert page_commands(ROOT / "README.md")[1] == [
        "python -m pip install . (installs: what CI runs before the tests)",
        "python -m pip install -e '.[test]' (installs: what CI runs before the tests)",
        "python -m pytest (the test suite: what CI runs (it contains this test))",
    ]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCSIM_")}
    return env | {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(text: str, n: int = 3000) -> str:
    return text if len(text) <= n else "..." + text[-n:]


class PageRun:
    """Runs one page's commands in order in one temporary folder; stops at the first failure."""

    def __init__(self, page: Path):
        self.page, self.work = page, Path(tempfile.mkdtemp(prefix=f"scsim-doc-{page.stem}-"))
        self.servers: list[tuple[subprocess.Popen, Path]] = []
        self.ports: dict[str, int] = {}  # shown port -> the port its server really listens on
        self.failure: str | None = None
        self.timings: list[tuple[float, str]] = []

    def _prepare(self, cmd: Command) -> tuple[str, Path]:
        text, cwd = cmd.text, self.work
        for name, rx, options in SHRINK:
            if self.page.name == name and rx.match(text):
                text = COMMENT.sub("", text)
                for opt, value in options.items():
                    text = re.sub(rf"\s{re.escape(opt)}[ =]\S+", "", text) + f" {opt} {value}"
        if text.startswith("python benchmarks/"):
            cwd = ROOT  # the benchmark scripts are run from the clone's root (BENCHMARKS.md)
        for shown, real in self.ports.items():
            text = re.sub(rf"(127\.0\.0\.1|localhost):{shown}\b", rf"\g<1>:{real}", text)
        return text, cwd

    def _serve(self, cmd: Command, text: str) -> str | None:
        text = COMMENT.sub("", text)
        m = re.search(r"\s--port[ =](\d+)", text)
        shown = m.group(1) if m else "8050"
        port = _free_port()
        text = re.sub(r"\s--port[ =]\d+", "", text) + f" --port {port}"
        log = self.work / f".serve-{port}.log"
        with open(log, "w") as f:
            proc = subprocess.Popen(["bash", "-c", f"exec {text}"], cwd=self.work, env=_env(), stdout=f,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.servers.append((proc, log))
        self.ports[shown] = port
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return f"exited with status {proc.returncode}:\n{_tail(log.read_text())}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/runs", timeout=5) as r:
                    if r.status == 200:
                        return None
            except OSError:
                time.sleep(0.3)
        return f"did not answer http://127.0.0.1:{port}/api/runs within 120 s:\n{_tail(log.read_text())}"

    def run(self) -> "PageRun":
        done = set()
        try:
            for cmd in page_commands(self.page)[0]:
                text, cwd = self._prepare(cmd)
                if (text, cwd) in done:
                    continue
                done.add((text, cwd))
                t0 = time.monotonic()
                if re.match(r"scsim serve\b", text):
                    why = self._serve(cmd, text)
                    if why:
                        self.failure = f"{cmd.where()}: {text}\n  (started on a free port) {why}"
                else:
                    p = subprocess.run(["bash", "-c", text], cwd=cwd, env=_env(), capture_output=True, text=True,
                                       timeout=TIMEOUT)
                    if cmd.error is None and p.returncode != 0:
                        self.failure = (f"{cmd.where()}: {text}\n  exit status {p.returncode}; stderr:\n"
                                        f"{_tail(p.stderr)}")
                    elif cmd.error is not None and (p.returncode != 2 or cmd.error not in p.stderr):
                        self.failure = (f"{cmd.where()}: {text}\n  the page shows the refusal {cmd.error!r}; got exit "
                                        f"status {p.returncode}, stderr:\n{_tail(p.stderr)}")
                self.timings.append((time.monotonic() - t0, f"{cmd.where()} {text[:80]}"))
                if self.failure:
                    break
        except subprocess.TimeoutExpired as e:
            self.failure = f"{_rel(self.page)}: {e.cmd[-1]}\n  ran past {TIMEOUT} s"
        finally:
            for proc, _ in self.servers:  # each in its own process group, started above
                for sig, wait in ((15, 10), (9, None)):
                    try:
                        os.killpg(proc.pid, sig)
                        proc.wait(wait)
                        break
                    except ProcessLookupError:
                        break
                    except subprocess.TimeoutExpired:
                        continue
            shutil.rmtree(self.work, ignore_errors=True)
        return self


@pytest.fixture(scope="module")
def page_runs():
    """Every page's run, started at once, two at a time (independent folders and ports), the
    dearest pages first; each test waits for its own."""
    pool = ThreadPoolExecutor(max_workers=2)
    order = sorted(RUN_PAGES, key=lambda p: DEAREST_FIRST.index(p.name) if p.name in DEAREST_FIRST else len(DEAREST_FIRST))
    yield {p: pool.submit(lambda p=p: PageRun(p).run()) for p in order}
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("page", RUN_PAGES, ids=_rel)
def test_command_blocks_run_as_written(page, page_runs):
    run = page_runs[page].result()
    for seconds, what in sorted(run.timings, reverse=True)[:5]:  # shown with pytest -s: where the time goes
        print(f"{seconds:6.1f} s  {what}")
    assert run.failure is None, run.failure
