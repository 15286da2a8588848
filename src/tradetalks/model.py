"""The model of a scenario: compiled utilities per issue × option, and packages encoded, decoded and valued.

Every study (analyze, ratify, replay, improve, sensitivity, simulate, GE opinion, uncertainty, inverse) builds on
this module; it uses none of them.

Example
-------
>>> from tradetalks.model import build_model, package_value
>>> from tradetalks.scenario import load_scenario
>>> model = build_model(load_scenario("tests/data/toy.yaml"))
>>> len(model.groups) > 0
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from tradetalks.bargain.packages import IssueGroup, OptionConstraint, group_issues
from tradetalks.econ.valuation import (
    CompiledScenario,
    compile_scenario,
    issue_markets,
    market_payoffs,
    market_state,
    stakeholder_payoffs,
)
from tradetalks.errors import TradetalksError
from tradetalks.scenario.loader import LoadedScenario
from tradetalks.scenario.schema import Scenario


@dataclass(frozen=True)
class Model:
    """The computed building blocks: compiled scenario, issue groups and their payoff/utility tables."""

    cs: CompiledScenario
    groups: list[IssueGroup]
    payoffs: list[np.ndarray]  # per group (m_g, S) USD/yr relative to BATNA
    utilities: list[np.ndarray]  # per group (m_g, 2) weighted USD/yr


def build_model(loaded: LoadedScenario) -> Model:
    """Compile the scenario, merge coupled issues and value every compound option."""
    scn = loaded.scenario
    cs = compile_scenario(scn, loaded.facts)
    n = len(cs.issues)
    markets = [issue_markets(cs, i) for i in range(n)]
    links = [(a, b) for a in range(n) for b in range(a + 1, n) if markets[a] & markets[b]]
    groups = group_issues([len(o) for o in cs.issues], list(cs.batna), links, _constraints(scn))
    payoffs = [_group_payoffs(cs, g) for g in groups]
    utilities = [p @ cs.weight_matrix for p in payoffs]
    return Model(cs=cs, groups=groups, payoffs=payoffs, utilities=utilities)


def _group_payoffs(cs: CompiledScenario, g: IssueGroup) -> np.ndarray:
    """Payoffs (m_g, S) in USD/yr against the BATNA of every compound option (row of ``g.combos``).

    Row by row what :func:`~tradetalks.econ.valuation.stakeholder_payoffs` gives (the same operations in the same
    order, so the same numbers), with what no row changes done once: the direct payoffs relative to the BATNA, the
    BATNA's market payoffs, and the lever settings of the issues outside the group (at their BATNA options). Each
    market gets only the settings of its own levers, in scenario order: :func:`~tradetalks.econ.valuation.
    market_state` skips the others anyway.
    """
    issues = list(g.issues)
    n_st = len(cs.stakeholders)
    rows = g.combos.tolist()
    direct = {i: [op.direct - cs.issues[i][cs.batna[i]].direct for op in cs.issues[i]] for i in issues}
    markets = sorted(set().union(*(issue_markets(cs, i) for i in issues))) if issues else []
    out = np.empty((len(rows), n_st))
    batna_settings = [s for i, b in enumerate(cs.batna) for s in cs.issues[i][b].settings]
    batna_pay = [market_payoffs(cs, m, market_state(cs, m, batna_settings)) for m in markets]
    pos = {i: k for k, i in enumerate(issues)}

    def own(settings: tuple[tuple[int, float], ...], m: int) -> list[tuple[int, float]]:
        return [s for s in settings if cs.levers[s[0]].market == m]

    # per market, issue by issue (scenario order): the own settings of each option of a member issue (picked by the
    # row's option, at position k of the row), or of the BATNA option of an issue outside the group (k = -1);
    # issues that set none of the market's levers are left out
    slots: list[list[tuple[int, list[list[tuple[int, float]]]]]] = [
        [slot for slot in ((pos[i], [own(op.settings, m) for op in cs.issues[i]]) if i in pos
                           else (-1, [own(cs.issues[i][b].settings, m)]) for i, b in enumerate(cs.batna))
         if any(slot[1])] for m in markets]
    for r, row in enumerate(rows):
        acc = np.zeros(n_st)
        for i, c in zip(issues, row, strict=True):
            acc += direct[i][c]
        for m, bp, market_slots in zip(markets, batna_pay, slots, strict=True):
            settings = [s for k, options in market_slots for s in options[row[k] if k >= 0 else 0]]
            acc += market_payoffs(cs, m, market_state(cs, m, settings))
            acc -= bp
        out[r] = acc
    return out


def package_choice(model: Model, package: Mapping[str, str]) -> list[int]:
    """Option index of every issue for a package given as {issue id: option id} (missing issues at the BATNA)."""
    cs = model.cs
    out = []
    for i, iid in enumerate(cs.issue_ids):
        ids = [op.id for op in cs.issues[i]]
        opt = package.get(iid, ids[cs.batna[i]])
        if opt not in ids:
            raise TradetalksError(f"issue {iid!r} has no option {opt!r}.", fix=f"use one of {ids}")
        out.append(ids.index(opt))
    unknown = sorted(set(package) - set(cs.issue_ids))
    if unknown:
        raise TradetalksError(f"unknown issue(s) {', '.join(unknown)} in the package.",
                              fix=f"use issue ids of the scenario: {', '.join(cs.issue_ids)}")
    return out


def package_value(model: Model, package: Mapping[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Stakeholder payoffs (S,) and party utilities (2,) of a package, in USD/yr against the BATNA.

    Works for any package, including ones that break a scenario constraint (the real deal may).
    """
    choice = package_choice(model, package)
    pay = stakeholder_payoffs(model.cs, choice, list(range(len(choice))))
    return pay, pay @ model.cs.weight_matrix


def package_feasible(model: Model, package: Mapping[str, str]) -> bool:
    """Whether a package satisfies every constraint of the scenario."""
    choice = package_choice(model, package)
    return all(bool(((g.combos == [choice[i] for i in g.issues]).all(axis=1)).any()) for g in model.groups)


def _constraints(scn: Scenario) -> list[OptionConstraint]:
    idx = {iss.id: k for k, iss in enumerate(scn.issues)}
    opt = {iss.id: {op.id: j for j, op in enumerate(iss.options)} for iss in scn.issues}
    return [OptionConstraint(c.kind, idx[c.if_.issue], frozenset(opt[c.if_.issue][o] for o in c.if_.options),
                             idx[c.then.issue], frozenset(opt[c.then.issue][o] for o in c.then.options))
            for c in scn.constraints]


def decode_package(model: Model, choices: Sequence[int] | np.ndarray) -> dict[str, str]:
    """A package as {issue id: option id}, from one row index per compound issue (frontier/solution choices)."""
    out: dict[int, int] = {}
    for g, row in zip(model.groups, choices, strict=True):
        for i, o in zip(g.issues, g.combos[int(row)], strict=True):
            out[i] = int(o)
    cs = model.cs
    return {cs.issue_ids[i]: cs.issues[i][out[i]].id for i in sorted(out)}
