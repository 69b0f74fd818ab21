"""Batch assignment: many open requests x many caregivers -> the best one-to-one assignment.

Model. A bipartite graph with an edge (request, caregiver) for every hard-feasible pair, found
with the candidate index (so the graph is sparse: only nearby, skilled, available caregivers).
Each caregiver takes at most one request of the batch (a recurring visit is one request with
several windows), each request gets at most one caregiver. The objective is lexicographic:
first serve as many requests as possible, then maximise the total match score. It is encoded
as one weight per edge, M + score with M = number of requests + 1, so one more served request
always outweighs any score difference.

Solvers (both exact on this model):
- `matching`: scipy's sparse LAPJV (`min_weight_full_bipartite_matching`) on the graph plus
  one private "unassigned" column per request. Runs in a worker thread; when the time limit
  passes first, a greedy solution is returned instead, flagged `optimal=False`.
- `milp`: scipy's HiGHS MILP on the same edges (one binary per edge, degree <= 1 per side),
  with HiGHS's own time limit; on timeout it returns HiGHS's best incumbent (or the greedy one),
  flagged `optimal=False`.
"""

from __future__ import annotations

import concurrent.futures
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

from homecare_matching.index import CandidateIndex
from homecare_matching.model import CareRequest

Solver = Literal["matching", "milp"]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="assign")


@dataclass
class Graph:
    """Edges as parallel arrays: request position, caregiver row, score."""

    requests: IntArray
    caregivers: IntArray
    scores: FloatArray
    n_requests: int

    @property
    def size(self) -> int:
        return len(self.scores)


@dataclass
class Assignment:
    pairs: dict[int, int]  # request position -> caregiver row
    scores: dict[int, float]
    optimal: bool
    time_limit_reached: bool
    solver: str
    edges: int
    seconds: float = 0.0
    graph_seconds: float = 0.0
    unassigned: list[int] = field(default_factory=list)

    @property
    def total_score(self) -> float:
        return float(sum(self.scores.values()))


def candidate_graph(index: CandidateIndex, requests: list[CareRequest]) -> Graph:
    parts_r, parts_c, parts_s = [], [], []
    for position, request in enumerate(requests):
        found = index.feasible(request)
        scores = index.scores(request, found.rows, found.distances)
        parts_r.append(np.full(len(found.rows), position, dtype=np.int64))
        parts_c.append(found.rows)
        parts_s.append(scores)
    if not parts_r:
        empty = np.empty(0, dtype=np.int64)
        return Graph(empty, empty, np.empty(0), 0)
    return Graph(
        np.concatenate(parts_r), np.concatenate(parts_c), np.concatenate(parts_s), len(requests)
    )


def _weights(graph: Graph) -> FloatArray:
    big = graph.n_requests + 1.0
    weights: FloatArray = big + graph.scores
    return weights


def objective(graph: Graph, pairs: dict[int, int]) -> float:
    """Value of an assignment under the lexicographic objective (for comparisons and tests)."""
    score = {(int(r), int(c)): float(s) for r, c, s in zip(*_edge_lists(graph), strict=True)}
    big = graph.n_requests + 1.0
    return sum(big + score[(r, c)] for r, c in pairs.items())


def _edge_lists(graph: Graph) -> tuple[list[int], list[int], list[float]]:
    return graph.requests.tolist(), graph.caregivers.tolist(), graph.scores.tolist()


def greedy(graph: Graph) -> dict[int, int]:
    """Locally-dominant greedy (same answer as heaviest-edge-first), vectorised in rounds.

    Each round every open request proposes its best open edge; every caregiver keeps its best
    proposal. A fast feasible answer for when the exact solver runs past the time limit.
    """
    req, cg, score = graph.requests, graph.caregivers, graph.scores
    alive = np.ones(graph.size, dtype=bool)
    pairs: dict[int, int] = {}
    while alive.any():
        edges = np.flatnonzero(alive)
        # best edge per request: sort by (request, -score, caregiver), take the first per request
        order = edges[np.lexsort((cg[edges], -score[edges], req[edges]))]
        first = np.ones(len(order), dtype=bool)
        first[1:] = req[order][1:] != req[order][:-1]
        proposals = order[first]
        # each caregiver accepts its best proposal
        order = proposals[np.lexsort((req[proposals], -score[proposals], cg[proposals]))]
        first = np.ones(len(order), dtype=bool)
        first[1:] = cg[order][1:] != cg[order][:-1]
        accepted = order[first]
        pairs.update(zip(req[accepted].tolist(), cg[accepted].tolist(), strict=True))
        done_r = np.zeros(graph.n_requests, dtype=bool)
        done_r[req[accepted]] = True
        taken = np.isin(cg, cg[accepted])
        alive &= ~done_r[req] & ~taken
    return pairs


def _solve_component(graph: Graph, edges: IntArray, big: float) -> dict[int, int]:
    """Exact LAPJV on one connected component of the graph (edge indices `edges`)."""
    req_ids, row_of = np.unique(graph.requests[edges], return_inverse=True)
    cg_ids, col_of = np.unique(graph.caregivers[edges], return_inverse=True)
    n, m = len(req_ids), len(cg_ids)
    if n == 1:  # one request: its best edge
        best = edges[np.lexsort((graph.caregivers[edges], -graph.scores[edges]))[0]]
        return {int(graph.requests[best]): int(graph.caregivers[best])}
    # cost = (M + 1) - weight > 0 keeps every real edge non-zero (sparse zero = no edge);
    # the private unassigned column of each request costs M + 1 (weight 0).
    cost_real = (big + 1.0) - (big + graph.scores[edges])
    rows = np.concatenate((row_of, np.arange(n)))
    cols = np.concatenate((col_of, m + np.arange(n)))
    data = np.concatenate((cost_real, np.full(n, big + 1.0)))
    matrix = csr_matrix(coo_matrix((data, (rows, cols)), shape=(n, m + n)))
    matched = min_weight_full_bipartite_matching(matrix)[1]
    return {int(req_ids[r]): int(cg_ids[c]) for r, c in enumerate(matched.tolist()) if c < m}


def _solve_matching(graph: Graph) -> dict[int, int]:
    """Connected components are independent (different neighbourhoods): solve each alone."""
    n = graph.n_requests
    big = n + 1.0
    cg_ids, col_of = np.unique(graph.caregivers, return_inverse=True)
    nodes = n + len(cg_ids)
    adjacency = coo_matrix(
        (np.ones(graph.size), (graph.requests, n + col_of)), shape=(nodes, nodes)
    )
    _, label = connected_components(adjacency, directed=False)
    edge_label = label[graph.requests]
    order = np.argsort(edge_label, kind="stable")
    bounds = np.flatnonzero(np.diff(edge_label[order])) + 1
    pairs: dict[int, int] = {}
    for edges in np.split(order, bounds):
        pairs.update(_solve_component(graph, edges, big))
    return pairs


def _solve_milp(graph: Graph, time_limit: float) -> tuple[dict[int, int] | None, bool]:
    e = graph.size
    edge = np.arange(e)
    columns, column_of = np.unique(graph.caregivers, return_inverse=True)
    by_request = coo_matrix((np.ones(e), (graph.requests, edge)), shape=(graph.n_requests, e))
    by_caregiver = coo_matrix((np.ones(e), (column_of, edge)), shape=(len(columns), e))
    result = milp(
        -_weights(graph),
        integrality=np.ones(e),
        bounds=Bounds(0, 1),
        constraints=[
            LinearConstraint(csr_matrix(by_request), 0, 1),
            LinearConstraint(csr_matrix(by_caregiver), 0, 1),
        ],
        options={"time_limit": max(0.01, time_limit), "disp": False},
    )
    if result.x is None:
        return None, False
    chosen = np.flatnonzero(result.x > 0.5)
    pairs = {int(graph.requests[i]): int(graph.caregivers[i]) for i in chosen}
    return pairs, result.status == 0


def solve(graph: Graph, solver: Solver = "matching", time_limit: float = 10.0) -> Assignment:
    started = time.perf_counter()
    pairs: dict[int, int] = {}
    optimal, timed_out = False, False
    if graph.size == 0:
        pairs, optimal = {}, True
    elif solver == "milp":
        remaining = time_limit - (time.perf_counter() - started)
        found, optimal = _solve_milp(graph, remaining)
        timed_out = not optimal
        pairs = greedy(graph) if found is None else found
        if not optimal and objective(graph, pairs) < objective(graph, greedy(graph)):
            pairs = greedy(graph)
    else:
        future = _POOL.submit(_solve_matching, graph)
        try:
            pairs = future.result(timeout=max(0.0, time_limit - (time.perf_counter() - started)))
            optimal = True
        except concurrent.futures.TimeoutError:
            timed_out = True  # the thread finishes on its own; its result is dropped
            pairs = greedy(graph)
    score_of = {(int(r), int(c)): float(s) for r, c, s in zip(*_edge_lists(graph), strict=True)}
    return Assignment(
        pairs=pairs,
        scores={r: score_of[(r, c)] for r, c in pairs.items()},
        optimal=optimal,
        time_limit_reached=timed_out,
        solver=solver,
        edges=graph.size,
        seconds=time.perf_counter() - started,
        unassigned=[r for r in range(graph.n_requests) if r not in pairs],
    )


def assign(
    index: CandidateIndex,
    requests: list[CareRequest],
    solver: Solver = "matching",
    time_limit: float = 10.0,
) -> Assignment:
    started = time.perf_counter()
    graph = candidate_graph(index, requests)
    graph_seconds = time.perf_counter() - started
    result = solve(graph, solver, max(0.0, time_limit - graph_seconds))
    result.graph_seconds = graph_seconds
    return result
