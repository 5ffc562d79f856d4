"""Social graphs (MODEL.md section 3): the CSR type, generators, edge-list import, edits,
statistics and the compiled kernels behind them.

>>> import numpy as np
>>> g = Graph.from_edges(np.array([0, 1]), np.array([1, 2]), 3)
>>> g, g.degree.tolist()
(Graph(n=3, n_edges=2), [1, 2, 1])
"""
from .csr import Graph, GraphError
from .edits import find_in_rows, insert_entries, remove_entries
from .generators import AGE_WINDOW, AGE_WINDOW_MIN_NODES, barabasi_albert, dcsbm, erdos_renyi, watts_strogatz
from .io import read_edge_list
from .stats import assortativity, giant_component_share, largest_component_share, weighted_assortativity

__all__ = ["Graph", "GraphError", "dcsbm", "watts_strogatz", "barabasi_albert", "erdos_renyi", "read_edge_list",
           "largest_component_share", "giant_component_share", "assortativity", "weighted_assortativity",
           "find_in_rows", "insert_entries", "remove_entries", "AGE_WINDOW", "AGE_WINDOW_MIN_NODES"]
