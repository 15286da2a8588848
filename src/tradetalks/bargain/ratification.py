r"""Two-level games: domestic ratifiers, win-sets, their overlap and the agreement under ratification.

Each party :math:`p` has ratifiers :math:`j` (a legislature, lobbies, agencies). Ratifier :math:`j` values a
package :math:`x` (one row per issue group) as :math:`v_j(x) = \sum_g V_{g}[x_g, j]` with
:math:`V_g = P_g C` — the stakeholder payoffs of the group's rows (USD/yr against the BATNA) times the ratifier's
``cares_about`` weights — and *accepts* it when :math:`v_j(x) \ge \theta_j`. The party's rule is met when every
veto player accepts and the accepting non-veto ratifiers hold at least ``quota`` of the non-veto votes. The
*win-set* of a party is the set of packages that meet its rule (Putnam 1988); the *overlap* is the set that meets
both rules; an agreement must lie in the overlap and be strictly better than the BATNA for both negotiators.

The package space is never enumerated. Questions over it are mixed-integer linear programmes (HiGHS through
``highspy``) with one binary per group row (one row per group), a linear constraint per veto
player and, for quotas, a binary acceptance indicator per non-veto ratifier linked by a big-M constraint:

.. math::

    \sum_r x_{g r} = 1 \ \forall g, \qquad v_j(x) \ge \theta_j \ (\text{veto } j), \qquad
    v_j(x) \ge \theta_j - M_j (1 - a_j), \quad \sum_j w_j a_j \ge q \sum_j w_j,

with :math:`M_j = \theta_j - \min_x v_j(x)`. The constrained Pareto frontier comes from an
:math:`\varepsilon`-constraint sweep: from the left, each step asks for the largest :math:`u_1` among ratifiable
packages with :math:`u_0` strictly above the previous point's. A step is answered without a MILP whenever the
unconstrained frontier point that answers it (:func:`~tradetalks.bargain.frontier.pareto_frontier`) is ratifiable.
The Nash solution under ratification is a branch and bound over intervals of :math:`u_0`, bounded by the
unconstrained frontier and by what the MILPs have already shown, so it visits only the few constrained frontier
points that can beat the best Nash product found.

Every package a MILP returns is re-checked exactly with :func:`rule_met`; on a tolerance miss the offending
ratifier's constraint is tightened and the MILP solved again. "Strictly above" is implemented as "at least
:data:`SWEEP_RESOLUTION` × the utility scale above", so two frontier points closer than that in :math:`u_0` (or a
package within the solver's feasibility tolerance of a threshold) may be merged or missed; on data with coarser
gaps (all tests) the results equal brute force exactly.

References
----------
Putnam, R. D. (1988). Diplomacy and domestic politics: the logic of two-level games. *International Organization*
42(3), 427-460. https://doi.org/10.1017/S0020818300027697

Haimes, Y. Y., Lasdon, L. S. and Wismer, D. A. (1971). On a bicriterion formulation of the problems of integrated
system identification and system optimization. *IEEE Transactions on Systems, Man, and Cybernetics* SMC-1(3),
296-297. https://doi.org/10.1109/TSMC.1971.4308298 (the :math:`\varepsilon`-constraint method)

Huangfu, Q. and Hall, J. A. J. (2018). Parallelizing the dual revised simplex method. *Mathematical Programming
Computation* 10(1), 119-142. https://doi.org/10.1007/s12532-017-0130-5 (HiGHS)
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradetalks.bargain.frontier import Frontier, pareto_frontier, skyline
from tradetalks.bargain.ratification_milp import SWEEP_RESOLUTION, RatificationProgram
from tradetalks.bargain.ratifiers import (
    DEFAULT_MAX_ENUMERATE,
    DEFAULT_N_SAMPLES,
    CountMethod,
    PackageCount,
    RatificationRule,
    WinSetCounts,
    check_tables,
    count_winsets,
    package_values,
    ratifiable,
    ratifier_tables,
    rule_met,
)
from tradetalks.bargain.solutions import Solution, batna_array, nash

__all__ = [
    "DEFAULT_MAX_ENUMERATE",
    "DEFAULT_N_SAMPLES",
    "SWEEP_RESOLUTION",
    "CountMethod",
    "PackageCount",
    "RatificationRule",
    "RatifiedPackage",
    "WinSetCounts",
    "best_ratifiable",
    "constrained_frontier",
    "constrained_nash",
    "count_winsets",
    "package_values",
    "ratifiable",
    "ratifier_tables",
    "rule_met",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: answer a sweep step from the unconstrained frontier when its point is ratifiable (tests switch it off to check
#: the MILP alone against brute force)
_FRONTIER_SHORTCUT = True
#: the Nash sweep first solves MILPs for weighted sums of utilities, the weights tilted by these factors around the
#: normal of the Nash iso-product curve, to start with a good Nash product
_SCALARISATION_TILTS = (1.0, 0.5, 2.0)


@dataclass(frozen=True, eq=False)
class RatifiedPackage:
    """One package: ``choices`` (G,) row per group and its ``utilities`` (2,)."""

    choices: IntArray
    utilities: FloatArray



def _floor(floor: ArrayLike | None) -> FloatArray:
    return np.full(2, -np.inf) if floor is None else np.asarray(floor, dtype=np.float64).reshape(2)


def _package(tables: Sequence[FloatArray], choices: IntArray) -> RatifiedPackage:
    u = package_values(tables, choices)[0]
    choices.setflags(write=False)
    u.setflags(write=False)
    return RatifiedPackage(choices=choices, utilities=u)


@dataclass(frozen=True, eq=False)
class _FrontierCheck:
    """Which unconstrained frontier points are ratifiable, and their packages' utilities, found in one batch (the
    same sums as :func:`_package` makes one package at a time)."""

    ok: NDArray[np.bool_]
    utilities: FloatArray

    @classmethod
    def of(cls, prog: RatificationProgram, front: Frontier) -> _FrontierCheck:
        return cls(ok=ratifiable(prog.rules, front.choices) if front.n_points else np.zeros(0, dtype=np.bool_),
                   utilities=package_values(prog.u, front.choices) if front.n_points else np.empty((0, 2)))

    def package(self, front: Frontier, i: int) -> RatifiedPackage:
        choices, u = front.choices[i].copy(), self.utilities[i].copy()
        choices.setflags(write=False)
        u.setflags(write=False)
        return RatifiedPackage(choices=choices, utilities=u)


def _next_point(prog: RatificationProgram, front: Frontier, lo: float, floor_1: float,
                check: _FrontierCheck | None = None) -> RatifiedPackage | None:
    """Largest ``u1`` among ratifiable packages with ``u0 > lo`` and ``u1 > floor_1`` (one sweep step).

    ``check``: :meth:`_FrontierCheck.of` ``(prog, front)`` when many steps are taken on the same frontier."""
    k = int(np.count_nonzero(front.utilities[:, 0] > lo))
    if k == 0 or front.utilities[k - 1, 1] <= floor_1:
        return None
    if _FRONTIER_SHORTCUT:
        if check is not None:
            if check.ok[k - 1]:
                return check.package(front, k - 1)
        elif ratifiable(prog.rules, front.choices[k - 1])[0]:
            return _package(prog.u, front.choices[k - 1].copy())
    bound = np.array([lo + prog.resolution[0] if np.isfinite(lo) else -np.inf,
                      floor_1 + prog.resolution[1] if np.isfinite(floor_1) else -np.inf])
    choices = prog.best(1, bound)
    return None if choices is None else _package(prog.u, choices)


def best_ratifiable(utilities: Sequence[ArrayLike], rules: Sequence[RatificationRule | None], party: int, *,
                    floor: ArrayLike | None = None, frontier: Frontier | None = None) -> RatifiedPackage | None:
    """The ratifiable package best for ``party`` (then best for the other party among those).

    Parameters
    ----------
    utilities
        Per group, shape ``(m_g, 2)``.
    rules
        The rules to meet (``None`` entries are ignored): one party's rule for its win-set, both for the overlap.
    party
        0 or 1: whose utility is maximised.
    floor
        Optional ``(2,)``: only packages with ``u >= floor`` (use ``-inf`` to leave a party free).
    frontier
        The unconstrained frontier of ``utilities`` if already computed (its best point is tried first).

    Returns
    -------
    RatifiedPackage or None
        ``None`` when no package meets the rules (and the floor): the win-set (or overlap) is empty.

    Examples
    --------
    >>> u = [np.array([[0.0, 0.0], [3.0, -1.0], [5.0, -4.0]])]
    >>> rule = RatificationRule((u[0][:, 1:],), np.array([-2.0]), np.array([True]), np.ones(1), 0.5)
    >>> best_ratifiable(u, [None, rule], 0).utilities.tolist()
    [3.0, -1.0]
    """
    tables = check_tables(utilities, rules)
    lo = _floor(floor)
    front = frontier if frontier is not None else pareto_frontier(tables)
    ok = (front.utilities >= lo).all(axis=1)
    best_i = np.flatnonzero(ok)
    if best_i.size and _FRONTIER_SHORTCUT:
        i = best_i[np.lexsort((front.utilities[best_i, 1 - party], front.utilities[best_i, party]))[-1]]
        if ratifiable(rules, front.choices[i])[0]:
            return _package(tables, front.choices[i].copy())
    prog = RatificationProgram(tables, rules)
    first = prog.best(party, lo)
    if first is None:
        return None
    top = _package(tables, first)
    lo2 = lo.copy()
    lo2[party] = top.utilities[party]
    second = prog.best(1 - party, lo2)
    if second is not None:
        pkg = _package(tables, second)
        if pkg.utilities[party] >= top.utilities[party] and pkg.utilities[1 - party] > top.utilities[1 - party]:
            return pkg
    return top


def _as_frontier(points: list[RatifiedPackage], n_groups: int, n_packages: int) -> Frontier:
    if not points:
        u, ch = np.empty((0, 2)), np.empty((0, n_groups), dtype=np.int64)
    else:
        u = np.array([p.utilities for p in points])
        ch = np.array([p.choices for p in points], dtype=np.int64)
        keep = skyline(u)
        u, ch = u[keep], ch[keep]
    for a in (u, ch):
        a.setflags(write=False)
    return Frontier(utilities=u, choices=ch, n_packages=n_packages)


def constrained_frontier(utilities: Sequence[ArrayLike], rules: Sequence[RatificationRule | None], *,
                         floor: ArrayLike | None = None, frontier: Frontier | None = None,
                         max_points: int = 100_000) -> Frontier:
    """Exact Pareto frontier of the packages that meet the rules (and lie strictly above ``floor``).

    An :math:`\\varepsilon`-constraint sweep (module docstring): starting left of every package, each step takes
    the ratifiable package with the largest :math:`u_1` among those with :math:`u_0` strictly above the previous
    one, from the unconstrained frontier when that point is ratifiable, otherwise from a MILP.

    Parameters
    ----------
    utilities
        Per group, shape ``(m_g, 2)``.
    rules
        Rules to meet (``None`` entries ignored): ``[rule_0, None]`` gives party 0's win-set frontier,
        ``[rule_0, rule_1]`` the overlap's.
    floor
        Optional ``(2,)``: keep only packages with ``u > floor`` (e.g. the BATNA, for agreements).
    frontier
        The unconstrained frontier, if already computed.
    max_points
        Stop after this many sweep steps (a guard; frontiers are much smaller).

    Returns
    -------
    Frontier
        Distinct non-dominated utility pairs of ratifiable packages, ``u0`` descending, one package each.

    Examples
    --------
    >>> u = [np.array([[0.0, 0.0], [3.0, -1.0], [5.0, -4.0]]), np.array([[0.0, 0.0], [1.0, 1.0]])]
    >>> rule = RatificationRule(tuple(t[:, 1:] for t in u), np.array([-2.0]), np.array([True]), np.ones(1), 0.5)
    >>> constrained_frontier(u, [None, rule]).utilities.tolist()
    [[4.0, 0.0], [1.0, 1.0]]
    """
    tables = check_tables(utilities, rules)
    lo, floor_1 = _floor(floor)
    front = frontier if frontier is not None else pareto_frontier(tables)
    prog = RatificationProgram(tables, rules)
    check = _FrontierCheck.of(prog, front) if _FRONTIER_SHORTCUT else None
    points: list[RatifiedPackage] = []
    for _ in range(max_points):
        pkg = _next_point(prog, front, float(lo), float(floor_1), check)
        if pkg is None:
            break
        points.append(pkg)
        lo = pkg.utilities[0]
    return _as_frontier(points, len(tables), front.n_packages)


def _nash_objective(u: FloatArray, d: FloatArray, alpha: FloatArray) -> FloatArray:
    """Nash product of each row of ``u`` (as :func:`~tradetalks.bargain.solutions.nash` computes it); -inf outside
    the ZOPA."""
    g = np.atleast_2d(u) - d
    inside = np.asarray((g > 0).all(axis=1), dtype=np.bool_)
    with np.errstate(invalid="ignore"):
        obj = np.where(inside[:, None], g, 1.0) ** alpha
    return np.where(inside, obj[:, 0] * obj[:, 1], -np.inf)


def _scalarised(prog: RatificationProgram, front: Frontier, d: FloatArray, alpha: FloatArray) -> list[RatifiedPackage]:
    """Ratifiable packages above the BATNA that maximise weighted sums of utilities, the weights around the normal of
    the Nash iso-product curve at the unconstrained Nash point: cheap, good first candidates for the sweep."""
    obj = _nash_objective(front.utilities, d, alpha)
    if not np.isfinite(obj).any():
        return []
    g = front.utilities[int(np.argmax(obj))] - d
    normal = np.array([alpha[0] / g[0], alpha[1] / g[1]]) * prog.u_scale
    out = []
    for tilt in _SCALARISATION_TILTS:
        choices = prog.best(normal * np.array([tilt, 1.0 / tilt]), d + prog.resolution)
        if choices is not None:
            out.append(_package(prog.u, choices))
    return out


def _interval_bound(a: float, b: float, s: float, front: Frontier, d: FloatArray, alpha: FloatArray) -> float:
    """Upper bound on the Nash product of packages with ``a < u0 <= b`` and ``u1 <= s``: the box corner
    ``(b, s)``, and the unconstrained frontier's staircase over ``(a, b]`` (a package with ``u0 <= f0`` of the
    first frontier point ``f`` at or right of it has ``u1 <= f1``)."""
    x, y = front.utilities[::-1, 0], front.utilities[::-1, 1]  # u0 ascending
    lo, hi = int(np.searchsorted(x, a, side="right")), int(np.searchsorted(x, b, side="left"))
    if lo >= x.size:
        return -np.inf
    stair = np.column_stack([np.minimum(x[lo:hi + 1], b), np.minimum(y[lo:hi + 1], s)])
    return float(_nash_objective(stair, d, alpha).max())


def constrained_nash(utilities: Sequence[ArrayLike], rules: Sequence[RatificationRule | None], batna: ArrayLike,
                     powers: tuple[float, float] = (1.0, 1.0), *,
                     frontier: Frontier | None = None) -> Solution | None:
    r"""(Asymmetric) Nash bargaining solution over the packages that meet the rules and beat the BATNA.

    The same objective, tie-breaking and result as :func:`~tradetalks.bargain.solutions.nash` applied to
    ``constrained_frontier(utilities, rules, floor=batna)``, by a best-first branch and bound over intervals of
    :math:`u_0` instead of sweeping all of that frontier. An interval :math:`(a, b]` with :math:`u_1 \le s` is
    bounded by the Nash product of its corner :math:`(b, s)` and of the unconstrained frontier above it
    (:func:`_interval_bound`); one MILP finds the ratifiable package :math:`q` with the largest :math:`u_1` among
    :math:`u_0 > m` at the midpoint :math:`m`, which splits it into :math:`(a, m]` (still :math:`u_1 \le s`),
    :math:`(m, q_0)` (dominated by :math:`q`, dropped) and :math:`(q_0, b]` (now :math:`u_1 \le q_1`). Intervals
    whose bound is below the best product found are dropped. Good first candidates come from the unconstrained
    frontier points that are ratifiable and from MILPs maximising weighted sums of utilities near the Nash
    direction. When the unconstrained Nash solution is itself ratifiable it is the answer, and no MILP is solved.

    Parameters
    ----------
    utilities
        Per group, shape ``(m_g, 2)``.
    rules
        Rules to meet (``None`` entries ignored).
    batna
        Shape ``(2,)``: the disagreement point.
    powers
        Bargaining powers (e.g. from :func:`~tradetalks.bargain.timing.rubinstein_powers`).
    frontier
        The unconstrained frontier, if already computed.

    Returns
    -------
    Solution or None
        ``None`` when no package meets the rules and is strictly better than the BATNA for both.

    References
    ----------
    Nash (1950), https://doi.org/10.2307/1907266; Putnam (1988), https://doi.org/10.1017/S0020818300027697;
    Land, A. H. and Doig, A. G. (1960), An automatic method of solving discrete programming problems,
    *Econometrica* 28(3), 497-520, https://doi.org/10.2307/1910129 (branch and bound)

    Examples
    --------
    >>> u = [np.array([[0.0, 0.0], [3.0, -1.0], [5.0, -4.0]]), np.array([[0.0, 0.0], [1.0, 1.0]])]
    >>> rule = RatificationRule(tuple(t[:, 1:] for t in u), np.array([-2.0]), np.array([True]), np.ones(1), 0.5)
    >>> constrained_nash(u, [None, rule], [0.0, 0.0]).utilities.tolist()
    [1.0, 1.0]
    """
    tables = check_tables(utilities, rules)
    d = batna_array(batna)
    alpha = np.asarray(powers, dtype=np.float64)
    front = frontier if frontier is not None else pareto_frontier(tables)
    prog = RatificationProgram(tables, rules)
    check = _FrontierCheck.of(prog, front) if _FRONTIER_SHORTCUT else None
    found = [] if check is None else [check.package(front, int(i)) for i in np.flatnonzero(check.ok)]
    free = nash(front, d, powers=powers) if _FRONTIER_SHORTCUT else None
    if free is not None and ratifiable(prog.rules, free.choices)[0]:
        # The unconstrained solution is ratifiable: no ratifiable package beats it (they are a subset of all
        # packages, and the tie-break orders utilities, not packages), and `found` holds it with the frontier's
        # package, which the skyline keeps first among equal points: the same answer without a MILP.
        return nash(_as_frontier(found, len(tables), front.n_packages), d, powers=powers)
    found += _scalarised(prog, front, d, alpha)
    best = max((float(_nash_objective(p.utilities, d, alpha)[0]) for p in found), default=-np.inf)
    top = float(front.utilities[:, 0].max()) if front.n_points else float(d[0])
    heap = [(-np.inf, float(d[0]), top, float(front.utilities[:, 1].max()) if front.n_points else float(d[1]))]
    while heap:
        _, a, b, cap = heapq.heappop(heap)
        bound = _interval_bound(a, b, cap, front, d, alpha)
        if bound < best or bound == -np.inf:
            continue
        mid = a + (b - a) / 2 if b - a > 2 * prog.resolution[0] else a
        q = _next_point(prog, front, mid, float(d[1]), check)
        if mid > a:
            heapq.heappush(heap, (-bound, a, mid, cap))
        if q is None:
            continue
        found.append(q)
        best = max(best, float(_nash_objective(q.utilities, d, alpha)[0]))
        if q.utilities[0] < b:
            heapq.heappush(heap, (-bound, float(q.utilities[0]), b, float(q.utilities[1])))
    return nash(_as_frontier(found, len(tables), front.n_packages), d, powers=powers)
