"""Caliendo & Parro (2015) data through the multi-sector solver: the loader, and the paper's NAFTA results.

The published figures are in ../shared/data/cp2015/expected_results_published.csv (Tables 2, 3, 5, A4 and 11,
typed from the paper). Each is matched to half a unit of its last printed digit, i.e. the figure we compute rounds
to the printed one, except three near misses held to one unit (``NEAR_MISSES``, with the reasons), which the test
also checks to be exactly the rows outside half a unit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradetalks.econ.gravity import cp2015
from tradetalks.econ.gravity.cp2015 import CP2015Data
from tradetalks.econ.gravity.results import MultiSectorCounterfactual
from tradetalks.errors import DataError, NotFoundError
from tradetalks.options import CP2015Model

#: slack on top of half a unit of the last printed digit (floating point of the comparison itself)
ROUNDING_SLACK = 1e-9
#: the three published figures we miss by just over half a unit of the last digit (all within 0.0055 points), held
#: to one unit instead. Two look like double rounding: the authors' code prints 3 significant digits for Mexico and
#: 2 for the others, and ours print as -0.415 and 0.085, which the paper shows as -0.42 and 0.09. The third (USA,
#: one-sector model: ours 0.0554, published 0.05) we cannot explain; for Table A4 the authors built the base year in
#: a separate folder whose saved GO.mat and alphas.mat are not among the shared text files. Every other figure
#: rounds exactly to the published one.
NEAR_MISSES = {
    ("Table A4", "MEX", "terms_of_trade_pct"),
    ("Table A4", "USA", "welfare_total_pct"),
    ("Table 11", "USA", "welfare_one_sector_pct"),
}
ONE_UNIT = 0.01
#: base-year construction: deficits after removing them, relative to world trade
ZERO_DEFICIT_TOL = 1e-9
#: Table 11's alternative models, by the metric's infix
ALTERNATIVES: dict[str, CP2015Model] = {"one_sector": "one-sector", "no_materials": "no-materials", "no_io": "no-io"}
PARTNERS = {"MEX": ("CAN", "USA"), "CAN": ("MEX", "USA"), "USA": ("MEX", "CAN")}


@pytest.fixture(scope="module")
def folder(shared_data: Callable[[str], Path]) -> Path:
    return shared_data("cp2015")


@pytest.fixture(scope="module")
def data(folder: Path) -> CP2015Data:
    return cp2015.load_cp2015(folder)


@pytest.fixture(scope="module")
def observed(data: CP2015Data) -> CP2015Data:
    return cp2015.base_year(data, "observed")


@pytest.fixture(scope="module")
def zero(observed: CP2015Data) -> CP2015Data:
    return cp2015.without_deficits(observed)


@pytest.fixture(scope="module")
def nafta(zero: CP2015Data) -> MultiSectorCounterfactual:
    return cp2015.counterfactual(zero, cp2015.nafta_tariffs(zero))


@pytest.fixture(scope="module")
def nafta_deficits(observed: CP2015Data) -> MultiSectorCounterfactual:
    return cp2015.counterfactual(observed, cp2015.nafta_tariffs(observed), deficits="world-share")


@pytest.fixture(scope="module")
def alternatives(folder: Path) -> dict[str, MultiSectorCounterfactual]:
    """Table 11: the NAFTA counterfactual in each alternative model, each from its own zero-deficit base year."""
    out = {}
    for key, model in ALTERNATIVES.items():
        base = cp2015.base_year(cp2015.load_cp2015(folder, model))
        out[key] = cp2015.counterfactual(base, cp2015.nafta_tariffs(base))
    return out


def test_loader_follows_the_authors_code(data: CP2015Data) -> None:
    N, J = len(data.countries), len(data.sectors)
    assert (N, J, data.tradable) == (31, 40, 20)
    assert data.countries[18] == "KOR" and data.countries[29] == "USA" and data.sectors[17] == "Auto"
    assert data.trade.shape == (J, N, N) and data.io_shares.shape == (N, J, J)
    # services are not traded and carry no tariff
    off = ~np.eye(N, dtype=bool)
    assert np.all(data.trade[20:][:, off] == 0) and np.all(data.tariffs_2005[20:] == 0)
    # value-added shares are the file's B: 1 - Σ_k γ[n, j, k] = B[j, n]
    beta = np.loadtxt(Path(data.directory) / "cp2015_original" / "B.txt")
    assert np.allclose(1.0 - data.io_shares.sum(axis=2), beta.T, atol=1e-12)
    # gross output raised to exports where the file is lower: 26 country-sectors without home sales
    assert int((np.diagonal(data.trade, axis1=1, axis2=2) == 0).sum()) == 26
    assert np.allclose(data.final_shares.sum(axis=1), 1.0) and np.all(data.final_shares >= 0)
    assert data.theta[17] == 8.22 and data.theta[10] == 3.28 and np.all(data.theta[20:] == 8.22)


def test_missing_files_name_the_folder(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="Caliendo") as info:
        cp2015.load_cp2015(tmp_path)
    assert "xbilat1993.txt" in str(info.value)


def test_an_unknown_model_is_named(folder: Path) -> None:
    with pytest.raises(DataError, match="model"):
        cp2015.load_cp2015(folder, "two-sector")  # type: ignore[arg-type]


def test_counterfactual_needs_a_base_year(data: CP2015Data) -> None:
    with pytest.raises(DataError, match="base year"):
        cp2015.counterfactual(data, data.tariffs)
    with pytest.raises(DataError, match="observed deficits"):
        cp2015.without_deficits(data)


def _published(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "expected_results_published.csv")


def _ours(
    row: pd.Series,
    nafta: MultiSectorCounterfactual,
    deficits: MultiSectorCounterfactual,
    alternatives: dict[str, MultiSectorCounterfactual],
) -> float:
    """Our figure for one published row."""
    metric, country = str(row["metric"]), str(row["country"])
    cf = deficits if row["table"] == "Table A4" else nafta
    n = cf.countries.index(country)
    for key, alt in alternatives.items():
        if metric == f"welfare_{key}_pct":
            return float(alt.terms_of_trade[n] + alt.volume_of_trade[n])
        if metric == f"imports_from_nafta_growth_{key}_pct":
            return cp2015.import_growth(alt, country, PARTNERS[country])
    if metric == "welfare_total_pct":
        return float(cf.terms_of_trade[n] + cf.volume_of_trade[n])
    if metric in ("terms_of_trade_pct", "volume_of_trade_pct"):
        return float(getattr(cf, metric.removesuffix("_pct"))[n])
    if metric == "real_wage_pct":
        return float(cf.real_gdp[n])
    if metric.startswith(("tot_with_", "vot_with_")):
        kind, _, group = metric.removesuffix("_pct").split("_")
        split = cf.welfare_split(list(cp2015.NAFTA))
        return float(split.loc[country, f"{kind}_with_{'group' if group == 'nafta' else 'rest'}"])
    if metric.startswith("imports_from_") and metric.endswith("_growth_pct") and "nafta" not in metric:
        partner = metric.removeprefix("imports_from_").removesuffix("_growth_pct")
        return cp2015.import_growth(cf, country, [partner])
    if metric == "imports_from_nafta_growth_benchmark_pct":
        return cp2015.import_growth(cf, country, PARTNERS[country])
    raise AssertionError(f"no rule for {metric}")


def _half_unit(value: float) -> float:
    """Half a unit of the last digit printed (the CSV keeps the paper's digits: 1.31, 116.6, 0.0)."""
    text = repr(float(value))
    decimals = len(text.split(".")[1].rstrip("0")) if "." in text else 0
    return 0.5 * 10.0 ** -max(decimals, 2 if abs(value) < 100 else 1)


@pytest.mark.slow
def test_reproduces_the_published_nafta_tables(
    folder: Path,
    nafta: MultiSectorCounterfactual,
    nafta_deficits: MultiSectorCounterfactual,
    alternatives: dict[str, MultiSectorCounterfactual],
) -> None:
    rows = _published(folder)
    misses, near = [], set()
    for _, row in rows.iterrows():
        ours = _ours(row, nafta, nafta_deficits, alternatives)
        key = (str(row["table"]), str(row["country"]), str(row["metric"]))
        half = _half_unit(float(row["value"]))
        if abs(ours - float(row["value"])) > half + ROUNDING_SLACK:
            near.add(key)
        tol = ONE_UNIT if key in NEAR_MISSES else half
        if abs(ours - float(row["value"])) > tol + ROUNDING_SLACK:
            misses.append(f"{row['table']} {row['country']} {row['metric']}: published {row['value']}, ours {ours:.4f}")
    assert not misses, "\n".join(misses)
    assert near == NEAR_MISSES  # the documented near misses, and no others


@pytest.mark.slow
def test_base_year_is_an_equilibrium_without_deficits(zero: CP2015Data, nafta: MultiSectorCounterfactual) -> None:
    X = zero.trade
    deficits = X.sum(axis=(0, 1)) - X.sum(axis=(0, 2))
    assert np.max(np.abs(deficits)) <= ZERO_DEFICIT_TOL * X.sum()
    assert nafta.diagnostics.max_residual <= 1e-9
    # ToT + VoT is first order; the exact change in real income is reported beside it
    assert np.all(np.isfinite(nafta.welfare))
    # a shock that is no shock changes nothing from the base year
    same = cp2015.counterfactual(zero, zero.tariffs)
    assert same.diagnostics.iterations == 0
