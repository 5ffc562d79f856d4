"""Prototype of a fused reference step (MODEL.md section 12) in numba, kept for its measurement.

Citizens are simulated: nothing here describes a real person.

The prototype's NumPy ideas are now the engine's own step
(:class:`scsim.reference.ReferenceSimulation.step`): events drawn by superposition (a block total
``Poisson(sum of rates)`` spread over citizens, about one integer draw per event) and band shares
by counting. What stays here is :class:`FastReference`, **one fused numba pass** per citizen:
decay the four ledgers, add the events, sum the friends' previous scores straight off the CSR
``indices`` (no ``data`` array of ones), clip, and accumulate the mean and band counts. It was
measured slower than NumPy + SciPy on this machine (BENCHMARKS.md), so it was not ported; numba is
needed only to run it.

Its events come from :func:`draw_events` (the same algorithm as the engine, so the two agree
statistically, not number for number):

>>> import numpy as np
>>> p = {"on_time_rate": 0.5, "late_rate": 0.05, "traffic_rate": 0.02, "critical_rate": 0.1}
>>> ev = draw_events(np.random.default_rng(0), 10_000, p, np.ones(10_000, np.float32))
>>> [abs(e.size / 10_000 - r) < 0.03 for e, r in zip(ev, (0.5, 0.05, 0.02, 0.1))]
[True, True, True, True]
"""
from __future__ import annotations

import time

import numpy as np

from scsim.reference import ReferenceSimulation
from scsim.rng import blocks, stream

def draw_events(rng: np.random.Generator, m: int, p: dict, dissent: np.ndarray):
    """Citizen indices (local to the block) of each event type for one block and tick.

    Returns four int32 arrays: on-time payments, late payments, traffic violations, critical posts
    (an index appears once per event, so a citizen with two events appears twice).
    """
    out = []
    for rate in (p["on_time_rate"], p["late_rate"], p["traffic_rate"]):
        out.append(rng.integers(0, m, rng.poisson(rate * m), dtype=np.int32))
    cand = rng.integers(0, m, rng.poisson(p["critical_rate"] * m), dtype=np.int32)
    keep = rng.random(cand.size, dtype=np.float32) < dissent[cand]
    out.append(cand[keep])
    return out


_KERNELS: dict = {}


def _kernels():
    """Compile (once) and return the numba kernels ``(fused, scatter)``; numba is optional."""
    if _KERNELS:
        return _KERNELS["fused"], _KERNELS["scatter"]
    try:
        import numba
    except ImportError:
        raise ValueError("backend: 'numba' is not installed (pip install numba)") from None

    @numba.njit(nogil=True)
    def _fused(indptr, indices, prev, L, counts, decay, points, late_below, start, alpha,
               lo, hi, band_mins, score, band_counts):  # pragma: no cover - compiled
        n = prev.shape[0]
        total = 0.0
        for k in range(band_counts.shape[0]):
            band_counts[k] = 0
        for i in range(n):
            own = start
            for k in range(4):
                pts = points[k]
                if k == 1 and prev[i] < late_below:
                    pts = pts * 2
                v = decay * L[k, i] + pts * counts[k, i]
                L[k, i] = v
                counts[k, i] = 0
                own += v
            a, b = indptr[i], indptr[i + 1]
            if b > a:
                acc = np.float32(0.0)
                for j in range(a, b):
                    acc += prev[indices[j]]
                s = (1 - alpha) * own + alpha * (acc / (b - a))
            else:
                s = own
            if s < lo:
                s = lo
            elif s > hi:
                s = hi
            score[i] = s
            total += s
            k = 0
            while k + 1 < band_mins.shape[0] and s >= band_mins[k + 1]:
                k += 1
            band_counts[k] += 1
        return total

    @numba.njit(nogil=True)
    def _scatter(counts_row, idx, offset):  # pragma: no cover - compiled
        for e in idx:
            counts_row[offset + e] += 1

    _KERNELS.update(fused=_fused, scatter=_scatter)
    return _KERNELS["fused"], _KERNELS["scatter"]


class FastReference(ReferenceSimulation):
    """:class:`ReferenceSimulation` with the numba fused pass (point 3 above)."""

    def __init__(self, scenario, graph=None):
        super().__init__(scenario, graph)
        self._fused, self._scatter = _kernels()
        self.counts = np.zeros((4, self.n), np.uint8)
        self.score_next = np.empty(self.n, np.float32)
        self.band_counts = np.zeros(len(self.tier_mins), np.int64)
        self.indptr = self.graph.indptr
        self.indices = self.graph.indices
        del self.adj  # the fused pass reads the CSR pattern directly
        # compile now, on one isolated citizen, so that no tick pays for it
        f32 = np.float32
        self._fused(np.zeros(2, self.indptr.dtype), np.zeros(0, self.indices.dtype), np.zeros(1, f32),
                    np.zeros((4, 1), f32), np.zeros((4, 1), np.uint8), f32(1), self.points, f32(0), f32(0), f32(0),
                    f32(0), f32(1), self.tier_mins, np.zeros(1, f32), np.zeros_like(self.band_counts))
        self._scatter(np.zeros(1, np.uint8), np.zeros(0, np.int32), 0)

    def step(self) -> None:
        t0 = time.perf_counter()
        p = self.p
        t = self.tick + 1
        prev = self.score
        L = self.ledger
        for b, lo, hi in blocks(self.n):
            ev = draw_events(stream(self.seed, t, "finance", b), hi - lo, p, self.dissent[lo:hi])
            for k in range(4):
                self._scatter(self.counts[k], ev[k], lo)
        total = self._fused(self.indptr, self.indices, prev, L, self.counts, np.float32(p["decay"]), self.points,
                            np.float32(p["late_double_below"]), np.float32(p["start"]), np.float32(p["alpha"]),
                            np.float32(p["min"]), np.float32(p["max"]), self.tier_mins, self.score_next,
                            self.band_counts)
        self.score, self.score_next = self.score_next, prev
        shares = self.band_counts / self.n
        mean = total / self.n
        self.tick = t
        row = {"tick": t, "mean_score": float(mean)}
        row.update({f"share_{k}": float(v) for k, v in zip(self.tier_names, shares)})
        self.rows.append(row)
        self.ticks_s += time.perf_counter() - t0
