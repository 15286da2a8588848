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
by Newton's method (finite-difference Jacobian, backtracking line search).

References
----------
Caliendo, L. & Parro, F. (2015). Estimates of the Trade and Welfare Effects of NAFTA. *Review of Economic
Studies* 82(1), 1–44. doi:10.1093/restud/rdu035
Dekle, R., Eaton, J. & Kortum, S. (2008). Global Rebalancing with Gravity. *IMF Staff Papers* 55(3), 511–540.
doi:10.1057/imfsp.2008.17
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tradetalks.econ.gravity.checks import check_countries, check_option, check_reference, check_sigma, square
from tradetalks.econ.gravity.newton import System, newton
from tradetalks.econ.gravity.results import (
    DEFICIT_CLOSURES,
    DeficitClosure,
    MultiSectorCounterfactual,
    SolverDiagnostics,
)
from tradetalks.econ.gravity.results import pct_change as _pct
from tradetalks.errors import ConvergenceError, DataError

__all__ = ["solve_multisector"]

#: the inner price system is solved to this (max abs change of log P̂ between sweeps)
_PRICE_TOL = 1e-14
#: cap on inner price sweeps (the contraction modulus is the largest total input share, < 1)
_PRICE_MAX_SWEEPS = 5_000
#: forward-difference step of the outer Jacobian (log wages)
_FD_STEP = 1e-7
#: largest input share allowed, so value added stays positive
_MAX_INPUT_SHARE = 1.0 - 1e-9


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
    deficits: DeficitClosure
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


def _expenditure(m: _Model, log_w: np.ndarray, share: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve the linear system for sector spending X'_nj; return spending (N, J), gross output (J, N), D' (N,)."""
    J, N, _ = share.shape
    B = share * (1.0 - m.g_new)  # (J, i, n): fraction of n's sector-j spending received by i
    r = (share * m.g_new).sum(axis=1)  # (J, N): tariff revenue per unit of spending
    va = np.exp(log_w) * m.VA
    if m.deficits == "level":
        Dn = m.D
    else:
        psi_va = (m.VA + m.D) / m.VA * va
        Dn = psi_va * (va.sum() / psi_va.sum()) - va
    # A[(n, j), (q, k)]: spending of n on j induced by spending of q on k (inputs of n's sector k sold to q)
    A = np.einsum("nkj,knq->njqk", m.io, B).reshape(N * J, N * J)
    # tariff revenue rebated to final demand: α_nj Σ_k r_kn X'_nk (same country)
    rev = np.einsum("nj,kn->njk", m.alpha, r)
    idx = np.arange(N)
    A4 = A.reshape(N, J, N, J)
    A4[idx, :, idx, :] += rev
    b = (m.alpha * (va + Dn)[:, None]).reshape(-1)
    spend = np.linalg.solve(np.eye(N * J) - A, b).reshape(N, J)
    gross = np.einsum("jin,nj->ji", B, spend)
    return spend, gross, Dn


def _solve_state(m: _Model, log_w: np.ndarray, start: np.ndarray) -> _Solution:
    log_p, share = _prices(m, log_w, start)
    spend, gross, Dn = _expenditure(m, log_w, share)
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


def _implied(m: _Model) -> Callable[[np.ndarray], float]:
    drop = _dropped(m)
    start = np.zeros((m.VA.shape[0], m.theta.shape[0]))

    def implied(log_w: np.ndarray) -> float:
        sol = _solve_state(m, log_w, start)
        demand = float(m.gamma[drop] @ sol.gross[:, drop])
        return abs(np.log(demand) - log_w[drop] - np.log(m.VA[drop])) if demand > 0 else float("inf")

    return implied


def _system(m: _Model) -> System:
    N = m.VA.shape[0]
    start = np.zeros((N, m.theta.shape[0]))

    def system(x: np.ndarray, jac: bool) -> tuple[np.ndarray, np.ndarray | None]:
        sol = _solve_state(m, x, start)
        F = _residual(m, x, sol)
        if not jac or not np.all(np.isfinite(F)):
            return F, None
        Jm = np.empty((N, N))
        for k in range(N):
            xk = x.copy()
            xk[k] += _FD_STEP
            Jm[:, k] = (_residual(m, xk, _solve_state(m, xk, sol.log_p)) - F) / _FD_STEP
        return F, Jm

    return system


def _build_model(
    X: np.ndarray,
    phi_hat: np.ndarray,
    sig: np.ndarray,
    io: np.ndarray,
    tb: np.ndarray,
    t1: np.ndarray,
    deficits: DeficitClosure,
    ref: int,
    labels: tuple[str, ...],
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
    final = spend.T - np.einsum("nkj,kn->nj", io, gross)  # (N, J)
    if np.any(final < -1e-9 * spend.T.max()) or np.any(VA <= 0):
        raise DataError(
            "The input–output shares imply negative final demand or value added: intermediate purchases exceed "
            "what the trade data say each country spends.",
            received=f"min final demand {final.min():.6g}, min value added {VA.min():.6g}",
            fix="check that io_shares are shares of gross output (rows summing to < 1) and match the trade data.",
        )
    final = np.maximum(final, 0.0)
    alpha = final / final.sum(axis=1, keepdims=True)
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
    deficits: DeficitClosure = "ratio",
    tol: float = 1e-10,
    max_iter: int = 100,
) -> MultiSectorCounterfactual:
    """Solve a multi-sector counterfactual with input–output links (Caliendo & Parro 2015) in changes.

    Parameters
    ----------
    trade
        X[j, i, n], shape (J, N, N): sector-j flows from exporter i to importer n before tariffs, including
        intranational flows X[j, n, n] > 0.
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
        ``"level"``: D_n fixed in numeraire units. Baseline D_n = total imports − total exports.
    tol, max_iter
        Tolerance on the largest relative (log) residual of the factor-market equations, and Newton iteration cap.

    Returns
    -------
    MultiSectorCounterfactual

    Raises
    ------
    DataError
        Bad shapes, missing intranational flows, zero spending on a sector, σ ≤ 1, inconsistent input–output
        shares, bad tariffs or reference.
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
    check_option("deficits", deficits, DEFICIT_CLOSURES)
    sig = np.array([check_sigma(s) for s in np.atleast_1d(np.asarray(sigma, dtype=object)).tolist()])
    if sig.shape == (1,):
        sig = np.full(J, sig[0])
    if sig.shape != (J,):
        raise DataError("sigma must be a number or one per sector.", received=sigma, fix=f"pass shape ({J},).")
    if np.any(X < 0):
        raise DataError("trade has negative flows.", received=f"min {X.min():g}", fix="correct the data.")
    diag = np.diagonal(X, axis1=1, axis2=2)  # (J, N)
    if np.any(diag <= 0):
        j, n = np.argwhere(diag <= 0)[0]
        raise DataError(
            "Intranational flows are missing or zero; the model needs each country's sales at home by sector.",
            received=f"trade[{j}, {n}, {n}] = {X[j, n, n]:g} ({labels[n]}, sector {sector_labels[j]})",
            fix="add intranational trade (gross output minus exports) or merge/drop the sector.",
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

    m = _build_model(X, ph, sig, io, tb, t1, deficits, ref, labels)
    res = newton(_system(m), np.zeros(N), tol=tol, max_iter=max_iter, implied=_implied(m))
    sol = _solve_state(m, res.x, np.zeros((N, J)))
    diagnostics = _diagnostics(m, res.x, sol, res.iterations, tol, res.converged)
    if not diagnostics.converged:
        raise ConvergenceError(
            f"The multi-sector counterfactual did not converge ({res.reason}).",
            diagnostics=diagnostics,
            fix="check for extreme shocks or tariffs; try deficits='ratio' or raise max_iter.",
        )
    return _assemble(m, X, tb, res.x, sol, labels, sector_labels, sig, deficits, diagnostics)


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
        method="newton-fd (outer, log wages) + contraction (prices) + linear solve (expenditure)",
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
    deficits: DeficitClosure,
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
        sector_output=_pct(X_new.sum(axis=2).T, X.sum(axis=2).T),
        sector_price=(np.exp(sol.log_p) - 1.0) * 100.0,
        sector_exports=_pct(xn.sum(axis=2).T, xo.sum(axis=2).T),
        sector_imports=_pct(xn.sum(axis=1).T, xo.sum(axis=1).T),
        trade_baseline=X,
        trade_counterfactual=X_new,
        tariff_revenue_baseline=R0,
        tariff_revenue_counterfactual=R1,
        diagnostics=diagnostics,
    )
