"""Inverse bargaining (tradetalks.studies.inverse): synthetic recovery of known parameters, invariants of the
likelihood, determinism, and the run on the built-in scenario."""

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
    default_parameters,
    evaluate_draws,
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

#: At the scenario's point values Korea loses about $1.4bn a year from the real deal (calibrated pass-through,
#: issue #7 §2), so no draw of weights alone explains it. These tests exercise the machinery on the built-in case
#: with Korea's value of the USFK commitment raised (a flagged assumption, range in the scenario), which puts the
#: deal back in the ZOPA; tests/test_inverse.py::test_korus_deal_outside_zopa_is_reported covers the point values.
KORUS_EXPLAINABLE = {"usfk_commitment_value": 3.0e9}


@pytest.fixture(scope="module")
def korus() -> tuple[object, object]:
    from tradetalks.model import build_model
    loaded = load_scenario("korus-2025", overrides=KORUS_EXPLAINABLE)
    return loaded, build_model(loaded)


def test_korus_default_parameters_and_power(korus: tuple) -> None:
    loaded, model = korus
    ids = default_parameters(loaded.scenario)
    assert ids[-2:] == ["kor_discount_rate", "usa_discount_rate"] and "w_kor_rice" in ids and len(set(ids)) == len(ids)
    r = infer(loaded, model, draws=30, seed=5)
    power = r.parameters[-1]
    assert power.id == "power_share:KOR" and power.value == pytest.approx(rubinstein_powers(0.25, 0.10)[0])
    assert [p.id for p in r.parameters[:-1]] == ids
    for p in r.parameters[:-1]:
        assert p.prior_low <= p.prior_quantiles[0] <= p.prior_quantiles[2] <= p.prior_high
        assert p.prior_low <= p.map <= p.prior_high
    assert 0 < r.ess <= r.consistent_draws <= r.draws
    assert [s.date for s in r.settlements] == ["2025-07-30", "2025-10-29", "2025-11-14"]
    first = r.settlements[0]
    assert first.package["steel_tariff"] == "s50" and first.package["auto_tariff"] == "a15"  # no-deal of 30 July
    assert "investment" not in first.settled_issues
    assert r.findings and any("bargaining-power share" in f for f in r.findings)
    assert set(r.map_nash_package) == set(r.observed.package)
    assert bool(r.map_differences) != r.map_predicted
    assert all(r.map_nash_package[i] == p and r.observed.package[i] == o for i, (p, o) in r.map_differences.items())


def test_korus_same_seed_same_result(korus: tuple) -> None:
    loaded, model = korus
    a = infer(loaded, model, draws=20, seed=3)
    assert a.to_dict() == infer(loaded, model, draws=20, seed=3).to_dict()
    assert a.to_dict() != infer(loaded, model, draws=20, seed=4).to_dict()


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
    with pytest.raises(InverseError, match="enter no political weight"):
        infer(loaded, model, draws=5, parameters=["w_kor_auto", "us_steel_imports_value"])
    with pytest.raises(InverseError, match="temperature"):
        infer(loaded, model, draws=5, temperature=0.0)
    with pytest.raises(InverseError, match="at least one draw"):
        infer(loaded, model, draws=0)
    with pytest.raises(InverseError, match="no observed outcome"):
        infer(load_scenario("tests/data/toy.yaml"), draws=5)


def test_cli_inverse_json() -> None:
    res = CliRunner().invoke(app, ["inverse", "korus-2025", "--draws", "10", "--seed", "1", "--json",
                                   "--set", "usfk_commitment_value=3e9"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["draws"] == 10 and data["parameters"][-1]["id"] == "power_share:KOR" and data["findings"]


def test_on_frontier_flags_efficient_deals() -> None:
    tables = (np.array([[2.0, 0, 2.0, 0], [1.0, 0, 1.0, 0]]),)
    theta = np.array([[1.0, 1.0, 0.5]])
    assert evaluate_draws(_single(tables, np.array([2.0, 0, 2.0, 0])), theta).on_frontier[0, 0]
    assert not evaluate_draws(_single(tables, np.array([1.0, 0, 1.0, 0])), theta).on_frontier[0, 0]


def test_findings_quote_the_posterior(korus: tuple) -> None:
    """A parameter whose mean moved up is reported with its posterior 5 % quantile ("at least"), one that moved
    down with its 95 % quantile ("at most"); a still one is not named."""
    import dataclasses

    from tradetalks.studies.inverse_findings import findings
    loaded, model = korus
    r = infer(loaded, model, draws=20, seed=2)
    up, down, still = (dataclasses.replace(p, shift=s) for p, s in zip(r.parameters[:3], (1.5, -1.2, 0.0),
                                                                        strict=True))
    r2 = dataclasses.replace(r, parameters=(up, down, still, *r.parameters[3:-1], r.parameters[-1]), ess=1e6)
    text = findings(r2)
    assert any(f"({up.id}) at least {up.posterior_quantiles[0]:.3g}" in t for t in text)
    assert any(f"({down.id}) at most {down.posterior_quantiles[2]:.3g}" in t for t in text)
    assert not any(f"({still.id})" in t for t in text)
    assert any("the observed deal itself" in t for t in r.findings)  # the 14 November fact sheet


def test_deal_outside_the_menu_is_the_only_choice_when_the_menu_has_no_zopa() -> None:
    """A real deal may break a scenario constraint, so no menu package reaches it; if no menu package beats the
    no-deal outcome for both, the deal is the whole choice set (probability one)."""
    tables = (np.array([[-1.0, 0, 3.0, 0]]),)
    d = evaluate_draws(_single(tables, np.array([1.0, 0, 1.0, 0])), np.array([[1.0, 1.0, 0.5]]))
    assert d.loglik[0, 0, 0] == 0.0 and d.predicted[0, 0] and not d.on_frontier[0, 0]


def test_any_scenario_with_an_observed_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The generic path: a small scenario and an observed file given by path (dated before its no-deal change)."""
    obs = tmp_path / "toy.observed.yaml"
    obs.write_text("schema_version: 1\nscenario: toy\ntitle: a deal\ndate: 2025-02-01\npackage:\n"
                   "  widget_tariff: {option: t0, source: test}\n  transfer: {option: more, source: test}\n",
                   encoding="utf-8")
    loaded = load_scenario("tests/data/toy.yaml", observed=obs)
    r = infer(loaded, draws=40, seed=0)
    assert r.power_rule == "rubinstein" and r.settlements == ()
    assert [p.id for p in r.parameters] == [*default_parameters(loaded.scenario), "power_share:A"]
    assert r.observed.date == "2025-02-01" and r.observed.package == {"widget_tariff": "t0", "transfer": "more"}
    assert 0 <= r.observed.p_predicted_posterior <= 1 and r.to_frame().shape[0] == len(r.parameters)
    assert "InverseResult(scenario='toy'" in repr(r)


def test_korus_deal_outside_zopa_is_reported() -> None:
    """At the point values no weight draw puts the real deal in the ZOPA: the error says so and what to do."""
    from tradetalks.studies.inverse import InverseError, infer
    with pytest.raises(InverseError, match="cannot explain it"):
        infer(load_scenario("korus-2025"), draws=20, seed=1)
