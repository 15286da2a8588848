"""A deal held against the frontier: every field equals its brute-force value over all packages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.utility_tables import all_packages, float_issue_tables, issue_tables
from tradetalks.bargain.comparison import compare_to_frontier
from tradetalks.bargain.frontier import pareto_frontier
from tradetalks.errors import DataError

int_tables = issue_tables()
float_tables = float_issue_tables()


def check_deal(tables: list[np.ndarray], index: int) -> None:
    choices, points = all_packages(tables)
    u = points[index]
    result = compare_to_frontier(pareto_frontier(tables), u, choices=choices[index])
    gains = points - u
    dominating = (gains >= 0).all(axis=1) & (gains > 0).any(axis=1)
    assert result.on_frontier == (not dominating.any())
    assert np.array_equal(result.utilities, u) and np.array_equal(result.choices, choices[index])  # type: ignore[arg-type]
    assert result.distance == max(0.0, float(gains.min(axis=1).max()))
    if not dominating.any():
        assert result.left_on_table == 0.0 and result.distance == 0.0
        assert result.best_improvement is None and result.best_improvement_choices is None
        assert result.improvement_gains is None and result.improvement_product is None
        return
    assert result.left_on_table == float((gains[dominating, 0] + gains[dominating, 1]).max())
    g = gains[dominating]
    p = points[dominating]
    best = max(range(len(g)), key=lambda i: (g[i, 0] * g[i, 1], p[i, 0] + p[i, 1], p[i, 0], p[i, 1]))
    imp, imp_choices, imp_gains = result.best_improvement, result.best_improvement_choices, result.improvement_gains
    assert imp is not None and imp_choices is not None and imp_gains is not None
    assert np.array_equal(imp, p[best])
    assert result.improvement_product == float(g[best, 0] * g[best, 1])
    assert np.array_equal(imp_gains, imp - u) and (imp_gains >= 0).all() and (imp_gains > 0).any()
    v = tables[0][imp_choices[0]]
    for k in range(1, len(tables)):
        v = v + tables[k][imp_choices[k]]
    assert np.array_equal(v, imp)


@settings(max_examples=300, deadline=None)
@given(int_tables, st.data())
def test_comparison_equals_brute_force_integer(tables: list[list[tuple[int, int]]], data: st.DataObject) -> None:
    arrays = [np.array(t, dtype=float) for t in tables]
    n = int(np.prod([len(t) for t in tables]))
    check_deal(arrays, data.draw(st.integers(0, n - 1)))


@settings(max_examples=150, deadline=None)
@given(float_tables, st.data())
def test_comparison_equals_brute_force_float(tables: list[list[tuple[float, float]]], data: st.DataObject) -> None:
    arrays = [np.array(t, dtype=float) for t in tables]
    n = int(np.prod([len(t) for t in tables]))
    check_deal(arrays, data.draw(st.integers(0, n - 1)))


def test_every_frontier_point_is_on_the_frontier() -> None:
    rng = np.random.default_rng(3)
    tables = [rng.integers(-5, 6, (5, 2)).astype(float) for _ in range(4)]
    f = pareto_frontier(tables)
    for point, choice in zip(f.utilities, f.choices, strict=True):
        c = compare_to_frontier(f, point, choice)
        assert c.on_frontier and c.distance == 0.0 and c.left_on_table == 0.0 and c.best_improvement is None
        assert "on the Pareto frontier" in repr(c)


def test_weakly_dominated_deal_has_zero_distance_but_is_off_the_frontier() -> None:
    f = pareto_frontier([[[2, 1], [0, 3], [2, 0]]])
    c = compare_to_frontier(f, [2, 0])
    assert not c.on_frontier and c.distance == 0.0 and c.left_on_table == 1.0
    assert c.best_improvement is not None and c.best_improvement.tolist() == [2.0, 1.0]
    assert c.best_improvement_choices is not None and c.best_improvement_choices.tolist() == [0]
    assert c.improvement_product == 0.0
    assert "dominated; distance 0, left on the table 1, best improvement (2, 1) with gains (0, 1)" in repr(c)


def test_one_issue_one_option() -> None:
    c = compare_to_frontier(pareto_frontier([[[1.0, 1.0]]]), [1.0, 1.0], [0])
    assert c.on_frontier and c.choices.tolist() == [0]  # type: ignore[union-attr]


def test_deal_beyond_the_frontier_is_refused() -> None:
    f = pareto_frontier([[[1, 0], [0, 1]]])
    with pytest.raises(DataError, match="beyond the Pareto frontier"):
        compare_to_frontier(f, [1.0, 0.5])
    with pytest.raises(DataError, match="beyond the Pareto frontier"):
        compare_to_frontier(f, [0.6, 0.6])
    # Rounding-sized excess is tolerated; a point just off another frontier point's coordinate is fine.
    assert compare_to_frontier(f, [1.0 + 1e-15, 0.0]).on_frontier
    g = pareto_frontier([[[0.0, 1.0], [1e-123, 0.0]]])
    assert compare_to_frontier(g, [0.0, 1.0]).on_frontier


@pytest.mark.parametrize(("utilities", "choices"), [([1.0], None), ([np.nan, 0.0], None), ([0.0, 0.0], [0, 0])])
def test_bad_input_raises(utilities: list[float], choices: list[int] | None) -> None:
    with pytest.raises(DataError):
        compare_to_frontier(pareto_frontier([[[1, 0], [0, 1]]]), utilities, choices)
