"""ZOPA: the meet-in-the-middle count against brute force, and the sampled fallback."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.utility_tables import all_package_utilities, float_issue_tables, issue_tables
from tradetalks.bargain.frontier import pareto_frontier
from tradetalks.bargain.zopa import Zopa, count_dominating_pairs, wilson_interval, zopa
from tradetalks.errors import DataError

int_tables = issue_tables()
float_tables = float_issue_tables()

#: Float packages closer than this to the BATNA may be classified either way (rounding order differs).
BOUNDARY_TOL = 1e-9


def check_against_brute_force(tables: list[np.ndarray], d: np.ndarray) -> Zopa:
    z = zopa(tables, d)
    points = all_package_utilities(tables)
    inside = (points > d).all(axis=1)
    assert z.method == "exact" and z.ci95 is None and z.n_samples is None
    assert z.count == int(inside.sum())
    assert isinstance(z.count, int) and z.total_packages == len(points)
    assert z.nonempty == bool(inside.any())
    expected = []
    for i in (0, 1):
        other = points[:, 1 - i] > d[1 - i]
        expected.append((float(d[i]), float(points[other, i].max()) if other.any() else -np.inf))
        if inside.any():  # then the bound is the party's best utility inside the ZOPA
            assert expected[i][1] == float(points[inside, i].max())
    assert z.bounds == tuple(expected)
    assert z.nonempty == (z.bounds[0][1] > d[0]) == (z.bounds[1][1] > d[1])
    return z


@settings(max_examples=300, deadline=None)
@given(int_tables, st.tuples(st.integers(-8, 8), st.integers(-8, 8)))
def test_exact_count_equals_brute_force_integer(tables: list[list[tuple[int, int]]], batna: tuple[int, int]) -> None:
    check_against_brute_force([np.array(t, dtype=float) for t in tables], np.array(batna, dtype=float))


@settings(max_examples=150, deadline=None)
@given(int_tables, st.data())
def test_batna_on_a_package_is_not_in_the_zopa(tables: list[list[tuple[int, int]]], data: st.DataObject) -> None:
    arrays = [np.array(t, dtype=float) for t in tables]
    points = all_package_utilities(arrays)
    check_against_brute_force(arrays, points[data.draw(st.integers(0, len(points) - 1))])


@settings(max_examples=150, deadline=None)
@given(float_tables, st.tuples(*[st.floats(-20, 20, allow_nan=False, allow_infinity=False)] * 2))
def test_exact_count_float_up_to_boundary_rounding(
    tables: list[list[tuple[float, float]]], batna: tuple[float, float]
) -> None:
    arrays = [np.array(t, dtype=float) for t in tables]
    d = np.array(batna)
    z = zopa(arrays, d)
    points = all_package_utilities(arrays)
    assert int((points > d + BOUNDARY_TOL).all(axis=1).sum()) <= z.count
    assert z.count <= int((points > d - BOUNDARY_TOL).all(axis=1).sum())
    assert z.nonempty == bool((points > d).all(axis=1).any())


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3)), max_size=40),
    st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3)), max_size=70),
    st.tuples(st.integers(-4, 4), st.integers(-4, 4)),
)
def test_dominance_count_equals_brute_force(
    a: list[tuple[int, int]], b: list[tuple[int, int]], d: tuple[int, int]
) -> None:
    expected = sum(1 for p in a for q in b if p[0] + q[0] > d[0] and p[1] + q[1] > d[1])
    assert count_dominating_pairs(a, b, d) == expected


def histogram_count(tables: list[np.ndarray], d: tuple[int, int], offset: int) -> int:
    """Exact ZOPA size of integer utilities in [-offset, offset] by convolving 2-D histograms of sums."""
    size = 2 * offset * len(tables) + 1
    hist = np.zeros((size, size), dtype=np.int64)
    hist[0, 0] = 1  # sums shifted by offset * len(tables)
    for t in tables:
        new = np.zeros_like(hist)
        for x, y in t.astype(int) + offset:
            new[x:, y:] += hist[: size - x, : size - y]
        hist = new
    shift = offset * len(tables)
    return int(hist[d[0] + shift + 1 :, d[1] + shift + 1 :].sum())


def test_ten_billion_packages_counted_exactly_and_fast() -> None:
    rng = np.random.default_rng(11)
    tables = [rng.integers(-3, 4, (10, 2)).astype(float) for _ in range(10)]
    start = time.perf_counter()
    z = zopa(tables, [2, -1])
    elapsed = time.perf_counter() - start
    assert z.total_packages == 10**10 and z.method == "exact"
    assert z.count == histogram_count(tables, (2, -1), 3)
    assert elapsed < 5.0, f"{elapsed:.2f} s for 10^10 packages"  # about 0.1 s on a 2-core VM; generous for CI


def test_sampled_path_ci_contains_the_exact_count() -> None:
    rng = np.random.default_rng(5)
    tables = [rng.integers(-3, 4, (6, 2)).astype(float) for _ in range(8)]  # 6^8 = 1,679,616 packages
    exact = zopa(tables, [1, 1])
    sampled = zopa(tables, [1, 1], max_exact_half=10, n_samples=200_000, seed=3)
    assert exact.method == "exact" and sampled.method == "sampled"
    assert exact.count == histogram_count(tables, (1, 1), 3)
    assert sampled.ci95 is not None and sampled.n_samples == 200_000
    lo, hi = sampled.ci95
    assert lo <= exact.count <= hi
    assert lo <= sampled.count <= hi
    # Wilson and Wald half-widths agree to well under 1 % at p ~ 0.05 and n = 2e5.
    p = sampled.count / sampled.total_packages
    wald_half = 1.959964 * np.sqrt(p * (1 - p) / 200_000) * sampled.total_packages
    assert (hi - lo) / 2 == pytest.approx(wald_half, rel=0.01)
    assert sampled.bounds == exact.bounds and sampled.nonempty
    again = zopa(tables, [1, 1], max_exact_half=10, n_samples=200_000, seed=3)
    assert (again.count, again.ci95) == (sampled.count, sampled.ci95)
    assert "estimated, 95% CI" in repr(sampled)


def test_sampled_count_is_at_least_one_when_the_frontier_shows_a_zopa() -> None:
    # One package in 10^8 is in the ZOPA; 100 draws will almost surely miss it, but the frontier sees it.
    tables = [np.array([[0.0, 0.0]] * 9 + [[1.0, 1.0]])] * 8
    z = zopa(tables, [7.5, 7.5], max_exact_half=100, n_samples=100, seed=0)
    assert z.method == "sampled" and z.nonempty
    assert z.count >= 1 and z.ci95 is not None and z.ci95[0] >= 1


def test_empty_zopa() -> None:
    tables = [np.array([[1.0, 0.0], [0.0, 1.0]])] * 3
    z = zopa(tables, [2, 2])
    assert (z.count, z.method, z.nonempty, z.total_packages) == (0, "exact", False, 8)
    # Party 1 gets more than 2 only at (0, 3): party 0 is then 2 below its BATNA, and symmetrically.
    assert z.bounds == ((2.0, 0.0), (2.0, 0.0))
    assert z.share == 0.0
    assert "empty" in repr(z)
    # Nothing makes party 1 strictly better off than a BATNA of 4: the bound is the max over an empty set.
    assert zopa(tables, [0, 4]).bounds == ((0.0, -np.inf), (4.0, 2.0))
    # Package sums are (j, 3 - j); the two with j = 0 or 3 sit on the BATNA's boundary and are not inside.
    assert zopa(tables, [0, 0]).count == 8 - 2


def test_one_issue_one_option() -> None:
    assert zopa([[[1.0, 1.0]]], [0, 0]).count == 1
    assert zopa([[[1.0, 1.0]]], [1, 0]).count == 0


def test_all_points_identical() -> None:
    z = zopa([np.ones((3, 2)), np.ones((4, 2))], [1.5, 1.5])
    assert z.count == 12 and z.bounds == ((1.5, 2.0), (1.5, 2.0))


def test_uses_a_given_frontier_and_validates_samples() -> None:
    tables = [np.array([[0.0, 2.0], [2.0, 0.0], [1.0, 1.0]])] * 2
    f = pareto_frontier(tables)
    assert zopa(tables, [0, 0], frontier=f).count == zopa(tables, [0, 0]).count
    with pytest.raises(DataError, match="n_samples"):
        zopa(tables, [0, 0], n_samples=0)
    with pytest.raises(DataError, match="BATNA"):
        zopa(tables, [0, 0, 0])


#: the Wilson interval equals scipy's to this absolute tolerance (both closed forms; rounding only)
WILSON_TOL = 1e-12


@settings(deadline=None)  # the first call imports scipy.stats
@given(st.integers(1, 10**7).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_is_scipys(case: tuple[int, int]) -> None:
    from scipy.stats import binomtest

    hits, n = case
    ci = binomtest(hits, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson_interval(hits, n) == pytest.approx((ci.low, ci.high), abs=WILSON_TOL)
