"""The scenario file format (schema version 1), as pydantic models.

A scenario describes one bilateral negotiation declaratively: the two parties (delegations over time, stakeholders
with political weights), a fact table where every figure carries its source or is flagged as an assumption, the
economy (partial-equilibrium markets), the policy levers, the agenda (issues with discrete options), constraints
between options, the BATNA (each issue's no-deal option), linkage groups and a dated timeline. The observed outcome
(the real deal) lives in a separate file (:class:`ObservedOutcome`) that the analysis reads only for comparison.

Structural rules are checked here; cross-references (unknown lever, unknown issue, duplicate ids, ...) are checked
by :mod:`tradetalks.scenario.checks`, which reports every problem at once with its file, line and field path.
See ``docs/scenario-format.md`` for the prose reference.
"""

# No `from __future__ import annotations` here: pydantic would then evaluate every field's annotation from its text
# when the classes are created (compiling ~150 small expressions each run); written as objects they are ready.

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StringConstraints, model_validator

from tradetalks.options import DistKind, EventKind, IssueCategory, LeverKind, RatifierKind

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", max_length=80)]
#: a number, or an arithmetic expression over fact ids (see :mod:`tradetalks.scenario.expressions`)
#: strict: ``true`` or a quoted "2024" is not silently turned into a number
Quantity = StrictFloat | StrictInt | str
Text = Annotated[str, StringConstraints(min_length=1)]


class _Model(BaseModel):
    # built on first use: validating a Scenario builds what it needs once, not one validator per class at import
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


# Empty defaults come from these Python functions rather than `list` and `dict`: pydantic inspects a default
# factory's signature, and for a built-in that means tokenizing its text signature (the first time, compiling the
# tokenizer's patterns: a noticeable share of the command line's start-up).
def _empty_list() -> list[Any]:
    return []


def _empty_dict() -> dict[Any, Any]:
    return {}


class Distribution(_Model):
    """How an uncertain fact is drawn (see ``docs/scenario-format.md``, "Uncertainty").

    ``uniform`` and ``beta`` live on the fact's ``range``; ``triangular`` peaks at ``mode`` (default: the fact's
    value) inside ``range``; ``normal`` has ``mean`` (default: the value) and ``sd``; ``lognormal`` has ``median``
    (default: the value) and ``sigma`` (the standard deviation of the log). A ``range`` given with ``normal`` or
    ``lognormal`` truncates it.
    """

    kind: DistKind
    mode: StrictFloat | StrictInt | None = None
    mean: StrictFloat | StrictInt | None = None
    sd: StrictFloat | StrictInt | None = None
    median: StrictFloat | StrictInt | None = None
    sigma: StrictFloat | StrictInt | None = None
    a: StrictFloat | StrictInt | None = None
    b: StrictFloat | StrictInt | None = None


class Fact(_Model):
    """One figure with its provenance: exactly one of ``source`` (publication and date) or ``assumption``.

    An uncertain fact also carries a ``range`` (drawn uniformly unless ``dist`` says otherwise) or a ``dist``, with
    ``spread_source`` (where the spread comes from) or ``spread_assumption`` (why this spread). Facts with the same
    ``draw_with`` group are drawn together (one quantile for the group). The point ``value`` is what a single
    analysis uses.
    """

    value: float
    unit: Text
    source: Text | None = None
    assumption: Text | None = None
    note: str | None = None
    range: tuple[StrictFloat | StrictInt, StrictFloat | StrictInt] | None = None
    dist: Distribution | None = None
    spread_source: Text | None = None
    spread_assumption: Text | None = None
    draw_with: Id | None = None


class Member(_Model):
    name: Text
    title: Text


class Delegation(_Model):
    """Who negotiated for a party from a date on (a delegation has a time dimension)."""

    since: dt.date
    label: Text
    members: list[Member] = Field(min_length=1)
    source: Text
    note: str | None = None


class Stakeholder(_Model):
    """A group whose payoff enters its government's utility with a political weight (Grossman–Helpman)."""

    id: Id
    name: Text
    weight: Quantity = 1.0
    description: str | None = None


class Ratifier(_Model):
    """A domestic actor whose consent the deal needs (Putnam's level II): a legislature, a lobby, an agency.

    It values a package as Σ ``cares_about[s]`` × payoff of stakeholder ``s`` (USD/yr against the BATNA) and
    accepts it when that value is at least ``threshold``.
    """

    id: Id
    name: Text
    kind: RatifierKind
    cares_about: dict[Id, Quantity] = Field(min_length=1)
    threshold: Quantity = 0.0
    #: a veto player must accept; the others vote with ``votes`` toward the party's quota
    veto: bool = False
    votes: Quantity = 1.0
    source: str | None = None
    note: str | None = None


class Ratification(_Model):
    """A party's ratification rule: every veto player accepts, and accepting non-veto ratifiers hold at least
    ``quota`` of the non-veto votes (when there are any)."""

    quota: Quantity = 0.5
    ratifiers: list[Ratifier] = Field(min_length=1)


class Party(_Model):
    id: Id
    name: Text
    bargaining_power: Quantity = 1.0
    #: annual discount rate (patience) used for Rubinstein bargaining power and simulated rounds
    discount_rate: Quantity | None = None
    stakeholders: list[Stakeholder] = Field(min_length=1)
    delegations: list[Delegation] = Field(min_length=1)
    ratification: Ratification | None = None


class Supplier(_Model):
    """One supplier of a market: the partner, the rest of the world, or domestic producers."""

    id: Id
    name: Text
    value: Quantity
    domestic: bool = False
    tariff: Quantity = 0.0
    ntb: Quantity = 0.0
    #: export/domestic supply elasticity; omit (null) for perfectly elastic supply (the SMART default)
    supply_elasticity: Quantity | None = None
    #: stakeholder who receives this supplier's producer surplus (omit for third countries)
    stakeholder: Id | None = None


class Market(_Model):
    """An importer × product market solved by the partial-equilibrium model (:mod:`tradetalks.econ.pe`)."""

    id: Id
    name: Text
    importer: Id
    year: StrictInt | None = None
    demand_elasticity: Quantity
    armington_elasticity: Quantity
    suppliers: list[Supplier] = Field(min_length=1)
    consumers: Id | None = None
    treasury: Id | None = None
    note: str | None = None


class Lever(_Model):
    """A policy instrument an option can set: a tariff or an NTB ad-valorem equivalent on some suppliers."""

    id: Id
    name: Text
    kind: LeverKind
    market: Id
    suppliers: list[Id] = Field(min_length=1)


class Option(_Model):
    """One way an issue could be settled: lever settings and/or direct valuations (USD a year)."""

    id: Id
    label: Text
    set: dict[Id, Quantity] = Field(default_factory=_empty_dict)
    payoffs: dict[Id, Quantity] = Field(default_factory=_empty_dict)
    note: str | None = None


class Issue(_Model):
    id: Id
    name: Text
    category: IssueCategory
    description: str | None = None
    raised_by: Id | None = None
    options: list[Option] = Field(min_length=1)
    #: the option that holds if there is no deal (the issue's part of the BATNA)
    batna: Id


class OptionSet(_Model):
    issue: Id
    options: list[Id] = Field(min_length=1)


class Constraint(_Model):
    """``requires``: if the first issue is settled by one of ``if`` options, the second must be one of ``then``.
    ``excludes``: if the first is one of ``if``, the second must not be one of ``then``."""

    id: Id
    kind: Literal["requires", "excludes"]
    if_: OptionSet = Field(alias="if")
    then: OptionSet
    reason: Text
    source: str | None = None


class LinkageGroup(_Model):
    """Issues that may be kept off the table (e.g. security); the analysis compares with and without them."""

    id: Id
    name: Text
    issues: list[Id] = Field(min_length=1)
    description: str | None = None


class Event(_Model):
    date: dt.date
    kind: EventKind
    title: Text
    description: str | None = None
    source: Text
    #: what was agreed by this date, for the issues it settled (issue → option); the replay holds the model
    #: against it. Issues not listed stay as before (at their no-deal option until some event settles them).
    package: dict[Id, Id] | None = None


class BatnaChange(_Model):
    """From ``date`` on, the no-deal outcome of ``issue`` is ``option`` (tariff pause ending, escalation, ...)."""

    date: dt.date
    issue: Id
    option: Id
    source: Text
    note: str | None = None


class Deadline(_Model):
    date: dt.date
    title: Text
    #: a hard deadline ends the talks without agreement if it passes
    hard: bool = False
    source: Text
    note: str | None = None


class Dynamics(_Model):
    """Time: when talks start, how long a round lasts, the no-deal path over time and deadlines."""

    start: dt.date
    round_days: int = Field(default=7, gt=0)
    batna_path: list[BatnaChange] = Field(default_factory=_empty_list)
    deadlines: list[Deadline] = Field(default_factory=_empty_list)


class MarketTiming(_Model):
    """How long a market's lever difference lasts and how likely it is to hold at all (see :class:`Valuation`)."""

    #: years the difference between two lever settings of this market lasts (default: ``lever_duration``)
    duration: Quantity | None = None
    #: probability that the difference takes effect at all (e.g. 1 − the legal risk of the tariff); default 1
    probability: Quantity = 1.0


class FactRevision(_Model):
    """From ``date`` on, fact ``fact`` takes ``value`` (what was known then: a court ruling, a later estimate).

    A dated view of the scenario (the observed deal at its date, a replay step) uses the facts as revised up to
    that date; the scenario's own analysis (as of ``as_of``) uses the facts as written.
    """

    date: dt.date
    fact: Id
    value: Quantity
    source: Text
    note: str | None = None


class Valuation(_Model):
    """One time basis for every payoff: present value at ``discount_rate`` over ``horizon`` years, as USD/yr.

    Payoffs computed by the partial-equilibrium markets are yearly flows that last ``lever_duration`` years
    (default: the whole horizon), or a market's own ``duration``, times its ``probability``. Direct payoffs
    written with ``flow(amount_per_yr, start, years)`` or ``lump(amount, at)`` are converted to their annuity
    equivalent over the horizon; a plain quantity is a flow over the whole horizon. See
    ``docs/scenario-format.md`` ("Time basis") and :mod:`tradetalks.timebasis`.
    """

    discount_rate: Quantity
    horizon: Quantity
    lever_duration: Quantity | None = None
    markets: dict[Id, MarketTiming] = Field(default_factory=_empty_dict)
    revisions: list[FactRevision] = Field(default_factory=_empty_list)


class Scenario(_Model):
    schema_version: Literal[1]
    id: Id
    title: Text
    description: Text
    as_of: dt.date
    currency: Literal["USD"] = "USD"
    parties: list[Party] = Field(min_length=2, max_length=2)
    facts: dict[Id, Fact] = Field(default_factory=_empty_dict)
    markets: list[Market] = Field(default_factory=_empty_list)
    levers: list[Lever] = Field(default_factory=_empty_list)
    issues: list[Issue] = Field(min_length=1)
    constraints: list[Constraint] = Field(default_factory=_empty_list)
    linkage: list[LinkageGroup] = Field(default_factory=_empty_list)
    timeline: list[Event] = Field(default_factory=_empty_list)
    dynamics: Dynamics | None = None
    #: the time basis of every payoff (discount rate, horizon, durations, dated fact revisions)
    valuation: Valuation | None = None
    #: path of the observed-outcome file, relative to this file (optional)
    observed: str | None = None

    @model_validator(mode="after")
    def _valuation_refers_to_known_ids(self) -> "Scenario":
        if self.valuation is None:
            return self
        markets = {m.id for m in self.markets}
        bad = sorted(set(self.valuation.markets) - markets)
        if bad:
            raise ValueError(f"valuation.markets names unknown market(s) {', '.join(bad)}; use ids from `markets:` "
                             f"({', '.join(sorted(markets)) or 'none'})")
        unknown = sorted({r.fact for r in self.valuation.revisions} - set(self.facts))
        if unknown:
            raise ValueError(f"valuation.revisions names unknown fact(s) {', '.join(unknown)}; use ids from `facts:`")
        return self


class ObservedChoice(_Model):
    option: Id
    source: Text
    note: str | None = None


class ObservedOutcome(_Model):
    """The real deal, kept apart from the scenario: the analysis is calibrated without it."""

    schema_version: Literal[1]
    scenario: Id
    title: Text
    date: dt.date
    description: str | None = None
    package: dict[Id, ObservedChoice] = Field(min_length=1)
