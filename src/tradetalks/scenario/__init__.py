"""Scenario files: schema, loading, validation and the built-in scenarios."""

from tradetalks.scenario.loader import LoadedScenario, builtin_names, load_observed, load_scenario, resolve
from tradetalks.scenario.schema import ObservedOutcome, Scenario

__all__ = ["LoadedScenario", "ObservedOutcome", "Scenario", "builtin_names", "load_observed", "load_scenario",
           "resolve"]
