"""Replay of the timeline: the no-deal path over time, the ZOPA and Nash at each date, what really stood."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from tradetalks.model import build_model, package_value
from tradetalks.scenario import load_scenario
from tradetalks.studies.replay import replay

TOY = Path(__file__).parent / "data" / "toy.yaml"


def test_no_deal_path_moves_the_disagreement_point() -> None:
    r = replay(load_scenario(TOY))
    first, change, deadline = r.steps
    assert first.batna_package["widget_tariff"] == "t25" and first.batna_utilities == {"A": 0.0, "B": 0.0}
    assert change.batna_package["widget_tariff"] == "t15" and change.kind == "batna_change"
    assert change.batna_utilities["A"] > 0 > change.batna_utilities["B"]
    assert deadline.kind == "deadline" and deadline.batna_package == change.batna_package


def test_zopa_and_nash_at_each_date_match_brute_force() -> None:
    loaded = load_scenario(TOY)
    model = build_model(loaded)
    packages = [dict(zip(["widget_tariff", "transfer"], combo, strict=True))
                for combo in itertools.product(["t25", "t15", "t0"], ["none", "some", "more"])]
    utils = np.array([package_value(model, p)[1] for p in packages])
    for step in replay(loaded, model).steps:
        d = np.array(list(step.batna_utilities.values()))
        better = (utils > d).all(axis=1)
        assert step.zopa_count == int(better.sum())
        if better.any():
            prod = np.where(better, np.prod(np.clip(utils - d, 0, None), axis=1), -1)
            best = utils[int(np.argmax(prod))]
            assert np.allclose(list(step.nash_utilities.values()), best)
        else:
            assert step.nash_package is None


def test_what_really_stood(tmp_path: Path) -> None:
    text = TOY.read_text().replace(
        "  - {date: 2025-01-01, kind: round, title: First round, source: test fixture}",
        "  - {date: 2025-01-01, kind: round, title: First round, source: test fixture}\n"
        "  - {date: 2025-02-01, kind: deal, title: Deal, source: test fixture, package: {transfer: more}}")
    p = tmp_path / "s.yaml"
    p.write_text(text)
    loaded = load_scenario(p)
    steps = {s.label: s for s in replay(loaded).steps}
    assert not steps["First round"].stood_is_agreement
    deal = steps["Deal"]
    assert deal.stood_is_agreement and deal.stood_package == {"widget_tariff": "t25", "transfer": "more"}
    later = steps["no-deal change: widget_tariff → t15"]
    assert later.stood_package == {"widget_tariff": "t15", "transfer": "more"}, "unsettled issues follow the path"
    model = build_model(loaded)
    assert np.allclose(list(later.stood_utilities.values()), package_value(model, later.stood_package)[1])


def test_replay_values_each_date_with_the_facts_known_then() -> None:
    """A dated step after a fact revision (a court ruling) uses the revised facts, earlier steps the file's."""
    loaded = load_scenario("korus-2025")
    steps = replay(loaded).steps
    before = [s for s in steps if s.date < "2025-11-05"]
    after = [s for s in steps if s.date >= "2026-02-20"]
    assert before and all(s.facts_revised == {} for s in before)
    assert after and all(s.facts_revised == {"ieepa_strike_prob": 1.0} for s in after)
    assert any(s.kind == "fact_revision" for s in steps)
    deal = next(s for s in steps if s.date == "2025-11-14" and s.stood_is_agreement)
    ruled = after[-1]
    assert ruled.stood_package == deal.stood_package
    assert ruled.stood_utilities["KOR"] < deal.stood_utilities["KOR"], "the voided reciprocal relief is worth less"
