"""Hypothesis strategies for random small negotiation instances (per-issue utility tables), shared by the
bargaining tests so that every fast path is checked against brute force on the same kinds of input."""

from __future__ import annotations

from hypothesis import strategies as st


def issue_tables(max_issues: int = 5) -> st.SearchStrategy[list[list[tuple[int, int]]]]:
    """1–``max_issues`` issues of 1–6 options with integer utilities in [−3, 3]: ties and duplicate points
    are frequent, and sums are exact in floating point."""
    return st.lists(
        st.integers(1, 6).flatmap(
            lambda m: st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3)), min_size=m, max_size=m)
        ),
        min_size=1,
        max_size=max_issues,
    )


def float_issue_tables(bound: float = 10.0, max_issues: int = 4) -> st.SearchStrategy[list[list[tuple[float, ...]]]]:
    """1–``max_issues`` issues of 1–6 options with finite float utilities in [−bound, bound]."""
    value = st.floats(-bound, bound, allow_nan=False, allow_infinity=False)
    return st.lists(
        st.integers(1, 6).flatmap(lambda m: st.lists(st.tuples(value, value), min_size=m, max_size=m)),
        min_size=1,
        max_size=max_issues,
    )


int_tables = issue_tables()
float_tables = float_issue_tables()
