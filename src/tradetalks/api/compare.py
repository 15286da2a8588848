"""Compare two stored runs: what changed in their inputs and how their results moved.

For analysis runs the headline comparison is :func:`tradetalks.studies.compare.compare_results`, applied to the
stored ``results.json`` data through a read-only view with the fields it reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from tradetalks.errors import TradetalksError
from tradetalks.jsonable import jsonable, plain
from tradetalks.store import RunRecord

if TYPE_CHECKING:
    from tradetalks.studies.analyze_results import AnalysisResult


@dataclass(frozen=True)
class _Source:
    id: str
    unit: str
    value: float


@dataclass(frozen=True)
class _Solution:
    package: dict[str, str]
    utilities: dict[str, float]


@dataclass(frozen=True)
class _Zopa:
    count: float


@dataclass(frozen=True)
class _Observed:
    utilities: dict[str, float]


@dataclass(frozen=True)
class _StoredAnalysis:
    """The fields of :class:`AnalysisResult` that :func:`compare_results` reads, from stored results."""

    sources: list[_Source]
    solutions: dict[str, _Solution | None]
    zopa: _Zopa
    observed: _Observed | None = None
    notes: list[str] = field(default_factory=list)


def _view(results: dict[str, Any]) -> AnalysisResult:
    try:
        view = _StoredAnalysis(
            sources=[_Source(s["id"], s.get("unit", ""), s["value"]) for s in results.get("sources", [])
                     if isinstance(s.get("value"), int | float)],
            solutions={k: None if v is None else _Solution(v["package"], v["utilities"])
                       for k, v in results.get("solutions", {}).items()},
            zopa=_Zopa(float(results["zopa"]["count"])),
            observed=_Observed(results["observed"]["utilities"]) if results.get("observed") else None)
    except (KeyError, TypeError, ValueError) as exc:
        raise TradetalksError(f"stored results are not an analysis of this version ({exc!r} missing).",
                              fix="compare runs made by this version of tradetalks") from None
    return cast("AnalysisResult", view)


def _changed(a: dict[str, Any], b: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: {"before": a.get(k), "after": b.get(k)} for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}


def compare_runs(before: RunRecord, after: RunRecord) -> dict[str, Any]:
    """Inputs that changed (scenario version, options, facts) and, for two analyses, the results that moved."""
    out: dict[str, Any] = {
        "before": before.id, "after": after.id,
        "inputs": {
            "scenario": {"before": [before.scenario_id, before.scenario_version],
                         "after": [after.scenario_id, after.scenario_version]},
            "scenario_changed": (before.scenario_id, before.scenario_version)
            != (after.scenario_id, after.scenario_version),
            "options": _changed(before.options, after.options),
        },
        "results": None,
    }
    if before.kind == after.kind == "analyze" and before.results and after.results:
        from tradetalks.studies.compare import compare_results

        diff = compare_results(_view(before.results), _view(after.results))
        out["inputs"]["facts"] = plain(diff.inputs)
        out["results"] = {"solutions": plain(diff.solutions), "zopa": {"before": diff.zopa[0], "after": diff.zopa[1]},
                          "observed": None if diff.observed is None else
                          {"before": diff.observed[0], "after": diff.observed[1]},
                          "anything_moved": diff.anything_moved}
    else:
        out["note"] = "results are compared for two analysis runs; these are " \
                      f"{before.kind} and {after.kind} (their results are in GET /api/runs/{{id}})"
    return dict(jsonable(out))
