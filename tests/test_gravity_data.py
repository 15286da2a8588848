"""Reading, naming and validating gravity data (tradetalks.econ.gravity.data)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tradetalks.econ.gravity.data import (
    FlowColumns,
    add_cost_variables,
    add_pair_dummy,
    balance_totals,
    check_countries,
    check_reference,
    check_sigma,
    cross_section,
    infer_format,
    load_flows,
    read_table,
    separator,
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


# --- formats and separators (tests/data/gravity/: the same 9 rows with every delimiter) ---------------------------

GRAVITY_DATA = Path(__file__).resolve().parent / "data" / "gravity"
SMALL = FlowColumns(trade="trade_value")


@pytest.mark.parametrize(("name", "fmt", "sep"), [
    ("flows.dlm", None, None), ("flows-semicolon.dlm", None, None), ("flows.tsv", None, None),
    ("flows-blank.txt", None, None), ("flows-pipe.dat", "dlm", "|"), ("flows-pipe.dat", "csv", "pipe"),
    ("flows-semicolon.dlm", "csv", ";"), ("flows.dlm", "dlm", "comma"), ("flows-blank.txt", "dlm", "whitespace"),
])
def test_every_delimiter_reads_back_the_same_flows(name: str, fmt: str | None, sep: str | None) -> None:
    reference = pd.read_csv(GRAVITY_DATA / "flows.dlm")
    out = load_flows(GRAVITY_DATA / name, SMALL, extra=["distance", "agree_fta"], format=fmt, sep=sep)  # type: ignore[arg-type]
    assert list(out.columns) == ["exporter", "importer", "year", "trade", "distance", "agree_fta"]
    assert out["trade"].to_numpy() == pytest.approx(reference["trade_value"].to_numpy())
    assert out["exporter"].tolist() == reference["exporter"].tolist()


@pytest.mark.parametrize(("name", "fmt"), [("a.csv", "csv"), ("a.CSV.GZ", "csv"), ("a.tsv.bz2", "tsv"),
                                           ("a.tab", "tsv"), ("a.dlm", "dlm"), ("a.txt.xz", "dlm"),
                                           ("a.pq", "parquet"), ("a.dta", "stata"), ("a.dat", None),
                                           ("a.gz", None), ("noext", None)])
def test_format_from_the_name(name: str, fmt: str | None) -> None:
    assert infer_format(name) == fmt


def test_format_and_separator_errors_name_the_field_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot tell the format") as exc:
        read_table(GRAVITY_DATA / "flows-pipe.dat")
    assert "`format:`" in (exc.value.fix or "") and "dlm" in (exc.value.fix or "")
    with pytest.raises(DataError, match="one column") as exc:          # a semicolon file read as CSV
        read_table(GRAVITY_DATA / "flows-semicolon.dlm", "csv")
    assert "sep: ';'" in (exc.value.fix or "")
    with pytest.raises(DataError, match="separator is given for a parquet file"):
        read_table(GRAVITY_DATA / "flows.dlm", "parquet", ";")
    with pytest.raises(DataError, match="one character or a name") as exc:
        read_table(GRAVITY_DATA / "flows.dlm", "dlm", "::")
    assert "tab" in (exc.value.fix or "")
    ambiguous = tmp_path / "a.dlm"
    ambiguous.write_text("exporter;importer,year\nAAA;BBB,2006\n")
    with pytest.raises(DataError, match="cannot tell the delimiter") as exc:
        read_table(ambiguous)
    assert "sep:" in (exc.value.fix or "")


def test_separator_names() -> None:
    assert separator("tab") == "\t" and separator(";") == ";" and separator("whitespace") == r"\s+"
    for bad in ("ab", "\n", '"'):
        with pytest.raises(DataError):
            separator(bad)


def test_missing_cost_column_does_not_point_at_data_columns() -> None:
    with pytest.raises(DataError) as exc:
        load_flows(GRAVITY_DATA / "flows.dlm", SMALL, extra=["RTA"])
    text = str(exc.value)
    assert "['RTA']" in text and "agree_fta" in text and "dummies:" in text and "data.columns" not in text


# --- balancing output and expenditure ----------------------------------------------------------------------------

#: shares must be kept to round-off
SHARE_RTOL = 1e-12


def _unbalanced() -> pd.DataFrame:
    return load_flows(GRAVITY_DATA / "unbalanced.csv",
                      FlowColumns(trade="trade_value", output="output", expenditure="expenditure"))


def test_balance_none_stops_and_names_the_options() -> None:
    with pytest.raises(DataError, match="Σ Y = Σ E") as exc:
        cross_section(_unbalanced(), 2006)
    fix = exc.value.fix or ""
    assert "balance:" in fix and "rescale_expenditure" in fix and "rescale_output" in fix
    assert "E/Y = 1.08" in str(exc.value)


def test_rescale_expenditure_keeps_every_expenditure_share_and_output() -> None:
    flows_ = _unbalanced()
    raw_e = flows_.groupby("importer")["expenditure"].first().to_numpy()
    raw_y = flows_.groupby("exporter")["output"].first().to_numpy()
    data = cross_section(flows_, 2006, "rescale_expenditure")
    assert data.output.sum() == pytest.approx(data.expenditure.sum(), rel=SHARE_RTOL)
    assert data.output == pytest.approx(raw_y, rel=SHARE_RTOL)
    assert data.expenditure / data.expenditure.sum() == pytest.approx(raw_e / raw_e.sum(), rel=SHARE_RTOL)
    assert data.balance == "rescale_expenditure" and data.balance_scale == pytest.approx(1 / 1.08, rel=1e-6)


def test_rescale_output_keeps_every_output_share_and_expenditure() -> None:
    flows_ = _unbalanced()
    raw_e = flows_.groupby("importer")["expenditure"].first().to_numpy()
    raw_y = flows_.groupby("exporter")["output"].first().to_numpy()
    data = cross_section(flows_, 2006, "rescale_output")
    assert data.output.sum() == pytest.approx(data.expenditure.sum(), rel=SHARE_RTOL)
    assert data.expenditure == pytest.approx(raw_e, rel=SHARE_RTOL)
    assert data.output / data.output.sum() == pytest.approx(raw_y / raw_y.sum(), rel=SHARE_RTOL)
    assert data.balance_scale == pytest.approx(1.08, rel=1e-6)


def test_balanced_data_are_left_alone_whatever_the_closure() -> None:
    frame = _canonical(flows())
    for how in ("none", "rescale_expenditure", "rescale_output"):
        data = cross_section(frame, 2000, how)  # type: ignore[arg-type]
        assert data.balance == "none" and data.balance_scale == 1.0
        assert data.output == pytest.approx(data.trade.sum(axis=1))


@given(y=arrays(float, st.integers(2, 8), elements=st.floats(1e-3, 1e6)),
       factor=st.floats(0.2, 5.0).filter(lambda f: abs(f - 1) > 1e-3), seed=st.integers(0, 10**6))
def test_closures_keep_their_shares_and_balance(y: np.ndarray, factor: float, seed: int) -> None:
    e = np.random.default_rng(seed).permutation(y) * factor
    y2, e2, scale = balance_totals(y, e, "rescale_expenditure")
    assert y2 is y and e2.sum() == pytest.approx(y.sum(), rel=SHARE_RTOL)
    assert e2 / e2.sum() == pytest.approx(e / e.sum(), rel=SHARE_RTOL) and scale == pytest.approx(1 / factor)
    y3, e3, scale = balance_totals(y, e, "rescale_output")
    assert e3 is e and y3.sum() == pytest.approx(e.sum(), rel=SHARE_RTOL)
    assert y3 / y3.sum() == pytest.approx(y / y.sum(), rel=SHARE_RTOL) and scale == pytest.approx(factor)
    with pytest.raises(DataError):
        balance_totals(y, e, "none")


# --- pair dummies -----------------------------------------------------------------------------------------------

def test_pair_dummy_is_one_on_its_pairs_and_years() -> None:
    frame = _canonical(flows())
    out = add_pair_dummy(frame, "ab", {("AAA", "BBB"), ("BBB", "AAA")}, first_year=2004)
    on = out[out["ab"] == 1.0]
    assert set(zip(on.exporter, on.importer, on.year, strict=True)) == {("AAA", "BBB", 2004), ("BBB", "AAA", 2004)}
    assert "ab" not in frame.columns                              # a new frame
    with pytest.raises(DataError, match="name of a column"):
        add_pair_dummy(frame, "trade", set())
