"""Two-level games: every win-set answer equals brute force on small random instances."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradetalks.bargain.frontier import pareto_frontier, skyline
from tradetalks.bargain.ratification import (
    RatificationRule,
    best_ratifiable,
    constrained_frontier,
    constrained_nash,
    count_winsets,
    package_values,
    ratifiable,
    ratifier_tables,
    rule_met,
)
from tradetalks.bargain.solutions import nash
from tradetalks.errors import DataError

#: Integer payoffs make every sum exact, so frontiers and solutions are compared with ==.
EXAMPLES = 80


PROPERTY = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(params=[True, False], ids=["shortcut", "milp-only"])
def shortcut(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run with and without answering sweep steps from the unconstrained frontier (the MILP alone must agree)."""
    monkeypatch.setattr("tradetalks.bargain.ratification._FRONTIER_SHORTCUT", request.param)
    return bool(request.param)


@dataclass
class Instance:
    payoffs: list[np.ndarray]  # per group (m_g, S)
    utilities: list[np.ndarray]  # per group (m_g, 2)
    cares: list[np.ndarray | None]  # per party (S, R) or None
    rules: list[RatificationRule | None]


@st.composite
def instances(draw: st.DrawFn, max_groups: int = 5, max_rows: int = 4) -> Instance:
    n_st = draw(st.integers(2, 4))
    party = np.array([k % 2 for k in range(n_st)])
    weights = np.array(draw(st.lists(st.integers(1, 3), min_size=n_st, max_size=n_st)), dtype=float)
    w = np.zeros((n_st, 2))
    w[np.arange(n_st), party] = weights
    n_groups = draw(st.integers(1, max_groups))
    payoffs = []
    for _ in range(n_groups):
        m = draw(st.integers(1, max_rows))
        vals = draw(st.lists(st.integers(-5, 5), min_size=m * n_st, max_size=m * n_st))
        payoffs.append(np.array(vals, dtype=float).reshape(m, n_st))
    cares: list[np.ndarray | None] = []
    rules: list[RatificationRule | None] = []
    for _ in range(2):
        if draw(st.booleans()) and draw(st.booleans()):
            cares.append(None)
            rules.append(None)
            continue
        r = draw(st.integers(1, 3))
        c = np.array(draw(st.lists(st.integers(0, 2), min_size=n_st * r, max_size=n_st * r)), dtype=float)
        c = c.reshape(n_st, r)
        rule = RatificationRule(
            tables=tuple(ratifier_tables(payoffs, c)),
            thresholds=np.array(draw(st.lists(st.integers(-6, 4), min_size=r, max_size=r)), dtype=float),
            veto=np.array(draw(st.lists(st.booleans(), min_size=r, max_size=r))),
            votes=np.array(draw(st.lists(st.integers(0, 3), min_size=r, max_size=r)), dtype=float),
            quota=draw(st.sampled_from([0.0, 0.5, 2 / 3, 1.0])))
        cares.append(c)
        rules.append(rule)
    return Instance(payoffs, [p @ w for p in payoffs], cares, rules)


def brute_rule(payoff: np.ndarray, cares: np.ndarray | None, rule: RatificationRule | None) -> bool:
    """The rule evaluated literally from a package's stakeholder payoffs (independent of rule_met)."""
    if rule is None or cares is None:
        return True
    accept = [float(payoff @ cares[:, j]) >= rule.thresholds[j] for j in range(rule.n_ratifiers)]
    if not all(a for a, v in zip(accept, rule.veto, strict=True) if v):
        return False
    total = sum(rule.votes[j] for j in range(rule.n_ratifiers) if not rule.veto[j])
    got = sum(rule.votes[j] for j in range(rule.n_ratifiers) if not rule.veto[j] and accept[j])
    return total <= 0 or got >= rule.quota * total


def brute(inst: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every package: choices (N, G), utilities (N, 2) left to right, and each party's rule met (N,) x2."""
    choices = np.array(list(itertools.product(*[range(len(p)) for p in inst.payoffs])), dtype=np.int64)
    pay = np.array([sum(inst.payoffs[g][c[g]] for g in range(len(c))) for c in choices])
    util = package_values(inst.utilities, choices)
    met = [np.array([brute_rule(p, inst.cares[k], inst.rules[k]) for p in pay]) for k in (0, 1)]
    return choices, util, met[0], met[1]


def point_set(u: np.ndarray) -> set[tuple[float, float]]:
    return {(float(a), float(b)) for a, b in u}


@PROPERTY
@given(instances())
def test_rule_met_matches_the_literal_rule(inst: Instance) -> None:
    choices, _, met0, met1 = brute(inst)
    for rule, met in zip(inst.rules, (met0, met1), strict=True):
        got = ratifiable([rule], choices)
        assert got.tolist() == met.tolist()


@PROPERTY
@given(instances(), st.sampled_from(["party0", "party1", "both"]), st.booleans())
def test_constrained_frontier_equals_filtered_skyline(shortcut: bool, inst: Instance, which: str,
                                                     with_floor: bool) -> None:
    rules = {"party0": [inst.rules[0], None], "party1": [None, inst.rules[1]], "both": inst.rules}[which]
    _, util, met0, met1 = brute(inst)
    keep = {"party0": met0, "party1": met1, "both": met0 & met1}[which]
    floor = np.array([-1.0, 0.0]) if with_floor else None
    if floor is not None:
        keep = keep & (util > floor).all(axis=1)
    expected = point_set(util[keep][skyline(util[keep])]) if keep.any() else set()
    got = constrained_frontier(inst.utilities, rules, floor=floor)
    assert point_set(got.utilities) == expected
    assert ratifiable(rules, got.choices).all()
    assert np.array_equal(package_values(inst.utilities, got.choices), got.utilities)


@PROPERTY
@given(instances(), st.sampled_from([(1.0, 1.0), (2.0, 1.0), (1.0, 3.0), (0.25, 0.75)]),
       st.tuples(st.integers(-3, 2), st.integers(-3, 2)))
def test_constrained_nash_equals_brute_force(shortcut: bool, inst: Instance, powers: tuple[float, float],
                                             batna: tuple[int, int]) -> None:
    _, util, met0, met1 = brute(inst)
    d = np.array(batna, dtype=float)
    keep = met0 & met1 & (util > d).all(axis=1)
    got = constrained_nash(inst.utilities, inst.rules, d, powers)
    if not keep.any():
        assert got is None
        return
    front = pareto_frontier([util[keep]])
    expected = nash(front, d, powers)
    assert got is not None and expected is not None
    assert got.utilities.tolist() == expected.utilities.tolist()
    assert got.objective == expected.objective
    assert ratifiable(inst.rules, got.choices).all()


@PROPERTY
@given(instances(), st.sampled_from([0, 1]), st.sampled_from([0, 1, 2]))
def test_best_ratifiable_is_the_lexicographic_best(shortcut: bool, inst: Instance, party: int, which: int) -> None:
    rules = [[inst.rules[0], None], [None, inst.rules[1]], inst.rules][which]
    _, util, met0, met1 = brute(inst)
    keep = [met0, met1, met0 & met1][which]
    got = best_ratifiable(inst.utilities, rules, party)
    if not keep.any():
        assert got is None
        return
    pts = util[keep]
    best = pts[np.lexsort((pts[:, 1 - party], pts[:, party]))[-1]]
    assert got is not None and got.utilities.tolist() == best.tolist()
    assert ratifiable(rules, got.choices).all()


@PROPERTY
@given(instances(), st.tuples(st.integers(-3, 2), st.integers(-3, 2)))
def test_exact_winset_counts(inst: Instance, batna: tuple[int, int]) -> None:
    _, util, met0, met1 = brute(inst)
    d = np.array(batna, dtype=float)
    c = count_winsets(inst.utilities, inst.rules, d, rng=np.random.default_rng(0))
    assert c.party[0].method == "exact"
    assert (c.party[0].count, c.party[1].count) == (int(met0.sum()), int(met1.sum()))
    assert c.overlap.count == int((met0 & met1).sum())
    assert c.overlap_zopa.count == int((met0 & met1 & (util > d).all(axis=1)).sum())


def test_sampled_counts_cover_the_exact_ones() -> None:
    rng = np.random.default_rng(7)
    payoffs = [rng.integers(-5, 6, size=(6, 4)).astype(float) for _ in range(7)]
    w = np.array([[1.0, 0], [2, 0], [0, 1], [0, 1.5]])
    util = [p @ w for p in payoffs]
    cares = np.array([[1.0, 0], [1, 1], [0, 0], [0, 0]])
    rule = RatificationRule(tuple(ratifier_tables(payoffs, cares)), np.array([0.0, 2.0]), np.array([True, False]),
                            np.ones(2), 0.5)
    exact = count_winsets(util, [rule, None], [0.0, 0.0], rng=np.random.default_rng(1))
    sampled = count_winsets(util, [rule, None], [0.0, 0.0], rng=np.random.default_rng(1), max_enumerate=0,
                            n_samples=100_000)
    assert exact.overlap.method == "exact" and sampled.overlap.method == "sampled"
    for e, s in [(exact.party[0], sampled.party[0]), (exact.overlap_zopa, sampled.overlap_zopa)]:
        assert s.ci95 is not None and s.ci95[0] <= e.count <= s.ci95[1]
    assert sampled.party[1].count == sampled.party[1].total  # no ratifiers: every package


def test_real_valued_scale_and_tolerance(shortcut: bool) -> None:
    """USD-sized values (1e9) with thresholds met exactly at the boundary: the MILP answers pass the exact check."""
    rng = np.random.default_rng(3)
    payoffs = [rng.normal(0, 1e9, size=(8, 4)).round(-3) for _ in range(6)]
    w = np.array([[1.0, 0], [2, 0], [0, 1], [0, 1.5]])
    util = [p @ w for p in payoffs]
    cares = np.array([[1.0], [0.5], [0], [0]])
    tables = tuple(ratifier_tables(payoffs, cares))
    choices = np.array(list(itertools.product(*[range(8)] * 6)))
    vals = package_values(list(tables), choices)[:, 0]
    theta = float(np.quantile(vals, 0.9))  # a threshold some package meets with equality
    rule = RatificationRule(tables, np.array([theta]), np.array([True]), np.ones(1), 0.5)
    u = package_values(util, choices)
    keep = vals >= theta
    expected = point_set(u[keep][skyline(u[keep])])
    got = constrained_frontier(util, [rule, None])
    assert point_set(got.utilities) == expected
    assert rule_met(package_values(list(tables), got.choices), rule).all()


def test_a_rule_needs_matching_tables() -> None:
    with pytest.raises(DataError, match="quota"):
        RatificationRule((np.zeros((2, 1)),), np.zeros(1), np.array([True]), np.ones(1), 1.5)
    rule = RatificationRule((np.zeros((2, 1)),), np.zeros(1), np.array([True]), np.ones(1), 0.5)
    with pytest.raises(DataError, match="row counts"):
        constrained_frontier([np.zeros((3, 2))], [rule, None])
