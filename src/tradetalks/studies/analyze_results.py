"""The frozen result of an analysis: one object, stored as ``results.json``, shown by every view.

Every number a view (terminal tables, HTML report, API) shows is a field here; views compute nothing. The JSON
layout is documented in ``docs/results-json.md`` and versioned by :data:`RESULTS_SCHEMA_VERSION`.
Utilities are in USD a year, political-weight adjusted, measured against the BATNA (no-deal) package; stakeholder
payoffs are in USD a year, unweighted.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tradetalks.jsonable import dumps, jsonable, plain

if TYPE_CHECKING:
    from tradetalks.studies.ge_opinion_results import GEOpinion
    from tradetalks.studies.improve import ImprovementResult
    from tradetalks.studies.inverse_results import InverseResult
    from tradetalks.studies.ratify import RatificationResult
    from tradetalks.studies.replay import ReplayStep
    from tradetalks.studies.sensitivity import SensitivityResult
    from tradetalks.studies.simulation_results import SimulationResult, TournamentResult
    from tradetalks.studies.uncertainty_results import UncertaintyResult

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
    #: bargaining powers (party → α) of a Nash solution (``None`` for the other solutions)
    powers: dict[str, float] | None = None


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
class ObservedView:
    """The observed deal judged against the no-deal path in force on one date, with the facts known then.

    ``utilities`` and ``payoffs`` are the deal *minus* that date's no-deal package, both valued with the facts as
    revised up to ``date`` (``valuation.revisions``): USD/yr on the scenario's time basis.
    """

    basis: str
    date: str
    description: str
    package: Package
    batna_package: Package
    batna_changes: dict[str, str]
    facts_revised: dict[str, float]
    utilities: dict[str, float]
    payoffs: dict[str, float]


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
    #: the deal against the scenario's BATNA (as of ``scenario.as_of``): the fields above, repeated as a view
    vs_as_of: ObservedView | None = None
    #: the deal against the no-deal path at the deal's date (``dynamics.batna_path``, facts revised to that date)
    vs_dated_batna: ObservedView | None = None
    #: the deal against the latest no-deal path the scenario knows (after the deal date: e.g. a court ruling)
    vs_latest: ObservedView | None = None


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
class ScenarioInfo:
    """Which scenario was analysed, and which facts were overridden (``--set``)."""

    id: str
    title: str
    description: str
    #: ISO date of the scenario's snapshot (its BATNA)
    as_of: str
    #: the scenario file (or built-in name)
    file: str
    #: fact id → value given with ``--set``
    overrides: dict[str, float]


@dataclass(frozen=True)
class StakeholderInfo:
    """A stakeholder of a party and its political weight (Grossman–Helpman; 1 = a dollar counts as a dollar)."""

    id: str
    name: str
    weight: float


@dataclass(frozen=True)
class DelegationInfo:
    """Who negotiated for a party from ``since`` (ISO date) on, with the source."""

    since: str
    label: str
    #: each member as ``{"name": ..., "title": ...}``
    members: list[dict[str, str]]
    source: str
    note: str | None = None


@dataclass(frozen=True)
class PartyInfo:
    """A party: its bargaining power (the weight of its gain in the asymmetric Nash product), stakeholders and
    delegations over time."""

    id: str
    name: str
    bargaining_power: float
    stakeholders: list[StakeholderInfo]
    delegations: list[DelegationInfo]


@dataclass(frozen=True)
class AnalysisResult:
    """Everything ``tradetalks analyze`` computed; see ``docs/results-json.md``.

    Every field holds a typed result object (Python users get documented attributes); :meth:`to_dict` turns them
    into JSON only at the edge. Money: USD a year; utilities are weighted by political weights, payoffs are not;
    both are measured against the BATNA.
    """

    scenario: ScenarioInfo
    parties: list[PartyInfo]
    #: what the money fields mean
    units: dict[str, str]
    #: ``"pe"`` or ``"ge"`` (with the general-equilibrium second opinion)
    econ_model: str
    issues: list[IssueStakes]
    batna: PackageUtility
    frontier: FrontierResult
    solutions: dict[str, SolutionResult | None]
    zopa: ZopaResult
    linkage: list[LinkageResult]
    observed: ObservedResult | None
    sources: list[SourceRow]
    #: the scenario's dated events (date, kind, title, description, source, package)
    timeline: list[dict[str, Any]]
    #: replay of the dated events: ZOPA, Nash and what stood at each date
    replay: list[ReplayStep] = field(default_factory=list)
    #: Pareto improvements of the observed deal, by rule
    improvements: dict[str, ImprovementResult] = field(default_factory=dict)
    #: two-level game: win-sets, their overlap (with its frontier), ratified predictions, checks
    ratification: RatificationResult | None = None
    #: with --dynamics: one simulated negotiation (linear vs linear, with its offers)
    simulation: SimulationResult | None = None
    #: with --dynamics: a tournament of every strategy pair
    tournament: TournamentResult | None = None
    #: with --dynamics: the one-at-a-time tornado and a weight sweep
    sensitivity: SensitivityResult | None = None
    #: with --econ ge: the general-equilibrium second opinion on the tariff levers
    ge_opinion: GEOpinion | None = None
    #: with --uncertainty N: Monte Carlo over the uncertain facts (option probabilities, intervals, robust package,
    #: Sobol indices)
    uncertainty: UncertaintyResult | None = None
    #: with --inverse N: what the real deal reveals (posterior over the uncertain facts, "what would it take")
    inverse: InverseResult | None = None
    notes: list[str] = field(default_factory=list)
    results_schema_version: int = RESULTS_SCHEMA_VERSION
    tradetalks_version: str = ""

    @property
    def party_ids(self) -> list[str]:
        """The two party ids, in scenario order."""
        return [p.id for p in self.parties]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (floats rounded to 6 significant digits for stable diffs)."""
        studies = {"replay", "improvements", "ratification", "simulation", "tournament", "sensitivity", "ge_opinion",
                   "uncertainty", "inverse"}
        out = {f.name: plain(getattr(self, f.name)) if dataclasses.is_dataclass(getattr(self, f.name))
               else getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in studies}
        out["scenario"] = plain(self.scenario)
        out["parties"] = [plain(p) for p in self.parties]
        out["issues"] = [plain(i) for i in self.issues]
        out["solutions"] = {k: None if v is None else plain(v) for k, v in self.solutions.items()}
        out["linkage"] = [plain(x) for x in self.linkage]
        out["sources"] = [plain(x) for x in self.sources]
        out["replay"] = [plain(x) for x in self.replay]
        out["improvements"] = {k: v.to_dict() for k, v in self.improvements.items()}
        for name in ("ratification", "simulation", "tournament", "sensitivity", "ge_opinion", "uncertainty",
                     "inverse"):
            value = getattr(self, name)
            out[name] = None if value is None else value.to_dict()
        return dict(jsonable(out))

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent=indent)

    def __repr__(self) -> str:
        nash = self.solutions.get("nash")
        return (f"AnalysisResult(scenario={self.scenario.id!r}, issues={len(self.issues)}, "
                f"frontier={self.frontier.n_points} points of {self.frontier.n_packages:.3g} packages, "
                f"zopa={self.zopa.count}, nash={nash.utilities if nash else None})")
