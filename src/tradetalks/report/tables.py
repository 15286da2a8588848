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
    if all(type(v) is str for v in values):  # most columns (the frontier's option ids): already their text
        return list(values)
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


def replay_rows(res: AnalysisResult) -> list[Row]:
    """Per dated event: the ZOPA against that date's no deal, the Nash point and what stood (USD/yr, weighted)."""
    parties = res.party_ids
    return [{"date": s.date, "event": s.label, "kind": s.kind, "zopa_nonempty": s.zopa_nonempty,
             "zopa_count": s.zopa_count, **{f"nash_{p}": (s.nash_utilities or {}).get(p) for p in parties},
             **{f"stood_{p}": s.stood_utilities[p] for p in parties}} for s in res.replay]


def observed_rows(res: AnalysisResult) -> list[Row]:
    """The real deal against each no-deal path (scenario BATNA, the deal date's, the latest): utilities (USD/yr,
    weighted), the no-deal options and facts that differ."""
    o = res.observed
    if o is None:
        return []
    views = [v for v in (o.vs_as_of, o.vs_dated_batna, o.vs_latest) if v is not None]
    return [{"basis": v.basis, "date": v.date, **{f"utility_{p}": v.utilities[p] for p in res.party_ids},
             "batna_changes": "; ".join(f"{i}={op}" for i, op in v.batna_changes.items()),
             "facts_revised": "; ".join(f"{f}={x:g}" for f, x in v.facts_revised.items())} for v in views]


def improvements_rows(res: AnalysisResult) -> list[Row]:
    """One row per rule × issue the Pareto improvement of the real deal changes, with the gains (USD/yr, weighted)."""
    rows: list[Row] = []
    for rule, imp in res.improvements.items():
        gains = {f"gain_{p}": (imp.gains or {}).get(p) for p in res.party_ids}
        if not imp.changes:  # on the frontier: nothing to change
            rows.append({"rule": rule, **gains, "issue": None, "from": None, "to": None})
        for c in imp.changes:
            rows.append({"rule": rule, **gains, "issue": c.issue, "from": c.from_label, "to": c.to_label})
    return rows


def linkage_rows(res: AnalysisResult) -> list[Row]:
    """Per linkage group: Nash utility surplus of having the linked issues on the table (USD/yr, weighted), and the
    ZOPA with and without them."""
    return [{"group": lk.group, "name": lk.name, "issues": "; ".join(lk.issues),
             **{f"surplus_{k}": v for k, v in lk.surplus.items()},
             "zopa_count_with": lk.with_linkage["zopa_count"], "zopa_count_without": lk.without_linkage["zopa_count"],
             "turns_empty_zopa_nonempty": lk.turns_empty_zopa_nonempty} for lk in res.linkage]


def winset_rows(res: AnalysisResult) -> list[Row]:
    """Per party: its ratification rule and the size of its win-set (packages it can ratify)."""
    rat = res.ratification
    if rat is None:
        return []
    return [{"party": ws.party, "rule": ws.rule, "nonempty": ws.nonempty, "count": ws.size.count,
             "method": ws.size.method, "total": ws.size.total, "share": ws.size.share} for ws in rat.parties]


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
