"""How much memory a run needs, before anything is allocated.

Each model says how many bytes one citizen costs at the peak of a run
(:meth:`~scsim.engine.config.ScenarioBase.memory_per_citizen`: attributes, module states, the
results tables, the CSR graph and its generation); to that come the Python runtime, its
libraries and the chunk buffers (about 400 MB). The figures are fitted to measured peaks
(BENCHMARKS.md, ``benchmarks/memory_estimate.py``). Runs that would not fit are refused with a
one-line error before anything is allocated.

>>> from scsim import load_scenario
>>> estimate_memory(load_scenario("article", population=1_000_000)) > 1e9
True
"""
from __future__ import annotations

from ..errors import ResourceError

BASE_BYTES = 400e6
"""The interpreter, NumPy, SciPy, numba and the chunk buffers."""


def estimate_memory(sc, n: int | None = None) -> int:
    """Estimated peak resident memory of a run of ``sc`` (bytes)."""
    n = sc.population if n is None else n
    per = sc.memory_per_citizen()
    if sc.engine.reuse_memory:
        per *= 1.28  # freed arrays stay in the heap: the holes they leave raise the peak
    return int(BASE_BYTES + n * per)


def available_memory() -> int:
    """Memory available to this process now (bytes)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # pragma: no cover
        return 8 << 30


def check_memory(sc, n: int | None = None) -> int:
    """Raise :class:`ResourceError` if the run would not fit; return the estimate."""
    need = estimate_memory(sc, n)
    limit = sc.engine.memory_limit_gib * 2**30 if sc.engine.memory_limit_gib else 0.9 * available_memory()
    if need > limit:
        raise ResourceError(
            f"population: {n or sc.population:,} citizens need about {need / 2**30:.1f} GiB but "
            f"{limit / 2**30:.1f} GiB is available; lower --population or the mean degree")
    return need
