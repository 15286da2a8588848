"""Inverse bargaining (tradetalks.studies.inverse): synthetic recovery of known parameters (weights and power on
fixed payoffs; a valuation fact through the batched valuation), invariants of the likelihood, the exact pruned
frontier, "what would it take" when nothing explains the deal, determinism, and the run on the built-in scenario."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tradetalks.bargain import solutions as sol
from tradetalks.bargain.frontier import pareto_frontier
from tradetalks.bargain.timing import rubinstein_powers
from tradetalks.cli import app
from tradetalks.scenario import load_scenario
from tradetalks.studies.inverse import (
    InverseError,
    InverseProblem,
    Prior,
    Target,
    build_problem,
    evaluate_draws,
    frontier_above,
    infer,
    joint_weights,
    prior_from_facts,
)
from tradetalks.studies.inverse_findings import weighted_quantiles

#: float tolerance of probabilities that must sum to one (sums of a few dozen exponentials)
PROB_TOL = 1e-9
#: synthetic recovery: negotiations sharing the true parameters, prior draws, logit temperature of the data
N_NEGOTIATIONS = 8
N_DRAWS = 1000
SYNTH_TEMPERATURE = 0.05
#: the 90 % posterior interval must be at most this share of the prior's 90 % interval for the identified weights
NARROWING = 0.7
#: simulation-based calibration: replicates and the least acceptable coverage of the 90 % interval
SBC_REPLICATES = 20
SBC_MIN_COVERAGE = 0.75

IDS = ("wa", "wb", "a")
LOW, HIGH = np.array([0.5, 0.5, 0.2]), np.array([2.0, 2.0, 0.8])


def _prior() -> Prior:
    return Prior(ids=IDS, low=LOW, high=HIGH, value=(LOW + HIGH) / 2, group=np.arange(3), basis=("test",) * 3)


def _weights_matrix(theta: np.ndarray) -> np.ndarray:
    """(S, 2) weight matrix of the synthetic negotiation: stakeholders (1, wa | 1, wb)."""
    return np.array([[1.0, 0], [theta[0], 0], [0, 1.0], [0, theta[1]]])


def _tables(rng: np.random.Generator, groups: int = 3, options: int = 5) -> tuple[np.ndarray, ...]:
    """Random stakeholder payoffs (m, S=4) per group: each party's two stakeholders pull different ways."""
    return tuple(rng.normal(0.3, 1.0, size=(options, 4)) for _ in range(groups))


def _draw_observed(tables: tuple[np.ndarray, ...], theta: np.ndarray, temperature: float,
                   rng: np.random.Generator) -> np.ndarray | None:
    """Stakeholder payoffs of a package drawn from the model's own logit over the frontier at ``theta``."""
    w = _weights_matrix(theta)
    front = pareto_frontier([t @ w for t in tables])
    ok = (front.utilities > 0).all(axis=1)
    if not ok.any():
        return None
    g = front.utilities[ok]
    ell = theta[2] * np.log(g[:, 0]) + (1 - theta[2]) * np.log(g[:, 1])
    p = np.exp((ell - ell.max()) / temperature)
    pick = rng.choice(np.flatnonzero(ok), p=p / p.sum())
    return np.asarray(sum(t[c] for t, c in zip(tables, front.choices[pick], strict=True)))


def synthetic_problem(theta: np.ndarray, n: int, seed: int, temperature: float) -> InverseProblem:
    """``n`` independent negotiations sharing the true ``theta`` = (wa, wb, a), each with a deal drawn from the
    model (logit noise at ``temperature``)."""
    rng = np.random.default_rng(seed)
    menus, targets = [], []
    while len(targets) < n:
        tables = _tables(rng)
        obs = _draw_observed(tables, theta, temperature, rng)
        if obs is None:
            continue
        targets.append(Target(label=f"synthetic {len(targets)}", date=None, settled=(), package={},
                              menu=len(menus), package_payoffs=obs, batna_payoffs=np.zeros(4)))
        menus.append(tables)
    return InverseProblem(menus=tuple(menus), stakeholder_party=np.array([0, 0, 1, 1]),
                          weight_exprs=(1.0, "wa", 1.0, "wb"), power_exprs=("a", "1 - a"), power_rule="direct",
                          facts=dict(zip(IDS, theta.tolist(), strict=True)), prior=_prior(), targets=tuple(targets),
                          temperatures=(temperature,))


def _posterior(problem: InverseProblem, draws: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    theta = problem.prior.sample(np.random.default_rng(seed), draws)
    return theta, joint_weights(evaluate_draws(problem, theta), range(len(problem.targets)))


# --- synthetic cases with known parameters ---------------------------------------------------------------------

def test_recovers_known_weights_and_power() -> None:
    """Deals drawn from the model at known (wa, wb, a): each truth lies in its 90 % posterior interval, the
    posterior median is closer to it than the prior median, and the interval is narrower than the prior's."""
    truth = np.array([1.6, 0.8, 0.35])
    theta, w = _posterior(synthetic_problem(truth, N_NEGOTIATIONS, 0, SYNTH_TEMPERATURE), N_DRAWS, 100)
    for k in range(3):
        lo, med, hi = weighted_quantiles(theta[:, k], w)
        plo, pmed, phi = weighted_quantiles(theta[:, k], np.ones_like(w))
        assert lo <= truth[k] <= hi, IDS[k]
        assert abs(med - truth[k]) < abs(pmed - truth[k]), IDS[k]
        assert hi - lo < NARROWING * (phi - plo), IDS[k]


@pytest.mark.slow
def test_posterior_intervals_are_calibrated() -> None:
    """Simulation-based calibration (Talts et al. 2018): with the truth drawn from the prior, the 90 % posterior
    interval covers it in about 90 % of replicates."""
    covered = np.zeros(3)
    for r in range(SBC_REPLICATES):
        truth = _prior().sample(np.random.default_rng(1000 + r), 1)[0]
        theta, w = _posterior(synthetic_problem(truth, 3, r, SYNTH_TEMPERATURE), 400, 2000 + r)
        for k in range(3):
            lo, _, hi = weighted_quantiles(theta[:, k], w)
            covered[k] += lo <= truth[k] <= hi
    assert (covered / SBC_REPLICATES >= SBC_MIN_COVERAGE).all(), covered


# --- invariants of the likelihood ------------------------------------------------------------------------------

def _single(tables: tuple[np.ndarray, ...], package_payoffs: np.ndarray, temperature: float = 0.1,
            batna: np.ndarray | None = None) -> InverseProblem:
    target = Target(label="t", date=None, settled=(), package={}, menu=0, package_payoffs=package_payoffs,
                    batna_payoffs=np.zeros(4) if batna is None else batna)
    return InverseProblem(menus=(tables,), stakeholder_party=np.array([0, 0, 1, 1]),
                          weight_exprs=(1.0, "wa", 1.0, "wb"), power_exprs=("a", "1 - a"), power_rule="direct",
                          facts={"wa": 1.0, "wb": 1.0, "a": 0.5}, prior=_prior(), targets=(target,),
                          temperatures=(temperature,))


payoff_tables = st.integers(0, 2**31 - 1).map(lambda s: _tables(np.random.default_rng(s), groups=2, options=4))
parameters = st.tuples(st.floats(0.5, 2.0), st.floats(0.5, 2.0), st.floats(0.2, 0.8)).map(np.array)


@settings(max_examples=25, deadline=None)
@given(payoff_tables, parameters, st.sampled_from([0.02, 0.1, 1.0]))
def test_frontier_probabilities_sum_to_one(tables: tuple[np.ndarray, ...], theta: np.ndarray, tau: float) -> None:
    """Over the frontier points in the ZOPA, the likelihoods are a probability distribution, each at most 1, and
    exactly the Nash point (as bargain.solutions.nash finds it) is "predicted"."""
    w = _weights_matrix(theta)
    front = pareto_frontier([t @ w for t in tables])
    nash = sol.nash(front, np.zeros(2), powers=(theta[2], 1 - theta[2]))
    total = 0.0
    for row, u in zip(front.choices, front.utilities, strict=True):
        pay = sum(t[c] for t, c in zip(tables, row, strict=True))
        d = evaluate_draws(_single(tables, pay, tau), theta[None, :])
        if (u > 0).all():
            assert d.loglik[0, 0, 0] <= PROB_TOL
            total += math.exp(d.loglik[0, 0, 0])
            assert bool(d.predicted[0, 0]) == (nash is not None and np.allclose(u, nash.utilities, rtol=1e-12))
        else:
            assert d.loglik[0, 0, 0] == -np.inf and not d.predicted[0, 0] and d.gap[0, 0] == np.inf
    assert total == pytest.approx(1.0 if nash is not None else 0.0, abs=PROB_TOL)


@settings(max_examples=25, deadline=None)
@given(payoff_tables, parameters, st.floats(0.1, 10.0))
def test_likelihood_ignores_the_scale_of_a_party(tables: tuple[np.ndarray, ...], theta: np.ndarray,
                                                 c: float) -> None:
    """Rescaling one party's payoffs changes no likelihood (the log Nash product shifts by a constant)."""
    pay = tables[0][0] + tables[1][0]
    scale = np.array([c, c, 1.0, 1.0])
    a = evaluate_draws(_single(tables, pay), theta[None, :])
    b = evaluate_draws(_single(tuple(t * scale for t in tables), pay * scale), theta[None, :])
    np.testing.assert_allclose(b.loglik, a.loglik, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(b.gap, a.gap, rtol=1e-9, atol=1e-9)


def test_dominated_deal_joins_the_choice_set() -> None:
    """A deal strictly inside the frontier is less likely than the frontier point that dominates it, and the
    choice set (frontier points in the ZOPA plus the deal) still sums to one."""
    tables = (np.array([[2.0, 0, 2.0, 0], [1.0, 0, 1.0, 0], [3.0, 0, 0.5, 0]]),)
    theta = np.array([[1.0, 1.0, 0.5]])
    inside = evaluate_draws(_single(tables, np.array([1.0, 0, 1.0, 0])), theta)
    corner = evaluate_draws(_single(tables, np.array([2.0, 0, 2.0, 0])), theta)
    other = evaluate_draws(_single(tables, np.array([3.0, 0, 0.5, 0])), theta)
    assert inside.loglik[0, 0, 0] < corner.loglik[0, 0, 0]
    assert inside.gap[0, 0] == pytest.approx(math.log(2.0))
    ell = np.array([0.0, 0.5 * math.log(1.5)]) / 0.1  # log Nash of (1,1) and (3,0.5) relative to (2,2) = log 2
    expect = math.exp(-math.log(2) / 0.1) / (1 + math.exp(-math.log(2) / 0.1) + math.exp(ell[1] - math.log(2) / 0.1))
    assert math.exp(inside.loglik[0, 0, 0]) == pytest.approx(expect, rel=1e-12)
    assert corner.predicted[0, 0] and not other.predicted[0, 0]


def test_deal_outside_the_zopa_has_zero_likelihood() -> None:
    tables = (np.array([[2.0, 0, 2.0, 0], [-1.0, 0, 3.0, 0]]),)
    d = evaluate_draws(_single(tables, np.array([-1.0, 0, 3.0, 0])), np.array([[1.0, 1.0, 0.5]]))
    assert d.loglik[0, 0, 0] == -np.inf and d.gap[0, 0] == np.inf and not d.predicted[0, 0]


def test_chunks_depend_on_the_seed_not_on_the_number_of_draws() -> None:
    """The first chunk's draws are the same whatever the job size (a seed per chunk)."""
    from tradetalks.studies.inverse import CHUNK_SIZE, run_draws
    problem = synthetic_problem(np.array([1.0, 1.0, 0.5]), 2, 0, SYNTH_TEMPERATURE)
    small, large = run_draws(problem, CHUNK_SIZE, seed=7), run_draws(problem, CHUNK_SIZE + 20, seed=7)
    np.testing.assert_array_equal(large.theta[:CHUNK_SIZE], small.theta)
    np.testing.assert_array_equal(large.loglik[:CHUNK_SIZE], small.loglik)
    assert not np.array_equal(run_draws(problem, 20, seed=8).theta, small.theta[:20])


def test_prior_uses_ranges_and_draws_groups_together() -> None:
    scn = load_scenario("korus-2025").scenario
    facts = {fid: f.value for fid, f in scn.facts.items()}
    new = dict(scn.facts)
    new["w_kor_auto"] = scn.facts["w_kor_auto"].model_copy(update={"range": (1.0, 3.0), "draw_with": "kor"})
    new["w_kor_steel"] = scn.facts["w_kor_steel"].model_copy(update={"range": (0.5, 1.5), "draw_with": "kor"})
    prior = prior_from_facts(scn.model_copy(update={"facts": new}), facts, ["w_kor_auto", "w_kor_steel", "w_us_auto"])
    us = scn.facts["w_us_auto"]
    us_lo, us_hi = us.range if us.range is not None else (0.5 * us.value, 1.5 * us.value)  # ±50 % without a range
    assert prior.low.tolist() == [1.0, 0.5, us_lo] and prior.high.tolist() == [3.0, 1.5, us_hi]
    x = prior.sample(np.random.default_rng(0), 200)
    np.testing.assert_allclose((x[:, 0] - 1.0) / 2.0, x[:, 1] - 0.5)  # one quantile for the group
    assert ((x >= prior.low) & (x <= prior.high)).all()
    assert not np.allclose((x[:, 0] - 1.0) / 2.0, (x[:, 2] - 0.75) / 1.5)


# --- the built-in scenario -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def korus() -> tuple[object, object]:
    """korus-2025 at its own ranges: every uncertain fact is drawn (no override needed since the draws include the
    valuations, e.g. Korea's value of the USFK commitment, under which the deal is in the ZOPA)."""
    from tradetalks.model import build_model
    loaded = load_scenario("korus-2025")
    return loaded, build_model(loaded)


def test_korus_draws_every_uncertain_fact_that_moves_utilities(korus: tuple) -> None:
    from tradetalks.scenario.uncertainty_checks import is_uncertain
    loaded, model = korus
    r = infer(loaded, model, draws=30, seed=5)
    assert r.explained and 0 < r.ess <= r.consistent_draws <= r.draws
    ids = [p.id for p in r.parameters[:-1]]
    facts = loaded.scenario.facts
    assert all(is_uncertain(facts[f]) for f in ids) and len(set(ids)) == len(ids)
    for kind in ("w_kor_rice", "kor_discount_rate", "usfk_commitment_value", "us_car_demand_elasticity"):
        assert kind in ids, kind  # weights, powers, valuations and elasticities alike
    assert "thr_kor_assembly" not in ids  # a ratification threshold moves no utility
    power = r.parameters[-1]
    kor, usa = loaded.facts["kor_discount_rate"], loaded.facts["usa_discount_rate"]
    assert power.id == "power_share:KOR" and power.value == pytest.approx(rubinstein_powers(kor, usa)[0])
    for p in r.parameters[:-1]:
        assert p.prior_low <= p.prior_quantiles[0] <= p.prior_quantiles[2] <= p.prior_high
        assert p.prior_low <= p.map <= p.prior_high
    assert [s.date for s in r.settlements] == ["2025-07-30", "2025-10-29", "2025-11-14"]
    first = r.settlements[0]
    assert first.package["steel_tariff"] == "s50" and first.package["auto_tariff"] == "a15"  # no-deal of 30 July
    assert "investment" not in first.settled_issues
    assert r.findings and any("bargaining-power share" in f for f in r.findings)
    assert set(r.map_nash_package) == set(r.observed.package)
    assert bool(r.map_differences) != r.map_predicted
    assert all(r.map_nash_package[i] == p and r.observed.package[i] == o for i, (p, o) in r.map_differences.items())
    assert r.draws_per_second > 0 and r.inputs > 0


def test_korus_acceptance_at_point_values(korus: tuple) -> None:
    """At the point values Korea loses from the deal against the no-deal path of its date (analyze says so too):
    the result reports the shortfall and the inputs that, moved alone, put the deal in the ZOPA."""
    from tradetalks.studies.analyze import dated_view
    loaded, model = korus
    r = infer(loaded, model, draws=20, seed=1)
    acc = r.acceptance
    assert acc is not None
    deal = {i: c.option for i, c in loaded.observed.package.items()}
    view = dated_view(model, loaded, deal, loaded.observed.date, "dated_batna", "test")
    for party, gain in acc.point_gains.items():
        assert gain == pytest.approx(view.utilities[party], rel=1e-9, abs=1.0)
    assert acc.point_shortfall == pytest.approx(sum(max(0.0, -g) for g in acc.point_gains.values()))
    if acc.point_shortfall > 0:
        assert any(c.threshold is not None for c in acc.checks)
        assert any("What would it take" in f for f in r.findings)
    assert [c.best_shortfall for c in acc.checks] == sorted(c.best_shortfall for c in acc.checks)


def test_korus_same_seed_same_result(korus: tuple) -> None:
    loaded, model = korus

    def stable(res: object) -> dict:
        d = res.to_dict()  # type: ignore[attr-defined]
        return {k: v for k, v in d.items() if k not in ("seconds", "draws_per_second")}

    a = infer(loaded, model, draws=20, seed=3)
    assert stable(a) == stable(infer(loaded, model, draws=20, seed=3))
    assert stable(a) != stable(infer(loaded, model, draws=20, seed=4))


def test_estimated_temperature_maximises_the_evidence(korus: tuple) -> None:
    loaded, model = korus
    r = infer(loaded, model, draws=20, seed=3, temperature=None)
    assert r.temperature_estimated and r.temperature == max(r.evidence_by_temperature,
                                                           key=r.evidence_by_temperature.__getitem__)
    at_edge = r.temperature == max(r.evidence_by_temperature)
    assert at_edge == any("top of the grid" in f for f in r.findings)


def test_bad_requests_say_what_to_fix(korus: tuple) -> None:
    loaded, model = korus
    with pytest.raises(InverseError, match="unknown parameter"):
        infer(loaded, model, draws=5, parameters=["w_nobody"])
    with pytest.raises(InverseError, match="move no payoff"):
        infer(loaded, model, draws=5, parameters=["w_kor_auto", "thr_kor_assembly"])
    with pytest.raises(InverseError, match="held at a --set value"):
        held = load_scenario("korus-2025", overrides={"usfk_commitment_value": 3e9})
        infer(held, model, draws=5, parameters=["usfk_commitment_value"])
    with pytest.raises(InverseError, match="temperature"):
        infer(loaded, model, draws=5, temperature=0.0)
    with pytest.raises(InverseError, match="at least one draw"):
        infer(loaded, model, draws=0)
    with pytest.raises(InverseError, match="no observed outcome"):
        infer(load_scenario("tests/data/toy.yaml"), draws=5)


def test_cli_inverse_json() -> None:
    res = CliRunner().invoke(app, ["inverse", "korus-2025", "--draws", "10", "--seed", "1", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["draws"] == 10 and data["parameters"][-1]["id"] == "power_share:KOR" and data["findings"]
    assert data["explained"] is True and data["acceptance"]["checks"]


def test_on_frontier_flags_efficient_deals() -> None:
    tables = (np.array([[2.0, 0, 2.0, 0], [1.0, 0, 1.0, 0]]),)
    theta = np.array([[1.0, 1.0, 0.5]])
    assert evaluate_draws(_single(tables, np.array([2.0, 0, 2.0, 0])), theta).on_frontier[0, 0]
    assert not evaluate_draws(_single(tables, np.array([1.0, 0, 1.0, 0])), theta).on_frontier[0, 0]


def test_findings_quote_the_posterior(korus: tuple) -> None:
    """A parameter whose mean moved up is reported with its posterior 5 % quantile ("at least"), one that moved
    down with its 95 % quantile ("at most"); a still one is not named."""
    import dataclasses

    from tradetalks.studies.inverse_findings import findings, in_units
    loaded, model = korus
    r = infer(loaded, model, draws=20, seed=2)
    moved = {"usfk_commitment_value": 1.5, "us_car_demand_elasticity": -1.2}
    params = tuple(dataclasses.replace(p, shift=moved.get(p.id, 0.0)) for p in r.parameters[:-1])
    up, down = (next(p for p in params if p.id == k) for k in moved)
    still = params[0]
    r2 = dataclasses.replace(r, parameters=(*params, r.parameters[-1]), ess=1e6)
    text = findings(r2)
    assert any(f"({up.id}) at least {in_units(up.posterior_quantiles[0], up.unit)}" in t for t in text)
    assert any(f"({down.id}) at most {in_units(down.posterior_quantiles[2], down.unit)}" in t for t in text)
    assert in_units(up.posterior_quantiles[0], up.unit).startswith("$")  # a valuation, in $bn/yr
    assert not any(f"({still.id})" in t for t in text)
    assert any("the observed deal itself" in t for t in r.findings)  # the 14 November fact sheet


def test_deal_outside_the_menu_is_the_only_choice_when_the_menu_has_no_zopa() -> None:
    """A real deal may break a scenario constraint, so no menu package reaches it; if no menu package beats the
    no-deal outcome for both, the deal is the whole choice set (probability one)."""
    tables = (np.array([[-1.0, 0, 3.0, 0]]),)
    d = evaluate_draws(_single(tables, np.array([1.0, 0, 1.0, 0])), np.array([[1.0, 1.0, 0.5]]))
    assert d.loglik[0, 0, 0] == 0.0 and d.predicted[0, 0] and not d.on_frontier[0, 0]


def test_any_scenario_with_an_observed_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The generic path: a scenario without uncertain facts infers its weights and powers with the default spread
    (an observed file given by path, dated before its no-deal change)."""
    from tradetalks.studies.inverse import default_parameters
    obs = tmp_path / "toy.observed.yaml"
    obs.write_text("schema_version: 1\nscenario: toy\ntitle: a deal\ndate: 2025-02-01\npackage:\n"
                   "  widget_tariff: {option: t0, source: test}\n  transfer: {option: more, source: test}\n",
                   encoding="utf-8")
    loaded = load_scenario("tests/data/toy.yaml", observed=obs)
    r = infer(loaded, draws=40, seed=0)
    assert r.power_rule == "rubinstein" and r.settlements == ()
    assert [p.id for p in r.parameters] == [*sorted(default_parameters(loaded.scenario),
                                                    key=list(loaded.scenario.facts).index), "power_share:A"]
    assert all("default" in p.prior_basis for p in r.parameters[:-1])
    assert r.observed.date == "2025-02-01" and r.observed.package == {"widget_tariff": "t0", "transfer": "more"}
    assert 0 <= r.observed.p_predicted_posterior <= 1 and r.to_frame().shape[0] == len(r.parameters)
    assert "InverseResult(scenario='toy'" in repr(r)


# --- a valuation fact through the batched valuation ------------------------------------------------------------

#: the synthetic security-for-access negotiation: levels of each issue, B's cost per squared commitment level and
#: the price of a level of access (USD/yr); A values a level of commitment at v_sec (the fact to recover)
SEC_LEVELS, ACCESS_LEVELS, SEC_COST, ACCESS_PRICE = 11, 21, 0.2e9, 1.0e9
#: the recovered 90 % interval must be at most this share of the prior's
VALUE_NARROWING = 0.3
VALUE_TEMPERATURE = 0.02


def _security_yaml() -> str:
    """A scenario where the Nash package moves with a valuation: with transferable access the joint surplus
    k v - c k^2 peaks at k = v / (2 c), so the agreed commitment level reveals A's value of it."""
    com = "\n".join(f"      - {{id: c{k}, label: level {k}, payoffs: {{a_gov: {k} * v_sec, b_gov: "
                    f"{-SEC_COST * k * k:.6g}}}}}" for k in range(SEC_LEVELS))
    acc = "\n".join(f"      - {{id: x{k}, label: level {k}, payoffs: {{a_gov: {-ACCESS_PRICE * k:.6g}, b_gov: "
                    f"{ACCESS_PRICE * k:.6g}}}}}" for k in range(ACCESS_LEVELS))

    def party(pid: str) -> str:
        return (f"  - id: {pid}\n    name: Party {pid}\n    discount_rate: r_{pid.lower()}\n    stakeholders:\n"
                f"      - {{id: {pid.lower()}_gov, name: {pid} government}}\n    delegations:\n"
                "      - {since: 2025-01-01, label: first, members: [{name: X, title: Minister}], source: test}\n")

    return ("schema_version: 1\nid: synth\ntitle: Security for access\ndescription: test\nas_of: 2025-01-01\n"
            f"parties:\n{party('A')}{party('B')}facts:\n"
            "  r_a: {value: 0.05, unit: 1/yr, assumption: test}\n  r_b: {value: 0.05, unit: 1/yr, assumption: test}\n"
            "  v_sec: {value: 1.5e+9, unit: USD/yr, assumption: test, range: [3.0e+8, 3.0e+9], "
            "spread_assumption: test}\n"
            "issues:\n  - id: commitment\n    name: B's commitment\n    category: security\n    batna: c0\n"
            f"    options:\n{com}\n  - id: access\n    name: A's access\n    category: offer\n    batna: x0\n"
            f"    options:\n{acc}\n")


@pytest.fixture(scope="module")
def security(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A loader of the security scenario with a given observed package."""
    root = tmp_path_factory.mktemp("security")
    (root / "synth.yaml").write_text(_security_yaml(), encoding="utf-8")

    def load(package: dict[str, str]):  # type: ignore[no-untyped-def]
        obs = root / "synth.observed.yaml"
        obs.write_text("schema_version: 1\nscenario: synth\ntitle: synthetic\ndate: 2025-05-01\npackage:\n"
                       + "".join(f"  {k}: {{option: {v}, source: test}}\n" for k, v in package.items()),
                       encoding="utf-8")
        return load_scenario(str(root / "synth.yaml"), observed=obs)
    return load


@pytest.mark.parametrize("truth", [0.6e9, 1.2e9, 2.0e9, 2.7e9])
def test_recovers_a_valuation_fact(security, truth: float) -> None:  # type: ignore[no-untyped-def]
    """The deal is the Nash package at a known v_sec; the posterior over v_sec (drawn from its range through the
    batched valuation) covers the truth with a 90 % interval far narrower than the prior's."""
    from tradetalks.model import build_model
    from tradetalks.studies.inverse import _nash_at
    loaded = security({"commitment": "c0", "access": "x0"})
    problem, _ = build_problem(loaded, build_model(loaded), ["v_sec"], (VALUE_TEMPERATURE,))
    package = _nash_at(build_model(loaded), problem, np.array([truth]))
    r = infer(security(package), draws=400, seed=1, temperature=VALUE_TEMPERATURE)
    p = r.parameters[0]
    assert p.id == "v_sec" and r.explained
    lo, _, hi = p.posterior_quantiles
    assert lo <= truth <= hi
    assert hi - lo < VALUE_NARROWING * (p.prior_quantiles[2] - p.prior_quantiles[0])


def test_threshold_of_acceptance_is_exact_for_a_linear_gain(security) -> None:  # type: ignore[no-untyped-def]
    """Commitment 5 for access 7: A gains 5 v - 7e9, so it accepts above v = 1.4e9; the one-at-a-time scan finds
    that value (A's gain is linear in v between the scan points)."""
    r = infer(security({"commitment": "c5", "access": "x7"}), draws=50, seed=0)
    check = r.acceptance.checks[0]
    assert check.input == "v_sec" and check.threshold == pytest.approx(7 * ACCESS_PRICE / 5, rel=1e-9)


def test_no_draw_in_the_zopa_says_what_it_would_take(security) -> None:  # type: ignore[no-untyped-def]
    """Commitment 1 for access 4: A gains v - 4e9 < 0 over all of v's range. No exception: the result says the
    model cannot explain the deal, and how far it is (1e9 at the top of the range)."""
    r = infer(security({"commitment": "c1", "access": "x4"}), draws=50, seed=0)
    assert not r.explained and r.ess == 0 and r.consistent_draws == 0
    acc = r.acceptance
    assert acc.point_shortfall == pytest.approx(4e9 - 1.5e9)
    check = acc.checks[0]
    assert check.threshold is None and check.best_value == pytest.approx(3e9)
    assert check.best_shortfall == pytest.approx(1e9) and acc.closest_draw_shortfall >= check.best_shortfall
    assert any("cannot explain" in f for f in r.findings) and any("What would it take" in f for f in r.findings)
    assert math.isnan(r.parameters[0].posterior_mean)
    json.dumps(r.to_dict())  # NaN posterior fields become null


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_pruned_frontier_is_the_frontier_above_the_floor(seed: int) -> None:
    """frontier_above gives exactly the frontier points of pareto_frontier at or above the floor."""
    rng = np.random.default_rng(seed)
    tables = [rng.normal(size=(int(rng.integers(1, 6)), 2)).round(int(rng.integers(0, 3)))
              for _ in range(int(rng.integers(1, 5)))]
    floor = rng.normal(size=2)
    front = pareto_frontier(tables).utilities
    expected = sorted(map(tuple, front[(front >= floor).all(axis=1)]))
    assert sorted(map(tuple, frontier_above(tables, floor))) == expected


def test_analyze_fills_the_inverse_block() -> None:
    """analyze(..., inverse_draws=N) runs the inverse on the observed deal and results.json carries it."""
    from tradetalks.studies.analyze import analyze
    res = analyze(load_scenario("tests/data/toy-uncertain.yaml"), inverse_draws=20)
    assert res.inverse is not None and res.inverse.draws == 20
    block = res.to_dict()["inverse"]
    assert block["draws"] == 20 and block["parameters"] and "acceptance" in block
    assert res.inverse.headline
