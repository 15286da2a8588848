"""Newton's method on a log system with an analytic Jacobian and a backtracking (Armijo) line search.

The GE solvers write every unknown as a log change, so positivity holds by construction and all unknowns are of
order one whatever the units of the data; this engine only needs F(x) and dF/dx.

References
----------
Nocedal, J. & Wright, S. J. (2006). *Numerical Optimization*, 2nd ed., ch. 11 (Newton with line search).
doi:10.1007/978-0-387-40065-5
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Newton never moves a log unknown by more than this in one step (guards exp() against overflow far from home)
MAX_LOG_STEP = 4.0
#: Armijo constant of the backtracking line search
ARMIJO = 1e-4
#: below this ½‖F‖² a step only needs not to increase it (polishing at round-off level)
POLISH = 1e-24

System = Callable[[np.ndarray, bool], tuple[np.ndarray, np.ndarray | None]]


@dataclass(frozen=True)
class NewtonResult:
    x: np.ndarray
    iterations: int
    converged: bool
    max_residual: float
    reason: str


def newton(
    system: System,
    x0: np.ndarray,
    *,
    tol: float,
    max_iter: int,
    implied: Callable[[np.ndarray], float] | None = None,
) -> NewtonResult:
    """Newton's method with backtracking (Armijo) on ½‖F‖²; ``system(x, jac)`` returns F and, if asked, dF/dx.

    ``implied(x)`` is the largest residual of the equations left out of F because they are implied by the others
    (Walras' law); convergence needs it within ``tol`` too. Round-off can make an implied residual exceed the ones
    Newton drives to zero, so near the solution the iteration keeps polishing while ½‖F‖² does not increase.
    """
    x = x0.copy()
    F, J = system(x, True)
    if not np.all(np.isfinite(F)):
        return NewtonResult(x, 0, False, float("inf"), "the equations are not finite at the starting point")
    merit = 0.5 * float(F @ F)
    for it in range(max_iter + 1):
        worst = float(np.max(np.abs(F)))
        if worst <= tol and implied is not None:
            worst = max(worst, implied(x))
        if worst <= tol:
            return NewtonResult(x, it, True, worst, "converged")
        if it == max_iter:
            return NewtonResult(x, it, False, worst, f"reached max_iter={max_iter}")
        assert J is not None
        try:
            dx = np.linalg.solve(J, -F)
        except np.linalg.LinAlgError:
            return NewtonResult(x, it, False, worst, "singular Jacobian")
        big = float(np.max(np.abs(dx)))
        if big > MAX_LOG_STEP:
            dx *= MAX_LOG_STEP / big
        t = 1.0
        while True:
            x_new = x + t * dx
            F_new, _ = system(x_new, False)
            if np.all(np.isfinite(F_new)):
                merit_new = 0.5 * float(F_new @ F_new)
                if merit_new <= (1.0 - 2.0 * ARMIJO * t) * merit or (merit <= POLISH and merit_new <= merit):
                    break
            t *= 0.5
            if t < 1e-12:
                return NewtonResult(x, it, False, worst, "line search stalled (no decrease along the Newton step)")
        x = x_new
        F, J = system(x, True)
        merit = 0.5 * float(F @ F)
    raise AssertionError("unreachable")  # pragma: no cover
