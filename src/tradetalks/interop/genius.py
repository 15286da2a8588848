r"""Export a scenario's outcome space and both parties' utilities as a GENIUS domain and profiles.

Researchers can then run their automated negotiation agents (GENIUS, or NegMAS's GENIUS loader) on the case.

**Issues.** GENIUS utilities are additive over issues; ours are additive over *compound* issues (coupled issues
merged, :mod:`tradetalks.bargain.packages`). So each compound issue becomes one GENIUS issue — named by its member
issue ids joined with ``+``, its values the feasible combinations (``issue=option; issue=option``), which also
keeps the scenario's constraints — and a single issue keeps its id and its option ids. Every GENIUS bid is then a
feasible package and every feasible package a bid.

**Utilities.** For party :math:`p` let :math:`c_g(o)` be the utility of option :math:`o` of compound issue
:math:`g` (USD a year, weighted, against the BATNA), :math:`\ell_g = \min_o c_g`, :math:`s_g = \max_o c_g - \ell_g`,
:math:`L = \sum_g \ell_g` and :math:`R = \sum_g s_g`. The profile has evaluations :math:`e_g(o) = (c_g(o) -
\ell_g)/s_g` (min-max normalised; 1 for every option when :math:`s_g = 0`) and weights :math:`w_g = s_g / R`, so the
GENIUS utility :math:`v = \sum_g w_g e_g` of a package with our utility :math:`u` is

.. math:: v = (u - L) / R, \qquad u = L + R\,v,

0 for the party's worst package and 1 for its best. ``offset`` :math:`L` and ``scale`` :math:`R` are written in a
comment of each profile and in the sidecar JSON. If :math:`R = 0` (the party is indifferent) the weights are
equal, :math:`v \equiv 1` and ``scale`` is 0. The **reservation value** is the BATNA's :math:`v`,
:math:`-L/R` (utilities are measured against the BATNA, so :math:`u = 0` there).

**Discounting.** GENIUS discounts as :math:`v\,\delta^t` with :math:`t \in [0, 1]` the normalised time of the
session (``AbstractUtilitySpace.discount``; a factor outside (0, 1) counts as 1). With an annual ``discount_rate``
:math:`r` and a horizon of :math:`H` days — from ``dynamics.start`` to the first hard deadline (else the last
deadline) — the session factor is :math:`\delta = e^{-rH/365.25}`; without a rate or a horizon it is 1. The sidecar
also gives the per-round factor :math:`e^{-r\,\text{round\_days}/365.25}` and the number of rounds. NegMAS's loader
reads the same ``discount_factor`` as a factor *per negotiation step* (:math:`v\,\delta^{k}` after :math:`k`
steps), so a session factor loaded there compounds once per step. ``discount="none"`` therefore writes
:math:`\delta = 1` in the profiles and leaves the factors to the sidecar, where each tool's user applies the one
that fits its clock. Note that GENIUS shrinks :math:`v` towards 0 (the worst package), not the gain over the BATNA
as Rubinstein's model does (:mod:`tradetalks.bargain.timing`); the reservation value is discounted alike, so whether
an agreement beats walking away at a given time is unchanged.

**Smaller domains.** ``issues=`` keeps some scenario issues open and holds the others at their BATNA option;
``coarsen=K`` keeps at most :math:`K` values per GENIUS issue: the BATNA, then values on the issue's own Pareto
frontier (for the two parties' utilities of that issue) in the order: best sum of the two utilities normalised to
the issue's ranges, best for party 0, best for party 1, then by that sum. Utilities are additive over GENIUS
issues, so a package with a dominated value on some issue is dominated by swapping that value; the values dropped
first are therefore those no efficient package uses. Offset, scale and reservation are those of the reduced space.
``max_outcomes`` refuses a domain larger than stated (:data:`NEGMAS_MAX_OUTCOMES` is the default of the CLI for a
reduced export).

References
----------
Lin, R., Kraus, S., Baarslag, T., Tykhonov, D., Hindriks, K. and Jonker, C. M. (2014). GENIUS: an integrated
environment for supporting the design of generic automated negotiators. *Computational Intelligence* 30(1),
48-70. https://doi.org/10.1111/j.1467-8640.2012.00463.x

Baarslag, T., Hindriks, K., Jonker, C., Kraus, S. and Lin, R. (2012). The first automated negotiating agents
competition (ANAC 2010). In *New Trends in Agent-Based Complex Automated Negotiations*, Springer, 113-135.
https://doi.org/10.1007/978-3-642-24696-8_7 (the discounted, time-normalised setting)

Example
-------
>>> import tempfile
>>> from tradetalks.scenario import load_scenario
>>> out = export_genius(load_scenario("tests/data/toy.yaml"), tempfile.mkdtemp())
>>> out.domain.name, sorted(out.profiles), out.n_outcomes
('toy_domain.xml', ['A', 'B'], 9)
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradetalks import __version__
from tradetalks.bargain.timing import DAYS_PER_YEAR
from tradetalks.errors import DataError, LimitError
from tradetalks.interop.genius_xml import GeniusIssue, domain_xml, genius_text, profile_xml, read_domain, read_profile
from tradetalks.model import Model, build_model
from tradetalks.options import GeniusDiscount
from tradetalks.outputs import write_atomic
from tradetalks.scenario.expressions import evaluate
from tradetalks.scenario.loader import LoadedScenario
from tradetalks.scenario.schema import Dynamics

__all__ = ["NEGMAS_MAX_OUTCOMES", "AdditiveProfile", "GeniusExport", "GeniusPart", "GeniusSpace", "GeniusTransform",
           "SessionDiscount", "additive_profile", "export_genius", "genius_issues", "read_genius", "select_outcomes",
           "session_discount"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: outcomes above which an export is not expected to negotiate out of the box in NegMAS: its standard agents
#: (AspirationNegotiator, Boulware, Conceder) enumerate and sort every outcome; 10^5 outcomes take seconds there
NEGMAS_MAX_OUTCOMES = 100_000


@dataclass(frozen=True, eq=False)
class AdditiveProfile:
    """One party's utilities as a GENIUS additive profile, with the affine map back to tradetalks utilities.

    Attributes
    ----------
    weights
        Shape ``(G,)``, summing to 1: issue weights :math:`w_g = s_g / R`.
    evaluations
        One array per compound issue, shape ``(m_g,)``, in [0, 1] with maximum 1: :math:`e_g`.
    offset, scale
        :math:`L` and :math:`R` (USD/yr): tradetalks utility ``u = offset + scale * v``.
    reservation
        GENIUS utility of the BATNA, :math:`(u_{BATNA} - L)/R` (1 if ``scale`` is 0).
    """

    weights: FloatArray
    evaluations: tuple[FloatArray, ...]
    offset: float
    scale: float
    reservation: float

    def to_utility(self, v: float) -> float:
        """tradetalks utility (USD/yr) of a package whose GENIUS utility is ``v``."""
        return self.offset + self.scale * v


def additive_profile(columns: Sequence[ArrayLike], batna_rows: Sequence[int]) -> AdditiveProfile:
    r"""Min-max normalise one party's utility tables into GENIUS weights and evaluations (module docstring).

    Parameters
    ----------
    columns
        One array per compound issue, shape ``(m_g,)``: the party's utility of each option (finite).
    batna_rows
        The BATNA's option on each compound issue.

    Examples
    --------
    >>> p = additive_profile([[0.0, 4.0, -2.0], [0.0, 2.0]], [0, 0])
    >>> p.weights.tolist(), [e.tolist() for e in p.evaluations], p.offset, p.scale, p.reservation
    ([0.75, 0.25], [[0.3333333333333333, 1.0, 0.0], [0.0, 1.0]], -2.0, 8.0, 0.25)
    """
    cols = [np.asarray(c, dtype=np.float64).ravel() for c in columns]
    if not cols or any(c.size == 0 or not np.isfinite(c).all() for c in cols) or len(batna_rows) != len(cols):
        raise DataError("additive_profile needs one non-empty finite table per issue and a BATNA row for each.",
                        received=[c.size for c in cols], fix="pass the party's column of every compound issue")
    low = np.array([c.min() for c in cols])
    span = np.array([c.max() for c in cols]) - low
    offset, scale = float(low.sum()), float(span.sum())
    if scale <= 0:
        ones = tuple(np.ones_like(c) for c in cols)
        return AdditiveProfile(np.full(len(cols), 1.0 / len(cols)), ones, offset, 0.0, 1.0)
    evals = tuple((c - lo) / s if s > 0 else np.ones_like(c) for c, lo, s in zip(cols, low, span, strict=True))
    weights = span / scale
    # the reservation as the weighted sum of the BATNA's normalised evaluations: a convex combination of numbers in
    # [0, 1], so it stays in [0, 1] even when (batna − offset) / scale would lose digits to cancellation
    reservation = float(sum(w * e[r] for w, e, r in zip(weights, evals, batna_rows, strict=True)))
    return AdditiveProfile(weights, evals, offset, scale, min(max(reservation, 0.0), 1.0))


@dataclass(frozen=True)
class SessionDiscount:
    """Discounting of one party for GENIUS (``factor``, whole session) and for round-based protocols."""

    annual_rate: float | None
    horizon_days: int | None
    round_days: int | None
    factor: float
    per_round: float | None
    n_rounds: int | None


def _horizon(dynamics: Dynamics | None) -> tuple[int | None, int | None]:
    """Days from the start of talks to the first hard deadline (else the last deadline), and the round length."""
    if dynamics is None:
        return None, None
    ends = sorted(d.date for d in dynamics.deadlines if d.hard) or sorted(d.date for d in dynamics.deadlines)[-1:]
    days = (ends[0] - dynamics.start).days if ends else None
    return days, dynamics.round_days


def session_discount(annual_rate: float | None, start: dt.date | None, end: dt.date | None,
                     round_days: int | None) -> SessionDiscount:
    """:math:`e^{-r H / 365.25}` over the session and :math:`e^{-r\\,\\text{round\\_days}/365.25}` per round.

    >>> d = session_discount(0.1, dt.date(2025, 1, 1), dt.date(2026, 1, 1), 73)
    >>> round(d.factor, 6), round(d.per_round, 6), d.n_rounds
    (0.904899, 0.980212, 5)
    """
    days = (end - start).days if start is not None and end is not None else None
    if annual_rate is None or days is None or days <= 0:
        per = None if annual_rate is None or round_days is None else math.exp(-annual_rate * round_days / DAYS_PER_YEAR)
        return SessionDiscount(annual_rate, days, round_days, 1.0, per, None)
    factor = math.exp(-annual_rate * days / DAYS_PER_YEAR)
    per_round = None if round_days is None else math.exp(-annual_rate * round_days / DAYS_PER_YEAR)
    n_rounds = None if round_days is None else math.ceil(days / round_days)
    return SessionDiscount(annual_rate, days, round_days, factor, per_round, n_rounds)


@dataclass(frozen=True, eq=False)
class GeniusPart:
    """One GENIUS issue of an export: a compound issue restricted to some of its rows.

    Attributes
    ----------
    group
        Index into ``model.groups``.
    rows
        Shape ``(m,)``, increasing: the rows of the group's ``combos`` kept as values (the BATNA row among them).
    members
        Positions in the group's issues that vary among the kept rows and name the GENIUS issue; the other
        members are held at their BATNA option.
    """

    group: int
    rows: IntArray
    members: tuple[int, ...]

    def batna_position(self, model: Model) -> int:
        """Index of the group's BATNA row among ``rows``."""
        return int(np.flatnonzero(self.rows == model.groups[self.group].batna_row)[0])


def _efficient(u: FloatArray) -> IntArray:
    """Rows of ``u`` (shape ``(n, 2)``) not weakly dominated by another row; one row per tied utility pair."""
    order = np.lexsort((-u[:, 1], -u[:, 0]))  # party 0 descending, then party 1 descending
    out, best1 = [], -np.inf
    for r in order.tolist():
        if u[r, 1] > best1:
            out.append(r)
            best1 = float(u[r, 1])
    return np.array(sorted(out), dtype=np.int64)


def _coarsen(u: FloatArray, batna: int, k: int) -> IntArray:
    """At most ``k`` rows of ``u`` (shape ``(n, 2)``): ``batna`` first, then efficient rows by priority."""
    eff = _efficient(u)
    low, span = u.min(axis=0), np.ptp(u, axis=0)
    norm = ((u - low) / np.where(span > 0, span, 1.0)).sum(axis=1)
    by_sum = sorted(eff.tolist(), key=lambda r: (-norm[r], r))
    best0 = max(eff.tolist(), key=lambda r: (u[r, 0], u[r, 1], -r))
    best1 = max(eff.tolist(), key=lambda r: (u[r, 1], u[r, 0], -r))
    chosen = [batna]
    for r in [by_sum[0], best0, best1, *by_sum]:
        if len(chosen) >= k:
            break
        if r not in chosen:
            chosen.append(r)
    return np.array(sorted(chosen), dtype=np.int64)


def select_outcomes(model: Model, issues: Sequence[str] | None = None, coarsen: int | None = None) -> list[GeniusPart]:
    """The GENIUS issues of an export: every compound issue in full, or a reduced space (module docstring).

    Parameters
    ----------
    issues
        Scenario issue ids to keep open; every other issue stays at its BATNA option (``None``: all).
    coarsen
        At most this many values per GENIUS issue (at least 2), chosen as in the module docstring.

    Examples
    --------
    >>> from tradetalks.scenario import load_scenario
    >>> model = build_model(load_scenario("tests/data/toy.yaml"))
    >>> [len(p.rows) for p in select_outcomes(model)], [len(p.rows) for p in select_outcomes(model, coarsen=2)]
    ([3, 3], [2, 2])
    """
    cs = model.cs
    if issues is not None:
        unknown = sorted(set(issues) - set(cs.issue_ids))
        if unknown or not issues:
            raise DataError("issues to keep must be issue ids of the scenario (at least one).",
                            received=unknown or list(issues), fix=f"use some of {', '.join(cs.issue_ids)}")
    if coarsen is not None and coarsen < 2:
        raise DataError("coarsen must keep at least 2 values per issue (the BATNA and one other).",
                        received=coarsen, fix="pass --coarsen 2 or more")
    keep = set(range(len(cs.issue_ids))) if issues is None else {cs.issue_ids.index(i) for i in issues}
    parts = []
    for k, (g, u) in enumerate(zip(model.groups, model.utilities, strict=True)):
        members = tuple(j for j, i in enumerate(g.issues) if i in keep)
        if not members:
            continue
        fixed = [j for j in range(len(g.issues)) if j not in members]
        rows = np.arange(len(g.combos), dtype=np.int64)
        if fixed:
            rows = rows[(g.combos[:, fixed] == g.combos[g.batna_row, fixed]).all(axis=1)]
        if coarsen is not None and len(rows) > coarsen:
            batna = int(np.flatnonzero(rows == g.batna_row)[0])
            rows = rows[_coarsen(np.asarray(u[rows], dtype=np.float64), batna, coarsen)]
        parts.append(GeniusPart(k, rows, members))
    return parts


def genius_issues(model: Model, labels: Mapping[str, Mapping[str, str]],
                  parts: Sequence[GeniusPart] | None = None) -> list[GeniusIssue]:
    """One GENIUS issue per part (default: every compound issue): ids for names and values, labels as descriptions."""
    cs, out = model.cs, []
    for part in parts if parts is not None else select_outcomes(model):
        g = model.groups[part.group]
        members = [g.issues[j] for j in part.members]
        ids = [cs.issue_ids[i] for i in members]
        opts = [[cs.issues[i][row[j]].id for i, j in zip(members, part.members, strict=True)]
                for row in g.combos[part.rows].tolist()]
        if len(ids) == 1:
            values = [o[0] for o in opts]
        else:
            values = ["; ".join(f"{iid}={o}" for iid, o in zip(ids, row, strict=True)) for row in opts]
        desc = [" / ".join(genius_text(labels[iid][o]) for iid, o in zip(ids, row, strict=True)) for row in opts]
        out.append(GeniusIssue("+".join(ids), tuple(values), tuple(desc)))
    return out


@dataclass(frozen=True)
class GeniusTransform:
    """How to read one party's GENIUS utility ``v`` back: ``u = offset + scale * v`` (USD/yr, weighted)."""

    party: str
    offset: float
    scale: float
    reservation: float
    discount: SessionDiscount


@dataclass(frozen=True)
class GeniusExport:
    """Files written by :func:`export_genius` and the constants needed to read them back.

    ``n_outcomes`` counts the exported domain's bids; ``n_full_outcomes`` the scenario's feasible packages (equal
    unless ``issues`` or ``coarsen`` reduced the domain). ``discount`` says what the profiles' ``discount_factor``
    holds: the session factor, or 1 (``"none"``; the factors are then only in the sidecar).
    """

    directory: Path
    domain: Path
    profiles: dict[str, Path]
    sidecar: Path
    transforms: dict[str, GeniusTransform]
    issues: list[str]
    n_outcomes: int
    n_full_outcomes: int = 0
    discount: GeniusDiscount = "session"

    def __repr__(self) -> str:
        return (f"GeniusExport({self.domain.name} + {len(self.profiles)} profiles in {str(self.directory)!r}: "
                f"{len(self.issues)} issues, {self.n_outcomes:,} outcomes)")


def _party_discount(loaded: LoadedScenario, party: int) -> SessionDiscount:
    scn = loaded.scenario
    q = scn.parties[party].discount_rate
    rate = None if q is None else float(evaluate(q, loaded.facts))
    days, round_days = _horizon(scn.dynamics)
    start = scn.dynamics.start if scn.dynamics is not None else None
    end = None if start is None or days is None else start + dt.timedelta(days=days)
    return session_discount(rate, start, end, round_days)


def _comments(loaded: LoadedScenario, party: str, profile: AdditiveProfile, disc: SessionDiscount,
              mode: GeniusDiscount) -> list[str]:
    scn = loaded.scenario
    if mode == "session":
        about = (f"discount_factor = exp(-rate * horizon_days / 365.25) with rate = {disc.annual_rate} per year over "
                 f"{disc.horizon_days} days (1 if either is missing), per session in GENIUS; NegMAS applies it "
                 "per step")
    else:
        about = (f"discount_factor = 1 (no discounting); the session factor {disc.factor!r} and the per-round factor "
                 f"{disc.per_round!r} are in the sidecar JSON")
    return [f"tradetalks {__version__}: GENIUS profile of party {party} in scenario {scn.id} ({scn.title})",
            f"u = offset + scale * v with offset = {profile.offset!r} and scale = {profile.scale!r} USD/yr, where u "
            f"is the tradetalks utility (weighted, against the BATNA) and v this profile's utility",
            f"reservation = v of the BATNA; {about}"]


#: what the discount factors mean in each tool, written into the sidecar
DISCOUNT_SEMANTICS = {
    "genius": "v * factor ** t with t in [0, 1] the normalised time of the session (time or rounds used over the "
              "deadline); 'factor' is the profile's discount_factor, a value outside (0, 1) meaning none",
    "negmas": "load_genius_domain_from_folder (and load_genius_domain) wraps a profile whose discount_factor is not "
              "exactly 1 in an exponential discount per negotiation step (make_discounted_ufun with "
              "discount_per_round = factor): v * factor ** step. A factor of 1 is loaded unwrapped, as is every "
              "profile with ignore_discount=True. To discount in NegMAS, wrap the profile yourself with per_round "
              "(one step per round of round_days) or with factor ** (1 / n_steps) to spread the session over n_steps",
    "per_round": "exp(-annual_rate * round_days / 365.25): the factor per round of round_days days; n_rounds rounds "
                 "fit in the horizon",
}


def _sidecar(loaded: LoadedScenario, files: Mapping[str, str], transforms: Mapping[str, GeniusTransform],
             issues: Sequence[GeniusIssue], parts: Sequence[GeniusPart], model: Model, mode: GeniusDiscount,
             reduction: Mapping[str, Any]) -> dict[str, Any]:
    cs = model.cs
    groups = []
    for gi, part in zip(issues, parts, strict=True):
        g = model.groups[part.group]
        fixed = [j for j in range(len(g.issues)) if j not in part.members]
        batna = g.combos[g.batna_row]
        groups.append({
            "name": gi.name, "scenario_issues": [cs.issue_ids[g.issues[j]] for j in part.members],
            "held_at_batna": {cs.issue_ids[g.issues[j]]: cs.issues[g.issues[j]][batna[j]].id for j in fixed},
            "batna_value": gi.values[part.batna_position(model)],
            "values": [{"value": v, "options": {cs.issue_ids[i]: cs.issues[i][o].id
                                                for i, o in zip(g.issues, row, strict=True)}}
                       for v, row in zip(gi.values, g.combos[part.rows].tolist(), strict=True)]})
    used = {part.group for part in parts}
    held = {cs.issue_ids[i]: cs.issues[i][cs.batna[i]].id
            for k, g in enumerate(model.groups) if k not in used for i in g.issues}
    return {"format": "GENIUS additive utility spaces exported by tradetalks", "tradetalks_version": __version__,
            "scenario": loaded.scenario.id, "title": loaded.scenario.title, "files": dict(files),
            "units": {"u": "USD/yr, weighted by political weights, against the BATNA",
                      "v": "GENIUS utility in [0, 1]: 0 = the party's worst package, 1 = its best"},
            "transform": {p: {"formula": "u = offset + scale * v", "offset": t.offset, "scale": t.scale,
                              "reservation": t.reservation,
                              "discount": {**vars(t.discount),
                                           "in_profile": t.discount.factor if mode == "session" else 1.0}}
                          for p, t in transforms.items()},
            "discount_in_profiles": mode, "discount_semantics": DISCOUNT_SEMANTICS,
            "reduction": dict(reduction), "held_at_batna": held,
            "issues": groups, "n_outcomes": math.prod(len(i.values) for i in issues)}


def export_genius(loaded: LoadedScenario, out_dir: str | Path, model: Model | None = None, *,
                  discount: GeniusDiscount = "session", issues: Sequence[str] | None = None,
                  coarsen: int | None = None, max_outcomes: int | None = None) -> GeniusExport:
    """Write ``<id>_domain.xml``, ``<id>_<party>_util.xml`` per party and ``<id>_genius.json`` to ``out_dir``.

    Parameters
    ----------
    loaded
        From :func:`tradetalks.scenario.load_scenario`.
    out_dir
        Directory (created if missing). Keep no other XML files there: tools such as NegMAS load every XML file of
        a folder.
    model
        A precomputed :func:`~tradetalks.model.build_model` (optional).
    discount
        ``"session"``: each profile's ``discount_factor`` is the session factor (GENIUS's meaning). ``"none"``: it
        is 1, and the session and per-round factors are only in the sidecar (for NegMAS, which applies the factor
        per step).
    issues, coarsen
        Reduce the domain (:func:`select_outcomes`): keep these scenario issues open (others at their BATNA
        option), and at most ``coarsen`` values per GENIUS issue.
    max_outcomes
        Refuse (:class:`~tradetalks.errors.LimitError`, before writing anything) a domain with more outcomes.

    Returns
    -------
    GeniusExport
        Paths and, per party, the affine transform back to tradetalks utilities and the discounting.

    References
    ----------
    Lin et al. (2014), https://doi.org/10.1111/j.1467-8640.2012.00463.x
    """
    model = model or build_model(loaded)
    scn, cs, out = loaded.scenario, model.cs, Path(out_dir)
    parts = select_outcomes(model, issues, coarsen)
    n_full = math.prod(len(g.combos) for g in model.groups)
    n_outcomes = math.prod(len(p.rows) for p in parts)
    if max_outcomes is not None and n_outcomes > max_outcomes:
        raise LimitError(f"the GENIUS domain would have {n_outcomes:,} outcomes, above the limit of {max_outcomes:,}.",
                         received={"issues": len(parts), "values": [len(p.rows) for p in parts]},
                         fix="keep fewer issues open (--issues a,b,c), fewer values per issue (--coarsen K), "
                             "or raise --max-outcomes")
    labels = {iss.id: {op.id: op.label for op in iss.options} for iss in scn.issues}
    gissues = genius_issues(model, labels, parts)
    title = genius_text(scn.title)
    reduced = "" if n_outcomes == n_full else f" reduced to {n_outcomes:,} of the scenario's {n_full:,} packages;"
    domain = write_atomic(out / f"{scn.id}_domain.xml", domain_xml(scn.id, title, gissues, [
        f"tradetalks {__version__}: GENIUS domain of scenario {scn.id}; issues are compound issues (coupled "
        f"issues merged), values are feasible option combinations;{reduced} see {scn.id}_genius.json"]))
    profiles, transforms = {}, {}
    for p, party in enumerate(cs.parties):
        prof = additive_profile([model.utilities[part.group][part.rows, p] for part in parts],
                                [part.batna_position(model) for part in parts])
        disc = _party_discount(loaded, p)
        data = profile_xml(scn.id, title, gissues, prof.weights, prof.evaluations,
                           disc.factor if discount == "session" else 1.0, prof.reservation,
                           _comments(loaded, party, prof, disc, discount))
        profiles[party] = write_atomic(out / f"{scn.id}_{party}_util.xml", data)
        transforms[party] = GeniusTransform(party, prof.offset, prof.scale, prof.reservation, disc)
    files = {"domain": domain.name, **{f"profile_{p}": path.name for p, path in profiles.items()}}
    reduction = {"issues_open": None if issues is None else list(issues), "coarsen": coarsen,
                 "n_scenario_packages": n_full, "n_outcomes": n_outcomes}
    sidecar = write_atomic(out / f"{scn.id}_genius.json", json.dumps(
        _sidecar(loaded, files, transforms, gissues, parts, model, discount, reduction), indent=2) + "\n")
    return GeniusExport(out, domain, profiles, sidecar, transforms, [i.name for i in gissues], n_outcomes,
                        n_full, discount)


@dataclass(frozen=True)
class GeniusSpace:
    """A GENIUS domain read back with its profiles (party → parsed profile)."""

    issues: list[GeniusIssue]
    profiles: dict[str, Any]

    def utility(self, party: str, values: Sequence[str]) -> float:
        """GENIUS utility for ``party`` of the bid with ``values[k]`` on issue ``k`` (value tokens)."""
        rows = [issue.values.index(v) for issue, v in zip(self.issues, values, strict=True)]
        return float(self.profiles[party].utility(rows))


def read_genius(domain: str | Path, profiles: Mapping[str, str | Path]) -> GeniusSpace:
    """Parse a GENIUS domain and its profiles (e.g. the files of an :class:`GeniusExport`)."""
    issues = read_domain(domain)
    return GeniusSpace(issues, {party: read_profile(path, issues) for party, path in profiles.items()})
