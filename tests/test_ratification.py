"""Two-level games: every win-set answer equals brute force on small random instances."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradetalks.bargain.concession import what_would_it_take
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
from tradetalks.model import build_model, decode_package
from tradetalks.scenario import load_scenario
from tradetalks.scenario.expressions import evaluate
from tradetalks.studies.ratify import ratify

#: Integer payoffs make every sum exact, so frontiers and solutions are compared with ==.
EXAMPLES = 80


#: a weight change meets the threshold up to this many ulps of the sum's terms (summation order)
SUM_ULPS = 4
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


@st.composite
def party_cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, RatificationRule]:
    n_st, r = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    payoff = np.array(draw(st.lists(st.integers(-6, 6), min_size=n_st, max_size=n_st)), dtype=float)
    cares = np.array(draw(st.lists(st.integers(0, 3), min_size=n_st * r, max_size=n_st * r)), dtype=float)
    rule = RatificationRule(
        tables=(np.zeros((1, r)),),
        thresholds=np.array(draw(st.lists(st.integers(-8, 8), min_size=r, max_size=r)), dtype=float),
        veto=np.array(draw(st.lists(st.booleans(), min_size=r, max_size=r))),
        votes=np.array(draw(st.lists(st.integers(0, 3), min_size=r, max_size=r)), dtype=float),
        quota=draw(st.sampled_from([0.0, 0.5, 2 / 3, 1.0])))
    return payoff, cares.reshape(n_st, r), rule


@PROPERTY
@given(party_cases())
def test_what_would_it_take_is_minimal(case: tuple[np.ndarray, np.ndarray, RatificationRule]) -> None:
    payoff, cares, rule = case
    c = what_would_it_take(payoff, cares, rule)
    values = payoff @ cares
    assert c.ratifiable == brute_rule(payoff, cares, rule)
    for rej in c.rejecting:
        j = rej.ratifier
        assert values[j] < rule.thresholds[j] and rej.value + rej.shortfall == rule.thresholds[j]
        assert rule.thresholds[j] + rej.threshold_change <= values[j]  # the changed threshold is met...
        assert np.nextafter(rule.thresholds[j] + rej.threshold_change, np.inf) > values[j]  # ...and no less would do
        for w in rej.weight_changes:
            new = cares.copy()
            new[w.stakeholder, j] += w.change
            # met up to the rounding of the sum's order (numpy sums a strided column differently from the
            # library's contiguous copy: one ulp either way, e.g. 2 + 1 − 2 with a weight of −1/3)
            slack = SUM_ULPS * np.finfo(float).eps * float(np.abs(payoff * new[:, j]).sum())
            assert payoff @ new[:, j] >= rule.thresholds[j] - slack
            new[w.stakeholder, j] = cares[w.stakeholder, j] + w.change * (1 - 1e-6)
            assert payoff @ new[:, j] < rule.thresholds[j]
            assert w.needs_negative_weight == (cares[w.stakeholder, j] + w.change < 0)
        alone = rule.thresholds.copy()
        alone[j] = values[j]
        assert rej.alone_suffices == bool(rule_met(values, RatificationRule(
            rule.tables, alone, rule.veto, rule.votes, rule.quota))[0])
    if c.ratifiable:
        assert c.cheapest_flip == () and c.cheapest_cost == 0
        return
    rejecting = [r.ratifier for r in c.rejecting]
    best = min(sum(rule.thresholds[j] - values[j] for j in subset)
               for k in range(len(rejecting) + 1) for subset in itertools.combinations(rejecting, k)
               if brute_rule_with(values, rule, set(subset)))
    assert c.cheapest_cost == best
    assert brute_rule_with(values, rule, set(c.cheapest_flip))


def brute_rule_with(values: np.ndarray, rule: RatificationRule, won_over: set[int]) -> bool:
    """The rule met when the ratifiers in ``won_over`` accept regardless of their value."""
    accept = [values[j] >= rule.thresholds[j] or j in won_over for j in range(rule.n_ratifiers)]
    if not all(a for a, v in zip(accept, rule.veto, strict=True) if v):
        return False
    total = sum(rule.votes[j] for j in range(rule.n_ratifiers) if not rule.veto[j])
    got = sum(rule.votes[j] for j in range(rule.n_ratifiers) if not rule.veto[j] and accept[j])
    return total <= 0 or got >= rule.quota * total


# --- ratify() on scenarios -------------------------------------------------------------------------------------

TOY = "tests/data/toy.yaml"


def scenario_file(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the toy scenario with ``edit`` applied to its data."""
    data = yaml.safe_load(Path(TOY).read_text())
    edit(data)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def more_transfers(data: dict[str, Any]) -> None:
    """Transfers in steps of a quarter of `aid`: a ZOPA with several packages, so ratification can move the deal."""
    issue = next(i for i in data["issues"] if i["id"] == "transfer")
    issue["options"] = [{"id": "none", "label": "nothing"}] + [
        {"id": f"k{k}", "label": f"{k / 4} aid", "payoffs": {"a_treasury": f"-{k / 4} * aid",
                                                              "b_treasury": f"{k / 4} * aid"}} for k in range(1, 9)]


def literal_rule(scn: Any, facts: dict[str, float], party: int, payoff: dict[str, float]) -> bool:
    """A party's ratification rule read straight off the scenario (independent of ratify's arrays)."""
    rat = scn.parties[party].ratification
    if rat is None:
        return True
    acc = [sum(evaluate(w, facts) * payoff[s] for s, w in r.cares_about.items()) >= evaluate(r.threshold, facts)
           for r in rat.ratifiers]
    if not all(a for a, r in zip(acc, rat.ratifiers, strict=True) if r.veto):
        return False
    votes = [(a, evaluate(r.votes, facts)) for a, r in zip(acc, rat.ratifiers, strict=True) if not r.veto]
    total = sum(v for _, v in votes)
    return total <= 0 or sum(v for a, v in votes if a) >= evaluate(rat.quota, facts) * total


def brute_scenario(path: Path | str) -> tuple[Any, list[dict[str, str]], np.ndarray, np.ndarray]:
    """Every package of a scenario: (model, packages, utilities (N, 2), rule met (N, 2))."""
    loaded = load_scenario(path)
    model = build_model(loaded)
    pkgs, utils, met = [], [], []
    for ch in itertools.product(*[range(len(g.combos)) for g in model.groups]):
        pay = model.payoffs[0][ch[0]]
        for g in range(1, len(ch)):
            pay = pay + model.payoffs[g][ch[g]]
        pkgs.append(decode_package(model, ch))
        utils.append(package_values(model.utilities, np.array([ch]))[0])
        named = dict(zip(model.cs.stakeholders, pay.tolist(), strict=True))
        met.append([literal_rule(loaded.scenario, loaded.facts, p, named) for p in (0, 1)])
    return model, pkgs, np.array(utils), np.array(met)


@pytest.mark.parametrize("variant", ["toy", "more_transfers", "strict_lobby", "no_ratifiers", "quota"])
def test_ratify_equals_brute_force(tmp_path: Path, variant: str) -> None:
    def edit(data: dict[str, Any]) -> None:
        if variant != "toy":
            more_transfers(data)
        if variant == "strict_lobby":  # Beta's producers veto losses above 1.5e7 a year: no zero tariff
            a, b = data["parties"][0]["ratification"]["ratifiers"], data["parties"][1]["ratification"]["ratifiers"]
            a[0]["threshold"], a[1]["threshold"] = -1.0e8, 3.0e7
            b[1]["veto"], b[1]["threshold"] = True, -1.5e7
        if variant == "no_ratifiers":
            for p in data["parties"]:
                p.pop("ratification")
        if variant == "quota":  # three non-veto lobbies, two thirds of the votes needed
            data["parties"][0]["ratification"] = {"quota": 0.66, "ratifiers": [
                {"id": f"l{k}", "name": f"lobby {k}", "kind": "lobby", "cares_about": {"a_exporters": 1,
                 "a_treasury": k / 2}, "threshold": 1.0e7 * k, "votes": k} for k in (1, 2, 3)]}

    path = scenario_file(tmp_path, edit)
    _, _, util, met = brute_scenario(path)
    res = ratify(load_scenario(path), n_samples=1000)
    d = np.zeros(2)
    for p in (0, 1):
        ws = res.parties[p]
        assert ws.size.method == "exact" and ws.size.count == int(met[:, p].sum())
        assert ws.nonempty == bool(met[:, p].any())
        for side, who in ((ws.best_for_self, p), (ws.best_for_other, 1 - p)):
            pts = util[met[:, p]]
            best = pts[np.lexsort((pts[:, 1 - who], pts[:, who]))[-1]]
            assert side is not None and list(side.utilities.values()) == best.tolist()
    both = met.all(axis=1)
    zopa = both & (util > d).all(axis=1)
    assert (res.overlap.size.count, res.overlap.zopa_size.count) == (int(both.sum()), int(zopa.sum()))
    for a in res.agreements:
        powers = tuple(a.powers.values())
        expected = nash(pareto_frontier([util[zopa]]), d, powers) if zopa.any() else None
        got = None if a.ratified is None else list(a.ratified.utilities.values())
        assert got == (None if expected is None else expected.utilities.tolist())
        free = nash(pareto_frontier([util]), d, powers)
        assert a.unconstrained is not None and free is not None
        assert list(a.unconstrained.utilities.values()) == free.utilities.tolist()
        if a.ratified is not None:
            assert a.shift == {k: a.ratified.utilities[k] - a.unconstrained.utilities[k] for k in a.shift or {}}
    assert res.has_ratifiers == (variant != "no_ratifiers")
    if variant == "strict_lobby":
        assert res.agreements[0].changes and not res.agreements[0].unconstrained_ratifiable["B"]
        assert any("Ratification moves" in n for n in res.notes)
    if variant == "no_ratifiers":
        assert "no ratifiers" in res.notes[0] and all(a.changes == [] for a in res.agreements)
    json.dumps(res.to_dict())
    assert res.scenario in repr(res)


def test_what_it_would_take_makes_the_package_ratifiable(tmp_path: Path) -> None:
    """Apply each reported smallest change to the scenario file: the package becomes ratifiable for that party."""
    res = ratify(load_scenario(TOY))
    check = res.checks[0]
    verdict = next(v for pv in check.parties for v in pv.ratifiers if not v.accepts)
    assert verdict.id == "a_parliament" and verdict.alone_suffices
    assert verdict.threshold_change is not None and verdict.weight_change is not None

    def lower_threshold(data: dict[str, Any]) -> None:
        data["parties"][0]["ratification"]["ratifiers"][0]["threshold"] = verdict.threshold + verdict.threshold_change

    def change_weight(data: dict[str, Any]) -> None:
        assert verdict.weight_change is not None
        cares = data["parties"][0]["ratification"]["ratifiers"][0]["cares_about"]
        cares[verdict.weight_change["stakeholder"]] = verdict.weight_change["new_weight"]

    for edit in (lower_threshold, change_weight):
        again = ratify(load_scenario(scenario_file(tmp_path, edit)), package=check.package)
        assert again.checks[-1].label == "given package" and again.checks[-1].parties[0].ratifiable


def test_checks_cover_observed_and_given_packages() -> None:
    loaded = load_scenario(TOY)
    res = ratify(loaded, package={"widget_tariff": "t15"})
    assert [c.label for c in res.checks] == ["nash (unconstrained)", "given package"]
    given_pkg = res.checks[-1]
    assert given_pkg.package == {"widget_tariff": "t15", "transfer": "none"}
    assert given_pkg.parties[0].cheapest_flip  # Alpha's lobby wants 5e7 for exporters; t15 gives 3.7e7
    assert [r.kind for r in res.parties[0].ratifiers] == ["legislature", "lobby"]


def test_ratify_on_the_builtin_scenario_runs() -> None:
    """korus-2025 has ratifiers on both sides and more packages than are enumerated: every size is a sampled
    estimate inside its interval, the nested sets are ordered, and the checked packages carry verdicts."""
    res = ratify(load_scenario("korus-2025"))
    assert res.has_ratifiers and all(p.has_ratifiers and p.ratifiers for p in res.parties)
    total = res.parties[0].size.total
    assert total > 2_000_000
    sizes = [p.size for p in res.parties] + [res.overlap.size, res.overlap.zopa_size]
    for size in sizes:
        assert size.method == "sampled" and size.total == total and size.ci95 is not None
        assert size.ci95[0] <= size.count <= size.ci95[1] <= total
    kor, usa, overlap, zopa = (s.count for s in sizes)
    assert zopa <= overlap <= min(kor, usa) < total, "a ratifier rejects some package, so no win-set is everything"
    assert res.narrower_winset == (res.parties[0].party if kor < usa else res.parties[1].party)
    labels = [c.label for c in res.checks]
    assert "observed deal" in labels
    for c in res.checks:
        assert c.ratifiable == all(pv.ratifiable for pv in c.parties)
