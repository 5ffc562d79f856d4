"""Where a tick's time goes: wall time of each hook of the engine, call by call.

All citizens are simulated. Runs `article` for ``-t`` ticks at ``-n`` citizens (behaviours on
unless ``--off``) and times the sources and scoring (``_observe_and_record``), the behaviours'
mechanisms (ostracism, rebuke, censorship, gaming, appeals), the measures, the groups and the
pattern-of-life analysis, by wrapping them; prints ms per tick for each and the time of each call
of the scheduled ones (contact checks, analyses, component measures).

    python benchmarks/profile_hooks.py -n 1000000 -t 26
"""
from __future__ import annotations

import argparse
import functools
import time
from collections import defaultdict

import scsim
from scsim import behaviour, groups, model, surveillance

HOOKS = [(behaviour, "ostracism"), (behaviour, "rebuke"), (behaviour, "censorship"), (behaviour, "gaming"),
         (behaviour, "appeals"), (behaviour, "measure"), (behaviour, "giant_component_share"),
         (behaviour, "score_assortativity"), (groups, "step"), (surveillance, "analyse"),
         (model.Simulation, "_observe_and_record"), (model.Simulation, "_collect")]


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--population", type=int, default=1_000_000)
    ap.add_argument("-t", "--ticks", type=int, default=26)
    ap.add_argument("--off", action="store_true", help="behaviours, groups and surveillance off")
    a = ap.parse_args(argv)
    calls: dict[str, list[float]] = defaultdict(list)
    saved = []
    for owner, name in HOOKS:
        f = getattr(owner, name)
        label = f"{getattr(owner, '__name__', owner)}.{name}".replace("scsim.", "")

        def timed(*args, _f=f, _label=label, **kw):
            t0 = time.perf_counter()
            try:
                return _f(*args, **kw)
            finally:
                calls[_label].append(time.perf_counter() - t0)

        saved.append((owner, name, f))
        setattr(owner, name, functools.wraps(f)(timed))
    try:
        sc = scsim.load_scenario("article", population=a.population, ticks=a.ticks,
                                 **{f"{s}.enabled": not a.off for s in ("behaviour", "groups", "surveillance")})
        sim = scsim.Simulation(sc)
        t0 = time.perf_counter()
        while sim.tick < a.ticks:
            sim.step()
        total = time.perf_counter() - t0
    finally:
        for owner, name, f in saved:
            setattr(owner, name, f)
    print(f"article, {a.population:,} simulated citizens, {a.ticks} ticks, behaviours {'off' if a.off else 'on'}: "
          f"{total:.2f} s, {1e3 * total / a.ticks:.0f} ms a tick")
    print(f"  {'hook':42s} {'ms/tick':>8s} {'calls':>6s}  each call (ms) when scheduled")
    for label, ts in sorted(calls.items(), key=lambda kv: -sum(kv[1])):
        each = ", ".join(f"{1e3 * x:.0f}" for x in ts) if len(ts) < a.ticks else ""
        print(f"  {label:42s} {1e3 * sum(ts) / a.ticks:8.1f} {len(ts):6d}  {each}")
    return {"total_s": total, "calls": dict(calls)}


if __name__ == "__main__":
    main()
