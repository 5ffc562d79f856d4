"""The benchmark reference model (MODEL.md section 12) written in idiomatic Mesa 3.

Citizens are simulated: nothing here describes a real person.

One :class:`mesa.Agent` per citizen, synchronous update: every agent first computes its new score
from the previous tick's scores (``compute``), then all agents apply it (``apply``). The social
graph is the one scsim uses, handed over as CSR arrays (``indptr``, ``indices``); each agent keeps
a Python list of its friends (agent objects), which is how a Mesa user holds a fixed network
without the cost of a ``networkx`` graph.

Random numbers come from the model's own ``random.Random`` (``model.random``, seeded by Mesa):
the four Poisson counts use Knuth's multiplication method, which for these small rates (at most
0.5) needs 1 to 2 uniforms per draw and is several times faster in pure Python than a scalar
``numpy`` call. That gives Mesa its best idiomatic showing. The draws differ from scsim's, so the
two implementations agree statistically, not number for number.

>>> import numpy as np
>>> indptr = np.array([0, 1, 2, 2]); indices = np.array([1, 0])   # citizens 0-1 friends, 2 alone
>>> m = ReferenceMesa(indptr, indices, seed=1)
>>> for _ in range(3): m.step()
>>> len(m.rows), sorted(m.rows[-1])[:2]
(3, ['mean_score', 'share_excellent'])
"""
from __future__ import annotations

import math

import mesa
import numpy as np

# MODEL.md section 12 (the same figures as src/scsim/scenarios/reference.toml)
START = 600.0
DECAY = 0.98
ALPHA = 0.1
LO, HI = 350.0, 950.0
LATE_DOUBLE_BELOW = 550.0
RATES = (0.5, 0.05, 0.02)            # on-time payment, late payment, traffic violation
POINTS = (2.0, -10.0, -5.0, -15.0)   # ... and flagged critical post (rate 0.1 * dissent)
CRITICAL_RATE = 0.1
# Sesame bands (lower bounds), as in the reference scenario's tiers
BANDS = (("poor", 350.0), ("fair", 550.0), ("good", 600.0), ("very_good", 650.0), ("excellent", 700.0))


def _poisson(rnd, exp_neg_lam: float) -> int:
    """Knuth's Poisson draw given ``exp(-lam)`` (fine for the small rates used here)."""
    k = 0
    p = rnd()
    while p > exp_neg_lam:
        k += 1
        p *= rnd()
    return k


class Citizen(mesa.Agent):
    """A simulated citizen: dissent, four ledgers, a score, and a list of friends."""

    def __init__(self, model: "ReferenceMesa"):
        super().__init__(model)
        self.dissent = self.random.random()
        self.exp_critical = math.exp(-CRITICAL_RATE * self.dissent)
        self.ledger = [0.0, 0.0, 0.0, 0.0]
        self.score = START
        self.next_score = START
        self.friends: list[Citizen] = []

    def compute(self) -> None:
        """New score from this tick's events and the friends' previous scores."""
        rnd = self.random.random
        m = self.model
        L = self.ledger
        d = m.decay
        late = POINTS[1] * (2.0 if self.score < LATE_DOUBLE_BELOW else 1.0)
        L[0] = d * L[0] + POINTS[0] * _poisson(rnd, m.exp_rates[0])
        L[1] = d * L[1] + late * _poisson(rnd, m.exp_rates[1])
        L[2] = d * L[2] + POINTS[2] * _poisson(rnd, m.exp_rates[2])
        L[3] = d * L[3] + POINTS[3] * _poisson(rnd, self.exp_critical)
        own = START + L[0] + L[1] + L[2] + L[3]
        if self.friends:
            friends = sum(f.score for f in self.friends) / len(self.friends)
            s = (1.0 - ALPHA) * own + ALPHA * friends
        else:
            s = own
        self.next_score = min(max(s, LO), HI)

    def apply(self) -> None:
        self.score = self.next_score


class ReferenceMesa(mesa.Model):
    """The reference model on the graph ``(indptr, indices)`` (symmetric CSR).

    ``decay`` (default 0.98, MODEL.md) is a parameter only so that the tests can check that a
    wrong model is caught by the agreement criterion.
    """

    def __init__(self, indptr, indices, seed: int | None = None, decay: float = DECAY):
        super().__init__(seed=seed)
        self.decay = decay
        self.exp_rates = tuple(math.exp(-r) for r in RATES)
        n = len(indptr) - 1
        citizens = [Citizen(self) for _ in range(n)]
        indptr = np.asarray(indptr).tolist()
        indices = np.asarray(indices).tolist()
        for i, c in enumerate(citizens):
            c.friends = [citizens[j] for j in indices[indptr[i]:indptr[i + 1]]]
        self.citizens = citizens
        self.datacollector = mesa.DataCollector(model_reporters={"row": lambda m: m.record()})

    @property
    def rows(self) -> list[dict]:
        """One dict per tick collected so far: ``mean_score`` and ``share_<band>``."""
        return self.datacollector.model_vars["row"]

    def record(self) -> dict:
        """Mean score and the share in each Sesame band (MODEL.md section 12)."""
        scores = self.agents.get("score")
        n = len(scores)
        row = {"mean_score": math.fsum(scores) / n}
        counts = [0] * len(BANDS)
        mins = [b for _, b in BANDS]
        for s in scores:
            k = 0
            while k + 1 < len(mins) and s >= mins[k + 1]:
                k += 1
            counts[k] += 1
        row.update({f"share_{name}": c / n for (name, _), c in zip(BANDS, counts)})
        return row

    def step(self) -> None:
        self.agents.do("compute")
        self.agents.do("apply")
        self.datacollector.collect(self)
