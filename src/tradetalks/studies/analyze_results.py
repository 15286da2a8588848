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

from tradetalks.jsonable import dumps, plain_jsonable

if TYPE_CHECKING:
    import pandas as pd

    from tradetalks.report.notebook import Figures, Tables
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
    """A package and both parties' utilities.

    Attributes
    ----------
    package : dict[str, str]
        Issue id → option id, settling every issue.
    utilities : dict[str, float]
        Party id → utility of the package, USD/yr, weighted by political weights, relative to the BATNA.
    """

    package: Package
    utilities: dict[str, float]


@dataclass(frozen=True)
class OptionStake:
    """What one option of one issue is worth to each side, all other issues at their BATNA option.

    Attributes
    ----------
    option : str
        Option id (as in the scenario file).
    label : str
        The option's label for people.
    is_batna : bool
        Whether this is the issue's no-deal option.
    feasible : bool
        False when a constraint forbids this option with the other issues at their BATNA (its values are then
        shown for information only).
    utilities : dict[str, float]
        Party id → utility of the option, USD/yr, weighted by political weights, relative to the BATNA.
    payoffs : dict[str, float]
        Stakeholder id → payoff, USD/yr, unweighted, relative to the BATNA (stakeholders with a zero payoff left
        out).
    note : str or None
        The scenario's note on the option, if any.
    """

    option: str
    label: str
    is_batna: bool
    feasible: bool
    utilities: dict[str, float]
    payoffs: dict[str, float]
    note: str | None = None


@dataclass(frozen=True)
class IssueStakes:
    """The stakes of one issue: every option valued for both sides (the "What is at stake" chart).

    Attributes
    ----------
    id : str
        Issue id.
    name : str
        The issue's name for people.
    category : str
        The scenario's category of the issue (e.g. tariffs, investment, security).
    batna : str
        Option id of the issue's no-deal option.
    coupled_with : list[str]
        Ids of the issues merged with this one into one compound issue (a shared market or a constraint); empty
        for an independent issue.
    options : list[OptionStake]
        Every option with its utilities and payoffs (USD/yr), in scenario order.
    """
    id: str
    name: str
    category: str
    batna: str
    coupled_with: list[str]
    options: list[OptionStake]


@dataclass(frozen=True)
class SolutionResult:
    """A bargaining solution: its package, both utilities and the gains over the BATNA.

    Attributes
    ----------
    name : str
        ``nash``, ``nash_rubinstein``, ``kalai_smorodinsky``, ``egalitarian`` or ``utilitarian``.
    package : dict[str, str]
        Issue id → option id of the solution's package.
    utilities : dict[str, float]
        Party id → utility, USD/yr, weighted by political weights, relative to the BATNA.
    gains : dict[str, float]
        Party id → gain over the disagreement point (the BATNA), USD/yr, weighted.
    objective : float
        The value the solution maximises: Nash, log of the weighted product of gains (log USD/yr); Kalai–Smorodinsky,
        the smallest normalised gain (a share, 0–1); egalitarian, the smallest gain (USD/yr); utilitarian, the sum of
        utilities (USD/yr).
    powers : dict[str, float] or None
        Party id → bargaining power α (summing to 1) of a Nash solution: the scenario's for ``nash``, those the
        discount rates imply for ``nash_rubinstein``; ``None`` for the other solutions.
    """

    name: str
    package: Package
    utilities: dict[str, float]
    gains: dict[str, float]
    objective: float
    #: bargaining powers (party → α) of a Nash solution (``None`` for the other solutions)
    powers: dict[str, float] | None = None


@dataclass(frozen=True)
class ZopaResult:
    """The zone of possible agreement: packages strictly better than the BATNA for both parties.

    Attributes
    ----------
    count : int or float
        Number of packages in the ZOPA (exact count, or a sampled estimate when ``method`` is ``"sampled"``).
    method : str
        ``"exact"`` (meet-in-the-middle dominance count, no enumeration) or ``"sampled"``.
    ci95 : list[float] or None
        95 % confidence interval [low, high] of a sampled count (packages); ``None`` when exact.
    total_packages : int
        Size of the whole package space (packages).
    nonempty : bool
        Whether at least one package beats no deal for both sides.
    bounds : dict[str, list[float]]
        Party id → [its BATNA utility, the most it can get while the other side still gains], USD/yr, weighted.
    """
    count: int | float
    method: str
    ci95: list[float] | None
    total_packages: int
    nonempty: bool
    bounds: dict[str, list[float]]


@dataclass(frozen=True)
class FrontierResult:
    """The exact Pareto frontier of the package space (weighted utilities against the BATNA).

    Attributes
    ----------
    n_points : int
        Number of points on the exact Pareto frontier.
    n_packages : int
        Size of the whole package space (packages).
    points : list[PackageUtility]
        Frontier points with their packages and utilities (USD/yr), ordered along the frontier; all of them, or
        2,000 evenly spaced ones when the frontier is larger.
    """
    n_points: int
    n_packages: int
    points: list[PackageUtility]


@dataclass(frozen=True)
class LinkageResult:
    """Frontier and Nash solution with a linkage group on the table and off it (held at its BATNA).

    Attributes
    ----------
    group : str
        Linkage group id.
    name : str
        The group's name for people.
    issues : list[str]
        Ids of the linked issues (held at their BATNA option when off the table).
    with_linkage : dict[str, Any]
        With the issues on the table: ``frontier`` (list of [u0, u1], USD/yr), ``nash`` (``package`` and
        ``utilities`` or ``None``), ``zopa_nonempty`` (bool), ``zopa_count`` (packages).
    without_linkage : dict[str, Any]
        The same with the linked issues off the table.
    surplus : dict[str, float]
        Party id and ``"joint"`` → Nash utility with linkage minus without, USD/yr, weighted.
    turns_empty_zopa_nonempty : bool
        Whether linkage turns an empty ZOPA into a non-empty one.
    """

    group: str
    name: str
    issues: list[str]
    with_linkage: dict[str, Any]
    without_linkage: dict[str, Any]
    surplus: dict[str, float]
    turns_empty_zopa_nonempty: bool


@dataclass(frozen=True)
class PackageChange:
    """One issue's move from the observed deal's option to the best Pareto improvement's option.

    Attributes
    ----------
    issue : str
        Issue id.
    from_option : str
        Option id in the observed deal.
    to_option : str
        Option id in the improvement.
    """
    issue: str
    from_option: str
    to_option: str


@dataclass(frozen=True)
class ObservedView:
    """The observed deal judged against the no-deal path in force on one date, with the facts known then.

    ``utilities`` and ``payoffs`` are the deal *minus* that date's no-deal package, both valued with the facts as
    revised up to ``date`` (``valuation.revisions``): USD/yr on the scenario's time basis.

    Attributes
    ----------
    basis : str
        ``"as_of"`` (the scenario's BATNA), ``"dated_batna"`` (the no-deal path on the deal date) or ``"latest"``
        (the latest no-deal path the scenario knows).
    date : str
        ISO date of the no-deal path and facts used.
    description : str
        The view in words.
    package : dict[str, str]
        Issue id → option id: the deal as it stood on ``date`` (later timeline packages applied).
    batna_package : dict[str, str]
        Issue id → option id: the no-deal options in force on ``date``.
    batna_changes : dict[str, str]
        Issue id → option id where ``batna_package`` differs from the scenario's BATNA.
    facts_revised : dict[str, float]
        Fact id → value (in the fact's unit) where ``valuation.revisions`` changed it by ``date``.
    utilities : dict[str, float]
        Party id → deal minus no deal, USD/yr, weighted by political weights.
    payoffs : dict[str, float]
        Stakeholder id → deal minus no deal, USD/yr, unweighted (non-zero ones).
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
    """The real deal (from the observed-outcome file) against the frontier and the BATNA.

    Attributes
    ----------
    title : str
        Name of the deal.
    date : str
        ISO date of the deal.
    file : str
        The observed-outcome file read.
    package : dict[str, str]
        Issue id → option id of the deal.
    utilities : dict[str, float]
        Party id → utility of the deal, USD/yr, weighted by political weights, relative to the scenario's BATNA.
    payoffs : dict[str, float]
        Stakeholder id → payoff, USD/yr, unweighted, relative to the BATNA (non-zero ones).
    feasible : bool
        Whether the deal satisfies the scenario's constraints.
    on_frontier : bool
        Whether no package is better for one side and no worse for the other.
    distance_to_frontier : float
        Largest equal gain both sides could still get, USD/yr, weighted.
    left_on_table : float
        Largest total gain available through a Pareto improvement, USD/yr, weighted.
    best_improvement : PackageUtility or None
        The Nash bargain with the real deal as disagreement point; ``None`` on the frontier.
    improvement_gains : dict[str, float] or None
        Party id → gain of ``best_improvement`` over the deal, USD/yr, weighted.
    changes : list[PackageChange]
        Issues ``best_improvement`` settles differently.
    sources : dict[str, str]
        Issue id → source of the deal's option on that issue.
    vs_as_of : ObservedView or None
        The deal against the scenario's BATNA (as of ``scenario.as_of``): the fields above, repeated as a view.
    vs_dated_batna : ObservedView or None
        The deal against the no-deal path at the deal's date (``dynamics.batna_path``, facts revised to then).
    vs_latest : ObservedView or None
        The deal against the latest no-deal path the scenario knows (after the deal date: e.g. a court ruling);
        ``None`` when there is none.
    """
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
    """One fact of the scenario, its value, unit and source or assumption.

    Attributes
    ----------
    id : str
        Fact id.
    value : float
        The value used (after ``--set`` overrides), in ``unit``.
    unit : str
        The fact's unit (e.g. ``USD/yr``, ``ad valorem``, ``vehicles/yr``).
    source : str or None
        Publication, date and URL the value comes from (``None`` for an assumption).
    assumption : str or None
        Why this number was assumed and what would change it (``None`` for a sourced fact).
    overridden : bool
        Whether the value was given with ``--set`` (``overrides=``).
    original_value : float or None
        The scenario's value before the override, in ``unit`` (``None`` when not overridden).
    note : str or None
        The scenario's note on the fact, if any.
    used_by : list[str]
        Field paths of the scenario that reference the fact.
    """
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
    """Which scenario was analysed, and which facts were overridden (``--set``).

    Attributes
    ----------
    id : str
        Scenario id.
    title : str
        The scenario's title.
    description : str
        The scenario's description.
    as_of : str
        ISO date of the scenario's snapshot (its BATNA).
    file : str
        The scenario file read (or the built-in name).
    overrides : dict[str, float]
        Fact id → value given with ``--set`` (in the fact's unit).
    """

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
    """A stakeholder of a party and its political weight (Grossman–Helpman; 1 = a dollar counts as a dollar).

    Attributes
    ----------
    id : str
        Stakeholder id.
    name : str
        The stakeholder's name for people.
    weight : float
        Political weight (dimensionless): the party's utility counts this stakeholder's USD payoff this many times.
    """

    id: str
    name: str
    weight: float


@dataclass(frozen=True)
class DelegationInfo:
    """Who negotiated for a party from ``since`` (ISO date) on, with the source.

    Attributes
    ----------
    since : str
        ISO date from which the delegation negotiated.
    label : str
        The delegation in words.
    members : list[dict[str, str]]
        Each member as ``{"name": ..., "title": ...}``.
    source : str
        Where the delegation is documented.
    note : str or None
        A note, if any.
    """

    since: str
    label: str
    #: each member as ``{"name": ..., "title": ...}``
    members: list[dict[str, str]]
    source: str
    note: str | None = None


@dataclass(frozen=True)
class PartyInfo:
    """A party: its bargaining power, stakeholders and delegations over time.

    Attributes
    ----------
    id : str
        Party id (e.g. ``KOR``, ``USA``); the key of every per-party mapping.
    name : str
        The party's name.
    bargaining_power : float
        The weight of its gain in the asymmetric Nash product (dimensionless; the two sum to 1).
    stakeholders : list[StakeholderInfo]
        Its stakeholders with their political weights.
    delegations : list[DelegationInfo]
        Who negotiated for it, by date.
    """

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

    In a notebook: :attr:`figures` draws every chart of the HTML report as a plotly figure
    (``result.figures.frontier()``), :attr:`tables` and :meth:`to_frame` give every table as a DataFrame, and a
    result shown in a cell renders as a compact table of the solutions, the ZOPA and the real deal.

    Attributes
    ----------
    scenario : ScenarioInfo
        Which scenario was analysed and which facts were overridden.
    parties : list[PartyInfo]
        The two parties (scenario order), with bargaining powers, stakeholders and their political weights.
    units : dict[str, str]
        What the money fields mean, in words (``utilities``, ``payoffs``).
    econ_model : str
        ``"pe"`` (partial equilibrium) or ``"ge"`` (PE plus the general-equilibrium second opinion).
    issues : list[IssueStakes]
        The stakes: per issue, every option's utilities and stakeholder payoffs (USD/yr), other issues at no deal.
    batna : PackageUtility
        The no-deal package (every issue at its BATNA option); its utilities are 0 for both by construction.
    frontier : FrontierResult
        The exact Pareto frontier (utilities in USD/yr, weighted).
    solutions : dict[str, SolutionResult or None]
        Solution name → solution (``nash``, ``nash_rubinstein`` when both parties have a discount rate,
        ``kalai_smorodinsky``, ``egalitarian``, ``utilitarian``); ``None`` when no package beats no deal for both.
    zopa : ZopaResult
        The zone of possible agreement (packages better than no deal for both).
    linkage : list[LinkageResult]
        Per linkage group: frontier and Nash with the linked issues on the table and off it.
    observed : ObservedResult or None
        The real deal against the frontier and the no-deal paths; ``None`` without an observed-outcome file.
    sources : list[SourceRow]
        Every fact used: value, unit, source or assumption flag, override.
    timeline : list[dict[str, Any]]
        The scenario's dated events: ``date`` (ISO), ``kind``, ``title``, ``description``, ``source``, ``package``
        (issue id → option id the event settled, or ``None``).
    replay : list[ReplayStep]
        Replay of the dated events: per date the no-deal outcome, ZOPA, Nash point and what really stood
        (utilities in USD/yr, weighted).
    improvements : dict[str, ImprovementResult]
        Rule → Pareto improvement of the observed deal (gains in USD/yr, weighted; issues to change).
    ratification : RatificationResult or None
        Two-level game: win-sets, their overlap (with its frontier), ratified predictions, checks.
    simulation : SimulationResult or None
        With ``dynamics=True``: one simulated negotiation (linear against linear, with its offers).
    tournament : TournamentResult or None
        With ``dynamics=True``: a tournament of every strategy pair.
    sensitivity : SensitivityResult or None
        With ``dynamics=True``: the one-at-a-time tornado and a weight sweep.
    ge_opinion : GEOpinion or None
        With ``econ="ge"``: the general-equilibrium second opinion on the tariff levers.
    uncertainty : UncertaintyResult or None
        With ``uncertainty_draws=N``: Monte Carlo over the uncertain facts (option probabilities, intervals, robust
        package, Sobol indices).
    inverse : InverseResult or None
        With ``inverse_draws=N``: inverse bargaining — the posterior over every uncertain fact given the real deal
        (what the deal reveals), or what it would take when no draw explains it.
    notes : list[str]
        Remarks of the run (empty when there are none).
    results_schema_version : int
        Version of the ``results.json`` layout.
    tradetalks_version : str
        Version of tradetalks that produced the result.
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
        studies = ("replay", "improvements", "ratification", "simulation", "tournament", "sensitivity", "ge_opinion",
                   "uncertainty", "inverse")
        # the other fields in order, then the studies (results.json's key order); an attached study as its own
        # to_dict gives it, made JSON-ready with the rest in one pass
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in studies}
        out["replay"] = self.replay
        out["improvements"] = {k: v.to_dict() for k, v in self.improvements.items()}
        for name in studies[2:]:
            value = getattr(self, name)
            out[name] = None if value is None else value.to_dict()
        return dict(plain_jsonable(out))

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent=indent)

    def __repr__(self) -> str:
        def bn(utilities: dict[str, float] | None) -> str:
            if utilities is None:
                return "none"
            return " / ".join(f"{p} {u / 1e9:+.2f}" for p, u in utilities.items()) + " USD bn/yr"

        nash = self.solutions.get("nash")
        zopa = f"{self.zopa.count:,}" if self.zopa.method == "exact" else f"≈{self.zopa.count:,.3g} (sampled)"
        deal = "" if self.observed is None else f", real deal={bn(self.observed.utilities)}"
        return (f"AnalysisResult(scenario={self.scenario.id!r}, issues={len(self.issues)}, "
                f"frontier={self.frontier.n_points:,} points of {self.frontier.n_packages:,} packages, "
                f"zopa={zopa} packages, nash={bn(nash.utilities if nash else None)}{deal})")

    @property
    def figures(self) -> Figures:
        """Every chart of the HTML report as a ``plotly.graph_objects.Figure``: ``.frontier()``,
        ``.stakes(issue_id)``, ``.linkage()``, ``.timeline()``, ``.replay()``, ``.tornado()``; ``.available()``
        lists the charts this result has data for. Imports plotly.py only when a chart is drawn."""
        from tradetalks.report.notebook import Figures

        return Figures(self)

    @property
    def tables(self) -> Tables:
        """Every table as a pandas DataFrame by name (``result.tables["solutions"]``; ``.names()`` lists them):
        the CSV tables ``tradetalks analyze`` writes, the replay, and each attached study's table."""
        from tradetalks.report.notebook import Tables

        return Tables(self)

    def to_frame(self, name: str = "solutions") -> pd.DataFrame:
        """One table as a pandas DataFrame (``stakes``, ``frontier``, ``solutions``, ``sources``, ``timeline``, …;
        see :attr:`tables`). Money in USD a year against the BATNA."""
        return self.tables[name]

    def _repr_html_(self) -> str:
        """Jupyter's view: the solutions with their packages (labels), the ZOPA and the real deal."""
        from tradetalks.report.notebook import analysis_html

        return analysis_html(self)
