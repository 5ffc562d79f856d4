"""Where a tick's time goes: wall time of each module's ``step`` and ``measure``, call by call.

All citizens are simulated. Runs `article` for ``-t`` ticks at ``-n`` citizens (behaviours,
groups and surveillance on unless ``--off``) and times every module of the run (``sim.modules``:
people, graph, ostracism, rebuke, censorship, gaming, appeals, groups, surveillance, sources,
scoring, sanctions, audit) by wrapping the bound ``step`` and ``measure`` of each module instance
(put back afterwards); prints ms per tick for each, and, for the calls that only sometimes do
their work (the contact checks of ``ostracism`` every ``behaviour.ostracism.every`` ticks, the
pattern-of-life analyses of ``surveillance`` every ``surveillance.every`` ticks, the network
measures of ``graph`` on the first tick, every ``graph.measure_every`` ticks and the last), the
time of each call that did, beside the mean of the others. ``scsim.prepare_process`` is called
before the world is built, as the command line does.

    python benchmarks/profile_hooks.py -n 1000000 -t 26

>>> out = main(["-n", "2000", "-t", "2", "--quiet"])
>>> len(out["calls"]["scoring.step"]), out["worked"]["graph.measure"]
(2, [1, 2])
"""
from __future__ import annotations

import argparse
import functools
import time
from collections import defaultdict

import scsim


def schedules(sim) -> dict:
    """For the module calls that only sometimes do their work, ``label -> (tick -> bool)``: on
    which ticks they do it (read from the modules' configurations, as their code decides)."""
    out = {}
    system = sim.scenario.system if hasattr(sim.scenario, "system") else True
    ticks = sim.scenario.ticks
    for name, m in sim.modules.items():
        cfg = getattr(m, "config", None)
        if name == "graph" and getattr(m, "measures", False):
            e = cfg.measure_every
            out["graph.measure"] = lambda t, e=e: t == 1 or t % e == 0 or t == ticks
        elif name in ("ostracism", "surveillance"):
            every = getattr(cfg, "every", None)
            on = bool(system and getattr(cfg, "enabled", False) and every)
            out[f"{name}.step"] = lambda t, on=on, every=every: on and t % every == 0
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--population", type=int, default=1_000_000)
    ap.add_argument("-t", "--ticks", type=int, default=26)
    ap.add_argument("--scenario", default="article")
    ap.add_argument("--off", action="store_true", help="behaviours, groups and surveillance off")
    ap.add_argument("--quiet", action="store_true", help="print nothing (return the figures)")
    a = ap.parse_args(argv)
    sc = scsim.load_scenario(a.scenario, population=a.population, ticks=a.ticks)
    if sc.model == "national":  # the switches exist in the national model only
        sc = scsim.load_scenario(a.scenario, population=a.population, ticks=a.ticks,
                                 **{f"{s}.enabled": not a.off for s in ("behaviour", "groups", "surveillance")})
    scsim.prepare_process(sc)
    sim = scsim.Simulation(sc)
    calls: dict[str, list[float]] = defaultdict(list)
    wrapped = []
    for name, m in sim.modules.items():
        for meth in ("step", "measure"):
            f = getattr(m, meth)  # the bound method
            label = f"{name}.{meth}"

            def timed(*args, _f=f, _label=label, **kw):
                t0 = time.perf_counter()
                try:
                    return _f(*args, **kw)
                finally:
                    calls[_label].append(time.perf_counter() - t0)

            setattr(m, meth, functools.wraps(f)(timed))  # an instance attribute shadows the class's method
            wrapped.append((m, meth))
    try:
        t0 = time.perf_counter()
        while sim.tick < a.ticks:
            sim.step()
        total = time.perf_counter() - t0
    finally:
        for m, meth in wrapped:
            m.__dict__.pop(meth, None)  # the class's method again
    restored = all(meth not in m.__dict__ for m, meth in wrapped)
    sched = schedules(sim)
    worked = {label: [t for t in range(1, a.ticks + 1) if when(t)] for label, when in sched.items()}
    out = {"total_s": total, "calls": dict(calls), "modules": list(sim.modules), "worked": worked,
           "engine_timings": {k: list(v) for k, v in sim.timings.items()}, "restored": restored}
    if a.quiet:
        return out
    beh = f", behaviours {'off' if a.off else 'on'}" if sc.model == "national" else ""
    print(f"{a.scenario}, {a.population:,} simulated citizens, {a.ticks} ticks{beh}: {total:.2f} s, "
          f"{1e3 * total / a.ticks:.1f} ms a tick")
    print(f"  {'module call':24s} {'ms/tick':>8s} {'calls':>6s}  when scheduled: ms of each call that worked (tick), "
          "mean ms of the others")
    for label, ts in sorted(calls.items(), key=lambda kv: -sum(kv[1])):
        note = ""
        if label in worked:
            on = worked[label]
            each = ", ".join(f"{1e3 * ts[t - 1]:.1f} ({t})" for t in on) or "none"
            rest = [x for t, x in enumerate(ts, 1) if t not in on]
            note = f"{each}; others {1e3 * sum(rest) / len(rest):.2f}" if rest else each
        print(f"  {label:24s} {1e3 * sum(ts) / a.ticks:8.2f} {len(ts):6d}  {note}")
    return out


if __name__ == "__main__":
    main()
