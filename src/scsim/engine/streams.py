"""Random streams: counter-based, one number per (seed, stream, tick, slot, citizen).

Every random number scsim draws is ``Philox4x32-10(counter, key)`` (Salmon et al., "Parallel
random numbers: as easy as 1, 2, 3", SC 2011), compiled with numba:

* the **key** (64 bits) is a hash of the run's seed and the stream's name
  (``"sources.commerce"``, ``"ostracism"``, ...); streams are named after the module that owns
  them, and the engine refuses two modules claiming one stream;
* the **counter** (128 bits) is ``(citizen id, sub-draw, tick, slot)``: the slot is a hash of
  what is drawn (``"diapers"``, ``"check"``); the sub-draw numbers the extra uniforms one draw may
  need (rejection attempts, one per misattributed event).

So a citizen's draw for (tick, stream, slot) depends on nothing but (seed, tick, stream, slot,
citizen id). Results are the same however the population is chunked, threaded or partitioned
across processes, and two runs that differ by one policy share every draw that the policy does
not change, citizen by citizen (common random numbers, MODEL.md section 13).

Each Philox call gives four 32-bit words, two uniform doubles of 53 bits in (0, 1). On top of
them: Poisson counts by inversion (below a mean of 40; a monotone coupling: a citizen whose rate
rises a little keeps almost the same count) and by Hörmann's transformed rejection (PTRS) above,
normals by Box-Muller, gammas by Marsaglia-Tsang, betas from two gammas, binomial thinning of
counts. Rows of ids are independent, so the kernels run in parallel threads (``prange``).

>>> s = Stream("sources.courts", seed=1)
>>> u = s.uniform(3, "traffic", np.arange(5))
>>> bool(((0 < u) & (u < 1)).all()), bool((s.uniform(3, "traffic", np.array([4])) == u[4:]).all())
(True, True)
"""
from __future__ import annotations

import hashlib
import math

import numpy as np
from numba import njit, prange

__all__ = ["Stream", "stream_key", "slot_id", "philox4x32", "StreamRegistry"]

_MAX_ID = 2**32 - 1


# ---------------------------------------------------------------------------------------------
# the generator


@njit(inline="always")
def _philox(c0, c1, c2, c3, k0, k1):  # pragma: no cover - compiled
    """Philox4x32 with 10 rounds (Random123's philox4x32_R(10, ...))."""
    for _ in range(10):
        p0 = np.uint64(0xD2511F53) * np.uint64(c0)
        p1 = np.uint64(0xCD9E8D57) * np.uint64(c2)
        h0 = np.uint32(p0 >> np.uint64(32))
        l0 = np.uint32(p0 & np.uint64(0xFFFFFFFF))
        h1 = np.uint32(p1 >> np.uint64(32))
        l1 = np.uint32(p1 & np.uint64(0xFFFFFFFF))
        c0, c1, c2, c3 = h1 ^ c1 ^ k0, l1, h0 ^ c3 ^ k1, l0
        k0 = np.uint32(k0 + np.uint32(0x9E3779B9))
        k1 = np.uint32(k1 + np.uint32(0xBB67AE85))
    return c0, c1, c2, c3


@njit(inline="always")
def _u53(a, b):  # pragma: no cover - compiled
    """A double in (0, 1) from two 32-bit words (53 random bits, centred in their cell)."""
    x = (np.int64(a >> np.uint32(5)) << np.int64(26)) | np.int64(b >> np.uint32(6))
    return (np.float64(x) + 0.5) * (1.0 / 9007199254740992.0)


@njit(inline="always")
def _two(idx, sub, tick, slot, k0, k1):  # pragma: no cover - compiled
    """Two uniforms for counter (idx, sub, tick, slot)."""
    a, b, c, d = _philox(np.uint32(idx & 0xFFFFFFFF), np.uint32(sub), np.uint32(tick), np.uint32(slot), k0, k1)
    return _u53(a, b), _u53(c, d)


@njit(inline="always")
def _id(ids, start, i):  # pragma: no cover - compiled
    """The i-th id: ``ids[i]``, or ``start + i`` when ``ids`` is None (numba prunes the branch
    at compile time, so each case is its own loop)."""
    if ids is None:
        return start + i
    return ids[i]


# ---------------------------------------------------------------------------------------------
# distributions (device functions)


_INV = np.r_[0.0, 1.0 / np.arange(1, 256)]
"""1/k for k < 256: the inversion multiplies instead of dividing."""
INVERSION_BELOW = 40.0
"""Poisson means below this are drawn by inversion (monotone in the uniform); above, by PTRS."""


@njit
def _poisson_tail(lam, p0, u, idx, tick, slot, k0, k1):  # pragma: no cover - compiled
    """Poisson(lam) given that the first uniform ``u`` (sub-draw 0) fell below ``1 - p0``, with
    ``p0 = exp(-lam) = P(N = 0)``:
    inversion on the survival function below a mean of 40, N = max{k : u < P(N >= k)} (a
    monotone coupling), and Hörmann's PTRS above, with attempts on sub-draws 1, 2, ..."""
    if lam < 40.0:
        inv = _INV
        s = 1.0 - p0  # P(N >= 1)
        k = 1
        p = p0 * lam  # P(N = 1)
        while k < 254:
            s -= p
            if u >= s:
                return k
            k += 1
            p *= lam * inv[k]
        return k
    # Hörmann (1993), transformed rejection with squeeze (PTRS), one counter per attempt
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    for attempt in range(1, 1 << 20):
        uu, v = _two(idx, attempt, tick, slot, k0, k1)
        uu -= 0.5
        us = 0.5 - abs(uu)
        k = math.floor((2.0 * a / us + b) * uu + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return np.int64(k)
        if k < 0.0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= -lam + k * loglam - math.lgamma(k + 1.0):
            return np.int64(k)
    return np.int64(lam)


@njit(inline="always")
def _normal_one(idx, sub, tick, slot, k0, k1):  # pragma: no cover - compiled
    u1, u2 = _two(idx, sub, tick, slot, k0, k1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@njit
def _gamma_one(shape, idx, tick, slot, k0, k1):  # pragma: no cover - compiled
    """Gamma(shape, 1) by Marsaglia and Tsang (2000); shape < 1 through Gamma(shape + 1) U^(1/shape).
    Attempt j uses sub-draws 2j+1 (the normal) and 2j+2 (the acceptance uniform); sub-draw 0 holds
    the boost for shape < 1."""
    if not shape > 0.0:
        return 0.0
    a = shape if shape >= 1.0 else shape + 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    g = d
    for j in range(1 << 20):
        x = _normal_one(idx, 2 * j + 1, tick, slot, k0, k1)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u, _ = _two(idx, 2 * j + 2, tick, slot, k0, k1)
        if u < 1.0 - 0.0331 * x * x * x * x or math.log(u) < 0.5 * x * x + d * (1.0 - v + math.log(v)):
            g = d * v
            break
    if shape < 1.0:
        u0, _ = _two(idx, 0, tick, slot, k0, k1)
        g *= u0 ** (1.0 / shape)
    return g


# ---------------------------------------------------------------------------------------------
# kernels over arrays of ids (ids None: ids are start, start + 1, ...)


def _k_uniform(ids, start, n, sub, tick, slot, k0, k1, out):  # pragma: no cover - compiled
    for i in prange(n):
        out[i], _ = _two(_id(ids, start, i), sub, tick, slot, k0, k1)


def _k_uniform2(ids, start, n, sub, tick, slot, k0, k1, out):  # pragma: no cover - compiled
    for i in prange(n):
        out[0, i], out[1, i] = _two(_id(ids, start, i), sub, tick, slot, k0, k1)


def _k_uniform_pairs(a, b, tick, slot, k0, k1, out):  # pragma: no cover - compiled
    for i in prange(a.size):
        out[i], _ = _two(a[i], b[i], tick, slot, k0, k1)


def _k_normal(ids, start, n, tick, slot, k0, k1, out):  # pragma: no cover - compiled
    for i in prange(n):
        out[i] = _normal_one(_id(ids, start, i), 0, tick, slot, k0, k1)


def _k_poisson_pass(lam, p0, ids, start, tick, slot, k0, k1, u, flag):  # pragma: no cover - compiled
    """Each id's first uniform, and whether it has any event: with ``p0 = exp(-lam) = P(N = 0)``
    given (NumPy computes it in SIMD), branch-free loops that vectorise. ``1 - p0`` is exact
    (Sterbenz), so P(N >= 1) keeps full relative precision for tiny rates."""
    n = lam.size
    for i in prange(n):
        u[i], _ = _two(_id(ids, start, i), 0, tick, slot, k0, k1)
    for i in prange(n):
        flag[i] = (u[i] < 1.0 - p0[i]) | (np.float64(lam[i]) >= 40.0)


def _k_compact(flag, nblocks):  # pragma: no cover - compiled
    """Positions of the true entries of ``flag``, in order (counted and filled in parallel)."""
    n = flag.size
    step = (n + nblocks - 1) // nblocks
    counts = np.zeros(nblocks + 1, np.int64)
    for b in prange(nblocks):
        c = 0
        for i in range(b * step, min(n, (b + 1) * step)):
            c += flag[i]
        counts[b + 1] = c
    for b in range(nblocks):
        counts[b + 1] += counts[b]
    out = np.empty(counts[nblocks], np.int64)
    for b in prange(nblocks):
        w = counts[b]
        for i in range(b * step, min(n, (b + 1) * step)):
            if flag[i]:
                out[w] = i
                w += 1
    return out


def _k_poisson_tail(hits, lam, p0, u, ids, start, tick, slot, k0, k1, out):  # pragma: no cover - compiled
    for j in prange(hits.size):
        i = hits[j]
        out[j] = _poisson_tail(np.float64(lam[i]), p0[i], u[i], _id(ids, start, i), tick, slot, k0, k1)


def _k_thin(counts, p, ids, start, tick, slot, k0, k1, kept, out):  # pragma: no cover - compiled
    """For each unit of counts[i], an independent Bernoulli(p[i]) (sub-draws 0..counts[i]-1):
    ``out`` how many succeeded, ``kept`` the rest."""
    for i in prange(counts.size):
        c = counts[i]
        k = 0
        if c > 0:
            q = p[i] if p.size > 1 else p[0]
            idx = _id(ids, start, i)
            for j in range(c):
                u, _ = _two(idx, j, tick, slot, k0, k1)
                if u < q:
                    k += 1
        out[i] = k
        kept[i] = c - k


def _k_gamma(shape, ids, start, n, tick, slot, k0, k1, out):  # pragma: no cover - compiled
    for i in prange(n):
        a = shape[i] if shape.size > 1 else shape[0]
        out[i] = _gamma_one(a, _id(ids, start, i), tick, slot, k0, k1)


def _k_beta(a, b, ids, start, n, tick, slot_a, slot_b, k0, k1, out):  # pragma: no cover - compiled
    for i in prange(n):
        idx = _id(ids, start, i)
        x = _gamma_one(a, idx, tick, slot_a, k0, k1)
        y = _gamma_one(b, idx, tick, slot_b, k0, k1)
        out[i] = x / (x + y) if x + y > 0.0 else 0.5


def _k_each(counts, first, ids, start, tick, slot, k0, k1, out):  # pragma: no cover - compiled
    """For each unit j of counts[i], one uniform (sub-draw j), written to out[first[i] + j]."""
    for i in prange(counts.size):
        c = counts[i]
        if c > 0:
            idx = _id(ids, start, i)
            f = first[i]
            for j in range(c):
                out[f + j], _ = _two(idx, j, tick, slot, k0, k1)


# ---------------------------------------------------------------------------------------------
# each kernel compiled twice: serial for small arrays (a parallel launch costs tens of
# microseconds), parallel threads above PARALLEL_FROM ids. Same numbers either way.

PARALLEL_FROM = 1 << 16


def _twin(fn):
    """Serial and parallel compilations of ``fn``. The parallel one is a copy of the function
    under another name: numba's disk cache is keyed by name and line, and would otherwise hand
    one form's machine code to the other."""
    import types

    par = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_par", fn.__defaults__, fn.__closure__)
    par.__qualname__ = fn.__qualname__ + "_par"
    return njit(cache=True)(fn), njit(parallel=True, cache=True)(par)


_k_uniform_ser, _k_uniform_par = _twin(_k_uniform)
_k_uniform2_ser, _k_uniform2_par = _twin(_k_uniform2)
_k_uniform_pairs_ser, _k_uniform_pairs_par = _twin(_k_uniform_pairs)
_k_normal_ser, _k_normal_par = _twin(_k_normal)
_k_poisson_pass_ser, _k_poisson_pass_par = _twin(_k_poisson_pass)
_k_compact_ser, _k_compact_par = _twin(_k_compact)
_k_poisson_tail_ser, _k_poisson_tail_par = _twin(_k_poisson_tail)
_k_thin_ser, _k_thin_par = _twin(_k_thin)
_k_gamma_ser, _k_gamma_par = _twin(_k_gamma)
_k_beta_ser, _k_beta_par = _twin(_k_beta)
_k_each_ser, _k_each_par = _twin(_k_each)


def _k(name: str, n: int):
    """The serial or parallel form of kernel ``name`` for ``n`` ids."""
    return _KERNELS[name][n >= PARALLEL_FROM]


_KERNELS = {"_k_uniform": (_k_uniform_ser, _k_uniform_par), "_k_uniform2": (_k_uniform2_ser, _k_uniform2_par), "_k_uniform_pairs": (_k_uniform_pairs_ser, _k_uniform_pairs_par), "_k_normal": (_k_normal_ser, _k_normal_par), "_k_poisson_pass": (_k_poisson_pass_ser, _k_poisson_pass_par), "_k_compact": (_k_compact_ser, _k_compact_par), "_k_poisson_tail": (_k_poisson_tail_ser, _k_poisson_tail_par), "_k_thin": (_k_thin_ser, _k_thin_par), "_k_gamma": (_k_gamma_ser, _k_gamma_par), "_k_beta": (_k_beta_ser, _k_beta_par), "_k_each": (_k_each_ser, _k_each_par)}


def philox4x32(counter, key) -> tuple[int, int, int, int]:
    """Philox4x32-10 of one 128-bit counter (four 32-bit words) and 64-bit key (two words).

    >>> [hex(w) for w in philox4x32((0, 0, 0, 0), (0, 0))]   # Random123 known-answer vector
    ['0x6627e8d5', '0xe169c58d', '0xbc57ac4c', '0x9b00dbd8']
    """
    c = [np.uint32(x) for x in counter]
    k = [np.uint32(x) for x in key]
    return tuple(int(w) for w in _philox_py(c[0], c[1], c[2], c[3], k[0], k[1]))


@njit(cache=True)
def _philox_py(c0, c1, c2, c3, k0, k1):  # pragma: no cover - compiled
    return _philox(c0, c1, c2, c3, k0, k1)


# ---------------------------------------------------------------------------------------------
# naming


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def stream_key(seed: int, name: str) -> tuple[int, int]:
    """The 64-bit Philox key of stream ``name`` in a run with ``seed``, as two 32-bit words.

    >>> stream_key(42, "people") == stream_key(42, "people") != stream_key(43, "people")
    True
    """
    h = _hash64(f"scsim/{int(seed)}/{name}")
    return h & 0xFFFFFFFF, h >> 32


def slot_id(name: str | int) -> int:
    """The 32-bit counter word of a slot (what is drawn): a hash of its name, or the integer.

    >>> slot_id("diapers") == slot_id("diapers"), slot_id(7)
    (True, 7)
    """
    if isinstance(name, (int, np.integer)):
        return int(name) & 0xFFFFFFFF
    return _hash64(f"slot/{name}") & 0xFFFFFFFF


def _rates(lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rates (float32 or float64, contiguous) and ``exp(-lam) = P(N = 0)`` in float64 for each
    (NumPy's SIMD loops). A rate that is zero, negative or NaN gives no event."""
    if lam.dtype != np.float32:
        lam = np.asarray(lam, np.float64)
    lam = np.ascontiguousarray(lam)
    p0 = np.negative(lam, dtype=np.float64)
    np.exp(p0, out=p0)
    return lam, p0


def _blocks() -> int:
    import numba

    return 4 * numba.get_num_threads()


def _ids(ids, n: int | None) -> tuple[np.ndarray | None, int, int]:
    """(ids array, or None for consecutive ids from start; start; count)."""
    if ids is None:
        if n is None:
            raise ValueError("give ids or n")
        return None, 0, int(n)
    if isinstance(ids, range):
        if ids.step != 1:
            ids = np.arange(ids.start, ids.stop, ids.step, dtype=np.int64)
        else:
            return None, int(ids.start), len(ids)
    ids = np.ascontiguousarray(ids, dtype=np.int64)  # ids must lie in [0, 2**32): the counter's word
    if ids.size == 0:  # an empty selection: nothing to draw
        return ids, 0, 0
    return ids, 0, int(ids.size)


class Stream:
    """A named random stream of one run: per-citizen counter-based draws.

    ``ids`` is an array of citizen ids (or any entity ids: units, classes), a ``range``, or
    ``None`` for ids ``0..n-1``. ``slot`` names what is drawn; two slots of one stream, or one
    slot in two streams, never share a number. Every method is vectorised and compiled.

    >>> s = Stream("demo", seed=7)
    >>> s.poisson(np.array([0.0, 2.5, 40.0]), tick=1, slot="x").tolist() == s.poisson(np.array([0.0, 2.5, 40.0]), 1, "x").tolist()
    True
    """

    __slots__ = ("name", "seed", "k0", "k1", "_slots")

    def __init__(self, name: str, seed: int):
        self.name = name
        self.seed = int(seed)
        k0, k1 = stream_key(seed, name)
        self.k0, self.k1 = np.uint32(k0), np.uint32(k1)
        self._slots: dict[str | int, int] = {}

    def __repr__(self) -> str:
        return f"Stream({self.name!r}, seed={self.seed})"

    def slot(self, name: str | int) -> int:
        s = self._slots.get(name)
        if s is None:
            s = slot_id(name)
            clash = [k for k, v in self._slots.items() if v == s]
            if clash:  # two names hashing to one slot would share numbers
                raise ValueError(f"stream {self.name}: slots {clash[0]!r} and {name!r} collide; rename one")
            self._slots[name] = s
        return s

    # -- uniforms ---------------------------------------------------------------------------
    def uniform(self, tick: int, slot: str | int, ids=None, n: int | None = None, sub: int = 0) -> np.ndarray:
        """One U(0, 1) double per id."""
        arr, start, m = _ids(ids, n)
        out = np.empty(m, np.float64)
        if m:
            _k("_k_uniform", m)(arr, start, m, np.uint32(sub), tick, self.slot(slot), self.k0, self.k1, out)
        return out

    def uniform2(self, tick: int, slot: str | int, ids=None, n: int | None = None, sub: int = 0) -> np.ndarray:
        """Two independent U(0, 1) doubles per id, shape ``(2, len(ids))`` (one Philox call)."""
        arr, start, m = _ids(ids, n)
        out = np.empty((2, m), np.float64)
        if m:
            _k("_k_uniform2", m)(arr, start, m, np.uint32(sub), tick, self.slot(slot), self.k0, self.k1, out)
        return out

    def uniform_pairs(self, tick: int, slot: str | int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """One U(0, 1) per pair ``(a[i], b[i])`` (edges): keyed by both ids."""
        # int32 ids (edge lists) are read as they are: the counter takes their values, not their width
        a, b = np.asarray(a), np.asarray(b)
        a = np.ascontiguousarray(a, dtype=a.dtype if a.dtype in (np.int32, np.int64) else np.int64)
        b = np.ascontiguousarray(b, dtype=b.dtype if b.dtype in (np.int32, np.int64) else np.int64)
        out = np.empty(a.size, np.float64)
        if a.size:
            _k("_k_uniform_pairs", a.size)(a, b, tick, self.slot(slot), self.k0, self.k1, out)
        return out

    def each(self, tick: int, slot: str | int, counts: np.ndarray, ids=None) -> np.ndarray:
        """For id ``i`` with ``counts[i]`` items (events to place, proposals to make), one uniform
        per item (sub-draws ``0..counts[i]-1``), concatenated in id order."""
        counts = np.ascontiguousarray(counts, dtype=np.int64)
        arr, start, m = _ids(ids, counts.size)
        first = np.zeros(m + 1, np.int64)
        np.cumsum(counts, out=first[1:])
        out = np.empty(int(first[-1]), np.float64)
        if out.size:
            _k("_k_each", int(first[-1]))(counts, first, arr, start, tick, self.slot(slot), self.k0, self.k1, out)
        return out

    def integers(self, tick: int, slot: str | int, high, ids=None, n: int | None = None) -> np.ndarray:
        """Uniform integers in ``[0, high)`` (``high`` a scalar or one per id), int64."""
        u = self.uniform(tick, slot, ids, n)
        h = np.asarray(high, np.int64)
        return np.minimum((u * h).astype(np.int64), np.maximum(h - 1, 0))

    # -- continuous -------------------------------------------------------------------------
    def normal(self, tick: int, slot: str | int, ids=None, n: int | None = None) -> np.ndarray:
        """Standard normal doubles (Box-Muller)."""
        arr, start, m = _ids(ids, n)
        out = np.empty(m, np.float64)
        if m:
            _k("_k_normal", m)(arr, start, m, tick, self.slot(slot), self.k0, self.k1, out)
        return out

    def gamma(self, tick: int, slot: str | int, shape, ids=None, n: int | None = None) -> np.ndarray:
        """Gamma(shape, 1) doubles (``shape`` a scalar or one per id)."""
        arr, start, m = _ids(ids, n)
        sh = np.ascontiguousarray(np.atleast_1d(np.asarray(shape, np.float64)))
        out = np.empty(m, np.float64)
        if m:
            _k("_k_gamma", m)(sh, arr, start, m, tick, self.slot(slot), self.k0, self.k1, out)
        return out

    def beta(self, tick: int, slot: str, a: float, b: float, ids=None, n: int | None = None) -> np.ndarray:
        """Beta(a, b) doubles, as X / (X + Y) of two gammas."""
        arr, start, m = _ids(ids, n)
        out = np.empty(m, np.float64)
        if m:
            _k("_k_beta", m)(float(a), float(b), arr, start, m, tick, self.slot(f"{slot}:a"), self.slot(f"{slot}:b"),
                    self.k0, self.k1, out)
        return out

    # -- counts -----------------------------------------------------------------------------
    def poisson(self, lam: np.ndarray, tick: int, slot: str | int, ids=None) -> np.ndarray:
        """Poisson counts (int32) with rates ``lam``, one per id (``ids`` as long as ``lam``)."""
        lam = np.asarray(lam)
        pos, counts = self.poisson_sparse(lam, tick, slot, ids)
        out = np.zeros(lam.size, np.int32)
        out[pos] = counts
        return out

    def poisson_sparse(self, lam: np.ndarray, tick: int, slot: str | int, ids=None) -> tuple[np.ndarray, np.ndarray]:
        """The same counts as :meth:`poisson`, as ``(positions, counts)`` of the non-zero ones
        (positions index ``lam``; sorted). Cheap for sparse events: no dense array is made."""
        lam = np.asarray(lam)
        arr, start, m = _ids(ids, lam.size)
        if m != lam.size:
            raise ValueError("poisson: ids and lam differ in length")
        if not m:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        lam64, p0 = _rates(lam)
        u = np.empty(m, np.float64)
        flag = np.empty(m, np.bool_)
        sl = self.slot(slot)
        _k("_k_poisson_pass", m)(lam64, p0, arr, start, tick, sl, self.k0, self.k1, u, flag)
        hits = _k("_k_compact", m)(flag, _blocks() if m >= PARALLEL_FROM else 1)
        counts = np.empty(hits.size, np.int32)
        if hits.size:
            _k("_k_poisson_tail", 8 * hits.size)(hits, lam64, p0, u, arr, start, tick, sl, self.k0, self.k1, counts)
            nz = counts > 0
            if not nz.all():  # rates of 40 and more can still draw 0
                hits, counts = hits[nz], counts[nz]
        return hits, counts

    def poisson_total(self, lam: np.ndarray, tick: int, slot: str | int, ids=None) -> int:
        """The sum of the Poisson counts :meth:`poisson` would draw, without storing them."""
        return int(self.poisson_sparse(lam, tick, slot, ids)[1].sum(dtype=np.int64))

    def thin(self, counts: np.ndarray, p, tick: int, slot: str | int, ids=None) -> tuple[np.ndarray, np.ndarray]:
        """Split each count by independent Bernoulli(p) trials: returns ``(failures, successes)``
        (int32); ``p`` a scalar or one per id."""
        counts = np.ascontiguousarray(counts, dtype=np.int32)
        arr, start, m = _ids(ids, counts.size)
        pp = np.ascontiguousarray(np.atleast_1d(np.asarray(p, np.float64)))
        kept = np.empty(m, np.int32)
        out = np.empty(m, np.int32)
        if m:
            _k("_k_thin", m)(counts, pp, arr, start, tick, self.slot(slot), self.k0, self.k1, kept, out)
        return kept, out

    def generator(self, tick: int = 0, slot: str | int = "generator") -> np.random.Generator:
        """A NumPy generator for a whole-population process that is not per citizen (drawing a
        social graph), seeded from this stream's key, the tick and the slot."""
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(
            [int(self.k0), int(self.k1), int(tick), self.slot(slot)])))


class StreamRegistry:
    """The streams of one run, by name; refuses a second claim on a name.

    >>> reg = StreamRegistry(seed=1)
    >>> reg.claim("people", owner="people").name
    'people'
    >>> reg.claim("people", owner="reference")
    Traceback (most recent call last):
    ...
    scsim.errors.ScenarioError: random stream 'people' is claimed by module 'reference' and by module 'people'; each module draws from streams of its own
    """

    def __init__(self, seed: int):
        self.seed = int(seed)
        self.owners: dict[str, str] = {}
        self.streams: dict[str, Stream] = {}

    def claim(self, name: str, owner: str) -> Stream:
        from ..errors import ScenarioError

        if name in self.owners:
            raise ScenarioError(f"random stream {name!r} is claimed by module {owner!r} and by module "
                                f"{self.owners[name]!r}; each module draws from streams of its own")
        self.owners[name] = owner
        s = self.streams[name] = Stream(name, self.seed)
        return s


def warm_up() -> None:
    """Compile or load both forms of every kernel (cached on disk after the first time)."""
    global PARALLEL_FROM
    keep = PARALLEL_FROM
    try:
        for PARALLEL_FROM in (1 << 62, 0):
            _exercise()
    finally:
        PARALLEL_FROM = keep


def _exercise() -> None:
    s = Stream("warm-up", 0)
    for dt in (np.float32, np.float64):
        lam = np.array([0.5, 60.0], dt)
        s.poisson(lam, 0, 0)
        s.poisson(lam, 0, 0, ids=np.array([1, 2]))
    s.uniform(0, 0, n=2)
    s.uniform(0, 0, ids=np.array([1, 2]))
    s.uniform2(0, 0, n=2)
    s.uniform2(0, 0, ids=np.array([1, 2]))
    s.uniform_pairs(0, 0, np.array([1]), np.array([2]))
    s.uniform_pairs(0, 0, np.array([1], np.int32), np.array([2], np.int32))
    s.normal(0, 0, n=2)
    s.gamma(0, 0, 0.5, n=2)
    s.gamma(0, 0, np.array([0.5, 2.0]), n=2)
    s.beta(0, "b", 2.0, 2.0, n=2)
    s.thin(np.array([2, 0], np.int32), 0.5, 0, 0)
    s.thin(np.array([2, 0], np.int32), 0.5, 0, 0, ids=np.array([3, 4]))
    s.each(0, 0, np.array([2, 1]))
    s.each(0, 0, np.array([2, 1]), ids=np.array([3, 4]))
