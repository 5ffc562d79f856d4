"""Random streams.

Every random number scsim draws comes from a stream named by ``(seed, tick, source, block)``.
Citizens are cut into fixed blocks of :data:`BLOCK` citizens, and every per-citizen draw of one
source at one tick is generated block by block. The processing chunk size (a multiple of
``BLOCK``) and the partitioning of a run therefore never change a single number, and two runs that
differ only in one source share every other source's draws (common random numbers).
"""
from __future__ import annotations

import numpy as np

BLOCK = 65536
"""Citizens per random-number block. Fixed: changing it changes every draw."""

# Stable ids of random-number sources. Never renumber: that would change every run.
SOURCE_IDS = {
    "population": 1,
    "graph": 2,
    "units": 3,
    "panel": 4,
    "commerce": 10,
    "finance": 11,
    "gaming": 12,
    "mobility": 13,
    "courts": 14,
    "ratings": 15,
    "social_media": 16,
    "clinics": 17,
    "good_deeds": 18,
    "metadata": 19,
    "blacklist": 30,
    "behaviour": 40,
    "ostracism": 41,
    "rebuke": 42,
    "censorship": 43,
    "appeals": 44,
    "groups": 50,
    "supervisors": 51,
    "surveillance": 60,
    "xingqiao": 70,
}


def stream(seed: int, tick: int, source: str | int, block: int = 0) -> np.random.Generator:
    """Return the generator for ``(seed, tick, source, block)``.

    >>> a = stream(1, 3, "courts", 0).random(2)
    >>> b = stream(1, 3, "courts", 0).random(2)
    >>> bool((a == b).all())
    True
    """
    sid = SOURCE_IDS[source] if isinstance(source, str) else int(source)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), int(tick), sid, int(block)])))


def blocks(n: int, start: int = 0, stop: int | None = None):
    """Yield ``(block_index, lo, hi)`` for the blocks covering citizens ``[start, stop)``.

    ``start`` must be a multiple of :data:`BLOCK`.
    """
    stop = n if stop is None else stop
    if start % BLOCK:
        raise ValueError(f"chunk start {start} is not a multiple of the block size {BLOCK}")
    for lo in range(start, stop, BLOCK):
        yield lo // BLOCK, lo, min(lo + BLOCK, stop)
