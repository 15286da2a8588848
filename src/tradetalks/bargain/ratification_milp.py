r"""The mixed-integer programme behind the win-set questions (HiGHS through its own Python API, ``highspy``).

One binary per group row with one row per group; per veto player :math:`v_j(x) \ge \theta_j`; per non-veto
ratifier of a party with a quota a binary acceptance indicator :math:`a_j` with
:math:`v_j(x) \ge \theta_j - M_j (1 - a_j)`, :math:`M_j = \theta_j - \min_x v_j(x)`, and
:math:`\sum_j w_j a_j \ge q \sum_j w_j`; optional floors on the two utilities. Every row is scaled to
coefficients of order one. Each package the solver returns is re-checked exactly
(:func:`~tradetalks.bargain.ratifiers.rule_met`); when the solver's feasibility tolerance let through a package
that fails the check, the constraints of the ratifiers it fails are tightened by twice the shortfall and the
programme is solved again.

HiGHS is silenced through its own option (``output_flag``); nothing here touches the process's streams, and each
solve has its own ``Highs`` instance, so the programme can be solved from several threads at once. HiGHS 1.12
printed one stray debug line with ``printf`` that no option silenced (ERGO-Code/HiGHS#2783); in case a release
does so again, the command-line entry point (:func:`tradetalks.cli.main`) sends C-level stdout to stderr once for
the whole process, so it never lands in the JSON the CLI prints. HiGHS 1.16 prints its banner when a ``Highs``
object is made, before ``output_flag`` can be set: ``pyproject.toml`` holds ``highspy`` below 1.16. ``highspy`` is
used rather than :func:`scipy.optimize.milp` (the same solver) because importing :mod:`scipy.optimize` alone takes
longer than the whole two-level game of the built-in scenario.

References
----------
Huangfu, Q. and Hall, J. A. J. (2018). Parallelizing the dual revised simplex method. *Mathematical Programming
Computation* 10(1), 119-142. https://doi.org/10.1007/s12532-017-0130-5 (HiGHS)

Williams, H. P. (2013). *Model Building in Mathematical Programming*, 5th ed. Wiley, ch. 9 (indicator variables
and big-M constraints).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tradetalks.bargain.ratifiers import RatificationRule, package_values, rule_met
from tradetalks.errors import ConvergenceError

__all__ = ["MAX_REPAIRS", "SWEEP_RESOLUTION", "RatificationProgram"]

#: "strictly above" in the MILP sweeps means at least this share of the largest |utility| of one group row above.
#: HiGHS accepts a binary within 1e-6 of an integer, so a bound closer than about that to an attainable value (in
#: units of the row's largest coefficient) is ambiguous to it; 1e-5 stays clear of that.
SWEEP_RESOLUTION = 1e-5
#: when HiGHS reports a solve error (a bound within its integrality tolerance of an attainable value), every lower
#: bound is relaxed by this much (rows are scaled to coefficients of order one) and the answer re-checked exactly.
_RELAX_ON_ERROR = 3e-6
#: MILP re-solves allowed when the solver's tolerance lets a package through that fails the exact check.
MAX_REPAIRS = 8

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class RatificationProgram:
    """The MILP of "best package for one party, subject to rules and utility floors", built once, solved often."""

    def __init__(self, utilities: list[FloatArray], rules: Sequence[RatificationRule | None]) -> None:
        self.u = utilities
        self.rules = [r for r in rules if r is not None]
        sizes = [t.shape[0] for t in utilities]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.n_x = int(self.offsets[-1])
        self.u_all = np.vstack(utilities)
        self.u_scale = np.maximum(np.abs(self.u_all).max(axis=0), 1e-300)
        self.resolution = SWEEP_RESOLUTION * self.u_scale
        self.n_ind = sum(int((~r.veto).sum()) for r in self.rules)
        self.shifts = [np.zeros(r.n_ratifiers) for r in self.rules]

    def _rule_rows(self) -> list[tuple[FloatArray, float]]:
        """Rows ``(coefficients, lower bound)`` of every ratifier and quota constraint, scaled to order one."""
        out: list[tuple[FloatArray, float]] = []
        n, k = self.n_x + self.n_ind, self.n_x
        for rule, shift in zip(self.rules, self.shifts, strict=True):
            v_all = np.vstack(rule.tables)
            v_min = sum(t.min(axis=0) for t in rule.tables)
            ind: list[int] = []
            for j in range(rule.n_ratifiers):
                theta = float(rule.thresholds[j] + shift[j])
                row = np.zeros(n)
                row[:self.n_x] = v_all[:, j]
                if not rule.veto[j]:
                    ind.append(k)
                    big_m = max(theta - float(v_min[j]), 0.0)
                    row[k] = -big_m
                    theta -= big_m
                    k += 1
                scale = max(float(np.abs(row).max()), abs(theta), 1e-300)
                out.append((row / scale, theta / scale))
            total = float(rule.votes[~rule.veto].sum())
            if ind and total > 0:
                row = np.zeros(n)
                row[ind] = rule.votes[~rule.veto] / total
                out.append((row, rule.quota))
        return out

    def _solve(self, weights: FloatArray, floor: FloatArray) -> IntArray | None:
        n = self.n_x + self.n_ind
        a = np.zeros((len(self.u), n))
        for g in range(len(self.u)):
            a[g, self.offsets[g]:self.offsets[g + 1]] = 1.0
        rows = self._rule_rows()
        for p in (0, 1):
            if np.isfinite(floor[p]):
                row = np.zeros(n)
                row[:self.n_x] = self.u_all[:, p] / self.u_scale[p]
                rows.append((row, float(floor[p] / self.u_scale[p])))
        c = np.zeros(n)
        c[:self.n_x] = -(self.u_all / self.u_scale) @ weights
        lhs = np.vstack([r for r, _ in rows]) if rows else np.zeros((0, n))
        rhs = np.array([b for _, b in rows])
        for relax in (0.0, _RELAX_ON_ERROR):
            status, x = _solve_milp(c, np.vstack([a, lhs]), np.concatenate([np.ones(len(a)), rhs - relax]),
                                    np.concatenate([np.ones(len(a)), np.full(len(rhs), np.inf)]))
            if status != "error":
                break
        if status == "infeasible":
            return None
        if status != "optimal" or x is None:
            raise ConvergenceError("The MILP solver stopped before proving optimality.",
                                   diagnostics={"status": status})
        return np.array([int(np.argmax(x[self.offsets[g]:self.offsets[g + 1]])) for g in range(len(self.u))],
                        dtype=np.int64)

    def _repair(self, choices: IntArray) -> bool:
        """Tighten the constraints of ratifiers the solver let through below their threshold; False if none."""
        bad = False
        for rule, shift in zip(self.rules, self.shifts, strict=True):
            v = package_values(rule.tables, choices)[0]
            if rule_met(v, rule)[0]:
                continue
            short = rule.thresholds + shift - v
            miss = short > 0
            scale = np.abs(np.vstack(rule.tables)).max(axis=0)
            shift[miss] += 2 * short[miss] + SWEEP_RESOLUTION * scale[miss]
            bad = True
        return bad

    def best(self, party: int | FloatArray, floor: FloatArray) -> IntArray | None:
        """Largest ``u[party]`` (or ``weights @ u`` for a ``(2,)`` array of scalarisation weights, each scaled by
        the largest |u| of its party) among packages meeting the rules with ``u >= floor``, checked exactly.

        Returns the row choice per group, or ``None`` if the solver finds no such package. A package that fails
        the exact check (solver tolerance) tightens the offending constraint and the programme is solved again.
        """
        bound = np.asarray(floor, dtype=np.float64).copy()
        weights = np.eye(2)[party] if isinstance(party, int) else np.asarray(party, dtype=np.float64)
        for _ in range(MAX_REPAIRS):
            choices = self._solve(weights, bound)
            if choices is None:
                return None
            if self._repair(choices):
                continue
            u = sum(t[c] for t, c in zip(self.u, choices, strict=True))
            low = u < floor
            if not low.any():
                return choices
            bound[low] += 10 * self.resolution[low]
        raise ConvergenceError("The MILP kept returning packages that fail the exact ratification check.",
                               diagnostics={"repairs": MAX_REPAIRS},
                               fix="rescale the ratifiers' thresholds or weights (values near a threshold).")



def _solve_milp(c: FloatArray, matrix: FloatArray, row_lower: FloatArray,
                row_upper: FloatArray) -> tuple[str, FloatArray | None]:
    """Minimise ``c @ x`` over binary ``x`` with ``row_lower <= matrix @ x <= row_upper`` (HiGHS, proven optimal:
    relative gap 0). Returns ``("optimal", x)``, ``("infeasible", None)``, ``("error", None)`` for a HiGHS solve
    error, or another model status by name."""
    import highspy  # a C extension that loads in milliseconds; imported here so the package imports without it

    n = c.size
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = matrix.shape[0]
    lp.col_cost_ = c
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.ones(n)
    lp.row_lower_ = row_lower
    lp.row_upper_ = np.where(np.isinf(row_upper), highspy.kHighsInf, row_upper)
    rows, cols = np.nonzero(matrix)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=matrix.shape[0]))])
    lp.a_matrix_.index_ = cols
    lp.a_matrix_.value_ = matrix[rows, cols]
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    run = h.run()
    model_status = h.getModelStatus()
    if model_status == highspy.HighsModelStatus.kOptimal:
        return "optimal", np.asarray(h.getSolution().col_value, dtype=np.float64)
    if model_status == highspy.HighsModelStatus.kInfeasible:
        return "infeasible", None
    if run == highspy.HighsStatus.kError or model_status == highspy.HighsModelStatus.kSolveError:
        return "error", None
    return h.modelStatusToString(model_status), None
