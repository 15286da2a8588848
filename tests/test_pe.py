"""Tests of the partial-equilibrium market model (tradetalks.econ.pe)."""

from __future__ import annotations

import doctest
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from tradetalks.econ import pe
from tradetalks.econ.pe import MarketEffects, smart_trade_creation, smart_trade_diversion, solve_market
from tradetalks.errors import ConvergenceError, DataError, TradetalksError

#: hand-worked examples: exact arithmetic, only floating-point rounding separates model and hand
REL_EXACT = 1e-9
#: zero policy change: effects must vanish up to rounding (relative to market size)
REL_ZERO = 1e-12
#: path integral of the welfare differential with 400 trapezoid steps: O(h^2) ≈ 1e-5 of the gross flows
REL_PATH = 2e-4
#: first-order agreement with SMART for a 0.1-point tariff change: second-order terms are O(0.001 × elasticity)
REL_FIRST_ORDER = 1e-2
#: relative change below which a hypothesis example cannot be told apart from rounding
NEGLIGIBLE = 1e-10

PROPERTY = settings(max_examples=60, deadline=None)
SLOW_PROPERTY = settings(max_examples=12, deadline=None)


@st.composite
def markets(draw: st.DrawFn, finite_partner: bool | None = None) -> dict[str, Any]:
    """A market: supplier 0 is the foreign partner, the last may be domestic; zero NTBs unless drawn later."""
    n = draw(st.integers(2, 4))
    has_domestic = draw(st.booleans())
    domestic = np.zeros(n, dtype=bool)
    domestic[-1] = has_domestic
    finite_eta = st.floats(0.1, 50.0)
    eta = [draw(st.one_of(st.just(math.inf), finite_eta)) for _ in range(n)]
    if finite_partner is not None:
        eta[0] = draw(finite_eta) if finite_partner else math.inf
    tariffs = np.array([draw(st.floats(0.0, 1.0)) for _ in range(n)])
    return {
        "values": np.array([draw(st.floats(1e3, 1e11)) for _ in range(n)]),
        "base_tariff": np.where(domestic, 0.0, tariffs),
        "supply_elasticity": np.array(eta),
        "domestic": domestic,
        "demand_elasticity": draw(st.floats(-5.0, -0.1)),
        "armington_elasticity": draw(st.floats(0.1, 15.0)),
    }


def solve(m: dict[str, Any], new_tariff: np.ndarray, **extra: Any) -> MarketEffects:
    return solve_market(new_tariff=new_tariff, **{**m, **extra})


def raise_partner(m: dict[str, Any], delta: float) -> np.ndarray:
    t1 = m["base_tariff"].copy()
    t1[0] += delta
    return t1


# --- hand-worked examples -------------------------------------------------------------------------------------


def test_hand_example_one_supplier_perfectly_elastic() -> None:
    # $1bn imports, one supplier, ε = −2, tariff 0 → 10%, η = ∞ (producer price stays 1):
    #   P̂ = 1.1, Q̂ = q̂ = 1.1^−2 = 0.826446281, V1 = 1e9 · 1.1^−2 = 826,446,281.0 → ΔV = −173,553,719.0
    #   E0 = 1e9 (no base tariff); CS = −E0 (P̂^{1+ε} − 1)/(1+ε) = −1e9 (1.1^−1 − 1)/(−1) = −90,909,090.9
    #   revenue = 0.1 · 1e9 · 1.1^−2 − 0 = 82,644,628.1; welfare = CS + revenue = −8,264,462.8
    fx = solve_market([1e9], [0.0], [0.1], demand_elasticity=-2.0, armington_elasticity=3.8)
    q = 1.1**-2
    expected = {
        "price_index_change": 0.1, "consumer_surplus_change": 1e9 * (1 / 1.1 - 1),
        "tariff_revenue_change": 0.1 * 1e9 * q, "importer_welfare_change": 1e9 * (1 / 1.1 - 1) + 0.1e9 * q,
        "trade_creation": 1e9 * (q - 1), "ntb_cost_change": 0.0,
    }
    for name, value in expected.items():
        assert getattr(fx, name) == pytest.approx(value, rel=REL_EXACT, abs=1e-6), name
    assert fx.quantity_change[0] == pytest.approx(q - 1, rel=REL_EXACT)
    assert fx.value_change[0] == pytest.approx(1e9 * (q - 1), rel=REL_EXACT)
    assert fx.consumer_price_change[0] == pytest.approx(0.1, rel=REL_EXACT)
    assert fx.producer_price_change[0] == 0.0 and fx.producer_surplus_change[0] == 0.0
    assert fx.trade_diversion[0] == pytest.approx(0.0, abs=1e-6)  # a single supplier diverts from no one
    # deadweight loss computed independently: Harberger integral ∫ t dq along q(t) = 1e9 (1+t)^−2
    dwl, _ = quad(lambda t: -t * 1e9 * -2.0 * (1 + t) ** -3, 0.0, 0.1)
    assert fx.importer_welfare_change == pytest.approx(-dwl, rel=REL_EXACT)


def test_hand_example_finite_supply_terms_of_trade() -> None:
    # one supplier, ε = −1, η = 1, tariff 0 → 10%: q̂ = P̂^−1, P̂ = 1.1 p̂, p̂ = q̂ ⇒ p̂² = 1/1.1, p̂ = 1.1^−½
    #   P̂ = 1.1^½ = 1.0488088, q̂ = 1.1^−½ = 0.9534626, p̂q̂ = 1/1.1
    #   ΔV = 1e9 (1/1.1 − 1) = −90,909,090.9; trade creation (volume) = 1e9 (1.1^−½ − 1) = −46,537,410.4
    #   CS at ε = −1 is −E0 ln P̂ = −1e9 · ½ ln 1.1 = −47,655,089.9
    #   revenue = 0.1 · 1e9 · p̂q̂ = 90,909,090.9; exporter PS = V (p̂² − 1)/2 = −45,454,545.5
    #   importer welfare = CS + revenue = +43,254,001.0: the terms-of-trade gain exceeds the deadweight loss
    fx = solve_market([1e9], [0.0], [0.1], demand_elasticity=-1.0, armington_elasticity=2.0, supply_elasticity=[1.0])
    p = 1.1**-0.5
    assert fx.producer_price_change[0] == pytest.approx(p - 1, rel=REL_EXACT)
    assert fx.consumer_price_change[0] == pytest.approx(1.1**0.5 - 1, rel=REL_EXACT)
    assert fx.value_change[0] == pytest.approx(1e9 * (1 / 1.1 - 1), rel=REL_EXACT)
    assert fx.trade_creation == pytest.approx(1e9 * (p - 1), rel=REL_EXACT)
    assert fx.price_effect[0] == pytest.approx(1e9 * p * (p - 1), rel=REL_EXACT)
    assert fx.consumer_surplus_change == pytest.approx(-1e9 * 0.5 * math.log(1.1), rel=REL_EXACT)
    assert fx.tariff_revenue_change == pytest.approx(0.1e9 / 1.1, rel=REL_EXACT)
    assert fx.producer_surplus_change[0] == pytest.approx(1e9 * (1 / 1.1 - 1) / 2, rel=REL_EXACT)
    assert fx.importer_welfare_change == pytest.approx(0.1e9 / 1.1 - 0.5e9 * math.log(1.1), rel=REL_EXACT)


# --- properties -------------------------------------------------------------------------------------------------


@PROPERTY
@given(markets(), st.data())
def test_zero_policy_change_has_no_effect(m: dict[str, Any], data: st.DataObject) -> None:
    ntb = np.where(m["domestic"], 0.0, data.draw(st.lists(st.floats(0.0, 0.5), min_size=len(m["values"]),
                                                            max_size=len(m["values"]))))
    fx = solve(m, m["base_tariff"], base_ntb=ntb, new_ntb=ntb)
    usd = REL_ZERO * m["values"].sum()
    for name in ("producer_price_change", "consumer_price_change", "quantity_change"):
        assert np.all(np.abs(getattr(fx, name)) <= REL_ZERO), name
    assert abs(fx.price_index_change) <= REL_ZERO
    for name in ("value_change", "price_effect", "trade_diversion", "producer_surplus_change"):
        assert np.all(np.abs(getattr(fx, name)) <= usd), name
    for name in ("trade_creation", "consumer_surplus_change", "tariff_revenue_change", "ntb_cost_change",
                 "importer_welfare_change"):
        assert abs(getattr(fx, name)) <= usd, name


@PROPERTY
@given(markets(), st.floats(0.01, 1.0))
def test_tariff_increase_on_partner(m: dict[str, Any], delta: float) -> None:
    gross_substitutes = m["armington_elasticity"] + m["demand_elasticity"]
    assume(abs(gross_substitutes) > 0.05)
    fx = solve(m, raise_partner(m, delta))
    assert fx.quantity_change[0] < 0
    assert fx.price_index_change > 0
    assert fx.consumer_surplus_change < 0
    # q̂_s = P̂^{ε+σ} p̂_s^{−σ} for s ≠ partner: others gain only if σ > −ε (gross substitutes); if σ < −ε the
    # fall in composite demand outweighs substitution and every supplier sells less
    others = fx.quantity_change[1:]
    assert np.all(np.sign(others) == np.sign(gross_substitutes))
    dom = m["domestic"] & np.isfinite(m["supply_elasticity"])
    assert np.all(np.sign(fx.producer_surplus_change[dom]) == np.sign(gross_substitutes))
    assert np.all(fx.producer_surplus_change[~np.isfinite(m["supply_elasticity"])] == 0.0)


@PROPERTY
@given(markets(), st.floats(0.01, 0.5), st.floats(0.01, 0.5))
def test_larger_increase_has_larger_effects(m: dict[str, Any], small: float, extra: float) -> None:
    assume(m["armington_elasticity"] + m["demand_elasticity"] > 0.05)
    a, b = solve(m, raise_partner(m, small)), solve(m, raise_partner(m, small + extra))
    assert b.quantity_change[0] < a.quantity_change[0]
    assert b.price_index_change > a.price_index_change
    assert b.consumer_surplus_change < a.consumer_surplus_change
    assert np.all(b.quantity_change[1:] > a.quantity_change[1:])
    if (~m["domestic"]).sum() > 1:  # with one foreign supplier there is no one to divert from
        assert b.trade_diversion[0] < a.trade_diversion[0]
    dom = m["domestic"] & np.isfinite(m["supply_elasticity"])
    assert np.all(b.producer_surplus_change[dom] > a.producer_surplus_change[dom])


@PROPERTY
@given(markets(finite_partner=True), st.floats(0.01, 1.0))
def test_finite_supply_lowers_partner_price_and_pass_through_is_incomplete(m: dict[str, Any], delta: float) -> None:
    fx = solve(m, raise_partner(m, delta))
    full_pass_through = (1 + m["base_tariff"][0] + delta) / (1 + m["base_tariff"][0]) - 1
    assert fx.producer_price_change[0] < 0  # GSIM world-price effect: the exporter absorbs part of the tariff
    assert 0 < fx.consumer_price_change[0] < full_pass_through
    assert fx.producer_surplus_change[0] < 0
    assert fx.price_effect[0] < 0


@PROPERTY
@given(markets(finite_partner=False), st.floats(0.01, 1.0))
def test_infinite_supply_is_the_limit_of_finite(m: dict[str, Any], delta: float) -> None:
    t1 = raise_partner(m, delta)
    exact = solve(m, t1)
    limit = solve(m, t1, supply_elasticity=np.where(np.isfinite(m["supply_elasticity"]),
                                                    m["supply_elasticity"], 1e9))
    scale = m["values"].sum()
    assert limit.quantity_change == pytest.approx(exact.quantity_change, rel=1e-6, abs=1e-8)
    assert limit.consumer_surplus_change == pytest.approx(exact.consumer_surplus_change, rel=1e-6, abs=1e-8 * scale)
    assert limit.importer_welfare_change == pytest.approx(exact.importer_welfare_change, abs=1e-7 * scale)


@PROPERTY
@given(markets(), st.data())
def test_expenditure_accounting(m: dict[str, Any], data: st.DataObject) -> None:
    # consumers' spending = producers' receipts + tariff revenue + resources used up by NTBs, before and after
    n = len(m["values"])
    draw = lambda lo, hi: np.where(m["domestic"], 0.0, data.draw(st.lists(st.floats(lo, hi), min_size=n, max_size=n)))  # noqa: E731
    n0, n1, t1 = draw(0.0, 0.5), draw(0.0, 0.5), draw(0.0, 1.0)
    fx = solve(m, t1, base_ntb=n0, new_ntb=n1)
    e0 = m["values"] * (1 + m["base_tariff"]) * (1 + n0)
    spending_change = float(e0 @ ((1 + fx.consumer_price_change) * (1 + fx.quantity_change)) - e0.sum())
    receipts = fx.value_change.sum() + fx.tariff_revenue_change + fx.ntb_cost_change
    assert spending_change == pytest.approx(receipts, rel=1e-9, abs=1e-9 * e0.sum())
    assert fx.trade_diversion[~m["domestic"]].sum() == pytest.approx(0.0, abs=1e-9 * e0.sum())
    assert np.all(fx.trade_diversion[m["domestic"]] == 0.0)


def path_welfare(m: dict[str, Any], t1: np.ndarray, steps: int = 400) -> float:
    """∫ Σ_foreign (t p dq − q dp) along t(λ) = t0 + λ (t1 − t0): the importer's welfare differential.

    With quasi-linear utility and no NTB, dCS = −Σ q dP, dRevenue = Σ d(t p q), dPS_domestic = Σ_dom q dp, and the
    sum collapses to Σ_foreign (t p dq − q dp): Harberger's efficiency term plus the terms-of-trade term.
    Integrated with a trapezoid Stieltjes sum, independent of the model's closed-form surpluses.
    """
    t0, foreign = m["base_tariff"], ~m["domestic"]
    lam = np.linspace(0.0, 1.0, steps + 1)
    points = [solve(m, t0 + x * (t1 - t0)) for x in lam]
    q = np.array([m["values"] * (1 + fx.quantity_change) for fx in points])[:, foreign]
    p = np.array([1 + fx.producer_price_change for fx in points])[:, foreign]
    t = (t0 + np.outer(lam, t1 - t0))[:, foreign]
    mid = lambda a: (a[1:] + a[:-1]) / 2  # noqa: E731
    return float(np.sum(mid(t) * mid(p) * np.diff(q, axis=0) - mid(q) * np.diff(p, axis=0)))


@SLOW_PROPERTY
@given(markets(), st.floats(-0.5, 1.0))
def test_welfare_equals_path_integral_of_efficiency_and_terms_of_trade(m: dict[str, Any], delta: float) -> None:
    t1 = raise_partner(m, max(delta, -m["base_tariff"][0]))
    fx = solve(m, t1)
    gross = abs(fx.consumer_surplus_change) + abs(fx.tariff_revenue_change) + np.abs(fx.producer_surplus_change).sum()
    # floating-point floor: welfare is a difference of terms of the size of the market (up to ~1e10 here), so
    # cancellation leaves ~1e-15 of the market's spending even when the true change is ~0
    floor = 1e-12 * float(np.sum(m["values"] * (1 + m["base_tariff"]))) + 1e-6
    assert fx.importer_welfare_change == pytest.approx(path_welfare(m, t1), abs=REL_PATH * gross + floor)


def test_path_integral_check_can_fail() -> None:
    # the identity above is sharp: leaving the domestic producer surplus out of welfare breaks it
    m = {"values": np.array([1e9, 2e9, 3e9]), "base_tariff": np.array([0.0, 0.1, 0.0]),
         "supply_elasticity": np.array([2.0, np.inf, 1.5]), "domestic": np.array([False, False, True]),
         "demand_elasticity": -1.5, "armington_elasticity": 4.0}
    t1 = np.array([0.25, 0.1, 0.0])
    fx = solve(m, t1)
    gross = abs(fx.consumer_surplus_change) + abs(fx.tariff_revenue_change)
    assert fx.importer_welfare_change == pytest.approx(path_welfare(m, t1), abs=REL_PATH * gross)
    wrong = fx.consumer_surplus_change + fx.tariff_revenue_change
    assert abs(wrong - path_welfare(m, t1)) > 100 * REL_PATH * gross


@PROPERTY
@given(markets(), st.floats(0.01, 1.0))
def test_ntb_is_a_tariff_without_revenue(m: dict[str, Any], delta: float) -> None:
    tariff = solve(m, raise_partner(m, delta))
    ntb = np.zeros_like(m["values"])
    ntb[0] = delta / (1 + m["base_tariff"][0])  # same consumer-price wedge: (1 + t0)(1 + n) = 1 + t0 + delta
    barrier = solve(m, m["base_tariff"], new_ntb=ntb)
    usd = REL_ZERO * m["values"].sum() * (1 + m["base_tariff"].max())  # rounding in differences of revenues
    assert barrier.quantity_change == pytest.approx(tariff.quantity_change, rel=1e-9, abs=1e-12)
    assert barrier.consumer_surplus_change == pytest.approx(tariff.consumer_surplus_change, rel=1e-9)
    assert barrier.ntb_cost_change == pytest.approx(tariff.tariff_revenue_change - barrier.tariff_revenue_change,
                                                    rel=1e-9, abs=usd)
    welfare_gap = tariff.importer_welfare_change - barrier.importer_welfare_change
    assert welfare_gap == pytest.approx(barrier.ntb_cost_change, rel=1e-9, abs=usd)


@pytest.mark.parametrize(("parameter", "special"), [("armington_elasticity", 1.0), ("demand_elasticity", -1.0)])
def test_continuous_at_special_cases(parameter: str, special: float) -> None:
    # σ = 1 (Cobb-Douglas index) and ε = −1 (log consumer surplus) use limit formulas; they must join smoothly
    base: dict[str, Any] = {"values": [1e9, 3e9, 2e9], "base_tariff": [0.0, 0.1, 0.0], "new_tariff": [0.25, 0.1, 0.0],
            "supply_elasticity": [2.0, np.inf, 1.0], "domestic": [False, False, True],
            "demand_elasticity": -1.5, "armington_elasticity": 3.0}
    at = solve_market(**{**base, parameter: special})
    for h in (1e-7, -1e-7):
        near = solve_market(**{**base, parameter: special + h})
        assert near.consumer_surplus_change == pytest.approx(at.consumer_surplus_change, rel=1e-5)
        assert near.quantity_change == pytest.approx(at.quantity_change, rel=1e-5)
        assert near.importer_welfare_change == pytest.approx(at.importer_welfare_change, rel=1e-5)


# --- first-order agreement with SMART's closed forms -----------------------------------------------------------


def first_order_errors(exact: Any, closed: Any, h: float = 1e-3) -> tuple[float, float]:
    """Relative gaps at tariff changes h and h/10: first-order agreement means the gap shrinks like h."""
    gaps = []
    for step in (h, h / 10):
        gaps.append(abs(exact(step) - closed(step)) / abs(closed(step)))
    return gaps[0], gaps[1]


@pytest.mark.parametrize("eta", [np.inf, 2.0, 0.5])
def test_trade_creation_matches_smart_one_supplier(eta: float) -> None:
    def exact(h: float) -> float:
        return solve_market([1e9], [0.05], [0.05 + h], demand_elasticity=-1.5, armington_elasticity=3.8,
                            supply_elasticity=eta).trade_creation

    big, small = first_order_errors(exact, lambda h: smart_trade_creation(1e9, -1.5, 0.05, 0.05 + h, eta))
    assert big < REL_FIRST_ORDER
    assert small < big / 5


@pytest.mark.parametrize("eta", [np.inf, 3.0])
def test_trade_creation_matches_smart_with_competing_suppliers(eta: float) -> None:
    # SMART's formula holds for total imports when base tariffs are uniform and η is common to all suppliers
    values, t0 = np.array([1e9, 2e9, 3e9]), np.full(3, 0.05)

    def exact(h: float) -> float:
        return solve_market(values, t0, t0 + [h, 0, 0], demand_elasticity=-1.2, armington_elasticity=4.0,
                            supply_elasticity=eta).trade_creation

    big, small = first_order_errors(exact, lambda h: smart_trade_creation(1e9, -1.2, 0.05, 0.05 + h, eta))
    assert big < REL_FIRST_ORDER
    assert small < big / 5


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_trade_diversion_matches_smart(sign: float) -> None:
    # unequal base tariffs and a domestic producer: diversion is among foreign suppliers only
    values, t0 = np.array([1e9, 2e9, 3e9, 4e9]), np.array([0.05, 0.10, 0.0, 0.0])
    domestic = np.array([False, False, False, True])

    def exact(h: float) -> float:
        fx = solve_market(values, t0, t0 + [sign * h, 0, 0, 0], demand_elasticity=-1.3, armington_elasticity=4.0,
                          domestic=domestic)
        assert fx.trade_diversion[:3].sum() == pytest.approx(0.0, abs=1e-6)
        return float(fx.trade_diversion[0])

    def closed(h: float) -> float:
        return smart_trade_diversion(1e9, 5e9, 4.0, 0.05, 0.05 + sign * h, other_tariff_old=0.07)

    big, small = first_order_errors(exact, closed)
    assert big < REL_FIRST_ORDER
    assert small < big / 5


def test_smart_closed_forms_by_hand() -> None:
    # ΔM = 1e9 · (−2) · 0.1 / ((1 + 0) (1 + 2/1)) = −66,666,666.7 with ε_x = 1
    assert smart_trade_creation(1e9, -2.0, 0.0, 0.1, 1.0) == pytest.approx(-2e8 / 3, rel=REL_EXACT)
    # k's 10% tariff removed: x = 1.1 − 1 = 0.1, σx = 0.4; TD = 1e9 · 3e9 · 0.4 / (4e9 + 0.4e9) = 272,727,272.7
    assert smart_trade_diversion(1e9, 3e9, 4.0, 0.1, 0.0) == pytest.approx(1.2e18 / 4.4e9, rel=REL_EXACT)
    # a tariff on everyone changes no relative price: no diversion
    assert smart_trade_diversion(1e9, 3e9, 4.0, 0.0, 0.1, 0.0, 0.1) == pytest.approx(0.0, abs=1e-6)


# --- validation, result object, solver failure -----------------------------------------------------------------

GOOD: dict[str, Any] = {"values": [1e9, 2e9, 3e9], "base_tariff": [0.0, 0.1, 0.0], "new_tariff": [0.25, 0.1, 0.0],
                        "demand_elasticity": -1.5, "armington_elasticity": 3.8, "domestic": [False, False, True]}


@pytest.mark.parametrize(("change", "mentions"), [
    ({"new_tariff": [0.25, 0.1]}, "shape (3,)"),
    ({"values": [1e9, 0.0, 3e9]}, "values[1] = 0.0"),
    ({"values": [[1e9, 2e9, 3e9]]}, "1-D"),
    ({"values": "lots"}, "1-D"),
    ({"demand_elasticity": 0.0}, "demand_elasticity"),
    ({"demand_elasticity": float("nan")}, "demand_elasticity"),
    ({"armington_elasticity": -1.0}, "armington_elasticity"),
    ({"armington_elasticity": None}, "armington_elasticity"),
    ({"supply_elasticity": [1.0, 0.0, np.inf]}, "supply_elasticity[1] = 0.0"),
    ({"new_tariff": [-1.0, 0.1, 0.0]}, "new_tariff[0] = -1.0"),
    ({"base_tariff": [0.0, float("nan"), 0.0]}, "base_tariff[1] = nan"),
    ({"new_tariff": [0.25, 0.1, 0.05]}, "domestic"),
    ({"new_ntb": [0.0, 0.0, 0.1]}, "domestic"),
    ({"domestic": [0, 0, 1]}, "boolean mask"),
    ({"suppliers": ["KOR", "ROW", "KOR"]}, "distinct"),
])
def test_invalid_inputs_say_what_and_how_to_fix(change: dict[str, Any], mentions: str) -> None:
    with pytest.raises(DataError) as info:
        solve_market(**{**GOOD, **change})
    message = str(info.value)
    assert isinstance(info.value, TradetalksError)
    assert mentions in message and "Received" in message and "Fix:" in message


def test_solver_failure_raises_convergence_error_with_diagnostics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pe, "SOLVER_MAX_ITERATIONS", 0)
    with pytest.raises(ConvergenceError) as info:
        solve_market(**{**GOOD, "supply_elasticity": [2.0, np.inf, 1.0]})
    diagnostics: dict[str, Any] = info.value.diagnostics  # type: ignore[assignment]
    assert diagnostics["iterations"] == 0
    assert len(diagnostics["residual"]) == 2


def test_result_is_frozen_readable_and_tabulates() -> None:
    fx = solve_market(**{**GOOD, "supply_elasticity": [2.0, np.inf, 1.0], "suppliers": ["KOR", "ROW", "USA"]})
    assert fx.solver_iterations > 0
    with pytest.raises(AttributeError):
        fx.trade_creation = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        fx.value_change[0] = 0.0
    text = repr(fx)
    assert "KOR" in text and "USA" in text and "importer welfare" in text
    frame = fx.to_frame()
    assert list(frame.index) == ["KOR", "ROW", "USA", "market"]
    assert frame.loc["market", "value_change"] == pytest.approx(fx.value_change.sum())
    assert frame.loc["market", "importer_welfare_change"] == fx.importer_welfare_change
    assert np.isnan(frame.loc["market", "quantity_change"])
    assert np.isnan(frame.loc["KOR", "consumer_surplus_change"])


def test_inputs_are_not_mutated() -> None:
    values, t1 = np.array([1e9, 2e9]), np.array([0.3, 0.0])
    solve_market(values, [0.0, 0.0], t1, demand_elasticity=-1.0, armington_elasticity=2.0, supply_elasticity=1.0)
    assert values.tolist() == [1e9, 2e9] and t1.tolist() == [0.3, 0.0]


def test_docstring_examples_run() -> None:
    result = doctest.testmod(pe, raise_on_error=False)
    assert result.attempted >= 5 and result.failed == 0
