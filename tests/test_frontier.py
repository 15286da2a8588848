"""Exact Pareto frontier: the Minkowski-sum method and the enumeration fallback against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.utility_tables import all_packages, float_issue_tables, issue_tables
from tradetalks.bargain.frontier import (
    Frontier,
    decode_packages,
    pareto_frontier,
    pareto_frontier_enumerate,
    skyline,
)
from tradetalks.errors import DataError, LimitError

int_tables = issue_tables()
float_tables = float_issue_tables(bound=100.0)


def brute_skyline_set(points: np.ndarray) -> set[tuple[float, float]]:
    """Distinct non-dominated points by the O(n^2) definition."""
    distinct = {(float(x), float(y)) for x, y in points}
    return {p for p in distinct if not any(q != p and q[0] >= p[0] and q[1] >= p[1] for q in distinct)}


def package_utility(tables: list[list[tuple[float, float]]], choice: np.ndarray) -> tuple[float, float]:
    u0, u1 = float(tables[0][choice[0]][0]), float(tables[0][choice[0]][1])
    for k in range(1, len(tables)):
        u0 += float(tables[k][choice[k]][0])
        u1 += float(tables[k][choice[k]][1])
    return u0, u1


def check_frontier(frontier: Frontier, tables: list[list[tuple[float, float]]]) -> None:
    _, utils = all_packages(tables)
    got = [tuple(map(float, p)) for p in frontier.utilities]
    assert len(set(got)) == len(got), "frontier points must be distinct"
    assert set(got) == brute_skyline_set(utils)
    assert np.all(np.diff(frontier.utilities[:, 0]) < 0), "sorted by party-0 utility descending"
    assert frontier.n_packages == len(utils)
    assert frontier.choices.shape == (len(got), len(tables))
    for point, choice in zip(got, frontier.choices, strict=True):
        assert package_utility(tables, choice) == point


@settings(max_examples=300, deadline=None)
@given(int_tables)
def test_minkowski_frontier_equals_brute_force_integer(tables: list[list[tuple[int, int]]]) -> None:
    check_frontier(pareto_frontier([np.array(t) for t in tables]), tables)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(float_tables)
def test_minkowski_frontier_equals_brute_force_float(tables: list[list[tuple[float, float]]]) -> None:
    check_frontier(pareto_frontier([np.array(t) for t in tables]), tables)


@settings(max_examples=150, deadline=None)
@given(int_tables, st.integers(1, 50))
def test_enumeration_frontier_equals_brute_force(tables: list[list[tuple[int, int]]], chunk: int) -> None:
    arrays = [np.array(t, dtype=float) for t in tables]

    def evaluate(choices: np.ndarray) -> np.ndarray:
        total = arrays[0][choices[:, 0]]
        for k in range(1, len(arrays)):
            total = total + arrays[k][choices[:, k]]
        return total

    frontier = pareto_frontier_enumerate(evaluate, [len(t) for t in tables], chunk_size=chunk)
    check_frontier(frontier, tables)  # type: ignore[arg-type]
    # Same point set as the Minkowski method; the enumeration reports the lowest-id package of each point.
    assert np.array_equal(frontier.utilities, pareto_frontier(arrays).utilities)
    ids, utils = all_packages(tables)  # type: ignore[arg-type]
    for point, choice in zip(frontier.utilities, frontier.choices, strict=True):
        first = np.flatnonzero((utils == point).all(axis=1))[0]
        assert np.array_equal(choice, ids[first])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-2, 2), st.integers(-2, 2)), max_size=40))
def test_skyline_keeps_first_duplicate_and_matches_definition(points: list[tuple[int, int]]) -> None:
    arr = np.array(points, dtype=float).reshape(len(points), 2)
    idx = skyline(arr)
    chosen = [tuple(map(float, arr[i])) for i in idx]
    assert set(chosen) == brute_skyline_set(arr)
    assert len(chosen) == len(set(chosen))
    for i in idx:
        assert i == np.flatnonzero((arr == arr[i]).all(axis=1))[0]


def test_non_dominated_pair_with_one_equal_coordinate_is_dominated() -> None:
    # (1, 1) dominates (1, 0): equal in one coordinate is enough.
    assert skyline([[1, 0], [1, 1], [0, 1]]).tolist() == [1]


def test_one_issue_one_option() -> None:
    f = pareto_frontier([[[2.5, -1.0]]])
    assert f.utilities.tolist() == [[2.5, -1.0]]
    assert f.choices.tolist() == [[0]]
    assert f.n_packages == 1


def test_all_points_identical_gives_one_point_and_first_option() -> None:
    f = pareto_frontier([np.ones((4, 2)), np.zeros((3, 2))])
    assert f.utilities.tolist() == [[1.0, 1.0]]
    assert f.choices.tolist() == [[0, 0]]
    assert f.n_packages == 12


def test_twenty_issues_keeps_exact_python_int_package_count() -> None:
    rng = np.random.default_rng(7)
    tables = [rng.uniform(-1, 1, (10, 2)) for _ in range(20)]
    f = pareto_frontier(tables)
    assert f.n_packages == 10**20 and isinstance(f.n_packages, int)
    # Each reported package re-sums to its point (left-to-right float addition).
    sums = tables[0][f.choices[:, 0]]
    for k in range(1, 20):
        sums = sums + tables[k][f.choices[:, k]]
    assert np.array_equal(sums, f.utilities)


def test_result_is_read_only_and_printable() -> None:
    f = pareto_frontier([[[0, 1], [1, 0]], [[0, 0], [2, 2]]])
    with pytest.raises(ValueError):
        f.utilities[0, 0] = 5.0
    assert "Frontier(2 points of 4 packages over 2 issues" in repr(f)
    frame = f.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["party_0", "party_1", "issue_0", "issue_1"]
    assert frame.shape == (2, 4)


def test_minkowski_limit_is_stated() -> None:
    # Options on a line with weights 10^k: all 10^k packages are distinct and Pareto-optimal.
    tables = [10.0**k * np.c_[np.arange(10.0), -np.arange(10.0)] for k in range(4)]
    assert pareto_frontier(tables[:2]).n_points == 100
    with pytest.raises(LimitError, match="limit of 500"):
        pareto_frontier(tables, max_points=500)


def test_enumeration_limit_is_stated() -> None:
    with pytest.raises(LimitError, match="limit of 100,000,000"):
        pareto_frontier_enumerate(lambda c: np.zeros((len(c), 2)), [10] * 9)


@pytest.mark.parametrize(
    "tables",
    [[], [np.zeros((0, 2))], [np.zeros((3, 3))], [np.array([[0.0, np.nan]])], [np.array([[np.inf, 0.0]])]],
)
def test_bad_tables_raise_data_error(tables: list[np.ndarray]) -> None:
    with pytest.raises(DataError):
        pareto_frontier(tables)


def test_enumeration_rejects_bad_evaluate_output() -> None:
    with pytest.raises(DataError, match=r"\(c, 2\)"):
        pareto_frontier_enumerate(lambda c: np.zeros((len(c), 3)), [2, 2])


def test_decode_packages_is_mixed_radix() -> None:
    got = decode_packages(np.arange(24, dtype=np.int64), [2, 3, 4])
    assert got.tolist() == [list(c) for c in itertools.product(range(2), range(3), range(4))]
