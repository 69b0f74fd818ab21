"""Batch assignment: optimal (equals the dense linear_sum_assignment optimum), time limit flag."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from homecare_matching import assign
from homecare_matching.index import CandidateIndex
from homecare_testing.matching import synth


def dense_optimum(graph: assign.Graph) -> float:
    """Same lexicographic objective, solved densely: every caregiver a column, plus one private
    "unassigned" column per request; infeasible pairs are forbidden by a huge penalty."""
    n = graph.n_requests
    columns = sorted(set(graph.caregivers.tolist()))
    col = {c: i for i, c in enumerate(columns)}
    forbidden = -1e9
    weight = np.full((n, len(columns) + n), forbidden)
    big = n + 1.0
    for r, c, s in zip(graph.requests, graph.caregivers, graph.scores, strict=True):
        weight[r, col[int(c)]] = big + s
    weight[np.arange(n), len(columns) + np.arange(n)] = 0.0
    rows, cols = linear_sum_assignment(weight, maximize=True)
    return float(weight[rows, cols].sum())


def small_instance(seed: int, n_caregivers: int, n_requests: int) -> assign.Graph:
    index = CandidateIndex()
    index.replace_all(synth.caregivers(n_caregivers, seed=seed))
    requests = synth.requests(n_requests, seed=seed + 1, shape=synth.RequestShape(15.0))
    return assign.candidate_graph(index, requests)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**31), n_caregivers=st.integers(1, 120), n_requests=st.integers(1, 60))
def test_sparse_solvers_reach_the_dense_optimum(
    seed: int, n_caregivers: int, n_requests: int
) -> None:
    graph = small_instance(seed, n_caregivers, n_requests)
    best = dense_optimum(graph)
    for solver in ("matching", "milp"):
        result = assign.solve(graph, solver, time_limit=30)
        assert result.optimal, solver
        assert assign.objective(graph, result.pairs) == pytest.approx(best, abs=1e-6), solver
        caregivers = list(result.pairs.values())
        assert len(caregivers) == len(set(caregivers))  # nobody assigned twice
        edges = set(zip(graph.requests.tolist(), graph.caregivers.tolist(), strict=True))
        assert all((r, c) in edges for r, c in result.pairs.items())  # only feasible pairs


def test_greedy_is_feasible_and_never_better_than_optimal() -> None:
    graph = small_instance(11, 400, 300)
    pairs = assign.greedy(graph)
    assert len(set(pairs.values())) == len(pairs)
    assert assign.objective(graph, pairs) <= dense_optimum(graph) + 1e-6


def test_time_limit_returns_the_best_found_flagged() -> None:
    graph = small_instance(3, 3000, 1500)
    result = assign.solve(graph, "matching", time_limit=0.0)
    assert result.time_limit_reached
    assert not result.optimal
    assert result.pairs  # a usable (greedy) answer, not nothing
    assert result.pairs == assign.greedy(graph)
    full = assign.solve(graph, "matching", time_limit=60)
    assert full.optimal
    assert assign.objective(graph, full.pairs) >= assign.objective(graph, result.pairs)
