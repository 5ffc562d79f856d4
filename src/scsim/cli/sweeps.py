"""Commands ``scsim sweep``, ``scsim sensitivity`` and ``scsim report``."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    """Add the sweep, sensitivity and report commands to the scsim app."""

    @app.command("sweep")
    def sweep_cmd(
        scenario: Annotated[str, typer.Argument(help="Built-in scenario name or TOML file.")],
        out_dir: Annotated[Path, typer.Option("--out", "-o", help="Sweep folder (new, or the same sweep to resume).")],
        grid: Annotated[Optional[list[str]], typer.Option("--grid", help="key=v1,v2[,...]: values of one parameter (repeatable; every combination runs).")] = None,
        sample: Annotated[Optional[tuple[str, int]], typer.Option("--sample", help="METHOD N: lhs N points, sobol N (N*(2D+2) points), or morris N trajectories (N*(D+1) points).")] = None,
        range_: Annotated[Optional[list[str]], typer.Option("--range", help="key=lo:hi: range of a sampled parameter (repeatable); integer bounds give integer values.")] = None,
        replicates: Annotated[int, typer.Option("--replicates", "-r", help="Runs per point; replicate r has the same seed at every point.")] = 1,
        workers: Annotated[Optional[int], typer.Option("--workers", "-w", help="Worker processes of a local Dask cluster (default: CPU count).")] = None,
        scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Address of an existing Dask scheduler, e.g. tcp://10.0.0.5:8786.")] = None,
        population: Annotated[Optional[int], typer.Option("--population", "-n", help="Citizens per run.")] = None,
        ticks: Annotated[Optional[int], typer.Option("--ticks", "-t", help="Ticks (weeks) per run.")] = None,
        seed: Annotated[Optional[int], typer.Option("--seed", "-s", help="Base seed (default: the scenario's).")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar; print the sweep folder only.")] = False,
    ):
        """Run a scenario over a grid or a sample of parameters on Dask; resumable."""
        from rich.console import Console

        from ..errors import ScsimError
        from ..analysis.sweep import make_plan, parse_grid, parse_ranges, plan_runs, prepare_dir, run_sweep

        if workers is not None and scheduler is not None:
            raise ScsimError("--workers and --scheduler: choose one (a local cluster, or an existing one)")
        method, n = sample if sample else (None, None)
        plan = make_plan(scenario, grid=parse_grid(grid), sample=method, n=n, ranges=parse_ranges(range_),
                         replicates=replicates, population=population, ticks=ticks, seed=seed)
        prepare_dir(out_dir, plan)  # refuses a folder holding another sweep before anything starts
        err = Console(stderr=True)
        if quiet:
            outcome = run_sweep(plan, out_dir, workers=workers, scheduler=scheduler)
        else:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            with Progress(TextColumn("[bold]sweep"), BarColumn(), TextColumn("runs {task.completed}/{task.total}"),
                          TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=False) as prog:
                task = prog.add_task("sweep", total=len(plan_runs(plan)))

                def progress(done: int, total: int) -> None:
                    prog.update(task, completed=done, total=total)

                outcome = run_sweep(plan, out_dir, workers=workers, scheduler=scheduler, progress=progress)
        if outcome.failed:
            first, msg = next(iter(outcome.failed.items()))
            raise ScsimError(f"{out_dir}: {len(outcome.failed)} of {outcome.total} runs failed (first: {first}: {msg}); "
                             "fix the cause and rerun the same command to finish them")
        if quiet:
            print(out_dir)
        else:
            print(f"{out_dir}: {outcome.total} runs of simulated citizens ({outcome.ran} run now, {outcome.skipped} already done); "
                  f"table {out_dir / 'sweep.parquet'}")

    @app.command("sensitivity")
    def sensitivity_cmd(
        sweep_dir: Annotated[Path, typer.Argument(help="Sweep folder.")],
        method: Annotated[Optional[str], typer.Option("--method", "-m", help="sobol or morris (default: the sweep's design).")] = None,
        output: Annotated[Optional[list[str]], typer.Option("--output", help="Measure to analyse (repeatable; default mean_score, sanctioned, wrongful_sanctions).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the JSON result instead of a table.")] = False,
    ):
        """Sobol or Morris sensitivity indices of a sweep's outputs (SALib); writes sensitivity.json."""
        from rich.console import Console

        from ..analysis.sensitivity import analyze, table, write

        res = analyze(sweep_dir, method, output)
        path = write(sweep_dir, res)
        if as_json:
            print(json.dumps(res, indent=2))
        else:
            Console().print(table(res))
            print(f"written {path}")

    @app.command("report")
    def report_cmd(
        run_dir: Annotated[Path, typer.Argument(help="Run folder.")],
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print the report path only.")] = False,
    ):
        """Write RUN/report.html (self-contained, offline) and PNG figures in RUN/figures/."""
        from ..report import write_report

        path = write_report(run_dir)
        print(path if quiet else f"report of simulated citizens: {path} (figures in {path.parent / 'figures'})")
