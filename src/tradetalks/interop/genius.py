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
session. With an annual ``discount_rate`` :math:`r` and a horizon of :math:`H` days — from ``dynamics.start`` to the
first hard deadline (else the last deadline) — the exported factor is :math:`\delta = e^{-rH/365.25}`; without a
rate or a horizon it is 1. The sidecar also gives the per-round factor :math:`e^{-r\,\text{round\_days}/365.25}`
and the number of rounds, for protocols counted in rounds (NegMAS's loader reads ``discount_factor`` per round).
Note that GENIUS shrinks :math:`v` towards 0 (the worst package), not the gain over the BATNA as Rubinstein's
model does (:mod:`tradetalks.bargain.timing`); the reservation value is discounted alike, so whether an agreement
beats walking away at a given time is unchanged.

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
from tradetalks.errors import DataError
from tradetalks.interop.genius_xml import GeniusIssue, domain_xml, genius_text, profile_xml, read_domain, read_profile
from tradetalks.model import Model, build_model
from tradetalks.outputs import write_atomic
from tradetalks.scenario.expressions import evaluate
from tradetalks.scenario.loader import LoadedScenario
from tradetalks.scenario.schema import Dynamics

__all__ = ["AdditiveProfile", "GeniusExport", "GeniusSpace", "GeniusTransform", "SessionDiscount",
           "additive_profile", "export_genius", "genius_issues", "read_genius", "session_discount"]

FloatArray = NDArray[np.float64]


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


def genius_issues(model: Model, labels: Mapping[str, Mapping[str, str]]) -> list[GeniusIssue]:
    """One GENIUS issue per compound issue: ids for names and values, option labels for descriptions."""
    cs, out = model.cs, []
    for g in model.groups:
        ids = [cs.issue_ids[i] for i in g.issues]
        opts = [[cs.issues[i][o].id for i, o in zip(g.issues, row, strict=True)] for row in g.combos.tolist()]
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
    """Files written by :func:`export_genius` and the constants needed to read them back."""

    directory: Path
    domain: Path
    profiles: dict[str, Path]
    sidecar: Path
    transforms: dict[str, GeniusTransform]
    issues: list[str]
    n_outcomes: int

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


def _comments(loaded: LoadedScenario, party: str, profile: AdditiveProfile, disc: SessionDiscount) -> list[str]:
    scn = loaded.scenario
    return [f"tradetalks {__version__}: GENIUS profile of party {party} in scenario {scn.id} ({scn.title})",
            f"u = offset + scale * v with offset = {profile.offset!r} and scale = {profile.scale!r} USD/yr, where u "
            f"is the tradetalks utility (weighted, against the BATNA) and v this profile's utility",
            f"reservation = v of the BATNA; discount_factor = exp(-rate * horizon_days / 365.25) with rate = "
            f"{disc.annual_rate} per year over {disc.horizon_days} days (1 if either is missing)"]


def _sidecar(loaded: LoadedScenario, files: Mapping[str, str], transforms: Mapping[str, GeniusTransform],
             issues: Sequence[GeniusIssue], model: Model) -> dict[str, Any]:
    cs = model.cs
    groups = [{"name": gi.name, "scenario_issues": [cs.issue_ids[i] for i in g.issues],
               "batna_value": gi.values[g.batna_row],
               "values": [{"value": v, "options": {cs.issue_ids[i]: cs.issues[i][o].id
                                                   for i, o in zip(g.issues, row, strict=True)}}
                          for v, row in zip(gi.values, g.combos.tolist(), strict=True)]}
              for gi, g in zip(issues, model.groups, strict=True)]
    return {"format": "GENIUS additive utility spaces exported by tradetalks", "tradetalks_version": __version__,
            "scenario": loaded.scenario.id, "title": loaded.scenario.title, "files": dict(files),
            "units": {"u": "USD/yr, weighted by political weights, against the BATNA",
                      "v": "GENIUS utility in [0, 1]: 0 = the party's worst package, 1 = its best"},
            "transform": {p: {"formula": "u = offset + scale * v", "offset": t.offset, "scale": t.scale,
                              "reservation": t.reservation, "discount": vars(t.discount)}
                          for p, t in transforms.items()},
            "discount_semantics": "GENIUS: v * discount_factor ** t, t in [0, 1] the normalised session time; "
                                  "per_round is the factor per round of round_days for round-based protocols",
            "issues": groups, "n_outcomes": int(np.prod([len(i.values) for i in issues], dtype=object))}


def export_genius(loaded: LoadedScenario, out_dir: str | Path, model: Model | None = None) -> GeniusExport:
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
    labels = {iss.id: {op.id: op.label for op in iss.options} for iss in scn.issues}
    issues = genius_issues(model, labels)
    title = genius_text(scn.title)
    domain = write_atomic(out / f"{scn.id}_domain.xml", domain_xml(scn.id, title, issues, [
        f"tradetalks {__version__}: GENIUS domain of scenario {scn.id}; issues are compound issues (coupled "
        f"issues merged), values are feasible option combinations; see {scn.id}_genius.json"]))
    profiles, transforms = {}, {}
    for p, party in enumerate(cs.parties):
        prof = additive_profile([u[:, p] for u in model.utilities], [g.batna_row for g in model.groups])
        disc = _party_discount(loaded, p)
        data = profile_xml(scn.id, title, issues, prof.weights, prof.evaluations, disc.factor, prof.reservation,
                           _comments(loaded, party, prof, disc))
        profiles[party] = write_atomic(out / f"{scn.id}_{party}_util.xml", data)
        transforms[party] = GeniusTransform(party, prof.offset, prof.scale, prof.reservation, disc)
    files = {"domain": domain.name, **{f"profile_{p}": path.name for p, path in profiles.items()}}
    sidecar = write_atomic(out / f"{scn.id}_genius.json",
                           json.dumps(_sidecar(loaded, files, transforms, issues, model), indent=2) + "\n")
    return GeniusExport(out, domain, profiles, sidecar, transforms, [i.name for i in issues],
                        int(np.prod([len(i.values) for i in issues], dtype=object)))


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
