"""Replay the real timeline: at each dated event, the ZOPA, the predicted deal and what really stood.

The no-deal outcome moves with the date (``dynamics.batna_path``: a tariff pause ends, steel goes to 50 %), so
the disagreement point d(t) moves in utility space while the set of packages and the frontier stay the same
(utilities are always measured against the scenario's BATNA package). At each event date the replay computes
d(t), the ZOPA against d(t), the Nash solution from d(t), and the utilities of what had really been agreed by then
(``timeline[].package``, issues not yet settled at their no-deal option in force).

Facts follow the scenario's ``valuation.revisions`` (e.g. the legal risk of a tariff after a court ruling): each step
is valued with the facts as known on its date, so its utilities are measured against the scenario's BATNA package
under those facts (``facts_revised`` says which differ from the file; the user's ``--set`` overrides win).

Example
-------
>>> from tradetalks.scenario import load_scenario
>>> r = replay(load_scenario("tests/data/toy.yaml"))
>>> [s.date for s in r.steps]
['2025-01-01', '2025-03-01', '2025-06-30']
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from tradetalks.bargain import solutions as sol
from tradetalks.bargain.frontier import Frontier, pareto_frontier
from tradetalks.bargain.timing import batna_options_at
from tradetalks.bargain.zopa import zopa
from tradetalks.econ.valuation import revised_facts
from tradetalks.jsonable import jsonable
from tradetalks.model import Model, build_model, decode_package, package_value
from tradetalks.scenario.loader import LoadedScenario


@dataclass(frozen=True)
class ReplayStep:
    """The state of the negotiation on one date.

    Attributes
    ----------
    date, label, kind, source
        The event (or deadline / no-deal change) this step belongs to.
    batna_package
        Issue → no-deal option in force on the date.
    batna_utilities
        Party → utility of that no-deal package (USD/yr, weighted, against the scenario's BATNA).
    zopa_count, zopa_nonempty
        Packages strictly better than this date's no-deal outcome for both sides.
    nash_package, nash_utilities
        Nash solution with this date's no-deal outcome as disagreement point (``None`` if the ZOPA is empty).
    stood_package, stood_utilities
        What had really been agreed by the date (unsettled issues at their no-deal option) and its utilities.
    stood_is_agreement
        Whether any agreement had been reached by the date.
    facts_revised
        Facts whose value on the date differs from the file (``valuation.revisions``), fact → value.
    """

    date: str
    label: str
    kind: str
    source: str
    batna_package: dict[str, str]
    batna_utilities: dict[str, float]
    zopa_count: int | None
    zopa_nonempty: bool
    nash_package: dict[str, str] | None
    nash_utilities: dict[str, float] | None
    stood_package: dict[str, str]
    stood_utilities: dict[str, float]
    stood_is_agreement: bool
    facts_revised: dict[str, float] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class ReplayResult:
    scenario: str
    steps: list[ReplayStep]

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "steps": [jsonable(dataclasses.asdict(s)) for s in self.steps]}

    def __repr__(self) -> str:
        return f"ReplayResult(scenario={self.scenario!r}, steps={len(self.steps)})"


def _dates(loaded: LoadedScenario) -> list[tuple[dt.date, str, str, str]]:
    """(date, label, kind, source) of every timeline event, no-deal change, deadline and fact revision, by date."""
    scn = loaded.scenario
    out: list[tuple[dt.date, str, str, str]] = [(e.date, e.title, e.kind, e.source) for e in scn.timeline]
    if scn.dynamics is not None:
        out += [(c.date, f"no-deal change: {c.issue} → {c.option}", "batna_change", c.source)
                for c in scn.dynamics.batna_path]
        out += [(d.date, d.title, "deadline", d.source) for d in scn.dynamics.deadlines]
    if scn.valuation is not None:
        out += [(r.date, f"fact revised: {r.fact} → {r.value}", "fact_revision", r.source)
                for r in scn.valuation.revisions]
    seen: set[tuple[dt.date, str]] = set()
    unique: list[tuple[dt.date, str, str, str]] = []
    for row in sorted(out, key=lambda r: (r[0], r[1])):
        if (row[0], row[1]) not in seen:
            seen.add((row[0], row[1]))
            unique.append(row)
    return unique


def _stood(loaded: LoadedScenario, date: dt.date, no_deal: dict[str, str]) -> tuple[dict[str, str], bool]:
    agreed: dict[str, str] = {}
    for ev in sorted(loaded.scenario.timeline, key=lambda e: e.date):
        if ev.date <= date and ev.package:
            agreed.update(ev.package)
    return {i: agreed.get(i, o) for i, o in no_deal.items()}, bool(agreed)


def _step(model: Model, loaded: LoadedScenario, frontier: Frontier, row: tuple[dt.date, str, str, str],
          cache: dict[bytes, tuple[Any, Any]], facts_revised: dict[str, float] | None = None, *,
          counts: bool = True) -> ReplayStep:
    date, label, kind, source = row
    scn, cs = loaded.scenario, model.cs
    base = {iss.id: iss.batna for iss in scn.issues}
    changes = [(c.date, c.issue, c.option) for c in scn.dynamics.batna_path] if scn.dynamics else []
    no_deal = batna_options_at(base, changes, date)
    d = package_value(model, no_deal)[1]
    key = d.tobytes()
    if key not in cache:  # the disagreement point changes only on a no-deal change: count each ZOPA once
        found = zopa(model.utilities, d, frontier=frontier) if counts else None
        nonempty = bool(found.nonempty) if found is not None else bool((frontier.utilities > d).all(axis=1).any())
        cache[key] = ((None if found is None else int(found.count), nonempty),
                      sol.nash(frontier, d, powers=(float(cs.bargaining_powers[0]), float(cs.bargaining_powers[1]))))
    (count, nonempty), n = cache[key]
    stood, agreed = _stood(loaded, date, no_deal)
    pair = lambda u: {cs.parties[0]: float(u[0]), cs.parties[1]: float(u[1])}  # noqa: E731
    return ReplayStep(date=date.isoformat(), label=label, kind=kind, source=source, batna_package=no_deal,
                      batna_utilities=pair(d), zopa_count=count, zopa_nonempty=nonempty,
                      nash_package=None if n is None else decode_package(model, n.choices),
                      nash_utilities=None if n is None else pair(n.utilities),
                      stood_package=stood, stood_utilities=pair(package_value(model, stood)[1]),
                      stood_is_agreement=agreed, facts_revised=dict(facts_revised or {}))


def replay(loaded: LoadedScenario, model: Model | None = None, *, counts: bool = True) -> ReplayResult:
    """Replay every dated event of a scenario (timeline, no-deal changes, deadlines).

    With ``counts=False`` each date's ZOPA is only tested for emptiness (from the exact frontier) and
    ``zopa_count`` is ``None``: the exact counts cost about a tenth of a second per no-deal path, which the main
    ``analyze`` command does not spend (``tradetalks replay`` shows them).
    """
    model = model or build_model(loaded)
    # one model, frontier and ZOPA/Nash cache per set of facts in force (valuation.revisions)
    views: dict[tuple[tuple[str, float], ...], tuple[Model, Frontier, dict[bytes, tuple[Any, Any]]]] = {
        (): (model, pareto_frontier(model.utilities), {})}
    keep = set(loaded.overrides)
    steps = []
    for row in _dates(loaded):
        facts = revised_facts(loaded.scenario, loaded.facts, row[0], keep=keep)
        changed = {f: v for f, v in facts.items() if v != loaded.facts[f]}
        key = tuple(sorted(changed.items()))
        if key not in views:
            m = build_model(dataclasses.replace(loaded, facts=facts))
            views[key] = (m, pareto_frontier(m.utilities), {})
        m, frontier, cache = views[key]
        steps.append(_step(m, dataclasses.replace(loaded, facts=facts) if changed else loaded, frontier, row, cache,
                           changed, counts=counts))
    return ReplayResult(scenario=loaded.scenario.id, steps=steps)
