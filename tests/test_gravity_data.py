"""Reading, naming and validating gravity data (tradetalks.econ.gravity.data)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradetalks.econ.gravity.data import (
    FlowColumns,
    add_cost_variables,
    check_countries,
    check_reference,
    check_sigma,
    cross_section,
    load_flows,
    read_table,
    validate_flows,
)
from tradetalks.errors import DataError, NotFoundError

COUNTRIES = ("AAA", "BBB", "CCC", "DDD")


def flows(countries: tuple[str, ...] = COUNTRIES, years: tuple[int, ...] = (2000, 2004), seed: int = 0,
          ) -> pd.DataFrame:
    """A complete, square panel with intranational flows (user-style column names)."""
    rng = np.random.default_rng(seed)
    rows = [(e, i, y) for y in years for e, i in itertools.product(countries, countries)]
    frame = pd.DataFrame(rows, columns=["iso_o", "iso_d", "yr"])
    frame["value"] = np.where(frame.iso_o == frame.iso_d, 1000.0, rng.uniform(1, 100, len(frame)))
    frame["dist"] = np.where(frame.iso_o == frame.iso_d, 50.0, rng.uniform(100, 10_000, len(frame)))
    return frame


COLUMNS = FlowColumns(exporter="iso_o", importer="iso_d", year="yr", trade="value")


@pytest.mark.parametrize("name", ["flows.csv", "flows.csv.gz", "flows.parquet", "flows.dta"])
def test_every_format_reads_back_the_same_flows(tmp_path: Path, name: str) -> None:
    frame = flows()
    path = tmp_path / name
    if name.endswith(".parquet"):
        frame.to_parquet(path)
    elif name.endswith(".dta"):
        frame.to_stata(path, write_index=False)
    else:
        frame.to_csv(path, index=False)
    out = load_flows(path, COLUMNS, extra=["dist"])
    assert list(out.columns) == ["exporter", "importer", "year", "trade", "dist"]
    assert out["trade"].to_numpy() == pytest.approx(frame["value"].to_numpy())
    assert out["year"].dtype.kind == "i"


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "flows.xlsx").write_text("x")
    with pytest.raises(DataError, match="cannot tell the format") as exc:
        read_table(tmp_path / "flows.xlsx")
    assert ".parquet" in (exc.value.fix or "")


def test_missing_columns_are_named_with_what_exists(tmp_path: Path) -> None:
    flows().to_csv(tmp_path / "f.csv", index=False)
    with pytest.raises(DataError) as exc:
        load_flows(tmp_path / "f.csv", FlowColumns(exporter="iso_o", importer="iso_d", year="year", trade="value"))
    assert "['year']" in str(exc.value) and "iso_o" in str(exc.value) and "data.columns" in str(exc.value)


def test_negative_trade_and_text_trade_are_refused() -> None:
    frame = flows().rename(columns={"iso_o": "exporter", "iso_d": "importer", "yr": "year", "value": "trade"})
    bad = frame.copy()
    bad.loc[3, "trade"] = -1.0
    with pytest.raises(DataError, match="negative"):
        validate_flows(bad)
    text = frame.astype({"trade": object})
    text.loc[2, "trade"] = "n/a"
    with pytest.raises(DataError, match="not a number"):
        validate_flows(text)


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    return validate_flows(frame.rename(columns={"iso_o": "exporter", "iso_d": "importer", "yr": "year",
                                                "value": "trade"}))


def test_cross_section_builds_output_and_expenditure_from_the_flows() -> None:
    data = cross_section(_canonical(flows()), 2004)
    assert data.countries == COUNTRIES
    assert data.trade.shape == (4, 4)
    assert data.output == pytest.approx(data.trade.sum(axis=1))
    assert data.expenditure == pytest.approx(data.trade.sum(axis=0))
    assert data.index("CCC") == 2


def test_output_and_expenditure_columns_are_used_and_must_balance() -> None:
    frame = _canonical(flows())
    rows = frame[frame.year == 2000]
    y = rows.groupby("exporter")["trade"].sum()
    e = rows.groupby("importer")["trade"].sum()
    frame["output"] = frame["exporter"].map(y)
    frame["expenditure"] = frame["importer"].map(e)
    data = cross_section(frame, 2000)
    assert data.output == pytest.approx(y.to_numpy())
    frame["expenditure"] *= 1.1
    with pytest.raises(DataError, match="Σ Y = Σ E"):
        cross_section(frame, 2000)


def test_non_square_data_say_which_pairs_are_missing() -> None:
    frame = _canonical(flows())
    frame = frame[~((frame.exporter == "AAA") & (frame.importer == "CCC") & (frame.year == 2004))]
    with pytest.raises(DataError) as exc:
        cross_section(frame, 2004)
    msg = str(exc.value)
    assert "not square in 2004" in msg and "AAA→CCC" in msg and "trade 0" in msg


def test_missing_intranational_flows() -> None:
    frame = _canonical(flows())
    frame = frame[~((frame.exporter == "BBB") & (frame.importer == "BBB"))]
    with pytest.raises(DataError, match="intranational") as exc:
        cross_section(frame, 2000)
    assert "BBB" in str(exc.value) and "domestic sales" in str(exc.value)


def test_zero_output_is_refused() -> None:
    frame = _canonical(flows())
    frame.loc[frame.exporter == "DDD", "trade"] = 0.0
    with pytest.raises(DataError, match="zero, negative or missing output") as exc:
        cross_section(frame, 2000)
    assert "DDD" in str(exc.value)


def test_duplicate_pairs_are_refused() -> None:
    frame = _canonical(flows())
    frame = pd.concat([frame, frame.iloc[[5]]], ignore_index=True)
    with pytest.raises(DataError, match="repeat an exporter–importer pair") as exc:
        cross_section(frame, 2000)
    assert "one row per pair" in (exc.value.fix or "")


def test_missing_trade_value_and_absent_year() -> None:
    frame = _canonical(flows())
    frame.loc[1, "trade"] = np.nan
    with pytest.raises(DataError, match="missing"):
        cross_section(frame, 2000)
    with pytest.raises(DataError, match="no rows for the year 1999") as exc:
        cross_section(frame, 1999)
    assert "2000" in str(exc.value)


def test_unknown_country_reference_and_sigma() -> None:
    with pytest.raises(DataError) as exc:
        check_countries(["AAA", "BBX"], COUNTRIES, "the counterfactual")
    assert "BBX" in str(exc.value) and "BBB" in (exc.value.fix or "")
    with pytest.raises(DataError, match="reference importer 'ZZZ'"):
        check_reference("ZZZ", COUNTRIES)
    assert check_reference("CCC", COUNTRIES) == 2
    for bad in (1.0, 0.5, -3.0, float("nan"), float("inf")):
        with pytest.raises(DataError, match="greater than 1"):
            check_sigma(bad)
    assert check_sigma(7) == 7.0


def test_cost_variables_log_international_and_copy() -> None:
    frame = _canonical(flows()).assign(dist=flows()["dist"].to_numpy())
    out = add_cost_variables(frame, [("ln_DIST", "dist", "log"), ("BRDR", None, "international"),
                                     ("D", "dist", "none")])
    assert out["ln_DIST"].to_numpy() == pytest.approx(np.log(frame["dist"].to_numpy()))
    assert ((out["BRDR"] == 1.0) == (out["exporter"] != out["importer"])).all()
    frame.loc[0, "dist"] = 0.0
    with pytest.raises(DataError, match="needs dist > 0"):
        add_cost_variables(frame, [("ln_DIST", "dist", "log")])
    with pytest.raises(DataError, match="needs the column 'nope'"):
        add_cost_variables(frame, [("X", "nope", "none")])
