r"""Bargaining solutions on an exact Pareto frontier: Nash, Kalai–Smorodinsky, egalitarian, utilitarian.

Every solution maximises an objective :math:`g(u)` over the packages that are individually rational for both
parties (:math:`u \ge d`, with :math:`d` the utilities of the BATNA, the disagreement point; strictly
:math:`u > d` for Nash). Each objective is *monotone*: if :math:`q` Pareto-dominates :math:`p` then
:math:`g(q) \ge g(p)` (strictly for Nash and utilitarian), and the feasible region is up-closed, so a dominating
package is feasible whenever the dominated one is. Hence a maximiser over all packages can be taken on the
Pareto frontier, and with the tie-breaking below (larger objective, then larger :math:`u_0 + u_1`, then larger
:math:`u_0`, then larger :math:`u_1`; each key weakly increases under domination, and the last three cannot all
tie between two distinct points with :math:`q \ge p`) the selected point over all packages *is* a frontier
point. Searching the frontier is therefore exact, and costs :math:`O(n)` for an :math:`n`-point frontier
instead of the size of the package space. The same holds for floating-point evaluation because rounding is
monotone.

References
----------
Nash, J. F. (1950). The bargaining problem. *Econometrica* 18(2), 155-162. https://doi.org/10.2307/1907266

Kalai, E. and Smorodinsky, M. (1975). Other solutions to Nash's bargaining problem. *Econometrica* 43(3),
513-518. https://doi.org/10.2307/1914280

Kalai, E. (1977). Proportional solutions to bargaining situations: interpersonal utility comparisons.
*Econometrica* 45(7), 1623-1630. https://doi.org/10.2307/1914129 (the egalitarian solution)

Roth, A. E. (1979). *Axiomatic Models of Bargaining*. Springer. https://doi.org/10.1007/978-3-642-51570-5
(asymmetric Nash solution with bargaining powers)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradetalks.bargain.frontier import Frontier
from tradetalks.errors import DataError
from tradetalks.options import SolutionName

__all__ = [
    "SOLUTION_NAMES",
    "Solution",
    "SolutionName",
    "batna_array",
    "egalitarian",
    "kalai_smorodinsky",
    "nash",
    "pick_best",
    "utilitarian",
]

SOLUTION_NAMES: tuple[SolutionName, ...] = get_args(SolutionName)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Solution:
    """One bargaining solution.

    Attributes
    ----------
    name
        Which solution: ``"nash"``, ``"kalai_smorodinsky"``, ``"egalitarian"`` or ``"utilitarian"``.
    utilities
        Shape ``(2,)``: the (party 0, party 1) utility of the chosen package, in utility units.
    choices
        Shape ``(k,)``, ``int64``: the option index per issue of one package attaining ``utilities``.
    gains
        Shape ``(2,)``: ``utilities - batna``, each party's gain over its BATNA (>= 0).
    objective
        The maximised objective at the solution (see the function that produced it).
    """

    name: SolutionName
    utilities: FloatArray
    choices: NDArray[np.int64]
    gains: FloatArray
    objective: float

    def __repr__(self) -> str:
        u, g = self.utilities, self.gains
        return (
            f"Solution({self.name}: utilities ({u[0]:.6g}, {u[1]:.6g}), gains ({g[0]:.6g}, {g[1]:.6g}), "
            f"objective {self.objective:.6g}, choices {self.choices.tolist()})"
        )


def batna_array(batna: ArrayLike) -> FloatArray:
    """Validate a disagreement point: a finite ``(2,)`` float array."""
    d = np.asarray(batna, dtype=np.float64)
    if d.shape != (2,) or not np.isfinite(d).all():
        raise DataError(
            "The BATNA (disagreement point) must be two finite utilities, one per party.",
            received=d.tolist() if d.size <= 10 else f"array of shape {d.shape}",
            fix="pass (party 0 utility, party 1 utility) of the no-deal outcome.",
        )
    return d


def _all_rows(condition: NDArray[np.bool_]) -> NDArray[np.bool_]:
    return np.asarray(np.all(condition, axis=1), dtype=np.bool_)


def pick_best(objective: FloatArray, points: FloatArray, mask: NDArray[np.bool_]) -> int | None:
    """Index of the best point among ``mask``: largest objective, then sum, then party-0, then party-1 utility.

    Returns ``None`` when ``mask`` selects nothing.
    """
    candidates = np.flatnonzero(mask)
    if candidates.size == 0:
        return None
    obj = objective[candidates]
    tied = candidates[obj == obj.max()]  # usually one point: no sort needed
    if tied.size == 1:
        return int(tied[0])
    if tied.size > 1:
        candidates, obj = tied, objective[tied]
    p = points[candidates]
    # np.lexsort sorts by the last key first; the best point is the last one.
    order = np.lexsort((p[:, 1], p[:, 0], p[:, 0] + p[:, 1], obj))
    return int(candidates[order[-1]])


def _solution(
    name: SolutionName, frontier: Frontier, d: FloatArray, objective: FloatArray, mask: NDArray[np.bool_]
) -> Solution | None:
    best = pick_best(objective, frontier.utilities, mask)
    if best is None:
        return None
    u = frontier.utilities[best].copy()
    gains = u - d
    choices = frontier.choices[best].copy()
    for a in (u, gains, choices):
        a.setflags(write=False)
    return Solution(name=name, utilities=u, choices=choices, gains=gains, objective=float(objective[best]))


def nash(frontier: Frontier, batna: ArrayLike, powers: tuple[float, float] = (1.0, 1.0)) -> Solution | None:
    r"""(Asymmetric) Nash bargaining solution.

    .. math::

        u^N = \arg\max_{u \in F,\ u > d} \ (u_0 - d_0)^{\alpha_0} (u_1 - d_1)^{\alpha_1}

    over frontier points strictly better than the BATNA :math:`d` for both parties; :math:`\alpha` are the
    bargaining powers (equal powers give the symmetric Nash solution). The objective is strictly increasing in
    each gain on :math:`u > d`, so the maximum over all packages lies on the frontier (module docstring).

    Parameters
    ----------
    frontier
        The exact Pareto frontier (:func:`~tradetalks.bargain.frontier.pareto_frontier`).
    batna
        Shape ``(2,)``: the disagreement point :math:`d`, in utility units.
    powers
        Bargaining powers :math:`(\alpha_0, \alpha_1)`, each finite and > 0.

    Returns
    -------
    Solution or None
        ``objective`` is the Nash product :math:`\prod_i (u_i - d_i)^{\alpha_i}`. ``None`` when no package is
        strictly better than the BATNA for both parties (the ZOPA is empty). Ties: larger sum of utilities, then
        larger party-0 utility.

    Raises
    ------
    DataError
        If ``batna`` is not two finite numbers or a power is not finite and positive.

    References
    ----------
    Nash (1950), https://doi.org/10.2307/1907266; Roth (1979), https://doi.org/10.1007/978-3-642-51570-5

    Examples
    --------
    >>> from tradetalks.bargain.frontier import pareto_frontier
    >>> f = pareto_frontier([[[4, 0], [3, 2], [1, 3], [0, 4]]])
    >>> nash(f, [0, 0]).utilities.tolist()
    [3.0, 2.0]
    >>> nash(f, [0, 0], powers=(1.0, 3.0)).utilities.tolist()
    [1.0, 3.0]
    """
    d = batna_array(batna)
    alpha = np.asarray(powers, dtype=np.float64)
    if alpha.shape != (2,) or not (np.isfinite(alpha).all() and (alpha > 0).all()):
        raise DataError(
            "Bargaining powers must be two finite positive numbers.",
            received=powers,
            fix="use e.g. (1.0, 1.0) for the symmetric Nash solution.",
        )
    gains = frontier.utilities - d
    mask = _all_rows(gains > 0)
    with np.errstate(invalid="ignore"):
        objective = np.where(mask[:, None], gains, 1.0) ** alpha
    return _solution("nash", frontier, d, objective[:, 0] * objective[:, 1], mask)


def kalai_smorodinsky(frontier: Frontier, batna: ArrayLike) -> Solution | None:
    r"""Kalai–Smorodinsky solution (discrete version).

    With the ideal point :math:`I_i = \max\{u_i : u \in F, u \ge d\}`, the continuous solution is the
    frontier point on the segment from :math:`d` to :math:`I`. On a discrete frontier the segment usually misses
    every point, so this picks the point that goes furthest along it in the max-min sense:

    .. math::

        u^{KS} = \arg\max_{u \in F,\ u \ge d} \ \min_i \frac{u_i - d_i}{I_i - d_i},

    which is the point on the segment when there is one. If :math:`I_i = d_i` (party :math:`i` cannot gain at all)
    its ratio is taken as 1. The objective is weakly increasing in each utility, so the maximum over all packages
    lies on the frontier.

    Named for Kalai and Smorodinsky (1975); not the "Kalai" (egalitarian/proportional) solution of Kalai (1977),
    which other tools also call "Kalai".

    Parameters
    ----------
    frontier
        The exact Pareto frontier.
    batna
        Shape ``(2,)``: the disagreement point :math:`d`.

    Returns
    -------
    Solution or None
        ``objective`` is :math:`\min_i (u_i - d_i)/(I_i - d_i)` in :math:`[0, 1]`. ``None`` when no package has
        :math:`u \ge d`. Ties: larger sum of utilities, then larger party-0 utility.

    References
    ----------
    Kalai and Smorodinsky (1975), https://doi.org/10.2307/1914280

    Examples
    --------
    >>> from tradetalks.bargain.frontier import pareto_frontier
    >>> f = pareto_frontier([[[10, 0], [6, 2], [3, 4], [0, 5]]])
    >>> kalai_smorodinsky(f, [0, 0]).utilities.tolist()
    [6.0, 2.0]
    """
    d = batna_array(batna)
    gains = frontier.utilities - d
    mask = _all_rows(gains >= 0)
    if not mask.any():
        return None
    span = gains[mask].max(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(span > 0, gains / np.where(span > 0, span, 1.0), 1.0)
    return _solution("kalai_smorodinsky", frontier, d, ratios.min(axis=1), mask)


def egalitarian(frontier: Frontier, batna: ArrayLike) -> Solution | None:
    r"""Egalitarian solution: the largest gain both parties get.

    .. math::

        u^E = \arg\max_{u \in F,\ u \ge d} \ \min_i (u_i - d_i)

    Gains are compared in the parties' utility units, so this assumes they are interpersonally comparable (e.g.
    both in USD a year). The objective is weakly increasing in each utility, so the maximum over all packages lies
    on the frontier.

    Parameters
    ----------
    frontier
        The exact Pareto frontier.
    batna
        Shape ``(2,)``: the disagreement point :math:`d`.

    Returns
    -------
    Solution or None
        ``objective`` is the smaller gain. ``None`` when no package has :math:`u \ge d`. Ties: larger sum of
        utilities, then larger party-0 utility.

    References
    ----------
    Kalai (1977), https://doi.org/10.2307/1914129

    Examples
    --------
    >>> from tradetalks.bargain.frontier import pareto_frontier
    >>> f = pareto_frontier([[[10, 0], [6, 2], [3, 4], [0, 5]]])
    >>> egalitarian(f, [0, 0]).utilities.tolist()
    [3.0, 4.0]
    """
    d = batna_array(batna)
    gains = frontier.utilities - d
    mask = _all_rows(gains >= 0)
    return _solution("egalitarian", frontier, d, gains.min(axis=1), mask)


def utilitarian(frontier: Frontier, batna: ArrayLike) -> Solution | None:
    r"""Utilitarian solution: the largest joint utility among individually rational packages.

    .. math::

        u^U = \arg\max_{u \in F,\ u \ge d} \ u_0 + u_1

    Restricted to :math:`u \ge d`: neither party accepts a package worse than its BATNA, however large the total.
    The objective is strictly increasing in each utility, so the maximum over all packages lies on the frontier.

    Parameters
    ----------
    frontier
        The exact Pareto frontier.
    batna
        Shape ``(2,)``: the disagreement point :math:`d`.

    Returns
    -------
    Solution or None
        ``objective`` is :math:`u_0 + u_1`. ``None`` when no package has :math:`u \ge d`. Ties: larger party-0
        utility.

    References
    ----------
    Harsanyi, J. C. (1955). Cardinal welfare, individualistic ethics, and interpersonal comparisons of utility.
    *Journal of Political Economy* 63(4), 309-321. https://doi.org/10.1086/257678

    Examples
    --------
    >>> from tradetalks.bargain.frontier import pareto_frontier
    >>> f = pareto_frontier([[[10, 0], [6, 2], [3, 4], [0, 5]]])
    >>> utilitarian(f, [0, 0]).utilities.tolist(), utilitarian(f, [0, 1]).utilities.tolist()
    ([10.0, 0.0], [6.0, 2.0])
    """
    d = batna_array(batna)
    u = frontier.utilities
    mask = _all_rows(u >= d)
    return _solution("utilitarian", frontier, d, u[:, 0] + u[:, 1], mask)
