"""Find, load and validate scenarios and observed outcomes (built-in names or paths)."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from tradetalks.errors import NotFoundError, Problem, ScenarioError, TradetalksError
from tradetalks.scenario.bounds import kind_of
from tradetalks.scenario.checks import observed_findings, scenario_findings
from tradetalks.scenario.repair import mentions_placeholder, near_repair, repair_for_checks, strip_placeholder
from tradetalks.scenario.schema import ObservedOutcome, Scenario
from tradetalks.yamlfile import (
    MAX_SCHEMA_PROBLEMS,
    LoadedYaml,
    format_path,
    parse_yaml,
    problems_from_validation,
    read_yaml,
)

BUILTIN_DIR = Path(__file__).parent / "builtin"
OBSERVED_SUFFIX = ".observed.yaml"


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with its fact values (after user overrides) and, if any, its observed outcome.

    Attributes
    ----------
    scenario
        The validated model.
    file
        Where it was read from.
    facts
        Value of every fact id, overrides applied.
    overrides
        Facts the user changed (id → new value).
    observed, observed_file
        The observed outcome and its path, or ``None``.
    """

    scenario: Scenario
    file: str
    facts: dict[str, float]
    overrides: dict[str, float] = field(default_factory=dict)
    observed: ObservedOutcome | None = None
    observed_file: str | None = None

    def __repr__(self) -> str:
        scn = self.scenario
        return (f"LoadedScenario({scn.id!r} from {self.file!r}: {len(scn.issues)} issues, {len(scn.facts)} facts, "
                f"{len(self.overrides)} overridden, observed outcome {'yes' if self.observed else 'no'})")


def builtin_names() -> list[str]:
    """Names of the built-in scenarios."""
    return sorted(p.name.removesuffix(".yaml") for p in BUILTIN_DIR.glob("*.yaml")
                  if not p.name.endswith(OBSERVED_SUFFIX))


def resolve(ref: str | Path) -> Path:
    """Path of a scenario given a built-in name or a file path."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.exists():
            raise NotFoundError(f"scenario file {str(p)!r} does not exist.",
                                fix=f"check the path, or use a built-in name: {', '.join(builtin_names())}")
        return p
    candidate = BUILTIN_DIR / f"{ref}.yaml"
    if candidate.exists():
        return candidate
    close = difflib.get_close_matches(str(ref), builtin_names(), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise NotFoundError(f"no built-in scenario or file called {str(ref)!r}.{hint}",
                        fix=f"use one of {', '.join(builtin_names())} (see `tradetalks scenarios`) or a path to a "
                            ".yaml file")


def _problems(loaded: LoadedYaml, findings: list[tuple[tuple[str | int, ...], str, str]]) -> list[Problem]:
    return [Problem(loaded.file, loaded.line_of(path), format_path(path), msg, fix) for path, msg, fix in findings]


def _apply_overrides(scn: Scenario, overrides: Mapping[str, float]) -> dict[str, float]:
    values = {fid: f.value for fid, f in scn.facts.items()}
    for fid, val in overrides.items():
        if fid not in values:
            close = difflib.get_close_matches(fid, list(values), n=3)
            raise TradetalksError(f"cannot override unknown fact {fid!r} of scenario {scn.id!r}.",
                                  fix="use a fact id from the scenario's `facts:`"
                                      + (f" (closest: {', '.join(close)})" if close else "")
                                      + "; `tradetalks scenario show` lists them")
        if not math.isfinite(float(val)):
            raise TradetalksError(f"override of fact {fid!r} must be a finite number; received {val!r}.",
                                  fix="give an ordinary number such as 2.5 or 1e9")
        values[fid] = float(val)
    return values


def load_scenario(ref: str | Path, *, overrides: Mapping[str, float] | None = None,
                  observed: str | Path | None = None, with_observed: bool = True) -> LoadedScenario:
    """Load and fully validate a scenario by built-in name or path.

    Parameters
    ----------
    ref
        Built-in name (e.g. ``"korus-2025"``) or path to a YAML file.
    overrides
        Fact values to replace (``{"fact_id": value}``); the change is recorded in the result's sources.
    observed
        Path of an observed-outcome file; by default the scenario's ``observed:`` field (relative to the
        scenario file) or, for a built-in, ``<name>.observed.yaml``.
    with_observed
        Set to ``False`` to skip the observed outcome altogether.

    Raises
    ------
    ScenarioError
        With every problem found (file, line, field path, fix).
    NotFoundError
        If the name is neither a built-in nor an existing file.
    """
    path = resolve(ref)
    loaded = read_yaml(path, ScenarioError)
    scn = _validate_all(loaded, overrides or {})
    values = _apply_overrides(scn, overrides or {})
    obs, obs_file = (None, None)
    if with_observed:
        obs_path = _observed_path(path, scn, observed)
        if obs_path is not None:
            obs, obs_file = load_observed(obs_path, scn), str(obs_path)
    return LoadedScenario(scenario=scn, file=str(path), facts=values, overrides=dict(overrides or {}),
                          observed=obs, observed_file=obs_file)


def load_scenario_text(text: str, name: str, *, overrides: Mapping[str, float] | None = None) -> LoadedScenario:
    """Load and fully validate a scenario given as YAML text (e.g. uploaded to the service).

    The same safe loader, limits and validation as :func:`load_scenario`; ``name`` stands for the file in every
    problem. No file is read: a scenario's ``observed:`` path is ignored (no observed outcome).

    Raises
    ------
    ScenarioError
        With every problem found (``name``, line, field path, fix).
    """
    loaded = parse_yaml(text, name, ScenarioError)
    scn = _validate_all(loaded, overrides or {})
    return LoadedScenario(scenario=scn, file=name, facts=_apply_overrides(scn, overrides or {}),
                          overrides=dict(overrides or {}))


def _validate_all(loaded: LoadedYaml, overrides: Mapping[str, float]) -> Scenario:
    """Validate structure, cross-references and values, reporting every problem of every kind at once.

    When the structure is wrong, the later checks still run on a mended copy (:mod:`~tradetalks.scenario.repair`)
    and report what they find outside the mended parts, so one run shows everything to fix, in file order.
    """
    try:
        scn = Scenario.model_validate(loaded.data)
    except ValidationError as exc:
        problems = problems_from_validation(loaded, exc, _fix_for)
        if exc.error_count() > MAX_SCHEMA_PROBLEMS:  # enough to fix first; mending them all would cost time
            raise ScenarioError(loaded.file, problems) from None
        partial, mended = repair_for_checks(Scenario, loaded.data, exc)
        if partial is not None:
            values = _fact_values(partial, overrides)
            is_mended = near_repair(mended)
            findings = [(path, msg, strip_placeholder(fix)) for path, msg, fix in scenario_findings(partial, values)
                        if not is_mended(path) and not mentions_placeholder(msg)]
            problems += _problems(loaded, [_blame_overrides(f, overrides) for f in findings])
        raise ScenarioError(loaded.file, sorted(problems, key=lambda p: p.line or 0)) from None
    values = _apply_overrides(scn, overrides)
    findings = scenario_findings(scn, values)
    if findings:
        problems = _problems(loaded, [_blame_overrides(f, overrides) for f in findings])
        raise ScenarioError(loaded.file, sorted(problems, key=lambda p: p.line or 0))
    return scn


def _fact_values(scn: Scenario, overrides: Mapping[str, float]) -> dict[str, float]:
    """Fact values with the overrides that name a known fact (unknown ones are reported after a valid load)."""
    return {fid: f.value for fid, f in scn.facts.items()} | {k: v for k, v in overrides.items() if k in scn.facts}


#: what a missing required field holds, for the fix
_MISSING: dict[str, str] = {
    "source": "add `source:` with the publication and its date (a URL if there is one); delegations, timeline "
              "events, no-deal changes, deadlines and observed choices all need one",
    "batna": "add `batna:` with the id of the option that holds if there is no deal",
    "options": "add `options:`, a list of the ways the issue could be settled",
    "unit": "add `unit:` (e.g. USD/yr, share, elasticity, weight)",
    "value": "add `value:` with a number",
    "members": "add `members:`, a list of {name, title}",
    "label": "add `label:`, the text people see for this option",
}


def _fix_for(kind: str, path: tuple[str | int, ...]) -> str | None:
    """Fixes that depend on the field (the generic ones come from :mod:`tradetalks.yamlfile`)."""
    if path[:1] == ("facts",) and path[-1:] == ("value",) and kind in ("float_parsing", "float_type"):
        return "a fact's value is a plain number such as 0.25 or 2.5e9 (not a fact id or a formula: formulas " \
               "over facts go in the fields that use them)"
    if kind in ("float_type", "int_type", "string_type") and kind_of(path) is not None:
        return "write a number such as 0.25, or arithmetic over fact ids such as `aid * 2`"
    if kind == "missing" and path and isinstance(path[-1], str):
        return _MISSING.get(path[-1])
    if path == ("parties",) and kind in ("too_short", "too_long"):
        return "a scenario has exactly two parties (a bilateral negotiation)"
    return None


def _blame_overrides(finding: tuple[tuple[str | int, ...], str, str],
                     overrides: Mapping[str, float]) -> tuple[tuple[str | int, ...], str, str]:
    """Say so when a bad value comes from a fact the user overrode with --set, not from the file."""
    path, msg, fix = finding
    for fid, val in overrides.items():
        if f"`{fid}`" in msg:
            return path, msg.replace(f"(from `{fid}` in facts)", f"(from --set {fid}={val:g})"), \
                f"choose another value for --set {fid}, or " + fix
    return finding


def _observed_path(path: Path, scn: Scenario, observed: str | Path | None) -> Path | None:
    if observed is not None:
        return Path(observed)
    if scn.observed is not None:
        return path.parent / scn.observed
    sibling = path.with_name(path.name.removesuffix(".yaml") + OBSERVED_SUFFIX)
    return sibling if sibling.exists() else None


def load_observed(path: str | Path, scn: Scenario) -> ObservedOutcome:
    """Load an observed-outcome file and check it against its scenario."""
    loaded = read_yaml(path, ScenarioError)
    try:
        obs = ObservedOutcome.model_validate(loaded.data)
    except ValidationError as exc:
        raise ScenarioError(loaded.file, problems_from_validation(loaded, exc, _fix_for)) from None
    findings = observed_findings(obs, scn)
    if findings:
        raise ScenarioError(loaded.file, _problems(loaded, findings))
    return obs
