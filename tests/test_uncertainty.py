"""Uncertain facts: validation of ranges and distributions, batched valuation, the Monte Carlo study."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetalks.bargain import solutions as sol
from tradetalks.bargain.batch import batch_solutions
from tradetalks.bargain.comparison import compare_to_frontier
from tradetalks.bargain.frontier import pareto_frontier
from tradetalks.econ.batch import compile_batch, evaluate_quantity
from tradetalks.econ.pe import solve_market, solve_market_batch
from tradetalks.errors import ScenarioError, TradetalksError
from tradetalks.model import build_model, package_choice
from tradetalks.scenario import load_scenario
from tradetalks.studies.analyze import analyze
from tradetalks.studies.uncertainty import _evaluate, _Payload, uncertainty
from tradetalks.studies.uncertainty_draws import uncertain_inputs

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
    for needle in ("facts.aid.range: range [200000000.0, 100000000.0] has low > high",
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


# ---------------------------------------------------------------------------------------------------------------
# batched partial equilibrium and valuation



#: batched results agree with one-at-a-time results to this relative precision (of the largest entry compared)
BATCH_RTOL = 1e-9


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    if a.size == 0:  # e.g. no draw has a solution: nothing to compare
        return True
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1.0)
    return bool(np.max(np.abs(a - b)) <= BATCH_RTOL * scale)


def test_solve_market_batch_equals_solve_market_row_by_row() -> None:
    rng = np.random.default_rng(1)
    b, n = 40, 3
    v = rng.uniform(1e8, 5e9, (b, n))
    t0 = np.c_[rng.uniform(0, 0.3, (b, 2)), np.zeros(b)]
    t1 = np.c_[rng.uniform(0, 0.5, (b, 2)), np.zeros(b)]
    n0 = np.c_[rng.uniform(0, 0.1, (b, 2)), np.zeros(b)]
    eta = np.c_[rng.uniform(0.3, 4, b), np.full(b, np.inf), rng.uniform(0.5, 3, b)]
    eps, sigma = rng.uniform(-3, -0.3, b), rng.uniform(0.5, 8, b)
    sigma[0], eps[1] = 1.0, -1.0  # Cobb-Douglas and unit-elastic edge cases
    batch = solve_market_batch(v, t0, t1, demand_elasticity=eps, armington_elasticity=sigma, supply_elasticity=eta,
                               base_ntb=n0, new_ntb=0.0)
    for i in range(b):
        one = solve_market(v[i], t0[i], t1[i], demand_elasticity=eps[i], armington_elasticity=sigma[i],
                           supply_elasticity=eta[i], base_ntb=n0[i], new_ntb=0.0, domestic=[False, False, True])
        assert _close(np.array([one.consumer_surplus_change, one.tariff_revenue_change]),
                      np.array([batch.consumer_surplus_change[i], batch.tariff_revenue_change[i]]))
        assert _close(one.producer_surplus_change, batch.producer_surplus_change[i])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), eps=st.floats(-4.0, -0.2), sigma=st.floats(0.3, 10.0),
       eta=st.floats(0.2, 6.0))
def test_solve_market_batch_property(seed: int, eps: float, sigma: float, eta: float) -> None:
    """Row by row equal to solve_market; an unchanged policy has no effect at all."""
    rng = np.random.default_rng(seed)
    v = rng.uniform(1e7, 1e10, (3, 3))
    t0 = np.c_[rng.uniform(0, 0.5, (3, 2)), np.zeros(3)]
    t1 = np.c_[rng.uniform(0, 0.5, (3, 2)), np.zeros(3)]
    t1[0] = t0[0]  # row 0: no change
    supply = np.array([eta, np.inf, 2.0])
    b = solve_market_batch(v, t0, t1, demand_elasticity=eps, armington_elasticity=sigma, supply_elasticity=supply)
    assert b.consumer_surplus_change[0] == 0 and b.tariff_revenue_change[0] == 0
    assert (b.producer_surplus_change[0] == 0).all()
    for i in (1, 2):
        one = solve_market(v[i], t0[i], t1[i], demand_elasticity=eps, armington_elasticity=sigma,
                           supply_elasticity=supply, domestic=[False, False, True])
        assert _close(np.array([one.consumer_surplus_change, one.tariff_revenue_change]),
                      np.array([b.consumer_surplus_change[i], b.tariff_revenue_change[i]]))
        assert _close(one.producer_surplus_change, b.producer_surplus_change[i])


def test_evaluate_quantity_matches_the_scalar_grammar() -> None:
    from tradetalks.scenario.expressions import evaluate
    vals = {"a": 2.0, "b": -3.0, "c": 0.5}
    for expr in ("a", "-a * b / 2", "(a + b) * -c", "1 - c", 0.25):
        arr = evaluate_quantity(expr, {k: np.array([v, v]) for k, v in vals.items()}, 2)
        assert arr.tolist() == [evaluate(expr, vals)] * 2


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_time_basis_on_arrays_is_the_scalar_functions_bit_for_bit(seed: int) -> None:
    """flow(), lump() and the duration share, vectorised across draws, equal the scalar functions exactly (also at
    r = 0, below the series switch, for streams cut at or starting after the horizon)."""
    from tradetalks.econ.batch import _flow, _lump, _share
    from tradetalks.timebasis import duration_share, flow_equivalent, lump_equivalent

    rng = np.random.default_rng(seed)
    n = 64
    rate = rng.choice([0.0, 1e-12, 0.03, 0.05, 0.2], n) * rng.uniform(0.5, 1.5, n)
    horizon = rng.choice([1.0, 10.0, 30.0], n) * rng.uniform(0.5, 1.5, n)
    start = rng.choice([0.0, 0.5, 2.0, 12.0, 40.0], n)
    years = rng.choice([0.0, 1.0, 3.5, 10.0, 40.0], n) * rng.uniform(0.5, 1.5, n)
    amount = rng.normal(0, 1e9, n)
    flows, lumps, shares = _flow(amount, start, years, rate, horizon), _lump(amount, start, rate, horizon), \
        _share(rate, horizon, years)
    for i in range(n):
        assert flows[i] == flow_equivalent(amount[i], rate[i], horizon[i], start[i], years[i])
        assert lumps[i] == lump_equivalent(amount[i], rate[i], horizon[i], start[i])
        assert shares[i] == duration_share(rate[i], horizon[i], years[i])


def test_time_basis_on_arrays_rejects_what_the_scalar_functions_reject() -> None:
    from tradetalks.econ.batch import _flow, _lump, _share

    ok = np.array([0.05, 0.05])
    with pytest.raises(TradetalksError, match="discount rate"):
        _flow(np.ones(2), 0.0, 1.0, np.array([0.05, -0.01]), 10.0)
    with pytest.raises(TradetalksError, match="horizon must be positive"):
        _lump(np.ones(2), 0.0, ok, np.array([10.0, 0.0]))
    with pytest.raises(TradetalksError, match="finite number of years"):
        _share(ok, 10.0, np.array([1.0, np.nan]))


@pytest.mark.parametrize("ref", [str(TOY), "korus-2025"])
def test_batched_payoffs_equal_build_model_with_set_overrides(ref: str) -> None:
    loaded = load_scenario(ref)
    model = build_model(loaded)
    ids = list(loaded.scenario.facts)
    deal = None
    if loaded.observed is not None:
        deal = package_choice(model, {i: c.option for i, c in loaded.observed.package.items()})
    bv = compile_batch(loaded.scenario, ids, [(g.issues, g.combos) for g in model.groups],
                       extra=[deal] if deal is not None else [])
    rng = np.random.default_rng(7)
    base = np.array([loaded.facts[f] for f in ids])
    draws = base[None, :] * rng.uniform(0.85, 1.15, (3, len(ids)))  # every fact moves (signs kept)
    tables = bv.evaluate(draws, per_stakeholder=True)
    for d in range(draws.shape[0]):
        again = load_scenario(ref, overrides={f: float(draws[d, j]) for j, f in enumerate(ids)})
        m = build_model(again)
        for g in range(len(m.groups)):
            assert _close(m.payoffs[g], tables.payoffs[g][d])
            assert _close(m.utilities[g], tables.utilities[g][d])
        if deal is not None:
            from tradetalks.model import package_value
            _, u = package_value(m, {i: c.option for i, c in again.observed.package.items()})
            assert _close(u, tables.extra[0][d].sum(axis=0))


# ---------------------------------------------------------------------------------------------------------------
# batched bargaining solutions

tables_st = st.integers(1, 4).flatmap(lambda g: st.lists(
    st.integers(1, 6).map(lambda m: (m,)), min_size=g, max_size=g))


@settings(max_examples=30, deadline=None)
@given(shape=tables_st, seed=st.integers(0, 2**31 - 1), decimals=st.integers(0, 2), alpha=st.floats(0.5, 2.0))
def test_batch_solutions_equal_the_frontier_solutions(shape: list[tuple[int]], seed: int, decimals: int,
                                                      alpha: float) -> None:
    rng = np.random.default_rng(seed)
    d = 6
    tabs = [rng.normal(0, 1, (d, m, 2)).round(decimals) for (m,) in shape]  # rounding makes ties
    rows = [rng.integers(0, t.shape[1], d) for t in tabs]
    deal = tabs[0][np.arange(d), rows[0]]
    for t, r in zip(tabs[1:], rows[1:], strict=True):
        deal = deal + t[np.arange(d), r]
    got = batch_solutions(tabs, (1.0, alpha), deal, np.stack(rows, axis=1))
    for k in range(d):
        f = pareto_frontier([t[k] for t in tabs])
        for name, fn, kw in (("nash", sol.nash, {"powers": (1.0, alpha)}),
                             ("kalai_smorodinsky", sol.kalai_smorodinsky, {}),
                             ("egalitarian", sol.egalitarian, {}), ("utilitarian", sol.utilitarian, {})):
            want, b = fn(f, np.zeros(2), **kw), getattr(got, name)
            assert (want is None) == (not b.found[k]), name
            if want is not None and name == "utilitarian":  # equal sums are a tie that rounding may break either way
                assert _close(want.utilities.sum(keepdims=True), b.utilities[k].sum(keepdims=True)), name
            elif want is not None:
                assert _close(want.utilities, b.utilities[k]), name
        cmp = compare_to_frontier(f, deal[k])
        assert got.comparison is not None
        assert cmp.on_frontier == got.comparison.on_frontier[k]
        assert abs(cmp.left_on_table - got.comparison.left_on_table[k]) <= BATCH_RTOL * 10
        assert abs(cmp.distance - got.comparison.distance[k]) <= BATCH_RTOL * 10


@settings(max_examples=30, deadline=None)
@given(shape=tables_st, seed=st.integers(0, 2**31 - 1), first=st.integers(8, 40))
def test_batch_solutions_do_not_depend_on_the_order_of_the_groups(shape: list[tuple[int]], seed: int,
                                                                  first: int) -> None:
    """The searches cut the first group to each draw's non-dominated rows; the answers come back in the given
    rows: the utilities are the given tables summed at the returned rows, left to right, and (without ties)
    giving the groups in another order, e.g. :func:`group_order`'s, only shuffles the rows of each answer."""
    rng = np.random.default_rng(seed)
    d = 5
    tabs = [rng.normal(0, 1, (d, first, 2))] + [rng.normal(0, 3, (d, m, 2)) for (m,) in shape]  # a wide big group
    perm = rng.permutation(len(tabs))
    deal = sum(t[:, 0] for t in tabs)
    a = batch_solutions(tabs, (1.0, 1.5), deal, np.zeros(len(tabs), dtype=int), nash_seed=np.zeros(len(tabs), int))
    b = batch_solutions([tabs[g] for g in perm], (1.0, 1.5), sum(tabs[g][:, 0] for g in perm))
    for name in ("nash", "kalai_smorodinsky", "egalitarian", "utilitarian"):
        sa, sb = getattr(a, name), getattr(b, name)
        assert (sa.found == sb.found).all(), name
        k = np.flatnonzero(sa.found)
        total = tabs[0][k, sa.choices[k, 0]]
        for g in range(1, len(tabs)):
            total = total + tabs[g][k, sa.choices[k, g]]
        assert (total == sa.utilities[k]).all(), name  # given rows, summed left to right
        assert (sa.choices[k][:, perm] == sb.choices[k]).all(), name
        assert _close(sa.utilities[k], sb.utilities[k]), name
    assert a.comparison is not None and b.comparison is not None
    assert (a.comparison.on_frontier == b.comparison.on_frontier).all()
    assert _close(a.comparison.left_on_table, b.comparison.left_on_table)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), rows=st.integers(1, 40), decimals=st.integers(0, 1))
def test_first_group_is_cut_to_each_draws_skyline(seed: int, rows: int, decimals: int) -> None:
    """The searches' first table keeps, per draw, exactly the rows skyline_by_draw keeps (the first of equal
    points), and maps every kept row back to itself."""
    from tradetalks.bargain.batch import _Space
    from tradetalks.bargain.sensitivity import skyline_by_draw

    rng = np.random.default_rng(seed)
    d = 6
    table = rng.normal(size=(d, rows, 2)).round(decimals)  # rounding makes equal and dominated rows
    space = _Space.of([table])
    keep = skyline_by_draw(table.reshape(-1, 2), np.repeat(np.arange(d), rows))
    for k in range(d):
        want = sorted(int(x) % rows for x in keep if x // rows == k)
        assert sorted(set(space.first_rows[k].tolist())) == want
        assert sorted(np.flatnonzero(space.first_index[k] >= 0).tolist()) == want
        assert all(space.first_rows[k, space.first_index[k, r]] == r for r in want)
        assert (space.tables[0][k] == table[k, space.first_rows[k]]).all()


# ---------------------------------------------------------------------------------------------------------------
# drawing facts

def test_sampler_respects_ranges_groups_and_overrides() -> None:
    loaded = load_scenario(TOY, overrides={"aid": 9.0e7})
    ids = list(loaded.scenario.facts)
    sampler, inputs, held = uncertain_inputs(loaded, ids)
    assert held == ["aid"] and "aid" not in [f for i in inputs for f in i.facts]
    x = sampler.draw(np.random.default_rng(0), 4000)
    col = {f: j for j, f in enumerate(ids)}
    assert (x[:, col["aid"]] == 9.0e7).all()
    assert (x[:, col["r_a"]] == 0.05).all()  # certain facts stay at their value
    for fid in ("w_exp", "sigma", "eps", "ntb_gizmo", "w_prod"):
        lo, hi = loaded.scenario.facts[fid].range or (0, 0)
        assert lo <= x[:, col[fid]].min() and x[:, col[fid]].max() <= hi, fid
    assert abs(x[:, col["sigma"]].mean() - 4.0) < 0.05  # uniform on [2.5, 5.5]
    assert abs(np.median(x[:, col["gizmos_b_to_a"]]) / 6.0e8 - 1) < 0.03  # lognormal with the value as median
    eta, eta_g = x[:, col["eta"]], x[:, col["eta_gizmo"]]
    assert (np.argsort(eta) == np.argsort(eta_g)).all()  # one quantile per draw_with group: comonotone


@settings(max_examples=60, deadline=None)
@given(lo=st.floats(-1e9, 1e9), width=st.floats(1e-3, 1e9), mode=st.floats(0.0, 1.0), spread=st.floats(0.05, 3.0),
       seed=st.integers(0, 2**31 - 1))
def test_quantile_functions_are_scipys_bit_for_bit(lo: float, width: float, mode: float, spread: float,
                                                   seed: int) -> None:
    """Triangular, truncated normal and truncated lognormal quantiles, written out without scipy.stats (a worker
    need not import it), equal scipy.stats' own exactly."""
    import math

    from scipy import stats

    from tradetalks.studies.uncertainty_draws import _FactSpec, _ppf

    q = np.random.default_rng(seed).random(200)
    hi, m = lo + width, lo + mode * width
    med = abs(m) + 1e-3
    specs = [(_FactSpec(0, 0, "triangular", lo, hi, m, 0.0), stats.triang((m - lo) / (hi - lo), loc=lo, scale=hi - lo)),
             (_FactSpec(0, 0, "normal", lo, hi, m, spread * width), stats.norm(m, spread * width)),
             (_FactSpec(0, 0, "normal", -math.inf, math.inf, m, spread * width), stats.norm(m, spread * width)),
             (_FactSpec(0, 0, "lognormal", max(lo, 0.0), hi, med, spread), stats.lognorm(spread, scale=med)),
             (_FactSpec(0, 0, "lognormal", 0.0, math.inf, med, spread), stats.lognorm(spread, scale=med))]
    for spec, dist in specs:
        if spec.kind == "triangular":
            want = dist.ppf(q)
        else:
            a, b = float(dist.cdf(spec.lo)), float(dist.cdf(spec.hi))
            want = dist.ppf(a + q * (b - a))
        assert np.array_equal(_ppf(spec, q), want, equal_nan=True), spec.kind


def test_a_scenario_without_uncertain_facts_is_refused() -> None:
    with pytest.raises(TradetalksError, match="no uncertain fact"):
        uncertainty(load_scenario(DATA / "toy.yaml"), n_draws=10)


# ---------------------------------------------------------------------------------------------------------------
# the Monte Carlo study

@pytest.mark.parametrize("reverse", [False, True])
def test_each_draw_equals_analyze_on_that_draws_facts(reverse: bool) -> None:
    """Also with the groups compiled in another order than the model's (the study compiles them widest first):
    rows and utilities come back in the model's order."""
    loaded = load_scenario(TOY)
    model = build_model(loaded)
    ids = list(loaded.scenario.facts)
    sampler, _, _ = uncertain_inputs(loaded, ids)
    deal = package_choice(model, {i: c.option for i, c in loaded.observed.package.items()})  # type: ignore[union-attr]
    order = np.arange(len(model.groups))[::-1] if reverse else None
    compiled = [model.groups[g] for g in (order if order is not None else range(len(model.groups)))]
    bv = compile_batch(loaded.scenario, ids, [(g.issues, g.combos) for g in compiled], extra=[deal])
    payload = _Payload(valuation=bv, sampler=sampler, candidates=np.zeros((1, len(model.groups)), dtype=np.int64),
                       base_nash=np.zeros(len(model.groups), dtype=np.int64), deal_rows=None, has_deal=True,
                       order=order)
    x = sampler.draw(np.random.default_rng(3), 8)
    out = _evaluate(payload, x)
    if reverse:
        assert len(model.groups) > 1
        plain = _evaluate(dataclasses.replace(payload, order=None, valuation=compile_batch(
            loaded.scenario, ids, [(g.issues, g.combos) for g in model.groups], extra=[deal])), x)
        assert (out.rows == plain.rows).all() and (out.found == plain.found).all()
        assert np.array_equal(out.utilities, plain.utilities, equal_nan=True)  # summed in the model's order
        assert np.array_equal(out.deal, plain.deal) and np.array_equal(out.candidates, plain.candidates)
    for d in range(x.shape[0]):
        res = analyze(load_scenario(TOY, overrides={f: float(x[d, j]) for j, f in enumerate(ids)}))
        for k, name in enumerate(("nash", "kalai_smorodinsky", "egalitarian", "utilitarian")):
            want = res.solutions[name]
            assert want is not None and out.found[k, d]
            u = out.utilities[k, d]
            objective = {"nash": u[0] * u[1], "kalai_smorodinsky": None, "egalitarian": min(u), "utilitarian": sum(u)}
            if objective[name] is None:
                assert _close(np.array(list(want.utilities.values())), u), name
            else:  # a tie in the objective (a pure transfer) may be broken by rounding either way
                assert abs(want.objective - objective[name]) <= BATCH_RTOL * abs(want.objective), name
        assert res.observed is not None
        assert res.observed.on_frontier == bool(out.on_frontier[d])
        assert abs(res.observed.left_on_table - out.left[d]) <= BATCH_RTOL * abs(res.observed.left_on_table) + 1e-3


def _strip(d: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in d.items() if k not in ("seconds", "workers")}


def test_study_is_reproducible_and_its_shares_add_up() -> None:
    loaded = load_scenario(TOY)
    a = uncertainty(loaded, n_draws=300, seed=5, chunk_size=64, sobol_base=16, tornado=False)
    b = uncertainty(loaded, n_draws=300, seed=5, chunk_size=64, sobol_base=16, tornado=False)
    assert _strip(a.to_dict()) == _strip(b.to_dict())
    c = uncertainty(loaded, n_draws=300, seed=6, chunk_size=64, sobol_base=0, tornado=False)
    assert c.to_dict()["issues"] != a.to_dict()["issues"]
    for iss in a.issues:
        assert abs(sum(iss.shares.values()) - 1) < 1e-12
    assert a.base_nash_share <= a.modal_share + 1e-12
    assert a.observed is not None and 0 <= a.observed.in_zopa_share <= 1
    robust = {r.criterion: r for r in a.robust}
    assert set(robust) == {"beats_batnas", "expected_nash_product"}
    assert robust["beats_batnas"].beats_batnas_share >= robust["expected_nash_product"].beats_batnas_share
    assert a.sobol is not None and set(a.sobol.outputs) == {"gain:A", "gain:B", "nash_changes"}
    assert a.headline.endswith(".") and ". " not in a.headline and a.headline.startswith("Nash picks")  # one sentence


@pytest.mark.slow
def test_same_seed_same_result_on_two_workers() -> None:
    loaded = load_scenario(TOY)
    one = uncertainty(loaded, n_draws=400, seed=11, chunk_size=100, sobol_base=16, tornado=False, workers=1)
    two = uncertainty(loaded, n_draws=400, seed=11, chunk_size=100, sobol_base=16, tornado=False, workers=2)
    assert _strip(one.to_dict()) == _strip(two.to_dict())


def test_fast_path_gives_nash_and_the_deal_zopa_share_only() -> None:
    loaded = load_scenario(TOY)
    fast = uncertainty(loaded, n_draws=200, seed=5, chunk_size=64, sobol_base=0, tornado=False, solutions=("nash",))
    full = uncertainty(loaded, n_draws=200, seed=5, chunk_size=64, sobol_base=0, tornado=False)
    assert list(fast.solutions) == ["nash"] and len(full.solutions) == 4
    assert fast.solutions["nash"] == full.solutions["nash"]  # the same draws, the same Nash packages
    assert fast.observed is not None and full.observed is not None
    assert fast.observed.in_zopa_share == full.observed.in_zopa_share
    assert fast.observed.on_frontier_share is None and fast.observed.left_on_table is None
    assert full.observed.on_frontier_share is not None and full.observed.distance is not None
    with pytest.raises(TradetalksError, match="unknown solution"):
        uncertainty(loaded, n_draws=10, solutions=("nash", "shapley"))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------------
# command line

def test_cli_uncertainty_json_and_analyze_block(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from tradetalks.cli import app
    runner = CliRunner()
    res = runner.invoke(app, ["uncertainty", str(TOY), "--draws", "150", "--sobol", "8", "--seed", "3", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["n_draws"] == 150 and data["seed"] == 3 and data["sobol"]["base_samples"] == 8
    res = runner.invoke(app, ["uncertainty", str(TOY), "--draws", "100", "--sobol", "0", "--fast"])
    assert res.exit_code == 0, res.output
    assert "How sure are we" in res.output and "Nash picks its point-estimate package" in res.output
    res = runner.invoke(app, ["analyze", str(TOY), "--out", str(tmp_path), "--no-report", "--uncertainty", "100"])
    assert res.exit_code == 0, res.output
    assert "How sure: Nash picks" in res.output
    block = json.loads((tmp_path / "results.json").read_text())["uncertainty"]
    assert block["n_draws"] == 100 and block["headline"].startswith("Nash picks")
    res = runner.invoke(app, ["uncertainty", str(DATA / "toy.yaml"), "--draws", "10"])
    assert res.exit_code == 1 and "no uncertain fact" in res.output


# --- views: the terminal table, the report section ---------------------------------------------------------------

@pytest.fixture(scope="module")
def toy_mc() -> tuple[object, object]:
    """The toy scenario analysed with a small Monte Carlo block (Sobol on, so every view part has content)."""
    import dataclasses

    loaded = load_scenario(TOY)
    res = analyze(loaded)
    return loaded, dataclasses.replace(res, uncertainty=uncertainty(loaded, n_draws=200, sobol_base=8, seed=5))


def test_terminal_view_shows_labels_units_and_no_false_precision(toy_mc: tuple[object, object]) -> None:
    import re

    from rich.console import Console

    from tradetalks.report.format import Labels
    from tradetalks.report.uncertainty_view import print_uncertainty

    loaded, res = toy_mc
    console = Console(width=200, record=True)
    print_uncertainty(res.uncertainty, console, labels=Labels.from_scenario(loaded.scenario))  # type: ignore[attr-defined]
    out = console.export_text()
    scenario = loaded.scenario  # type: ignore[attr-defined]
    for iss in scenario.issues:
        assert iss.name in out, f"issue {iss.id} shown by its name"
    assert "USD bn/yr" in out and "share of draws" in out
    assert not re.search(r"[+−-]\d+\.\d\d\b", out.split("What decides it")[0]), "money with one decimal"
    assert not re.search(r"\d+\.\d+ ?%", out), "shares as whole percentages"
    assert "group:" not in out.split("What decides it")[-1].split("One at a time")[0]


def test_analyze_prints_how_sure_right_after_the_solutions(toy_mc: tuple[object, object]) -> None:
    from rich.console import Console

    from tradetalks.report.terminal import print_summary

    _, res = toy_mc
    console = Console(width=200, record=True)
    print_summary(res, console)  # type: ignore[arg-type]
    out = console.export_text()
    assert out.count("How sure:") == 1
    assert out.index("Bargaining solutions") < out.index("How sure:") < out.index("ZOPA:")


def test_report_section_from_the_block(toy_mc: tuple[object, object]) -> None:
    from tradetalks.report.how_sure import how_sure_view
    from tradetalks.report.html import render_report

    _, res = toy_mc
    view = how_sure_view(res)  # type: ignore[arg-type]
    u = res.uncertainty  # type: ignore[attr-defined]
    assert view is not None and "group:" not in view["headline"]
    assert view["headline"].split(";")[0] == u.headline.split(";")[0]
    assert len(view["gains"]) == len(u.solutions) + len(u.robust) + (u.observed is not None)
    page = render_report(res)  # type: ignore[arg-type]
    sure = page.split('<section id="how-sure">', 1)[1].split("</section>", 1)[0]
    assert "fig-sure-shares" in sure and "fig-sure-gains" in sure and "What decides the answer" in sure
    assert "--uncertainty 2000" not in sure, "no how-to line when the block is there"


def test_results_json_doc_lists_every_field_of_the_block() -> None:
    """docs/results-json.md documents exactly the fields UncertaintyResult.to_dict() writes."""
    import dataclasses
    import re

    from tradetalks.studies.uncertainty_results import UncertaintyResult

    doc = (Path(__file__).parent.parent / "docs" / "results-json.md").read_text(encoding="utf-8")
    section = doc.split("## `uncertainty`", 1)[1].split("\n## ", 1)[0]
    documented = {name for row in re.findall(r"^\| (`[^|]+`) \|", section, flags=re.M)
                  for name in re.findall(r"`(\w+)`", row)}
    assert documented == {f.name for f in dataclasses.fields(UncertaintyResult)}


def test_headline_names_groups_not_ids(toy_mc: tuple[object, object]) -> None:
    import dataclasses

    from tradetalks.report.how_sure import readable_headline
    from tradetalks.studies.uncertainty_results import UncertainInput

    _, res = toy_mc
    group = UncertainInput(id="group:w", facts=["a", "b"], kinds=["uniform"] * 2, low=[0, 0], high=[1, 1],
                           spread=["", ""])
    u = dataclasses.replace(res.uncertainty, inputs=[group],  # type: ignore[attr-defined]
                            headline="what decides the package most is group:w (total Sobol index 0.9).")
    assert readable_headline(u) == "what decides the package most is w (2 facts drawn together) (total Sobol " \
                                   "index 0.9)."
