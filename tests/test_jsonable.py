"""JSON at the edge: the fast conversions give what the standard library's would."""

from __future__ import annotations

import dataclasses
import json

from tradetalks.jsonable import dumps, jsonable, plain
from tradetalks.scenario import load_scenario
from tradetalks.studies.analyze import analyze
from tradetalks.studies.ratify import ratify

TOY = "tests/data/toy.yaml"


def test_plain_is_asdict_for_json() -> None:
    loaded = load_scenario(TOY)
    for result in (analyze(loaded), ratify(loaded)):
        assert jsonable(plain(result)) == jsonable(dataclasses.asdict(result))


def test_dumps_is_json_dumps() -> None:
    data = analyze(load_scenario(TOY)).to_dict()
    assert json.loads(dumps(data)) == data
    assert dumps(data) == json.dumps(data, indent=2, ensure_ascii=False)
    assert json.loads(dumps(data, indent=None)) == data
