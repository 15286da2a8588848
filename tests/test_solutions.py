"""Bargaining solutions on the frontier equal the optimum over all packages."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.utility_tables import all_package_utilities, float_issue_tables, issue_tables
from tradetalks.bargain.frontier import pareto_frontier
from tradetalks.bargain.solutions import (
    SOLUTION_NAMES,
    Solution,
    egalitarian,
    kalai_smorodinsky,
    nash,
    utilitarian,
)
from tradetalks.errors import DataError

int_tables = issue_tables()
float_tables = float_issue_tables()
int_batna = st.tuples(st.integers(-6, 6), st.integers(-6, 6))
float_batna = st.tuples(*[st.floats(-20, 20, allow_nan=False, allow_infinity=False)] * 2)
powers = st.sampled_from([(1.0, 1.0), (1.0, 2.0), (3.0, 1.0), (0.5, 1.0), (1.0, 0.25)])


def brute_force(
    points: np.ndarray, d: np.ndarray, objective: Callable[[np.ndarray], np.ndarray], strict: bool
) -> tuple[tuple[float, float], float] | None:
    """Best (utilities, objective) over all packages with the documented tie-breaking."""
    feasible = (points > d).all(axis=1) if strict else (points >= d).all(axis=1)
    if not feasible.any():
        return None
    pts = points[feasible]
    obj = objective(pts)
    best = max(range(len(pts)), key=lambda i: (obj[i], pts[i, 0] + pts[i, 1], pts[i, 0], pts[i, 1]))
    return (float(pts[best, 0]), float(pts[best, 1])), float(obj[best])


def objectives(points: np.ndarray, d: np.ndarray, alpha: tuple[float, float]) -> dict[str, Callable]:
    rational = points[(points >= d).all(axis=1)]
    span = rational.max(axis=0) - d if len(rational) else np.ones(2)

    def ks(p: np.ndarray) -> np.ndarray:
        g = p - d
        r = np.where(span > 0, g / np.where(span > 0, span, 1.0), 1.0)
        return r.min(axis=1)

    return {
        "nash": lambda p: ((p - d) ** np.array(alpha)).prod(axis=1),
        "kalai_smorodinsky": ks,
        "egalitarian": lambda p: (p - d).min(axis=1),
        "utilitarian": lambda p: p[:, 0] + p[:, 1],
    }


def check_all(tables: list[np.ndarray], batna: tuple[float, float], alpha: tuple[float, float]) -> None:
    frontier = pareto_frontier(tables)
    points = all_package_utilities(tables)
    d = np.array(batna, dtype=float)
    solved: dict[str, Solution | None] = {
        "nash": nash(frontier, d, powers=alpha),
        "kalai_smorodinsky": kalai_smorodinsky(frontier, d),
        "egalitarian": egalitarian(frontier, d),
        "utilitarian": utilitarian(frontier, d),
    }
    for name, objective in objectives(points, d, alpha).items():
        expected = brute_force(points, d, objective, strict=name == "nash")
        got = solved[name]
        if expected is None:
            assert got is None, name
            continue
        assert got is not None, name
        assert got.name == name
        assert (float(got.utilities[0]), float(got.utilities[1])) == expected[0], name
        assert got.objective == expected[1], name
        # Never below either BATNA (strictly above for Nash), and the package really attains the point.
        assert (got.gains > 0).all() if name == "nash" else (got.gains >= 0).all()
        assert np.array_equal(got.gains, got.utilities - d)
        u = tables[0][got.choices[0]]
        for k in range(1, len(tables)):
            u = u + tables[k][got.choices[k]]
        assert np.array_equal(u, got.utilities)


@settings(max_examples=300, deadline=None)
@given(int_tables, int_batna, powers)
def test_solutions_equal_brute_force_integer(
    tables: list[list[tuple[int, int]]], batna: tuple[int, int], alpha: tuple[float, float]
) -> None:
    check_all([np.array(t, dtype=float) for t in tables], batna, alpha)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(float_tables, float_batna, powers)
def test_solutions_equal_brute_force_float(
    tables: list[list[tuple[float, float]]], batna: tuple[float, float], alpha: tuple[float, float]
) -> None:
    check_all([np.array(t, dtype=float) for t in tables], batna, alpha)


@settings(max_examples=100, deadline=None)
@given(int_tables, st.data())
def test_batna_on_a_package_gives_boundary_ties(tables: list[list[tuple[int, int]]], data: st.DataObject) -> None:
    arrays = [np.array(t, dtype=float) for t in tables]
    points = all_package_utilities(arrays)
    batna = points[data.draw(st.integers(0, len(points) - 1))]
    check_all(arrays, (float(batna[0]), float(batna[1])), (1.0, 1.0))


def test_names_are_the_design_names() -> None:
    assert SOLUTION_NAMES == ("nash", "kalai_smorodinsky", "egalitarian", "utilitarian")


def test_no_point_better_than_batna_gives_none() -> None:
    f = pareto_frontier([[[1, 0], [0, 1]], [[0, 0], [1, -1]]])
    for solve in (nash, kalai_smorodinsky, egalitarian, utilitarian):
        assert solve(f, [5, 5]) is None
    # On the BATNA but never strictly above it: Nash has nothing, the weak solutions pick the BATNA point.
    assert nash(f, [1, 0]) is None
    sol = utilitarian(f, [2, -1])
    assert sol is not None and sol.utilities.tolist() == [2.0, -1.0] and sol.gains.tolist() == [0.0, 0.0]


def test_one_issue_one_option() -> None:
    f = pareto_frontier([[[3.0, 2.0]]])
    sol = nash(f, [1, 1])
    assert sol is not None
    assert sol.utilities.tolist() == [3.0, 2.0] and sol.choices.tolist() == [0] and sol.objective == 2.0
    assert "Solution(nash: utilities (3, 2), gains (2, 1), objective 2" in repr(sol)


def test_kalai_smorodinsky_handles_a_party_that_cannot_gain() -> None:
    # Party 1 is at its BATNA everywhere it is rational: its ratio counts as 1, party 0's decides.
    f = pareto_frontier([[[5, 0], [2, 0], [0, -1]]])
    sol = kalai_smorodinsky(f, [0, 0])
    assert sol is not None and sol.utilities.tolist() == [5.0, 0.0] and sol.objective == 1.0


def test_asymmetric_powers_move_nash_toward_the_stronger_party() -> None:
    f = pareto_frontier([np.c_[np.arange(11.0), 10 - np.arange(11.0)]])
    assert nash(f, [0, 0]).utilities.tolist() == [5.0, 5.0]  # type: ignore[union-attr]
    # argmax x^3 (10 - x) is 7.5 in the continuum; on the integers 7^3 * 3 = 1029 > 8^3 * 2 = 1024.
    assert nash(f, [0, 0], powers=(3.0, 1.0)).utilities.tolist() == [7.0, 3.0]  # type: ignore[union-attr]


@pytest.mark.parametrize("batna", [[0.0], [0.0, np.nan], [[0.0, 0.0]]])
def test_bad_batna_raises(batna: list) -> None:
    f = pareto_frontier([[[1, 1]]])
    with pytest.raises(DataError, match="BATNA"):
        egalitarian(f, batna)


@pytest.mark.parametrize("alpha", [(0.0, 1.0), (-1.0, 1.0), (np.inf, 1.0)])
def test_bad_powers_raise(alpha: tuple[float, float]) -> None:
    with pytest.raises(DataError, match="powers"):
        nash(pareto_frontier([[[1, 1]]]), [0, 0], powers=alpha)
