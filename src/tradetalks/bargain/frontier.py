"""Exact Pareto frontier of a two-party negotiation over discrete issues.

A *package* picks one option on every issue. With additive utilities the utility pair of a package is the sum of
the pairs of its options, and the frontier of the whole package space is built issue by issue from per-issue
frontiers (a Minkowski sum followed by a 2-D skyline) without ever enumerating the packages. Non-additive models
fall back to :func:`pareto_frontier_enumerate`, which enumerates the packages in chunks.

References
----------
Kung, H. T., Luccio, F. and Preparata, F. P. (1975). On finding the maxima of a set of vectors. *Journal of the
ACM* 22(4), 469-476. https://doi.org/10.1145/321906.321910

Börzsönyi, S., Kossmann, D. and Stocker, K. (2001). The skyline operator. *Proceedings of the 17th International
Conference on Data Engineering*, 421-430. https://doi.org/10.1109/ICDE.2001.914855

Raiffa, H. (1982). *The Art and Science of Negotiation*. Harvard University Press (integrative bargaining over
several issues; the efficient frontier of packages).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradetalks.errors import DataError, LimitError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_MINKOWSKI_POINTS",
    "DEFAULT_MAX_PACKAGES",
    "Frontier",
    "as_issue_utilities",
    "decode_packages",
    "pareto_frontier",
    "pareto_frontier_enumerate",
    "skyline",
]

#: Largest intermediate Minkowski sum ``|F| * |skyline(U_k)|`` that :func:`pareto_frontier` will form. Measured
#: peak memory is about 130 bytes per point when every point survives (sums, sort order, back-pointers and the
#: rebuilt packages), so 2e7 points is about 2.6 GB and takes about 10 s.
DEFAULT_MAX_MINKOWSKI_POINTS = 20_000_000

#: Largest package space that :func:`pareto_frontier_enumerate` will enumerate.
DEFAULT_MAX_PACKAGES = 100_000_000

#: Packages evaluated per call of the ``evaluate`` callback in :func:`pareto_frontier_enumerate`.
DEFAULT_CHUNK_SIZE = 1 << 18

FloatArray = NDArray[np.float64]
ArrayT = TypeVar("ArrayT", bound=np.ndarray[Any, Any])
IntArray = NDArray[np.int64]


def _frozen(a: ArrayT) -> ArrayT:
    """Mark ``a`` read-only (result objects are immutable) and return it."""
    a.setflags(write=False)
    return a


def skyline(points: ArrayLike) -> IntArray:
    r"""Indices of the distinct non-dominated points of a 2-D point set (both coordinates maximised).

    Point :math:`q` dominates :math:`p` when :math:`q_i \ge p_i` for both :math:`i` and :math:`q \ne p`. The
    skyline is the set of points that no other point dominates; among exact duplicates only the first
    occurrence is kept, so the result names each distinct non-dominated point once.

    The method sorts once by (:math:`x` descending, :math:`y` descending, index ascending) and keeps a point iff
    its :math:`y` is strictly larger than the running maximum of :math:`y` over the points before it: every
    earlier point has :math:`x' \ge x` and, when :math:`x' = x`, :math:`y' \ge y`. Cost :math:`O(n \log n)`.

    Parameters
    ----------
    points
        Shape ``(n, 2)``: the utility pair of each point. ``n`` may be 0.

    Returns
    -------
    numpy.ndarray
        Shape ``(h,)``, ``int64``: indices into ``points``, ordered by the first coordinate descending (hence
        the second strictly ascending).

    Raises
    ------
    DataError
        If ``points`` is not of shape ``(n, 2)`` or contains NaN.

    References
    ----------
    Kung, Luccio and Preparata (1975), https://doi.org/10.1145/321906.321910

    Examples
    --------
    >>> skyline([[1, 0], [0, 1], [0.5, 0.5], [0, 0], [1, 0]]).tolist()
    [0, 2, 1]
    """
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise DataError(
            "skyline needs an (n, 2) array of utility pairs.",
            received=f"array of shape {pts.shape}",
            fix="pass one row per point and one column per party.",
        )
    if np.isnan(pts).any():
        raise DataError("skyline cannot order NaN utilities.", received="an array with NaN", fix="drop or fix them.")
    n = pts.shape[0]
    if n == 0:
        return np.empty(0, dtype=np.int64)
    # np.lexsort is stable: equal keys keep index order, so the first duplicate comes first.
    order = np.lexsort((-pts[:, 1], -pts[:, 0]))
    y = pts[order, 1]
    keep = np.empty(n, dtype=bool)
    keep[0] = True
    np.greater(y[1:], np.maximum.accumulate(y)[:-1], out=keep[1:])
    return order[keep].astype(np.int64, copy=False)


def as_issue_utilities(issue_utilities: Sequence[ArrayLike]) -> list[FloatArray]:
    """Validate per-issue utility tables and return them as ``float64`` arrays of shape ``(m_k, 2)``.

    Raises
    ------
    DataError
        If there is no issue, an issue has no option, a table is not ``(m_k, 2)`` or a utility is not finite.
    """
    if len(issue_utilities) == 0:
        raise DataError(
            "A negotiation needs at least one issue.", received="an empty list", fix="pass one array per issue."
        )
    tables: list[FloatArray] = []
    for k, raw in enumerate(issue_utilities):
        u = np.asarray(raw, dtype=np.float64)
        if u.ndim != 2 or u.shape[1] != 2 or u.shape[0] == 0:
            raise DataError(
                f"Issue {k} must be an (m, 2) array with one row per option and m >= 1.",
                received=f"array of shape {u.shape}",
                fix="give the (party 0, party 1) utility of each option as a row.",
            )
        if not np.isfinite(u).all():
            raise DataError(
                f"Issue {k} has a non-finite utility.",
                received=u.tolist() if u.size <= 20 else f"array of shape {u.shape}",
                fix="replace NaN/inf by finite utilities (a forbidden option is removed, not given -inf).",
            )
        tables.append(u)
    return tables


@dataclass(frozen=True, eq=False)
class Frontier:
    """The exact Pareto frontier of a package space.

    Attributes
    ----------
    utilities
        Shape ``(n, 2)``, ``float64``, in the parties' utility units: the distinct Pareto-optimal utility pairs,
        ordered by party-0 utility descending (so party-1 utility strictly ascending).
    choices
        Shape ``(n, k)``, ``int64``: for each frontier point, the option index on each of the ``k`` issues of one
        package attaining it (several packages can share a point; one is given).
    n_packages
        Size of the package space, the product of the option counts (a Python ``int``: it can be 10^20).
    """

    utilities: FloatArray
    choices: IntArray
    n_packages: int

    @property
    def n_points(self) -> int:
        """Number of distinct frontier points."""
        return int(self.utilities.shape[0])

    @property
    def n_issues(self) -> int:
        """Number of issues ``k``."""
        return int(self.choices.shape[1])

    def __len__(self) -> int:
        return self.n_points

    def __repr__(self) -> str:
        u = self.utilities
        span = (
            f"party 0 in [{u[:, 0].min():.6g}, {u[:, 0].max():.6g}], party 1 in [{u[:, 1].min():.6g}, "
            f"{u[:, 1].max():.6g}]"
            if len(u)
            else "empty"
        )
        packages = f"{self.n_packages:,}" if self.n_packages < 10**12 else f"{self.n_packages:.3e}"
        return f"Frontier({self.n_points} points of {packages} packages over {self.n_issues} issues; {span})"

    def to_frame(self) -> pd.DataFrame:
        """One row per frontier point: ``party_0``, ``party_1`` and the option index ``issue_<k>`` per issue."""
        import pandas as pd  # only here: importing pandas costs more than computing a frontier

        frame = pd.DataFrame({"party_0": self.utilities[:, 0], "party_1": self.utilities[:, 1]})
        for k in range(self.n_issues):
            frame[f"issue_{k}"] = self.choices[:, k]
        return frame


def _make_frontier(utilities: FloatArray, choices: IntArray, n_packages: int) -> Frontier:
    return Frontier(
        utilities=_frozen(np.ascontiguousarray(utilities, dtype=np.float64)),
        choices=_frozen(np.ascontiguousarray(choices, dtype=np.int64)),
        n_packages=n_packages,
    )


def pareto_frontier(
    issue_utilities: Sequence[ArrayLike], *, max_points: int = DEFAULT_MAX_MINKOWSKI_POINTS
) -> Frontier:
    r"""Exact Pareto frontier of an additive two-party package space, without enumerating it.

    Issue :math:`k` has options with utility pairs :math:`U_k \in \mathbb{R}^{m_k \times 2}`; a package
    :math:`c = (c_0, \dots, c_{K-1})` has utility :math:`u(c) = U_0[c_0] + U_1[c_1] + \dots` (summed left to
    right, so the floats equal a plain left-to-right evaluation). With :math:`P(\cdot)` the skyline,

    .. math::

        F_0 = P(U_0), \qquad F_k = P\bigl(F_{k-1} \oplus P(U_k)\bigr), \qquad k = 1, \dots, K-1,

    where :math:`\oplus` is the Minkowski sum. :math:`F_{K-1}` is the frontier of all packages: a package whose
    prefix sum is dominated by :math:`a'` (or whose option on issue :math:`k` is dominated by :math:`b'`) is
    weakly dominated by the package using :math:`a'` (or :math:`b'`) instead, and floating-point addition is
    monotone, so every package is weakly dominated by a candidate and the distinct non-dominated candidates are
    exactly the distinct non-dominated packages. Each step keeps a back-pointer (index into
    :math:`F_{k-1}`, option on issue :math:`k`) from which the packages are rebuilt at the end. Cost per step:
    :math:`O(N \log N)` with :math:`N = |F_{k-1}|\,|P(U_k)|`; the package space is never enumerated.

    Parameters
    ----------
    issue_utilities
        One array per issue (coupled issues merged into one compound issue by the caller), shape ``(m_k, 2)``:
        the (party 0, party 1) utility of each option.
    max_points
        Largest intermediate Minkowski sum allowed (default :data:`DEFAULT_MAX_MINKOWSKI_POINTS`).

    Returns
    -------
    Frontier
        The distinct Pareto-optimal utility pairs and one package for each.

    Raises
    ------
    DataError
        If an issue table is malformed (see :func:`as_issue_utilities`).
    LimitError
        If an intermediate Minkowski sum would exceed ``max_points`` points.

    References
    ----------
    Kung, Luccio and Preparata (1975), https://doi.org/10.1145/321906.321910 (2-D maxima by sorting).

    Examples
    --------
    >>> f = pareto_frontier([[[0, 2], [2, 0], [0, 0]], [[1, 1], [0, 3]]])
    >>> f.utilities.tolist(), f.choices.tolist(), f.n_packages
    ([[3.0, 1.0], [2.0, 3.0], [0.0, 5.0]], [[1, 0], [1, 1], [0, 1]], 6)
    """
    tables = as_issue_utilities(issue_utilities)
    n_packages = math.prod(int(u.shape[0]) for u in tables)
    first = skyline(tables[0])
    points = tables[0][first]
    parents: list[IntArray] = [np.zeros(first.size, dtype=np.int64)]
    options: list[IntArray] = [first]
    for k, table in enumerate(tables[1:], start=1):
        opts = skyline(table)
        size = points.shape[0] * opts.size
        if size > max_points:
            raise LimitError(
                f"The Minkowski sum at issue {k} would have {size:,} points, above the limit of {max_points:,}.",
                received=f"{points.shape[0]:,} frontier points x {opts.size:,} non-dominated options",
                fix="raise max_points if memory allows (about 130 bytes per point), or give issues fewer options.",
            )
        sums = (points[:, None, :] + table[opts][None, :, :]).reshape(-1, 2)
        keep = skyline(sums)
        points = sums[keep]
        parents.append(keep // opts.size)
        options.append(opts[keep % opts.size])
    choices = np.empty((points.shape[0], len(tables)), dtype=np.int64)
    idx = np.arange(points.shape[0], dtype=np.int64)
    for k in range(len(tables) - 1, -1, -1):
        choices[:, k] = options[k][idx]
        idx = parents[k][idx]
    return _make_frontier(points, choices, n_packages)


def decode_packages(ids: IntArray, sizes: Sequence[int]) -> IntArray:
    """Mixed-radix decode of package ids into option choices (issue 0 is the most significant digit).

    Parameters
    ----------
    ids
        Shape ``(c,)``, ``int64``, each in ``[0, prod(sizes))``.
    sizes
        Option count per issue.

    Returns
    -------
    numpy.ndarray
        Shape ``(c, k)``, ``int64``.

    Examples
    --------
    >>> decode_packages(np.arange(6), [2, 3]).tolist()
    [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
    """
    rest = np.array(ids, dtype=np.int64, copy=True)
    out = np.empty((rest.size, len(sizes)), dtype=np.int64)
    for k in range(len(sizes) - 1, -1, -1):
        rest, out[:, k] = np.divmod(rest, sizes[k])
    return out


def pareto_frontier_enumerate(
    evaluate: Callable[[IntArray], ArrayLike],
    sizes: Sequence[int],
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    *,
    max_packages: int = DEFAULT_MAX_PACKAGES,
) -> Frontier:
    r"""Exact Pareto frontier by chunked enumeration, for utilities that are not additive over issues.

    Packages are numbered in mixed radix (issue 0 most significant); each chunk of ids is decoded into a
    ``(c, k)`` choice array, evaluated in one vectorised call, and merged into the running skyline
    :math:`F \leftarrow P(F \cup \text{chunk})`. Memory is :math:`O(\text{chunk} + |F|)`; time is
    :math:`O(\prod_k m_k)` evaluations, so the package space is capped at ``max_packages``. Among packages with
    equal utilities the one with the smallest id is reported.

    Parameters
    ----------
    evaluate
        Maps a ``(c, k)`` ``int64`` choice array to a ``(c, 2)`` array of utility pairs.
    sizes
        Number of options per issue, each at least 1.
    chunk_size
        Packages per ``evaluate`` call (default :data:`DEFAULT_CHUNK_SIZE`).
    max_packages
        Largest package space enumerated (default :data:`DEFAULT_MAX_PACKAGES`, 10^8).

    Returns
    -------
    Frontier

    Raises
    ------
    DataError
        If ``sizes`` is empty or has a count below 1, or ``evaluate`` returns a wrong shape or non-finite values.
    LimitError
        If the package space exceeds ``max_packages``.

    References
    ----------
    Börzsönyi, Kossmann and Stocker (2001), https://doi.org/10.1109/ICDE.2001.914855

    Examples
    --------
    >>> table = np.array([[0.0, 3.0], [1.0, 1.0], [3.0, 0.0]])
    >>> f = pareto_frontier_enumerate(lambda c: table[c[:, 0]] * table[c[:, 1]], [3, 3])
    >>> f.utilities.tolist()
    [[9.0, 0.0], [1.0, 1.0], [0.0, 9.0]]
    """
    dims = [int(m) for m in sizes]
    if not dims or min(dims) < 1:
        raise DataError(
            "Every issue needs at least one option and there must be at least one issue.",
            received=list(sizes),
            fix="pass the option count of each issue.",
        )
    if chunk_size < 1:
        raise DataError("chunk_size must be positive.", received=chunk_size, fix="use e.g. 2**18.")
    n_packages = math.prod(dims)
    if n_packages > max_packages:
        raise LimitError(
            f"Enumerating {n_packages:,} packages is above the limit of {max_packages:,} packages.",
            received=dims,
            fix="use pareto_frontier for additive utilities, merge or drop options, or raise max_packages.",
        )
    points = np.empty((0, 2), dtype=np.float64)
    choices = np.empty((0, len(dims)), dtype=np.int64)
    for start in range(0, n_packages, chunk_size):
        ids = np.arange(start, min(start + chunk_size, n_packages), dtype=np.int64)
        chunk = decode_packages(ids, dims)
        values = np.asarray(evaluate(chunk), dtype=np.float64)
        if values.shape != (ids.size, 2) or not np.isfinite(values).all():
            raise DataError(
                "evaluate must return a finite (c, 2) array for a (c, k) choice array.",
                received=f"array of shape {values.shape} for {ids.size} packages",
                fix="return one finite (party 0, party 1) utility pair per row of choices.",
            )
        points = np.concatenate([points, values])
        choices = np.concatenate([choices, chunk])
        keep = skyline(points)
        points, choices = points[keep], choices[keep]
    return _make_frontier(points, choices, n_packages)
