"""Multi-sector GE with input-output links (Caliendo & Parro 2015): nesting, invariants, sector tariffs."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetalks.econ.gravity import multisector
from tradetalks.econ.gravity.multisector import solve_multisector
from tradetalks.econ.gravity.results import MULTISECTOR_COUNTRY_FIELDS, MULTISECTOR_SECTOR_FIELDS, DeficitClosure
from tradetalks.econ.gravity.solver import solve_counterfactual
from tradetalks.errors import DataError
from tradetalks.options import MultiSectorDeficitClosure

#: the one-sector special case must match the one-sector solver to this (per cent); both solve to 1e-10 in logs
NESTED_PCT = 1e-7
#: equilibrium conditions at the solution (relative)
EQ_TOL = 1e-9
#: "no change" (per cent)
ZERO_PCT = 1e-8
#: a 0.1 point tariff change: the first-order decomposition (ToT + VoT) matches the exact welfare change to this (per
#: cent points); the gap is second order in the shock (about 2e-3 at a 1 point change)
FIRST_ORDER_SHOCK = 0.001
FIRST_ORDER_PCT = 5e-5


def _world(seed: int, J: int, N: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(1.0, 10.0, (J, N, N))
    X[:, np.arange(N), np.arange(N)] += rng.uniform(40.0, 120.0, (J, N))
    io = rng.uniform(0.03, 0.15, (N, J, J))
    return X, io


def _tariffs(seed: int, J: int, N: int) -> np.ndarray:
    t = np.random.default_rng(seed).uniform(0.0, 0.2, (J, N, N))
    t[:, np.arange(N), np.arange(N)] = 0.0
    return t


def test_docstring_examples_run() -> None:
    failed, _ = doctest.testmod(multisector)
    assert failed == 0


@pytest.mark.parametrize("deficits", ["ratio", "level"])
@pytest.mark.parametrize("tariffs", [False, True])
def test_one_sector_without_inputs_is_the_one_sector_model(deficits: DeficitClosure, tariffs: bool) -> None:
    X, _ = _world(1, 1, 6)
    rng = np.random.default_rng(1)
    hat = np.exp(rng.normal(0.0, 0.4, (6, 6)))
    t0 = _tariffs(2, 1, 6) if tariffs else None
    t1 = _tariffs(3, 1, 6) if tariffs else None
    one = solve_counterfactual(
        X[0],
        hat,
        6.0,
        reference=3,
        deficits=deficits,
        tariff_base=None if t0 is None else t0[0],
        tariff_new=None if t1 is None else t1[0],
    )
    many = solve_multisector(X, hat[None], 6.0, reference=3, deficits=deficits, tariff_base=t0, tariff_new=t1)
    pairs = {
        "real_gdp": "real_gdp",
        "welfare": "welfare",
        "factory_gate_price": "wage",
        "imr": "price_index",
        "exports": "exports",
        "imports": "imports",
        "output": "output",
    }
    for a, b in pairs.items():
        assert np.allclose(getattr(one, a), getattr(many, b), atol=NESTED_PCT), (a, b)
    assert np.allclose(one.trade_counterfactual, many.trade_counterfactual[0], rtol=1e-9)
    assert np.allclose(one.tariff_revenue_counterfactual, many.tariff_revenue_counterfactual, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("deficits", ["ratio", "level", "world-share"])
def test_zero_shock_is_zero_change(deficits: MultiSectorDeficitClosure) -> None:
    X, io = _world(4, 3, 5)
    tau = _tariffs(4, 3, 5)
    cf = solve_multisector(
        X, np.ones_like(X), [3.0, 5.0, 9.0], reference=0, io_shares=io, tariff_base=tau, deficits=deficits
    )
    assert cf.diagnostics.iterations == 0
    for name in (*MULTISECTOR_COUNTRY_FIELDS, *MULTISECTOR_SECTOR_FIELDS):
        assert np.nanmax(np.abs(getattr(cf, name))) < ZERO_PCT, name
    assert np.allclose(cf.trade_counterfactual, X, rtol=1e-12)


@settings(max_examples=15, deadline=None)
@given(
    st.integers(1, 3),
    st.integers(2, 5),
    st.integers(0, 2**31 - 1),
    st.sampled_from(["ratio", "level", "world-share", "zero"]),
)
def test_solution_clears_markets_and_keeps_deficits(
    J: int, N: int, seed: int, deficits: MultiSectorDeficitClosure
) -> None:
    X, io = _world(seed, J, N)
    rng = np.random.default_rng(seed)
    hat = np.exp(rng.normal(0.0, 0.4, (J, N, N)))
    t0, t1 = _tariffs(seed + 1, J, N), _tariffs(seed + 2, J, N)
    sigma = rng.uniform(2.0, 9.0, J)
    cf = solve_multisector(
        X, hat, sigma, reference=N - 1, io_shares=io, tariff_base=t0, tariff_new=t1, deficits=deficits
    )
    assert all(v <= EQ_TOL for v in cf.diagnostics.residuals.values()), cf.diagnostics.residuals
    Xn = cf.trade_counterfactual
    assert np.all(Xn > 0)
    # trade balance: imports - exports is the fixed deficit (level) or a fixed share of value added up to one
    # world factor (ratio); value added moves with the wage
    gamma = 1.0 - io.sum(axis=2)
    va0 = (gamma * X.sum(axis=2).T).sum(1)
    va1 = va0 * (1 + cf.wage / 100)
    d0 = X.sum(axis=(0, 1)) - X.sum(axis=(0, 2))
    d1 = Xn.sum(axis=(0, 1)) - Xn.sum(axis=(0, 2))
    assert abs(d1.sum()) <= EQ_TOL * Xn.sum()
    if deficits == "level":
        assert np.allclose(d1, d0, atol=EQ_TOL * X.sum())
    elif deficits == "world-share":
        assert np.allclose(d1, d0 * va1.sum() / va0.sum(), atol=EQ_TOL * X.sum())
    elif deficits == "zero":
        assert np.allclose(d1, 0.0, atol=EQ_TOL * X.sum())
    else:
        k = (va1 + d1) / va1 / ((va0 + d0) / va0)
        assert np.allclose(k, k[0], rtol=EQ_TOL)
    # value added equals factor income: Σ_j γ_nj Y'_nj = ŵ_n V_n
    assert np.allclose((gamma * Xn.sum(axis=2).T).sum(1), va1, rtol=EQ_TOL)
    # numeraire
    assert abs(cf.price_index[N - 1]) < 1e-7


def test_sector_tariff_moves_its_own_sector() -> None:
    J, N = 3, 5
    X, io = _world(7, J, N)
    t1 = np.zeros((J, N, N))
    t1[1, 0, 3] = 0.5  # country 3 taxes sector-1 goods from country 0
    cf = solve_multisector(
        X, np.ones_like(X), 5.0, reference=4, io_shares=io, tariff_new=t1, sectors=["agri", "steel", "autos"]
    )
    change = cf.bilateral_frame()["change"]
    taxed = change.loc[("steel", "0", "3")]
    assert taxed < -50.0  # 1.5^-5 ≈ -87 % at fixed prices
    assert abs(change.loc[("agri", "0", "3")]) < abs(taxed) / 5
    assert abs(change.loc[("autos", "0", "3")]) < abs(taxed) / 5
    frame = cf.sector_frame()
    assert frame.loc[("0", "steel"), "sector_exports"] == frame["sector_exports"].min()
    assert frame.loc[("3", "steel"), "sector_imports"] < frame.loc[("3", "agri"), "sector_imports"]
    assert cf.tariff_revenue_counterfactual[3] > 0


def test_input_tariff_raises_downstream_prices() -> None:
    """With input-output links a tariff on steel raises the price of autos in the taxing country."""
    J, N = 2, 4
    X, _ = _world(9, J, N)
    io = np.zeros((N, J, J))
    io[:, 1, 0] = 0.4  # autos (1) use steel (0)
    t1 = np.zeros((J, N, N))
    t1[0, :, 2] = 0.3  # country 2 taxes all steel imports
    t1[0, 2, 2] = 0.0
    linked = solve_multisector(X, np.ones_like(X), 5.0, reference=0, io_shares=io, tariff_new=t1)
    flat = solve_multisector(X, np.ones_like(X), 5.0, reference=0, tariff_new=t1)
    rel_auto = lambda cf: cf.sector_price[2, 1] - cf.price_index[2]  # noqa: E731
    assert rel_auto(linked) > rel_auto(flat) + 0.1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"trade": np.ones((3, 3))}, "3-D"),
        ({"trade": np.ones((2, 3, 4))}, "square"),
        ({"phi_hat": np.ones((1, 3, 3))}, "shape"),
        ({"sigma": 1.0}, "greater than 1"),
        ({"sigma": [5.0, 5.0, 5.0]}, "one per sector"),
        ({"io_shares": np.full((3, 2, 2), 0.6)}, "less than 1"),
        ({"io_shares": np.ones((2, 2))}, "shape"),
        ({"reference": 5}, "reference"),
        ({"deficits": "bogus"}, "Unknown deficits"),
        ({"final_shares": np.full((3, 2), 0.4)}, "sum to 1"),
        ({"final_shares": np.full((3, 3), 1 / 3)}, "shape"),
        ({"tariff_new": np.ones((2, 3, 3))}, "intranational"),
        ({"sectors": ["a", "a"]}, "unique"),
    ],
)
def test_bad_input(overrides: dict[str, object], message: str) -> None:
    X, _ = _world(3, 2, 3)
    args: dict[str, object] = {"trade": X, "phi_hat": np.ones_like(X), "sigma": 5.0, "reference": 0}
    args.update(overrides)
    with pytest.raises(DataError, match=message) as info:
        solve_multisector(**args)  # type: ignore[arg-type]
    assert info.value.fix


def test_sector_without_output_names_country_and_sector() -> None:
    X, _ = _world(3, 2, 3)
    X[1, 2, :] = 0.0
    with pytest.raises(DataError, match=r"trade\[1, 2, :\].*JPN") as info:
        solve_multisector(X, np.ones_like(X), 5.0, reference=0, countries=["KOR", "USA", "JPN"])
    assert "produces nothing" in str(info.value)


def test_a_sector_bought_only_abroad_is_allowed() -> None:
    """Caliendo & Parro's data have sectors with no home sales (exports exceed reported gross output)."""
    X, io = _world(3, 2, 3)
    X[1, 2, 2] = 0.0
    t1 = _tariffs(3, 2, 3)
    cf = solve_multisector(X, np.ones_like(X), 5.0, reference=0, io_shares=io, tariff_new=t1)
    assert all(v <= EQ_TOL for v in cf.diagnostics.residuals.values())
    assert cf.trade_counterfactual[1, 2, 2] == 0.0


def test_given_final_shares_turn_a_zero_shock_into_a_calibration() -> None:
    """With final-demand shares that do not match the data, a solve without a shock moves to the model's baseline;
    solving again from there changes nothing (the second step of Caliendo & Parro's base-year construction)."""
    X, io = _world(6, 2, 4)
    alpha = np.tile([0.7, 0.3], (4, 1))
    first = solve_multisector(X, np.ones_like(X), 4.0, reference=0, io_shares=io, final_shares=alpha)
    assert np.max(np.abs(first.trade_counterfactual / X - 1.0)) > 1e-3
    again = solve_multisector(
        first.trade_counterfactual, np.ones_like(X), 4.0, reference=0, io_shares=io, final_shares=alpha
    )
    assert np.allclose(again.trade_counterfactual, first.trade_counterfactual, rtol=1e-9)
    derived = solve_multisector(first.trade_counterfactual, np.ones_like(X), 4.0, reference=0, io_shares=io)
    assert np.allclose(derived.trade_counterfactual, first.trade_counterfactual, rtol=1e-9)


@settings(max_examples=10, deadline=None)
@given(st.integers(2, 3), st.integers(3, 5), st.integers(0, 2**31 - 1))
def test_welfare_decomposition(J: int, N: int, seed: int) -> None:
    """Terms-of-trade effects sum to zero over the world (each flow is one country's export and another's import);
    ToT + VoT is the first-order welfare change (Caliendo & Parro 2015, eq. 28); the split by partner adds up."""
    X, io = _world(seed, J, N)
    t0 = _tariffs(seed + 1, J, N)
    t1 = t0.copy()
    t1[:, 0, 1] += FIRST_ORDER_SHOCK
    base = solve_multisector(X, np.ones_like(X), 5.0, reference=0, io_shares=io, tariff_base=t0, deficits="zero")
    cf = solve_multisector(
        base.trade_counterfactual, np.ones_like(X), 5.0, reference=1, io_shares=io, tariff_base=t0, tariff_new=t1
    )
    assert abs(float(cf.terms_of_trade @ cf.income_baseline)) <= EQ_TOL * cf.income_baseline.sum()
    assert np.allclose(cf.terms_of_trade + cf.volume_of_trade, cf.welfare, atol=FIRST_ORDER_PCT)
    split = cf.welfare_split(["0", "1"])
    assert np.allclose(split["tot_with_group"] + split["tot_with_rest"], cf.terms_of_trade, atol=1e-12)
    assert np.allclose(split["vot_with_group"] + split["vot_with_rest"], cf.volume_of_trade, atol=1e-12)
    with pytest.raises(DataError, match="labels"):
        cf.welfare_split(["nowhere"])


def test_frames_and_repr() -> None:
    X, io = _world(5, 2, 3)
    hat = np.ones_like(X)
    hat[0, 0, 1] = 1.5
    cf = solve_multisector(X, hat, 5.0, reference=0, io_shares=io, countries=["KOR", "USA", "JPN"], sectors=["a", "b"])
    assert list(cf.to_frame().columns) == ["output_baseline", *MULTISECTOR_COUNTRY_FIELDS]
    assert cf.sector_frame().shape == (6, len(MULTISECTOR_SECTOR_FIELDS))
    assert cf.bilateral_frame().shape == (18, 3)
    assert "MultiSectorCounterfactual(N=3, J=2" in repr(cf)
