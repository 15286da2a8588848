"""Cross-reference and value checks of a structurally valid scenario; every problem is collected, none stops.

Each check yields ``(path, message, fix)``; :func:`check_scenario` turns them into :class:`~tradetalks.errors.Problem`
objects with the file and line of the offending field.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from tradetalks.errors import TradetalksError
from tradetalks.scenario import expressions
from tradetalks.scenario.bounds import BOUNDS, MAX_FACT_MAGNITUDE, kind_of
from tradetalks.scenario.schema import ObservedOutcome, Scenario
from tradetalks.scenario.uncertainty_checks import uncertainty_findings
from tradetalks.timebasis import flow_equivalent, lump_equivalent

Finding = tuple[tuple[str | int, ...], str, str]


def _duplicates(items: Iterable[tuple[tuple[str | int, ...], str]], what: str) -> Iterator[Finding]:
    items = list(items)
    counts = Counter(i for _, i in items)
    seen: set[str] = set()
    for path, ident in items:
        if counts[ident] > 1:
            if ident in seen:
                yield path, f"duplicate {what} id {ident!r} (used {counts[ident]} times).", \
                    f"give each {what} a unique id"
            seen.add(ident)


def quantities(scn: Scenario) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every quantity field of the scenario with its path."""
    for p, party in enumerate(scn.parties):
        yield ("parties", p, "bargaining_power"), party.bargaining_power
        if party.discount_rate is not None:
            yield ("parties", p, "discount_rate"), party.discount_rate
        for s, holder in enumerate(party.stakeholders):
            yield ("parties", p, "stakeholders", s, "weight"), holder.weight
        if party.ratification is not None:
            base = ("parties", p, "ratification")
            yield (*base, "quota"), party.ratification.quota
            for r, rat in enumerate(party.ratification.ratifiers):
                yield (*base, "ratifiers", r, "threshold"), rat.threshold
                yield (*base, "ratifiers", r, "votes"), rat.votes
                for sid, w in rat.cares_about.items():
                    yield (*base, "ratifiers", r, "cares_about", sid), w
    for m, mk in enumerate(scn.markets):
        yield ("markets", m, "demand_elasticity"), mk.demand_elasticity
        yield ("markets", m, "armington_elasticity"), mk.armington_elasticity
        for s, sp in enumerate(mk.suppliers):
            for name in ("value", "tariff", "ntb", "supply_elasticity"):
                val = getattr(sp, name)
                if val is not None:
                    yield ("markets", m, "suppliers", s, name), val
    for i, issue in enumerate(scn.issues):
        for o, opt in enumerate(issue.options):
            for lever, val in opt.set.items():
                yield ("issues", i, "options", o, "set", lever), val
            for st, val in opt.payoffs.items():
                yield ("issues", i, "options", o, "payoffs", st), val
    if scn.valuation is not None:
        val = scn.valuation
        yield ("valuation", "discount_rate"), val.discount_rate
        yield ("valuation", "horizon"), val.horizon
        if val.lever_duration is not None:
            yield ("valuation", "lever_duration"), val.lever_duration
        for mid, timing in val.markets.items():
            if timing.duration is not None:
                yield ("valuation", "markets", mid, "duration"), timing.duration
            yield ("valuation", "markets", mid, "probability"), timing.probability
        for r, rev in enumerate(val.revisions):
            yield ("valuation", "revisions", r, "value"), rev.value


def _check_facts(scn: Scenario) -> Iterator[Finding]:
    for fid, fact in scn.facts.items():
        if (fact.source is None) == (fact.assumption is None):
            yield ("facts", fid), "a fact needs exactly one of `source` or `assumption`.", \
                "give the publication and date in `source`, or explain the assumption in `assumption`"
        if not math.isfinite(fact.value):
            yield ("facts", fid, "value"), f"value {fact.value!r} is not finite.", "write a finite number"
        elif abs(fact.value) > MAX_FACT_MAGNITUDE:
            yield ("facts", fid, "value"), f"fact {fid!r} is {fact.value:.6g} {fact.unit}, beyond " \
                f"±{MAX_FACT_MAGNITUDE:g}: more than any figure in a trade negotiation (world GDP is about " \
                "1.1e14 USD a year).", \
                "check the exponent (2.5e9 is 2.5 billion) and the unit"


def _where(scn: Scenario, path: tuple[str | int, ...]) -> str:
    """The entity a field path belongs to, named by its ids (never by position): ``issue 'x', option 'y': ``."""
    out: list[str] = []
    try:
        if path[:1] == ("parties",):
            party = scn.parties[int(path[1])]
            out.append(f"party {party.id!r}")
            if path[2:3] == ("stakeholders",):
                out.append(f"stakeholder {party.stakeholders[int(path[3])].id!r}")
            elif path[2:4] == ("ratification", "ratifiers") and party.ratification is not None:
                out.append(f"ratifier {party.ratification.ratifiers[int(path[4])].id!r}")
        elif path[:1] == ("markets",):
            mk = scn.markets[int(path[1])]
            out.append(f"market {mk.id!r}")
            if path[2:3] == ("suppliers",):
                out.append(f"supplier {mk.suppliers[int(path[3])].id!r}")
        elif path[:1] == ("issues",):
            iss = scn.issues[int(path[1])]
            out.append(f"issue {iss.id!r}")
            if path[2:3] == ("options",):
                out.append(f"option {iss.options[int(path[3])].id!r}")
    except (IndexError, ValueError, TypeError):
        return ""
    return ", ".join(out) + ": " if out else ""


def _unknown(q: Any, values: Mapping[str, float]) -> bool:
    """Whether a quantity uses a fact whose value is unusable (not finite; it is reported where it is defined)."""
    return any(isinstance(values.get(n), float) and not math.isfinite(values[n]) for n in expressions.names_in(q))


def _time_functions(scn: Scenario, values: Mapping[str, float]) -> expressions.Functions | None:
    """``flow``/``lump`` on the scenario's time basis, to evaluate payoffs that call them (None without one)."""
    if scn.valuation is None:
        return None
    try:
        rate = expressions.evaluate(scn.valuation.discount_rate, values)
        horizon = expressions.evaluate(scn.valuation.horizon, values)
    except (expressions.ExpressionError, ZeroDivisionError):
        return None
    if not (rate >= 0 and horizon > 0):
        return None
    return {"flow": lambda amount, start, years: flow_equivalent(amount, rate, horizon, start, years),
            "lump": lambda amount, at: lump_equivalent(amount, rate, horizon, at)}


def _check_expressions(scn: Scenario, values: Mapping[str, float]) -> Iterator[Finding]:
    """Every quantity is well formed, names known facts, and evaluates to a finite number with these facts."""
    functions = _time_functions(scn, values)
    for path, q in quantities(scn):
        msg = expressions.check(q, values)
        if msg:
            yield path, msg + ".", "use a number or ids from `facts:` joined by + - * /"
            continue
        if _unknown(q, values):
            continue
        try:
            v = expressions.evaluate(q, values, functions)
        except ZeroDivisionError:
            yield path, f"{_where(scn, path)}{q!r} divides by zero with the facts' values.", \
                "check the facts in the denominator"
            continue
        except (expressions.ExpressionError, TradetalksError) as exc:
            yield path, f"{_where(scn, path)}{q!r} cannot be evaluated: {getattr(exc, 'message', exc)}", \
                "check the arguments of flow(amount, start, years) / lump(amount, at) and the valuation block"
            continue
        if not math.isfinite(v):
            used = ", ".join(f"{n} = {values[n]:.3g}" for n in sorted(expressions.names_in(q)) if n in values)
            shown = q if len(q) <= 80 else q[:77] + "..."
            yield path, f"{_where(scn, path)}`{shown}` evaluates to {v} (the arithmetic overflows" \
                + (f"; {used})." if used else ")."), \
                "check the facts' exponents and units: a quantity must be a finite number"


def _check_bounds(scn: Scenario, values: Mapping[str, float]) -> Iterator[Finding]:
    """Every quantity lies in the plausible range of its kind (:data:`~tradetalks.scenario.bounds.BOUNDS`)."""
    functions = _time_functions(scn, values)
    for path, q in quantities(scn):
        kind = kind_of(path)
        v = _value(q, values, functions)
        if kind is None or v is None or not math.isfinite(v):
            continue
        bound = BOUNDS[kind]
        if not bound.contains(v):
            yield path, f"{_where(scn, path)}{bound.name}{_OF.get(kind, '').format(path[-1])} must be " \
                f"{bound.describe()}; got {v:.6g}{_via(q)}.", bound.fix


_OF = {"set": " of lever {!r}", "payoffs": " to stakeholder {!r}", "cares_about": " on stakeholder {!r}"}


def _value(q: Any, values: Mapping[str, float], functions: expressions.Functions | None = None) -> float | None:
    """Value of a quantity, or ``None`` when it cannot be computed (reported by :func:`_check_expressions`)."""
    try:
        v = expressions.evaluate(q, values, functions)
    except (expressions.ExpressionError, ZeroDivisionError, TradetalksError):
        return None
    return None if math.isnan(v) else v


def _via(q: Any) -> str:
    """' (from `expr`)' when a value comes from facts, so the user knows which fact to fix."""
    return f" (from `{q}` in facts)" if isinstance(q, str) and expressions.names_in(q) else ""


def _check_parties(scn: Scenario, values: Mapping[str, float]) -> Iterator[Finding]:
    yield from _duplicates(((("parties", p, "id"), party.id) for p, party in enumerate(scn.parties)), "party")
    yield from _duplicates(((("parties", p, "stakeholders", s, "id"), st.id)
                            for p, party in enumerate(scn.parties) for s, st in enumerate(party.stakeholders)),
                           "stakeholder")
    for p, party in enumerate(scn.parties):
        dates = [d.since for d in party.delegations]
        if dates != sorted(dates):
            yield ("parties", p, "delegations"), "delegations are not in date order.", "sort them by `since`"


def _check_markets(scn: Scenario, values: Mapping[str, float], stakeholders: set[str]) -> Iterator[Finding]:
    parties = {p.id for p in scn.parties}
    yield from _duplicates(((("markets", m, "id"), mk.id) for m, mk in enumerate(scn.markets)), "market")
    for m, mk in enumerate(scn.markets):
        base = ("markets", m)
        if mk.importer not in parties:
            yield base + ("importer",), f"importer {mk.importer!r} is not a party.", \
                f"use one of {sorted(parties)}"
        yield from _duplicates(((base + ("suppliers", s, "id"), sp.id) for s, sp in enumerate(mk.suppliers)),
                               "supplier")
        for role in ("consumers", "treasury"):
            sid = getattr(mk, role)
            if sid is not None and sid not in stakeholders:
                yield base + (role,), f"unknown stakeholder {sid!r}.", f"use one of {sorted(stakeholders)}"
        if not any(not sp.domestic for sp in mk.suppliers):
            yield base + ("suppliers",), "a market needs at least one foreign supplier.", \
                "add the partner's exports (domestic: false)"
        for s, sp in enumerate(mk.suppliers):
            yield from _check_supplier(base + ("suppliers", s), sp, values, stakeholders)


def _check_supplier(path: tuple[str | int, ...], sp: Any, values: Mapping[str, float],
                    stakeholders: set[str]) -> Iterator[Finding]:
    for name in ("tariff", "ntb"):
        r = _value(getattr(sp, name), values)
        if r is not None and sp.domestic and r != 0:
            yield path + (name,), f"a domestic supplier pays no {name}; got {r}.", f"set {name}: 0 or remove it"
    if sp.stakeholder is not None and sp.stakeholder not in stakeholders:
        yield path + ("stakeholder",), f"unknown stakeholder {sp.stakeholder!r}.", \
            f"use one of {sorted(stakeholders)}"


def _check_levers(scn: Scenario) -> Iterator[Finding]:
    markets = {mk.id: mk for mk in scn.markets}
    yield from _duplicates(((("levers", i, "id"), lv.id) for i, lv in enumerate(scn.levers)), "lever")
    for i, lv in enumerate(scn.levers):
        mk = markets.get(lv.market)
        if mk is None:
            yield ("levers", i, "market"), f"unknown market {lv.market!r}.", f"use one of {sorted(markets)}"
            continue
        sups = {sp.id: sp for sp in mk.suppliers}
        for s, sid in enumerate(lv.suppliers):
            if sid not in sups:
                yield ("levers", i, "suppliers", s), f"market {mk.id!r} has no supplier {sid!r}.", \
                    f"use one of {sorted(sups)}"
            elif sups[sid].domestic:
                yield ("levers", i, "suppliers", s), f"supplier {sid!r} is domestic; tariffs and NTBs apply to " \
                    "imports only.", "name a foreign supplier"


def _check_issues(scn: Scenario, values: Mapping[str, float], stakeholders: set[str]) -> Iterator[Finding]:
    levers = {lv.id for lv in scn.levers}
    parties = {p.id for p in scn.parties}
    yield from _duplicates(((("issues", i, "id"), iss.id) for i, iss in enumerate(scn.issues)), "issue")
    owner: dict[str, str] = {}
    for i, iss in enumerate(scn.issues):
        base = ("issues", i)
        yield from _duplicates(((base + ("options", o, "id"), op.id) for o, op in enumerate(iss.options)), "option")
        if iss.batna not in {op.id for op in iss.options}:
            yield base + ("batna",), f"BATNA option {iss.batna!r} is not one of this issue's options.", \
                f"use one of {[op.id for op in iss.options]}"
        if iss.raised_by is not None and iss.raised_by not in parties:
            yield base + ("raised_by",), f"unknown party {iss.raised_by!r}.", f"use one of {sorted(parties)}"
        for o, op in enumerate(iss.options):
            for lever in op.set:
                path = base + ("options", o, "set", lever)
                if lever not in levers:
                    yield path, f"option sets unknown lever {lever!r}.", \
                        f"use one of {sorted(levers)} or declare it under `levers:`"
                elif owner.setdefault(lever, iss.id) != iss.id:
                    yield path, f"lever {lever!r} is already set by issue {owner[lever]!r}; a lever belongs to " \
                        "one issue.", "merge the two issues or declare a second lever"
            for st in op.payoffs:
                if st not in stakeholders:
                    yield base + ("options", o, "payoffs", st), f"unknown stakeholder {st!r}.", \
                        f"use one of {sorted(stakeholders)}"


def _check_option_set(path: tuple[str | int, ...], ref: Any, issues: Mapping[str, Any]) -> Iterator[Finding]:
    iss = issues.get(ref.issue)
    if iss is None:
        yield path + ("issue",), f"constraint names unknown issue {ref.issue!r}.", f"use one of {sorted(issues)}"
        return
    known = [op.id for op in iss.options]
    for k, oid in enumerate(ref.options):
        if oid not in known:
            yield path + ("options", k), f"issue {ref.issue!r} has no option {oid!r}.", f"use one of {known}"


def _check_constraints(scn: Scenario) -> Iterator[Finding]:
    issues = {iss.id: iss for iss in reversed(scn.issues)}  # a duplicated id means its first issue
    yield from _duplicates(((("constraints", c, "id"), con.id) for c, con in enumerate(scn.constraints)),
                           "constraint")
    for c, con in enumerate(scn.constraints):
        yield from _check_option_set(("constraints", c, "if"), con.if_, issues)
        yield from _check_option_set(("constraints", c, "then"), con.then, issues)
        if con.if_.issue == con.then.issue:
            yield ("constraints", c, "then", "issue"), "a constraint must link two different issues.", \
                "remove the option from the issue instead"
        elif con.if_.issue in issues and con.then.issue in issues:
            a, b = issues[con.if_.issue].batna, issues[con.then.issue].batna
            inside = b in con.then.options
            if a in con.if_.options and inside != (con.kind == "requires"):
                yield ("constraints", c), f"the no-deal options ({con.if_.issue}={a}, {con.then.issue}={b}) " \
                    "violate this constraint; the BATNA must be a feasible package.", \
                    "change the constraint or the issues' `batna` options"
    yield from _duplicates(((("linkage", g, "id"), grp.id) for g, grp in enumerate(scn.linkage)), "linkage group")
    for g, grp in enumerate(scn.linkage):
        for k, iid in enumerate(grp.issues):
            if iid not in issues:
                yield ("linkage", g, "issues", k), f"unknown issue {iid!r}.", f"use one of {sorted(issues)}"


def _check_ratification(scn: Scenario, values: Mapping[str, float], stakeholders: set[str]) -> Iterator[Finding]:
    all_ids = [((("parties", p, "ratification", "ratifiers", r, "id")), rat.id) for p, party in enumerate(scn.parties)
               if party.ratification for r, rat in enumerate(party.ratification.ratifiers)]
    yield from _duplicates(all_ids, "ratifier")
    for p, party in enumerate(scn.parties):
        if party.ratification is None:
            continue
        base = ("parties", p, "ratification")
        for r, rat in enumerate(party.ratification.ratifiers):
            for sid in rat.cares_about:
                if sid not in stakeholders:
                    yield (*base, "ratifiers", r, "cares_about", sid), f"ratifier {rat.id!r} names unknown " \
                        f"stakeholder {sid!r}.", f"use one of {sorted(stakeholders)}"


def _check_dynamics(scn: Scenario) -> Iterator[Finding]:
    dyn = scn.dynamics
    if dyn is None:
        return
    issues = {iss.id: iss for iss in reversed(scn.issues)}  # a duplicated id means its first issue
    for k, ch in enumerate(dyn.batna_path):
        path = ("dynamics", "batna_path", k)
        if ch.date < dyn.start:
            yield (*path, "date"), f"change on {ch.date} is before the start of talks ({dyn.start}).", \
                "fold it into the issue's `batna` option, or move `dynamics.start`"
        if ch.issue not in issues:
            yield (*path, "issue"), f"unknown issue {ch.issue!r}.", f"use one of {sorted(issues)}"
        elif ch.option not in [op.id for op in issues[ch.issue].options]:
            yield (*path, "option"), f"issue {ch.issue!r} has no option {ch.option!r}.", \
                f"use one of {[op.id for op in issues[ch.issue].options]}"
    for k, dl in enumerate(dyn.deadlines):
        if dl.date < dyn.start:
            yield ("dynamics", "deadlines", k, "date"), f"deadline {dl.date} is before the start of talks " \
                f"({dyn.start}).", "correct the date or `dynamics.start`"


def _check_timeline(scn: Scenario) -> Iterator[Finding]:
    issues = {iss.id: [op.id for op in iss.options] for iss in reversed(scn.issues)}
    for k, ev in enumerate(scn.timeline):
        for iid, oid in (ev.package or {}).items():
            path = ("timeline", k, "package", iid)
            if iid not in issues:
                yield path, f"unknown issue {iid!r}.", f"use one of {sorted(issues)}"
            elif oid not in issues[iid]:
                yield path, f"issue {iid!r} has no option {oid!r}.", f"use one of {issues[iid]}"


def scenario_findings(scn: Scenario, values: Mapping[str, float]) -> list[Finding]:
    """All cross-reference and value problems of a structurally valid scenario."""
    stakeholders = {st.id for p in scn.parties for st in p.stakeholders}
    out: list[Finding] = []
    for gen in (_check_facts(scn), _check_expressions(scn, values), _check_bounds(scn, values),
                _check_parties(scn, values),
                _check_markets(scn, values, stakeholders), _check_levers(scn),
                _check_issues(scn, values, stakeholders), _check_constraints(scn),
                _check_ratification(scn, values, stakeholders), _check_dynamics(scn), _check_timeline(scn),
                uncertainty_findings(scn, values)):
        out.extend(gen)
    return out


def observed_findings(obs: ObservedOutcome, scn: Scenario) -> list[Finding]:
    """Problems of an observed-outcome file against its scenario."""
    out: list[Finding] = []
    if obs.scenario != scn.id:
        out.append((("scenario",), f"this outcome is for scenario {obs.scenario!r}, not {scn.id!r}.",
                    f"set `scenario: {scn.id}` or pass the matching scenario"))
    issues = {iss.id: iss for iss in reversed(scn.issues)}  # a duplicated id means its first issue
    for iid, choice in obs.package.items():
        if iid not in issues:
            out.append((("package", iid), f"unknown issue {iid!r}.", f"use one of {sorted(issues)}"))
            continue
        known = [op.id for op in issues[iid].options]
        if choice.option not in known:
            out.append((("package", iid, "option"), f"issue {iid!r} has no option {choice.option!r}.",
                        f"use one of {known}"))
    missing = [iid for iid in issues if iid not in obs.package]
    if missing:
        out.append((("package",), f"the observed package does not settle issue(s) {', '.join(missing)}.",
                    "add an entry for each (use the issue's BATNA option if the deal left it unchanged)"))
    return out
