"""How close is ``scsim run --dry-run``'s memory estimate to the measured peak?

Runs ``scsim run SCENARIO -n N -t T`` in a child process for each size, reads the child's peak
resident memory (``getrusage(RUSAGE_CHILDREN)``, one child at a time), and prints it beside
:func:`scsim.estimate_memory`. Issue 5's target: within 15% at 1M and 10M citizens.

    python benchmarks/memory_estimate.py --sizes 1000000 --ticks 52
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time

import scsim


def measure(scenario: str, n: int, ticks: int) -> tuple[float, float]:
    """Peak RSS (bytes) and wall time of one run in a fresh child process."""
    with tempfile.TemporaryDirectory() as d:
        code = ("import resource, sys; from scsim.cli import main; rc = main(sys.argv[1:]); "
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024); sys.exit(rc)")
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", code, "run", scenario, "-n", str(n), "-t", str(ticks), "-q",
                            "--out", f"{d}/run"], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise SystemExit(p.stderr)
        return float(p.stdout.strip().splitlines()[-1]), wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="article")
    ap.add_argument("--sizes", default="1000000")
    ap.add_argument("--ticks", type=int, default=52)
    a = ap.parse_args()
    print(f"{'citizens':>12} {'estimate GiB':>13} {'peak GiB':>9} {'error':>7} {'wall s':>8}")
    for n in (int(x) for x in a.sizes.split(",")):
        est = scsim.estimate_memory(scsim.load_scenario(a.scenario, population=n, ticks=a.ticks))
        peak, wall = measure(a.scenario, n, a.ticks)
        print(f"{n:>12,} {est / 2**30:>13.2f} {peak / 2**30:>9.2f} {100 * (est - peak) / peak:>6.1f}% {wall:>8.1f}")


if __name__ == "__main__":
    main()
