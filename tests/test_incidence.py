"""Tests of tariff incidence, its inverse and the optimal tariff (tradetalks.econ.incidence), and of the calibration
of the built-in scenario's export-supply elasticities to observed pass-through."""

from __future__ import annotations

import doctest
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetalks.econ import incidence
from tradetalks.econ.incidence import (
    exporter_incidence,
    lever_incidence,
    lever_optimal_tariff,
    lever_passthrough_elasticity,
    marginal_exporter_incidence,
    optimal_tariff,
    supply_elasticity_for_passthrough,
)
from tradetalks.econ.pe import solve_market
from tradetalks.econ.valuation import compile_scenario
from tradetalks.errors import DataError
from tradetalks.scenario import load_scenario

#: closed forms evaluated in floating point
REL_EXACT = 1e-9
#: inverse then forward: Brent's method stops at a relative η tolerance of 1e-12
ABS_INVERSE = 1e-9
#: marginal incidence against a finite difference of the exact model with a 1e-6 log step (error O(step))
ABS_MARGINAL = 1e-5
#: optimal tariff against Johnson's 1/η: the bounded search stops at OPTIMUM_XTOL = 1e-7
ABS_OPTIMUM = 1e-5
#: calibration: the η facts are rounded to 3 significant figures, which moves the pass-through by < 0.005
ABS_CALIBRATION = 0.005
#: a share stated in the scenario text or the docs as a whole percentage: rounding to 1 point, plus slack
ABS_STATED_PERCENT = 0.01

PROPERTY = settings(max_examples=40, deadline=None)
DOC = Path(__file__).resolve().parents[1] / "docs" / "models" / "partial-equilibrium.md"

#: built-in calibration: η fact → (lever, rate the pass-through was observed for, pass-through target fact)
CALIBRATION = {
    "kor_car_supply_elasticity": ("us_tariff_kor_cars", 0.25, "kor_car_tariff_passthrough"),
    "kor_parts_supply_elasticity": ("us_tariff_kor_parts", 0.25, "kor_parts_tariff_passthrough"),
    "kor_exporters_supply_elasticity": ("us_tariff_kor_other", 0.25, "kor_goods_tariff_passthrough"),
    "kor_steel_supply_elasticity": ("us_tariff_kor_steel", 0.25, "kor_steel_tariff_passthrough"),
    "us_beef_supply_elasticity": ("kor_beef_ntb_us", 0.0, "us_beef_barrier_passthrough"),
}


@st.composite
def markets(draw: st.DrawFn) -> dict[str, Any]:
    """A market whose supplier 0 is the taxed foreign partner; the last supplier may be domestic."""
    n = draw(st.integers(1, 3))
    domestic = np.zeros(n, dtype=bool)
    if n > 1:
        domestic[-1] = draw(st.booleans())
    eta = [draw(st.one_of(st.just(math.inf), st.floats(0.2, 30.0))) for _ in range(n)]
    base = np.array([draw(st.floats(0.0, 0.3)) for _ in range(n)])
    return {
        "values": np.array([draw(st.floats(1e6, 1e11)) for _ in range(n)]),
        "base_tariff": np.where(domestic, 0.0, base),
        "supply_elasticity": np.array(eta),
        "domestic": domestic,
        "demand_elasticity": draw(st.floats(-4.0, -0.2)),
        "armington_elasticity": draw(st.floats(0.3, 10.0)),
    }


def raised(m: dict[str, Any], delta: float) -> np.ndarray:
    t1 = m["base_tariff"].copy()
    t1[0] += delta
    return t1


def with_eta(m: dict[str, Any], eta0: float) -> dict[str, Any]:
    eta = m["supply_elasticity"].copy()
    eta[0] = eta0
    return {**m, "supply_elasticity": eta}


# --- closed forms and agreement with the PE solve ---------------------------------------------------------------


@pytest.mark.parametrize(("eps", "eta", "tariff"), [(-1.0, 1.0, 0.25), (-2.0, 0.5, 0.1), (-0.5, 3.0, 1.0)])
def test_one_supplier_share_is_minus_eps_over_eta_minus_eps(eps: float, eta: float, tariff: float) -> None:
    # one supplier: ln p̂ (η − ε) = ε ln τ̂ exactly (constant elasticities), so s = −ε / (η − ε) for any tariff size
    s = exporter_incidence([1e9], [0.0], [tariff], supplier=0, demand_elasticity=eps, armington_elasticity=3.8,
                           supply_elasticity=eta)
    assert s == pytest.approx(-eps / (eta - eps), rel=REL_EXACT)


def test_share_is_read_from_the_solved_prices() -> None:
    kw: dict[str, Any] = {"demand_elasticity": -1.2, "armington_elasticity": 4.0,
                          "supply_elasticity": [1.5, np.inf, 2.0], "domestic": [False, False, True]}
    fx = solve_market([3e9, 9e9, 20e9], [0.0, 0.025, 0.0], [0.25, 0.025, 0.0], **kw)
    s = exporter_incidence([3e9, 9e9, 20e9], [0.0, 0.025, 0.0], [0.25, 0.025, 0.0], supplier=0, **kw)
    wedge = math.log(1.25)
    assert s == pytest.approx(-math.log1p(fx.producer_price_change[0]) / wedge, rel=REL_EXACT)
    # the buyers' share is the rest: ln P̂_k = ln p̂_k + ln τ̂_k
    assert 1 - s == pytest.approx(math.log1p(fx.consumer_price_change[0]) / wedge, rel=REL_EXACT)


def test_marginal_share_closed_form_with_others_perfectly_elastic() -> None:
    # s = A/(η + A), A = σ(1 − w) − ε w with w the partner's expenditure share (base tariffs 0 here)
    values, eps, sigma, eta = np.array([2e9, 6e9]), -1.5, 3.8, 2.0
    w = values[0] / values.sum()
    a = sigma * (1 - w) - eps * w
    s = marginal_exporter_incidence(values, 0.0, supplier=0, demand_elasticity=eps, armington_elasticity=sigma,
                                    supply_elasticity=[eta, np.inf])
    assert s == pytest.approx(a / (eta + a), rel=REL_EXACT)


@PROPERTY
@given(markets())
def test_marginal_share_is_the_limit_of_the_exact_share(m: dict[str, Any]) -> None:
    step = 1e-6
    exact = exporter_incidence(new_tariff=raised(m, step), supplier=0, **m)
    assert marginal_exporter_incidence(supplier=0, **m) == pytest.approx(exact, abs=ABS_MARGINAL)


# --- properties -------------------------------------------------------------------------------------------------


@PROPERTY
@given(markets(), st.floats(0.01, 1.0))
def test_share_is_between_zero_and_one_and_zero_for_perfectly_elastic_supply(m: dict[str, Any],
                                                                           delta: float) -> None:
    s = exporter_incidence(new_tariff=raised(m, delta), supplier=0, **m)
    assert 0.0 <= s < 1.0
    assert exporter_incidence(new_tariff=raised(m, delta), supplier=0, **with_eta(m, math.inf)) == 0.0


@PROPERTY
@given(markets(), st.floats(0.01, 1.0), st.floats(0.2, 20.0), st.floats(1.05, 5.0))
def test_share_falls_as_supply_becomes_more_elastic(m: dict[str, Any], delta: float, eta: float,
                                                    factor: float) -> None:
    t1 = raised(m, delta)
    low = exporter_incidence(new_tariff=t1, supplier=0, **with_eta(m, eta))
    high = exporter_incidence(new_tariff=t1, supplier=0, **with_eta(m, eta * factor))
    assert high < low


@PROPERTY
@given(markets(), st.floats(0.01, 1.0))
def test_share_vanishes_as_eta_grows_without_bound(m: dict[str, Any], delta: float) -> None:
    t1 = raised(m, delta)
    shares = [exporter_incidence(new_tariff=t1, supplier=0, **with_eta(m, eta)) for eta in (1e2, 1e4, 1e6)]
    assert shares[0] > shares[1] > shares[2] >= 0
    assert shares[2] < 1e-4


@PROPERTY
@given(markets(), st.floats(0.01, 1.0), st.floats(0.02, 0.98))
def test_inverse_reproduces_the_target_passthrough(m: dict[str, Any], delta: float, target: float) -> None:
    t1 = raised(m, delta)
    try:
        eta = supply_elasticity_for_passthrough(target, new_tariff=t1, supplier=0, **m)
    except DataError:  # target outside what the model can produce for this market (η bracket)
        return
    s = exporter_incidence(new_tariff=t1, supplier=0, **with_eta(m, eta))
    assert 1 - s == pytest.approx(target, abs=ABS_INVERSE)


def test_inverse_closed_form_one_supplier() -> None:
    # one supplier: π = η/(η − ε) ⇒ η = −ε π/(1 − π)
    for eps, pi in [(-1.0, 0.4), (-2.5, 0.96), (-0.3, 0.1)]:
        eta = supply_elasticity_for_passthrough(pi, [1e9], [0.0], [0.25], supplier=0, demand_elasticity=eps,
                                                armington_elasticity=3.8)
        assert eta == pytest.approx(-eps * pi / (1 - pi), rel=1e-9)


# --- optimal tariff ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("eps", "eta"), [(-2.0, 1.5), (-1.0, 1.0), (-0.5, 4.0), (-3.0, 0.8)])
def test_optimal_tariff_is_inverse_supply_elasticity_with_one_supplier(eps: float, eta: float) -> None:
    r = optimal_tariff([1e9], [0.0], supplier=0, demand_elasticity=eps, armington_elasticity=3.8,
                       supply_elasticity=eta)
    assert r.tariff == pytest.approx(1 / eta, abs=ABS_OPTIMUM)
    assert not r.at_bound and r.objective_change > 0
    # exporter share at t* equals −ε/(η − ε) (one supplier, any tariff size)
    assert r.exporter_share == pytest.approx(-eps / (eta - eps), rel=1e-6)


def test_optimal_tariff_is_zero_for_perfectly_elastic_supply() -> None:
    r = optimal_tariff([1e9, 4e9], [0.0, 0.0], supplier=0, demand_elasticity=-1.0, armington_elasticity=3.8)
    assert r.tariff == pytest.approx(0.0, abs=ABS_OPTIMUM)
    assert r.objective_change == pytest.approx(0.0, abs=1.0)


def test_optimal_tariff_maximises_the_weighted_objective() -> None:
    kw: dict[str, Any] = {"demand_elasticity": -1.0, "armington_elasticity": 3.8,
                          "supply_elasticity": [2.0, np.inf, 2.0], "domestic": [False, False, True]}
    values, base = [3e9, 9e9, 20e9], [0.0, 0.02, 0.0]
    r = optimal_tariff(values, base, supplier=0, producer_weights=[0, 0, 1.5], **kw)

    def objective(t: float) -> float:
        fx = solve_market(values, base, [t, 0.02, 0.0], **kw)
        return fx.consumer_surplus_change + fx.tariff_revenue_change + 1.5 * fx.producer_surplus_change[2]

    assert r.objective_change == pytest.approx(objective(r.tariff), rel=1e-9)
    for t in np.linspace(0.0, 3.0, 31):
        assert objective(float(t)) <= r.objective_change + 1e-6 * abs(r.objective_change)
    assert "OptimalTariff(" in repr(r)


def test_errors_say_what_was_wrong() -> None:
    kw: dict[str, Any] = {"demand_elasticity": -1.0, "armington_elasticity": 3.8, "supply_elasticity": 2.0}
    with pytest.raises(DataError, match="does not change"):
        exporter_incidence([1e9], [0.1], [0.1], supplier=0, **kw)
    with pytest.raises(DataError, match="must index"):
        exporter_incidence([1e9], [0.0], [0.1], supplier=3, **kw)
    with pytest.raises(DataError, match="foreign supplier"):
        exporter_incidence([1e9, 1e9], 0.0, 0.1, supplier=1, domestic=[False, True], **kw)
    with pytest.raises(DataError, match="passthrough"):
        supply_elasticity_for_passthrough(1.2, [1e9], [0.0], [0.25], supplier=0, **kw)


def test_doctests() -> None:
    assert doctest.testmod(incidence, raise_on_error=False).failed == 0


# --- the built-in scenario is calibrated to the pass-through it cites -----------------------------------------


@pytest.fixture(scope="module")
def korus() -> Any:
    loaded = load_scenario("korus-2025")
    return loaded, compile_scenario(loaded.scenario, loaded.facts)


@pytest.mark.parametrize("eta_fact", sorted(CALIBRATION))
def test_builtin_elasticity_reproduces_its_passthrough_target(korus: Any, eta_fact: str) -> None:
    loaded, cs = korus
    lever, rate, target = CALIBRATION[eta_fact]
    share = lever_incidence(cs, lever, rate)
    assert 1 - share == pytest.approx(loaded.facts[target], abs=ABS_CALIBRATION), (eta_fact, share)
    # and the inverse recovers the fact's value (to its 3 significant figures)
    eta = lever_passthrough_elasticity(cs, lever, rate, loaded.facts[target])
    assert eta == pytest.approx(loaded.facts[eta_fact], rel=5e-3)


@pytest.mark.parametrize("eta_fact", sorted(CALIBRATION))
def test_builtin_elasticity_range_is_the_image_of_the_passthrough_range(korus: Any, eta_fact: str) -> None:
    loaded, cs = korus
    lever, rate, target = CALIBRATION[eta_fact]
    facts = loaded.scenario.facts
    eta_range, pi_range = facts[eta_fact].range, facts[target].range
    assert eta_range is not None and pi_range is not None
    assert eta_range[0] <= loaded.facts[eta_fact] <= eta_range[1]
    for eta_end, pi_end in zip(eta_range, pi_range, strict=True):
        assert lever_passthrough_elasticity(cs, lever, rate, pi_end) == pytest.approx(eta_end, rel=0.03)


@pytest.mark.parametrize("eta_fact", sorted(CALIBRATION))
def test_exporter_share_stated_in_the_scenario_text_matches_the_model(korus: Any, eta_fact: str) -> None:
    loaded, cs = korus
    lever, rate, _ = CALIBRATION[eta_fact]
    text = loaded.scenario.facts[eta_fact].assumption or ""
    stated = re.search(r"exporter bears about (\d+) %", text)
    assert stated, f"{eta_fact}: say what share of the tariff the exporter bears"
    assert lever_incidence(cs, lever, rate) == pytest.approx(int(stated.group(1)) / 100, abs=ABS_STATED_PERCENT)


def _doc_table() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## 8. Incidence and pass-through", 1)[1]
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[1].startswith("`") and cells[1].strip("`") in CALIBRATION:
            rows[cells[1].strip("`")] = cells
    return rows


def test_doc_incidence_table_matches_the_model(korus: Any) -> None:
    loaded, cs = korus
    rows = _doc_table()
    assert set(rows) == set(CALIBRATION), "the docs table lists every calibrated elasticity"
    for eta_fact, cells in rows.items():
        lever, rate, target = CALIBRATION[eta_fact]
        numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", " ".join(cells[2:]))]
        share = lever_incidence(cs, lever, rate)
        # columns: target pass-through %, η point, η range lo–hi, exporter share %
        assert numbers[0] == pytest.approx(100 * loaded.facts[target], abs=0.5), eta_fact
        assert numbers[1] == pytest.approx(loaded.facts[eta_fact], rel=1e-3), eta_fact
        assert numbers[-1] == pytest.approx(100 * share, abs=0.5 + 100 * ABS_STATED_PERCENT), eta_fact


def test_doc_optimal_tariffs_match_the_model(korus: Any) -> None:
    _, cs = korus
    text = DOC.read_text(encoding="utf-8")
    for lever in ("us_tariff_kor_cars", "us_tariff_kor_other"):
        stated = re.search(rf"`{lever}`[^|]*\|\s*[\d.]+ %\s*\|\s*([\d.]+) %", text)
        assert stated, f"the docs state the optimal US tariff for {lever}"
        national = lever_optimal_tariff(cs, lever, "USA", weighted=False)
        assert float(stated.group(1)) == pytest.approx(100 * national.tariff, abs=0.5), lever
