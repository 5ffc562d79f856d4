"""The benchmark reference model (MODEL.md section 12) in mesa-frames (Polars backend).

Citizens are simulated: nothing here describes a real person.

One :class:`mesa_frames.AgentSetPolars` holds every citizen as a row (``unique_id``, ``dissent``,
four ledgers ``L0..L3``, ``score``); a tick is a handful of vectorised Polars expressions, which is
how mesa-frames is meant to be used. The friends' mean is the idiomatic relational form: the
directed edge list (``src``, ``dst``, both orientations of every undirected edge, from the same
CSR graph scsim uses) joined with the previous scores on ``dst`` and averaged by ``src``.
Everyone updates from the previous tick's scores (the whole frame is replaced at once).

Event counts are drawn with the model's NumPy generator (``model.random``), one Poisson draw per
citizen and event type, as in mesa-frames' own examples.

Install note: the only mesa-frames release on PyPI (0.1.0a0) pins ``numpy~=1.26``, which clashes
with scsim's NumPy 2; BENCHMARKS.md shows how it was installed and run (``--no-deps`` in a
virtual environment that sees the project's packages).

>>> import numpy as np
>>> m = ReferenceMesaFrames(np.array([0, 1, 2, 2]), np.array([1, 0]), seed=1)
>>> for _ in range(3): m.step()
>>> len(m.rows), sorted(m.rows[-1])[:2]
(3, ['mean_score', 'share_excellent'])
"""
from __future__ import annotations

import numpy as np
import polars as pl
from mesa_frames import AgentSetPolars, ModelDF

from reference_mesa import ALPHA, BANDS, CRITICAL_RATE, DECAY, HI, LATE_DOUBLE_BELOW, LO, POINTS, RATES, START


class Citizens(AgentSetPolars):
    """All simulated citizens as one Polars frame."""

    def __init__(self, model: "ReferenceMesaFrames", n: int):
        super().__init__(model)
        self += pl.DataFrame({
            "unique_id": np.arange(n, dtype=np.int64),
            "dissent": model.random.random(n),
            **{f"L{k}": np.zeros(n) for k in range(4)},
            "score": np.full(n, START),
        })

    def step(self) -> None:
        df = self.agents
        n = len(df)
        rnd = self.model.random
        on_time, late, traffic = (rnd.poisson(r, n) for r in RATES)
        critical = rnd.poisson(CRITICAL_RATE * df["dissent"].to_numpy())
        friends = (self.model.edges.join(df.select(pl.col("unique_id").alias("dst"), "score"), on="dst")
                   .group_by("src").agg(pl.col("score").mean().alias("friends")))
        df = (df.with_columns(
                  pl.Series("n0", on_time), pl.Series("n1", late), pl.Series("n2", traffic),
                  pl.Series("n3", critical))
              .with_columns(
                  L0=DECAY * pl.col("L0") + POINTS[0] * pl.col("n0"),
                  L1=DECAY * pl.col("L1") + POINTS[1] * pl.col("n1")
                  * pl.when(pl.col("score") < LATE_DOUBLE_BELOW).then(2.0).otherwise(1.0),
                  L2=DECAY * pl.col("L2") + POINTS[2] * pl.col("n2"),
                  L3=DECAY * pl.col("L3") + POINTS[3] * pl.col("n3"))
              .with_columns(own=START + pl.col("L0") + pl.col("L1") + pl.col("L2") + pl.col("L3"))
              .join(friends, left_on="unique_id", right_on="src", how="left", maintain_order="left")
              .with_columns(score=pl.when(pl.col("friends").is_null()).then(pl.col("own"))
                            .otherwise((1 - ALPHA) * pl.col("own") + ALPHA * pl.col("friends"))
                            .clip(LO, HI))
              .drop("n0", "n1", "n2", "n3", "own", "friends"))
        self.agents = df


class ReferenceMesaFrames(ModelDF):
    """The reference model on the graph ``(indptr, indices)`` (symmetric CSR)."""

    def __init__(self, indptr, indices, seed: int | None = None):
        super().__init__(seed=seed)
        indptr = np.asarray(indptr)
        n = len(indptr) - 1
        self.edges = pl.DataFrame({"src": np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr)),
                                   "dst": np.asarray(indices, dtype=np.int64)})
        self.citizens = Citizens(self, n)
        self.agents += self.citizens
        self.rows: list[dict] = []

    def record(self) -> dict:
        """Mean score and the share in each Sesame band (MODEL.md section 12)."""
        s = self.citizens.agents["score"]
        mins = [b for _, b in BANDS]
        exprs = [pl.col("score").mean().alias("mean_score")]
        for k, (name, lo) in enumerate(BANDS):
            cond = pl.col("score") >= lo if k else pl.lit(True)
            if k + 1 < len(mins):
                cond = cond & (pl.col("score") < mins[k + 1])
            exprs.append(cond.mean().alias(f"share_{name}"))
        row = pl.DataFrame({"score": s}).select(exprs).row(0, named=True)
        self.rows.append(row)
        return row

    def step(self) -> None:
        self.agents.do("step")
        self.record()
