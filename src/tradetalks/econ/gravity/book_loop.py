"""The book's iterative procedure for full endowment GE (Yotov et al. 2016, ch. 2), to reproduce published tables.

:func:`~tradetalks.econ.gravity.solver.solve_counterfactual` solves the equilibrium equations of the structural
gravity model exactly (Newton, residuals at round-off) and is what to use for analysis. The book's Stata code
instead iterates — re-estimate PPML with the counterfactual trade costs as an offset, update factory-gate prices
from the new exporter fixed effects, update trade, repeat — and stops at a loose tolerance. Its published numbers
are where that loop stopped, not an equilibrium: on "trade without borders" they differ from the exact equilibrium
by up to 0.6 percentage points of real GDP (Hong Kong). :func:`book_loop_counterfactual` runs the book's loop step
for step, so that its published tables can be replicated to their rounding, and reports the residuals of the true
equilibrium equations at the point it returns.

References
----------
Yotov, Y. V., Piermartini, R., Monteiro, J.-A. & Larch, M. (2016). *An Advanced Guide to Trade Policy Analysis:
The Structural Gravity Model*. WTO/UNCTAD, ch. 2, applications 1 and 2 (Stata do-files ``TradeWithoutBorder.do``,
step III.b, and ``RTAsEffects.do``). https://doi.org/10.30875/abc0167e-en
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tradetalks.econ.gravity.checks import square
from tradetalks.econ.gravity.results import Counterfactual, SolverDiagnostics, pct_change
from tradetalks.econ.gravity.solver import Economy, check_counterfactual_inputs, economy_state, structural_baseline
from tradetalks.errors import ConvergenceError, DataError

__all__ = ["book_loop_counterfactual"]

#: method name in :class:`SolverDiagnostics`
METHOD = "book-loop"
#: tolerance of each PPML fit inside the loop (exact fits: the loop's error is its stopping rule, not the fits)
_FIT_TOL = 1e-13


@dataclass(frozen=True)
class _Fit:
    """One PPML fit with exporter and importer fixed effects and an offset, normalised as in the book."""

    trade: np.ndarray  # fitted flows, (n, n)
    exp_pi: np.ndarray  # exporter fixed effects exp(π_i), (n,)
    exp_chi: np.ndarray  # importer fixed effects exp(χ_j), (n,), 1 for the reference importer


def _fit(trade: np.ndarray, offset: np.ndarray, ref: int) -> _Fit:
    """PPML of ``trade`` on exporter and importer FE with ``offset`` = φ: a matrix scaling (its FE conditions)."""
    Y, E = trade.sum(axis=1), trade.sum(axis=0)
    b = structural_baseline(Y, E, offset, reference=ref, tol=_FIT_TOL)
    return _Fit(b.trade, Y * E[ref] / (Y.sum() * b.omr), E / (E[ref] * b.imr))


def book_loop_counterfactual(
    baseline_trade: object,
    phi_baseline: object,
    phi_counterfactual: object,
    sigma: float,
    *,
    reference: int,
    countries: Sequence[str] | None = None,
    stop: float = 0.01,
    max_iter: int = 1_000,
    first_step: float = 1.0,
) -> Counterfactual:
    """Full endowment GE counterfactual by the book's iterative procedure (Yotov et al. 2016, ch. 2).

    Use it to replicate the book's published tables; use
    :func:`~tradetalks.econ.gravity.solver.solve_counterfactual` (exact equilibrium) for everything else.

    Parameters
    ----------
    baseline_trade
        X_ij, shape (n, n), exporters in rows, including intranational flows X_ii > 0. Only its row sums Y_i and
        column sums E_j enter (the loop's first step fits them with ``phi_baseline``), so the data or the fitted
        baseline (:func:`~tradetalks.econ.gravity.solver.structural_baseline` ``.trade``) give the same result.
    phi_baseline, phi_counterfactual
        φ_ij = t_ij^(1−σ) before and after, shape (n, n), positive diagonal (levels, not the change: the book
        re-estimates PPML with ln φ as the offset), e.g. ``exp(x'b)`` from the PPML coefficients.
    sigma
        Elasticity of substitution σ > 1.
    reference
        Index of the reference importer; its inward multilateral resistance is the numeraire (P̂_ref = 1).
    countries
        Optional labels (n).
    stop
        The book's stopping rule: stop when the standard deviation and the maximum of the change in factory-gate
        price changes between two iterations are both at most ``stop`` (the book: 0.01).
    max_iter
        Cap on the loop's iterations: PPML fits with the counterfactual offset, the conditional one included (the
        book's counter; "trade without borders" stops after 6).
    first_step
        Exponent on the first update of trade (1 = the book). Other values change nothing in the model, only the
        loop's path — and so where it stops (see Notes); for studying the procedure, not for results.

    Returns
    -------
    Counterfactual
        ``kind="full"``, ``deficits="ratio"`` (the book's E_j = φ_j Y_j), the same fields as
        :func:`~tradetalks.econ.gravity.solver.solve_counterfactual`. ``trade_baseline`` is the fitted baseline
        (PPML of the data with ``phi_baseline``), ``trade_counterfactual`` the book's X'_ij. ``diagnostics``:
        ``method="book-loop"``, ``iterations`` (PPML fits with the counterfactual offset, the conditional one
        included), ``tolerance=stop``, ``stop_rule`` (what the
        loop reached: ``sd_price_change``, ``max_price_change``) and ``residuals`` of the true equilibrium
        equations at the returned point — which are *not* at round-off:

        - ``market_clearing``: max_i |Σ_j X'_ij / Y'_i − 1| of the returned flows and output;
        - ``budget``: max_j |Σ_i X'_ij / N'_j − 1|, N'_j = κ φ_j Y'_j (the exact solver's ratio closure);
        - ``normalisation``: |P̂_ref − 1|;
        - ``equilibrium_market_clearing``: market clearing of the exact equilibrium system (hat algebra, as in
          ``solve_counterfactual``) evaluated at the loop's factory-gate prices p̂ — how far p̂ is from
          equilibrium prices.

    Raises
    ------
    DataError
        Non-square or non-finite inputs, missing intranational flows, negative trade, non-positive φ, σ ≤ 1,
        bad reference, ``stop`` ≤ 0 or ``max_iter`` < 1.
    ConvergenceError
        If the loop does not meet its stopping rule within ``max_iter`` iterations, or leaves the feasible region
        (non-finite prices).

    Notes
    -----
    The algorithm (``TradeWithoutBorder.do``, step III.b; ``RTAsEffects.do`` the same), with FE the exporter and
    importer fixed effects exp(π_i), exp(χ_j) of a PPML fit normalised so that χ_ref = 0, E_R the reference
    importer's expenditure and φ_j = E_j / Y_j the baseline deficit ratios:

    0. Baseline: PPML of X on the FE with offset ln φ_baseline → fitted X⁰, π⁰, χ⁰. Multilateral resistances
       Π_i^(1−σ) = Y_i E_R / exp(π_i) and P_j^(1−σ) = E_j / (exp(χ_j) E_R).
    1. Conditional GE: the same fit with offset ln φ_counterfactual → X¹, π¹, χ¹; first price change
       p̂¹ = (exp(π¹) / exp(π⁰))^(1/(1−σ)); resistance changes 1.
    2. For s = 2, 3, …: X^s = PPML fit (offset ln φ_counterfactual) of
       X^(s−1)_ij · p̂^(s−1)_i p̂^(s−1)_j / (Π̂^(s−1)_i P̂^(s−1)_j) — each exporter's sales move with its price and
       each importer's spending with its own (E = φ Y) — then Y^s = Σ_j X^s_ij, E^s = φ Y^s,
       p̂^s = ((exp π^s / exp π^(s−1)) / (E_R^s / E_R^(s−1)))^(1/(1−σ)), and Π^s, P^s and their changes as above.
    3. Stopping rule: stop when the standard deviation (over the n² pairs, as Stata summarises the pair-level
       variable) and the maximum of p̂^(s−1) − p̂^(s−2) are both ≤ ``stop``.
    4. Result at the last iteration S: p̂ = ((exp π^S / exp π⁰) / (E_R^S / E_R⁰))^(1/(1−σ)), Y' = p̂ Y,
       P'^(1−σ) = φ Y^S / (exp(χ^S) E_R^S), X'_ij = Y'_i φ_j Y'_j φ'_ij / (Π'^(1−σ)_i P'^(1−σ)_j) with
       Π'^(1−σ)_i = Y'_i E_R^S / exp(π^S_i); real GDP p̂_i / P̂_i.

    The loop is not a solver for a fixed set of equations. It updates trade by the *last* change in prices and
    resistances, so it stops wherever those changes die out, and where that is depends on the path: run to a
    tight ``stop``, changing only ``first_step`` from 1 to 0.5 moves Hong Kong's real-GDP change in "trade
    without borders" by about 1 percentage point. Expenditure enters the resistances as φ_j Y_j while each PPML fit
    keeps the column sums of the previous iterate, so at the end imports differ from φ_j Y'_j (by up to 5 % for
    Hong Kong in that application). The returned numbers therefore satisfy the equilibrium equations only to
    the order of ``stop``; the residuals in ``diagnostics`` say by how much.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[80.0, 10.0, 5.0], [8.0, 60.0, 4.0], [6.0, 3.0, 50.0]])
    >>> phi = np.array([[1.0, 0.2, 0.1], [0.2, 1.0, 0.1], [0.1, 0.1, 1.0]])
    >>> phi_new = phi.copy(); phi_new[0, 1] = phi_new[1, 0] = 0.3   # an agreement between A and B
    >>> cf = book_loop_counterfactual(X, phi, phi_new, 5.0, reference=2, countries=["A", "B", "C"])
    >>> cf.diagnostics.method, bool(cf.real_gdp[0] > 0 and cf.real_gdp[1] > 0)
    ('book-loop', True)
    >>> bool(cf.diagnostics.stop_rule["max_price_change"] <= 0.01)
    True
    """
    X, labels, s, ref = check_counterfactual_inputs(baseline_trade, sigma, reference, countries)
    n = X.shape[0]
    phi0 = square("phi_baseline", phi_baseline, n)
    phi1 = square("phi_counterfactual", phi_counterfactual, n)
    for name, ph in (("phi_baseline", phi0), ("phi_counterfactual", phi1)):
        if np.any(ph <= 0):
            raise DataError(
                f"{name} must be positive (it is t^(1-σ) = exp(x'b), a level, not a change).",
                received=f"min {ph.min():g}",
                fix="pass exp(x'b) for every pair, intranational ones included.",
            )
    if not (stop > 0 and max_iter >= 1 and first_step > 0):
        raise DataError(
            "stop and first_step must be positive and max_iter at least 1.",
            received=(stop, max_iter, first_step),
            fix="use the defaults (stop=0.01 as in the book).",
        )

    a = 1.0 - s
    Y, E = X.sum(axis=1), X.sum(axis=0)
    dr = E / Y  # the book's φ_j, deficit ratios
    base = _fit(X, phi0, ref)
    cdl = _fit(X, phi1, ref)
    # iterate lists indexed as the book's s: [0] baseline, [1] conditional, [s] the s-th re-estimation
    fits, ER = [base, cdl], [E[ref], E[ref]]
    price = [np.zeros(n), (cdl.exp_pi / base.exp_pi) ** (1.0 / a)]  # the book's change_p_i; 0 before step 1
    omr = [Y * E[ref] / base.exp_pi, Y * E[ref] / cdl.exp_pi]
    imr = [E / (base.exp_chi * E[ref]), E / (cdl.exp_chi * E[ref])]
    c_omr, c_imr = [np.ones(n), np.ones(n)], [np.ones(n), np.ones(n)]
    sd = mx = float("inf")
    iterations = 1  # PPML fits of the counterfactual so far (the book's counter): the conditional one
    while sd > stop or mx > stop:
        if iterations >= max_iter:
            raise ConvergenceError(
                f"The book loop did not meet its stopping rule (stop={stop:g}) in {max_iter} iterations.",
                diagnostics=_loop_diagnostics(iterations, stop, sd, mx, False),
                fix="raise max_iter or loosen stop, or use the exact solver (solve_counterfactual).",
            )
        last = len(fits) - 1
        step = np.outer(price[last], price[last]) / np.outer(c_omr[last], c_imr[last])
        fit = _fit(fits[last].trade * step ** (first_step if last == 1 else 1.0), phi1, ref)
        Ys = fit.trade.sum(axis=1)
        Es = dr * Ys
        fits.append(fit)
        ER.append(Es[ref])
        price.append(((fit.exp_pi / fits[last].exp_pi) / (ER[-1] / ER[last])) ** (1.0 / a))
        omr.append(Ys * ER[-1] / fit.exp_pi)
        imr.append(Es / (fit.exp_chi * ER[-1]))
        c_omr.append(omr[-1] / omr[last])
        c_imr.append(imr[-1] / imr[last])
        dif = np.repeat(price[last] - price[last - 1], n)  # Stata summarises the pair-level variable
        sd, mx = float(dif.std(ddof=1)), abs(float(dif.max()))
        iterations += 1
        if not (np.isfinite(sd) and np.isfinite(mx) and np.all(np.isfinite(price[-1]))):
            raise ConvergenceError(
                "The book loop left the feasible region (non-finite prices).",
                diagnostics=_loop_diagnostics(iterations, stop, sd, mx, False),
                fix="use the exact solver (solve_counterfactual).",
            )
    S = len(fits) - 1  # the last re-estimation
    fS = fits[S]
    p_hat = ((fS.exp_pi / base.exp_pi) / (ER[S] / ER[0])) ** (1.0 / a)
    Yn = p_hat * Y
    imr_new = dr * fS.trade.sum(axis=1) / (fS.exp_chi * ER[S])
    omr_new = Yn * ER[S] / fS.exp_pi
    Xn = np.outer(Yn, dr * Yn) * phi1 / np.outer(omr_new, imr_new)
    P_hat = (imr_new / imr[0]) ** (1.0 / a)
    omr_hat = (omr_new / omr[0]) ** (1.0 / a)
    En = dr * Yn

    # residuals of the true equilibrium equations at the returned point
    Nn = dr * Yn * (Yn.sum() / (dr * Yn).sum())  # the ratio closure with its world factor κ
    mc = Xn.sum(axis=1) / Yn - 1.0
    X0 = base.trade
    eco = Economy(pi=X0 / X0.sum(axis=0)[None, :], theta=phi1 / phi0, g_new=np.zeros((n, n)), Y=X0.sum(axis=1),
                   N=X0.sum(axis=0), a=a, full=True, deficits="ratio", ref=ref)
    st = economy_state(eco, np.log(p_hat))
    exact_mc = float("inf") if st is None else float(np.max(np.abs(st.Xn.sum(axis=1) / st.Yn - 1.0)))
    residuals = {
        "market_clearing": float(np.max(np.abs(mc))),
        "budget": float(np.max(np.abs(Xn.sum(axis=0) / Nn - 1.0))),
        "normalisation": float(abs(P_hat[ref] - 1.0)),
        "equilibrium_market_clearing": exact_mc,
    }
    diag = _loop_diagnostics(iterations, stop, sd, mx, True, residuals, mc)

    off = ~np.eye(n, dtype=bool)
    imp_w = np.where(off, X0, 0.0)
    imp_w = imp_w / np.maximum(imp_w.sum(axis=0, keepdims=True), np.finfo(float).tiny)
    tot = p_hat / np.exp(imp_w.T @ np.log(p_hat))
    zeros = np.zeros(n)

    return Counterfactual(
        countries=labels,
        reference=ref,
        kind="full",
        sigma=s,
        deficits="ratio",
        exports=pct_change(np.where(off, Xn, 0).sum(axis=1), np.where(off, X0, 0).sum(axis=1)),
        imports=pct_change(np.where(off, Xn, 0).sum(axis=0), np.where(off, X0, 0).sum(axis=0)),
        intranational=pct_change(np.diag(Xn), np.diag(X0)),
        output=pct_change(Yn, Y),
        expenditure=pct_change(En, E),
        factory_gate_price=(p_hat - 1.0) * 100.0,
        imr=(P_hat - 1.0) * 100.0,
        omr=(omr_hat - 1.0) * 100.0,
        real_gdp=(p_hat / P_hat - 1.0) * 100.0,
        welfare=(En / E / P_hat - 1.0) * 100.0,
        terms_of_trade=(tot - 1.0) * 100.0,
        trade_baseline=X0,
        trade_counterfactual=Xn,
        tariff_revenue_baseline=zeros,
        tariff_revenue_counterfactual=zeros,
        diagnostics=diag,
    )


def _loop_diagnostics(
    iterations: int,
    stop: float,
    sd: float,
    mx: float,
    converged: bool,
    residuals: dict[str, float] | None = None,
    market_clearing: np.ndarray | None = None,
) -> SolverDiagnostics:
    return SolverDiagnostics(
        method=METHOD,
        iterations=iterations,
        tolerance=stop,
        converged=converged,
        residuals=residuals or {},
        market_clearing=np.full(0, np.nan) if market_clearing is None else market_clearing,
        stop_rule={"stop": stop, "sd_price_change": sd, "max_price_change": mx},
    )
