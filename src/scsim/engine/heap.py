"""Keep freed memory in the process for reuse (glibc only).

A tick allocates and frees arrays of tens to hundreds of megabytes (gathers over every tie, new
CSR arrays when ties are cut and formed, the pattern-of-life edge lists). glibc serves every
allocation above 32 MiB with a fresh ``mmap`` and returns it to the system on ``free``, so the
next array of that size is faulted in again, page by page. On the virtual machines these
benchmarks run on, that first touch sometimes costs more than the work done on the array.

:func:`reuse_freed_memory` asks glibc (``mallopt``) to serve large blocks from its heap and to
keep freed memory there: the process then does not shrink until it exits, and the holes freed
arrays leave between live ones raise its peak (+25% at 10M citizens; the memory estimate counts
it). :func:`scsim.prepare_process` calls it when ``engine.reuse_memory`` is true (the default); it changes no
result, only the time (``benchmarks/bench_heap.py``, ``benchmarks/bench_behaviour.py --set
engine.reuse_memory=false``). Elsewhere than glibc it does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_done: bool | None = None


def reuse_freed_memory() -> bool:
    """Serve large arrays from the heap and keep freed memory for reuse; True where it took effect.

    Process-wide and idempotent (the first call decides).

    >>> isinstance(reuse_freed_memory(), bool)
    True
    """
    global _done
    if _done is not None:
        return _done
    _done = False
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # no mmap for large blocks (they come from the heap and go back to it), and never trim the top
    _done = bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))
    return _done
