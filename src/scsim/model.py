"""The simulation: one tick of the article's system, read top to bottom in :meth:`Simulation.step`.

>>> import scsim
>>> sim = scsim.Simulation(scsim.load_scenario("article", population=5000, ticks=3, seed=1))
>>> sim.step(); sim.tick
1
>>> result = sim.run()
>>> len(result.ticks), int(result.citizens.shape[0])
(3, 5000)
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np

from . import behaviour, groups, population, sources, surveillance
from .errors import ResourceError, ScsimError
from .graph import Graph
from .heap import reuse_freed_memory
from .metrics import harms, score_summary
from .rng import blocks, stream
from .scenario import SOURCES, Scenario
from .scoring import Rulebook, combine, friends_mean, tier_of
from .tiers import SanctionState, perks_of, score_sanctions, update_blacklist

ProgressFn = Callable[[int, int], None]

# events other modules read per citizen each tick (besides those the rulebook scores)
KEPT_EVENTS = ("courts.judgement_unpaid",)


# ----------------------------------------------------------------------------------------------
# memory


def estimate_memory(sc: Scenario, n: int | None = None, mean_degree: float | None = None) -> int:
    """Estimated peak resident memory of a run in bytes, before anything is allocated.

    Per citizen: attributes, state and the results tables (~250 B), two float32 ledgers per rule,
    and the CSR graph with its generation (~30 B per unit of mean degree); plus the Python runtime,
    its libraries and the chunk buffers (~400 MB). With ``engine.reuse_memory`` (the default) the
    freed arrays stay in the heap, and the holes they leave between live arrays raise the peak
    (measured: +17% at 1M citizens, +25% at 10M): the per-citizen part counts 28% more.
    Fitted to the measured peaks of ``article`` at 1M and 10M citizens (BENCHMARKS.md,
    ``benchmarks/memory_estimate.py``).
    """
    n = sc.population if n is None else n
    d = sc.graph.mean_degree if mean_degree is None else mean_degree
    if sc.reference is not None:
        per = 100 + 30 * d
    else:
        per = 250 + 8 * len(sc.rules) + 30 * d
    if sc.engine.reuse_memory:
        per *= 1.28
    return int(400e6 + n * per)


def available_memory() -> int:
    """Memory available to this process now (bytes)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # pragma: no cover
        return 8 << 30


def check_memory(sc: Scenario, n: int | None = None) -> int:
    """Raise :class:`ResourceError` if the run would not fit; return the estimate."""
    need = estimate_memory(sc, n)
    limit = sc.engine.memory_limit_gib * 2**30 if sc.engine.memory_limit_gib else 0.9 * available_memory()
    if need > limit:
        raise ResourceError(
            f"population: {n or sc.population:,} citizens need about {need / 2**30:.1f} GiB but "
            f"{limit / 2**30:.1f} GiB is available; lower --population or the mean degree")
    return need


# ----------------------------------------------------------------------------------------------
# building the world


def build_graph(sc: Scenario, pop: population.Population) -> Graph:
    """The social graph of MODEL.md section 3 for this population."""
    from . import graph as g

    cfg = sc.graph
    rng = stream(sc.seed, 0, "graph", 0)
    # a tiny population cannot reach the configured mean degree: cap it at half the others
    d = min(cfg.mean_degree, max(1.0, (pop.n - 1) / 2))
    if cfg.kind == "dcsbm":
        return g.dcsbm(pop.block, pop.region, pop.age, d, rng, degree_sigma=cfg.degree_sigma,
                       within_region=cfg.within_region, age_homophily=cfg.age_homophily,
                       max_degree=max(cfg.max_degree, int(np.ceil(d))))
    if cfg.kind == "watts_strogatz":
        k = min(max(2, int(round(d / 2)) * 2), (pop.n - 1) // 2 * 2)
        return g.watts_strogatz(pop.n, k, cfg.rewire_p, rng)
    if cfg.kind == "barabasi_albert":
        return g.barabasi_albert(pop.n, max(1, min(int(round(d / 2)), pop.n - 1)), rng)
    if cfg.kind == "erdos_renyi":
        return g.erdos_renyi(pop.n, d, rng)
    raise ScsimError(f"graph.kind: {cfg.kind!r} cannot be generated")  # pragma: no cover


def load_edge_list(path: str) -> Graph:
    from .graph import GraphError, read_edge_list

    try:
        graph, _ids = read_edge_list(path)
    except GraphError as e:
        raise ScsimError(str(e)) from None
    return graph


def prepare_process(sc: Scenario) -> None:
    """The process-wide settings a run asks for: glibc keeps freed arrays (``engine.reuse_memory``),
    the compiled kernels are loaded now rather than in the first tick, and they run in
    ``engine.threads`` threads."""
    if sc.engine.reuse_memory:
        reuse_freed_memory()
    from .kernels import use_threads, warm_up

    warm_up()
    use_threads(sc.engine.threads)


class BlockPool:
    """Maps work on blocks of citizens over a pool of ``engine.threads`` threads (0: one per
    core; results in order). NumPy releases the GIL in its array loops and random draws; each
    block has its own random streams, so the thread count never changes a number."""

    def _map(self, fn, items):
        """``map`` over the pool (inline with one thread or one item)."""
        if self._threads() <= 1 or len(items) <= 1:
            return [fn(x) for x in items]
        if getattr(self, "_pool", None) is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self._threads(), thread_name_prefix="scsim")
        return list(self._pool.map(fn, items))

    def _threads(self) -> int:
        import os

        return self.scenario.engine.threads or min(os.cpu_count() or 1, 8)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_pool", None)  # threads are not part of the state (checkpoints)
        return state


class Simulation(BlockPool):
    """A run of a scenario: the world (citizens, graph, units) and its state, tick by tick.

    Mesa users will recognise the shape: build with a scenario, call :meth:`step` or :meth:`run`,
    read the collected data from the returned :class:`~scsim.results.Result`.

    Parameters
    ----------
    scenario : Scenario
        From :func:`scsim.load_scenario`.
    graph : Graph, optional
        A ready-made graph (its node count overrides ``scenario.population``).
    """

    def __new__(cls, scenario: Scenario | None = None, graph: Graph | None = None):
        if cls is Simulation and scenario is not None and scenario.groups.xingqiao is not None:
            from .xingqiao import XingqiaoSimulation

            return XingqiaoSimulation(scenario, graph)
        if cls is Simulation and scenario is not None and scenario.reference is not None:
            from .reference import ReferenceSimulation

            if graph is None and scenario.graph.kind == "edgelist":
                graph = load_edge_list(scenario.graph.path)
            return ReferenceSimulation(scenario, graph)
        return super().__new__(cls)

    def __init__(self, scenario: Scenario, graph: Graph | None = None):
        t0 = time.perf_counter()
        sc = scenario
        if graph is None and sc.graph.kind == "edgelist":
            graph = load_edge_list(sc.graph.path)
        if graph is not None and graph.n != sc.population:
            sc = sc.model_copy(update={"population": graph.n})
        check_memory(sc)
        prepare_process(sc)
        self.scenario = sc
        self.n = n = sc.population
        self.seed = sc.seed
        self.tick = 0
        self.pop = population.generate(n, sc.population_params, sc.seed)
        self.pop.unit, self.pop.supervisor = groups.assign_units(self.pop, sc.units.size, sc.seed)
        self.graph = graph if graph is not None else build_graph(sc, self.pop)
        self.deg = self.graph.degree.astype(np.float32)
        self._adj = None
        self.tier_names = sc.tier_names
        self.tier_mins = np.array([t.min for t in sc.tiers], np.float32)
        self.rules = Rulebook(sc)
        R = len(self.rules)
        self.ledger_behaviour = np.zeros((R, n), np.float32)
        self.ledger_error = np.zeros((R, n), np.float32)
        base = float(np.clip(sc.score.base, sc.score.min, sc.score.max))
        self.score = np.full(n, base, np.float32)
        self.prev_score = self.score.copy()
        self.own = self.score.copy()
        self.own_error = np.zeros(n, np.float32)
        self.raw = self.score.copy()
        self.friends_mean = self.score.copy()
        self.tier = tier_of(self.score, self.tier_mins)
        self.sanctions = SanctionState.empty(n)
        self.income_eff = self.pop.income.copy()
        self.dissent = self.pop.traits["dissent"].copy()
        self.censor = np.zeros(n, np.float32)
        self.purchase_boost = np.zeros(n, np.float32)
        self.rating_bias = np.zeros(n, np.float32)
        self.coverage = {s: sources.coverage(self.pop, s) for s in SOURCES}
        self._coverage_f = {s: c.astype(np.float32) for s, c in self.coverage.items()}
        self.active_sources = [s for s in SOURCES if sc.source(s).enabled]
        # events the system records per citizen (scored or read by another module; these may be
        # misattributed), and the counts needed per citizen to derive them
        self.recorded = set(self.rules.events) | set(KEPT_EVENTS)
        self.needed = self.recorded | {x for ev in self.recorded for x in sources.DERIVED.get(ev, ())}
        order = np.argsort(self.pop.region, kind="stable")
        self._region_members = order.astype(np.int64)
        counts = np.bincount(self.pop.region, minlength=len(self.pop.region_names))
        self._region_start = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
        self._region_size = counts.astype(np.int64)
        self.kept: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.events: dict[str, int] = {}
        self.event_totals: dict[str, int] = {}
        self.score_graph = self.graph  # the graph the friends' term of the last tick used
        self.error_events: dict[str, int] = {}
        # data collection
        self.rows: list[dict] = []
        k = min(sc.engine.panel_size, n)
        self.panel_ids = np.sort(stream(sc.seed, 0, "panel", 0).choice(n, k, replace=False)) if k else np.zeros(0, np.int64)
        self.panel: list[dict[str, np.ndarray]] = []
        self.transitions: list[np.ndarray] = []   # per tick, (from_tier, to_tier) counts
        self.bottom_at_start = np.zeros(n, bool)  # lowest tier after tick 1 (poverty trap)
        self.build_s = time.perf_counter() - t0
        self.ticks_s = 0.0

    # ------------------------------------------------------------------------------------------
    @property
    def adj(self):
        """The graph as a float32 SciPy CSR matrix (built on first use)."""
        if self._adj is None:
            self._adj = self.graph.to_scipy()
        return self._adj

    def set_graph(self, graph: Graph) -> None:
        """Replace the social graph (behaviour modules rewire it during a run)."""
        self.graph = graph
        self.deg = graph.degree.astype(np.float32)
        self._adj = None

    # ------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one tick (one week)."""
        t0 = time.perf_counter()
        sc = self.scenario
        t = self.tick + 1
        row: dict = {}
        # 0. citizens respond to the scores the last tick left them with (sections 7-9):
        #    ostracism, rebuke, self-censorship, gaming, appeals; units and supervisors;
        #    pattern of life. Each returns the columns it adds to this tick's row.
        row.update(behaviour.step(self, t))
        row.update(groups.step(self, t))
        row.update(surveillance.step(self, t))
        # 1. data sources -> 2a. ledgers, chunk by chunk
        self._observe_and_record(t)
        # 2b. score: own score from the ledger, friends' term from last tick's scores, clip
        own, own_err = self.rules.own(self.ledger_behaviour, self.ledger_error)
        m = friends_mean(self.adj, self.deg, self.score, own)
        self.score_graph = self.graph
        capped = self.rules.capped(self.ledger_behaviour, self.ledger_error)
        alpha = sc.network.alpha
        score, raw = combine(own, m, alpha, sc.score.min, sc.score.max, capped, sc.score.grade_cap)
        self.prev_score, self.score, self.raw = self.score, score, raw
        self.own, self.own_error, self.friends_mean = own, own_err, m
        prev_tier, self.tier = self.tier, tier_of(score, self.tier_mins)
        # 3. tiers and sanctions
        st = self.sanctions
        st.slow_internet, st.job_restricted, loan_by_score = score_sanctions(sc, score)
        ub, ue = self.kept.get("courts.judgement_unpaid", (np.zeros(self.n, np.int32),) * 2)
        update_blacklist(sc, st, t, ub, ue, self.income_eff / self.pop.income_median,
                         stream(self.seed, t, "blacklist", 0), stream(self.seed, t, "blacklist", 1))
        st.loan_denied = loan_by_score | st.blacklisted
        # 4. feedback of sanctions on next tick's behaviour
        cut = sc.sanctions.income_cut
        self.income_eff = (self.pop.income * (1 - cut * st.job_restricted)).astype(np.float32)
        self.tick = t
        # 5. measure (the behaviour measures of this tick: posts written, network structure)
        row.update(behaviour.measure(self, t))
        self._collect(capped, prev_tier, row)
        self.ticks_s += time.perf_counter() - t0

    def _observe_and_record(self, t: int) -> None:
        """Draw every source's events for tick ``t`` and post them to the ledgers.

        Blocks of citizens are drawn in parallel threads (NumPy releases the GIL in its array
        loops); each block has its own random streams and results are posted in block order, so
        the thread count never changes a number.
        """
        sc = self.scenario
        n = self.n
        chunk = sc.engine.chunk_size
        self.events = {s: 0 for s in SOURCES}
        self.error_events = {s: 0 for s in SOURCES}
        self.event_totals = {}  # "source.event" (and "source.event:error") -> count this tick
        incoming: dict[str, list[np.ndarray]] = {}
        self.kept = {e: (np.zeros(n, np.int32), np.zeros(n, np.int32)) for e in KEPT_EVENTS}
        for c0 in range(0, n, chunk):
            c1 = min(c0 + chunk, n)
            beh_c: dict[str, np.ndarray] = {}
            err_c: dict[str, np.ndarray] = {}
            jobs = list(blocks(n, c0, c1))
            draws = self._map(lambda job: self._draw_block(t, *job), jobs)
            for (b, lo, hi), per_source in zip(jobs, draws):
                for src, d in per_source:
                    self._post(src, d, lo - c0, hi - c0, c1 - c0, beh_c, err_c, incoming)
            self.rules.update_block(self.ledger_behaviour, self.ledger_error, beh_c, err_c, c0, c1)
            for e in KEPT_EVENTS:
                if e in beh_c:
                    self.kept[e][0][c0:c1] = beh_c[e]
                if e in err_c:
                    self.kept[e][1][c0:c1] = err_c[e]
        for ev, parts in incoming.items():
            tgt = np.concatenate(parts)
            self.rules.add_errors(self.ledger_error, ev, tgt)
            if ev in self.kept:
                self.kept[ev][1][:] += np.bincount(tgt, minlength=n).astype(np.int32)
        self.rules.apply_caps(self.ledger_behaviour, self.ledger_error)

    def _draw_block(self, t: int, b: int, lo: int, hi: int) -> list:
        """Every active source's draws for citizens ``lo:hi`` (block ``b``) at tick ``t``."""
        view = sources.BlockView(
            self.pop, lo, hi, self.income_eff, self.sanctions.blacklisted, self.sanctions.slow_internet,
            self.sanctions.loan_denied, self.dissent, self.censor, self.purchase_boost, self.rating_bias,
            self.scenario.sanctions.trip_cut, self.scenario.sanctions.internet_cut,
            self.scenario.sanctions.loan_default_boost)
        return [(src, self._draw_source(src, t, b, view)) for src in self.active_sources]

    def _draw_source(self, src: str, t: int, b: int, view: sources.BlockView) -> dict:
        """One source, one block: rates -> counts -> derived events -> errors.

        Returns the block's behaviour counts, error counts, misattributed events (by global
        target), totals per event, and the source's event and error counts.
        """
        cfg = self.scenario.source(src)
        rng = stream(self.seed, t, src, b)
        lo, hi = view.lo, view.hi
        cov = self._coverage_f[src][lo:hi]
        rates = sources.RATES[src](view, cfg)
        counts: dict[str, np.ndarray] = {}
        totals: dict[str, int] = {}
        total = 0
        for ev, lam in rates.items():
            key = f"{src}.{ev}"
            lam = lam * cov
            if key in self.needed:
                counts[ev] = sources.poisson(rng, lam)
                k = int(counts[ev].sum())
            else:
                k = int(rng.poisson(float(lam.sum(dtype=np.float64))))
            if key not in sources.UNSEEN:
                total += k
            totals[key] = k
        errors = 0
        local_err: dict[str, np.ndarray] = {}
        for ev, (nb, ne) in sources.derive(src, cfg, counts, rng).items():
            if f"{src}.{ev}" in self.needed:
                counts[ev] = nb
                local_err[ev] = ne
                total += int(nb.sum())
                errors += int(ne.sum())
                totals[f"{src}.{ev}"] = int(nb.sum())
                totals[f"{src}.{ev}:error"] = int(ne.sum())
        # misattribution: a share of each recorded event lands on another citizen of the region
        incoming: dict[str, np.ndarray] = {}
        for ev in list(counts):
            key = f"{src}.{ev}"
            if key not in self.recorded:
                continue
            kept, owner = sources.misattribute(rng, counts[ev], cfg.misattribution)
            if owner.size:
                counts[ev] = kept
                reg = self.pop.region[lo + owner]
                pick = (rng.random(owner.size) * self._region_size[reg]).astype(np.int64)
                incoming[key] = self._region_members[self._region_start[reg] + pick]
                errors += int(owner.size)
        # false flags: spurious events per covered citizen
        for ev, r in cfg.false_flags.items():
            ff = sources.poisson(rng, cov * np.float32(r))
            local_err[ev] = local_err.get(ev, 0) + ff
            errors += int(ff.sum())
        return {"counts": counts, "errors": local_err, "incoming": incoming, "totals": totals,
                "total": total, "error_count": errors}

    def _post(self, src: str, d: dict, a: int, z: int, size: int, beh: dict, err: dict, incoming: dict) -> None:
        """Post one source's block draws into the chunk's buffers (behaviour and error apart)."""
        for buf, part in ((beh, d["counts"]), (err, d["errors"])):
            for ev, c in part.items():
                key = f"{src}.{ev}"
                if key in self.needed:
                    if key not in buf:
                        buf[key] = np.zeros(size, np.int32)
                    buf[key][a:z] = c
        for key, tgt in d["incoming"].items():
            incoming.setdefault(key, []).append(tgt)
        for key, k in d["totals"].items():
            self.event_totals[key] = self.event_totals.get(key, 0) + k
        self.events[src] += d["total"]
        self.error_events[src] += d["error_count"]

    # ------------------------------------------------------------------------------------------
    def _collect(self, capped: np.ndarray, prev_tier: np.ndarray, extra: dict) -> None:
        sc = self.scenario
        st = self.sanctions
        s = self.score
        row: dict = {"tick": self.tick}
        row.update(score_summary(s, sc.score.min, sc.score.max))
        # tier transitions this tick (from the tier after tick t-1 to the tier after tick t)
        k = len(self.tier_names)
        self.transitions.append(np.bincount(prev_tier.astype(np.int64) * k + self.tier, minlength=k * k).reshape(k, k))
        if self.tick == 1:
            self.bottom_at_start = self.tier == 0
        shares = np.bincount(self.tier, minlength=len(self.tier_names)) / self.n
        for name, v in zip(self.tier_names, shares):
            row[f"share_{name}"] = float(v)
        sanctioned = st.sanctioned
        row["sanctioned"] = int(sanctioned.sum())
        row["blacklisted"] = int(st.blacklisted.sum())
        row["slow_internet"] = int(st.slow_internet.sum())
        row["job_restricted"] = int(st.job_restricted.sum())
        row["loan_denied"] = int(st.loan_denied.sum())
        row.update(harms(self, capped))
        for src in SOURCES:
            row[f"events_{src}"] = int(self.events.get(src, 0))
        row["error_events"] = int(sum(self.error_events.values()))
        row.update(extra)
        self.rows.append(row)
        if self.panel_ids.size:
            p = self.panel_ids
            self.panel.append({"tick": np.full(p.size, self.tick, np.int32), "id": p.astype(np.int64),
                               "score": s[p], "own_score": self.own[p], "tier": self.tier[p],
                               "blacklisted": st.blacklisted[p], "sanctioned": sanctioned[p]})

    # ------------------------------------------------------------------------------------------
    def run(self, progress: ProgressFn | None = None, checkpoint_dir: str | Path | None = None):
        """Run the remaining ticks and return a :class:`~scsim.results.Result`.

        With ``checkpoint_dir``, the state is saved there every ``engine.checkpoint_every`` ticks
        (see :meth:`save_checkpoint`; ``scsim resume`` continues from it).
        """
        from .results import Result

        total = self.scenario.ticks
        every = self.scenario.engine.checkpoint_every
        while self.tick < total:
            self.step()
            if checkpoint_dir is not None and every and self.tick % every == 0 and self.tick < total:
                t0 = time.perf_counter()
                self.save_checkpoint(checkpoint_dir)
                self.checkpoint_s = getattr(self, "checkpoint_s", 0.0) + time.perf_counter() - t0
            if progress is not None:
                progress(self.tick, total)
        return Result.from_simulation(self)

    # ------------------------------------------------------------------------------------------
    CHECKPOINT = "checkpoint.pkl"

    def save_checkpoint(self, folder: str | Path) -> Path:
        """Write the whole state (atomically) to ``folder/checkpoint.pkl``.

        Random streams are derived from (seed, tick, source, block), never carried, so a run
        resumed from a checkpoint ends bit-identical to an uninterrupted one.
        """
        import pickle

        from .store import _atomic

        path = Path(folder) / self.CHECKPOINT

        def write(tmp):
            with open(tmp, "wb") as f:
                pickle.dump(self, f, protocol=5)
        _atomic(path, write)
        return path

    @staticmethod
    def load_checkpoint(folder: str | Path) -> "Simulation":
        """Read a simulation back from ``folder/checkpoint.pkl``."""
        import pickle

        path = Path(folder) / Simulation.CHECKPOINT
        try:
            with open(path, "rb") as f:
                sim = pickle.load(f)
        except FileNotFoundError:
            raise ScsimError(f"{folder}: no checkpoint to resume from ({Simulation.CHECKPOINT} missing)") from None
        except Exception as e:  # truncated or foreign file
            raise ScsimError(f"{path}: unreadable checkpoint: {e.__class__.__name__}: {e}") from None
        if not hasattr(sim, "step") or not hasattr(sim, "scenario"):
            raise ScsimError(f"{path}: not an scsim checkpoint")
        return sim

    def perks(self) -> np.ndarray:
        return perks_of(self.scenario, self.score)
