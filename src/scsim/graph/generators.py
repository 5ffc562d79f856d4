"""Graph generators (MODEL.md section 3): a degree-corrected stochastic block model with regions
and age homophily (the default), Watts-Strogatz, Barabasi-Albert and Erdos-Renyi, each into a
`Graph` in NumPy. Each takes its random numbers from a `numpy.random.Generator` (a run gives the
generator of its ``graph`` stream).
"""

from __future__ import annotations

import numpy as np

from .csr import (_CHUNK, _INT32_MAX, Graph, _cap_degrees, _dense_ids, _graph_from_sorted_keys, _merge_keys,
                  _sorted_unique_keys, _within_share)

# Age homophily window of `dcsbm` (see its docstring): standard deviation of the partner offset
# along a block's age order, as a share of the block's tie mass, and a floor in nodes so that
# small blocks do not collapse into cliques.
AGE_WINDOW = 0.05
AGE_WINDOW_MIN_NODES = 20


def dcsbm(
    block: np.ndarray,
    region: np.ndarray,
    age: np.ndarray,
    mean_degree: float,
    rng: np.random.Generator,
    *,
    degree_sigma: float = 1.0,
    within_region: float = 0.85,
    age_homophily: float = 0.5,
    max_degree: int = 5000,
) -> Graph:
    """Degree-corrected stochastic block model (Chung-Lu style) with regions and age homophily.

    Node weights ``theta ~ LogNormal(0, degree_sigma)`` give expected degrees
    ``d_i = min(s * theta_i, max_degree)`` with ``s`` fixed so that ``mean(d) = mean_degree``.

    Sampling works on "stubs". Nodes are sorted by (region, block, age, random tie-break); each
    node holds ``round_stochastic(d_i)`` target stubs laid out in that order (array ``T``), so a
    uniformly random position of ``T`` (or of a contiguous range of it) is a node drawn with
    probability proportional to ``d_i`` (within that range). Each node emits
    ``Poisson(d_i / 2)`` source stubs; each source stub draws its partner:

    * with probability ``1 - within_region``: uniformly from the target stubs of all *other*
      regions (an out-of-region tie);
    * with probability ``within_region * age_homophily``: an *age-local* tie inside the node's
      own block (region x urban): the partner's stub position is the node's own position plus a
      Normal offset with standard deviation ``max(AGE_WINDOW * block stubs,
      AGE_WINDOW_MIN_NODES * mean stubs per node of the block)``, reflected at the ends of the
      block's range, so partners are near in age and still drawn proportionally to weight;
    * otherwise: uniformly from the target stubs of the node's region (all its blocks).

    So ``within_region`` is the share of ties inside the region whatever ``age_homophily`` is,
    and the expected degree of node i is ``d_i``. Self-loops are dropped, multi-edges merged, and
    any node whose realised degree exceeds ``max_degree`` loses random edges down to the cap.
    These losses fall mostly on the dense within-region (age-local) ties, so further rounds of
    the same process top up within-region and out-of-region ties separately, each by its own
    shortfall against ``n * mean_degree / 2`` edges split by ``within_region`` (until neither is
    short by more than 0.3% of the total; at most 4 top-ups, usually 0-2). With one region only,
    every tie is within it.

    ``block`` and ``region`` are integer ids per node (any values); every block must lie inside
    one region. ``age`` is any numeric array. Deterministic given ``rng``.
    """
    block = np.asarray(block)
    region = np.asarray(region)
    age = np.asarray(age)
    n = int(block.size)
    if block.ndim != 1 or region.shape != block.shape or age.shape != block.shape:
        raise ValueError("dcsbm: block, region and age must be 1-D arrays of the same length")
    if n < 2 or n > _INT32_MAX:
        raise ValueError(f"dcsbm: need 2 <= n < 2**31 nodes, got {n}")
    if not (0 < mean_degree < n - 1):
        raise ValueError(f"dcsbm: mean_degree must be in (0, n-1), got {mean_degree}")
    if not (0.0 <= within_region <= 1.0 and 0.0 <= age_homophily <= 1.0):
        raise ValueError("dcsbm: within_region and age_homophily must be in [0, 1]")
    if degree_sigma < 0:
        raise ValueError("dcsbm: degree_sigma must be >= 0")
    if max_degree < mean_degree:
        raise ValueError("dcsbm: max_degree must be >= mean_degree")
    if not np.all(np.isfinite(age)):
        raise ValueError("dcsbm: age must be finite")

    # --- blocks ordered by region, nodes ordered by (block, age, random) ---------------------
    rcode, nr = _dense_ids(region)
    bcode, nb = _dense_ids(block)
    breg = np.zeros(nb, dtype=np.int32)
    breg[bcode] = rcode
    if np.any(breg[bcode] != rcode):
        raise ValueError("dcsbm: every block must lie inside one region")
    border = np.lexsort((np.arange(nb), breg))
    brank = np.empty(nb, dtype=np.int64)
    brank[border] = np.arange(nb)
    breg = breg[border]  # region of each block rank, non-decreasing

    amin, amax = float(age.min()), float(age.max())
    age_bits = 20
    ageq = ((age.astype(np.float64) - amin) * ((2**age_bits - 1) / max(amax - amin, 1e-12)))
    ageq = ageq.astype(np.int64)
    bbits = max(int(nb - 1).bit_length(), 1)
    rbits = 63 - bbits - age_bits
    key = (brank[bcode] << (63 - bbits)) | (ageq << rbits)
    key |= rng.integers(0, 2**rbits, n, dtype=np.int64)
    order = np.argsort(key).astype(np.int32)
    del key, ageq
    blk_s = brank[bcode][order].astype(np.int32)  # block rank by sorted position
    bpos = np.searchsorted(blk_s, np.arange(nb + 1))  # node ranges of blocks
    rpos = bpos[np.searchsorted(breg, np.arange(nr + 1))]  # node ranges of regions

    # --- expected degrees ----------------------------------------------------------------------
    theta = rng.lognormal(0.0, float(degree_sigma), n)
    theta /= theta.mean()
    scale = float(mean_degree)
    for _ in range(200):  # monotone fixed point: the capped mean never overshoots
        d = np.minimum(theta * scale, float(max_degree))
        m = d.mean()
        if abs(m - mean_degree) <= 1e-6 * mean_degree:
            break
        scale *= mean_degree / m
    d_s = d[order]  # by sorted position
    del theta, d

    # --- target stubs ------------------------------------------------------------------------
    c_t = np.floor(d_s + rng.random(n)).astype(np.int64)
    t_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(c_t, out=t_start[1:])
    targets = np.repeat(order, c_t)
    total = int(t_start[-1])
    if total == 0:
        raise ValueError("dcsbm: no target stubs (mean_degree too small)")
    b_lo = t_start[bpos[:-1]]
    b_len = t_start[bpos[1:]] - b_lo
    r_lo = t_start[rpos[:-1]]
    r_len = t_start[rpos[1:]] - r_lo
    nodes_b = np.diff(bpos)
    b_sigma = np.maximum(AGE_WINDOW * b_len, AGE_WINDOW_MIN_NODES * b_len / np.maximum(nodes_b, 1))

    wr = float(within_region) if nr > 1 else 1.0  # one region: every tie is inside it
    target_edges = n * mean_degree / 2.0
    region_s = rcode  # region code by node id, to measure the realised within-region share

    def draw(frac: float, t_out: float, t_age: float) -> np.ndarray:
        """Sorted unique keys of one round with Poisson(frac * d_i / 2) source stubs per node;
        a stub's tie is out of region if u < t_out, age-local if t_out <= u < t_age, else
        within region."""
        c_s = rng.poisson(d_s * (0.5 * frac))
        k_tot = int(c_s.sum())
        keys = np.empty(2 * k_tot, dtype=np.int64)
        cum = np.cumsum(c_s)
        cuts = np.searchsorted(cum, np.arange(_CHUNK, k_tot, _CHUNK), side="right")
        edges_nodes = np.concatenate([[0], cuts, [n]])
        off = 0
        for p0, p1 in zip(edges_nodes[:-1], edges_nodes[1:]):
            pos = np.repeat(np.arange(p0, p1, dtype=np.int64), c_s[p0:p1])
            k = pos.size
            if k == 0:
                continue
            b = blk_s[pos]
            r = breg[b]
            lo = r_lo[r]
            ln = r_len[r]
            u = rng.random(k)
            x = np.empty(k, dtype=np.int64)
            # within-region, uniform over the region's target stubs
            w = np.flatnonzero(u >= t_age)
            uw = (u[w] - t_age) / (1.0 - t_age) if w.size else u[w]
            x[w] = lo[w] + np.floor(uw * ln[w]).astype(np.int64)
            # out of region, uniform over the other regions' target stubs
            o = np.flatnonzero(u < t_out)
            if o.size:
                lno = total - ln[o]
                j = np.floor((u[o] / t_out) * lno).astype(np.int64)
                j = np.minimum(j, np.maximum(lno - 1, 0))
                x[o] = j + (j >= lo[o]) * ln[o]
                alone = o[lno == 0]  # the region holds every target stub: stay inside
                x[alone] = lo[alone] + np.floor(u[alone] / t_out * ln[alone]).astype(np.int64)
            # age-local inside the block
            a = np.flatnonzero((u >= t_out) & (u < t_age))
            if a.size:
                pa = pos[a]
                ba = b[a]
                blo = b_lo[ba]
                bln = b_len[ba]
                centre = (t_start[pa] - blo) + 0.5 * c_t[pa]
                y = centre + rng.standard_normal(a.size) * b_sigma[ba]
                np.abs(y, out=y)  # reflect at the block's ends
                span = bln.astype(np.float64)
                far = np.flatnonzero(y >= span)
                if far.size:
                    sp = np.maximum(span[far], 1.0)
                    yf = np.fmod(y[far], 2.0 * sp)
                    y[far] = np.minimum(np.where(yf >= sp, 2.0 * sp - yf, yf), sp - 1.0)
                x[a] = blo + y.astype(np.int64)
                empty = bln == 0  # fall back to the region
                x[a[empty]] = lo[a[empty]] + np.floor(u[a[empty]] * ln[a[empty]]).astype(np.int64)
            # regions without target stubs: anywhere
            none = np.flatnonzero(ln == 0)
            if none.size:
                x[none] = np.floor(u[none] * total).astype(np.int64)
            np.clip(x, 0, total - 1, out=x)
            src = order[pos]
            dst = targets[x]
            fwd = keys[off : off + k]
            rev = keys[k_tot + off : k_tot + off + k]
            np.left_shift(src, 32, out=fwd, dtype=np.int64)
            fwd |= dst
            np.left_shift(dst, 32, out=rev, dtype=np.int64)
            rev |= src
            loops = src == dst
            fwd[loops] = -1
            rev[loops] = -1
            off += k
        return _sorted_unique_keys(keys)

    # Round 0 draws the design mix. Self-loops, merged multi-edges and the cap lose ties, mostly
    # dense (within-region, age-local) ones, so later rounds top up each kind by its own
    # shortfall, scaled by its observed keep rate, until neither kind is short by more than
    # 0.3% of the target edge count (at most 4 top-ups).
    want_w, want_o = wr * target_edges, (1.0 - wr) * target_edges
    keys = np.empty(0, dtype=np.int64)
    drawn_w = drawn_o = 0.0
    frac_w, frac_o = wr, 1.0 - wr
    for round_ in range(5):
        if round_ > 0:
            have = keys.size / 2.0
            w_share = _within_share(keys, region_s)
            have_w, have_o = have * w_share, have * (1.0 - w_share)
            short_w, short_o = want_w - have_w, want_o - have_o
            tol = 0.003 * target_edges
            if short_w <= tol and short_o <= tol:
                break
            frac_w = max(short_w, 0.0) / max(have_w / drawn_w, 0.2) / target_edges if drawn_w else 0.0
            frac_o = max(short_o, 0.0) / max(have_o / drawn_o, 0.2) / target_edges if drawn_o else 0.0
        frac = frac_w + frac_o
        if frac <= 0.0:
            break
        t_out = frac_o / frac
        t_age = t_out + (1.0 - t_out) * age_homophily
        new = draw(frac, t_out, t_age)
        keys = _cap_degrees(_merge_keys(keys, new) if keys.size else new, n, max_degree, rng)
        drawn_w += frac_w * target_edges
        drawn_o += frac_o * target_edges
    return _graph_from_sorted_keys(keys, n)


def watts_strogatz(n: int, k: int, p: float, rng: np.random.Generator) -> Graph:
    """Watts-Strogatz small world: ring lattice with ``k`` (even) neighbours, each edge's far
    end rewired with probability ``p`` to a uniform node; rewirings that would create a
    self-loop or duplicate are redrawn (up to 10 rounds; any left are dropped)."""
    n, k = int(n), int(k)
    if k % 2 or k < 0 or (n > 0 and k >= n):
        raise ValueError(f"watts_strogatz: k must be even and 0 <= k < n, got n={n}, k={k}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"watts_strogatz: p must be in [0, 1], got {p}")
    h = k // 2
    u = np.repeat(np.arange(n, dtype=np.int64), h)
    v = (u + np.tile(np.arange(1, h + 1, dtype=np.int64), n)) % n
    rew = np.flatnonzero(rng.random(u.size) < p)
    v[rew] = rng.integers(0, n, rew.size)
    is_rew = np.zeros(u.size, dtype=bool)
    is_rew[rew] = True
    for _ in range(10):
        key = np.minimum(u, v) * n + np.maximum(u, v)
        order = np.lexsort((is_rew, key))  # lattice edges first among equal keys
        ks = key[order]
        bad = order[1:][ks[1:] == ks[:-1]]
        bad = np.union1d(bad, np.flatnonzero(u == v))
        bad = bad[is_rew[bad]]
        if bad.size == 0:
            break
        v[bad] = rng.integers(0, n, bad.size)
    return Graph.from_edges(u, v, n)


def barabasi_albert(n: int, m: int, rng: np.random.Generator) -> Graph:
    """Barabasi-Albert preferential attachment, as networkx: a star on nodes ``0..m`` (centre
    0), then each node ``v > m`` attaches ``m`` edges to distinct earlier nodes chosen with
    probability proportional to degree.

    Vectorised Batagelj-Brandes: the list ``M`` of edge endpoints holds, for the edge slot ``s``
    of node v, ``M[2s] = v`` and ``M[2s+1] = M[r]`` with ``r`` uniform over the list as it stood
    before node v (``r < 2*m*(v-m)``). All ``r`` are drawn at once and the chains of references
    are resolved by pointer doubling. A pick that repeats an earlier pick of the same node is
    redrawn the same way (up to 10 rounds; any left over are merged, so the edge count can fall
    a hair short of ``m * (n - m)``). Mean degree ``~ 2m``.
    """
    n, m = int(n), int(m)
    if m < 1 or m >= n:
        raise ValueError(f"barabasi_albert: need 1 <= m < n, got n={n}, m={m}")
    n_new = n - m - 1
    s_tot = m + n_new * m  # star edges, then m edge slots per new node
    src = np.empty(s_tot, dtype=np.int64)
    src[:m] = 0
    src[m:] = np.repeat(np.arange(m + 1, n, dtype=np.int64), m)
    hi = 2 * m * (src - m)  # exclusive bound of r per slot (new nodes)
    val = np.empty(2 * s_tot, dtype=np.int64)  # endpoint value where known
    val[0::2] = src
    val[1 : 2 * m : 2] = np.arange(1, m + 1)  # star leaves
    ref = np.arange(2 * s_tot, dtype=np.int64)  # known entries point at themselves
    r = np.floor(rng.random(s_tot - m) * hi[m:]).astype(np.int64)
    ref[2 * m + 1 :: 2] = r
    odd = ref[2 * m + 1 :: 2]  # a view: references of the new nodes' picks
    while True:
        # unresolved: pointing at another new node's pick (odd and past the star)
        pending = np.flatnonzero((odd & 1).astype(bool) & (odd > 2 * m))
        if pending.size == 0:
            break
        odd[pending] = ref[odd[pending]]  # pointer doubling
    target = val[ref[1::2]]
    for _ in range(10):
        key = src * n + target
        order = np.argsort(key, kind="stable")
        ks = key[order]
        bad = order[1:][ks[1:] == ks[:-1]]
        if bad.size == 0:
            break
        rr = np.floor(rng.random(bad.size) * hi[bad]).astype(np.int64)
        target[bad] = val[ref[rr]]
    return Graph.from_edges(src, target, n)


def erdos_renyi(n: int, mean_degree: float, rng: np.random.Generator) -> Graph:
    """G(n, p) with ``p = mean_degree / (n - 1)``: the edge count is drawn from
    Binomial(n(n-1)/2, p), then that many distinct uniform pairs (first occurrences in draw
    order of uniformly drawn pairs, so the edge set is uniform given its size)."""
    n = int(n)
    if n < 2:
        raise ValueError(f"erdos_renyi: need n >= 2, got {n}")
    p = float(mean_degree) / (n - 1)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"erdos_renyi: mean_degree must be in [0, n-1], got {mean_degree}")
    pairs = n * (n - 1) // 2
    m = int(rng.binomial(pairs, p))
    kept = np.empty(0, dtype=np.int64)
    for _ in range(200):
        need = m - kept.size
        if need <= 0:
            break
        batch = int(need * (1.0 + 2.0 * m / pairs) + 16)
        a = rng.integers(0, n, batch, dtype=np.int64)
        b = rng.integers(0, n, batch, dtype=np.int64)
        ok = a != b
        new = np.minimum(a[ok], b[ok]) * n + np.maximum(a[ok], b[ok])
        both = np.concatenate([kept, new])
        _, first = np.unique(both, return_index=True)
        kept = both[np.sort(first)][:m]
    return Graph.from_edges(kept // n, kept % n, n)


