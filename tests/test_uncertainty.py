"""Uncertain facts: validation of ranges and distributions, batched valuation, the Monte Carlo study."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tradetalks.errors import ScenarioError
from tradetalks.scenario import load_scenario

DATA = Path(__file__).parent / "data"
TOY = DATA / "toy-uncertain.yaml"


def _write(tmp_path: Path, edit: dict[str, dict[str, object]]) -> Path:
    data = yaml.safe_load(TOY.read_text(encoding="utf-8"))
    for fid, fields in edit.items():
        fact = data["facts"].setdefault(fid, {})
        for k, v in fields.items():
            if v is None:
                fact.pop(k, None)
            else:
                fact[k] = v
    data.pop("observed", None)
    out = tmp_path / "bad.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return out


def _problems(tmp_path: Path, edit: dict[str, dict[str, object]]) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, edit), with_observed=False)
    return [f"{p.path}: {p.message} Fix: {p.fix} @{p.line}" for p in info.value.problems]


def test_toy_uncertain_scenario_is_valid() -> None:
    loaded = load_scenario(TOY)
    assert sum(f.range is not None or f.dist is not None for f in loaded.scenario.facts.values()) == 9


def test_every_uncertainty_problem_is_reported_at_once(tmp_path: Path) -> None:
    found = _problems(tmp_path, {
        "aid": {"range": [2.0e8, 1.0e8]},                                      # low > high
        "sigma": {"range": [4.0, 5.5]},                                         # value 3.8 outside
        "eps": {"dist": {"kind": "normal", "sd": -0.1}},                        # sd <= 0
        "ntb_gizmo": {"dist": {"kind": "beta", "a": 0, "b": 3}, "range": None},  # a <= 0, beta without range
        "w_prod": {"dist": {"kind": "triangular", "mode": 9.0}},                # mode outside range
        "w_exp": {"spread_assumption": None},                                   # no spread note
        "r_a": {"spread_source": "somewhere"},                                  # note without a spread
        "eta": {"draw_with": "supply_elasticities"},                            # group of one
        "gizmos_b_to_a": {"dist": {"kind": "normal", "sd": 1.0e8}},            # can draw a value <= 0
    })
    text = "\n".join(found)
    for needle in ("facts.aid.range: range [200000000.0, 100000000.0] has low ≥ high",
                   "facts.sigma.range: the point value 3.8 lies outside its own range",
                   "facts.eps.dist.sd: a normal distribution needs a standard deviation `sd` > 0",
                   "facts.ntb_gizmo.dist.a: a beta distribution needs shape `a` > 0",
                   "facts.ntb_gizmo.dist: a beta distribution needs the fact's `range`",
                   "facts.w_prod.dist.mode: mode 9.0 lies outside the range",
                   "facts.w_exp: an uncertain fact (with `range` or `dist`) needs exactly one of `spread_source`",
                   "facts.r_a: `spread_source`/`spread_assumption` given but the fact has no `range` or `dist`",
                   "facts.eta.draw_with: draw_with group 'supply_elasticities' has only this fact",
                   "facts.eta_gizmo.draw_with: draw_with group 'supply' has only this fact",
                   "facts.gizmos_b_to_a.dist: fact 'gizmos_b_to_a' feeds `markets[1].suppliers[0].value`, which "
                   "must be > 0"):
        assert needle in text, text
    assert all("@None" not in f for f in found), text  # every problem has a line


def test_a_range_crossing_a_sign_rule_is_an_error(tmp_path: Path) -> None:
    found = _problems(tmp_path, {"eps": {"range": [-2.0, 0.5], "dist": None}})
    assert any("facts.eps.range: fact 'eps' feeds `markets[0].demand_elasticity`, which must be < 0" in f
               for f in found), found


def test_parameters_of_another_kind_are_rejected(tmp_path: Path) -> None:
    found = _problems(tmp_path, {"aid": {"dist": {"kind": "uniform", "sd": 1.0}}})
    assert any("facts.aid.dist.sd: `sd` is not a parameter of a uniform distribution" in f for f in found), found
