r"""Import a GENIUS domain and its two profiles as a tradetalks scenario (``tradetalks import genius DIR``).

The published negotiation domains (ANAC's, and those :mod:`tradetalks.interop.genius` writes) can then be analysed
like any scenario: Pareto frontier, bargaining solutions, ZOPA.

**Issues and options.** Each discrete GENIUS issue becomes an issue of category ``offer``, each of its values an
option (ids made safe for the scenario format; the value and its description as the label). The first value of
each issue is the issue's reference option ("batna" in the scenario's terms: GENIUS has no status quo).

**Utilities.** Each party gets one stakeholder of weight 1 whose direct valuation of option :math:`j` of issue
:math:`k` is :math:`S\,w_k\,e_{kj}`, with :math:`w_k` the profile's issue weight, :math:`e_{kj}` its evaluation
divided by the issue's largest evaluation (as GENIUS computes utilities) and :math:`S` the utility scale
(``genius_utility_scale``, default :data:`DEFAULT_UTILITY_SCALE`: one GENIUS utility unit is read as that many
"USD a year"; any positive scale gives the same frontier, solutions and rankings).

**Reservation values.** A scenario measures utility against its BATNA, a package; GENIUS's disagreement point is a
number per party, the reservation value :math:`r_p`, which no bid need reach exactly. The import adds one issue,
``agreement``, with options ``no_deal`` (its BATNA) and ``deal``, and constraints "``no_deal`` requires every other
issue at its reference option". The feasible packages are then the GENIUS bids (with ``deal``) plus the single
no-deal package, and ``deal`` carries the valuation :math:`S\,(V_p(b) - r_p)` where :math:`V_p(b)` is the GENIUS
utility of the reference bid :math:`b`. So party :math:`p`'s utility of bid :math:`x` is exactly

.. math:: u_p(x) = S\,(V_p(x) - r_p),

0 at the reservation value, and the frontier, the Nash solution and the ZOPA are GENIUS's. Because the
constraints couple every issue, the outcome space is enumerated as one compound issue: domains up to
:data:`MAX_IMPORT_OUTCOMES` bids are accepted.

**Provenance.** Every number is a fact whose ``source`` names the GENIUS file and element it was read from
(weights, normalised evaluations, reservation values, discount factors); the scale is an ``assumption``. GENIUS's
discount factor applies per unit of normalised session time, which has no calendar date, so it is recorded as a
fact but not turned into an annual ``discount_rate``.

References
----------
Lin, R., Kraus, S., Baarslag, T., Tykhonov, D., Hindriks, K. and Jonker, C. M. (2014). GENIUS: an integrated
environment for supporting the design of generic automated negotiators. *Computational Intelligence* 30(1),
48-70. https://doi.org/10.1111/j.1467-8640.2012.00463.x
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from tradetalks import __version__
from tradetalks.bargain.packages import MAX_COMPOUND_OPTIONS
from tradetalks.errors import DataError, LimitError
from tradetalks.interop.genius_xml import GENIUS_MIN_MAX_EVALUATION, GeniusIssue, parse_root, read_domain, read_profile

__all__ = ["DEFAULT_UTILITY_SCALE", "MAX_IMPORT_OUTCOMES", "GeniusImport", "import_genius"]

#: USD-like "utility units" per GENIUS utility unit: GENIUS utility 1 reads as $1bn a year in tables and reports
DEFAULT_UTILITY_SCALE = 1e9
#: largest GENIUS domain imported: the agreement issue doubles it into one compound issue of at most
#: :data:`~tradetalks.bargain.packages.MAX_COMPOUND_OPTIONS` combinations
MAX_IMPORT_OUTCOMES = MAX_COMPOUND_OPTIONS // 2

_ID_MAX = 60


class _Dumper(yaml.SafeDumper):
    """Plain YAML without anchors or aliases (repeated dates are written out)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


@dataclass(frozen=True)
class GeniusImport:
    """A scenario built from GENIUS files: the YAML text and what it was made from.

    Attributes
    ----------
    yaml_text
        The scenario file (schema version 1), ready for :func:`tradetalks.scenario.load_scenario`.
    domain, profiles
        The files read (party id → profile path).
    n_outcomes
        Bids in the GENIUS domain (the scenario adds one no-deal package).
    reference
        The reference bid :math:`b` (issue id → option id), the options ``no_deal`` holds.
    """

    yaml_text: str
    domain: Path
    profiles: dict[str, Path]
    n_outcomes: int
    reference: dict[str, str]


def _safe_id(text: str, taken: set[str], fallback: str, hyphen: bool = True) -> str:
    """A scenario id from free text: letters, digits, ``_`` (and ``-``), starting with a letter, unique in ``taken``.

    Party ids take no hyphen: they prefix fact ids, which expressions read as names.
    """
    bad = r"[^A-Za-z0-9_\-]+" if hyphen else r"[^A-Za-z0-9_]+"
    out = re.sub(bad, "_", text).strip("_-")[:_ID_MAX] or fallback
    if not out[0].isalpha():
        out = f"{fallback.rstrip('0123456789')}_{out}"[:_ID_MAX]
    base, n = out, 2
    while out.lower() in {t.lower() for t in taken}:
        out = f"{base}_{n}"
        n += 1
    taken.add(out)
    return out


def _classify(directory: Path) -> tuple[Path, list[Path]]:
    """The domain file and the profile files of a folder, told apart by their root tag (as GENIUS tools do)."""
    if not directory.is_dir():
        raise DataError(f"{str(directory)!r} is not a directory.", fix="pass the folder holding the GENIUS XML files")
    domains: list[Path] = []
    profiles: list[Path] = []
    for path in sorted(directory.glob("*.xml")):
        if path.name.endswith("pareto.xml"):
            continue
        tag = parse_root(path).tag
        (domains if tag == "negotiation_template" else profiles if tag == "utility_space" else []).append(path)
    if len(domains) != 1 or len(profiles) != 2:
        raise DataError("a GENIUS folder for a bilateral scenario needs one domain file (<negotiation_template>) and "
                        "two profiles (<utility_space>).",
                        received={"domains": [p.name for p in domains], "profiles": [p.name for p in profiles]},
                        fix="pass a folder with exactly those three XML files (copy the two profiles to negotiate)")
    return domains[0], profiles


def _check_discrete(domain: Path) -> None:
    for el in parse_root(domain).iter("issue"):
        kind = el.get("type") or el.get("etype") or "discrete"
        if kind != "discrete":
            raise DataError(f"issue {el.get('name')!r} of {domain.name!r} is of type {kind!r}; only discrete issues "
                            "can be imported.", fix="discretise integer and real issues into values first")


def _party_ids(domain: Path, profiles: Sequence[Path]) -> list[str]:
    """Party ids from the profile names, without the domain's prefix and a ``util``/``utility``/``prof`` suffix."""
    stem = re.sub(r"[_\-]?domain$", "", domain.stem, flags=re.I)
    taken: set[str] = set()
    out = []
    for k, path in enumerate(profiles):
        name = path.stem
        if stem and name.lower().startswith(stem.lower()):
            name = name[len(stem):]
        name = re.sub(r"[_\-]?(util|utility|prof|profile)$", "", name.strip("_- "), flags=re.I) or path.stem
        out.append(_safe_id(name, taken, f"party{k + 1}", hyphen=False))
    return out


def _num(x: float) -> float:
    """A float YAML writes and reads back exactly (repr round-trips)."""
    return float(x)


def import_genius(directory: str | Path, *, scale: float = DEFAULT_UTILITY_SCALE, scenario_id: str | None = None,
                  as_of: dt.date | None = None) -> GeniusImport:
    """Build a scenario from a folder with one GENIUS domain and two additive profiles (module docstring).

    Parameters
    ----------
    directory
        Folder with the XML files (a ``*pareto.xml`` file is ignored, as in NegMAS).
    scale
        USD-like utility units per GENIUS utility unit (positive).
    scenario_id
        Id of the scenario (default: from the domain's file name).
    as_of
        The scenario's ``as_of`` date (default: today).

    Returns
    -------
    GeniusImport

    Raises
    ------
    DataError
        Not one domain and two profiles, a non-discrete issue, profiles that do not match the domain, or weights
        that do not give a utility.
    LimitError
        A domain with more than :data:`MAX_IMPORT_OUTCOMES` bids.

    References
    ----------
    Lin et al. (2014), https://doi.org/10.1111/j.1467-8640.2012.00463.x
    """
    if not (math.isfinite(scale) and scale > 0):
        raise DataError("the utility scale must be a positive number.", received=scale, fix="pass e.g. --scale 1e9")
    folder = Path(directory)
    domain_path, profile_paths = _classify(folder)
    _check_discrete(domain_path)
    issues = read_domain(domain_path)
    if not issues or any(not i.values for i in issues):
        raise DataError(f"{domain_path.name!r} has no issues or an issue without values.",
                        fix="pass a GENIUS domain with discrete issues and their values")
    n_outcomes = math.prod(len(i.values) for i in issues)
    if n_outcomes > MAX_IMPORT_OUTCOMES:
        raise LimitError(f"the GENIUS domain has {n_outcomes:,} bids, above the import limit of "
                         f"{MAX_IMPORT_OUTCOMES:,}.", received=[len(i.values) for i in issues],
                         fix="import a smaller domain, e.g. `tradetalks export genius --coarsen K` or `--issues`")
    parties = _party_ids(domain_path, profile_paths)
    profiles = {p: read_profile(path, issues) for p, path in zip(parties, profile_paths, strict=True)}
    for p, prof in profiles.items():
        if not (np.isfinite(prof.weights).all() and (prof.weights >= 0).all() and prof.weights.sum() > 0):
            raise DataError(f"profile of {p!r} has weights that are not non-negative numbers with a positive sum.",
                            received=prof.weights.tolist(), fix="check the <weight> elements of the profile")
        if not (math.isfinite(prof.reservation) and math.isfinite(prof.discount_factor)):
            raise DataError(f"profile of {p!r} has a reservation value or discount factor that is not a finite "
                            "number.", received=(prof.reservation, prof.discount_factor),
                            fix="give <reservation value> a number (0, GENIUS's default, if any deal beats none)")
        for issue, ev in zip(issues, prof.evaluations, strict=True):
            if not (np.isfinite(ev).all() and (ev >= 0).all()):
                raise DataError(f"profile of {p!r}, issue {issue.name!r}: evaluations must be non-negative numbers.",
                                received=ev.tolist(), fix="check the items' evaluation attributes")
    text, reference = _scenario_yaml(domain_path, dict(zip(parties, profile_paths, strict=True)), issues, profiles,
                                     scale, scenario_id, as_of or dt.date.today())
    return GeniusImport(text, domain_path, dict(zip(parties, profile_paths, strict=True)), n_outcomes, reference)


def _scenario_yaml(domain: Path, paths: dict[str, Path], issues: Sequence[GeniusIssue], profiles: dict[str, Any],
                   scale: float, scenario_id: str | None, as_of: dt.date) -> tuple[str, dict[str, str]]:
    ids: set[str] = set()
    sid = scenario_id or _safe_id(re.sub(r"[_\-]?domain$", "", domain.stem, flags=re.I), set(), "genius")
    issue_ids = [_safe_id(i.name, ids | {"agreement"}, f"issue{k + 1}") for k, i in enumerate(issues)]
    option_ids = []
    for issue in issues:
        taken: set[str] = set()
        option_ids.append([_safe_id(v, taken, f"v{j + 1}") for j, v in enumerate(issue.values)])
    stake = {p: f"{p}_agent" for p in paths}
    facts: dict[str, Any] = {"genius_utility_scale": {
        "value": _num(scale), "unit": "USD/yr per GENIUS utility unit",
        "assumption": "utility units: a GENIUS utility of 1 is read as this many US dollars a year so that tables "
                      "and reports show GENIUS utilities in familiar units; any positive scale gives the same "
                      "frontier, solutions and rankings"}}
    opt_payoff: list[list[dict[str, str]]] = [[{} for _ in issue.values] for issue in issues]
    ref_value: dict[str, list[str]] = {}
    for p, prof in profiles.items():
        src = paths[p].name
        terms = []
        for k, (issue, w, ev) in enumerate(zip(issues, prof.weights, prof.evaluations, strict=True)):
            wid = f"{p}_w{k + 1}"
            facts[wid] = {"value": _num(w), "unit": "GENIUS issue weight",
                          "source": f"GENIUS profile {src}: <weight> of issue {issue.name!r} (index {k + 1})"}
            top = float(ev.max())
            for j, (value, e) in enumerate(zip(issue.values, ev, strict=True)):
                eid = f"{p}_e{k + 1}_{j + 1}"
                norm = float(e) / top if top >= GENIUS_MIN_MAX_EVALUATION else 0.0
                facts[eid] = {"value": _num(norm), "unit": "GENIUS evaluation, 0 to 1",
                              "source": f"GENIUS profile {src}: issue {issue.name!r}, item {value!r}: evaluation "
                                        f"{float(e)!r} divided by the issue's largest evaluation {top!r} (GENIUS "
                                        f"normalises discrete evaluators by their maximum)"}
                opt_payoff[k][j][stake[p]] = f"genius_utility_scale * {wid} * {eid}"
            terms.append(f"{wid} * {p}_e{k + 1}_1")
        rid = f"{p}_reservation"
        facts[rid] = {"value": _num(prof.reservation), "unit": "GENIUS utility",
                      "source": f"GENIUS profile {src}: <reservation value> (0 when absent, GENIUS's default)"}
        facts[f"{p}_discount_factor"] = {
            "value": _num(prof.discount_factor), "unit": "factor per GENIUS session (normalised time 0 to 1)",
            "source": f"GENIUS profile {src}: <discount_factor value> (1 when absent)",
            "note": "not used by the analysis: GENIUS discounts over normalised session time, which has no dates"}
        ref_value[p] = terms
    reference = {iid: opts[0] for iid, opts in zip(issue_ids, option_ids, strict=True)}
    scn_issues: list[dict[str, Any]] = []
    for k, issue in enumerate(issues):
        options = []
        for j, value in enumerate(issue.values):
            desc = issue.descriptions[j].strip()
            label = value if not desc or desc == value else f"{value}: {desc}"
            options.append({"id": option_ids[k][j], "label": label, "payoffs": opt_payoff[k][j]})
        scn_issues.append({"id": issue_ids[k], "name": issue.name or issue_ids[k], "category": "offer",
                           "options": options, "batna": option_ids[k][0]})
    deal = {stake[p]: f"genius_utility_scale * ({' + '.join(ref_value[p])} - {p}_reservation)" for p in paths}
    scn_issues.append({
        "id": "agreement", "name": "Agreement reached", "category": "form",
        "description": "Added by the import: no_deal is the disagreement outcome (each party gets its reservation "
                       "value); deal is any GENIUS bid, valued by the other issues.",
        "options": [{"id": "no_deal", "label": "No agreement (reservation values)"},
                    {"id": "deal", "label": "Agreement on a GENIUS bid", "payoffs": deal}],
        "batna": "no_deal"})
    constraints = [{"id": f"no_deal_{iid}"[:80], "kind": "requires",
                    "if": {"issue": "agreement", "options": ["no_deal"]},
                    "then": {"issue": iid, "options": [reference[iid]]},
                    "reason": "without an agreement no GENIUS issue is settled; the reference option stands for "
                              "'not agreed' so that the no-deal package is the reservation values",
                    "source": f"GENIUS domain {domain.name}"} for iid in issue_ids]
    parties = [{"id": p, "name": f"{p} (GENIUS profile {paths[p].name})",
                "stakeholders": [{"id": stake[p], "name": f"{p} negotiating agent",
                                  "description": f"utility of GENIUS profile {paths[p].name}"}],
                "delegations": [{"since": as_of, "label": "GENIUS agent",
                                 "members": [{"name": f"agent with profile {paths[p].name}",
                                              "title": "automated negotiator"}],
                                 "source": f"GENIUS profile {paths[p].name}"}]} for p in paths]
    scenario = {
        "schema_version": 1, "id": sid[:80], "title": f"GENIUS domain {domain.stem}",
        "description": f"Imported by tradetalks {__version__} from the GENIUS domain {domain.name} and the profiles "
                       f"{', '.join(p.name for p in paths.values())}. Utilities are GENIUS utilities times "
                       f"genius_utility_scale, measured from each party's reservation value.",
        "as_of": as_of, "parties": parties, "facts": facts, "issues": scn_issues, "constraints": constraints}
    header = (f"# Scenario generated by `tradetalks import genius` (tradetalks {__version__}) from {domain.name}.\n"
              "# u_p(bid) = genius_utility_scale * (GENIUS utility of the bid - reservation value), docs/genius.md\n")
    return header + yaml.dump(scenario, Dumper=_Dumper, sort_keys=False, allow_unicode=False, width=120), reference
