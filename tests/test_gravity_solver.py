"""One-sector structural gravity GE: baseline MRs, counterfactuals, invariants, bad input, result objects."""

from __future__ import annotations

import dataclasses
import doctest

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import skip_or_fail
from tradetalks.econ.gravity import book_loop, results, solver
from tradetalks.econ.gravity.results import DeficitClosure, GEKind
from tradetalks.econ.gravity.solver import iceberg_phi_hat, solve_counterfactual, structural_baseline
from tradetalks.errors import ConvergenceError, DataError, TradetalksError

#: equilibrium conditions hold to this (relative); the solver's tolerance is 1e-10 on log residuals
EQ_TOL = 1e-9
#: "no change" means below this, in per cent
ZERO_PCT = 1e-8
#: agreement between two independent routes to the same number, in per cent
SAME_PCT = 1e-6


def _economy(seed: int, n: int, *, home: float = 50.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.5, 10.0, (n, n))
    X[np.diag_indices(n)] += home * rng.uniform(0.5, 2.0, n)
    return X


def _tariffs(seed: int, n: int, high: float = 0.3) -> np.ndarray:
    t = np.random.default_rng(seed).uniform(0.0, high, (n, n))
    np.fill_diagonal(t, 0.0)
    return t


# ------------------------------------------------------------------------------------------------ doctests


@pytest.mark.parametrize("module", [solver, book_loop])
def test_docstring_examples_run(module: object) -> None:
    """The solvers' public functions carry examples, and they run (a module without examples fails here)."""
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert attempted > 0, f"{module} has no docstring examples"
    assert failed == 0


# ------------------------------------------------------------------------------------------------ baseline


def test_baseline_adds_up_and_normalises() -> None:
    rng = np.random.default_rng(3)
    n = 7
    phi = np.exp(-rng.uniform(0, 4, (n, n)))
    np.fill_diagonal(phi, 1.0)
    X = _economy(3, n)
    b = structural_baseline(X.sum(1), X.sum(0), phi, reference=4)
    assert np.allclose(b.trade.sum(1), X.sum(1), rtol=EQ_TOL)
    assert np.allclose(b.trade.sum(0), X.sum(0), rtol=EQ_TOL)
    assert b.imr[4] == pytest.approx(1.0, abs=1e-14)
    # the gravity equation with these MRs (as (1-σ) powers) reproduces the trade matrix
    Y = X.sum()
    implied = np.outer(X.sum(1), X.sum(0)) / Y * phi / np.outer(b.omr, b.imr)
    assert np.allclose(implied, b.trade, rtol=1e-12)
    # and the MR equations hold
    assert np.allclose(b.omr, (phi / b.imr[None, :] * X.sum(0)[None, :]).sum(1) / Y, rtol=EQ_TOL)
    assert np.allclose(b.imr, (phi / b.omr[:, None] * X.sum(1)[:, None]).sum(0) / Y, rtol=EQ_TOL)


def test_baseline_equals_ppml_fitted_values() -> None:
    """With phi from PPML coefficients, the structural baseline is the PPML-FE fitted trade (adding-up)."""
    import pandas as pd
    try:
        import pyfixest as pf
    except ImportError:
        skip_or_fail("pyfixest is not installed (the optional [gravity] extra; `make test` installs it)")
    rng = np.random.default_rng(11)
    n = 8
    dist = rng.uniform(1, 5, (n, n))
    dist = (dist + dist.T) / 2
    np.fill_diagonal(dist, 0.5)
    brdr = 1.0 - np.eye(n)
    mu = np.exp(rng.normal(0, 1, n)[:, None] + rng.normal(0, 1, n)[None, :] - 1.0 * np.log(dist) - 2.0 * brdr + 6)
    X = rng.poisson(mu).astype(float)
    ex, im = np.meshgrid(range(n), range(n), indexing="ij")
    df = pd.DataFrame(
        {
            "trade": X.ravel(),
            "ex": ex.ravel().astype(str),
            "im": im.ravel().astype(str),
            "ln_dist": np.log(dist).ravel(),
            "brdr": brdr.ravel(),
        }
    )
    fit = pf.fepois("trade ~ ln_dist + brdr | ex + im", data=df)
    coef = fit.coef()
    phi = np.exp(coef["ln_dist"] * np.log(dist) + coef["brdr"] * brdr)
    b = structural_baseline(X.sum(1), X.sum(0), phi, reference=0)
    assert np.allclose(b.trade.ravel(), fit.predict(type="response"), rtol=1e-5)


def test_baseline_rejects_unequal_world_totals() -> None:
    with pytest.raises(DataError, match="World output and world expenditure"):
        structural_baseline([1.0, 2.0], [1.0, 2.5], np.ones((2, 2)), reference=0)


# ------------------------------------------------------------------------------------------------ counterfactual


@pytest.mark.parametrize("kind", ["conditional", "full"])
@pytest.mark.parametrize("deficits", ["ratio", "level"])
def test_zero_shock_is_zero_change(kind: GEKind, deficits: DeficitClosure) -> None:
    X = _economy(5, 6)
    tau = _tariffs(5, 6)
    cf = solve_counterfactual(
        X,
        np.ones_like(X),
        6.0,
        reference=1,
        kind=kind,
        deficits=deficits,
        tariff_base=tau,
    )
    for name in results.COUNTRY_FIELDS:
        assert np.max(np.abs(getattr(cf, name))) < ZERO_PCT, name
    assert np.allclose(cf.trade_counterfactual, X, rtol=1e-12)
    assert np.allclose(cf.tariff_revenue_counterfactual, cf.tariff_revenue_baseline, rtol=1e-12)


def test_reference_price_index_is_numeraire() -> None:
    X = _economy(6, 5)
    hat = np.exp(np.random.default_rng(6).normal(0, 0.5, (5, 5)))
    for ref in range(5):
        cf = solve_counterfactual(X, hat, 4.0, reference=ref)
        assert abs(cf.imr[ref]) < ZERO_PCT


def test_ratio_closure_real_outcomes_do_not_depend_on_the_numeraire() -> None:
    X = _economy(8, 6)
    hat = np.exp(np.random.default_rng(8).normal(0, 0.4, (6, 6)))
    a = solve_counterfactual(X, hat, 5.0, reference=0)
    b = solve_counterfactual(X, hat, 5.0, reference=5)
    assert np.allclose(a.real_gdp, b.real_gdp, atol=SAME_PCT)
    assert np.allclose(a.welfare, b.welfare, atol=SAME_PCT)


def test_conditional_ge_holds_output_fixed() -> None:
    X = _economy(9, 5)
    hat = np.ones((5, 5))
    hat[0, 1] = hat[1, 0] = 2.0
    cf = solve_counterfactual(X, hat, 7.0, reference=4, kind="conditional")
    assert np.allclose(cf.trade_counterfactual.sum(1), X.sum(1), rtol=EQ_TOL)
    assert np.allclose(cf.trade_counterfactual.sum(0), X.sum(0), rtol=EQ_TOL)
    assert np.all(cf.factory_gate_price == 0) and np.all(cf.output == 0)
    assert cf.exports[0] > 0 and cf.exports[1] > 0


def test_bilateral_liberalisation_helps_members_and_diverts_trade() -> None:
    X = _economy(10, 6)
    hat = np.ones((6, 6))
    hat[2, 3] = hat[3, 2] = 1.8
    cf = solve_counterfactual(X, hat, 6.0, reference=0)
    assert cf.real_gdp[2] > 0 and cf.real_gdp[3] > 0
    assert np.all(np.delete(cf.real_gdp, [2, 3]) < 0.5)
    change = cf.bilateral_frame()["change"]
    assert change.loc[("2", "3")] > 0 and change.loc[("4", "3")] < 0  # diversion away from non-members


def test_tariff_wedge_raises_revenue_and_cuts_the_taxed_flow() -> None:
    X = _economy(12, 5)
    t1 = np.zeros((5, 5))
    t1[0, 3] = 0.25  # 3 taxes imports from 0
    cf = solve_counterfactual(X, np.ones_like(X), 5.0, reference=1, tariff_new=t1)
    assert cf.tariff_revenue_counterfactual[3] > 0 and cf.tariff_revenue_baseline[3] == 0
    assert cf.trade_counterfactual[0, 3] < X[0, 3]
    assert cf.exports[0] < 0
    assert cf.terms_of_trade[3] > 0 > cf.terms_of_trade[0]  # a large-country tariff improves its terms of trade
    # as an iceberg cost (no revenue) the same tariff hurts the importer more
    ice = solve_counterfactual(X, iceberg_phi_hat(np.zeros((5, 5)), t1, 5.0), 5.0, reference=1)
    assert ice.welfare[3] < cf.welfare[3]
    assert np.all(ice.tariff_revenue_counterfactual == 0)


def test_removing_a_tariff_undoes_it() -> None:
    X = _economy(13, 5)
    t0 = _tariffs(13, 5)
    up = solve_counterfactual(X, np.ones_like(X), 5.0, reference=0, tariff_base=t0, tariff_new=2 * t0)
    back = solve_counterfactual(
        up.trade_counterfactual, np.ones_like(X), 5.0, reference=0, tariff_base=2 * t0, tariff_new=t0
    )
    assert np.allclose(back.trade_counterfactual / X, (back.trade_counterfactual / X)[0, 0], rtol=1e-9)


# ------------------------------------------------------------------------------------------------ properties

matrices = st.integers(min_value=2, max_value=6).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.integers(0, 2**31 - 1),
        st.floats(1.5, 12.0),
        st.sampled_from(["conditional", "full"]),
        st.sampled_from(["ratio", "level"]),
        st.booleans(),
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrices)
@example((2, 92, 1.5, "full", "level", False))  # no equilibrium with level deficits: the error path, every run
def test_ge_solution_satisfies_the_equilibrium(case: tuple[int, int, float, GEKind, DeficitClosure, bool]) -> None:
    n, seed, sigma, kind, deficits, with_tariffs = case
    rng = np.random.default_rng(seed)
    X = _economy(seed, n, home=30.0)
    hat = np.exp(rng.normal(0.0, 0.5, (n, n)))
    t0 = _tariffs(seed + 1, n) if with_tariffs else None
    t1 = _tariffs(seed + 2, n) if with_tariffs else None
    try:
        cf = solve_counterfactual(X, hat, sigma, reference=0, kind=kind, deficits=deficits, tariff_base=t0,
                                  tariff_new=t1)
    except ConvergenceError as exc:
        # with deficits fixed in levels an equilibrium need not exist (a surplus country's income can fall below
        # its fixed surplus, e.g. σ = 1.5); the solver must say so, and the ratio closure must then solve it
        assert kind == "full" and deficits == "level", exc
        assert "net spending" in str(exc) and "deficits='ratio'" in str(exc)
        deficits = "ratio"
        cf = solve_counterfactual(X, hat, sigma, reference=0, kind=kind, deficits=deficits, tariff_base=t0,
                                  tariff_new=t1)
    Xn = cf.trade_counterfactual
    assert np.all(Xn > 0)  # positivity
    Yn = X.sum(1) * (1 + cf.output / 100)
    assert np.allclose(Xn.sum(1), Yn, rtol=EQ_TOL)  # market clearing
    tb = np.zeros((n, n)) if t0 is None else t0
    tn = tb if t1 is None else t1
    E0 = (X * (1 + tb)).sum(0)
    En = E0 * (1 + cf.expenditure / 100)
    assert np.allclose((Xn * (1 + tn)).sum(0), En, rtol=EQ_TOL)  # budget incl. tariffs
    assert np.allclose(cf.tariff_revenue_counterfactual, (Xn * tn).sum(0), rtol=EQ_TOL)
    if kind == "full":
        D0 = X.sum(0) - X.sum(1)
        Dn = Xn.sum(0) - Xn.sum(1)
        if deficits == "level":
            assert np.allclose(Dn, D0, atol=EQ_TOL * X.sum())  # deficits fixed
        else:
            ratio = (Xn.sum(0) / Xn.sum(1)) / (X.sum(0) / X.sum(1))
            assert np.allclose(ratio, ratio[0], rtol=EQ_TOL)  # φ_j fixed up to one world factor
        # ACR: real GDP = (change in the domestic expenditure share / change of its cost term)^(1/(1-σ))
        share0 = np.diag(X) / E0
        share1 = np.diag(Xn) / En
        acr = (share1 / share0 / np.diag(hat)) ** (1 / (1 - sigma))
        assert np.allclose(1 + cf.real_gdp / 100, acr, rtol=1e-8)
    # the MR system: the counterfactual is the structural baseline of the new costs, new Y and new E
    if not with_tariffs:
        b0 = structural_baseline(X.sum(1), X.sum(0), X / np.outer(X.sum(1), X.sum(0)), reference=0)
        b1 = structural_baseline(Xn.sum(1), Xn.sum(0), b0.phi * hat, reference=0)
        assert np.allclose(b1.trade, Xn, rtol=1e-8)
        P_hat = (b1.imr / b0.imr) ** (1 / (1 - sigma))
        assert np.allclose(P_hat, 1 + cf.imr / 100, rtol=1e-8)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 6), st.integers(0, 2**31 - 1), st.floats(1.2, 15.0))
def test_phi_hat_one_means_no_change(n: int, seed: int, sigma: float) -> None:
    X = _economy(seed, n)
    cf = solve_counterfactual(X, np.ones((n, n)), sigma, reference=n - 1)
    assert cf.diagnostics.iterations == 0
    assert np.max(np.abs(cf.real_gdp)) < ZERO_PCT
    assert np.allclose(cf.trade_counterfactual, X, rtol=1e-12)


# ------------------------------------------------------------------------------------------------ bad input


def _bad(**overrides: object) -> dict[str, object]:
    X = _economy(1, 3)
    args: dict[str, object] = {"baseline_trade": X, "phi_hat": np.ones((3, 3)), "sigma": 5.0, "reference": 0}
    args.update(overrides)
    return args


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"baseline_trade": np.ones((3, 4))}, "square matrix"),
        ({"baseline_trade": np.ones((1, 1))}, "at least two countries"),
        ({"baseline_trade": np.array([[1.0, np.nan], [1.0, 1.0]]), "phi_hat": np.ones((2, 2))}, "missing"),
        ({"baseline_trade": np.array([[0.0, 1.0], [1.0, 1.0]]), "phi_hat": np.ones((2, 2))}, "Intranational"),
        ({"baseline_trade": np.array([[1.0, -1.0], [1.0, 1.0]]), "phi_hat": np.ones((2, 2))}, "negative"),
        ({"sigma": 1.0}, "greater than 1"),
        ({"sigma": 0.5}, "greater than 1"),
        ({"sigma": "seven"}, "number"),
        ({"reference": 3}, "reference"),
        ({"reference": -1}, "reference"),
        ({"reference": True}, "reference"),
        ({"phi_hat": np.ones((2, 2))}, "wrong size"),
        ({"phi_hat": np.zeros((3, 3))}, "positive"),
        ({"kind": "partial"}, "Unknown kind"),
        ({"deficits": "none"}, "Unknown deficits"),
        ({"tariff_new": np.eye(3)}, "intranational"),
        ({"tariff_new": -2 * np.ones((3, 3)) + 2 * np.eye(3)}, "above -1"),
        ({"countries": ["A", "A", "B"]}, "unique"),
        ({"baseline_trade": [[1.0, 2.0], [3.0]]}, "numeric"),
    ],
)
def test_bad_input_is_a_clear_data_error(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(DataError, match=message) as info:
        solve_counterfactual(**_bad(**overrides))  # type: ignore[arg-type]
    assert isinstance(info.value, TradetalksError)
    assert info.value.fix  # every error says how to fix it


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1.0, 0.0], [0.5, 0.5], np.ones((2, 2))), "positive"),
        (([1.0, -1.0], [0.5, 0.5], np.ones((2, 2))), "positive"),
        (([1.0, 1.0], [1.0, 1.0], np.ones((2, 3))), "square"),
        (([1.0, 1.0, 1.0], [1.0, 1.0], np.ones((2, 2))), "length 2"),
        (([1.0, 1.0], [1.0, 1.0], np.array([[0.0, 1.0], [1.0, 1.0]])), "positive diagonal"),
    ],
)
def test_baseline_bad_input(args: tuple[object, object, object], message: str) -> None:
    with pytest.raises(DataError, match=message):
        structural_baseline(*args, reference=0)


def test_baseline_bad_reference_names_the_countries() -> None:
    with pytest.raises(DataError, match="DEU") as info:
        structural_baseline([1.0, 1.0], [1.0, 1.0], np.ones((2, 2)), reference=2, countries=["DEU", "USA"])
    assert "Received: 2" in str(info.value)


def test_non_convergence_is_an_error_with_diagnostics() -> None:
    X = _economy(2, 5)
    hat = np.full((5, 5), 50.0)
    np.fill_diagonal(hat, 1.0)
    with pytest.raises(ConvergenceError) as info:
        solve_counterfactual(X, hat, 8.0, reference=0, max_iter=1)
    diag = info.value.diagnostics
    assert isinstance(diag, results.SolverDiagnostics)
    assert not diag.converged and diag.iterations == 1 and diag.max_residual > diag.tolerance
    assert "max_iter" in str(info.value)


# ------------------------------------------------------------------------------------------------ result objects


def test_result_objects_are_frozen_tables() -> None:
    X = _economy(4, 4)
    hat = np.ones((4, 4))
    hat[0, 1] = 1.3
    cf = solve_counterfactual(X, hat, 5.0, reference=2, countries=["KOR", "USA", "DEU", "JPN"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        cf.sigma = 3.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        cf.real_gdp[0] = 1.0
    frame = cf.to_frame()
    assert list(frame.index) == ["KOR", "USA", "DEU", "JPN"]
    assert list(frame.columns) == ["output_baseline", *results.COUNTRY_FIELDS]
    assert frame.loc["DEU", "imr"] == pytest.approx(0.0, abs=ZERO_PCT)
    bil = cf.bilateral_frame()
    assert bil.shape == (16, 3) and bil.index.names == ["exporter", "importer"]
    assert bil.loc[("KOR", "USA"), "change"] > 0
    text = repr(cf)
    assert "Counterfactual(kind='full'" in text and "converged" in text and "DEU" in text
    base = structural_baseline(X.sum(1), X.sum(0), np.ones((4, 4)), reference=0)
    assert base.to_frame().shape == (4, 5) and base.bilateral_frame().shape == (16, 2)
    assert "Baseline(n=4" in repr(base)
