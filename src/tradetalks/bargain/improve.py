r"""Improving a tentative agreement: the Pareto improvement a fairness rule picks, as a frontier point.

Given a deal with utilities :math:`u` (e.g. the deal really signed) and the exact Pareto frontier :math:`F`, the
*Pareto improvements* are the packages at least as good for both parties and better for one. Every one of them is
weakly dominated by a frontier point that also improves on :math:`u`, so the candidates are the dominating frontier
points :math:`D = \{f \in F : f \ge u,\ f \ne u\}`, with gains :math:`g = f - u \ge 0`. A *rule* picks one:

``equal_gains``
    :math:`\max_D \min_i g_i`: the egalitarian solution with the deal as the disagreement point — both sides gain
    the same amount as far as possible (Kalai 1977). Ties: the larger total gain.
``proportional``
    :math:`\max_D \min_{i:\,s_i > 0} g_i / s_i` with :math:`s_i = \max(u_i - d_i, 0)` each side's surplus over its
    BATNA :math:`d` at the deal: the improvement keeps the deal's split of the surplus (Kalai's proportional
    solution with weights :math:`s`). A side at or below its BATNA has no surplus to be proportional to: it gets
    weight 0 and is only guaranteed not to lose, the other side's ratio alone is maximised. If neither side is
    above its BATNA the rule falls back to ``equal_gains``.
``nash``
    :math:`\max_D g_0 g_1`: the Nash bargaining solution with the deal as the disagreement point, as
    :func:`~tradetalks.bargain.comparison.compare_to_frontier` reports it (Raiffa's post-settlement settlement).
``utilitarian``
    :math:`\max_D g_0 + g_1`: the largest joint gain (the value left on the table).

Every objective is weakly increasing in each utility and the set of dominating packages is up-closed, so with the
tie-breaking of :func:`~tradetalks.bargain.solutions.pick_best` (objective, then total, then party 0, then party 1)
the point chosen among the frontier points is the one a search over all packages would choose (see
:mod:`tradetalks.bargain.solutions`). Gains are compared in the parties' utility units (USD a year, weighted), so
``equal_gains`` and ``utilitarian`` assume they are comparable; ``nash`` and ``proportional`` are invariant to
rescaling one side's utility.

References
----------
Kalai, E. (1977). Proportional solutions to bargaining situations: interpersonal utility comparisons.
*Econometrica* 45(7), 1623-1630. https://doi.org/10.2307/1914129

Nash, J. F. (1950). The bargaining problem. *Econometrica* 18(2), 155-162. https://doi.org/10.2307/1907266

Raiffa, H. (1985). Post-settlement settlements. *Negotiation Journal* 1(1), 9-12.
https://doi.org/10.1111/j.1571-9979.1985.tb00286.x
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradetalks.bargain.comparison import BEYOND_FRONTIER_RTOL
from tradetalks.bargain.frontier import Frontier
from tradetalks.bargain.solutions import batna_array, pick_best
from tradetalks.errors import DataError
from tradetalks.options import ImprovementRule

__all__ = ["IMPROVEMENT_RULES", "Improvement", "ImprovementRule", "improve_deal", "improvement_objective"]

IMPROVEMENT_RULES: tuple[ImprovementRule, ...] = get_args(ImprovementRule)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Improvement:
    """The Pareto improvement of a deal that a rule picks.

    Attributes
    ----------
    rule
        The rule (see the module docstring).
    deal
        Shape ``(2,)``: the deal's (party 0, party 1) utilities.
    on_frontier
        ``True`` when no package Pareto-dominates the deal (then every field below is ``None``).
    n_dominating
        Number of distinct frontier points that Pareto-dominate the deal.
    utilities
        Shape ``(2,)``: the chosen frontier point.
    choices
        Shape ``(k,)``, ``int64``: option (row) index per issue of one package attaining ``utilities``.
    gains
        Shape ``(2,)``: ``utilities - deal``, both >= 0 and not both 0.
    objective
        The rule's objective at the chosen point.
    """

    rule: ImprovementRule
    deal: FloatArray
    on_frontier: bool
    n_dominating: int
    utilities: FloatArray | None
    choices: NDArray[np.int64] | None
    gains: FloatArray | None
    objective: float | None

    def __repr__(self) -> str:
        u = self.deal
        head = f"Improvement({self.rule}: deal ({u[0]:.6g}, {u[1]:.6g}) "
        if self.gains is None or self.utilities is None:
            return head + "is on the Pareto frontier)"
        g = self.gains
        return head + (f"-> ({self.utilities[0]:.6g}, {self.utilities[1]:.6g}), gains ({g[0]:.6g}, {g[1]:.6g}); "
                       f"{self.n_dominating} dominating frontier points)")


def _frozen(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.setflags(write=False)
    return a


def improvement_objective(rule: ImprovementRule, gains: ArrayLike, surplus: ArrayLike = (1.0, 1.0)) -> FloatArray:
    r"""The rule's objective for each row of gains over the deal.

    Parameters
    ----------
    rule
        ``"equal_gains"``, ``"proportional"``, ``"nash"`` or ``"utilitarian"``.
    gains
        Shape ``(n, 2)``: gains :math:`g = f - u` of candidate points over the deal (>= 0 for Pareto improvements).
    surplus
        Shape ``(2,)``: each side's surplus over its BATNA at the deal, :math:`u - d`; used by ``proportional``
        only (values <= 0 are clipped to 0; both 0 falls back to equal gains).

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``.

    Raises
    ------
    DataError
        If ``rule`` is not one of :data:`IMPROVEMENT_RULES`.

    Examples
    --------
    >>> improvement_objective("proportional", [[1.0, 3.0], [2.0, 2.0]], surplus=[1.0, 3.0]).tolist()
    [1.0, 0.6666666666666666]
    """
    g = np.asarray(gains, dtype=np.float64).reshape(-1, 2)
    if rule == "equal_gains":
        return np.asarray(g.min(axis=1), dtype=np.float64)
    if rule == "nash":
        return np.asarray(g[:, 0] * g[:, 1], dtype=np.float64)
    if rule == "utilitarian":
        return np.asarray(g[:, 0] + g[:, 1], dtype=np.float64)
    if rule == "proportional":
        s = np.clip(np.asarray(surplus, dtype=np.float64), 0.0, None)
        if not (s > 0).any():
            return np.asarray(g.min(axis=1), dtype=np.float64)
        ratios = np.where(s > 0, g / np.where(s > 0, s, 1.0), np.inf)
        return np.asarray(ratios.min(axis=1), dtype=np.float64)
    raise DataError(f"Unknown improvement rule {rule!r}.", received=rule, fix=f"use one of {list(IMPROVEMENT_RULES)}")


def _deal_array(deal: ArrayLike) -> FloatArray:
    u = np.asarray(deal, dtype=np.float64)
    if u.shape != (2,) or not np.isfinite(u).all():
        raise DataError("A deal's utilities must be two finite numbers.",
                        received=u.tolist() if u.size <= 10 else f"array of shape {u.shape}",
                        fix="pass (party 0 utility, party 1 utility).")
    return u


def _check_attainable(points: FloatArray, u: FloatArray) -> None:
    """Every package is weakly dominated by a frontier point, so utilities beyond the frontier are no package's."""
    shortfall = float((points - u).min(axis=1).max())
    tol = BEYOND_FRONTIER_RTOL * max(1.0, float(np.abs(points).max()), float(np.abs(u).max()))
    if shortfall < -tol:
        raise DataError(
            f"No package attains the deal's utilities: they lie beyond the Pareto frontier (the closest frontier "
            f"point falls short by {-shortfall:.6g}).", received=u.tolist(),
            fix="value the deal with the same issue utilities the frontier was computed from (a package that "
                "breaks a constraint can be better for both than every feasible one).")


def improve_deal(frontier: Frontier, deal: ArrayLike, rule: ImprovementRule = "equal_gains",
                 batna: ArrayLike = (0.0, 0.0)) -> Improvement:
    r"""The Pareto improvement of a deal chosen by a fairness rule.

    Parameters
    ----------
    frontier
        The exact frontier (:func:`~tradetalks.bargain.frontier.pareto_frontier`).
    deal
        Shape ``(2,)``: the deal's utilities, computed like the frontier's (issue sums left to right) so that a deal
        on the frontier compares equal to its frontier point.
    rule
        ``"equal_gains"`` (default), ``"proportional"``, ``"nash"`` or ``"utilitarian"`` (module docstring).
    batna
        Shape ``(2,)``: the disagreement point :math:`d`, used by ``proportional`` only (0 when utilities are
        measured against the BATNA, as in tradetalks).

    Returns
    -------
    Improvement
        ``on_frontier`` and no choice when nothing dominates the deal.

    Raises
    ------
    DataError
        If the deal or the BATNA is not two finite numbers, the rule is unknown, or the deal lies beyond the
        frontier (up to :data:`~tradetalks.bargain.comparison.BEYOND_FRONTIER_RTOL`).

    References
    ----------
    Kalai (1977), https://doi.org/10.2307/1914129; Nash (1950), https://doi.org/10.2307/1907266; Raiffa (1985),
    https://doi.org/10.1111/j.1571-9979.1985.tb00286.x

    Examples
    --------
    >>> from tradetalks.bargain.frontier import pareto_frontier
    >>> f = pareto_frontier([[[0, 0], [6, 1], [3, 3], [1, 5]]])
    >>> [improve_deal(f, [0, 0], rule).utilities.tolist() for rule in IMPROVEMENT_RULES]
    [[3.0, 3.0], [3.0, 3.0], [3.0, 3.0], [6.0, 1.0]]
    >>> improve_deal(f, [3, 3]).on_frontier
    True
    """
    if rule not in IMPROVEMENT_RULES:
        raise DataError(f"Unknown improvement rule {rule!r}.", received=rule,
                        fix=f"use one of {list(IMPROVEMENT_RULES)}")
    u, d = _deal_array(deal), batna_array(batna)
    points = frontier.utilities
    _check_attainable(points, u)
    gains = points - u
    dominating = np.asarray((gains >= 0).all(axis=1) & (gains > 0).any(axis=1), dtype=np.bool_)
    n = int(dominating.sum())
    if n == 0:
        return Improvement(rule, _frozen(u), True, 0, None, None, None, None)
    objective = improvement_objective(rule, gains, u - d)
    best = pick_best(objective, points, dominating)
    assert best is not None
    return Improvement(rule=rule, deal=_frozen(u), on_frontier=False, n_dominating=n,
                       utilities=_frozen(points[best]), choices=_frozen(frontier.choices[best]),
                       gains=_frozen(gains[best]), objective=float(objective[best]))
