"""AnalysisResult holds typed results (documented attributes for Python users); JSON exists only at the edge."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from tradetalks.scenario import load_scenario
from tradetalks.studies.analyze import analyze
from tradetalks.studies.analyze_results import AnalysisResult, PartyInfo, ScenarioInfo
from tradetalks.studies.improve import ImprovementResult
from tradetalks.studies.ratify import RatificationResult

TOY = Path(__file__).parent / "data" / "toy.yaml"


def test_every_field_is_a_typed_object_not_a_json_blob() -> None:
    res = analyze(load_scenario(TOY))
    assert isinstance(res.scenario, ScenarioInfo)
    assert all(isinstance(p, PartyInfo) for p in res.parties)
    assert res.party_ids == [p.id for p in res.parties]
    assert isinstance(res.ratification, RatificationResult)
    assert all(isinstance(v, ImprovementResult) for v in res.improvements.values())
    for f in dataclasses.fields(AnalysisResult):
        value = getattr(res, f.name)
        if f.name in {"units", "timeline", "solutions", "improvements", "notes"}:
            continue  # plain mappings/lists of typed rows by design
        assert not isinstance(value, dict), f"{f.name} is a dict blob"


def test_to_dict_is_plain_json_with_the_same_numbers() -> None:
    res = analyze(load_scenario(TOY))
    data = json.loads(res.to_json())
    assert data["scenario"]["id"] == res.scenario.id
    assert [p["id"] for p in data["parties"]] == res.party_ids
    assert data["ratification"]["has_ratifiers"] == res.ratification.has_ratifiers  # type: ignore[union-attr]
    nash = res.solutions["nash"]
    assert nash is not None
    for p in res.party_ids:
        assert abs(data["solutions"]["nash"]["utilities"][p] - nash.utilities[p]) <= 1e-5 * abs(nash.utilities[p])
