"""The alternating-offers protocol and its arena: menus, clock, deadlines, time-varying BATNA, discounting."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetalks.bargain.arena import _menu, best_for_opponent, best_for_self, make_arena
from tradetalks.bargain.frontier import pareto_frontier
from tradetalks.bargain.protocol import negotiate
from tradetalks.bargain.strategies import STRATEGY_NAMES, Agent, Linear, Strategy, make_strategy
from tradetalks.bargain.timing import DAYS_PER_YEAR
from tradetalks.errors import DataError

#: relative tolerance of float comparisons of utility sums (a few ulps of 1e10-sized USD figures)
RTOL = 1e-9


def linear_issues(n_issues: int = 3, steps: int = 101) -> list[np.ndarray]:
    """Issues whose options trade one for one: u0 = x, u1 = 1 - x, x on a grid (a straight frontier)."""
    x = np.linspace(0.0, 1.0, steps)
    return [np.column_stack([x, 1.0 - x])] * n_issues


@settings(max_examples=60, deadline=None)
@given(pts=st.lists(st.tuples(st.integers(-20, 20), st.integers(-20, 20)), min_size=1, max_size=40),
       target=st.integers(-25, 25), party=st.integers(0, 1))
def test_menu_lookups_equal_brute_force(pts: list[tuple[int, int]], target: int, party: int) -> None:
    u = np.array(pts, dtype=float)
    menu = _menu(u, np.arange(len(u)), party)
    own, opp = u[:, party], u[:, 1 - party]
    ok = own >= target
    got = best_for_opponent(menu, float(target))
    if not ok.any():
        assert got == -1
    else:
        assert opp[got] == opp[ok].max() and own[got] >= target
    ok = opp >= target
    got = best_for_self(menu, float(target))
    if not ok.any():
        assert got == -1
    else:
        assert own[got] == own[ok].max() and opp[got] >= target


def test_clock_with_a_hard_deadline() -> None:
    # rounds every 7 days; a deadline on day 30 leaves rounds on days 0, 7, 14, 21, 28
    arena = make_arena(linear_issues(), np.zeros(2), rounds=100, round_days=7, deadline=(30, [0.1, 0.2]))
    assert (arena.n_play, arena.end_reason, arena.end_day) == (5, "hard_deadline", 30)
    assert arena.end_batna.tolist() == [0.1, 0.2]
    assert arena.view(0, "frontier").horizon == 4
    late = make_arena(linear_issues(), np.zeros(2), rounds=10, round_days=7, deadline=(400, [0.0, 0.0]))
    assert (late.n_play, late.end_reason, late.end_day) == (10, "round_limit", 70)


def test_bad_batna_path_is_refused() -> None:
    with pytest.raises(DataError, match="rounds \\+ 1 rows"):
        make_arena(linear_issues(), np.zeros((5, 2)), rounds=10)
    with pytest.raises(DataError, match="at least one round"):
        make_arena(linear_issues(), np.zeros(2), rounds=0)


def test_incompatible_demands_break_down_at_the_hard_deadline() -> None:
    # each side never concedes below 60 % of its range: no offer is ever acceptable
    arena = make_arena(linear_issues(), [0.5, 0.5], rounds=100, round_days=7, deadline=(60, [0.4, 0.3]),
                       rates=(0.1, 0.2))
    hard = make_strategy("linear", floor=0.6)
    out = negotiate(arena, (hard, hard), record=True)
    assert not out.agreed and out.end == "hard_deadline"
    assert (out.rounds, out.day, out.package) == (9, 60, -1)
    assert out.utilities.tolist() == [0.4, 0.3]
    assert len(out.offers) == 9 and not any(o.accepted for o in out.offers)
    np.testing.assert_allclose(out.discounted, np.exp(-np.array([0.1, 0.2]) * 60 / DAYS_PER_YEAR) * [0.4, 0.3])


def test_round_limit_without_deadline() -> None:
    arena = make_arena(linear_issues(), [0.5, 0.5], rounds=12)
    hard = make_strategy("boulware", floor=0.6)
    out = negotiate(arena, (hard, hard))
    assert (out.end, out.rounds, out.day) == ("round_limit", 12, 84)


def test_agreement_is_discounted_from_the_start_of_talks() -> None:
    arena = make_arena(linear_issues(), np.zeros(2), rounds=30, rates=(0.05, 0.5))
    out = negotiate(arena, (Linear(), Linear()))
    assert out.agreed and out.rounds > 1
    assert out.day == 7 * (out.rounds - 1)
    expect = np.exp(-np.array([0.05, 0.5]) * out.day / DAYS_PER_YEAR) * out.utilities
    np.testing.assert_allclose(out.discounted, expect, rtol=RTOL)


def test_no_agreement_below_the_batna_in_force() -> None:
    # party 0's BATNA jumps to 2.5 of 3 at round 5: before it, agents settle cheaply; after it, only packages
    # worth >= 2.5 to party 0 can be agreed
    rounds = 40
    d = np.zeros((rounds + 1, 2))
    d[5:, 0] = 2.5
    arena = make_arena(linear_issues(), d, rounds=rounds)
    out = negotiate(arena, (make_strategy("boulware"), make_strategy("boulware")))
    assert out.agreed and out.rounds > 5
    assert out.utilities[0] >= 2.5 - RTOL and out.batna.tolist() == [2.5, 0.0]


class _Pushover(Strategy):
    """Test double: offers the package best for itself and accepts anything."""

    name = "linear"

    def offer(self, agent: Agent, t: int) -> int:
        return int(agent.view.menu.pool[0])

    def accept(self, agent: Agent, t: int, package: int) -> bool:
        return True


def test_protocol_refuses_offers_below_either_batna() -> None:
    # the responder's strategy would accept anything, but no package beats both BATNAs until round 3
    rounds = 10
    d = np.full((rounds + 1, 2), 2.0)
    d[3:] = 0.0
    arena = make_arena(linear_issues(), d, rounds=rounds)
    out = negotiate(arena, (_Pushover(), _Pushover()), record=True)
    assert out.agreed and out.rounds == 4
    assert [o.accepted for o in out.offers] == [False, False, False, True]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), a=st.sampled_from(STRATEGY_NAMES), b=st.sampled_from(STRATEGY_NAMES),
       first=st.integers(0, 1), jump=st.integers(0, 30), noise=st.sampled_from([0.0, 0.05]))
def test_every_agreement_is_individually_rational_at_its_date(seed: int, a: str, b: str, first: int, jump: int,
                                                              noise: float) -> None:
    rng = np.random.default_rng(seed)
    tables = [rng.normal(size=(int(rng.integers(2, 6)), 2)) for _ in range(4)]
    rounds = 30
    d = np.zeros((rounds + 1, 2))
    d[jump:] = rng.normal(scale=0.5, size=2)
    arena = make_arena(tables, d, rounds=rounds, deadline=(int(rng.integers(0, 250)), d[-1]), rates=(0.1, 0.3),
                       hypotheses=[[t[:, [0]] * [1.0, 0.5] for t in tables], [t[:, [1]] * [1.0, 2.0] for t in tables]])
    out = negotiate(arena, (make_strategy(a, noise=noise), make_strategy(b, noise=noise)), first=first, rng=seed)
    if out.agreed:
        t = out.rounds - 1
        assert (out.utilities >= arena.batna[t] - arena.tol).all()
        assert out.batna.tolist() == arena.batna[t].tolist()
    assert out.rounds <= arena.n_play


def test_nash_distance_is_euclidean_to_the_nash_point_of_that_date() -> None:
    arena = make_arena(linear_issues(), np.zeros(2), rounds=30, powers=(1.0, 1.0))
    out = negotiate(arena, (make_strategy("boulware"), make_strategy("conceder")))
    assert out.agreed
    assert math.isclose(out.nash_distance, float(np.hypot(*(out.utilities - out.nash))))
    assert out.nash.tolist() == arena.nash[out.rounds - 1].tolist()


def test_pool_holds_the_exact_frontier() -> None:
    rng = np.random.default_rng(7)
    tables = [rng.normal(size=(5, 2)) for _ in range(4)]
    arena = make_arena(tables, np.zeros(2), rounds=5)
    front = pareto_frontier(tables)
    got = arena.utilities[arena.frontier]
    assert sorted(map(tuple, got.tolist())) == sorted(map(tuple, front.utilities.tolist()))


def test_wrong_first_proposer() -> None:
    arena = make_arena(linear_issues(), np.zeros(2), rounds=5)
    with pytest.raises(DataError, match="first proposer"):
        negotiate(arena, (Linear(), Linear()), first=2)
