"""Checks of uncertain facts (``range``, ``dist``, ``spread_source``/``spread_assumption``, ``draw_with``).

Every check yields ``(path, message, fix)`` like :mod:`tradetalks.scenario.checks`, which calls
:func:`uncertainty_findings` and reports the findings with file and line. The rules are described in
``docs/scenario-format.md`` ("Uncertainty").
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from tradetalks.scenario.schema import Distribution, Fact, Scenario
from tradetalks.yamlfile import format_path

Finding = tuple[tuple[str | int, ...], str, str]

#: parameters each distribution kind reads (others are rejected so that a typo in the kind is caught)
DIST_PARAMETERS: dict[str, frozenset[str]] = {
    "uniform": frozenset(),
    "triangular": frozenset({"mode"}),
    "normal": frozenset({"mean", "sd"}),
    "lognormal": frozenset({"median", "sigma"}),
    "beta": frozenset({"a", "b"}),
}

#: (lower bound, strict?, upper bound, strict?) of the value a field may take; ``None`` for no bound
_FIELD_BOUNDS: dict[str, tuple[float | None, bool, float | None, bool]] = {
    "demand_elasticity": (None, False, 0.0, True),
    "armington_elasticity": (0.0, True, None, False),
    "supply_elasticity": (0.0, True, None, False),
    "value": (0.0, True, None, False),
    "tariff": (-1.0, True, None, False),
    "ntb": (-1.0, True, None, False),
    "weight": (0.0, False, None, False),
    "bargaining_power": (0.0, True, None, False),
    "discount_rate": (0.0, False, None, False),
    "quota": (0.0, False, 1.0, False),
    "votes": (0.0, False, None, False),
}


def support(fact: Fact) -> tuple[float, float]:
    """Smallest and largest value a draw of ``fact`` can take (``±inf`` for an untruncated normal/lognormal)."""
    if fact.range is not None:
        return float(fact.range[0]), float(fact.range[1])
    if fact.dist is not None and fact.dist.kind == "lognormal":
        return 0.0, math.inf
    if fact.dist is not None:
        return -math.inf, math.inf
    return fact.value, fact.value


def is_uncertain(fact: Fact) -> bool:
    """Whether the fact is drawn in a Monte Carlo run (it has a ``range`` or a ``dist``).

    A point range ``[v, v]`` equal to the value, with no ``dist``, says the figure is fixed by construction (it
    defines an option's size, not an estimate): it is not drawn.
    """
    if fact.dist is None and fact.range is not None and float(fact.range[0]) == float(fact.range[1]) == fact.value:
        return False
    return fact.range is not None or fact.dist is not None


def _check_range(fid: str, fact: Fact) -> Iterator[Finding]:
    if fact.range is None:
        return
    lo, hi = (float(x) for x in fact.range)
    path = ("facts", fid, "range")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        yield path, f"range [{lo}, {hi}] is not finite.", "give two finite numbers [low, high]"
    elif lo > hi:
        yield path, f"range [{lo}, {hi}] has low > high.", "write [low, high] with low < high"
    elif lo == hi and (lo != fact.value or fact.dist is not None):
        yield path, f"a point range [{lo}, {hi}] must equal the value ({fact.value}) and carry no `dist`.", \
            "write [value, value] to say the figure is fixed by construction, or give low < high to draw it"
    elif not lo <= fact.value <= hi:
        yield path, f"the point value {fact.value} lies outside its own range [{lo}, {hi}].", \
            "widen the range or correct `value` (the point estimate must be a possible draw)"


def _check_dist(fid: str, fact: Fact) -> Iterator[Finding]:
    dist: Distribution | None = fact.dist
    if dist is None:
        return
    path = ("facts", fid, "dist")
    given = {k for k in ("mode", "mean", "sd", "median", "sigma", "a", "b") if getattr(dist, k) is not None}
    allowed = DIST_PARAMETERS[dist.kind]
    for extra in sorted(given - allowed):
        yield (*path, extra), f"`{extra}` is not a parameter of a {dist.kind} distribution.", \
            f"remove it; a {dist.kind} distribution takes {', '.join(sorted(allowed)) or 'no parameters'}" \
            f"{' and' if allowed else ','} the fact's `range`"
    rng = fact.range
    ok_range = rng is not None and float(rng[0]) < float(rng[1])
    if dist.kind in ("uniform", "triangular", "beta") and rng is None:
        yield path, f"a {dist.kind} distribution needs the fact's `range` [low, high].", \
            "add `range: [low, high]` to the fact"
    if dist.kind == "triangular" and ok_range and rng is not None:
        mode = fact.value if dist.mode is None else float(dist.mode)
        if not float(rng[0]) <= mode <= float(rng[1]):
            yield (*path, "mode"), f"mode {mode} lies outside the range [{rng[0]}, {rng[1]}].", \
                "put the mode inside the range (it defaults to the fact's value)"
    if dist.kind == "normal":
        if dist.sd is None or not (math.isfinite(dist.sd) and dist.sd > 0):
            yield (*path, "sd"), f"a normal distribution needs a standard deviation `sd` > 0; got {dist.sd}.", \
                "give `sd` in the fact's unit"
        if dist.mean is not None and not math.isfinite(dist.mean):
            yield (*path, "mean"), f"mean {dist.mean} is not finite.", "give a finite mean or omit it (the value)"
    if dist.kind == "lognormal":
        if dist.sigma is None or not (math.isfinite(dist.sigma) and dist.sigma > 0):
            yield (*path, "sigma"), "a lognormal distribution needs `sigma` > 0 (the standard deviation of the " \
                f"log); got {dist.sigma}.", "give e.g. sigma: 0.3 (a factor of about 1.35 either way)"
        median = fact.value if dist.median is None else float(dist.median)
        if not median > 0:
            yield (*path, "median"), f"a lognormal distribution needs a positive median; got {median}" \
                f"{' (the fact value)' if dist.median is None else ''}.", \
                "use `normal` for a quantity that can be ≤ 0, or write the fact with its sign in the formula"
        if ok_range and rng is not None and float(rng[1]) <= 0:
            yield ("facts", fid, "range"), f"range [{rng[0]}, {rng[1]}] lies where a lognormal has no mass.", \
                "use a positive range or another kind"
    if dist.kind == "beta":
        for name in ("a", "b"):
            v = getattr(dist, name)
            if v is None or not (math.isfinite(v) and v > 0):
                yield (*path, name), f"a beta distribution needs shape `{name}` > 0; got {v}.", \
                    "give both shapes, e.g. a: 2, b: 2 for a hump in the middle of the range"


def _check_spread_provenance(fid: str, fact: Fact) -> Iterator[Finding]:
    path = ("facts", fid)
    has_spread = fact.range is not None or fact.dist is not None  # a point range still says why it is fixed
    n_notes = (fact.spread_source is not None) + (fact.spread_assumption is not None)
    if has_spread and n_notes != 1:
        yield path, "an uncertain fact (with `range` or `dist`) needs exactly one of `spread_source` or " \
            f"`spread_assumption`; got {n_notes}.", \
            "say where the spread comes from (`spread_source`: publication and date) or why it is this wide " \
            "(`spread_assumption`)"
    if not has_spread and n_notes:
        yield path, "`spread_source`/`spread_assumption` given but the fact has no `range` or `dist`.", \
            "add a `range` (or `dist`), or remove the spread note"
    if not has_spread and fact.draw_with is not None:
        yield (*path, "draw_with"), f"fact is in draw_with group {fact.draw_with!r} but has no `range` or `dist`, " \
            "so there is nothing to draw.", "give it a range or remove `draw_with`"


def _check_groups(scn: Scenario) -> Iterator[Finding]:
    groups: dict[str, list[str]] = defaultdict(list)
    for fid, fact in scn.facts.items():
        if fact.draw_with is not None and is_uncertain(fact):
            groups[fact.draw_with].append(fid)
    for gid, members in groups.items():
        if gid in scn.facts and gid not in members:
            yield ("facts", members[0], "draw_with"), f"draw_with group {gid!r} is the id of fact {gid!r}, which " \
                "is not in the group (it has no `range`/`dist` or no `draw_with`).", \
                f"give fact {gid!r} a range and `draw_with: {gid}`, or name the group differently"
        elif len(members) == 1:
            yield ("facts", members[0], "draw_with"), f"draw_with group {gid!r} has only this fact, so nothing " \
                "is drawn with it (a typo in the group name?).", \
                "give every fact of the group the same `draw_with` name, or remove it"


def _field_uses(scn: Scenario) -> Iterator[tuple[tuple[str | int, ...], str, Any]]:
    """(path, field name, quantity) of every field with a sign rule (see ``_FIELD_BOUNDS``)."""
    from tradetalks.scenario.checks import quantities

    for path, q in quantities(scn):
        name = next((p for p in reversed(path) if isinstance(p, str) and p in _FIELD_BOUNDS), None)
        if name is not None and path[-1] == name:
            yield path, name, q
        elif len(path) >= 2 and path[-2] == "set":  # lever rates are tariffs/NTBs
            yield path, "tariff", q


def _check_supports(scn: Scenario) -> Iterator[Finding]:
    """A fact drawn straight into a field (``demand_elasticity: eps``) must not draw values the field forbids."""
    for path, name, q in _field_uses(scn):
        if not isinstance(q, str) or q.strip() not in scn.facts:
            continue  # expressions: their bounds depend on several facts; the draw itself is checked by the model
        fid = q.strip()
        fact = scn.facts[fid]
        if not is_uncertain(fact):
            continue
        lo, hi = support(fact)
        blo, lo_strict, bhi, hi_strict = _FIELD_BOUNDS[name]
        open_lo = fact.range is None and fact.dist is not None and fact.dist.kind == "lognormal"  # never draws 0
        bad_lo = blo is not None and (lo < blo or (lo_strict and lo == blo and not open_lo))
        bad_hi = bhi is not None and (hi > bhi or (hi_strict and hi == bhi))
        if bad_lo or bad_hi:
            rule = " and ".join(s for s in (
                None if blo is None else f"{'>' if lo_strict else '≥'} {blo:g}",
                None if bhi is None else f"{'<' if hi_strict else '≤'} {bhi:g}") if s)
            yield ("facts", fid, "range" if fact.range is not None else "dist"), \
                f"fact {fid!r} feeds `{format_path(path)}`, which must be {rule}, but its " \
                f"distribution reaches [{lo:g}, {hi:g}].", \
                "narrow or truncate it with a `range` inside the allowed values" \
                + (" (or use lognormal for a positive quantity)" if blo == 0.0 else "")


def uncertainty_findings(scn: Scenario, values: Mapping[str, float] | None = None) -> list[Finding]:
    """Every problem with the uncertain facts of a structurally valid scenario (all of them, none stops)."""
    out: list[Finding] = []
    for fid, fact in scn.facts.items():
        out.extend(_check_range(fid, fact))
        out.extend(_check_dist(fid, fact))
        out.extend(_check_spread_provenance(fid, fact))
    out.extend(_check_groups(scn))
    out.extend(_check_supports(scn))
    return out
