"""Improving a deal: the rule's choice equals a brute-force search over all packages; a frontier deal has none."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.utility_tables import all_package_utilities
from tradetalks.bargain.comparison import compare_to_frontier
from tradetalks.bargain.frontier import pareto_frontier
from tradetalks.bargain.improve import IMPROVEMENT_RULES, improve_deal, improvement_objective
from tradetalks.errors import DataError, TradetalksError
from tradetalks.model import build_model
from tradetalks.scenario import load_scenario
from tradetalks.studies.improve import NEGLIGIBLE_USD, improve, improve_every_rule, parse_package

#: relative tolerance when sums of stakeholder payoffs (USD/yr ~1e10) are compared with utilities summed otherwise
SUM_RTOL = 1e-9

int_tables = st.lists(
    st.integers(1, 5).flatmap(
        lambda m: st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3)), min_size=m, max_size=m)
    ),
    min_size=1,
    max_size=4,
)
float_tables = st.lists(
    st.integers(1, 5).flatmap(
        lambda m: st.lists(
            st.tuples(*[st.floats(-10, 10, allow_nan=False, allow_infinity=False)] * 2), min_size=m, max_size=m
        )
    ),
    min_size=1,
    max_size=3,
)
batnas = st.tuples(st.integers(-4, 4), st.integers(-4, 4))


def brute_force(points: np.ndarray, u: np.ndarray, rule: str, d: np.ndarray) -> np.ndarray | None:
    """The rule's pick over ALL packages: best objective, then total, then party 0, then party 1."""
    gains = points - u
    dominating = (gains >= 0).all(axis=1) & (gains > 0).any(axis=1)
    if not dominating.any():
        return None
    cand = points[dominating]
    obj = improvement_objective(rule, gains[dominating], u - d)  # type: ignore[arg-type]
    keys = sorted(range(len(cand)), key=lambda j: (obj[j], cand[j].sum(), cand[j][0], cand[j][1]))
    return np.asarray(cand[keys[-1]])


def check(tables: list[np.ndarray], index: int, rule: str, d: np.ndarray) -> None:
    points = all_package_utilities(tables)
    u = points[index % len(points)]
    frontier = pareto_frontier(tables)
    found = improve_deal(frontier, u, rule, batna=d)  # type: ignore[arg-type]
    expected = brute_force(points, u, rule, d)
    if expected is None:
        assert found.on_frontier and found.utilities is None and found.choices is None and found.n_dominating == 0
        return
    assert not found.on_frontier and found.utilities is not None and found.gains is not None
    assert np.array_equal(found.utilities, expected), (rule, found, expected)
    assert (found.gains >= 0).all() and (found.gains > 0).any(), "a Pareto improvement"
    assert found.choices is not None
    rebuilt = tables[0][found.choices[0]].copy()
    for k in range(1, len(tables)):
        rebuilt = rebuilt + tables[k][found.choices[k]]
    assert np.array_equal(rebuilt, found.utilities), "the choices attain the chosen point"


@settings(max_examples=300, deadline=None)
@given(int_tables, st.integers(0, 10_000), st.sampled_from(IMPROVEMENT_RULES), batnas)
def test_matches_brute_force_with_ties(raw, index, rule, batna):
    check([np.array(t, dtype=np.float64) for t in raw], index, rule, np.array(batna, dtype=np.float64))


@settings(max_examples=200, deadline=None)
@given(float_tables, st.integers(0, 10_000), st.sampled_from(IMPROVEMENT_RULES), batnas)
def test_matches_brute_force_with_floats(raw, index, rule, batna):
    check([np.array(t, dtype=np.float64) for t in raw], index, rule, np.array(batna, dtype=np.float64))


@settings(max_examples=200, deadline=None)
@given(int_tables, st.sampled_from(IMPROVEMENT_RULES))
def test_a_deal_on_the_frontier_has_no_improvement(raw, rule):
    frontier = pareto_frontier([np.array(t, dtype=np.float64) for t in raw])
    for point in frontier.utilities:
        found = improve_deal(frontier, point, rule)
        assert found.on_frontier and found.gains is None and found.objective is None


def test_nash_rule_is_the_comparisons_best_improvement():
    frontier = pareto_frontier([[[0, 0], [4, 1], [1, 4]], [[0, 0], [1, 1]]])
    found = improve_deal(frontier, [1, 1], "nash")
    cmp = compare_to_frontier(frontier, [1, 1])
    assert found.utilities is not None and cmp.best_improvement is not None
    assert np.array_equal(found.utilities, cmp.best_improvement)


def test_proportional_keeps_the_split_of_the_surplus():
    # from the deal (1, 3), surplus (1, 3): gains (3, 9) keep the split, (4, 4) are equal
    frontier = pareto_frontier([[[1, 3], [5, 7], [4, 12], [2, 14], [10, 2]]])

    def pick(rule, batna=(0, 0)):
        found = improve_deal(frontier, [1, 3], rule, batna=batna)
        assert found.utilities is not None
        return found.utilities.tolist()

    assert pick("proportional") == [4.0, 12.0]
    assert pick("equal_gains") == [5.0, 7.0]
    # a side without surplus (at its BATNA) is only guaranteed not to lose: the other side's gain is maximised
    assert pick("proportional", batna=(1, 0)) == [2.0, 14.0]
    # neither side above its BATNA: equal gains
    assert pick("proportional", batna=(5, 5)) == [5.0, 7.0]


def test_bad_inputs_are_refused():
    frontier = pareto_frontier([[[0, 0], [1, 1]]])
    with pytest.raises(DataError, match="beyond the Pareto frontier"):
        improve_deal(frontier, [5, 5])
    with pytest.raises(DataError, match="Unknown improvement rule"):
        improve_deal(frontier, [0, 0], "kalai")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="two finite numbers"):
        improve_deal(frontier, [0, np.nan])


def test_result_is_immutable():
    found = improve_deal(pareto_frontier([[[0, 0], [1, 1]]]), [0, 0])
    assert found.utilities is not None
    with pytest.raises(ValueError):
        found.utilities[0] = 3.0
    assert "gains (1, 1)" in repr(found)


# ---------------------------------------------------------------------------------------------------- orchestration


@pytest.fixture(scope="module")
def korus():
    loaded = load_scenario("korus-2025")
    return loaded, build_model(loaded)


def test_parse_package():
    assert parse_package(["a=b", " c = d "]) == {"a": "b", "c": "d"}
    for bad in (["a"], ["=b"], ["a="]):
        with pytest.raises(TradetalksError, match="issue=option"):
            parse_package(bad)
    with pytest.raises(TradetalksError, match="twice"):
        parse_package(["a=b", "a=c"])


def test_the_batna_of_the_toy_is_improved_by_every_rule():
    loaded = load_scenario("tests/data/toy.yaml")
    results = improve_every_rule(loaded, {})
    assert set(results) == set(IMPROVEMENT_RULES)
    for r in results.values():
        assert r.deal_source == "given" and not r.on_frontier and r.gains is not None
        assert all(g >= 0 for g in r.gains.values()) and any(g > 0 for g in r.gains.values())
    with pytest.raises(TradetalksError, match="no observed outcome"):
        improve(loaded)
    with pytest.raises(TradetalksError, match="unknown improvement rule"):
        improve(loaded, {}, "kalai")  # type: ignore[arg-type]
    with pytest.raises(TradetalksError, match="unknown issue"):
        improve(loaded, {"nope": "x"})


@pytest.mark.parametrize("rule", IMPROVEMENT_RULES)
def test_the_observed_korus_deal_is_improvable(korus, rule):
    loaded, model = korus
    r = improve(loaded, rule=rule, model=model)
    assert r.deal_source == "observed" and r.deal_feasible and not r.on_frontier
    assert r.gains is not None and r.improved is not None and r.improved_utilities is not None
    assert min(r.gains.values()) >= 0 and max(r.gains.values()) > 0
    changed = {c.issue for c in r.changes}
    assert changed == {i for i in r.deal if r.deal[i] != r.improved[i]} and changed
    assert all(c.from_label and c.to_label for c in r.changes)
    # the stakeholder changes add up to each party's gain with the political weights
    weights = {s: model.cs.weights[k] for k, s in enumerate(model.cs.stakeholders)}
    for party, gain in r.gains.items():
        moved = sum(weights[c.stakeholder] * c.change for c in r.winners + r.losers if c.party == party)
        assert moved == pytest.approx(gain, rel=SUM_RTOL, abs=len(weights) * NEGLIGIBLE_USD * 3)
    assert all(c.change > 0 for c in r.winners) and all(c.change < 0 for c in r.losers)
    assert r.to_dict()["rule"] == rule


def test_a_frontier_package_cannot_be_improved(korus):
    loaded, model = korus
    nash = improve(loaded, rule="nash", model=model)
    assert nash.improved is not None
    again = improve(loaded, nash.improved, rule="equal_gains", model=model)
    assert again.on_frontier and again.changes == [] and again.gains is None
    assert "on the Pareto frontier" in repr(again)
