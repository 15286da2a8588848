"""JSON at the edge: the fast conversions give what the standard library's would."""

from __future__ import annotations

import dataclasses
import json

from tradetalks.jsonable import dumps, jsonable, plain, plain_jsonable
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


def test_plain_jsonable_is_jsonable_of_plain() -> None:
    """The one-pass conversion gives exactly the two-pass one, numpy scalars, NaN and big integers included."""
    import math

    import numpy as np

    loaded = load_scenario(TOY)
    for result in (analyze(loaded), ratify(loaded)):
        assert plain_jsonable(result) == jsonable(plain(result))
    odd = {1: [np.float64(2.5), np.int64(7), np.int64(2**60), math.nan, -math.inf, (1.23456789, True, None)],
           "x": {"y": np.float32(0.1), "z": 10**20, "w": np.bool_(True)}}
    assert plain_jsonable(odd) == jsonable(plain(odd))
    assert json.dumps(plain_jsonable(odd)) == json.dumps(jsonable(plain(odd)))
