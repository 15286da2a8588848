"""Find, load and validate scenarios and observed outcomes (built-in names or paths)."""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tradetalks.errors import NotFoundError, Problem, ScenarioError, TradetalksError
from tradetalks.scenario.checks import observed_findings, scenario_findings
from tradetalks.scenario.schema import ObservedOutcome, Scenario
from tradetalks.yamlfile import LoadedYaml, format_path, problems_from_validation, read_yaml, validate_model

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


def _validate_all(loaded: LoadedYaml, overrides: Mapping[str, float]) -> Scenario:
    """Validate structure and cross-references, reporting every problem of both kinds at once.

    When the structure is wrong only through unknown keys (typos), the cross-reference checks still run on the
    file without those keys, so one run shows everything to fix.
    """
    try:
        scn = Scenario.model_validate(loaded.data)
    except ValidationError as exc:
        problems = problems_from_validation(loaded, exc)
        pruned = _without_unknown_keys(loaded.data, exc)
        try:
            partial = Scenario.model_validate(pruned)
            values = {fid: f.value for fid, f in partial.facts.items()} | {
                k: v for k, v in overrides.items() if k in partial.facts}
            problems += _problems(loaded, scenario_findings(partial, values))
        except ValidationError:
            pass
        raise ScenarioError(loaded.file, problems) from None
    values = _apply_overrides(scn, overrides)
    findings = scenario_findings(scn, values)
    if findings:
        raise ScenarioError(loaded.file, _problems(loaded, [_blame_overrides(f, overrides) for f in findings]))
    return scn


def _blame_overrides(finding: tuple[tuple[str | int, ...], str, str],
                     overrides: Mapping[str, float]) -> tuple[tuple[str | int, ...], str, str]:
    """Say so when a bad value comes from a fact the user overrode with --set, not from the file."""
    path, msg, fix = finding
    for fid, val in overrides.items():
        if f"`{fid}`" in msg:
            return path, msg.replace(f"(from `{fid}` in facts)", f"(from --set {fid}={val:g})"), \
                f"choose another value for --set {fid}, or " + fix
    return finding


def _without_unknown_keys(data: Any, exc: ValidationError) -> Any:
    """A deep copy of ``data`` without the keys pydantic reported as unknown."""
    data = copy.deepcopy(data)
    for err in exc.errors():
        if err["type"] != "extra_forbidden":
            continue
        node = data
        for part in err["loc"][:-1]:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                node = None
                break
        if isinstance(node, dict):
            node.pop(err["loc"][-1], None)
    return data


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
    obs = validate_model(loaded, ObservedOutcome, ScenarioError)
    findings = observed_findings(obs, scn)
    if findings:
        raise ScenarioError(loaded.file, _problems(loaded, findings))
    return obs
