"""The engine with glibc's default heap and with ``engine.reuse_memory`` (``scsim.engine.heap``), side by side.

Runs the `article` scenario (all citizens simulated) in a fresh child process per run, alternating
``engine.reuse_memory = false`` and ``true`` (same seed, same world; ``scsim.prepare_process``
applies the setting in the child before the world is built), and prints the tick loop's
wall and CPU seconds and the child's peak resident memory. ``--behaviour off`` turns the social
dynamics off (the baseline of ``bench_behaviour.py``).

    python benchmarks/bench_heap.py -n 1000000 -t 26 --repeat 2
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import scsim
n, t, flag, beh = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4] == "on"
sc = scsim.load_scenario("article", population=n, ticks=t, seed=42, **{"engine.reuse_memory": flag},
                         **{f"{s}.enabled": beh for s in ("behaviour", "groups", "surveillance")})
scsim.prepare_process(sc)
sim = scsim.Simulation(sc)
t0, c0 = time.perf_counter(), time.process_time()
while sim.tick < t:
    sim.step()
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                  "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))
"""


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--population", type=int, default=1_000_000)
    ap.add_argument("-t", "--ticks", type=int, default=26)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--behaviour", choices=("on", "off"), default="on")
    a = ap.parse_args(argv)
    best: dict[str, dict] = {}
    for _ in range(a.repeat):
        for flag in ("0", "1"):
            r = json.loads(subprocess.run([sys.executable, "-c", CHILD, str(a.population), str(a.ticks), flag, a.behaviour],
                                          check=True, capture_output=True, text=True).stdout)
            key = "reuse_memory=" + ("true" if flag == "1" else "false")
            print(f"{key:20s} ticks {r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s CPU, peak {r['peak_gib']:.2f} GiB", flush=True)
            if key not in best or r["wall_s"] < best[key]["wall_s"]:
                best[key] = r
    off, on = best["reuse_memory=false"], best["reuse_memory=true"]
    print(f"best of {a.repeat}: {a.population:,} citizens x {a.ticks} ticks, behaviours {a.behaviour}: "
          f"reuse_memory speeds the ticks up {off['wall_s'] / on['wall_s']:.2f}x wall "
          f"({off['cpu_s'] / on['cpu_s']:.2f}x CPU); peak {off['peak_gib']:.2f} -> {on['peak_gib']:.2f} GiB")
    return best


if __name__ == "__main__":
    main()
