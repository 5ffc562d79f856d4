"""The ``scsim`` command line.

Every user error (bad scenario, bad file, too large a population) ends with exit status 2 and one
line ``error: <file or field>: <what was expected>``, never a traceback. The commands live in
this package: running and resuming (here), explanations and comparisons
(:mod:`scsim.cli.analysis`), sweeps, sensitivity and reports (:mod:`scsim.cli.sweeps`) and the
dashboard (:mod:`scsim.cli.serve`).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from ..version import __version__
from ..errors import ScsimError
from . import analysis, serve, sweeps

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Simulate a social credit system on synthetic citizens and measure what it does to them.")
scenario_app = typer.Typer(no_args_is_help=True, help="Check scenario files and print their schema.")
app.add_typer(scenario_app, name="scenario")

out = Console()
err = Console(stderr=True, emoji=False)


def _version(value: bool):
    if value:
        print(f"scsim {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False):
    """scsim: every citizen it simulates is synthetic."""


def _parse_sets(sets: list[str]) -> dict[str, str]:
    out_: dict[str, str] = {}
    for s in sets or []:
        key, eq, value = s.partition("=")
        if not eq or not key.strip():
            raise ScsimError(f"--set {s!r}: expected dotted.key=value, e.g. --set network.alpha=0.2")
        out_[key.strip()] = value.strip()
    return out_


def _load(scenario: str, population, ticks, seed, graph, sets):
    from ..scenario import load_scenario

    over: dict = {}
    if population is not None:
        over["population"] = population
    if ticks is not None:
        over["ticks"] = ticks
    if seed is not None:
        over["seed"] = seed
    if graph is not None:
        over["graph"] = str(graph)
    return load_scenario(scenario, _set=_parse_sets(sets), **over)


def _summary_table(result) -> Table:
    m = result.manifest
    t = result.ticks.iloc[-1] if len(result.ticks) else {}
    n = m["population"]
    info = result.column_info()
    unit = "pupils" if m.get("model") == "xingqiao" else "citizens"
    tab = Table(title=f"{m['scenario_name']}: {n:,} simulated {unit}, {m['ticks']} ticks (weeks), seed {m['seed']}")
    tab.add_column("measure")
    tab.add_column("value", justify="right")
    if "mean_score" in t:
        tab.add_row("mean score", f"{t['mean_score']:.2f}" if m.get("model") == "xingqiao" else f"{t['mean_score']:.1f}")
    for name in m.get("tier_names", []):
        k = f"share_{name}"
        if k in t:
            tab.add_row(f"tier {name}", f"{100 * t[k]:.1f}%")
    for k in ("sanctioned", "blacklisted", "wrongful_sanctions", "wrongly_spared", "guilt_by_association",
              "protected_by_association"):
        if k in t:
            label = info.get(k, {}).get("label", k.replace("_", " ")) if k == "sanctioned" and m.get("model") == "xingqiao" \
                else k.replace("_", " ")
            tab.add_row(label, f"{int(t[k]):,} ({100 * t[k] / n:.2f}%)")
    for c in result.ticks.columns:
        if c.startswith("events_"):
            tab.add_row(f"events/week {c[7:]}", f"{int(t[c]):,}")
    for k in ("star_inflation", "disputes", "janitorial_duty_wrongful"):
        if k in t and m.get("model") == "xingqiao":
            tab.add_row(info.get(k, {}).get("label", k), f"{t[k]:.3f}" if isinstance(t[k], float) else f"{int(t[k]):,}")
    tm = m["timings"]
    rate = n * m["ticks"] / max(tm["ticks_s"], 1e-9)
    tab.add_row("time build / ticks / write", f"{tm['build_s']:.1f}s / {tm['ticks_s']:.1f}s / {tm.get('write_s', 0):.1f}s")
    tab.add_row(f"{unit[:-1]}-ticks per second", f"{rate:,.0f}")
    return tab


def _profile_table(result) -> Table:
    tm = result.manifest["timings"]
    mods = tm.get("modules", {})
    total = max(tm["ticks_s"], 1e-9)
    tab = Table(title=f"time per module over {result.manifest['ticks']} ticks ({total:.2f} s of ticks)")
    for c in ("module", "step s", "measure s", "ms per tick", "share"):
        tab.add_column(c, justify="left" if c == "module" else "right")
    T = max(result.manifest["ticks"], 1)
    for name, v in sorted(mods.items(), key=lambda kv: -(kv[1]["step_s"] + kv[1]["measure_s"])):
        s = v["step_s"] + v["measure_s"]
        tab.add_row(name, f"{v['step_s']:.3f}", f"{v['measure_s']:.3f}", f"{1e3 * s / T:.1f}", f"{100 * s / total:.1f}%")
    return tab


def _drive(sim, folder, quiet: bool, label: str):
    """Run ``sim`` to its end with a progress bar (unless quiet), checkpointing into ``folder``
    (a :class:`scsim.store.RunFolder`, whose state is recorded at each checkpoint), then write
    the results. On a failure, the folder is kept only if a checkpoint can resume it."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from ..engine.simulation import NonFiniteError

    def on_checkpoint(tick):
        folder.mark("checkpointed", checkpoint_tick=tick)

    try:
        if quiet:
            result = sim.run(checkpoint_dir=folder.path, on_checkpoint=on_checkpoint)
        else:
            with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("tick {task.completed}/{task.total}"),
                          TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=err, transient=True) as prog:
                task = prog.add_task(label, total=sim.scenario.ticks, completed=sim.tick, rate="")
                start, first = time.perf_counter(), sim.tick

                def progress(tick, total):
                    rate = sim.n * (tick - first) / max(time.perf_counter() - start, 1e-9)
                    prog.update(task, completed=tick, rate=f"{rate:,.0f} citizen-ticks/s")

                result = sim.run(progress, checkpoint_dir=folder.path, on_checkpoint=on_checkpoint)
        result.save(folder.path)
    except NonFiniteError:
        folder.abandon()  # resuming would meet the same value again
        raise
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt):
            what = "interrupted (Ctrl-C)"
        elif isinstance(e, OSError):
            what = f"{e.filename or folder.path}: {e.strerror or e}"
        else:
            what = " ".join(str(e).split())[:300] or type(e).__name__
        if folder.fail(what):
            tick = folder.status.get("checkpoint_tick")
            raise ScsimError(f"{what}; the run's checkpoint at tick {tick} is kept: `scsim resume {folder.path}` "
                             f"continues it") from None
        if isinstance(e, OSError):
            raise ScsimError(f"{what} (the run folder was removed)") from None
        raise
    return result


def _start(sc, target: Path, graph=None):
    """Create the run folder (refusing an unusable one), then build the simulation (on
    ``graph`` if one was read already); a failure while building removes the folder again."""
    from ..engine.simulation import Simulation
    from ..store import RunFolder

    folder = RunFolder.create(target, sc.resolved(), sc.ticks)
    try:
        return Simulation(sc, graph=graph), folder
    except BaseException:
        folder.abandon()
        raise


def _report(result, quiet: bool, profile: bool = False):
    if quiet:
        print(result.path)
        return
    out.print(_summary_table(result))
    if profile:
        out.print(_profile_table(result))
    out.print(f"Simulated citizens only. Results in [bold]{result.path}[/bold]")


def _uses_edge_list(sc) -> bool:
    return getattr(getattr(sc, "graph", None), "kind", None) == "edgelist"


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or TOML file.")] = "article",
    population: Annotated[Optional[int], typer.Option("--population", "-n", help="Number of citizens (not with --graph: "
                                                      "the graph's nodes are the citizens).")] = None,
    ticks: Annotated[Optional[int], typer.Option("--ticks", "-t", help="Ticks (weeks) to run.")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", "-s", help="Random seed.")] = None,
    graph: Annotated[Optional[Path], typer.Option("--graph", help="SNAP-style edge list to use as the social graph.")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override a scenario key: dotted.key=value (repeatable).")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", "-o", help="Run folder to write (must be new or empty).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary; print the run folder only.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the resolved size and memory estimate, run nothing.")] = False,
    with_control: Annotated[bool, typer.Option("--with-control", help="Also run the scenario's control twin on the same world; "
                                               "writes OUT/<scenario> and OUT/<control>.")] = False,
    checkpoint_every: Annotated[Optional[int], typer.Option("--checkpoint-every", help="Ticks between checkpoints (0: none); "
                                                             "`scsim resume RUN` continues a killed run.")] = None,
    profile: Annotated[bool, typer.Option("--profile", help="Print the time each module took (also in the manifest's timings).")] = False,
    replicates: Annotated[Optional[int], typer.Option("--replicates", "-r", help="Run R seeds (--seed, --seed + 1, ...) in parallel "
                                                      "into OUT/runs/seed-<seed> and print every measure's mean with its 95% "
                                                      "interval (OUT/summary.parquet, OUT/bands.parquet); R >= 2; resumable.")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", "-w", help="With --replicates: runs at once (worker processes of "
                                                   "a local Dask cluster; default: the CPU count, as memory allows).")] = None,
):
    """Run a scenario and write its results to a run folder.

    The folder records its state in status.json (running, checkpointed, complete, failed); a
    run killed at any moment is finished by `scsim resume RUN`, byte-identical. With
    --replicates R, the scenario runs with R seeds on a local Dask cluster and every measure
    gets a 95% interval (rerun the same command to finish an interrupted set)."""
    from ..engine.memory import available_memory, check_memory, estimate_memory
    from ..engine.process import prepare_process
    from ..scenario import check_control_twin
    from ..store import check_out_dir, check_run_name, default_run_dir

    if checkpoint_every is not None and checkpoint_every < 0:
        raise ScsimError(f"--checkpoint-every {checkpoint_every}: expected 0 (no checkpoints) or a positive number of ticks")
    if replicates is not None:
        if replicates < 2:
            raise ScsimError(f"--replicates {replicates}: an interval needs at least 2 replicates (independent seeds); "
                             "give R >= 2, e.g. --replicates 10 (or drop --replicates for one run)")
        if checkpoint_every is not None:
            raise ScsimError("--checkpoint-every: not with --replicates (each replicate is written whole; an interrupted "
                             "set is finished by running the same command again)")
        if profile:
            raise ScsimError("--profile: not with --replicates (profile one run: drop --replicates)")
        if workers is not None and workers < 1:
            raise ScsimError(f"--workers {workers}: expected a whole number >= 1")
    elif workers is not None:
        raise ScsimError("--workers: only with --replicates (one run uses the engine's threads, engine.threads)")
    if population is not None and graph is not None:
        raise ScsimError("--population: cannot be combined with --graph (the graph's nodes are the citizens)")
    sc = _load(scenario, population, ticks, seed, graph, set_)
    if population is not None and _uses_edge_list(sc):
        raise ScsimError(f"--population: {scenario} imports its graph ({sc.graph.path}), whose nodes are the citizens; "
                         f"drop --population")
    g = None
    if _uses_edge_list(sc):  # the graph's nodes are the citizens: size the run by them
        g = sc.load_graph()
        sc = sc.model_copy(update={"population": g.n})
    if dry_run:
        need = estimate_memory(sc)
        deg = f", mean degree {sc.mean_degree:g}" if sc.mean_degree else ""
        print(f"{sc.name} ({sc.model} model): {sc.population:,} citizens{deg}, {sc.ticks} ticks; "
              f"estimated peak memory {need / 2**30:.2f} GiB (available {available_memory() / 2**30:.1f} GiB)")
        check_memory(sc)
        if replicates is not None:
            from ..analysis.replicates import _workers

            runs = replicates * (2 if with_control else 1)
            w = _workers(sc, runs, workers)
            print(f"{runs} runs (seeds {sc.seed}..{sc.seed + replicates - 1}{', each with its control' if with_control else ''}), "
                  f"{w} at once: estimated peak memory {w * need / 2**30:.2f} GiB")
        return
    if checkpoint_every is not None:
        sc = sc.model_copy(update={"engine": sc.engine.model_copy(update={"checkpoint_every": checkpoint_every})})
    check_memory(sc)
    if replicates is not None and not with_control:
        _replicates(scenario, sc, replicates, out_dir, population, ticks, seed, graph, set_, False, workers, quiet)
        return
    if not with_control:
        target = check_out_dir(out_dir) if out_dir is not None else default_run_dir(sc.name, sc.seed)
        prepare_process(sc)
        sim, folder = _start(sc, target, g)
        del g
        _report(_drive(sim, folder, quiet, sc.name), quiet, profile)
        return
    if not sc.control:
        raise ScsimError(f"{scenario}: control: the scenario names no control twin; set control = \"<name>\" in the file")
    check_run_name(sc.name, scenario)
    ctl = _load(sc.control, population, ticks, seed, graph, set_)
    ctl = ctl.model_copy(update={"engine": sc.engine})
    check_control_twin(sc, ctl, scenario)
    if replicates is not None:
        _replicates(scenario, sc, replicates, out_dir, population, ticks, seed, graph, set_, True, workers, quiet)
        return
    target = check_out_dir(out_dir) if out_dir is not None else default_run_dir(sc.name, sc.seed)
    for x in (sc, ctl):
        check_out_dir(target / x.name)
    prepare_process(sc)
    results = []
    for x in (sc, ctl):
        sim, folder = _start(x, target / x.name)
        results.append(_drive(sim, folder, quiet, x.name))
    for r in results:
        _report(r, quiet, profile)
    if not quiet:
        out.print(f"Compare them: scsim compare {results[0].path} {results[1].path}")


def _interval_table(rep) -> Table:
    """The summary of a replicate set: each headline measure's mean, 95% interval, and the
    smallest and largest run with their seeds (the sd and every other measure: summary.parquet)."""
    from ..analysis.replicates import _seed_range, headline_measures

    sm = rep.summary.set_index("measure")
    m = rep.manifest
    R = len(rep.seeds)
    unit = "pupils" if m.get("model") == "xingqiao" else "citizens"
    tab = Table(title=f"{rep.scenario_name}: {rep.population:,} simulated {unit}, {rep.ticks} ticks (weeks), "
                      f"{R} replicates (seeds {_seed_range(rep.seeds)})")
    for c, j in (("measure", "left"), ("mean", "right"), ("95% interval", "right"), ("min (seed)", "right"),
                 ("max (seed)", "right")):
        tab.add_column(c, justify=j, no_wrap=c != "measure")
    below = False
    for k in headline_measures([k for k in sm.index if sm.loc[k, "headline"]]):
        r = sm.loc[k]
        f = _value_format(k)
        ci = f"[{f(r['ci_low'])}, {f(r['ci_high'])}]" if r["n"] >= 2 else "-"
        below |= bool(r["ci_low"] < 0 <= r["min"])
        tab.add_row(k.replace("_", " ") if not k.startswith("events_") else f"events/week {k[7:]}", f(r["mean"]), ci,
                    f"{f(r['min'])} ({r['seed_min']})" if r["seed_min"] >= 0 else "-",
                    f"{f(r['max'])} ({r['seed_max']})" if r["seed_max"] >= 0 else "-")
    notes = []
    if below:
        notes.append("an interval reaching below 0 (or past 100%): too rare at this size for so few runs to pin down")
    tab.caption = "; ".join(notes) or None
    return tab


def _value_format(key: str):
    from ..analysis.replicates import format_value

    return lambda v: format_value(key, v)


def _replicates(scenario, sc, R, out_dir, population, ticks, seed, graph, sets, with_control, workers, quiet):
    """``scsim run --replicates R``: a replicate set (or a pair with its control twin) on Dask."""
    from ..analysis.replicates import run_replicates
    from ..store import default_run_dir

    target = out_dir if out_dir is not None else default_run_dir(f"{sc.name}-x{R}", sc.seed)
    overrides = _parse_sets(sets)
    kwargs = dict(population=population, ticks=ticks, seed=seed, graph=graph, overrides=overrides,
                  with_control=with_control, workers=workers)
    t0 = time.perf_counter()
    if quiet:
        res = run_replicates(scenario, R, target, **kwargs)
    else:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        prog = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("runs {task.completed}/{task.total}"),
                        TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=True)
        task = prog.add_task(f"{sc.name} x {R} seeds" + (" + control" if with_control else ""),
                             total=R * (2 if with_control else 1))

        def progress(done: int, total: int) -> None:
            if not prog.live.is_started:  # shown once the folder is accepted and the runs begin
                prog.start()
            prog.update(task, completed=done, total=total)

        try:
            res = run_replicates(scenario, R, target, progress=progress, **kwargs)
        finally:
            if prog.live.is_started:
                prog.stop()
    elapsed = time.perf_counter() - t0
    sets_ = list(res) if with_control else [res]
    if quiet:
        print(target)
        return
    ran = sum(s.ran or 0 for s in sets_)
    for s in sets_:
        out.print(_interval_table(s))
    out.print(f"Mean over {R} seeds with its 95% interval (Student t, {R - 1} degrees of freedom); min and max: "
              "the runs at the two ends. Every measure, and bands per tick: summary.parquet, bands.parquet.")
    total = R * len(sets_)
    done = f" ({ran} run now, {total - ran} already done)" if ran < total else f" ({total} runs in {elapsed:.1f} s)"
    out.print(f"Simulated citizens only. Results in [bold]{target}[/bold]{done}", soft_wrap=True)
    if with_control:
        out.print(f"Compare them: scsim compare {target}", soft_wrap=True)


@app.command()
def resume(run_dir: Annotated[Path, typer.Argument(help="Run folder of a run that was interrupted.")],
           quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")] = False,
           profile: Annotated[bool, typer.Option("--profile", help="Print the time each module took.")] = False):
    """Finish an interrupted or failed run, from its last checkpoint (or from tick 0 if it had
    none); it ends byte-identical to an uninterrupted run.

    Stale temporary files and half-written results are removed first. The checkpoint is arrays
    plus JSON: it is validated (format, scenario hash, shapes, checksums) and nothing in it is
    executed."""
    from ..engine.checkpoint import CHECKPOINT
    from ..engine.config import scenario_from_dict
    from ..engine.process import prepare_process
    from ..engine.simulation import Simulation
    from .. import models  # noqa: F401  (registers the models a checkpoint's scenario may name)
    from ..store import STATUS, RunFolder, tidy_complete

    if tidy_complete(run_dir):
        print(f"{run_dir}: the run was complete (killed while tidying up); its checkpoint and temporary files "
              f"are removed")
        return
    folder = RunFolder.reopen(run_dir)
    if (run_dir / CHECKPOINT).is_file():
        sim = Simulation.resume(run_dir)
        label = f"{sim.scenario.name} (resumed at tick {sim.tick})"
    else:
        if not folder.status.get("scenario"):
            raise ScsimError(f"{run_dir / STATUS}: records no scenario to start the run again from")
        sc = scenario_from_dict(folder.status["scenario"], f"{run_dir / STATUS} (scenario)")
        sim = Simulation(sc)
        label = f"{sc.name} (started again: the run had no checkpoint)"
    folder.status.update(_me_now(), scenario=sim.scenario.resolved(), ticks=sim.scenario.ticks)
    folder.mark("checkpointed" if sim.tick else "running", checkpoint_tick=sim.tick)
    prepare_process(sim.scenario)
    _report(_drive(sim, folder, quiet, label), quiet, profile)


def _me_now() -> dict:
    from ..store import _me

    return _me()


@app.command("scenarios")
def scenarios_cmd():
    """List the built-in scenarios."""
    from ..scenario import builtin_scenarios

    tab = Table(show_header=True)
    tab.add_column("scenario")
    tab.add_column("description")
    for name, desc in builtin_scenarios().items():
        tab.add_row(name, desc)
    out.print(tab)


@scenario_app.command("check")
def scenario_check(file: Annotated[str, typer.Argument(help="Scenario TOML file (or a built-in name).")]):
    """Validate a scenario file: everything `scsim run` checks before its first tick (every
    value, the edge list it imports, the memory the run needs on this machine)."""
    from ..engine.memory import check_memory
    from ..scenario import load_scenario

    sc = load_scenario(file)
    g = sc.load_graph()
    if g is not None:
        sc = sc.model_copy(update={"population": g.n})
    check_memory(sc)
    rules = getattr(sc, "rules", None)
    extra = f", {len(rules)} rules" if rules is not None else ""
    print(f"{file}: ok ({sc.name}, {sc.model} model: {sc.population:,} citizens, {sc.ticks} ticks{extra})")


@scenario_app.command("schema")
def scenario_schema():
    """Print the JSON Schema of scenario files."""
    from ..scenario import schema_json

    print(schema_json())


@app.command("runs")
def runs_cmd(root: Annotated[Path, typer.Argument(help="A run folder or a folder of runs.")] = Path("runs"),
             plain: Annotated[bool, typer.Option("--plain", help="Tab-separated lines, whole paths, no table.")] = False):
    """List runs, complete or not, with their state (complete, interrupted, failed...)."""
    from ..store import list_runs

    rows = list_runs(root)
    cols = ("run", "state", "scenario", "population", "ticks", "seed", "created", "mean score")

    def cells(r):
        ms = r["mean_score"]
        return [r["run"], r["status"], str(r["scenario"]), f"{r['population']:,}" if r["population"] else "",
                str(r["ticks"] or ""), str(r["seed"] if r["seed"] is not None else ""), str(r["created"]),
                f"{ms:.1f}" if isinstance(ms, (int, float)) else ""]

    if plain:
        print("\t".join(cols))
        for r in rows:
            print("\t".join(cells(r)))
        return
    tab = Table()
    for c in ("run", "state", "scenario", "citizens x ticks, seed", "created", "mean score"):
        tab.add_column(c, overflow="fold")
    for r in rows:  # the run's whole path, folded onto further lines when the terminal is narrow
        c = cells(r)
        size = f"{c[3]} x {c[4]}, seed {c[5]}" if c[3] else ""
        tab.add_row(c[0], c[1], c[2], size, c[6][:16].replace("T", " "), c[7])
    out.print(tab)
    if not rows:
        print(f"no runs in {root}")


@app.command("query")
def query_cmd(run_dir: Annotated[Path, typer.Argument(help="Run folder (or sweep folder).")],
              sql: Annotated[str, typer.Argument(help="DuckDB SQL over the tables ticks, citizens, panel, ... "
                                                      "(a sweep's: sweep)")],
              as_json: Annotated[bool, typer.Option("--json", help="Print JSON records.")] = False):
    """Run DuckDB SQL over a run's tables, or a sweep's table. Read-only: no other file can be
    read or written."""
    import pandas as pd

    from ..store import query

    df = query(run_dir, sql)
    if as_json:
        print(df.to_json(orient="records"))
    else:
        with pd.option_context("display.max_rows", 200, "display.max_columns", 50, "display.width", 200):
            print(df.to_string(index=False))


analysis.register(app)
sweeps.register(app)
serve.register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning user errors into one line and exit status 2."""
    try:
        app(args=argv, standalone_mode=False)
    except ScsimError as e:
        err.print(f"error: {e}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except (typer.Exit, SystemExit) as e:
        code = getattr(e, "exit_code", getattr(e, "code", 0))
        return int(code or 0)
    except typer.Abort:
        err.print("aborted", markup=False)
        return 1
    except MemoryError:
        err.print("error: out of memory; lower --population", markup=False)
        return 2
    except OSError as e:  # a file the run needed or wrote: one line naming it
        where = e.filename or "scsim"
        err.print(f"error: {where}: {e.strerror or e}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except Exception as e:
        # usage errors from click (typer vendors its own copy): one line, exit 2
        if hasattr(e, "format_message") and hasattr(e, "exit_code"):
            msg = " ".join(str(e.format_message()).split())
            err.print(f"error: {msg}", markup=False, highlight=False, soft_wrap=True)
            return 2
        raise
    return 0
