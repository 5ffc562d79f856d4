"""Commands ``scsim explain`` and ``scsim compare``.

Both print plain text by default and JSON with ``--json``. User errors (no such run, unknown
citizen, runs of different worlds) are one line on stderr and exit status 2.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import ScsimError


def explain_cmd(
    run_dir: Annotated[Path, typer.Argument(help="Run folder.")],
    citizen: Annotated[Optional[str], typer.Option("--citizen", "-c", help="Citizen id (0 to population - 1).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON.")] = False,
):
    """Explain one simulated citizen's score exactly: terms, friends, perks and sanctions."""
    from ..analysis.explain import explain, explain_text, parse_citizen_id
    from ..store import read_manifest

    if citizen is None:
        raise ScsimError("--citizen: missing; give the id of the simulated citizen to explain, e.g. --citizen 17")
    n = int(read_manifest(run_dir).get("population") or 0)
    cid = parse_citizen_id(citizen, n)
    d = explain(run_dir, cid)
    if as_json:
        print(json.dumps(d, allow_nan=False))
    else:
        print(explain_text(d))


def compare_cmd(
    run_a: Annotated[Path, typer.Argument(help="Run folder A, or a replicate set A (scsim run --replicates R).")],
    run_b: Annotated[Optional[Path], typer.Argument(help="Run folder or replicate set B (differences are A - B); "
                                                    "omitted when A is the folder of scsim run --replicates R --with-control.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    all_measures: Annotated[bool, typer.Option("--all", help="List identical measures in the table too.")] = False,
):
    """Compare two runs of the same world and seed (counterfactual twins), measure by measure.

    Two replicate sets with the same seeds are compared seed by seed: the mean paired difference
    of each measure, its 95% interval and whether it is within noise. One run each has no interval."""
    from ..analysis.compare import compare, compare_text
    from ..analysis.replicates import read_plan

    plan_a = read_plan(run_a) if run_a.is_dir() else None
    if plan_a is not None and plan_a.get("kind") == "replicate-pair":
        a, b = plan_a["sets"]
        if run_b is not None:
            raise ScsimError(f"compare: {run_a} holds two replicate sets ({a}, {b}); give it alone (scsim compare {run_a}) "
                             f"or give two sets (scsim compare {run_a / a} {run_a / b})")
        run_a, run_b = run_a / a, run_a / b
    elif run_b is None:
        raise ScsimError(f"compare: B: missing; give two run folders (or two replicate sets) of the same world, "
                         f"e.g. scsim compare pair/article pair/article-control")
    c = compare(run_a, run_b)
    if as_json:
        print(json.dumps(c, allow_nan=False))
    else:
        print(compare_text(c, all_measures=all_measures))


def register(app: typer.Typer) -> None:
    """Add ``explain`` and ``compare`` to the ``scsim`` command line."""
    app.command("explain")(explain_cmd)
    app.command("compare")(compare_cmd)
