"""Process-wide settings for fast runs: call :func:`prepare_process` once before simulating.

The command line calls it; from Python, ``scsim.prepare_process()`` is optional (results are the
same without it, only slower): it asks glibc to keep freed arrays for reuse
(``engine.reuse_memory``, :mod:`scsim.engine.heap`), loads the compiled kernels now rather than in
the first tick, and sets their thread count (``engine.threads``). A constructor never calls it.

>>> prepare_process(threads=1)
>>> prepare_process()
"""
from __future__ import annotations

import os


def prepare_process(scenario=None, *, threads: int | None = None, reuse_memory: bool | None = None) -> None:
    """Set up this process for runs of ``scenario`` (or the given settings; defaults: every core,
    reuse memory)."""
    eng = getattr(scenario, "engine", None)
    if threads is None:
        threads = eng.threads if eng is not None else 0
    if reuse_memory is None:
        reuse_memory = eng.reuse_memory if eng is not None else True
    if reuse_memory:
        from .heap import reuse_freed_memory

        reuse_freed_memory()
    warm_up()
    use_threads(threads)


_warm = False


def warm_up() -> None:
    """Compile or load every kernel once per process (about a second from the on-disk cache)."""
    global _warm
    if _warm:
        return
    from ..graph.kernels import warm_up as warm_graph
    from .streams import warm_up as warm_streams

    warm_graph()
    warm_streams()
    _warm = True


def use_threads(k: int) -> None:
    """Run the compiled kernels in ``k`` threads (0: every core numba sees)."""
    import numba

    top = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(min(k, top) if k > 0 else top)


def cpu_count() -> int:
    return os.cpu_count() or 1
