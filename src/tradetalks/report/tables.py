"""Tables drawn from an :class:`~tradetalks.studies.analyze_results.AnalysisResult`: a view, no computation.

Each table is a list of rows (dicts); :class:`Table` writes them as CSV exactly as
``pandas.DataFrame(rows).to_csv(index=False)`` would, without importing pandas (which takes longer than the whole
analysis), and gives the DataFrame on request (:meth:`Table.to_frame`).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tradetalks.studies.analyze_results import AnalysisResult

if TYPE_CHECKING:
    import pandas as pd

Row = dict[str, Any]


@dataclass(frozen=True)
class Table:
    """Rows of one table; columns in order of first appearance (as pandas builds a frame from records)."""

    rows: Sequence[Mapping[str, Any]]

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(k for row in self.rows for k in row))

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(list(self.rows), columns=self.columns or None)

    def to_csv(self, index: bool = False) -> str:
        """CSV text as ``self.to_frame().to_csv(index=False)`` writes it (``index`` must be False)."""
        if index:
            raise ValueError("Table.to_csv writes no index; use to_frame().to_csv() for one")
        cols = self.columns
        cells = [_column_text([row.get(c) for row in self.rows]) for c in cols]
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        if cols:
            writer.writerow(cols)
        writer.writerows(zip(*cells, strict=True))
        return buf.getvalue() if cols else "\n"


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _column_text(values: list[Any]) -> list[str]:
    """One column's cells as pandas writes them: numbers with a missing value or a float become floats, bools
    with a missing value stay ``True``/``False``, missing cells are empty, anything else is its ``str``."""
    present = [v for v in values if not _missing(v)]
    numeric = bool(present) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present)
    if numeric and (len(present) < len(values) or any(isinstance(v, float) for v in present)):
        return ["" if _missing(v) else repr(float(v)) for v in values]
    return ["" if _missing(v) else str(v) for v in values]


def stakes_rows(res: AnalysisResult) -> list[Row]:
    """One row per issue × option: both parties' utilities and every stakeholder payoff (USD/yr)."""
    parties = res.party_ids
    rows = []
    for iss in res.issues:
        for op in iss.options:
            row = {"issue": iss.id, "issue_name": iss.name, "category": iss.category, "option": op.option,
                   "label": op.label, "is_batna": op.is_batna, "feasible": op.feasible}
            row |= {f"utility_{p}": op.utilities[p] for p in parties}
            row |= {f"payoff_{k}": v for k, v in op.payoffs.items()}
            rows.append(row)
    payoff_cols = [c for c in dict.fromkeys(k for row in rows for k in row) if c.startswith("payoff_")]
    return [{**row, **{c: 0.0 for c in payoff_cols if _missing(row.get(c))}} for row in rows]


def frontier_rows(res: AnalysisResult) -> list[Row]:
    """Frontier points (as written to results.json) with their packages."""
    parties = res.party_ids
    return [{f"utility_{p}": pt.utilities[p] for p in parties} | pt.package for pt in res.frontier.points]


def solutions_rows(res: AnalysisResult) -> list[Row]:
    """One row per solution (plus the BATNA and the observed deal)."""
    parties = res.party_ids
    rows: list[Row] = [{"solution": "batna", **{f"utility_{p}": 0.0 for p in parties}, **res.batna.package}]
    for name, s in res.solutions.items():
        if s is not None:
            rows.append({"solution": name, **{f"utility_{p}": s.utilities[p] for p in parties}, **s.package})
    if res.observed is not None:
        o = res.observed
        rows.append({"solution": "observed", **{f"utility_{p}": o.utilities[p] for p in parties}, **o.package})
    return rows


def sources_rows(res: AnalysisResult) -> list[Row]:
    """Every fact used, its value, unit and source or assumption flag."""
    return [{"id": s.id, "value": s.value, "unit": s.unit, "kind": "assumption" if s.assumption else "sourced",
             "source_or_assumption": s.assumption or s.source, "overridden": s.overridden,
             "original_value": s.original_value, "used_by": "; ".join(s.used_by)} for s in res.sources]


def timeline_rows(res: AnalysisResult) -> list[Row]:
    return [dict(e) for e in res.timeline]


def stakes_table(res: AnalysisResult) -> pd.DataFrame:
    return Table(stakes_rows(res)).to_frame()


def frontier_table(res: AnalysisResult) -> pd.DataFrame:
    return Table(frontier_rows(res)).to_frame()


def solutions_table(res: AnalysisResult) -> pd.DataFrame:
    return Table(solutions_rows(res)).to_frame()


def sources_table(res: AnalysisResult) -> pd.DataFrame:
    return Table(sources_rows(res)).to_frame()


def timeline_table(res: AnalysisResult) -> pd.DataFrame:
    return Table(timeline_rows(res)).to_frame()


def all_tables(res: AnalysisResult) -> dict[str, Table]:
    """Every CSV table ``tradetalks analyze`` writes, by file stem (``Table.to_csv``; ``Table.to_frame``)."""
    return {"stakes": Table(stakes_rows(res)), "frontier": Table(frontier_rows(res)),
            "solutions": Table(solutions_rows(res)), "sources": Table(sources_rows(res)),
            "timeline": Table(timeline_rows(res))}
