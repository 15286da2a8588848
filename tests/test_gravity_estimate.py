"""PPML estimation with high-dimensional fixed effects and the dropped-observation report."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BOOK_DATA, skip_or_fail
from tradetalks.econ.gravity.estimate import fill_pair_effects, ppml, predict_log
from tradetalks.errors import DataError

BOOK = BOOK_DATA
RTA_PANEL = BOOK / "ch2_app2_rta_effects.csv.gz"
#: coefficients are compared to the book's to its printed precision (three decimals)
BOOK_DECIMALS = 3
#: PPML on noise-free data recovers the true coefficients up to the IWLS tolerance
EXACT = 1e-6


def panel(n: int = 6, years: tuple[int, ...] = (2000, 2001, 2002), beta: float = -0.8, seed: int = 1,
          ) -> pd.DataFrame:
    """Noise-free gravity panel: trade = exp(β·ln_dist + exporter-year + importer-year effects)."""
    rng = np.random.default_rng(seed)
    codes = [f"C{k:02d}" for k in range(n)]
    rows = pd.DataFrame([(e, i, y) for y in years for e, i in itertools.product(codes, codes)],
                        columns=["exporter", "importer", "year"])
    dist = {(e, i): rng.uniform(1, 5) for e, i in itertools.product(codes, codes)}
    rows["ln_dist"] = [dist[tuple(sorted((e, i)))] for e, i in zip(rows.exporter, rows.importer, strict=True)]
    ex = {(c, y): rng.normal() for c in codes for y in years}
    im = {(c, y): rng.normal() for c in codes for y in years}
    eta = beta * rows.ln_dist + [ex[(e, y)] + im[(i, y)] for e, i, y in rows[["exporter", "importer", "year"]]
                                 .itertuples(index=False)]
    rows["trade"] = np.exp(eta)
    rows["ey"] = rows.exporter + rows.year.astype(str)
    rows["iy"] = rows.importer + rows.year.astype(str)
    return rows


def test_noise_free_data_give_back_the_true_coefficient_and_fixed_effects() -> None:
    data = panel()
    res = ppml(data, dependent="trade", regressors=["ln_dist"], fixed_effects=["ey", "iy"],
               id_columns=["exporter", "importer", "year"])
    assert res.coefficients["ln_dist"] == pytest.approx(-0.8, abs=EXACT)
    assert res.n_obs == res.n_input == len(data) and len(res.dropped) == 0
    assert res.fixef_max_error < 1e-6
    assert predict_log(res, data) == pytest.approx(np.log(data.trade.to_numpy()), abs=1e-6)
    table = res.to_frame()
    assert list(table.columns) == ["term", "estimate", "std_error", "z", "p_value", "n_obs"]
    assert "ln_dist" in repr(res) and "N=" in repr(res)


def test_every_dropped_observation_has_its_reason() -> None:
    data = panel()
    extra = data.iloc[[0, 1, 2]].copy()
    extra["ln_dist"] = [np.nan, 1.0, 1.0]
    extra["ey"] = ["NAN", "ZERO", "SOLO"]      # a missing regressor, an all-zero group and a singleton group
    extra["trade"] = [5.0, 0.0, 3.0]
    zero2 = extra.iloc[[1]].assign(iy=data.iy.iloc[7])
    messy = pd.concat([data, extra, zero2], ignore_index=False)
    messy.index = [f"r{k}" for k in range(len(messy))]
    res = ppml(messy, dependent="trade", regressors=["ln_dist"], fixed_effects=["ey", "iy"],
               id_columns=["exporter", "importer", "year"])
    dropped = res.dropped.to_frame().set_index("row")
    labels = list(messy.index[-4:])
    assert dropped.loc[labels[0], "reason"] == "missing" and "ln_dist" in dropped.loc[labels[0], "detail"]
    assert set(dropped.loc[[labels[1], labels[3]], "reason"]) == {"separation"}
    assert dropped.loc[labels[2], "reason"] == "singleton" and "SOLO" in dropped.loc[labels[2], "detail"]
    assert res.n_obs + len(res.dropped) == res.n_input == len(messy)
    assert res.dropped.counts() == {"missing": 1, "separation": 2, "singleton": 1}
    assert {"exporter", "importer", "year"} <= set(dropped.columns)
    assert res.coefficients["ln_dist"] == pytest.approx(-0.8, abs=EXACT)


def test_separation_found_by_pyfixest_from_a_regressor_is_reported() -> None:
    data = panel(n=8, years=(2000,))
    data["dummy"] = 0.0
    hit = data.index[(data.exporter != data.importer)][:3]
    data.loc[hit, "dummy"] = 1.0
    data.loc[hit, "trade"] = 0.0              # the dummy perfectly predicts these zeros
    res = ppml(data, dependent="trade", regressors=["ln_dist", "dummy"], fixed_effects=["ey", "iy"])
    dropped = res.dropped.to_frame()
    assert list(dropped["row"]) == list(hit) and set(dropped["reason"]) == {"separation"}
    assert dropped["detail"].str.contains("pyfixest").all()
    assert res.collinear == ("dummy",)         # all-zero once the separated rows are gone
    assert res.n_obs + len(res.dropped) == len(data)


def test_offset_fixes_a_coefficient() -> None:
    data = panel()
    data["x2"] = np.random.default_rng(3).normal(size=len(data))
    data["trade"] *= np.exp(0.3 * data["x2"])
    free = ppml(data, dependent="trade", regressors=["ln_dist", "x2"], fixed_effects=["ey", "iy"])
    data["off"] = 0.3 * data["x2"]
    fixed = ppml(data, dependent="trade", regressors=["ln_dist"], fixed_effects=["ey", "iy"], offset="off")
    assert free.coefficients["x2"] == pytest.approx(0.3, abs=EXACT)
    assert fixed.coefficients["ln_dist"] == pytest.approx(free.coefficients["ln_dist"], abs=EXACT)


def test_collinear_regressor_and_cluster_and_negative_flows() -> None:
    data = panel()
    data["pair"] = data.exporter + data.importer
    data["x2"] = np.random.default_rng(3).normal(size=len(data))
    res = ppml(data, dependent="trade", regressors=["ln_dist", "x2"], fixed_effects=["ey", "iy", "pair"],
               cluster="pair")
    assert res.collinear == ("ln_dist",) and list(res.coefficients.index) == ["x2"]
    with pytest.raises(DataError, match="collinear"):
        ppml(data, dependent="trade", regressors=["ln_dist"], fixed_effects=["ey", "iy", "pair"])
    res = ppml(data, dependent="trade", regressors=["ln_dist"], fixed_effects=["ey", "iy"], cluster="pair")
    assert res.vcov == "CRV1 (cluster: pair)" and res.std_errors["ln_dist"] >= 0
    data.loc[0, "trade"] = -1.0
    with pytest.raises(DataError, match="negative"):
        ppml(data, dependent="trade", regressors=["ln_dist"], fixed_effects=["ey"])
    with pytest.raises(DataError, match="lack the column"):
        ppml(data, dependent="trade", regressors=["nope"], fixed_effects=["ey"])


def test_fill_pair_effects_predicts_missing_ones_from_gravity_variables() -> None:
    rng = np.random.default_rng(5)
    codes = [f"C{k}" for k in range(8)]
    pairs = pd.DataFrame(list(itertools.product(codes, codes)), columns=["exporter", "importer"])
    pairs["ln_dist"] = rng.uniform(1, 5, len(pairs))
    a = dict(zip(codes, rng.normal(size=8), strict=True))
    b = dict(zip(codes, rng.normal(size=8), strict=True))
    truth = -1.1 * pairs.ln_dist + pairs.exporter.map(a) + pairs.importer.map(b)
    pairs["gamma"] = truth
    holes = pairs.index[pairs.exporter != pairs.importer][[2, 9, 30]]
    pairs.loc[holes, "gamma"] = np.nan
    fill = fill_pair_effects(pairs, pair_effect="gamma", variables=["ln_dist"])
    assert list(fill.filled) == list(holes)
    assert fill.values.loc[holes].to_numpy() == pytest.approx(truth.loc[holes].to_numpy(), abs=1e-5)
    assert fill.regression.coefficients["ln_dist"] == pytest.approx(-1.1, abs=1e-6)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 3), min_size=54, max_size=54), st.integers(0, 2**16))
def test_no_silent_drop(counts: list[int], seed: int) -> None:
    """Every input row is either in the estimation sample or in the dropped report, exactly once."""
    data = panel(n=3, years=(2000, 2001, 2002, 2003, 2004, 2005), seed=seed).iloc[:54].copy()
    data["trade"] = np.asarray(counts, dtype=float) * data["trade"]
    if data["trade"].sum() == 0:
        return
    try:
        res = ppml(data, dependent="trade", regressors=["ln_dist"], fixed_effects=["ey", "iy"])
    except DataError as exc:
        # nothing left to estimate on is an error, never a silent result, and its report still accounts for
        # every row (or names the collinear regressor that left nothing to estimate)
        if "collinear" in exc.what:
            return
        assert exc.what.startswith("no observation is left"), exc
        assert isinstance(exc.received, dict) and sum(exc.received.values()) == len(data), exc
        return
    dropped = res.dropped.to_frame()
    assert dropped["row"].is_unique
    assert res.n_obs + len(dropped) == len(data)


@pytest.fixture(scope="module")
def rta_panel() -> pd.DataFrame:
    if not RTA_PANEL.exists():
        skip_or_fail(f"the book's data are absent ({RTA_PANEL}); see docs/gravity.md to get them")
    data = pd.read_csv(RTA_PANEL)
    data = data[data.year.isin(range(1986, 2007, 4))].copy()
    data["ln_DIST"] = np.log(data.DIST)
    data["exp_year"] = data.exporter + data.year.astype(str)
    data["imp_year"] = data.importer + data.year.astype(str)
    return data


def test_book_ch1_app1_traditional_gravity(rta_panel: pd.DataFrame) -> None:
    """Ch.1 App.1: international pairs, 1986–2006 every 4 years, exporter-year and importer-year FE."""
    intl = rta_panel[rta_panel.exporter != rta_panel.importer]
    res = ppml(intl, dependent="trade", regressors=["ln_DIST", "CNTG", "LANG", "CLNY"],
               fixed_effects=["exp_year", "imp_year"], cluster="pair_id")
    published = {"ln_DIST": -0.841, "CNTG": 0.437, "LANG": 0.247, "CLNY": -0.222}
    for name, value in published.items():
        assert round(res.coefficients[name], BOOK_DECIMALS) == value, name
    assert res.n_obs == 28_152 and len(res.dropped) == 0


def test_book_ch1_app3_rta_effect_with_pair_fixed_effects(rta_panel: pd.DataFrame) -> None:
    """Ch.1 App.3 / Ch.2 App.2: all pairs, exporter-year, importer-year and (symmetric) pair FE."""
    res = ppml(rta_panel, dependent="trade", regressors=["RTA"], fixed_effects=["exp_year", "imp_year", "pair_id"],
               cluster="pair_id", id_columns=["exporter", "importer", "year"])
    assert round(res.coefficients["RTA"], BOOK_DECIMALS) == 0.557
    assert res.coefficients["RTA"] == pytest.approx(0.5571853, abs=5e-7)
    assert res.n_obs == 28_482
    assert res.dropped.counts() == {"separation": 84}     # 7 pairs × 2 directions × 6 years with zero trade
