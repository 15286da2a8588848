"""Hypothesis strategies for random small negotiation instances (per-issue utility tables), shared by the
bargaining tests so that every fast path is checked against brute force on the same kinds of input."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from hypothesis import strategies as st
from numpy.typing import ArrayLike


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


def all_packages(tables: Sequence[ArrayLike]) -> tuple[np.ndarray, np.ndarray]:
    """Brute force: every package's row choices ``(N, G)`` (in ``itertools.product`` order) and utility pair
    ``(N, 2)``, summed issue by issue from the left, as the library sums them; the one enumerator every
    bargaining test checks the fast paths against."""
    arrays = [np.asarray(t, dtype=np.float64).reshape(-1, 2) for t in tables]
    choices = list(itertools.product(*[range(len(t)) for t in arrays]))
    rows = []
    for choice in choices:
        u = arrays[0][choice[0]].copy()
        for k in range(1, len(arrays)):
            u = u + arrays[k][choice[k]]
        rows.append(u)
    return np.array(choices, dtype=np.int64).reshape(len(choices), len(arrays)), np.array(rows).reshape(-1, 2)


def all_package_utilities(tables: Sequence[ArrayLike]) -> np.ndarray:
    """Utility pair ``(N, 2)`` of every package (:func:`all_packages` without the choices)."""
    return all_packages(tables)[1]
