"""Bilateral trade data for structural gravity: reading, naming and validating.

A gravity data set is a long table with one row per exporter × importer (× year) and the value of the flow,
*including intranational flows* X_ii (domestic sales), so that output Y_i = Σ_j X_ij and expenditure
E_j = Σ_i X_ij (Yotov et al. 2016, ch. 1, A.1). This module reads such a table from CSV (also ``.csv.gz``),
Parquet or Stata files, renames the user's columns to canonical names and cuts a validated cross-section
(:class:`CrossSection`) for the general-equilibrium model. Every problem is a :class:`~tradetalks.errors.DataError`
saying what was received and how to fix it.

References
----------
Yotov, Y. V., Piermartini, R., Monteiro, J.-A. & Larch, M. (2016). *An Advanced Guide to Trade Policy Analysis:
The Structural Gravity Model*. WTO/UNCTAD. https://doi.org/10.30875/abc0167e-en
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from tradetalks.errors import DataError, NotFoundError
from tradetalks.options import Balance, DataFormat

#: canonical column names used inside tradetalks after :func:`load_flows`
EXPORTER, IMPORTER, YEAR, TRADE, OUTPUT, EXPENDITURE = (
    "exporter", "importer", "year", "trade", "output", "expenditure")
#: relative tolerance for Σ_i Y_i = Σ_j E_j when output and expenditure come from columns
BALANCE_RTOL = 1e-6
#: how many examples an error message lists
_SHOW = 5


@dataclass(frozen=True)
class FlowColumns:
    """Names of the columns of a trade-flow table in the user's file.

    Attributes
    ----------
    exporter, importer
        Country codes (any text; ISO3 recommended).
    year
        Year column, or ``None`` for a single cross-section.
    trade
        Value of the flow (any currency unit, ≥ 0); intranational rows carry domestic sales.
    output, expenditure
        Optional per-row columns holding Y of the exporter and E of the importer. When ``None`` they are built
        from the flows (Y_i = Σ_j X_ij, E_j = Σ_i X_ij, intranational flows included).
    """

    exporter: str = EXPORTER
    importer: str = IMPORTER
    year: str | None = YEAR
    trade: str = TRADE
    output: str | None = None
    expenditure: str | None = None

    def renames(self) -> dict[str, str]:
        """User column → canonical name, for the columns that are set."""
        pairs = [(self.exporter, EXPORTER), (self.importer, IMPORTER), (self.year, YEAR), (self.trade, TRADE),
                 (self.output, OUTPUT), (self.expenditure, EXPENDITURE)]
        return {user: canon for user, canon in pairs if user is not None}


#: file endings (after any compression ending) and the format they imply
_ENDINGS: dict[str, DataFormat] = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".dlm": "dlm", ".txt": "dlm",
                                   ".parquet": "parquet", ".pq": "parquet", ".dta": "stata"}
#: compression endings pandas reads for delimited text
_COMPRESSED = (".gz", ".bz2", ".xz", ".zip", ".zst")
#: names a separator may be given by (besides a single character); "whitespace" is any run of blanks
SEPARATOR_NAMES = {"comma": ",", "tab": "\t", "semicolon": ";", "pipe": "|", "space": " ", "whitespace": r"\s+"}
#: delimiters looked for in the header of a ``dlm`` file without ``sep``
_CANDIDATES = (",", "\t", ";", "|")
_FORMAT_FIX = ("add `format:` under data in the spec (data.format; format= in Python): csv (comma), tsv (tab), "
               "dlm (any delimiter, given by `sep:` or read from the header), parquet or stata; or rename the file "
               "to end in .csv, .tsv, .dlm, .parquet or .dta")


def infer_format(path: str | Path) -> DataFormat | None:
    """The format implied by a file name (compression endings such as ``.gz`` skipped), or ``None``.

    ``.csv`` → csv; ``.tsv``, ``.tab`` → tsv; ``.dlm``, ``.txt`` → dlm (delimiter from ``sep`` or the header);
    ``.parquet``, ``.pq`` → parquet; ``.dta`` → stata.
    """
    suffixes = [x.lower() for x in Path(path).suffixes]
    while suffixes and suffixes[-1] in _COMPRESSED:
        suffixes.pop()
    return _ENDINGS.get(suffixes[-1]) if suffixes else None


def separator(sep: str) -> str:
    """A separator as pandas takes it: one character, or a name of :data:`SEPARATOR_NAMES`.

    Raises
    ------
    DataError
        Anything else (e.g. two characters).
    """
    if sep in SEPARATOR_NAMES:
        return SEPARATOR_NAMES[sep]
    if len(sep) == 1 and sep not in "\"\r\n":
        return sep
    raise DataError("the separator `sep` must be one character or a name.", received=repr(sep),
                    fix="write e.g. `sep: \";\"`, `sep: \"|\"` or one of " + ", ".join(SEPARATOR_NAMES)
                        + " (`whitespace`: any run of blanks).")


def _first_line(p: Path) -> str:
    import bz2
    import gzip
    import lzma

    openers: dict[str, Callable[..., IO[str]]] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
    opener = openers.get(p.suffix.lower(), open)
    with opener(p, "rt", encoding="utf-8", errors="replace") as handle:
        return handle.readline().rstrip("\r\n")


def _sniff(p: Path) -> str:
    """The delimiter of a ``dlm`` file's header: the one candidate it contains, else whitespace."""
    if p.suffix.lower() in (".zip", ".zst"):
        raise DataError(f"cannot read the delimiter of the compressed file {p.name!r} without a separator.",
                        received=p.name, fix="give the delimiter under data in the spec, e.g. `sep: \",\"`.")
    header = _first_line(p)
    found = [c for c in _CANDIDATES if c in header]
    if len(found) == 1:
        return found[0]
    if not found and len(header.split()) > 1:
        return r"\s+"
    shown = ", ".join(repr(c) for c in found) or "none of ',', tab, ';', '|' and no blanks"
    raise DataError(f"cannot tell the delimiter of {p.name!r} from its header line (it holds {shown}).",
                    received=header[:120], fix="give the delimiter under data in the spec, e.g. `sep: \";\"` or "
                                               "`sep: tab`.")


def read_table(path: str | Path, format: DataFormat | None = None, sep: str | None = None) -> pd.DataFrame:
    """Read a delimited text, Parquet or Stata table.

    Parameters
    ----------
    path
        File to read. Text may be compressed (``.gz``, ``.bz2``, ``.xz``, ``.zip``, ``.zst``).
    format
        ``csv`` (comma), ``tsv`` (tab), ``dlm`` (any delimiter: ``sep``, else the one candidate of ``,``, tab,
        ``;``, ``|`` found in the header line, else whitespace — gegravity's ``.dlm`` files), ``parquet`` or
        ``stata``. Default: from the file name (:func:`infer_format`).
    sep
        Delimiter of a text file (one character, or ``tab``, ``comma``, ``semicolon``, ``pipe``, ``space``,
        ``whitespace``); overrides the format's default.

    Raises
    ------
    NotFoundError
        The file does not exist.
    DataError
        The format cannot be told from the name and is not given; ``sep`` given for a binary format; the file
        cannot be parsed; a text file read as one column whose header holds another delimiter.
    """
    p = Path(path)
    if not p.is_file():
        raise NotFoundError(f"the data file {str(p)!r} does not exist.", received=str(p),
                            fix="check the path (a spec's data.file is relative to the spec file).")
    fmt = format or infer_format(p)
    if fmt is None:
        raise DataError(f"cannot tell the format of {p.name!r} from its name.", received=p.name, fix=_FORMAT_FIX)
    if sep is not None and fmt in ("parquet", "stata"):
        raise DataError(f"a separator is given for a {fmt} file, which has none.", received=f"sep: {sep!r}",
                        fix="remove `sep:` from data, or set `format:` to csv, tsv or dlm if the file is text.")
    try:
        if fmt == "parquet":
            return pd.read_parquet(p)
        if fmt == "stata":
            return pd.read_stata(p, convert_categoricals=False)
        delimiter = separator(sep) if sep is not None else {"csv": ",", "tsv": "\t"}.get(fmt) or _sniff(p)
        frame = pd.read_csv(p, sep=delimiter, low_memory=False) if len(delimiter) == 1 else \
            pd.read_csv(p, sep=delimiter, engine="python")
    except (ValueError, OSError, UnicodeDecodeError, ImportError) as exc:
        raise DataError(f"could not read {str(p)!r} as {fmt}: {exc}.", received=p.name,
                        fix=f"check that the file is valid {fmt}, or correct `format:`/`sep:` under data "
                            "in the spec.") from None
    _check_one_column(frame, p, fmt, delimiter)
    return frame


def _check_one_column(frame: pd.DataFrame, p: Path, fmt: str, delimiter: str) -> None:
    if frame.shape[1] != 1:
        return
    header = str(frame.columns[0])
    other = [c for c in _CANDIDATES if c in header and c != delimiter]
    if other:
        shown = "tab" if other[0] == "\t" else other[0]
        raise DataError(f"{p.name!r} read as {fmt} with delimiter {delimiter!r} gives one column, and its header "
                        f"holds {shown!r}.", received=header[:120],
                        fix=f"write `sep: {'tab' if shown == 'tab' else repr(shown)}` under data in the spec "
                            f"(or `format: dlm` to find the delimiter from the header).")


def load_flows(path: str | Path, columns: FlowColumns = FlowColumns(), extra: Iterable[str] = (),
               format: DataFormat | None = None, sep: str | None = None) -> pd.DataFrame:
    """Read a trade-flow file and return it with canonical column names.

    Parameters
    ----------
    path
        Delimited text, Parquet or Stata file (see :func:`read_table`).
    columns
        Where exporter, importer, year, trade (and optionally output, expenditure) are.
    extra
        Further columns to keep unchanged (trade-cost variables such as ``DIST``, ``RTA``).
    format, sep
        The file format and text delimiter (see :func:`read_table`).

    Returns
    -------
    pandas.DataFrame
        Columns ``exporter``, ``importer`` (text), ``year`` (integer, if set), ``trade`` (float ≥ 0 or NaN),
        ``output``/``expenditure`` (if set) and ``extra``, in file order.

    Raises
    ------
    DataError
        Columns missing, country codes missing, non-numeric or negative trade, non-integer years.
    """
    return canonical_flows(read_table(path, format, sep), columns, extra, Path(path).name)


def canonical_flows(frame: pd.DataFrame, columns: FlowColumns = FlowColumns(), extra: Iterable[str] = (),
                    name: str = "data") -> pd.DataFrame:
    """Select and rename the columns of a table as read (see :func:`load_flows`), then validate them.

    A missing core column points at ``data.columns`` (which maps exporter, importer, year, trade, output and
    expenditure only); a missing ``extra`` column at the trade-cost variables and the spec's ``dummies:``.
    """
    renames = columns.renames()
    available = f"available columns: {list(frame.columns)[:30]}"
    missing_core = [c for c in renames if c not in frame.columns]
    if missing_core:
        raise DataError(f"the data file {name!r} has no column(s) {missing_core}.", received=available,
                        fix="name the right columns under data.columns in the spec (exporter, importer, year, trade, "
                            "output, expenditure), or rename them in the file.")
    extra = list(dict.fromkeys(extra))
    missing_extra = [c for c in extra if c not in frame.columns]
    if missing_extra:
        raise DataError(f"the data file {name!r} has no column(s) {missing_extra} for the trade-cost variables.",
                        received=available, fix=MISSING_COST_COLUMN_FIX)
    frame = frame[list(dict.fromkeys([*renames, *extra]))].rename(columns=renames)
    return validate_flows(frame)


#: how to fix a trade-cost variable whose column the data lack
MISSING_COST_COLUMN_FIX = ("set the variable's `column:` to one of the available columns, define a pair dummy in "
                           "the spec's `dummies:` (e.g. `dummies: {my_fta: {members: [CAN, MEX, USA]}}`), or add "
                           "the column to the file.")


def validate_flows(frame: pd.DataFrame) -> pd.DataFrame:
    """Check canonical flow columns (see :func:`load_flows`) and coerce their types; returns a new frame."""
    out = frame.copy()
    for col in (EXPORTER, IMPORTER):
        bad = out[col].isna()
        if bad.any():
            rows = list(out.index[bad][:_SHOW])
            raise DataError(f"{int(bad.sum())} row(s) have no {col} code.", received=f"rows {rows}",
                            fix=f"fill in the {col} code or delete those rows.")
        out[col] = out[col].astype(str).str.strip()
    for col in [c for c in (TRADE, OUTPUT, EXPENDITURE) if c in out.columns]:
        out[col] = _numeric(out[col], col)
    negative = out[TRADE] < 0
    if negative.any():
        ex = out.loc[negative, [EXPORTER, IMPORTER, TRADE]].head(_SHOW).to_dict("records")
        raise DataError(f"{int(negative.sum())} trade flow(s) are negative.", received=ex,
                        fix="trade values must be ≥ 0 (zeros are fine: PPML uses them); correct or delete them.")
    if YEAR in out.columns:
        years = pd.to_numeric(out[YEAR], errors="coerce")
        if years.isna().any() or (years % 1 != 0).any():
            bad_years = out.loc[years.isna() | (years % 1 != 0), YEAR].head(_SHOW).tolist()
            raise DataError("the year column holds values that are not whole years.", received=bad_years,
                            fix="write years as whole numbers such as 2006.")
        out[YEAR] = years.astype(int)
    return out


def _numeric(values: pd.Series, name: str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        raise DataError(f"the {name} column holds text that is not a number.",
                        received=values[bad].head(_SHOW).tolist(), fix=f"write {name} as plain numbers.")
    return numbers.astype(float)


@dataclass(frozen=True)
class CrossSection:
    """A square, validated cross-section of trade flows: the baseline data of a GE counterfactual.

    Attributes
    ----------
    countries
        Country codes, sorted; their order indexes every array below.
    year
        Year of the cross-section (``None`` for undated data).
    trade
        X_ij, shape (n, n), exporter rows and importer columns, intranational flows on the diagonal.
    output
        Y_i, shape (n,), > 0 (Σ_j X_ij when built from flows).
    expenditure
        E_j, shape (n,), > 0 (Σ_i X_ij when built from flows).
    balance
        The closure that made Σ Y = Σ E (``"none"``: the data balanced as given).
    balance_scale
        The factor that closure applied to every E_j (``rescale_expenditure``) or Y_i (``rescale_output``); 1 if
        none.
    """

    countries: tuple[str, ...]
    year: int | None
    trade: np.ndarray
    output: np.ndarray
    expenditure: np.ndarray
    balance: Balance = "none"
    balance_scale: float = 1.0

    def index(self, country: str) -> int:
        """Position of ``country``; :class:`DataError` when unknown."""
        check_countries([country], self.countries, "country")
        return self.countries.index(country)

    def matrix(self, frame: pd.DataFrame, column: str) -> np.ndarray:
        """Arrange a per-pair column of ``frame`` (exporter, importer, column) into an (n, n) matrix."""
        return pair_matrix(frame, column, self.countries)

    def __repr__(self) -> str:
        return (f"CrossSection(year={self.year}, n={len(self.countries)}, "
                f"world output={float(self.output.sum()):.6g})")


def pair_matrix(frame: pd.DataFrame, column: str, countries: Sequence[str]) -> np.ndarray:
    """(n, n) matrix of ``column`` with exporter rows, importer columns (NaN where a pair is absent)."""
    wide = frame.pivot(index=EXPORTER, columns=IMPORTER, values=column)
    return wide.reindex(index=list(countries), columns=list(countries)).to_numpy(dtype=float)


def cross_section(flows: pd.DataFrame, year: int | None = None, balance: Balance = "none") -> CrossSection:
    """Cut and validate the cross-section of ``year`` from canonical flows (see :func:`load_flows`).

    Output and expenditure come from the ``output``/``expenditure`` columns when present (checked to be one
    value per country), and otherwise from the flows themselves (then Σ Y = Σ E holds by construction).

    Parameters
    ----------
    flows
        Canonical flows.
    year
        Baseline year (``None``: the data hold one cross-section).
    balance
        When the columns' world totals differ (relative difference > :data:`BALANCE_RTOL`): ``"none"`` raises,
        ``"rescale_expenditure"`` multiplies every E_j by Σ Y / Σ E (expenditure shares E_j / Σ E and every Y_i
        unchanged), ``"rescale_output"`` multiplies every Y_i by Σ E / Σ Y (output shares and every E_j
        unchanged). The factor applied is ``CrossSection.balance_scale``.

    Raises
    ------
    DataError
        Year absent; duplicate pairs; non-square data (missing pairs); missing intranational flows; missing
        trade values; zero or negative output or expenditure; unbalanced output and expenditure with
        ``balance="none"``.
    """
    rows = _rows_of_year(flows, year)
    _check_duplicates(rows)
    countries = tuple(sorted(set(rows[EXPORTER]) | set(rows[IMPORTER])))
    _check_square(rows, countries, year)
    trade = pair_matrix(rows, TRADE, countries)
    _check_missing_trade(trade, countries)
    if OUTPUT in rows.columns and EXPENDITURE in rows.columns:
        output = _per_country(rows, EXPORTER, OUTPUT, countries)
        expenditure = _per_country(rows, IMPORTER, EXPENDITURE, countries)
    else:
        output, expenditure = trade.sum(axis=1), trade.sum(axis=0)
    _check_positive(output, countries, "output")
    _check_positive(expenditure, countries, "expenditure")
    output, expenditure, scale = balance_totals(output, expenditure, balance)
    return CrossSection(countries, year, trade, output, expenditure, balance if scale != 1.0 else "none", scale)


def balance_totals(output: np.ndarray, expenditure: np.ndarray, balance: Balance = "none",
                   ) -> tuple[np.ndarray, np.ndarray, float]:
    """Make world output equal world expenditure by the named closure; returns (Y, E, factor applied).

    Totals within :data:`BALANCE_RTOL` are returned unchanged with factor 1 whatever ``balance`` says (see
    :func:`cross_section` for the closures).

    Raises
    ------
    DataError
        The totals differ and ``balance`` is ``"none"``.
    """
    total_y, total_e = float(output.sum()), float(expenditure.sum())
    if np.isclose(total_y, total_e, rtol=BALANCE_RTOL, atol=0.0):
        return output, expenditure, 1.0
    if balance == "rescale_expenditure":
        return output, expenditure * (total_y / total_e), total_y / total_e
    if balance == "rescale_output":
        return output * (total_e / total_y), expenditure, total_e / total_y
    raise DataError("world output and world expenditure differ: structural gravity needs Σ Y = Σ E.",
                    received=f"Σ output = {total_y:.6g}, Σ expenditure = {total_e:.6g} "
                             f"(E/Y = {total_e / total_y:.6g})",
                    fix="choose how to close the gap with `balance:` under data in the spec: `rescale_expenditure` "
                        "(every E_j × Σ Y / Σ E; expenditure shares and Y kept) or `rescale_output` (every Y_i × "
                        "Σ E / Σ Y; output shares and E kept) — docs/gravity.md, 'Balancing output and "
                        "expenditure' — or correct the columns. Omitting both columns instead replaces Y and E by "
                        "the flows' row and column sums.")


def _rows_of_year(flows: pd.DataFrame, year: int | None) -> pd.DataFrame:
    if year is None or YEAR not in flows.columns:
        if YEAR in flows.columns and flows[YEAR].nunique() > 1:
            raise DataError("the data hold several years but no year was chosen for the baseline.",
                            received=sorted(flows[YEAR].unique().tolist()), fix="name the baseline year.")
        return flows
    rows = flows[flows[YEAR] == year]
    if rows.empty:
        raise DataError(f"the data have no rows for the year {year}.",
                        received=f"years {sorted(flows[YEAR].unique().tolist())}",
                        fix="choose one of the years present in the data.")
    return rows


def _check_duplicates(rows: pd.DataFrame) -> None:
    dup = rows.duplicated([EXPORTER, IMPORTER], keep=False)
    if dup.any():
        ex = rows.loc[dup, [EXPORTER, IMPORTER]].drop_duplicates().head(_SHOW).to_dict("records")
        raise DataError(f"{int(dup.sum())} rows repeat an exporter–importer pair of the same year.", received=ex,
                        fix="keep one row per pair and year (sum the flows if they are parts of one total).")


def _check_square(rows: pd.DataFrame, countries: tuple[str, ...], year: int | None) -> None:
    present = set(zip(rows[EXPORTER], rows[IMPORTER], strict=True))
    missing_domestic = [c for c in countries if (c, c) not in present]
    if missing_domestic:
        raise DataError(f"{len(missing_domestic)} country(ies) have no intranational flow (domestic sales X_ii)"
                        f"{_in_year(year)}.", received=missing_domestic[:_SHOW * 2],
                        fix="add a row exporter = importer with domestic sales (gross output minus exports) for "
                            "each country; structural gravity needs them for output and expenditure.")
    missing = [(i, j) for i in countries for j in countries if (i, j) not in present]
    if missing:
        n = len(countries)
        raise DataError(f"the data are not square{_in_year(year)}: {len(missing)} of the {n}×{n} exporter–importer "
                        "pairs are missing.", received=[f"{i}→{j}" for i, j in missing[:_SHOW]],
                        fix="add a row for every pair (trade 0 where two countries do not trade), or drop the "
                            "countries that have incomplete rows.")


def _in_year(year: int | None) -> str:
    return f" in {year}" if year is not None else ""


def _check_missing_trade(trade: np.ndarray, countries: tuple[str, ...]) -> None:
    bad = np.argwhere(~np.isfinite(trade))
    if bad.size:
        ex = [f"{countries[i]}→{countries[j]}" for i, j in bad[:_SHOW]]
        raise DataError(f"{len(bad)} trade value(s) of the baseline year are missing.", received=ex,
                        fix="fill them in (0 where there is no trade); the baseline needs a complete matrix.")


def _per_country(rows: pd.DataFrame, key: str, column: str, countries: tuple[str, ...]) -> np.ndarray:
    spread = rows.groupby(key)[column].agg(["min", "max"])
    varying = spread.index[~np.isclose(spread["min"], spread["max"], rtol=1e-9, equal_nan=True)]
    if len(varying):
        raise DataError(f"the {column} column differs between rows of the same {key}.",
                        received=list(varying[:_SHOW]), fix=f"give one {column} value per {key} and year.")
    return spread["max"].reindex(list(countries)).to_numpy(dtype=float)


def _check_positive(values: np.ndarray, countries: tuple[str, ...], what: str) -> None:
    bad = [(c, float(v)) for c, v in zip(countries, values, strict=True) if not (np.isfinite(v) and v > 0)]
    if bad:
        raise DataError(f"{len(bad)} country(ies) have zero, negative or missing {what}.", received=bad[:_SHOW],
                        fix=f"every country needs {what} > 0: add its intranational flow, correct the {what} "
                            "column, or drop the country.")


def check_countries(names: Iterable[str], countries: Sequence[str], where: str) -> None:
    """Raise :class:`DataError` when any of ``names`` is not among ``countries`` (suggesting close matches)."""
    known = set(countries)
    unknown = [n for n in dict.fromkeys(names) if n not in known]
    if unknown:
        raise DataError(f"{where} names {len(unknown)} country(ies) not in the data.", received=unknown,
                        fix=unknown_country_fix(unknown, countries))


def unknown_country_fix(unknown: Sequence[str], countries: Sequence[str]) -> str:
    """A fix hint for unknown country codes: close matches, else the first known codes."""
    close = {u: difflib.get_close_matches(u, list(countries), n=3, cutoff=0.5) for u in unknown}
    hints = [f"{u} → {', '.join(c)}?" for u, c in close.items() if c]
    shown = ", ".join(sorted(countries)[:12]) + (", …" if len(countries) > 12 else "")
    return (f"did you mean {'; '.join(hints)} " if hints else "") + f"use codes present in the data ({shown})."


def check_reference(reference: str, countries: Sequence[str]) -> int:
    """Position of the reference (numeraire) importer; :class:`DataError` when it is not in the data."""
    if reference not in countries:
        raise DataError(f"the reference importer {reference!r} is not in the data.", received=reference,
                        fix="choose a country of the data as reference (its inward multilateral resistance is the "
                            "numeraire), e.g. " + unknown_country_fix([reference], countries))
    return list(countries).index(reference)


def check_sigma(sigma: float) -> float:
    """σ must be a finite number > 1 (the trade elasticity is 1 − σ < 0)."""
    if not (np.isfinite(sigma) and sigma > 1):
        raise DataError("the elasticity of substitution σ must be greater than 1.", received=sigma,
                        fix="use σ > 1; the book uses σ = 7 (trade elasticity 1 − σ = −6); Head & Mayer (2014) "
                            "suggest a trade elasticity around −5 (σ ≈ 6).")
    return float(sigma)


def add_cost_variables(flows: pd.DataFrame, definitions: Sequence[tuple[str, str | None, str]]) -> pd.DataFrame:
    """Add trade-cost variables to canonical flows; returns a new frame.

    Parameters
    ----------
    flows
        Canonical flows (see :func:`load_flows`).
    definitions
        ``(name, column, transform)`` per variable: transform ``"none"`` copies ``column`` (default: ``name``),
        ``"log"`` takes its natural log (the column must be > 0 where present), ``"international"`` is 1 for
        exporter ≠ importer and 0 for intranational pairs (the book's INTL_BRDR).

    Raises
    ------
    DataError
        A source column is missing, not numeric, or ≤ 0 where a log is asked for.
    """
    out = flows.copy()
    for name, column, transform in definitions:
        if transform == "international":
            out[name] = (out[EXPORTER] != out[IMPORTER]).astype(float)
            continue
        source = column or name
        if source not in out.columns:
            raise DataError(f"the trade-cost variable {name!r} needs the column {source!r}, which the data lack.",
                            received=f"available columns: {list(flows.columns)[:30]}", fix=MISSING_COST_COLUMN_FIX)
        values = _numeric(out[source], source)
        if transform == "log":
            bad = values <= 0
            if bad.any():
                ex = out.loc[bad, [EXPORTER, IMPORTER, source]].head(_SHOW).to_dict("records")
                raise DataError(f"{name} = log({source}) needs {source} > 0; {int(bad.sum())} value(s) are not.",
                                received=ex, fix=f"correct the {source} values, or use `transform: none`.")
            values = np.log(values)
        out[name] = values
    return out


def add_pair_dummy(flows: pd.DataFrame, name: str, pairs: Iterable[tuple[str, str]],
                   first_year: int | None = None, last_year: int | None = None) -> pd.DataFrame:
    """Add a 0/1 column ``name`` that is 1 for the ordered (exporter, importer) ``pairs``; returns a new frame.

    Parameters
    ----------
    flows
        Canonical flows.
    name
        The new column (must not exist yet).
    pairs
        Ordered pairs (exporter, importer) where the dummy is 1; list both directions for a symmetric dummy.
    first_year, last_year
        Years (inclusive) in which the dummy is 1 (e.g. an agreement in force from 1994); ``None``: no bound.

    Raises
    ------
    DataError
        ``name`` is already a column of the data.
    """
    if name in flows.columns:
        raise DataError(f"the dummy {name!r} has the name of a column of the data.", received=name,
                        fix="give the dummy another name, or use the data's column and drop the dummy.")
    wanted = set(pairs)
    keys = pd.Series(list(zip(flows[EXPORTER], flows[IMPORTER], strict=True)), index=flows.index)
    on = keys.map(lambda key: key in wanted).astype(bool)
    if YEAR in flows.columns:
        if first_year is not None:
            on &= flows[YEAR] >= first_year
        if last_year is not None:
            on &= flows[YEAR] <= last_year
    return flows.assign(**{name: on.astype(float)})
