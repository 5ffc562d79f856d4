"""The social graph (MODEL.md section 3): who knows whom, and how the graph is measured.

The ``graph`` module builds the graph when a run starts (a degree-corrected stochastic block
model over the citizens' regions, urban/rural and ages by default; Watts-Strogatz,
Barabasi-Albert, Erdos-Renyi; or an imported edge list) and hands it to the
:class:`~scsim.engine.exchange.Exchange`, through which every later change (ties cut and formed)
goes. Each tick it measures the network (MODEL.md section 10): the mean degree every tick; the
score assortativity and the largest component's share every ``measure_every`` ticks (on the
first and the last tick too), carried in between.
"""
from __future__ import annotations

from typing import Literal

import numpy as np

from ..engine.config import MAX_TICKS, Config, Field, model_validator
from ..engine.module import Module
from ..errors import ScsimError


class GraphConfig(Config):
    """How the social graph is made (MODEL.md section 3)."""

    kind: Literal["dcsbm", "watts_strogatz", "barabasi_albert", "erdos_renyi", "edgelist"]
    mean_degree: float = Field(ge=1, le=5000, description="mean number of friends (at least 1: a sparser graph may draw no tie at all)")
    degree_sigma: float = Field(1.0, ge=0, le=3, description="log-normal spread of degrees (dcsbm)")
    within_region: float = Field(0.85, ge=0, le=1, description="share of ties inside the region (dcsbm)")
    age_homophily: float = Field(0.5, ge=0, le=1, description="share of within-region ties drawn near in age (dcsbm)")
    max_degree: int = Field(5000, ge=1, le=2**31 - 1, description="no citizen has more friends than this")
    rewire_p: float = Field(0.1, ge=0, le=1, description="Watts-Strogatz rewiring probability")
    path: str | None = Field(None, description="edge list for kind = 'edgelist'")
    measure_every: int = Field(13, ge=1, le=MAX_TICKS, description="ticks between the network measures (assortativity, components); carried in between")

    @model_validator(mode="after")
    def _check(self):
        if self.kind == "edgelist" and not self.path:
            raise ValueError("kind = 'edgelist' needs path")
        return self


def load_edge_list(path: str):
    """The graph of a SNAP-style edge list for a run, or a one-line :class:`ScsimError` naming the file.

    On top of :func:`scsim.graph.read_edge_list`'s checks (a regular file, the line format, int64
    ids, at most ``MAX_EDGE_LIST_BYTES``): reading must fit in the memory available now (about
    ``READ_MEMORY_FACTOR`` times the file), and the node count, which becomes the population,
    must lie within the bounds of ``ScenarioBase.population`` (at least 10 citizens).
    """
    import os

    from ..engine.config import ScenarioBase
    from ..engine.memory import available_memory
    from ..graph import GraphError, read_edge_list
    from ..graph.io import READ_MEMORY_FACTOR, _display_name

    name = _display_name(path)
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        st = None  # read_edge_list says why
    if st is not None and st.st_size:
        need, avail = READ_MEMORY_FACTOR * st.st_size, int(0.9 * available_memory())
        if need > avail:
            raise ScsimError(f"{name}: reading this {st.st_size / 2**30:.1f} GiB edge list needs about "
                             f"{need / 2**30:.1f} GiB of memory but {avail / 2**30:.1f} GiB is available; "
                             f"sample the graph or free memory")
    try:
        graph, _ids = read_edge_list(path)
    except GraphError as e:
        raise ScsimError(str(e)) from None
    lo, hi = 10, 2**32 - 1
    for bound in ScenarioBase.model_fields["population"].metadata:
        lo = getattr(bound, "ge", lo)
        hi = getattr(bound, "le", hi)
    if graph.n < lo:
        raise ScsimError(f"{name}: the graph has {graph.n} nodes; a run needs at least {lo} (the smallest "
                         f"population; each distinct node id is a citizen)")
    if graph.n > hi:
        raise ScsimError(f"{name}: the graph has {graph.n:,} nodes; a run has at most {hi:,} (the largest "
                         f"population; each distinct node id is a citizen)")
    return graph


def generate(cfg: GraphConfig, people, n: int, rng: np.random.Generator):
    """The graph of ``cfg`` for ``n`` citizens (``people``: the demography, for dcsbm)."""
    from .. import graph as g

    # a tiny population cannot reach the configured mean degree: cap it at half the others
    d = min(cfg.mean_degree, max(1.0, (n - 1) / 2))
    if cfg.kind == "dcsbm":
        return g.dcsbm(people.block, people.region, people.age, d, rng, degree_sigma=cfg.degree_sigma,
                       within_region=cfg.within_region, age_homophily=cfg.age_homophily,
                       max_degree=max(cfg.max_degree, int(np.ceil(d))))
    if cfg.kind == "watts_strogatz":
        k = min(max(2, int(round(d / 2)) * 2), (n - 1) // 2 * 2)
        return g.watts_strogatz(n, k, cfg.rewire_p, rng)
    if cfg.kind == "barabasi_albert":
        return g.barabasi_albert(n, max(1, min(int(round(d / 2)), n - 1)), rng)
    if cfg.kind == "erdos_renyi":
        return g.erdos_renyi(n, d, rng)
    raise ScsimError(f"graph.kind: {cfg.kind!r} cannot be generated")  # pragma: no cover


class SocialGraph(Module):
    """Builds the social graph and measures it. ``measures=False`` (the reference model) keeps
    it to building."""

    name = "graph"
    label = "social graph"
    Config = GraphConfig

    def __init__(self, config=None, *, measures: bool = True, **kw):
        self.measures = measures
        super().__init__(config, **kw)

    def declare(self) -> None:
        self.stream()
        if self.measures:
            e = self.config.measure_every
            self.column("mean_degree", "mean number of friends", "friends per citizen")
            self.column("score_assortativity", "score assortativity", "correlation of scores across ties",
                        "Pearson correlation of the two ends' scores over every tie", every=e,
                        undefined="when every score is the same or there is no tie")
            self.column("largest_component_share", "largest connected component", "share of citizens", every=e)

    def init(self, sim) -> None:
        self.cache = {"score_assortativity": float("nan"), "largest_component_share": float("nan")}
        self.lcc_version = -1
        if sim.exchange.graph is not None or sim.resuming:
            return  # a graph was given, or the checkpoint holds it
        sim.exchange.set_graph(generate(self.config, sim.people, sim.n, self.rng.generator(0, "graph")))

    def measure(self, sim, t: int) -> dict:
        if not self.measures:
            return {}
        from ..graph import giant_component_share, weighted_assortativity

        ex = sim.exchange
        row = {"mean_degree": float(ex.degree.mean(dtype=np.float64)) if sim.n else 0.0}
        if t == 1 or t % self.config.measure_every == 0 or t == sim.scenario.ticks:
            self.cache["score_assortativity"] = weighted_assortativity(ex.adj, ex.degree, sim.scoring.score)
            if ex.version != self.lcc_version:
                self.cache["largest_component_share"] = giant_component_share(ex.graph, ex.adj)
                self.lcc_version = ex.version
        row.update(self.cache)
        return row

    def get_state(self) -> dict:
        return {"cache": self.cache}

    def set_state(self, state: dict) -> None:
        self.cache = {k: (float("nan") if v is None else v) for k, v in state.get("cache", self.cache).items()}
        self.lcc_version = -1

    def citizen_columns(self, sim) -> dict:
        return {"degree": sim.exchange.graph.degree}

    def final_arrays(self, sim) -> dict:
        g = sim.exchange.graph
        return {"indptr": g.indptr, "indices": g.indices}
