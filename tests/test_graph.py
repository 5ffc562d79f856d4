"""Tests of scsim.graph: the CSR contract, generators, edge-list import, statistics."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from scsim.graph import (
    Graph,
    GraphError,
    assortativity,
    barabasi_albert,
    dcsbm,
    erdos_renyi,
    largest_component_share,
    read_edge_list,
    watts_strogatz,
)

# 2020 census provincial populations (millions): realistic, very unequal region sizes
PROVINCES = np.array([
    126.0, 101.5, 99.4, 84.7, 83.7, 74.6, 66.4, 64.6, 61.0, 57.8, 50.1, 47.2, 45.2, 42.6, 41.5, 39.5,
    31.9, 34.9, 38.6, 32.1, 24.1, 25.0, 24.0, 25.9, 24.9, 21.9, 13.9, 10.1, 7.2, 5.9, 3.6,
])


@pytest.fixture(scope="module")
def fb(facebook_path):
    return read_edge_list(facebook_path)


def population(n: int, seed: int = 1):
    r = np.random.default_rng(seed)
    region = r.choice(PROVINCES.size, n, p=PROVINCES / PROVINCES.sum()).astype(np.int32)
    urban = (r.random(n) < 0.639).astype(np.int32)
    age = r.integers(18, 86, n).astype(np.int16)
    return region * 2 + urban, region, age


def assert_contract(g: Graph) -> None:
    """Independent check of the CSR contract (not relying on Graph.check)."""
    assert g.indices.dtype == np.int32
    assert g.indptr.dtype == np.int32  # every graph in these tests is far below 2**31 entries
    assert g.indptr[0] == 0 and g.indptr[-1] == g.indices.size
    assert np.all(np.diff(g.indptr) >= 0)
    n = g.n
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(g.indptr))
    assert not np.any(rows == g.indices), "self-loop"
    key = rows * n + g.indices
    assert np.all(np.diff(key) > 0), "indices unsorted within a row, or duplicated"
    a = g.to_scipy()
    assert a.dtype == np.float32 and a.shape == (n, n)
    assert (a != a.T).nnz == 0, "not symmetric"
    assert a.data.max(initial=1) == 1.0
    assert g.indices.size == 2 * g.n_edges
    np.testing.assert_array_equal(g.degree, np.diff(g.indptr))
    assert g.degree.dtype == np.int32
    g.check()


def mean_degree(g: Graph) -> float:
    return 2.0 * g.n_edges / g.n


# ---------------------------------------------------------------------------------------------
# the contract, for every way of making a graph


def _make(kind: str, seed: int) -> Graph:
    rng = np.random.default_rng(seed)
    if kind == "dcsbm":
        b, r, a = population(4000)
        return dcsbm(b, r, a, 12.0, rng)
    if kind == "ws":
        return watts_strogatz(3000, 8, 0.2, rng)
    if kind == "ba":
        return barabasi_albert(3000, 4, rng)
    if kind == "er":
        return erdos_renyi(3000, 7.0, rng)
    if kind == "edges":
        u = rng.integers(0, 500, 4000)
        v = rng.integers(0, 500, 4000)
        return Graph.from_edges(u, v, 500)
    raise AssertionError(kind)


KINDS = ["dcsbm", "ws", "ba", "er", "edges"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_generator_meets_the_csr_contract(kind):
    g = _make(kind, 3)
    assert g.n_edges > 0
    assert_contract(g)


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_graph_other_seed_other_graph(kind):
    a, b, c = _make(kind, 11), _make(kind, 11), _make(kind, 12)
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert not (a.indices.size == c.indices.size and np.array_equal(a.indices, c.indices))


def test_imported_graph_meets_the_contract(fb):
    g, _ = fb
    assert_contract(g)


# ---------------------------------------------------------------------------------------------
# from_edges, edges, persistence


def test_from_edges_merges_duplicates_both_directions_and_drops_self_loops():
    u = np.array([0, 1, 0, 0, 2, 3, 3, 4, 2])
    v = np.array([1, 0, 1, 2, 0, 3, 1, 4, 1])
    g = Graph.from_edges(u, v, 6)
    assert g.n == 6 and g.n_edges == 4
    assert g.neighbors(0).tolist() == [1, 2]
    assert g.neighbors(1).tolist() == [0, 2, 3]
    assert g.neighbors(4).tolist() == [] and g.neighbors(5).tolist() == []
    eu, ev = g.edges()
    assert list(zip(eu.tolist(), ev.tolist())) == [(0, 1), (0, 2), (1, 2), (1, 3)]
    assert_contract(g)


def test_from_edges_rejects_out_of_range_ids():
    with pytest.raises(ValueError):
        Graph.from_edges(np.array([0, 5]), np.array([1, 2]), 5)
    with pytest.raises(ValueError):
        Graph.from_edges(np.array([-1]), np.array([1]), 5)


def test_edges_once_each_and_round_trip():
    g = _make("er", 5)
    u, v = g.edges()
    assert u.size == g.n_edges and np.all(u < v)
    h = Graph.from_edges(v, u, g.n)  # reversed orientation gives the same graph
    np.testing.assert_array_equal(h.indptr, g.indptr)
    np.testing.assert_array_equal(h.indices, g.indices)


def test_save_load_round_trip(tmp_path):
    g = _make("dcsbm", 2)
    path = tmp_path / "graph.npz"
    g.save(path)
    h = Graph.load(path)
    assert h.indptr.dtype == g.indptr.dtype and h.indices.dtype == np.int32
    np.testing.assert_array_equal(h.indptr, g.indptr)
    np.testing.assert_array_equal(h.indices, g.indices)
    other = tmp_path / "graph.bin"  # the name is kept as given
    g.save(other)
    assert other.is_file() and Graph.load(other).n_edges == g.n_edges


def test_load_of_a_bad_file_is_a_graph_error(tmp_path):
    bad = tmp_path / "other.npz"
    np.savez(bad, x=np.arange(3))
    with pytest.raises(GraphError, match="other.npz"):
        Graph.load(bad)
    with pytest.raises(GraphError, match="nothere.npz"):
        Graph.load(tmp_path / "nothere.npz")


def test_indptr_dtype_follows_the_contract():
    g = Graph(np.array([0, 1, 2], dtype=np.int64), np.array([1, 0], dtype=np.int64))
    assert g.indptr.dtype == np.int32 and g.indices.dtype == np.int32
    with pytest.raises(ValueError):
        Graph(np.array([0, 1, 3]), np.array([1, 0]))


# ---------------------------------------------------------------------------------------------
# import of SNAP edge lists


def test_facebook_imports_to_the_published_counts(fb):
    g, ids = fb
    assert g.n == 4039
    assert g.n_edges == 88234
    assert ids.dtype == np.int64
    np.testing.assert_array_equal(ids, np.arange(4039))


def test_facebook_degrees_and_components_equal_networkx(fb, facebook_path):
    g, ids = fb
    h = nx.read_edgelist(facebook_path, nodetype=int, comments="#")
    assert h.number_of_nodes() == g.n and h.number_of_edges() == g.n_edges
    nx_deg = np.array([h.degree(int(i)) for i in ids])
    np.testing.assert_array_equal(g.degree, nx_deg)
    share = max(len(c) for c in nx.connected_components(h)) / h.number_of_nodes()
    assert largest_component_share(g) == pytest.approx(share)
    for i in (0, 107, 1684, 4038):
        assert g.neighbors(i).tolist() == sorted(int(x) for x in h.neighbors(int(ids[i])))
    assert assortativity(g, g.degree) == pytest.approx(nx.degree_assortativity_coefficient(h), abs=1e-9)


def test_messy_edge_list(tmp_path):
    p = tmp_path / "messy.txt"
    p.write_text(
        "# a comment\n"
        "% another comment\n"
        "\n"
        "10 20\n"
        "20\t10\n"  # the same pair, other direction
        "10 20\n"  # and again
        "5 5\n"  # self-loop: dropped, node kept
        "-3   10\n"
        "100\t20\textra columns 1.5\n"
        "  7 8  \r\n"
        "1000000000000 8\n"
    )
    g, ids = read_edge_list(p)
    assert ids.tolist() == [-3, 5, 7, 8, 10, 20, 100, 1000000000000]
    assert g.n == 8 and g.n_edges == 5
    u, v = g.edges()
    pairs = {tuple(sorted((int(ids[a]), int(ids[b])))) for a, b in zip(u, v)}
    assert pairs == {(10, 20), (-3, 10), (20, 100), (7, 8), (8, 1000000000000)}
    assert g.degree[ids.tolist().index(5)] == 0
    assert_contract(g)


def _graph_error(tmp_path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(GraphError) as info:
        read_edge_list(p)
    msg = str(info.value)
    assert "\n" not in msg
    assert name in msg
    return msg


def test_bad_token_names_file_and_line(tmp_path):
    text = "# header\n\n0 1\n1 2\n% note\n2 x\n3 4\n"
    msg = _graph_error(tmp_path, "edges.txt", text)
    assert "line 6" in msg and "'2 x'" in msg and "integer" in msg


def test_single_column_names_file_and_line(tmp_path):
    msg = _graph_error(tmp_path, "single.txt", "0 1\n1 2\n3\n4 5\n")
    assert "line 3" in msg


def test_float_id_names_file_and_line(tmp_path):
    msg = _graph_error(tmp_path, "floats.txt", "0 1\n1 2.5\n")
    assert "line 2" in msg


def test_huge_id_names_file_and_line(tmp_path):
    msg = _graph_error(tmp_path, "huge.txt", "0 1\n1 2\n2 99999999999999999999999\n")
    assert "line 3" in msg


def test_empty_and_self_loop_only_lists_are_errors(tmp_path):
    _graph_error(tmp_path, "empty.txt", "# nothing here\n\n")
    _graph_error(tmp_path, "blank.txt", "")
    _graph_error(tmp_path, "loops.txt", "1 1\n2 2\n")


def test_missing_file_is_a_graph_error(tmp_path):
    with pytest.raises(GraphError, match="does_not_exist.txt"):
        read_edge_list(tmp_path / "does_not_exist.txt")
    with pytest.raises(GraphError, match=tmp_path.name):
        read_edge_list(tmp_path)  # a folder


# ---------------------------------------------------------------------------------------------
# the degree-corrected block model


@pytest.fixture(scope="module")
def pop50k():
    return population(50_000, seed=4)


def _within(g: Graph, region) -> float:
    u, v = g.edges()
    return float(np.mean(region[u] == region[v]))


@pytest.mark.parametrize("within,homophily", [(0.85, 0.5), (0.5, 0.5), (0.85, 1.0)])
def test_dcsbm_mean_degree_and_within_region_share(pop50k, within, homophily):
    b, r, a = pop50k
    g = dcsbm(b, r, a, 20.0, np.random.default_rng(7), within_region=within, age_homophily=homophily)
    assert g.n == 50_000
    assert mean_degree(g) == pytest.approx(20.0, rel=0.05)
    assert _within(g, r) == pytest.approx(within, abs=0.03)


def test_dcsbm_other_mean_degree_and_heavy_tail(pop50k):
    b, r, a = pop50k
    g = dcsbm(b, r, a, 8.0, np.random.default_rng(1), degree_sigma=1.0)
    assert mean_degree(g) == pytest.approx(8.0, rel=0.05)
    d = g.degree
    assert d.max() > 10 * d.mean()  # log-normal weights give hubs
    flat = dcsbm(b, r, a, 8.0, np.random.default_rng(1), degree_sigma=0.0)
    assert flat.degree.max() < 40  # ~Poisson(8) without weight spread
    assert flat.degree.std() < 0.5 * d.std()


def test_age_homophily_raises_age_correlation(pop50k):
    b, r, a = pop50k
    none = assortativity(dcsbm(b, r, a, 20.0, np.random.default_rng(3), age_homophily=0.0), a)
    some = assortativity(dcsbm(b, r, a, 20.0, np.random.default_rng(3), age_homophily=0.5), a)
    full = assortativity(dcsbm(b, r, a, 20.0, np.random.default_rng(3), age_homophily=1.0), a)
    assert abs(none) < 0.03
    assert some > none + 0.2
    assert full > some + 0.2


def test_dcsbm_respects_the_degree_cap(pop50k):
    b, r, a = pop50k
    g = dcsbm(b, r, a, 20.0, np.random.default_rng(5), max_degree=40)
    assert g.degree.max() <= 40
    assert mean_degree(g) == pytest.approx(20.0, rel=0.05)
    heavy = dcsbm(b, r, a, 10.0, np.random.default_rng(5), degree_sigma=2.0, max_degree=100)
    assert heavy.degree.max() <= 100
    assert np.sum(heavy.degree == 100) > 0  # the cap binds
    assert_contract(heavy)


def test_dcsbm_accepts_arbitrary_ids_and_checks_blocks():
    n = 3000
    rng = np.random.default_rng(0)
    region = np.array([-7, 12, 400])[np.arange(n) % 3]
    block = region * 10 + (np.arange(n) % 2)
    age = rng.uniform(18, 85, n)
    g = dcsbm(block, region, age, 10.0, np.random.default_rng(2))
    assert_contract(g)
    assert _within(g, region) == pytest.approx(0.85, abs=0.05)
    one = dcsbm(np.zeros(n, int), np.zeros(n, int), age, 10.0, np.random.default_rng(2))
    assert mean_degree(one) == pytest.approx(10.0, rel=0.05)
    with pytest.raises(ValueError):
        dcsbm(np.zeros(n, int), region, age, 10.0, np.random.default_rng(2))  # block spans regions


# ---------------------------------------------------------------------------------------------
# the other generators


def test_watts_strogatz_lattice_and_mean_degree():
    lattice = watts_strogatz(100, 6, 0.0, np.random.default_rng(0))
    assert lattice.neighbors(0).tolist() == [1, 2, 3, 97, 98, 99]
    assert np.all(lattice.degree == 6)
    g = watts_strogatz(20_000, 10, 0.3, np.random.default_rng(0))
    assert mean_degree(g) == pytest.approx(10.0, abs=0.01)
    u, v = g.edges()
    ring = np.minimum((v - u) % g.n, (u - v) % g.n)
    assert np.mean(ring > 5) == pytest.approx(0.3, abs=0.02)  # share of rewired edges
    half = g.n // 2  # rewired ends land uniformly: both halves keep mean degree k
    assert g.degree[:half].mean() == pytest.approx(g.degree[half:].mean(), rel=0.02)


def test_barabasi_albert_mean_degree_and_tail():
    n, m = 20_000, 3
    g = barabasi_albert(n, m, np.random.default_rng(0))
    assert mean_degree(g) == pytest.approx(2 * m * (n - m) / n, rel=0.005)
    assert g.degree.min() >= 1
    assert np.mean(g.degree >= m) > 0.999
    h = nx.barabasi_albert_graph(n, m, seed=0)
    nx_deg = np.array([d for _, d in h.degree()])
    assert np.mean(g.degree == m) == pytest.approx(np.mean(nx_deg == m), abs=0.02)
    assert g.degree.max() > 100  # preferential attachment makes hubs


def test_erdos_renyi_mean_degree_and_poisson_degrees():
    g = erdos_renyi(20_000, 10.0, np.random.default_rng(0))
    assert mean_degree(g) == pytest.approx(10.0, rel=0.03)
    assert g.degree.var() == pytest.approx(10.0, rel=0.1)
    assert g.degree.max() < 35
    half = g.n // 2
    assert g.degree[:half].mean() == pytest.approx(g.degree[half:].mean(), rel=0.03)


def test_generators_run_fast_enough():
    import time

    t = time.perf_counter()
    barabasi_albert(100_000, 3, np.random.default_rng(0))
    erdos_renyi(100_000, 10.0, np.random.default_rng(0))
    watts_strogatz(100_000, 10, 0.1, np.random.default_rng(0))
    assert time.perf_counter() - t < 4.0


# ---------------------------------------------------------------------------------------------
# statistics


def test_assortativity_equals_networkx_and_corrcoef():
    g = erdos_renyi(400, 6.0, np.random.default_rng(9))
    x = np.random.default_rng(1).normal(size=g.n) + 0.01 * np.arange(g.n)
    h = nx.Graph()
    h.add_nodes_from((i, {"x": float(x[i])}) for i in range(g.n))
    h.add_edges_from(zip(*(a.tolist() for a in g.edges())))
    expect = nx.numeric_assortativity_coefficient(h, "x")
    assert assortativity(g, x) == pytest.approx(expect, abs=1e-9)
    u, v = g.edges()
    both = np.corrcoef(np.concatenate([x[u], x[v]]), np.concatenate([x[v], x[u]]))[0, 1]
    assert assortativity(g, x) == pytest.approx(both, abs=1e-9)
    assert assortativity(g, np.ones(g.n)) != assortativity(g, np.ones(g.n))  # NaN, no variation


def test_assortativity_of_a_perfectly_sorted_graph():
    # edges only between equal values: +1; only between opposite values: -1
    same = Graph.from_edges(np.array([0, 2]), np.array([1, 3]), 4)
    assert assortativity(same, np.array([1.0, 1.0, 5.0, 5.0])) == pytest.approx(1.0)
    assert assortativity(same, np.array([1.0, 5.0, 1.0, 5.0])) == pytest.approx(-1.0)


def test_largest_component_share():
    g = Graph.from_edges(np.array([0, 1, 2, 3, 4, 5]), np.array([1, 2, 0, 4, 5, 3]), 7)
    assert largest_component_share(g) == pytest.approx(3 / 7)
    sparse = erdos_renyi(2000, 1.2, np.random.default_rng(4))
    h = nx.Graph()
    h.add_nodes_from(range(sparse.n))
    h.add_edges_from(zip(*(a.tolist() for a in sparse.edges())))
    expect = max(len(c) for c in nx.connected_components(h)) / sparse.n
    assert largest_component_share(sparse) == pytest.approx(expect)
    assert 0.05 < expect < 0.9
