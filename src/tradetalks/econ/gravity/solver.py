"""One-sector structural gravity in general equilibrium: baseline multilateral resistances and counterfactuals.

The model (Anderson & van Wincoop 2003; Yotov, Piermartini, Monteiro & Larch 2016, ch. 2) is

    X_ij = (Y_i E_j / Y) · (t_ij / (Π_i P_j))^(1−σ),
    Π_i^(1−σ) = Σ_j (t_ij / P_j)^(1−σ) E_j / Y,      P_j^(1−σ) = Σ_i (t_ij / Π_i)^(1−σ) Y_i / Y,
    Y_i / Y = (β_i p_i Π_i)^(1−σ),                    Y_i = p_i Q_i (endowment economy).

Counterfactuals are solved *in changes* ("hat algebra", Dekle, Eaton & Kortum 2007): with baseline import shares
π_ij = X̃_ij / E_j (X̃ including tariffs), a change θ_ij of the cost term and factory-gate price changes p̂,

    P̂_j^(1−σ) = Σ_i π_ij θ_ij p̂_i^(1−σ),     X̃'_ij = π_ij θ_ij p̂_i^(1−σ) / P̂_j^(1−σ) · E'_j,
    market clearing  p̂_i Y_i = Σ_j X̃'_ij / (1 + τ'_ij),     normalisation  P̂_ref = 1.

The unknowns are log p̂ (full endowment) or −log Π̂ (conditional GE, where Y and E are fixed), so every price,
resistance and flow is positive by construction; the n−1 independent market-clearing equations in logs plus the
normalisation are solved by Newton's method with an analytic Jacobian and a backtracking line search. No manual
rescaling is needed: the unknowns are changes, all of order one, whatever the units of the data.

Tariffs enter either as iceberg costs (fold them into ``phi_hat`` with :func:`iceberg_phi_hat`) or as ad-valorem
wedges (``tariff_base``, ``tariff_new``) whose revenue R_j = Σ_i τ_ij X_ij is rebated to the importer:
E_j = Y_j + R_j + D_j.

References
----------
Anderson, J. E. & van Wincoop, E. (2003). Gravity with Gravitas. *AER* 93(1), 170–192. doi:10.1257/000282803321455214
Dekle, R., Eaton, J. & Kortum, S. (2007). Unbalanced Trade. *AER* 97(2), 351–355. doi:10.1257/aer.97.2.351
Yotov, Y. V., Piermartini, R., Monteiro, J.-A. & Larch, M. (2016). *An Advanced Guide to Trade Policy Analysis:
The Structural Gravity Model*. WTO/UNCTAD. doi:10.30875/abc0167e-en
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tradetalks.econ.gravity.checks import (
    check_baseline_trade,
    check_countries,
    check_option,
    check_reference,
    check_sigma,
    check_tariffs,
    square,
    vector,
)
from tradetalks.econ.gravity.newton import NewtonResult, System, newton
from tradetalks.econ.gravity.results import (
    DEFICIT_CLOSURES,
    GE_KINDS,
    Baseline,
    Counterfactual,
    DeficitClosure,
    GEKind,
    SolverDiagnostics,
    pct_change,
)
from tradetalks.errors import ConvergenceError, DataError

__all__ = ["iceberg_phi_hat", "solve_counterfactual", "structural_baseline"]

#: relative gap allowed between world output and world expenditure in :func:`structural_baseline`
_WORLD_TOTALS_RTOL = 1e-8

# --------------------------------------------------------------------------------------------- baseline


#: with deficits fixed in levels, a search that stops where some country's net spending is below this share of its
#: income has hit the edge of the feasible region: no equilibrium with positive spending exists nearby
NET_SPENDING_FLOOR = 0.05


def structural_baseline(
    output: object,
    expenditure: object,
    phi: object,
    *,
    reference: int,
    countries: Sequence[str] | None = None,
    tol: float = 1e-12,
    max_iter: int = 10_000,
) -> Baseline:
    """Solve the baseline multilateral resistances and the model-implied trade matrix.

    Parameters
    ----------
    output
        Y_i, shape (n,), positive (row sums of the trade matrix including intranational flows).
    expenditure
        E_j, shape (n,), positive (column sums); ΣE must equal ΣY.
    phi
        φ_ij = t_ij^(1−σ), shape (n, n), exporters in rows, non-negative with a positive diagonal; e.g.
        ``exp(b_dist * ln_DIST + b_cntg * CNTG + b_brdr * INTL_BRDR)`` from PPML coefficients.
    reference
        Index of the reference importer: P_ref^(1−σ) = 1.
    countries
        Optional labels (n).
    tol, max_iter
        Newton tolerance on the largest log residual, and iteration cap.

    Returns
    -------
    Baseline
        ``trade`` X_ij = Y_i E_j / Y · φ_ij / (Π_i^(1−σ) P_j^(1−σ)); ``omr`` = Π_i^(1−σ) and ``imr`` = P_j^(1−σ)
        (the (1−σ) powers). With φ from PPML with exporter and importer fixed effects, ``trade`` equals the PPML
        fitted values (the FE first-order conditions are exactly these adding-up constraints).

    Raises
    ------
    DataError
        Non-square or non-finite φ, non-positive output or expenditure, ΣY ≠ ΣE, bad reference.
    ConvergenceError
        If Newton does not reach ``tol`` within ``max_iter`` (carries :class:`SolverDiagnostics`).

    Examples
    --------
    >>> import numpy as np
    >>> phi = np.array([[1.0, 0.2], [0.1, 1.0]])
    >>> b = structural_baseline([60.0, 40.0], [55.0, 45.0], phi, reference=1, countries=["A", "B"])
    >>> np.allclose(b.trade.sum(axis=1), [60, 40]) and np.allclose(b.trade.sum(axis=0), [55, 45])
    True
    >>> float(b.imr[1])
    1.0
    """
    ph = square("phi", phi, None)
    n = ph.shape[0]
    labels = check_countries(countries, n)
    Y = vector("output", output, n)
    E = vector("expenditure", expenditure, n)
    ref = check_reference(reference, n, labels)
    if np.any(ph < 0) or np.any(np.diag(ph) <= 0):
        raise DataError(
            "phi must be non-negative with a positive diagonal (intranational trade costs).",
            received=f"min {ph.min():g}, min diagonal {np.diag(ph).min():g}",
            fix="build phi = exp(x'b) for every pair including intranational ones (e.g. intranational DIST).",
        )
    if abs(Y.sum() - E.sum()) > _WORLD_TOTALS_RTOL * Y.sum():
        raise DataError(
            "World output and world expenditure differ; gravity's adding-up constraints need them equal.",
            received=f"sum(output)={Y.sum():.10g}, sum(expenditure)={E.sum():.10g}",
            fix="take output as row sums and expenditure as column sums of the same trade matrix, "
            "including intranational flows.",
        )
    logE = np.log(E)

    def system(c: np.ndarray, jac: bool) -> tuple[np.ndarray, np.ndarray | None]:
        # row shares q_ij of exporter i's sales, given c_j = log P_j^(1-σ); X = Y q adds up to Y by construction
        z = np.log(ph, where=ph > 0, out=np.full_like(ph, -np.inf)) - c[None, :] + logE[None, :]
        z -= z.max(axis=1, keepdims=True)
        K = np.exp(z)
        q = K / K.sum(axis=1, keepdims=True)
        X = Y[:, None] * q
        C = X.sum(axis=0)
        F = np.log(C) - logE
        F[drop] = c[ref]
        if not jac:
            return F, None
        J = (X.T @ q - np.diag(C)) / C[:, None]
        J[drop, :] = 0.0
        J[drop, ref] = 1.0
        return F, J

    def implied(c: np.ndarray) -> float:
        z = np.log(ph, where=ph > 0, out=np.full_like(ph, -np.inf)) - c[None, :] + logE[None, :]
        K = np.exp(z - z.max(axis=1, keepdims=True))
        C = (Y[:, None] * K / K.sum(axis=1, keepdims=True)).sum(axis=0)
        return float(abs(np.log(C[drop]) - logE[drop]))

    # the expenditure equations add up to the output ones (Walras): leave out the largest importer's, whose
    # relative residual the others' round-off moves least, and put the normalisation in its place
    drop = int(np.argmax(E))
    sol = newton(system, np.zeros(n), tol=tol, max_iter=max_iter, implied=implied)
    c = sol.x
    Yw = Y.sum()
    expc = np.exp(c)
    omr = (ph * (E / expc)[None, :]).sum(axis=1) / Yw
    trade = Y[:, None] * E[None, :] / Yw * ph / (omr[:, None] * expc[None, :])
    residuals = {
        "output": float(np.max(np.abs(trade.sum(axis=1) / Y - 1.0))),
        "expenditure": float(np.max(np.abs(trade.sum(axis=0) / E - 1.0))),
        "normalisation": float(abs(expc[ref] - 1.0)),
    }
    diag = SolverDiagnostics(
        method="newton-log",
        iterations=sol.iterations,
        tolerance=tol,
        converged=sol.converged and max(residuals.values()) <= 10 * max(tol, 1e-13),
        residuals=residuals,
        market_clearing=trade.sum(axis=1) / Y - 1.0,
    )
    if not diag.converged:
        raise ConvergenceError(
            f"The baseline multilateral resistances did not converge ({sol.reason}).",
            diagnostics=diag,
            fix="check that phi links every country to the others (a positive diagonal alone is autarky) "
            "or raise max_iter / tol.",
        )
    return Baseline(
        countries=labels,
        reference=ref,
        output=Y,
        expenditure=E,
        phi=ph,
        trade=trade,
        omr=omr,
        imr=expc,
        diagnostics=diag,
    )


# --------------------------------------------------------------------------------------------- counterfactual


def iceberg_phi_hat(tariff_base: object, tariff_new: object, sigma: float) -> np.ndarray:
    """Change of the trade-cost term when ad-valorem tariffs are treated as iceberg costs.

    φ̂_ij = ((1 + τ'_ij) / (1 + τ_ij))^(1−σ): the tariff is a real resource cost (no revenue). Multiply it into
    ``phi_hat`` of :func:`solve_counterfactual`. Use ``tariff_base``/``tariff_new`` there instead to rebate revenue.

    Examples
    --------
    >>> float(iceberg_phi_hat([[0, 0.0], [0, 0]], [[0, 0.1], [0, 0]], 5.0)[0, 1]) == 1.1 ** -4
    True
    """
    s = check_sigma(sigma)
    tb = square("tariff_base", tariff_base, None)
    tb = check_tariffs("tariff_base", tb, tb.shape[0])
    t1 = check_tariffs("tariff_new", tariff_new, tb.shape[0])
    return np.asarray(((1.0 + t1) / (1.0 + tb)) ** (1.0 - s))


@dataclass(frozen=True)
class Economy:
    """Baseline data of a counterfactual, in the form the equations use (shared with the book's loop)."""

    pi: np.ndarray  # baseline import shares of tariff-inclusive spending, (n, n), columns sum to 1
    theta: np.ndarray  # change of the tariff-inclusive cost term, (n, n)
    g_new: np.ndarray  # τ'/(1+τ'), (n, n)
    Y: np.ndarray  # baseline output (row sums), (n,)
    N: np.ndarray  # baseline spending net of tariffs (column sums), (n,)
    a: float  # 1 - σ
    full: bool
    deficits: DeficitClosure
    ref: int


@dataclass(frozen=True)
class EconomyState:
    s: np.ndarray  # new import shares, (n, n)
    S: np.ndarray  # P̂_j^(1-σ), (n,)
    rho: np.ndarray  # tariff revenue / expenditure, (n,)
    Yn: np.ndarray  # new output, (n,)
    Nn: np.ndarray  # new net spending, (n,)
    En: np.ndarray  # new tariff-inclusive expenditure, (n,)
    Xn: np.ndarray  # new flows before tariffs, (n, n)


def economy_state(eco: Economy, x: np.ndarray) -> EconomyState | None:
    """The counterfactual state at log factory-gate price changes ``x`` (n,); ``None`` outside the feasible region
    (non-positive net spending or price index)."""
    z = np.log(eco.pi * eco.theta, where=eco.pi > 0, out=np.full_like(eco.pi, -np.inf)) + eco.a * x[:, None]
    shift = z.max(axis=0)
    A = np.exp(z - shift[None, :])
    colsum = A.sum(axis=0)
    s = A / colsum[None, :]
    S = colsum * np.exp(shift)
    rho = (s * eco.g_new).sum(axis=0)
    if eco.full:
        Yn = np.exp(x) * eco.Y
        if eco.deficits == "level":
            Nn = Yn + (eco.N - eco.Y)
        else:
            psi_Y = eco.N / eco.Y * Yn
            Nn = psi_Y * (Yn.sum() / psi_Y.sum())
    else:
        Yn, Nn = eco.Y, eco.N
    if np.any(Nn <= 0) or not np.all(np.isfinite(S)) or np.any(S <= 0):
        return None
    En = Nn / (1.0 - rho)
    Xn = s * (1.0 - eco.g_new) * En[None, :]
    return EconomyState(s=s, S=S, rho=rho, Yn=Yn, Nn=Nn, En=En, Xn=Xn)


def _system(eco: Economy) -> System:
    n = eco.Y.shape[0]
    a, ref = eco.a, eco.ref
    drop = _dropped(eco)

    def system(x: np.ndarray, jac: bool) -> tuple[np.ndarray, np.ndarray | None]:
        st = economy_state(eco, x)
        if st is None:
            return np.full(n, np.inf), None
        Z = st.Xn.sum(axis=1)
        F = np.log(Z) - np.log(st.Yn)
        F[drop] = np.log(st.S[ref])
        if not jac:
            return F, None
        # d log E_j / d x_k = d log N_j / d x_k + (d rho_j / d x_k) / (1 - rho_j)
        L = (a * (st.s * (eco.g_new - st.rho[None, :])).T) / (1.0 - st.rho)[:, None]
        if eco.full:
            if eco.deficits == "level":
                L[np.diag_indices(n)] += st.Yn / st.Nn
            else:
                psi_Y = eco.N / eco.Y * st.Yn
                L[np.diag_indices(n)] += 1.0
                L += (st.Yn / st.Yn.sum() - psi_Y / psi_Y.sum())[None, :]
        dZ = -a * (st.Xn @ st.s.T) + st.Xn @ L
        dZ[np.diag_indices(n)] += a * Z
        J = dZ / Z[:, None]
        if eco.full:
            J[np.diag_indices(n)] -= 1.0
        J[drop, :] = a * st.s[:, ref]
        return F, J

    return system


def _implied(eco: Economy) -> Callable[[np.ndarray], float]:
    """Residual of the market-clearing equation :func:`_system` leaves out (implied by Walras' law)."""
    drop = _dropped(eco)

    def implied(x: np.ndarray) -> float:
        st = economy_state(eco, x)
        if st is None:
            return float("inf")
        return float(abs(np.log(st.Xn[drop].sum()) - np.log(st.Yn[drop])))

    return implied


def _dropped(eco: Economy) -> int:
    """The largest exporter's market clearing is left out of Newton's system; the normalisation takes its row."""
    return int(np.argmax(eco.Y))


def check_counterfactual_inputs(baseline_trade: object, sigma: float, reference: int,
                                countries: Sequence[str] | None) -> tuple[np.ndarray, tuple[str, ...], float, int]:
    """The checks every one-sector counterfactual solver starts with (this one and the book's loop).

    Returns the baseline trade matrix ``X`` (n, n), the country labels (n), σ and the reference importer's index;
    raises :class:`~tradetalks.errors.DataError` naming the first input that is wrong.
    """
    n = square("baseline_trade", baseline_trade, None).shape[0]
    labels = check_countries(countries, n)
    return (check_baseline_trade(baseline_trade, labels), labels, check_sigma(sigma),
            check_reference(reference, n, labels))


def solve_counterfactual(
    baseline_trade: object,
    phi_hat: object,
    sigma: float,
    *,
    reference: int,
    kind: GEKind = "full",
    tariff_base: object | None = None,
    tariff_new: object | None = None,
    countries: Sequence[str] | None = None,
    deficits: DeficitClosure = "ratio",
    tol: float = 1e-10,
    max_iter: int = 10_000,
) -> Counterfactual:
    """Solve a one-sector structural-gravity counterfactual in changes (conditional or full endowment GE).

    Parameters
    ----------
    baseline_trade
        X_ij, shape (n, n), exporters in rows, including intranational flows X_ii > 0, valued before tariffs.
        Output Y_i = row sums; spending net of tariffs N_j = column sums; deficits D_j = N_j − Y_i.
        Use :func:`structural_baseline` ``.trade`` for the model-consistent ("fitted") baseline.
    phi_hat
        t̂_ij^(1−σ), shape (n, n), positive: the change of the trade-cost term (1 = no change).
    sigma
        Elasticity of substitution σ > 1.
    reference
        Index of the reference importer; its consumer price index is the numeraire (P̂_ref = 1), as in the book.
    kind
        ``"conditional"``: Y and E fixed, only the multilateral resistances adjust. ``"full"``: full endowment
        GE, factory-gate prices adjust and move Y_i = p_i Q_i and E_j.
    tariff_base, tariff_new
        Optional ad-valorem tariffs τ_ij, shape (n, n), zero diagonal, as wedges whose revenue is rebated to the
        importer (E_j = Y_j + R_j + D_j). Either may be omitted: a missing ``tariff_base`` is zero, a missing
        ``tariff_new`` equals ``tariff_base``.
    countries
        Optional labels (n).
    deficits
        Full endowment closure (see :data:`~tradetalks.econ.gravity.results.DeficitClosure`): ``"ratio"``
        (default; numeraire-free) keeps net spending N_j proportional to φ_j Y_j, φ_j = N_j / Y_j, with one world
        factor keeping ΣN = ΣY; ``"level"`` keeps D_j fixed in numeraire units. Conditional GE holds N fixed.
    tol, max_iter
        Newton tolerance on the largest relative (log) residual, and iteration cap.

    Returns
    -------
    Counterfactual
        % changes per country, trade matrices and diagnostics.

    Raises
    ------
    DataError
        Non-square or non-finite inputs, missing intranational flows, negative trade, σ ≤ 1, bad reference,
        non-positive ``phi_hat``, tariffs ≤ −1 or on the diagonal, unknown option.
    ConvergenceError
        If Newton does not converge; the error carries :class:`SolverDiagnostics`.

    See Also
    --------
    tradetalks.econ.gravity.book_loop.book_loop_counterfactual : the book's iterative procedure (Yotov et al.
        2016, ch. 2) with its loose stopping rule, to reproduce the published tables; not an exact equilibrium.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[80.0, 10.0, 5.0], [8.0, 60.0, 4.0], [6.0, 3.0, 50.0]])
    >>> hat = np.ones((3, 3)); hat[0, 1] = hat[1, 0] = 1.5   # a 0-1 agreement
    >>> cf = solve_counterfactual(X, hat, 5.0, reference=2, countries=["A", "B", "C"])
    >>> bool(cf.diagnostics.converged), bool(cf.real_gdp[0] > 0 and cf.real_gdp[1] > 0)
    (True, True)
    >>> bool(np.allclose(cf.trade_counterfactual.sum(axis=1), X.sum(axis=1) * (1 + cf.output / 100)))
    True
    """
    X, labels, s, ref = check_counterfactual_inputs(baseline_trade, sigma, reference, countries)
    n = X.shape[0]
    check_option("kind", kind, GE_KINDS)
    check_option("deficits", deficits, DEFICIT_CLOSURES)
    ph = square("phi_hat", phi_hat, n)
    if np.any(ph <= 0):
        raise DataError(
            "phi_hat must be positive (it is t̂^(1-σ); 1 means no change).",
            received=f"min {ph.min():g}",
            fix="pass exp(change in the linear cost index), e.g. exp(-b_border) to remove a border.",
        )
    if not (tol > 0 and max_iter >= 1):
        raise DataError("tol must be positive and max_iter at least 1.", received=(tol, max_iter), fix="use defaults.")
    tb = np.zeros((n, n)) if tariff_base is None else check_tariffs("tariff_base", tariff_base, n)
    t1 = tb if tariff_new is None else check_tariffs("tariff_new", tariff_new, n)

    Xt = X * (1.0 + tb)  # tariff-inclusive spending
    E0 = Xt.sum(axis=0)
    pi = Xt / E0[None, :]
    eco = Economy(
        pi=pi,
        theta=ph * ((1.0 + t1) / (1.0 + tb)) ** (1.0 - s),
        g_new=t1 / (1.0 + t1),
        Y=X.sum(axis=1),
        N=X.sum(axis=0),
        a=1.0 - s,
        full=kind == "full",
        deficits=deficits,
        ref=ref,
    )
    sol = newton(_system(eco), np.zeros(n), tol=tol, max_iter=max_iter, implied=_implied(eco))
    st = economy_state(eco, sol.x)
    if st is None:  # pragma: no cover - Newton only accepts states where _state is defined
        raise ConvergenceError("The counterfactual left the feasible region.", diagnostics=sol)
    diag = _diagnostics(eco, st, sol, tol)
    if not diag.converged and eco.full and deficits == "level":
        squeezed = st.Nn / st.Yn
        k = int(np.argmin(squeezed))
        if squeezed[k] < NET_SPENDING_FLOOR:
            who = f"country {labels[k]}" if labels is not None else f"country {k}"
            raise ConvergenceError(
                f"no full GE equilibrium keeps every country's net spending positive with deficits fixed in "
                f"levels: the search stopped where {who}'s net spending is {squeezed[k]:.1%} of its income (its "
                f"fixed surplus {eco.Y[k] - eco.N[k]:.4g} would exceed the income the new costs leave it).",
                diagnostics=diag,
                fix="use deficits='ratio' (deficits scale with income), or smaller cost changes",
            )
    if not diag.converged:
        raise ConvergenceError(
            f"The {kind} GE counterfactual did not converge ({sol.reason}).",
            diagnostics=diag,
            fix="check phi_hat and tariffs for extreme values (e.g. prohibitive costs on intranational flows); "
            "with deficits='level' a large surplus can make net spending negative — try deficits='ratio'.",
        )
    return _assemble(eco, st, sol.x, X, tb, labels, s, kind, deficits, diag)


def _diagnostics(eco: Economy, st: EconomyState, sol: NewtonResult, tol: float) -> SolverDiagnostics:
    mc = st.Xn.sum(axis=1) / st.Yn - 1.0
    residuals = {
        "market_clearing": float(np.max(np.abs(mc))),
        "budget": float(np.max(np.abs(st.Xn.sum(axis=0) / st.Nn - 1.0))),
        "normalisation": float(abs(st.S[eco.ref] ** (1.0 / eco.a) - 1.0)),
    }
    converged = sol.converged and max(residuals.values()) <= max(tol, 1e-12) * 10
    return SolverDiagnostics(
        method="newton-log",
        iterations=sol.iterations,
        tolerance=tol,
        converged=converged,
        residuals=residuals,
        market_clearing=mc,
    )


def _assemble(
    eco: Economy,
    st: EconomyState,
    x: np.ndarray,
    X: np.ndarray,
    tb: np.ndarray,
    labels: tuple[str, ...],
    sigma: float,
    kind: GEKind,
    deficits: DeficitClosure,
    diag: SolverDiagnostics,
) -> Counterfactual:
    a = eco.a
    off = ~np.eye(X.shape[0], dtype=bool)
    Xn = st.Xn
    P_hat = st.S ** (1.0 / a)
    if eco.full:
        p_hat = np.exp(x)
        Yw_hat = st.Yn.sum() / eco.Y.sum()
        omr_hat = (p_hat / Yw_hat) ** (1.0 / a) / p_hat
    else:
        p_hat = np.ones_like(x)
        omr_hat = np.exp(-x)
    E0 = (X * (1.0 + tb)).sum(axis=0)
    R0 = (X * tb).sum(axis=0)
    imp_w = np.where(off, X, 0.0)
    imp_w = imp_w / np.maximum(imp_w.sum(axis=0, keepdims=True), np.finfo(float).tiny)
    tot = p_hat / np.exp(imp_w.T @ np.log(p_hat))
    return Counterfactual(
        countries=labels,
        reference=eco.ref,
        kind=kind,
        sigma=sigma,
        deficits=deficits,
        exports=pct_change(np.where(off, Xn, 0).sum(axis=1), np.where(off, X, 0).sum(axis=1)),
        imports=pct_change(np.where(off, Xn, 0).sum(axis=0), np.where(off, X, 0).sum(axis=0)),
        intranational=pct_change(np.diag(Xn), np.diag(X)),
        output=pct_change(st.Yn, eco.Y),
        expenditure=pct_change(st.En, E0),
        factory_gate_price=(p_hat - 1.0) * 100.0,
        imr=(P_hat - 1.0) * 100.0,
        omr=(omr_hat - 1.0) * 100.0,
        real_gdp=(p_hat / P_hat - 1.0) * 100.0,
        welfare=(st.En / E0 / P_hat - 1.0) * 100.0,
        terms_of_trade=(tot - 1.0) * 100.0,
        trade_baseline=X,
        trade_counterfactual=Xn,
        tariff_revenue_baseline=R0,
        tariff_revenue_counterfactual=st.rho * st.En,
        diagnostics=diag,
    )
