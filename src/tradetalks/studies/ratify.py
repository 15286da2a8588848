"""Two-level games on a scenario: win-sets, their overlap, the agreement under ratification, "what would it take".

Each party's domestic ratifiers (``parties[].ratification`` in the scenario) value a package by the stakeholder
payoffs they care about; a package is ratifiable by a party when its rule is met (every veto player accepts and the
accepting others hold the quota). :func:`ratify` reports, per party, the rule, whether its win-set is empty, its
size, and the best ratifiable package for each side; the overlap of the two win-sets; the predicted agreement
(Nash with the scenario's bargaining powers, and the asymmetric Nash solution with Rubinstein bargaining powers
from the parties' discount rates) with and without ratification, and how the narrower win-set shifts it (Putnam's
"Schelling conjecture"); and, for given packages (the unconstrained Nash solution, the observed deal, a package of
the caller's), which ratifiers reject it and the smallest threshold or weight change that would win each over.

Example
-------
>>> from tradetalks.scenario import load_scenario
>>> r = ratify(load_scenario("tests/data/toy.yaml"))
>>> [p.nonempty for p in r.parties], r.overlap.nonempty
([True, True], False)
>>> r.checks[0].label, [v.id for p in r.checks[0].parties for v in p.ratifiers if not v.accepts]
('nash (unconstrained)', ['a_parliament'])

References
----------
Putnam, R. D. (1988). Diplomacy and domestic politics: the logic of two-level games. *International Organization*
42(3), 427-460. https://doi.org/10.1017/S0020818300027697

Binmore, K., Rubinstein, A. and Wolinsky, A. (1986). The Nash bargaining solution in economic modelling. *RAND
Journal of Economics* 17(2), 176-188. https://doi.org/10.2307/2555382
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tradetalks.bargain import solutions as sol
from tradetalks.bargain.concession import PartyConcession, what_would_it_take
from tradetalks.bargain.frontier import Frontier, pareto_frontier
from tradetalks.bargain.ratification import (
    DEFAULT_N_SAMPLES,
    CountMethod,
    PackageCount,
    RatificationRule,
    RatifiedPackage,
    best_ratifiable,
    constrained_frontier,
    constrained_nash,
    count_winsets,
    ratifiable,
    ratifier_tables,
)
from tradetalks.bargain.timing import rubinstein_powers
from tradetalks.jsonable import jsonable, plain
from tradetalks.model import Model, build_model, decode_package, package_value
from tradetalks.options import AgreementName, CheckLabel, RatifierKind
from tradetalks.scenario.expressions import evaluate
from tradetalks.scenario.loader import LoadedScenario
from tradetalks.studies.notebook_view import NotebookView

__all__ = ["DEFAULT_SEED", "AgreementName", "CheckLabel", "RatificationResult", "ratify"]


#: seed of the win-set size estimates (sampled when the package space is large)
DEFAULT_SEED = 20250424


@dataclass(frozen=True)
class SizeEstimate:
    """How many packages: ``count`` (exact or estimated), ``method`` ("exact"/"sampled"), 95 % interval if sampled."""

    count: int
    method: CountMethod
    ci95: list[int] | None
    n_samples: int | None
    total: int
    share: float


@dataclass(frozen=True)
class PackageView:
    """A package (issue → option) and both parties' utilities (USD/yr, weighted, against the BATNA)."""

    package: dict[str, str]
    utilities: dict[str, float]


@dataclass(frozen=True)
class RatifierInfo:
    id: str
    name: str
    kind: RatifierKind
    veto: bool
    votes: float
    threshold: float
    cares_about: dict[str, float]


@dataclass(frozen=True)
class PartyWinSet:
    """One party's ratification rule and win-set.

    ``best_for_self``/``best_for_other``: the ratifiable package best for this party / for the other party (the
    edge of what this party's ratifiers let its negotiator concede). Without ratifiers every package is in the
    win-set and these are the unconstrained extremes.
    """

    party: str
    has_ratifiers: bool
    rule: str
    quota: float | None
    ratifiers: list[RatifierInfo]
    nonempty: bool
    size: SizeEstimate
    best_for_self: PackageView | None
    best_for_other: PackageView | None


@dataclass(frozen=True)
class Overlap:
    """The packages both parties can ratify, and those of them better than the BATNA for both."""

    nonempty: bool
    size: SizeEstimate
    zopa_nonempty: bool
    zopa_size: SizeEstimate
    frontier: list[list[float]] | None = None


@dataclass(frozen=True)
class Agreement:
    """A predicted agreement with and without ratification constraints.

    ``shift``: ratified minus unconstrained utility per party; ``gain_shares``: each party's share of the joint
    gain over the BATNA without (``"unconstrained"``) and with (``"ratified"``) ratification — Putnam's conjecture
    is that the side with the narrower win-set gets the larger share; ``changes``: issues whose option differs;
    ``unconstrained_ratifiable``: per party, whether the unconstrained prediction meets its rule.
    """

    solution: AgreementName
    powers: dict[str, float]
    unconstrained: PackageView | None
    ratified: PackageView | None
    shift: dict[str, float] | None
    gain_shares: dict[str, dict[str, float]] | None
    changes: list[dict[str, str]]
    unconstrained_ratifiable: dict[str, bool]


@dataclass(frozen=True)
class RatifierVerdict:
    """One ratifier's verdict on a package and, if it rejects, the smallest change that wins it over."""

    id: str
    name: str
    veto: bool
    value: float
    threshold: float
    accepts: bool
    shortfall: float | None = None
    threshold_change: float | None = None
    weight_change: dict[str, Any] | None = None
    weight_changes: list[dict[str, Any]] = field(default_factory=list)
    alone_suffices: bool | None = None


@dataclass(frozen=True)
class PartyVerdict:
    party: str
    ratifiable: bool
    ratifiers: list[RatifierVerdict]
    cheapest_flip: list[str]
    cheapest_cost: float


@dataclass(frozen=True)
class PackageCheck:
    """A package held against both parties' rules: who rejects it and what it would take."""

    label: CheckLabel
    package: dict[str, str]
    utilities: dict[str, float]
    ratifiable: bool
    parties: list[PartyVerdict]


@dataclass(frozen=True)
class RatificationResult(NotebookView):
    """Everything :func:`ratify` computed. Utilities and ratifier values in USD a year against the BATNA."""

    scenario: str
    has_ratifiers: bool
    parties: list[PartyWinSet]
    overlap: Overlap
    agreements: list[Agreement]
    checks: list[PackageCheck]
    #: the party whose win-set holds the smaller share of all packages (None when equal)
    narrower_winset: str | None
    notes: list[str]
    seed: int
    units: dict[str, str] = field(default_factory=lambda: {
        "utilities": "USD/yr, weighted by political weights, relative to the BATNA",
        "ratifier values": "USD/yr, weighted by each ratifier's cares_about, relative to the BATNA"})

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (floats rounded to 6 significant digits, as in results.json)."""
        return dict(jsonable(plain(self)))

    def __repr__(self) -> str:
        lines = [f"RatificationResult({self.scenario!r}: ratifiers {'yes' if self.has_ratifiers else 'none'})"]
        for p in self.parties:
            lines.append(f"  {p.party}: win-set {'non-empty' if p.nonempty else 'EMPTY'}, {p.size.count:,} of "
                         f"{p.size.total:,} packages ({p.size.method}); rule: {p.rule}")
        lines.append(f"  overlap: {'non-empty' if self.overlap.nonempty else 'EMPTY'}, better than the BATNA for "
                     f"both: {self.overlap.zopa_size.count:,} ({self.overlap.zopa_size.method})")
        for a in self.agreements:
            lines.append(f"  {a.solution}: unconstrained {a.unconstrained.utilities if a.unconstrained else None}, "
                         f"ratified {a.ratified.utilities if a.ratified else None}")
        for c in self.checks:
            rej = [v.id for pv in c.parties for v in pv.ratifiers if not v.accepts]
            lines.append(f"  {c.label}: {'ratifiable' if c.ratifiable else 'rejected by ' + ', '.join(rej)}")
        return "\n".join(lines)


@dataclass(frozen=True)
class _PartyRule:
    """A party's rule as arrays plus what is needed to name things."""

    rule: RatificationRule
    cares: np.ndarray  # (S, R)
    info: list[RatifierInfo]


def _party_rules(loaded: LoadedScenario, model: Model) -> list[_PartyRule | None]:
    cs, facts = model.cs, loaded.facts
    out: list[_PartyRule | None] = []
    for party in loaded.scenario.parties:
        rat = party.ratification
        if rat is None:
            out.append(None)
            continue
        cares = np.zeros((len(cs.stakeholders), len(rat.ratifiers)))
        for j, r in enumerate(rat.ratifiers):
            for sid, w in r.cares_about.items():
                cares[cs.stakeholders.index(sid), j] = evaluate(w, facts)
        thresholds = np.array([evaluate(r.threshold, facts) for r in rat.ratifiers])
        votes = np.array([evaluate(r.votes, facts) for r in rat.ratifiers])
        rule = RatificationRule(tables=tuple(ratifier_tables(model.payoffs, cares)), thresholds=thresholds,
                                veto=np.array([r.veto for r in rat.ratifiers], dtype=bool), votes=votes,
                                quota=evaluate(rat.quota, facts))
        info = [RatifierInfo(id=r.id, name=r.name, kind=r.kind, veto=r.veto, votes=float(votes[j]),
                             threshold=float(thresholds[j]),
                             cares_about={s: float(cares[cs.stakeholders.index(s), j]) for s in r.cares_about})
                for j, r in enumerate(rat.ratifiers)]
        out.append(_PartyRule(rule=rule, cares=cares, info=info))
    return out


def _rule_text(pr: _PartyRule | None) -> str:
    if pr is None:
        return "no ratifiers: every package is ratifiable"
    veto = [i.id for i in pr.info if i.veto]
    others = [i.id for i in pr.info if not i.veto]
    parts = [f"{', '.join(veto)} must accept"] if veto else []
    if others and float(pr.rule.votes[~pr.rule.veto].sum()) > 0:
        parts.append(f"accepting ratifiers among {', '.join(others)} hold at least {pr.rule.quota:.0%} of their "
                     "votes")
    return "; ".join(parts) if parts else "no binding ratifier"


def _size(c: PackageCount, known_nonempty: bool) -> SizeEstimate:
    count = max(c.count, 1) if known_nonempty and c.method == "sampled" else c.count
    ci = None if c.ci95 is None else [max(c.ci95[0], 1 if known_nonempty else 0), c.ci95[1]]
    return SizeEstimate(count=int(count), method=c.method, ci95=ci, n_samples=c.n_samples, total=int(c.total),
                        share=count / c.total)


def _view(model: Model, pkg: RatifiedPackage | sol.Solution | None) -> PackageView | None:
    if pkg is None:
        return None
    cs = model.cs
    return PackageView(package=decode_package(model, pkg.choices),
                       utilities={cs.parties[0]: float(pkg.utilities[0]), cs.parties[1]: float(pkg.utilities[1])})


def _party_winset(model: Model, p: int, pr: _PartyRule | None, size: PackageCount,
                  front: Frontier) -> PartyWinSet:
    rules: list[RatificationRule | None] = [None, None]
    rules[p] = None if pr is None else pr.rule
    own = best_ratifiable(model.utilities, rules, p, frontier=front)
    other = best_ratifiable(model.utilities, rules, 1 - p, frontier=front)
    return PartyWinSet(party=model.cs.parties[p], has_ratifiers=pr is not None, rule=_rule_text(pr),
                       quota=None if pr is None else pr.rule.quota, ratifiers=[] if pr is None else pr.info,
                       nonempty=own is not None, size=_size(size, own is not None),
                       best_for_self=_view(model, own), best_for_other=_view(model, other))


def _powers(loaded: LoadedScenario, model: Model) -> tuple[dict[AgreementName, tuple[float, float]], list[str]]:
    cs = model.cs
    out: dict[AgreementName, tuple[float, float]] = {
        "nash": (float(cs.bargaining_powers[0]), float(cs.bargaining_powers[1]))}
    rates = [p.discount_rate for p in loaded.scenario.parties]
    if any(r is None for r in rates):
        return out, ["No asymmetric Nash solution with Rubinstein powers: a party has no `discount_rate`."]
    r0, r1 = (evaluate(r, loaded.facts) for r in rates if r is not None)
    powers = rubinstein_powers(r0, r1)
    if min(powers) <= 0:
        return out, [f"Rubinstein powers {powers} give one side everything (a zero discount rate); not solved."]
    out["nash_rubinstein"] = powers
    return out, []


def _agreement(model: Model, name: AgreementName, powers: tuple[float, float], rules: list[RatificationRule | None],
               front: Frontier) -> Agreement:
    cs = model.cs
    free = sol.nash(front, np.zeros(2), powers=powers)
    tied = constrained_nash(model.utilities, rules, np.zeros(2), powers, frontier=front)
    a, b = _view(model, free), _view(model, tied)
    shift = None if a is None or b is None else {k: b.utilities[k] - a.utilities[k] for k in a.utilities}
    changes = [] if a is None or b is None else [
        {"issue": i, "from_option": a.package[i], "to_option": b.package[i]} for i in a.package
        if a.package[i] != b.package[i]]
    ok = {} if free is None else {cs.parties[p]: bool(r is None or ratifiable([r], free.choices)[0])
                                  for p, r in enumerate(rules)}
    shares = None if a is None or b is None else {"unconstrained": _shares(a), "ratified": _shares(b)}
    return Agreement(solution=name, powers={cs.parties[0]: powers[0], cs.parties[1]: powers[1]}, unconstrained=a,
                     ratified=b, shift=shift, gain_shares=shares, changes=changes, unconstrained_ratifiable=ok)


def _shares(v: PackageView) -> dict[str, float]:
    total = sum(v.utilities.values())
    return {k: u / total for k, u in v.utilities.items()}


def _verdicts(pr: _PartyRule, c: PartyConcession, stakeholders: tuple[str, ...]) -> list[RatifierVerdict]:
    rej = {r.ratifier: r for r in c.rejecting}
    out = []
    for j, info in enumerate(pr.info):
        verdict = RatifierVerdict(id=info.id, name=info.name, veto=info.veto, value=float(c.values[j]),
                                  threshold=info.threshold, accepts=j not in rej)
        r = rej.get(j)
        if r is not None:
            changes = [{"stakeholder": stakeholders[w.stakeholder], "change": w.change, "new_weight": w.new_weight,
                        "needs_negative_weight": w.needs_negative_weight} for w in r.weight_changes]
            best = r.smallest_weight_change
            verdict = dataclasses.replace(
                verdict, shortfall=r.shortfall, threshold_change=r.threshold_change, weight_changes=changes,
                weight_change=None if best is None else changes[r.weight_changes.index(best)],
                alone_suffices=r.alone_suffices)
        out.append(verdict)
    return out


def _check(model: Model, label: CheckLabel, package: Mapping[str, str], prs: list[_PartyRule | None]) -> PackageCheck:
    cs = model.cs
    pay, util = package_value(model, package)
    parties = []
    for p, pr in enumerate(prs):
        if pr is None:
            parties.append(PartyVerdict(party=cs.parties[p], ratifiable=True, ratifiers=[], cheapest_flip=[],
                                        cheapest_cost=0.0))
            continue
        c = what_would_it_take(pay, pr.cares, pr.rule)
        parties.append(PartyVerdict(party=cs.parties[p], ratifiable=c.ratifiable,
                                    ratifiers=_verdicts(pr, c, cs.stakeholders),
                                    cheapest_flip=[pr.info[j].id for j in c.cheapest_flip],
                                    cheapest_cost=c.cheapest_cost))
    full = {iid: package.get(iid, cs.issues[i][cs.batna[i]].id) for i, iid in enumerate(cs.issue_ids)}
    return PackageCheck(label=label, package=full, utilities={cs.parties[0]: float(util[0]),
                                                              cs.parties[1]: float(util[1])},
                        ratifiable=all(v.ratifiable for v in parties), parties=parties)


def _narrower(parties: list[PartyWinSet]) -> str | None:
    a, b = parties[0].size.share, parties[1].size.share
    return None if a == b else (parties[0].party if a < b else parties[1].party)


def _putnam_note(narrow: str | None, agreements: list[Agreement]) -> list[str]:
    a = next((x for x in agreements if x.ratified is not None), None)
    if a is None:
        return ["No package both sides can ratify is better than the BATNA for both: no agreement is predicted."]
    if not a.changes or a.gain_shares is None or a.shift is None:
        return [f"Ratification does not move the {a.solution} agreement."]
    moves = ", ".join(f"{k} {v:+,.3g}" for k, v in a.shift.items())
    text = f"Ratification moves the {a.solution} agreement ({len(a.changes)} issue(s) change; USD/yr: {moves})."
    if narrow is not None:
        before, after = a.gain_shares["unconstrained"][narrow], a.gain_shares["ratified"][narrow]
        verdict = "as Putnam's conjecture predicts" if after > before else "contrary to Putnam's conjecture"
        text += (f" {narrow} has the narrower win-set; its share of the joint gain goes from {before:.1%} to "
                 f"{after:.1%} ({(after - before) * 100:+.2f} pp), {verdict}.")
    return [text]


def ratify(loaded: LoadedScenario, model: Model | None = None, package: Mapping[str, str] | None = None, *,
           seed: int = DEFAULT_SEED, n_samples: int = DEFAULT_N_SAMPLES, frontier: bool = False) -> RatificationResult:
    """Two-level-game analysis of a scenario (see the module docstring).

    Parameters
    ----------
    loaded
        From :func:`tradetalks.scenario.load_scenario`.
    model
        :func:`tradetalks.model.build_model` of ``loaded`` if already built.
    package
        Optional extra package (issue → option; missing issues at their BATNA) to check against the rules.
    seed, n_samples
        Win-set sizes are exact up to 2,000,000 packages, otherwise estimated from ``n_samples`` seeded draws.
    frontier
        Also sweep the whole Pareto frontier of the overlap above the BATNA (one MILP per point where the
        unconstrained frontier is not ratifiable; slower).
    """
    model = model or build_model(loaded)
    prs = _party_rules(loaded, model)
    rules = [None if pr is None else pr.rule for pr in prs]
    front = pareto_frontier(model.utilities)
    counts = count_winsets(model.utilities, rules, np.zeros(2), rng=np.random.default_rng(seed), n_samples=n_samples)
    parties = [_party_winset(model, p, prs[p], counts.party[p], front) for p in (0, 1)]
    both = best_ratifiable(model.utilities, rules, 0, frontier=front)
    powers, notes = _powers(loaded, model)
    agreements = [_agreement(model, name, pw, rules, front) for name, pw in powers.items()]
    zopa_nonempty = any(a.ratified is not None for a in agreements)
    curve = constrained_frontier(model.utilities, rules, floor=np.zeros(2), frontier=front) if frontier else None
    overlap = Overlap(nonempty=both is not None, size=_size(counts.overlap, both is not None),
                      zopa_nonempty=zopa_nonempty, zopa_size=_size(counts.overlap_zopa, zopa_nonempty),
                      frontier=None if curve is None else curve.utilities.tolist())
    checks = _checks(loaded, model, prs, agreements, package)
    has = any(pr is not None for pr in prs)
    if not has:
        notes.insert(0, "This scenario has no ratifiers: every package is ratifiable, the win-sets are the whole "
                        "package space and the predictions equal the unconstrained ones.")
    narrow = _narrower(parties)
    return RatificationResult(scenario=loaded.scenario.id, has_ratifiers=has, parties=parties, overlap=overlap,
                              agreements=agreements, checks=checks, narrower_winset=narrow,
                              notes=notes + _putnam_note(narrow, agreements), seed=seed)


def _checks(loaded: LoadedScenario, model: Model, prs: list[_PartyRule | None], agreements: list[Agreement],
            package: Mapping[str, str] | None) -> list[PackageCheck]:
    todo: list[tuple[CheckLabel, Mapping[str, str]]] = []
    first = agreements[0].unconstrained if agreements else None
    if first is not None:
        todo.append(("nash (unconstrained)", first.package))
    if loaded.observed is not None:
        todo.append(("observed deal", {i: c.option for i, c in loaded.observed.package.items()}))
    if package is not None:
        todo.append(("given package", package))
    return [_check(model, label, pkg, prs) for label, pkg in todo]
