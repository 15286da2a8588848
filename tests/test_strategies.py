"""Strategies (time-dependent, tit-for-tat, Rubinstein, ratifier-aware, opponent modelling) and their registry."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradetalks.bargain.arena import make_arena
from tradetalks.bargain.opponent import BayesianModel, FrequencyModel
from tradetalks.bargain.protocol import negotiate
from tradetalks.bargain.ratifiers import RatificationRule
from tradetalks.bargain.strategies import (
    STRATEGY_NAMES,
    Agent,
    Boulware,
    Conceder,
    Linear,
    RubinsteinOptimal,
    TitForTat,
    make_strategy,
    parse_strategy,
)
from tradetalks.bargain.timing import discount_factor, rubinstein_shares
from tradetalks.errors import TradetalksError

#: equilibrium shares are checked to this absolute tolerance (floating-point rounding of the closed form)
SHARE_TOL = 1e-9
#: one grid step of the synthetic frontier below, as a share of a party's range (3 issues × 100 steps)
GRID = 1 / 300


def linear_issues(n_issues: int = 3, steps: int = 101) -> list[np.ndarray]:
    """Issues whose options trade one for one: u0 = x, u1 = 1 - x (a straight frontier from (3, 0) to (0, 3))."""
    x = np.linspace(0.0, 1.0, steps)
    return [np.column_stack([x, 1.0 - x])] * n_issues


def agent(strategy: object, arena_rounds: int = 20, party: int = 0) -> Agent:
    arena = make_arena(linear_issues(), np.zeros(2), rounds=arena_rounds)
    assert isinstance(strategy, (Boulware, Linear, Conceder, TitForTat, RubinsteinOptimal))
    return strategy.start(arena.view(party, strategy.menu), np.random.default_rng(0))


def test_time_dependent_targets_follow_faratin() -> None:
    # range [0, 3] over a horizon of 19 rounds: tau(t) = 3 - 3 (t / 19)^(1 / e)
    for strat in (Boulware(), Linear(), Conceder(e=3.0)):
        a = agent(strat)
        assert strat.target(a, 0) == 3.0 and strat.target(a, 19) == 0.0 and strat.target(a, 20) == 0.0
        assert np.isclose(strat.target(a, 10), 3 - 3 * (10 / 19) ** (1 / strat.e))
    b, lin, c = agent(Boulware()), agent(Linear()), agent(Conceder())
    for t in range(1, 19):
        assert Boulware().target(b, t) > Linear().target(lin, t) > Conceder().target(c, t)


def test_floor_keeps_part_of_the_range() -> None:
    a = agent(Linear(floor=0.25))
    assert Linear(floor=0.25).target(a, 19) == pytest.approx(0.75)


def test_boulware_agrees_later_than_conceder() -> None:
    arena = make_arena(linear_issues(), np.zeros(2), rounds=40)
    slow = negotiate(arena, (Boulware(), Boulware()))
    mid = negotiate(arena, (Linear(), Linear()))
    fast = negotiate(arena, (Conceder(), Conceder()))
    assert slow.agreed and mid.agreed and fast.agreed
    assert slow.rounds > mid.rounds > fast.rounds


@given(st.floats(0.0, 0.999), st.floats(0.0, 0.999))
def test_rubinstein_shares_are_subgame_perfect(d_first: float, d_second: float) -> None:
    """The responder is indifferent between the offer and proposing next round (its share then, discounted), the
    proposer's share is in [0, 1], and the more patient side gets more (Rubinstein 1982, not the formula again)."""
    first, second = rubinstein_shares(d_first, d_second)
    assert 0.0 <= first <= 1.0 and first + second == pytest.approx(1.0, abs=SHARE_TOL)
    assert second == pytest.approx(d_second * rubinstein_shares(d_second, d_first)[0], abs=SHARE_TOL)
    if d_first > d_second:
        assert first > 0.5


def test_rubinstein_shares_at_the_limits() -> None:
    assert rubinstein_shares(1.0, 1.0) == (0.5, 0.5)
    assert rubinstein_shares(1.0, 0.9) == (1.0, 0.0)
    for d in (0.9, 0.99, 0.999999):
        assert rubinstein_shares(d, d)[0] == pytest.approx(1 / (1 + d), abs=SHARE_TOL)
    with pytest.raises(TradetalksError):
        rubinstein_shares(1.1, 0.5)


@pytest.mark.parametrize("first", [0, 1])
def test_rubinstein_agents_agree_at_once_on_the_spe_split(first: int) -> None:
    rates = (0.05, 0.10)
    arena = make_arena(linear_issues(), np.zeros(2), rounds=20, round_days=7, rates=rates)
    out = negotiate(arena, (RubinsteinOptimal(), RubinsteinOptimal()), first=first)
    assert out.agreed and out.rounds == 1
    deltas = [discount_factor(r, 7) for r in rates]
    share = rubinstein_shares(deltas[first], deltas[1 - first])[0]
    got = out.utilities[first] / 3.0  # the proposer's share of its range [0, 3]
    # it keeps the most it can while leaving the responder its continuation value: at most one grid step short
    assert share - GRID - 1e-12 <= got <= share + 1e-12


def test_rubinstein_responder_rejects_less_than_its_continuation_value() -> None:
    arena = make_arena(linear_issues(), np.zeros(2), rounds=20, rates=(0.05, 0.10))
    view = arena.view(1, "frontier")
    a = RubinsteinOptimal().start(view, np.random.default_rng(0))
    keep = rubinstein_shares(view.opp_delta, view.delta)[1]
    u1 = arena.utilities[:, 1]
    just_below = int(np.flatnonzero(u1 < keep * 3)[np.argmax(u1[u1 < keep * 3])])
    assert not RubinsteinOptimal().accept(a, 0, just_below)
    assert RubinsteinOptimal().accept(a, 0, int(np.argmax(u1)))


def test_tit_for_tat_mirrors_and_stops_at_nash() -> None:
    arena = make_arena(linear_issues(), np.zeros(2), rounds=30)
    out = negotiate(arena, (TitForTat(), TitForTat()))
    assert out.agreed and out.nash_distance < 0.1
    # against a hardliner it never goes below its Nash utility (1.5 of 3), so talks break down
    hard = Linear(floor=0.9)
    out = negotiate(arena, (TitForTat(), hard), record=True)
    assert not out.agreed
    assert min(arena.utilities[o.package, 0] for o in out.offers if o.proposer == 0) >= 1.5 - 1e-12


def test_tit_for_tat_reciprocates_concessions() -> None:
    a = agent(TitForTat(nice=0.0))
    assert TitForTat(nice=0.0).target(a, 5) == 3.0  # nothing conceded by the other side yet
    opp_first = int(np.argmax(a.view.opp))  # the package best for the other side: worth 0 to me
    a.observe(0, opp_first)
    a.observe(1, int(np.argmin(np.abs(a.view.own - 0.75))))  # it concedes to 0.75 of my Nash-bounded range 1.5
    assert TitForTat(nice=0.0).target(a, 5) == pytest.approx(3.0 - 0.5 * 1.5)


def ratified_arena() -> tuple[object, RatificationRule]:
    # party 0's ratifier values party 1's utility: it accepts only packages that give party 1 at least 2
    tables = linear_issues()
    rule = RatificationRule(tables=tuple(t[:, [1]] for t in tables), thresholds=np.array([2.0]),
                            veto=np.array([True]), votes=np.ones(1), quota=0.5)
    return make_arena(tables, np.zeros(2), rounds=30, ratification=[rule, None]), rule


def test_ratifier_aware_offers_and_accepts_only_ratifiable_packages() -> None:
    arena, _ = ratified_arena()
    out = negotiate(arena, (make_strategy("ratifier_aware"), make_strategy("boulware")), record=True)
    assert out.agreed and arena.utilities[out.package, 1] >= 2.0
    view = arena.view(0, "ratifiable")
    assert all(view.ratifiable[o.package] for o in out.offers if o.proposer == 0)
    # the plain linear agent of the same party would settle outside its win-set
    plain = negotiate(arena, (make_strategy("linear"), make_strategy("linear")))
    assert arena.utilities[plain.package, 1] < 2.0


def test_bayesian_model_finds_the_true_weights() -> None:
    # party 1's true utility is column 0 of its hypotheses; the others weigh the issues differently
    tables = [np.column_stack([x, 1 - x]) for x in (np.linspace(0, top, 11) for top in (1, 2, 3))]
    true = [t[:, [1]] for t in tables]
    wrong = [[t[:, [1]] * w for t, w in zip(tables, ws, strict=True)] for ws in ((3, 1, 0.2), (0.2, 1, 3))]
    hyps = [np.hstack([a, b, c]) for a, b, c in zip(true, *wrong, strict=True)]
    arena = make_arena(tables, np.zeros(2), rounds=30, hypotheses=[None, hyps])
    view = arena.view(0, "candidates")
    model = BayesianModel(view)
    for t in range(0, 20, 2):  # offers of a linear opponent, from its frontier
        model.update(Linear().offer(Linear().start(arena.view(1, "frontier"), np.random.default_rng(0)), t))
    post = model.posterior
    assert post.argmax() == 0 and post[0] > 0.9


def test_frequency_model_prefers_what_the_opponent_keeps_offering() -> None:
    options = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    model = FrequencyModel(options)
    assert model.estimate(np.arange(4)).tolist() == [0, 0, 0, 0]
    for package in (1, 1, 3):  # issue 1 always at option 1; issue 0 moves
        model.update(package)
    est = model.estimate(np.arange(4))
    assert est.argmax() == 1 and est[1] > est[3] > est[0]
    assert model.weights[1] > model.weights[0]


def test_opponent_modelling_agents_reach_agreements() -> None:
    arena = make_arena(linear_issues(), np.zeros(2), rounds=30)
    for name in ("frequency_model", "bayesian_model"):
        out = negotiate(arena, (make_strategy(name), make_strategy("linear")))
        assert out.agreed


def test_unknown_strategy_lists_the_valid_ones() -> None:
    with pytest.raises(TradetalksError) as err:
        make_strategy("haggler")
    for name in STRATEGY_NAMES:
        assert name in str(err.value)


@pytest.mark.parametrize(("name", "params", "match"), [
    ("boulware", {"e": 2.0}, "boulware needs e < 1"),
    ("conceder", {"e": 0.5}, "conceder needs e > 1"),
    ("linear", {"e": 2.0}, "linear has e = 1"),
    ("linear", {"floor": 1.0}, "floor must be in"),
    ("tit_for_tat", {"nice": 2.0}, "nice must be in"),
    ("rubinstein", {"noise": -1.0}, "noise must be >= 0"),
    ("linear", {"patience": 1.0}, "has no parameter 'patience'"),
])
def test_bad_parameters_are_clear_errors(name: str, params: dict[str, float], match: str) -> None:
    with pytest.raises(TradetalksError, match=match):
        make_strategy(name, **params)


def test_parse_strategy() -> None:
    assert parse_strategy("boulware").label == "boulware"
    assert parse_strategy(" boulware:e=0.1 , floor=0.2").label == "boulware(e=0.1, floor=0.2)"
    with pytest.raises(TradetalksError, match="cannot read strategy parameter"):
        parse_strategy("boulware:e")
    with pytest.raises(TradetalksError, match="unknown strategy"):
        parse_strategy("nope:e=1")


def test_strategies_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Boulware().e = 0.5  # type: ignore[misc]
