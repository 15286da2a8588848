"""Multi-sector general equilibrium with input–output links (Caliendo & Parro 2015), solved in changes.

Why Caliendo–Parro rather than sector-by-sector structural gravity: sector-level tariffs (autos, steel, chips)
matter for negotiations mainly through their cost on *other* sectors — a steel tariff is a tax on car makers —
and only a model with intermediate inputs carries that. Sector-by-sector gravity with fixed sector endowments
cannot. Caliendo–Parro nests the one-sector model: with one sector and no intermediate inputs it *is* the
one-sector endowment model of :mod:`tradetalks.econ.gravity.solver` (the price of value added is the factory-gate
price, θ = σ − 1), which the tests check to solver precision.

The model in changes (x̂ = x'/x), for countries n, i and sectors j, k, with Armington elasticity σ_j (trade
elasticity θ_j = σ_j − 1), value-added shares γ_nj = 1 − Σ_k γ_nj,k and input shares γ_nj,k::

    ĉ_nj        = ŵ_n^γ_nj · Π_k P̂_nk^γ_nj,k                               (unit cost)
    P̂_nj^(−θ_j) = Σ_i π_nij · φ̂_nij · ĉ_ij^(−θ_j)                          (sector price index)
    π'_nij      = π_nij · φ̂_nij · ĉ_ij^(−θ_j) / P̂_nj^(−θ_j)                 (import shares)
    X'_nj       = Σ_k γ_nk,j Y'_nk + α_nj I'_n                             (expenditure: inputs + final)
    Y'_ik       = Σ_n π'_nik X'_nk / (1 + τ'_nik)                          (gross output)
    I'_n        = ŵ_n V_n + R'_n + D'_n,  R'_n = Σ_j Σ_i τ'_nij π'_nij X'_nj / (1 + τ'_nij)
    ŵ_n V_n     = Σ_j γ_nj Y'_nj                                           (value added = factor income)

with φ̂ = t̂^(1−σ_j) · ((1 + τ')/(1 + τ))^(1−σ_j) and the numeraire P̂_ref = Π_j P̂_ref,j^α_ref,j = 1. The unknowns
are log ŵ (positivity by construction); for given wages the price system is a contraction (input shares sum to
less than one) and expenditures solve a linear system, so the outer problem is N equations in N unknowns, solved
by a quasi-Newton method (one finite-difference Jacobian, then Broyden updates; backtracking line search), falling
back to Newton with a fresh finite-difference Jacobian at each step if that does not converge.

References
----------
Caliendo, L. & Parro, F. (2015). Estimates of the Trade and Welfare Effects of NAFTA. *Review of Economic
Studies* 82(1), 1–44. doi:10.1093/restud/rdu035
Nocedal, J. & Wright, S. J. (2006). *Numerical Optimization*, 2nd ed., ch. 11 (Broyden's method).
doi:10.1007/978-0-387-40065-5
Dekle, R., Eaton, J. & Kortum, S. (2008). Global Rebalancing with Gravity. *IMF Staff Papers* 55(3), 511–540.
doi:10.1057/imfsp.2008.17
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from tradetalks.econ.gravity.checks import check_countries, check_option, check_reference, check_sigma, square
from tradetalks.econ.gravity.newton import System, newton
from tradetalks.econ.gravity.results import (
    MULTISECTOR_DEFICIT_CLOSURES,
    MultiSectorCounterfactual,
    SolverDiagnostics,
)
from tradetalks.econ.gravity.results import pct_change as _pct
from tradetalks.errors import ConvergenceError, DataError
from tradetalks.options import MultiSectorDeficitClosure

__all__ = ["solve_multisector"]

#: the inner price system is solved to this (max abs change of log P̂ between sweeps)
_PRICE_TOL = 1e-14
#: cap on inner price sweeps (the contraction modulus is the largest total input share, < 1)
_PRICE_MAX_SWEEPS = 5_000
#: forward-difference step of the outer Jacobian (log wages)
_FD_STEP = 1e-7
#: largest input share allowed, so value added stays positive
_MAX_INPUT_SHARE = 1.0 - 1e-9
#: iterative refinement of the spending system (finite-difference states): stop when the step is this small
#: relative to the solution, or fall back to a direct solve after this many steps
_REFINE_TOL = 1e-15
_REFINE_MAX_STEPS = 30
#: final-demand shares given by the caller must sum to one per country within this
_SHARE_SUM_TOL = 1e-9


def _cube(name: str, value: object, shape: tuple[int, int, int]) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if a.shape != shape:
        raise DataError(
            f"{name} must have shape (sectors, exporters, importers) = {shape}.",
            received=f"shape {a.shape}",
            fix="stack one square exporter × importer matrix per sector, in the same country order.",
        )
    if not np.all(np.isfinite(a)):
        raise DataError(f"{name} contains missing or infinite values.", received="non-finite entries", fix="fill them.")
    return a


def _sector_tariffs(name: str, value: object, shape: tuple[int, int, int]) -> np.ndarray:
    a = _cube(name, value, shape)
    if np.any(a <= -1.0):
        raise DataError(f"{name} must be above -1 (0.1 is 10 %).", received=f"min {a.min():g}", fix="use fractions.")
    if np.any(np.diagonal(a, axis1=1, axis2=2) != 0.0):
        raise DataError(f"{name} has tariffs on intranational flows.", received="non-zero diagonal", fix="zero it.")
    return a


@dataclass(frozen=True)
class _Model:
    pi: np.ndarray  # (J, N, N) baseline shares of importer n's sector-j spending, [j, i, n]
    log_pphi: np.ndarray  # (J, N, N) log(π · φ̂), -inf where π = 0
    theta: np.ndarray  # (J,) trade elasticities σ_j - 1
    io: np.ndarray  # (N, J, J) io[n, j, k] = share of sector-k inputs in sector-j gross output of n
    gamma: np.ndarray  # (N, J) value-added shares
    alpha: np.ndarray  # (N, J) final-demand shares
    g_new: np.ndarray  # (J, N, N) τ'/(1+τ')
    VA: np.ndarray  # (N,) baseline value added
    D: np.ndarray  # (N,) baseline deficits
    deficits: MultiSectorDeficitClosure
    ref: int


@dataclass(frozen=True)
class _Solution:
    log_p: np.ndarray  # (N, J) log P̂_nj
    share: np.ndarray  # (J, N, N) new shares π'
    spend: np.ndarray  # (N, J) X'_nj, tariff-inclusive
    gross: np.ndarray  # (J, N) Y'_jn
    Dn: np.ndarray  # (N,) D'_n


def _prices(m: _Model, log_w: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sector price indexes log P̂ (N, J) and shares π' (J, N, N) for given log wages."""
    log_p = start.copy()
    for _ in range(_PRICE_MAX_SWEEPS):
        log_c = m.gamma * log_w[:, None] + np.einsum("njk,nk->nj", m.io, log_p)  # (N, J)
        z = m.log_pphi - m.theta[:, None, None] * log_c.T[:, :, None]  # (J, i, n)
        top = z.max(axis=1, keepdims=True)
        lse = top[:, 0, :] + np.log(np.exp(z - top).sum(axis=1))  # (J, N)
        new = (-lse / m.theta[:, None]).T
        done = float(np.max(np.abs(new - log_p))) <= _PRICE_TOL
        log_p = new
        if done:
            break
    share = np.exp(z - lse[:, None, :])
    return log_p, share


def _deficits(m: _Model, va: np.ndarray) -> np.ndarray:
    """D'_n under the closure, for factor incomes ``va`` = ŵ_n V_n (numeraire units)."""
    if m.deficits == "level":
        return m.D
    if m.deficits == "world-share":
        return np.asarray(m.D * (va.sum() / m.VA.sum()))
    if m.deficits == "zero":
        return np.zeros_like(m.D)
    psi_va = (m.VA + m.D) / m.VA * va
    return np.asarray(psi_va * (va.sum() / psi_va.sum()) - va)


def _induced(m: _Model, B: np.ndarray, r: np.ndarray, spend: np.ndarray) -> np.ndarray:
    """A · X': spending on inputs and out of tariff revenue that spending ``spend`` (N, J) induces."""
    gross = np.einsum("jin,nj->ji", B, spend)  # (J, N)
    inputs = np.einsum("nkj,kn->nj", m.io, gross)
    revenue = (r.T * spend).sum(axis=1)
    return np.asarray(inputs + m.alpha * revenue[:, None])


@dataclass(frozen=True)
class _Factor:
    lu: tuple[np.ndarray, np.ndarray]  # LU factors of I − A (scipy.linalg.lu_factor)
    spend: np.ndarray  # (N, J) the solution they were computed for


def _expenditure(
    m: _Model, log_w: np.ndarray, share: np.ndarray, near: _Factor | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, _Factor | None]:
    """Solve the linear system X' = A X' + b for sector spending X'_nj.

    Returns spending (N, J), gross output (J, N), D' (N,) and, when solved directly, the LU factors of I − A.
    With ``near`` (the factors and solution at an earlier, nearby state: a finite-difference column, the next
    Newton step) the system is solved by iterative refinement preconditioned with those factors: each step costs
    two triangular solves instead of a factorisation; it falls back to a direct solve (and returns its factors) if
    refinement does not converge quickly.
    """
    J, N, _ = share.shape
    B = share * (1.0 - m.g_new)  # (J, i, n): fraction of n's sector-j spending received by i
    r = (share * m.g_new).sum(axis=1)  # (J, N): tariff revenue per unit of spending
    va = np.exp(log_w) * m.VA
    Dn = _deficits(m, va)
    b = m.alpha * (va + Dn)[:, None]
    if near is not None:
        spend = near.spend.copy()
        for _ in range(_REFINE_MAX_STEPS):
            rest = b - (spend - _induced(m, B, r, spend))
            step = scipy.linalg.lu_solve(near.lu, rest.reshape(-1), check_finite=False).reshape(N, J)
            spend += step
            if float(np.max(np.abs(step))) <= _REFINE_TOL * float(np.max(np.abs(spend))):
                return spend, np.einsum("jin,nj->ji", B, spend), Dn, None
    # A[(n, j), (q, k)]: spending of n on j induced by spending of q on k (inputs of n's sector k sold to q)
    A = np.einsum("nkj,knq->njqk", m.io, B).reshape(N * J, N * J)
    # tariff revenue rebated to final demand: α_nj Σ_k r_kn X'_nk (same country)
    rev = np.einsum("nj,kn->njk", m.alpha, r)
    idx = np.arange(N)
    A4 = A.reshape(N, J, N, J)
    A4[idx, :, idx, :] += rev
    lu = scipy.linalg.lu_factor(np.eye(N * J) - A, overwrite_a=True, check_finite=False)
    spend = scipy.linalg.lu_solve(lu, b.reshape(-1), check_finite=False).reshape(N, J)
    gross = np.einsum("jin,nj->ji", B, spend)
    return spend, gross, Dn, _Factor(lu=lu, spend=spend)


def _solve_state(m: _Model, log_w: np.ndarray, start: np.ndarray, cache: list[_Factor]) -> _Solution:
    """The state at wages ``log_w``; the spending system reuses the LU factors in ``cache`` and refreshes them when
    iterative refinement with them does not converge."""
    log_p, share = _prices(m, log_w, start)
    spend, gross, Dn, factor = _expenditure(m, log_w, share, cache[0] if cache else None)
    if factor is not None:
        cache[:] = [factor]
    return _Solution(log_p=log_p, share=share, spend=spend, gross=gross, Dn=Dn)


def _residual(m: _Model, log_w: np.ndarray, sol: _Solution) -> np.ndarray:
    factor_demand = (m.gamma * sol.gross.T).sum(axis=1)
    if np.any(factor_demand <= 0) or np.any(sol.spend < 0):
        return np.full(log_w.shape, np.inf)
    F = np.log(factor_demand) - log_w - np.log(m.VA)
    F[_dropped(m)] = float(m.alpha[m.ref] @ sol.log_p[m.ref])
    return F


def _dropped(m: _Model) -> int:
    """The largest economy's factor market is implied by the others (Walras); the normalisation takes its row."""
    return int(np.argmax(m.VA))


def _implied(m: _Model, cache: list[_Factor]) -> Callable[[np.ndarray], float]:
    drop = _dropped(m)
    start = np.zeros((m.VA.shape[0], m.theta.shape[0]))

    def implied(log_w: np.ndarray) -> float:
        sol = _solve_state(m, log_w, start, cache)
        demand = float(m.gamma[drop] @ sol.gross[:, drop])
        return abs(np.log(demand) - log_w[drop] - np.log(m.VA[drop])) if demand > 0 else float("inf")

    return implied


def _system(m: _Model, broyden: bool, cache: list[_Factor]) -> System:
    """F(x) and its Jacobian: by finite differences, or (``broyden``) by finite differences once and then Broyden's
    rank-one updates along the accepted Newton steps (Nocedal & Wright 2006, eq. 11.27), one state per iteration."""
    N = m.VA.shape[0]
    start = np.zeros((N, m.theta.shape[0]))
    last: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def system(x: np.ndarray, jac: bool) -> tuple[np.ndarray, np.ndarray | None]:
        sol = _solve_state(m, x, start, cache)
        F = _residual(m, x, sol)
        if not jac or not np.all(np.isfinite(F)):
            return F, None
        if broyden and last:
            x0, F0, J0 = last[0]
            dx = x - x0
            step = float(dx @ dx)
            if step > 0:
                Jm = J0 + np.outer(F - F0 - J0 @ dx, dx) / step
                last[0] = (x.copy(), F, Jm)
                return F, Jm
        Jm = np.empty((N, N))
        for k in range(N):
            xk = x.copy()
            xk[k] += _FD_STEP
            Jm[:, k] = (_residual(m, xk, _solve_state(m, xk, sol.log_p, cache)) - F) / _FD_STEP
        last[:] = [(x.copy(), F, Jm)]
        return F, Jm

    return system


def _build_model(
    X: np.ndarray,
    phi_hat: np.ndarray,
    sig: np.ndarray,
    io: np.ndarray,
    tb: np.ndarray,
    t1: np.ndarray,
    deficits: MultiSectorDeficitClosure,
    ref: int,
    labels: tuple[str, ...],
    final_shares: np.ndarray | None,
) -> _Model:
    Xt = X * (1.0 + tb)
    spend = Xt.sum(axis=1)  # (J, N) importer n's tariff-inclusive spending on sector j
    if np.any(spend <= 0):
        j, n = np.argwhere(spend <= 0)[0]
        raise DataError(
            "Every country must spend on every sector (the sector's import shares are undefined otherwise).",
            received=f"zero spending on sector {j} by {labels[n]}",
            fix="merge or drop sectors a country does not consume.",
        )
    theta = sig - 1.0
    pi = Xt / spend[:, None, :]
    pphi = pi * phi_hat * ((1.0 + t1) / (1.0 + tb)) ** (-theta[:, None, None])
    log_pphi = np.log(pphi, where=pphi > 0, out=np.full_like(pphi, -np.inf))
    gross = X.sum(axis=2)  # (J, N)
    gamma = 1.0 - io.sum(axis=2)  # (N, J)
    VA = (gamma * gross.T).sum(axis=1)
    if np.any(VA <= 0):
        n = int(np.argmin(VA))
        raise DataError(
            "Every country needs positive value added.",
            received=f"value added {VA[n]:.6g} for {labels[n]}",
            fix="check the input-output shares and the gross output (row sums of trade) of that country.",
        )
    alpha = final_shares if final_shares is not None else _final_shares(spend, io, gross)
    D = X.sum(axis=(0, 1)) - X.sum(axis=(0, 2))
    return _Model(
        pi=pi,
        log_pphi=log_pphi,
        theta=theta,
        io=io,
        gamma=gamma,
        alpha=alpha,
        g_new=t1 / (1.0 + t1),
        VA=VA,
        D=D,
        deficits=deficits,
        ref=ref,
    )


def _final_shares(spend: np.ndarray, io: np.ndarray, gross: np.ndarray) -> np.ndarray:
    """α_nj from the data: spending minus intermediate purchases, as shares of each country's final demand."""
    final = spend.T - np.einsum("nkj,kn->nj", io, gross)  # (N, J)
    if np.any(final < -1e-9 * spend.T.max()):
        raise DataError(
            "The input–output shares imply negative final demand: intermediate purchases exceed "
            "what the trade data say each country spends.",
            received=f"min final demand {final.min():.6g}",
            fix="check that io_shares are shares of gross output (rows summing to < 1) and match the trade data, "
            "or pass final_shares (e.g. negative values truncated to zero, as Caliendo & Parro 2015 do) and solve "
            "once without a shock to obtain a consistent baseline.",
        )
    final = np.maximum(final, 0.0)
    return np.asarray(final / final.sum(axis=1, keepdims=True))


def solve_multisector(
    trade: object,
    phi_hat: object,
    sigma: float | Sequence[float] | np.ndarray,
    *,
    reference: int,
    io_shares: object | None = None,
    tariff_base: object | None = None,
    tariff_new: object | None = None,
    countries: Sequence[str] | None = None,
    sectors: Sequence[str] | None = None,
    deficits: MultiSectorDeficitClosure = "ratio",
    final_shares: object | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> MultiSectorCounterfactual:
    """Solve a multi-sector counterfactual with input–output links (Caliendo & Parro 2015) in changes.

    Parameters
    ----------
    trade
        X[j, i, n], shape (J, N, N): sector-j flows from exporter i to importer n before tariffs, including
        intranational flows X[j, n, n] ≥ 0. Every country must produce something in every sector
        (Σ_n X[j, i, n] > 0); a zero intranational flow means the country buys that sector's goods only abroad.
    phi_hat
        Change of the cost term t̂^(1−σ_j), shape (J, N, N), positive (1 = no change).
    sigma
        Armington elasticity σ_j > 1, scalar or shape (J,); the trade elasticity is θ_j = σ_j − 1.
    reference
        Index of the reference importer; its consumer price index is the numeraire.
    io_shares
        γ[n, j, k] = cost share of sector-k inputs in sector-j gross output of country n, shape (N, J, J), rows
        summing to less than 1 (the rest is value added). ``None`` means no intermediate inputs.
    tariff_base, tariff_new
        Optional ad-valorem tariffs τ[j, i, n], shape (J, N, N), zero on intranational flows; revenue is rebated
        to the importer. A missing ``tariff_base`` is zero; a missing ``tariff_new`` equals ``tariff_base``.
    countries, sectors
        Optional labels (N and J).
    deficits
        ``"ratio"`` (default): D'_n = (κ ψ_n − 1) V'_n with ψ_n = (V_n + D_n) / V_n and κ keeping ΣD' = 0;
        ``"level"``: D_n fixed in numeraire units; ``"world-share"``: D_n a fixed share of world value added
        (the real results do not depend on the numeraire); ``"zero"``: every D'_n = 0 (the counterfactual removes
        the deficits, as Caliendo & Parro 2015 do to build their base year). Baseline D_n = total imports − total
        exports.
    final_shares
        α[n, j], shape (N, J): shares of sector j in country n's final demand, non-negative, summing to 1 per
        country. ``None`` (default) derives them from the data (spending minus intermediate purchases), which must
        then be consistent. Given shares make the solve a calibration step when the data are not an equilibrium:
        a solve without a shock then returns the model-consistent baseline (Caliendo & Parro's base year).
    tol, max_iter
        Tolerance on the largest relative (log) residual of the factor-market equations, and Newton iteration cap.

    Returns
    -------
    MultiSectorCounterfactual

    Raises
    ------
    DataError
        Bad shapes, a sector a country does not produce, zero spending on a sector, σ ≤ 1, inconsistent
        input–output shares or final-demand shares, bad tariffs or reference.
    ConvergenceError
        If Newton does not converge (carries :class:`SolverDiagnostics`).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[[50.0, 5.0], [4.0, 40.0]], [[30.0, 8.0], [6.0, 20.0]]])   # 2 sectors, 2 countries
    >>> tau0 = np.zeros((2, 2, 2)); tau1 = tau0.copy(); tau1[0, 0, 1] = 0.25    # B taxes A's sector-0 goods
    >>> cf = solve_multisector(X, np.ones_like(X), 5.0, reference=0, tariff_new=tau1, countries=["A", "B"])
    >>> bool(cf.sector_exports[0, 0] < 0), bool(cf.diagnostics.converged)
    (True, True)
    """
    X = np.asarray(trade, dtype=float)
    if X.ndim != 3:
        raise DataError(
            "trade must be a 3-D array [sector, exporter, importer].",
            received=f"shape {X.shape}",
            fix="for one sector pass trade[None, :, :] or use solve_counterfactual.",
        )
    J = X.shape[0]
    for j in range(J):
        square(f"trade[{j}]", X[j], None)
    N = X.shape[1]
    shape = (J, N, N)
    labels = check_countries(countries, N)
    sector_labels = tuple(str(s) for s in sectors) if sectors is not None else tuple(f"s{j}" for j in range(J))
    if len(sector_labels) != J or len(set(sector_labels)) != J:
        raise DataError("sectors must be J unique labels.", received=sector_labels, fix=f"pass {J} unique labels.")
    ref = check_reference(reference, N, labels)
    check_option("deficits", deficits, MULTISECTOR_DEFICIT_CLOSURES)
    sig = np.array([check_sigma(s) for s in np.atleast_1d(np.asarray(sigma, dtype=object)).tolist()])
    if sig.shape == (1,):
        sig = np.full(J, sig[0])
    if sig.shape != (J,):
        raise DataError("sigma must be a number or one per sector.", received=sigma, fix=f"pass shape ({J},).")
    if np.any(X < 0):
        raise DataError("trade has negative flows.", received=f"min {X.min():g}", fix="correct the data.")
    produced = X.sum(axis=2)  # (J, N) gross output
    if np.any(produced <= 0):
        j, n = np.argwhere(produced <= 0)[0]
        raise DataError(
            "A country produces nothing in a sector; the model needs each country's gross output by sector "
            "(its unit cost is undefined otherwise).",
            received=f"trade[{j}, {n}, :] sums to 0 ({labels[n]}, sector {sector_labels[j]})",
            fix="add intranational trade (gross output minus exports), or merge/drop the sector.",
        )
    ph = _cube("phi_hat", phi_hat, shape)
    if np.any(ph <= 0):
        raise DataError("phi_hat must be positive.", received=f"min {ph.min():g}", fix="1 means no change.")
    if io_shares is None:
        io = np.zeros((N, J, J))
    else:
        io = np.asarray(io_shares, dtype=float)
        if io.shape != (N, J, J) or not np.all(np.isfinite(io)) or np.any(io < 0):
            raise DataError(
                "io_shares must be finite, non-negative, of shape (countries, sectors, sectors).",
                received=f"shape {io.shape}",
                fix=f"pass shape ({N}, {J}, {J}) with io[n, j, k] the share of sector-k inputs in sector j.",
            )
        if np.any(io.sum(axis=2) >= _MAX_INPUT_SHARE):
            raise DataError(
                "Input shares must sum to less than 1 for every country and sector (value added must be positive).",
                received=f"max row sum {io.sum(axis=2).max():.6g}",
                fix="use cost shares of gross output; the remainder is the value-added share.",
            )
    tb = np.zeros(shape) if tariff_base is None else _sector_tariffs("tariff_base", tariff_base, shape)
    t1 = tb if tariff_new is None else _sector_tariffs("tariff_new", tariff_new, shape)
    if not (tol > 0 and max_iter >= 1):
        raise DataError("tol must be positive and max_iter at least 1.", received=(tol, max_iter), fix="use defaults.")
    alpha = None if final_shares is None else _check_final_shares(final_shares, (N, J))

    m = _build_model(X, ph, sig, io, tb, t1, deficits, ref, labels, alpha)
    # Broyden first (one finite-difference Jacobian per solve); Newton with fresh Jacobians if that fails
    cache: list[_Factor] = []
    res = newton(_system(m, True, cache), np.zeros(N), tol=tol, max_iter=max_iter, implied=_implied(m, cache))
    if not res.converged:
        res = newton(_system(m, False, cache), np.zeros(N), tol=tol, max_iter=max_iter, implied=_implied(m, cache))
    sol = _solve_state(m, res.x, np.zeros((N, J)), cache)
    diagnostics = _diagnostics(m, res.x, sol, res.iterations, tol, res.converged)
    if not diagnostics.converged:
        raise ConvergenceError(
            f"The multi-sector counterfactual did not converge ({res.reason}).",
            diagnostics=diagnostics,
            fix="check for extreme shocks or tariffs; try deficits='ratio' or raise max_iter.",
        )
    return _assemble(m, X, tb, res.x, sol, labels, sector_labels, sig, deficits, diagnostics)


def _check_final_shares(value: object, shape: tuple[int, int]) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if a.shape != shape or not np.all(np.isfinite(a)) or np.any(a < 0):
        raise DataError(
            "final_shares must be finite, non-negative, of shape (countries, sectors).",
            received=f"shape {a.shape}, min {np.nanmin(a) if a.size else float('nan'):g}",
            fix=f"pass shape {shape} with final_shares[n, j] the share of sector j in country n's final demand.",
        )
    sums = a.sum(axis=1)
    if np.any(np.abs(sums - 1.0) > _SHARE_SUM_TOL):
        raise DataError(
            "final_shares must sum to 1 for every country.",
            received=f"row sums from {sums.min():.9g} to {sums.max():.9g}",
            fix="divide each row by its sum.",
        )
    return a


def _diagnostics(
    m: _Model, log_w: np.ndarray, sol: _Solution, iterations: int, tol: float, converged: bool
) -> SolverDiagnostics:
    va = np.exp(log_w) * m.VA
    factor = (m.gamma * sol.gross.T).sum(axis=1) / va - 1.0
    X_new = sol.share * (1.0 - m.g_new) * sol.spend.T[:, None, :]
    revenue = (sol.share * m.g_new * sol.spend.T[:, None, :]).sum(axis=(0, 1))
    goods = np.abs(X_new.sum(axis=2) / sol.gross - 1.0).max()
    spend_total = sol.spend.sum(axis=1)
    inputs = np.einsum("nkj,kn->n", m.io, sol.gross)
    budget = np.abs((spend_total - inputs) / (va + revenue + sol.Dn) - 1.0).max()
    balance = np.abs(X_new.sum(axis=(0, 1)) - X_new.sum(axis=(0, 2)) - sol.Dn).max() / va.sum()
    log_P_ref = float(m.alpha[m.ref] @ sol.log_p[m.ref])
    residuals = {
        "factor_market": float(np.max(np.abs(factor))),
        "goods_market": float(goods),
        "budget": float(budget),
        "trade_balance": float(balance),
        "normalisation": float(abs(np.expm1(log_P_ref))),
    }
    ok = converged and max(residuals.values()) <= 10 * max(tol, 1e-12)
    return SolverDiagnostics(
        method="broyden/newton-fd (outer, log wages) + contraction (prices) + linear solve (expenditure)",
        iterations=iterations,
        tolerance=tol,
        converged=ok,
        residuals=residuals,
        market_clearing=factor,
    )


def _assemble(
    m: _Model,
    X: np.ndarray,
    tb: np.ndarray,
    log_w: np.ndarray,
    sol: _Solution,
    labels: tuple[str, ...],
    sector_labels: tuple[str, ...],
    sig: np.ndarray,
    deficits: MultiSectorDeficitClosure,
    diagnostics: SolverDiagnostics,
) -> MultiSectorCounterfactual:
    N = X.shape[1]
    off = ~np.eye(N, dtype=bool)
    X_new = sol.share * (1.0 - m.g_new) * sol.spend.T[:, None, :]
    R0 = (X * tb).sum(axis=(0, 1))
    R1 = (sol.share * m.g_new * sol.spend.T[:, None, :]).sum(axis=(0, 1))
    w_hat = np.exp(log_w)
    P_hat = np.exp((m.alpha * sol.log_p).sum(axis=1))
    I0 = m.VA + R0 + m.D
    I1 = w_hat * m.VA + R1 + sol.Dn
    xo, xn = X * off, X_new * off
    log_c = m.gamma * log_w[:, None] + np.einsum("njk,nk->nj", m.io, sol.log_p)  # (N, J)
    tot, vot = _welfare_terms(m, X, tb, X_new, log_c, w_hat, I0)
    return MultiSectorCounterfactual(
        countries=labels,
        sectors=sector_labels,
        reference=m.ref,
        sigma=sig,
        deficits=deficits,
        exports=_pct(xn.sum(axis=(0, 2)), xo.sum(axis=(0, 2))),
        imports=_pct(xn.sum(axis=(0, 1)), xo.sum(axis=(0, 1))),
        output=_pct(X_new.sum(axis=(0, 2)), X.sum(axis=(0, 2))),
        wage=(w_hat - 1.0) * 100.0,
        price_index=(P_hat - 1.0) * 100.0,
        real_gdp=(w_hat / P_hat - 1.0) * 100.0,
        welfare=(I1 / I0 / P_hat - 1.0) * 100.0,
        terms_of_trade=tot.sum(axis=(0, 2)),
        volume_of_trade=vot.sum(axis=(0, 2)),
        sector_output=_pct(X_new.sum(axis=2).T, X.sum(axis=2).T),
        sector_price=(np.exp(sol.log_p) - 1.0) * 100.0,
        sector_exports=_pct(xn.sum(axis=2).T, xo.sum(axis=2).T),
        sector_imports=_pct(xn.sum(axis=1).T, xo.sum(axis=1).T),
        unit_cost=(np.exp(log_c) - 1.0) * 100.0,
        tot_contribution=tot,
        vot_contribution=vot,
        income_baseline=I0,
        value_added_baseline=m.VA,
        trade_baseline=X,
        trade_counterfactual=X_new,
        tariff_revenue_baseline=R0,
        tariff_revenue_counterfactual=R1,
        diagnostics=diagnostics,
    )


def _welfare_terms(
    m: _Model,
    X: np.ndarray,
    tb: np.ndarray,
    X_new: np.ndarray,
    log_c: np.ndarray,
    w_hat: np.ndarray,
    income: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Terms-of-trade and volume-of-trade effects [j, n, partner i] in % of I_n (Caliendo & Parro 2015, eq. 28).

    Changes are measured with world value added as the numeraire (the normalisation of the authors' code), so the
    volume-of-trade term does not depend on which importer's price index is the solver's numeraire.
    """
    scale = m.VA.sum() / (w_hat * m.VA).sum()  # from the solver's numeraire to world value added
    dc = np.exp(log_c).T * scale - 1.0  # (J, N): ĉ_ij − 1 for exporter i
    with np.errstate(divide="ignore", invalid="ignore"):
        dx = np.where(X > 0, X_new * scale / X - 1.0, 0.0)  # (J, i, n)
    sales = X * dc[:, :, None]  # X[j, i, n] (ĉ_ij − 1): exports of i valued at i's cost change
    exports_term = sales  # [j, n as exporter, i as partner]
    imports_term = np.transpose(sales, (0, 2, 1))  # [j, n as importer, i as partner]
    tot = (exports_term - imports_term) / income[None, :, None] * 100.0
    vot_in = tb * X * (dx - dc[:, :, None])  # [j, exporter i, importer n]
    vot = np.transpose(vot_in, (0, 2, 1)) / income[None, :, None] * 100.0
    return tot, vot
