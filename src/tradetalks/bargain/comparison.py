r"""How far a package (e.g. the deal actually signed) is from the Pareto frontier, and what it left on the table.

For a deal with utilities :math:`u` and the exact frontier :math:`F`:

- :math:`u` is *on the frontier* when no package Pareto-dominates it (no :math:`f \in F` with :math:`f \ge u`,
  :math:`f \ne u`);
- the *distance* :math:`\max_{f \in F} \min_i (f_i - u_i)`, clipped at 0, is the largest gain both parties could
  still get at once (a Chebyshev distance to the frontier in the direction :math:`(1, 1)`);
- the *value left on the table* :math:`\max_{f \in F,\ f \ge u} \sum_i (f_i - u_i)` is the largest joint gain from
  a Pareto improvement (0 on the frontier);
- the *best improvement* is the Nash bargaining solution with the deal as the disagreement point: the dominating
  frontier point that maximises :math:`\prod_i (f_i - u_i)`.

All three objectives are monotone and the set of packages dominating :math:`u` is up-closed, so their maxima over
all packages are attained on the frontier, as for the bargaining solutions (:mod:`tradetalks.bargain.solutions`).

References
----------
Raiffa, H. (1982). *The Art and Science of Negotiation*. Harvard University Press (joint gains left on the table
and post-settlement settlements).

Nash, J. F. (1950). The bargaining problem. *Econometrica* 18(2), 155-162. https://doi.org/10.2307/1907266
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradetalks.bargain.frontier import Frontier
from tradetalks.bargain.solutions import pick_best
from tradetalks.errors import DataError

__all__ = ["BEYOND_FRONTIER_RTOL", "DealComparison", "compare_to_frontier"]

#: A deal beyond the frontier by more than this (relative to the largest absolute utility) is not a package of this
#: negotiation; smaller excesses are taken as floating-point rounding.
BEYOND_FRONTIER_RTOL = 1e-9

FloatArray = NDArray[np.float64]
ArrayT = TypeVar("ArrayT", bound=np.ndarray[Any, Any])


def _frozen(a: ArrayT) -> ArrayT:
    """Mark ``a`` read-only (result objects are immutable) and return it."""
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class DealComparison:
    """A deal held against the Pareto frontier.

    Attributes
    ----------
    utilities
        Shape ``(2,)``: the deal's (party 0, party 1) utilities.
    choices
        Shape ``(k,)``: the deal's options if given, else ``None``.
    on_frontier
        ``True`` when no package Pareto-dominates the deal.
    distance
        :math:`\\max_f \\min_i (f_i - u_i)` clipped at 0, in utility units: the largest gain both parties could
        still get at once. 0 on the frontier (and for a deal only weakly dominated).
    left_on_table
        Largest :math:`\\sum_i (f_i - u_i)` over frontier points dominating the deal, in utility units: the joint
        gain still available. 0 on the frontier.
    best_improvement
        Shape ``(2,)``: the dominating frontier point maximising the product of gains over the deal (Nash with
        the deal as disagreement point; ties: larger sum, then larger party-0 utility). ``None`` on the frontier.
    best_improvement_choices
        Shape ``(k,)``, ``int64``: option index per issue of one package attaining ``best_improvement``.
        ``None`` on the frontier.
    improvement_gains
        Shape ``(2,)``: ``best_improvement - utilities`` (both >= 0, not both 0). ``None`` on the frontier.
    improvement_product
        ``improvement_gains[0] * improvement_gains[1]``, the maximised product (0 when every dominating point
        leaves one party exactly as well off). ``None`` on the frontier.
    """

    utilities: FloatArray
    choices: NDArray[np.int64] | None
    on_frontier: bool
    distance: float
    left_on_table: float
    best_improvement: FloatArray | None
    best_improvement_choices: NDArray[np.int64] | None
    improvement_gains: FloatArray | None
    improvement_product: float | None

    def __repr__(self) -> str:
        u = self.utilities
        head = f"DealComparison(utilities ({u[0]:.6g}, {u[1]:.6g}): "
        if self.on_frontier or self.best_improvement is None or self.improvement_gains is None:
            return head + "on the Pareto frontier)"
        b, g = self.best_improvement, self.improvement_gains
        return (
            head + f"dominated; distance {self.distance:.6g}, left on the table {self.left_on_table:.6g}, "
            f"best improvement ({b[0]:.6g}, {b[1]:.6g}) with gains ({g[0]:.6g}, {g[1]:.6g}) by choices "
            f"{self.best_improvement_choices.tolist() if self.best_improvement_choices is not None else None})"
        )


def compare_to_frontier(frontier: Frontier, utilities: ArrayLike, choices: ArrayLike | None = None) -> DealComparison:
    r"""Compare a package with the exact Pareto frontier.

    Parameters
    ----------
    frontier
        The exact frontier (:func:`~tradetalks.bargain.frontier.pareto_frontier`).
    utilities
        Shape ``(2,)``: the package's utilities, computed like the frontier's (issue sums left to right) so that a
        package on the frontier compares equal to its frontier point.
    choices
        Shape ``(k,)``: the package's option per issue, kept in the result for reference (optional).

    Returns
    -------
    DealComparison
        See the module docstring for the definitions.

    Raises
    ------
    DataError
        If ``utilities`` is not two finite numbers, ``choices`` has the wrong length, or the utilities lie beyond
        the frontier, i.e. no frontier point is at least as good for both parties up to
        :data:`BEYOND_FRONTIER_RTOL` (every package is weakly dominated by a frontier point, so no package attains
        them: the deal was valued with different utilities than the frontier).

    References
    ----------
    Raiffa (1982); Nash (1950), https://doi.org/10.2307/1907266

    Examples
    --------
    >>> from tradetalks.bargain.frontier import pareto_frontier
    >>> f = pareto_frontier([[[0, 0], [4, 1], [1, 4]], [[0, 0], [1, 1]]])
    >>> c = compare_to_frontier(f, [1, 1], choices=[1, 0])
    >>> c.on_frontier, c.distance, c.left_on_table, c.best_improvement.tolist(), c.best_improvement_choices.tolist()
    (False, 1.0, 5.0, [5.0, 2.0], [1, 1])
    """
    u = np.asarray(utilities, dtype=np.float64)
    if u.shape != (2,) or not np.isfinite(u).all():
        raise DataError(
            "A deal's utilities must be two finite numbers.",
            received=u.tolist() if u.size <= 10 else f"array of shape {u.shape}",
            fix="pass (party 0 utility, party 1 utility).",
        )
    deal_choices = None
    if choices is not None:
        deal_choices = np.asarray(choices, dtype=np.int64)
        if deal_choices.shape != (frontier.n_issues,):
            raise DataError(
                f"The deal's choices must give one option per issue ({frontier.n_issues}).",
                received=deal_choices.tolist(),
                fix="pass the option index of the deal on each issue, in issue order.",
            )
        deal_choices = _frozen(deal_choices.copy())
    points = frontier.utilities
    # by column: the same numbers as ``points - u`` and its row-wise min/all/any, several times faster on a frontier
    # of a few thousand points (this runs once per evaluated package in the service)
    g0 = points[:, 0] - u[0]
    g1 = points[:, 1] - u[1]
    # Every package is weakly dominated by a frontier point, so raw < 0 means no package has these utilities.
    raw = float(np.minimum(g0, g1).max())
    tol = BEYOND_FRONTIER_RTOL * max(1.0, float(np.abs(points).max()), float(np.abs(u).max()))
    if raw < -tol:
        raise DataError(
            f"No package attains the deal's utilities: they lie beyond the Pareto frontier (no frontier point is "
            f"at least as good for both parties; the closest falls short by {-raw:.6g}).",
            received=u.tolist(),
            fix="value the deal with the same issue utilities the frontier was computed from.",
        )
    dominating = (g0 >= 0) & (g1 >= 0) & ((g0 > 0) | (g1 > 0))
    distance = max(0.0, raw)
    frozen_u = _frozen(u.copy())
    if not dominating.any():
        return DealComparison(frozen_u, deal_choices, True, distance, 0.0, None, None, None, None)
    left = float((g0[dominating] + g1[dominating]).max())
    product = g0 * g1
    best = pick_best(product, points, dominating)
    assert best is not None
    gains = np.array([g0[best], g1[best]])
    return DealComparison(
        utilities=frozen_u,
        choices=deal_choices,
        on_frontier=False,
        distance=distance,
        left_on_table=left,
        best_improvement=_frozen(points[best].copy()),
        best_improvement_choices=_frozen(frontier.choices[best].copy()),
        improvement_gains=_frozen(gains),
        improvement_product=float(product[best]),
    )
