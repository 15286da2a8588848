"""Tables (pandas) drawn from an :class:`~tradetalks.studies.analyze_results.AnalysisResult`: a view, no
computation."""

from __future__ import annotations

import pandas as pd

from tradetalks.studies.analyze_results import AnalysisResult


def stakes_table(res: AnalysisResult) -> pd.DataFrame:
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
    return pd.DataFrame(rows).fillna({c: 0.0 for c in pd.DataFrame(rows).columns if c.startswith("payoff_")})


def frontier_table(res: AnalysisResult) -> pd.DataFrame:
    """Frontier points (as written to results.json) with their packages."""
    parties = res.party_ids
    rows = [{f"utility_{p}": pt.utilities[p] for p in parties} | pt.package for pt in res.frontier.points]
    return pd.DataFrame(rows)


def solutions_table(res: AnalysisResult) -> pd.DataFrame:
    """One row per solution (plus the BATNA and the observed deal)."""
    parties = res.party_ids
    rows: list[dict[str, object]] = [{"solution": "batna", **{f"utility_{p}": 0.0 for p in parties},
                                      **res.batna.package}]
    for name, s in res.solutions.items():
        if s is not None:
            rows.append({"solution": name, **{f"utility_{p}": s.utilities[p] for p in parties}, **s.package})
    if res.observed is not None:
        o = res.observed
        rows.append({"solution": "observed", **{f"utility_{p}": o.utilities[p] for p in parties}, **o.package})
    return pd.DataFrame(rows)


def sources_table(res: AnalysisResult) -> pd.DataFrame:
    """Every fact used, its value, unit and source or assumption flag."""
    return pd.DataFrame([{"id": s.id, "value": s.value, "unit": s.unit,
                          "kind": "assumption" if s.assumption else "sourced",
                          "source_or_assumption": s.assumption or s.source, "overridden": s.overridden,
                          "original_value": s.original_value, "used_by": "; ".join(s.used_by)}
                         for s in res.sources])


def timeline_table(res: AnalysisResult) -> pd.DataFrame:
    return pd.DataFrame(res.timeline)


def all_tables(res: AnalysisResult) -> dict[str, pd.DataFrame]:
    """Every CSV table ``tradetalks analyze`` writes, by file stem."""
    return {"stakes": stakes_table(res), "frontier": frontier_table(res), "solutions": solutions_table(res),
            "sources": sources_table(res), "timeline": timeline_table(res)}
