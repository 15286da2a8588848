"""The frozen result of an analysis: one object, stored as ``results.json``, shown by every view.

Every number a view (terminal tables, HTML report, API) shows is a field here; views compute nothing. The JSON
layout is documented in ``docs/results-json.md`` and versioned by :data:`RESULTS_SCHEMA_VERSION`.
Utilities are in USD a year, political-weight adjusted, measured against the BATNA (no-deal) package; stakeholder
payoffs are in USD a year, unweighted.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

RESULTS_SCHEMA_VERSION = 1

Package = dict[str, str]  # issue id → option id


@dataclass(frozen=True)
class PackageUtility:
    """A package and both parties' utilities (USD/yr, weighted, relative to the BATNA)."""

    package: Package
    utilities: dict[str, float]


@dataclass(frozen=True)
class OptionStake:
    """What one option of one issue is worth to each side, all other issues at their BATNA option."""

    option: str
    label: str
    is_batna: bool
    feasible: bool
    utilities: dict[str, float]
    payoffs: dict[str, float]
    note: str | None = None


@dataclass(frozen=True)
class IssueStakes:
    id: str
    name: str
    category: str
    batna: str
    coupled_with: list[str]
    options: list[OptionStake]


@dataclass(frozen=True)
class SolutionResult:
    """A bargaining solution: its package, both utilities and the gains over the BATNA."""

    name: str
    package: Package
    utilities: dict[str, float]
    gains: dict[str, float]
    objective: float


@dataclass(frozen=True)
class ZopaResult:
    count: int | float
    method: str
    ci95: list[float] | None
    total_packages: int
    nonempty: bool
    bounds: dict[str, list[float]]


@dataclass(frozen=True)
class FrontierResult:
    n_points: int
    n_packages: int
    points: list[PackageUtility]


@dataclass(frozen=True)
class LinkageResult:
    """Frontier and Nash solution with a linkage group on the table and off it (held at its BATNA)."""

    group: str
    name: str
    issues: list[str]
    with_linkage: dict[str, Any]
    without_linkage: dict[str, Any]
    surplus: dict[str, float]
    turns_empty_zopa_nonempty: bool


@dataclass(frozen=True)
class PackageChange:
    issue: str
    from_option: str
    to_option: str


@dataclass(frozen=True)
class ObservedResult:
    title: str
    date: str
    file: str
    package: Package
    utilities: dict[str, float]
    payoffs: dict[str, float]
    feasible: bool
    on_frontier: bool
    distance_to_frontier: float
    left_on_table: float
    best_improvement: PackageUtility | None
    improvement_gains: dict[str, float] | None
    changes: list[PackageChange]
    sources: dict[str, str]


@dataclass(frozen=True)
class SourceRow:
    id: str
    value: float
    unit: str
    source: str | None
    assumption: str | None
    overridden: bool
    original_value: float | None
    note: str | None
    used_by: list[str]


@dataclass(frozen=True)
class AnalysisResult:
    """Everything ``tradetalks analyze`` computed; see ``docs/results-json.md``."""

    scenario: dict[str, Any]
    parties: list[dict[str, Any]]
    units: dict[str, str]
    econ_model: str
    issues: list[IssueStakes]
    batna: PackageUtility
    frontier: FrontierResult
    solutions: dict[str, SolutionResult | None]
    zopa: ZopaResult
    linkage: list[LinkageResult]
    observed: ObservedResult | None
    sources: list[SourceRow]
    timeline: list[dict[str, Any]]
    #: replay of the dated events (tradetalks.studies.replay.ReplayStep rows): ZOPA, Nash and what stood at each date
    replay: list[Any] = field(default_factory=list)
    #: Pareto improvements of the observed deal per rule (tradetalks.studies.improve.ImprovementResult.to_dict())
    improvements: dict[str, Any] = field(default_factory=dict)
    #: two-level game (tradetalks.studies.ratify.RatificationResult.to_dict()), with the overlap's frontier
    ratification: dict[str, Any] | None = None
    #: with --dynamics: one simulated negotiation (linear vs linear, with its offers), a tournament of every
    #: strategy pair, and the sensitivity tornado with a weight sweep
    simulation: dict[str, Any] | None = None
    tournament: dict[str, Any] | None = None
    sensitivity: dict[str, Any] | None = None
    #: general-equilibrium second opinion (``--econ ge``): tradetalks.studies.ge_opinion.GEOpinion.to_dict()
    ge_opinion: dict[str, Any] | None = None
    #: Monte Carlo over the uncertain facts (``--uncertainty N``): tradetalks.studies.uncertainty_results.
    #: UncertaintyResult.to_dict()
    uncertainty: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    results_schema_version: int = RESULTS_SCHEMA_VERSION
    tradetalks_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (floats rounded to 6 significant digits for stable diffs)."""
        return _clean(dataclasses.asdict(self))

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def __repr__(self) -> str:
        nash = self.solutions.get("nash")
        return (f"AnalysisResult(scenario={self.scenario.get('id')!r}, issues={len(self.issues)}, "
                f"frontier={self.frontier.n_points} points of {self.frontier.n_packages:.3g} packages, "
                f"zopa={self.zopa.count}, nash={nash.utilities if nash else None})")


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int) and not isinstance(obj, bool):
        return int(obj)
    try:
        x = float(obj)
    except (TypeError, ValueError):
        return str(obj)
    if not math.isfinite(x):
        return None
    if x.is_integer() and abs(x) < 2**53 and hasattr(obj, "dtype") and obj.dtype.kind in "iu":
        return int(x)
    return float(f"{x:.6g}")
