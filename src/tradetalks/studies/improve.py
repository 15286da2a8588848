"""Improving a deal: from a tentative agreement (by default the observed one), the Pareto improvement a fairness
rule picks, as the package changes to make and who wins and loses by them.

The numbers come from :func:`tradetalks.bargain.improve.improve_deal` on the exact frontier; this module values the
deal, decodes the chosen package and lists, issue by issue, what changes and, stakeholder by stakeholder, who gains.

Example
-------
>>> from tradetalks.scenario import load_scenario
>>> r = improve(load_scenario("tests/data/toy.yaml"), {}, rule="nash")  # {}: every issue at its BATNA option
>>> r.on_frontier, [(c.issue, c.from_option, c.to_option) for c in r.changes]
(False, [('widget_tariff', 't25', 't0'), ('transfer', 'none', 'more')])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from tradetalks.bargain.frontier import Frontier, pareto_frontier
from tradetalks.bargain.improve import IMPROVEMENT_RULES, improve_deal
from tradetalks.errors import TradetalksError
from tradetalks.model import Model, build_model, decode_package, package_choice, package_value
from tradetalks.options import ImprovementRule
from tradetalks.scenario.loader import LoadedScenario

__all__ = ["NEGLIGIBLE_USD", "ImprovementResult", "OptionChange", "StakeholderChange", "improve",
           "improve_every_rule", "parse_package"]

#: stakeholder payoff changes smaller than this (USD a year) are floating-point noise on sums of ~1e10, not changes
NEGLIGIBLE_USD = 1.0


@dataclass(frozen=True)
class OptionChange:
    """One issue settled differently in the improved package."""

    issue: str
    issue_name: str
    from_option: str
    from_label: str
    to_option: str
    to_label: str


@dataclass(frozen=True)
class StakeholderChange:
    """A stakeholder's payoff in the deal and in the improved package (USD a year against the BATNA, unweighted)."""

    stakeholder: str
    name: str
    party: str
    before: float
    after: float
    change: float


@dataclass(frozen=True)
class ImprovementResult:
    """A deal and the Pareto improvement a rule picks.

    Attributes
    ----------
    scenario, rule
        Scenario id and the rule (``equal_gains``, ``proportional``, ``nash``, ``utilitarian``).
    deal_source
        ``"observed"`` (the scenario's observed outcome) or ``"given"``.
    deal, deal_utilities, deal_feasible
        The deal (issue → option, every issue), each party's utility (USD/yr, weighted, against the BATNA) and
        whether it satisfies the scenario's constraints.
    on_frontier, n_dominating
        Whether no package Pareto-dominates the deal; how many frontier points do.
    improved, improved_utilities, gains, objective
        The chosen package, its utilities, each party's gain over the deal and the rule's objective (``None`` on
        the frontier).
    changes
        Issues settled differently, with option labels.
    winners, losers
        Stakeholders whose payoff rises (largest first) or falls (largest loss first); USD/yr, unweighted.
    """

    scenario: str
    rule: str
    deal_source: Literal["observed", "given"]
    deal: dict[str, str]
    deal_utilities: dict[str, float]
    deal_feasible: bool
    on_frontier: bool
    n_dominating: int
    improved: dict[str, str] | None = None
    improved_utilities: dict[str, float] | None = None
    gains: dict[str, float] | None = None
    objective: float | None = None
    changes: list[OptionChange] = field(default_factory=list)
    winners: list[StakeholderChange] = field(default_factory=list)
    losers: list[StakeholderChange] = field(default_factory=list)
    units: str = "utilities and gains: USD/yr, weighted, against the BATNA; stakeholder payoffs: USD/yr, unweighted"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return dataclasses.asdict(self)

    def __repr__(self) -> str:
        head = f"ImprovementResult({self.scenario}, {self.rule}, {self.deal_source} deal {_fmt(self.deal_utilities)}"
        if self.on_frontier or self.gains is None:
            return head + ": on the Pareto frontier)"
        return (head + f" -> gains {_fmt(self.gains)}; {len(self.changes)} issue change(s), "
                f"{len(self.winners)} winner(s), {len(self.losers)} loser(s))")


def _fmt(values: Mapping[str, float]) -> str:
    return "{" + ", ".join(f"{k}: {v / 1e9:+.3f}bn" for k, v in values.items()) + "}"


def parse_package(pairs: Sequence[str]) -> dict[str, str]:
    """``["issue=option", ...]`` (as typed on a command line) → ``{issue: option}``.

    >>> parse_package(["auto_tariff=a15", "beef = keep"])
    {'auto_tariff': 'a15', 'beef': 'keep'}
    """
    out: dict[str, str] = {}
    for raw in pairs:
        issue, sep, option = raw.partition("=")
        issue, option = issue.strip(), option.strip()
        if not sep or not issue or not option:
            raise TradetalksError("a package entry must read issue=option.", received=raw,
                                  fix="write e.g. auto_tariff=a15 (issue id, '=', option id)")
        if issue in out and out[issue] != option:
            raise TradetalksError(f"issue {issue!r} is given twice ({out[issue]!r} and {option!r}).",
                                  received=raw, fix="give each issue once")
        out[issue] = option
    return out


def _group_rows(model: Model, choice: Sequence[int]) -> list[int] | None:
    """Row of each compound issue's table that the package picks; ``None`` if it breaks a constraint."""
    rows = []
    for g in model.groups:
        hit = np.flatnonzero((g.combos == [choice[i] for i in g.issues]).all(axis=1))
        if hit.size == 0:
            return None
        rows.append(int(hit[0]))
    return rows


def _deal_utilities(model: Model, package: Mapping[str, str]) -> tuple[np.ndarray, bool]:
    """The package's utilities summed group by group like the frontier's (so a frontier deal compares equal)."""
    rows = _group_rows(model, package_choice(model, package))
    if rows is None:
        return np.asarray(package_value(model, package)[1], dtype=np.float64), False
    total = model.utilities[0][rows[0]].copy()
    for table, row in zip(model.utilities[1:], rows[1:], strict=True):
        total = total + table[row]
    return total, True


def _option_changes(loaded: LoadedScenario, before: Mapping[str, str], after: Mapping[str, str]) -> list[OptionChange]:
    out = []
    for iss in loaded.scenario.issues:
        if before[iss.id] != after[iss.id]:
            labels = {op.id: op.label for op in iss.options}
            out.append(OptionChange(iss.id, iss.name, before[iss.id], labels[before[iss.id]], after[iss.id],
                                    labels[after[iss.id]]))
    return out


def _stakeholder_changes(loaded: LoadedScenario, model: Model, before: Mapping[str, str],
                         after: Mapping[str, str]) -> tuple[list[StakeholderChange], list[StakeholderChange]]:
    pay_before, pay_after = package_value(model, before)[0], package_value(model, after)[0]
    owner = {st.id: (p.id, st.name) for p in loaded.scenario.parties for st in p.stakeholders}
    rows = [StakeholderChange(s, owner[s][1], owner[s][0], float(b), float(a), float(a - b))
            for s, b, a in zip(model.cs.stakeholders, pay_before, pay_after, strict=True)]
    winners = sorted((r for r in rows if r.change > NEGLIGIBLE_USD), key=lambda r: -r.change)
    losers = sorted((r for r in rows if r.change < -NEGLIGIBLE_USD), key=lambda r: r.change)
    return winners, losers


def _deal_package(loaded: LoadedScenario, model: Model,
                  package: Mapping[str, str] | None) -> tuple[dict[str, str], Literal["observed", "given"]]:
    if package is None:
        if loaded.observed is None:
            raise TradetalksError(f"scenario {loaded.scenario.id!r} has no observed outcome to improve.",
                                  fix="pass a package ({issue: option}) or load an observed-outcome file")
        package = {i: c.option for i, c in loaded.observed.package.items()}
        source: Literal["observed", "given"] = "observed"
    else:
        source = "given"
    cs = model.cs
    choice = package_choice(model, package)
    return {iid: cs.issues[i][choice[i]].id for i, iid in enumerate(cs.issue_ids)}, source


def improve(loaded: LoadedScenario, package: Mapping[str, str] | None = None,
            rule: ImprovementRule = "equal_gains", model: Model | None = None, *,
            frontier: Frontier | None = None) -> ImprovementResult:
    """The Pareto improvement of a deal that a fairness rule picks, as package changes and stakeholder effects.

    Parameters
    ----------
    loaded
        From :func:`tradetalks.scenario.load_scenario`.
    package
        The tentative agreement, ``{issue id: option id}`` (issues left out stay at their BATNA option); default:
        the observed outcome.
    rule
        ``"equal_gains"`` (default), ``"proportional"``, ``"nash"`` or ``"utilitarian"``; see
        :mod:`tradetalks.bargain.improve`.
    model, frontier
        Precomputed :func:`~tradetalks.model.build_model` and frontier of its utilities (optional).

    Raises
    ------
    TradetalksError
        If there is no deal to improve, the package names unknown issues or options, or the rule is unknown.
    DataError
        If the package breaks a constraint and is better for both sides than every feasible package.

    References
    ----------
    Raiffa, H. (1985). Post-settlement settlements. *Negotiation Journal* 1(1), 9-12.
    https://doi.org/10.1111/j.1571-9979.1985.tb00286.x
    """
    if rule not in IMPROVEMENT_RULES:
        raise TradetalksError(f"unknown improvement rule {rule!r}.", fix=f"use one of {', '.join(IMPROVEMENT_RULES)}")
    model = model or build_model(loaded)
    frontier = frontier or pareto_frontier(model.utilities)
    deal, source = _deal_package(loaded, model, package)
    u, feasible = _deal_utilities(model, deal)
    found = improve_deal(frontier, u, rule)
    parties = model.cs.parties
    pair = lambda v: {parties[0]: float(v[0]), parties[1]: float(v[1])}  # noqa: E731
    base = ImprovementResult(scenario=loaded.scenario.id, rule=rule, deal_source=source, deal=deal,
                             deal_utilities=pair(u), deal_feasible=feasible, on_frontier=found.on_frontier,
                             n_dominating=found.n_dominating)
    if found.choices is None or found.utilities is None or found.gains is None:
        return base
    improved = decode_package(model, found.choices)
    winners, losers = _stakeholder_changes(loaded, model, deal, improved)
    return dataclasses.replace(base, improved=improved, improved_utilities=pair(found.utilities),
                               gains=pair(found.gains), objective=found.objective,
                               changes=_option_changes(loaded, deal, improved), winners=winners, losers=losers)


def improve_every_rule(loaded: LoadedScenario, package: Mapping[str, str] | None = None,
                       model: Model | None = None) -> dict[str, ImprovementResult]:
    """:func:`improve` under every rule, sharing one model and one frontier (rule → result)."""
    model = model or build_model(loaded)
    frontier = pareto_frontier(model.utilities)
    return {rule: improve(loaded, package, rule, model, frontier=frontier) for rule in IMPROVEMENT_RULES}
