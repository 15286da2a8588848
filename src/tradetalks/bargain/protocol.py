r"""Alternating offers with deadlines and a time-varying BATNA.

The protocol (Rubinstein 1982; the alternating offers protocol of Aydoğan et al. 2017 for two parties): rounds
:math:`t = 0, 1, \dots` fall every ``round_days`` days from the start of talks; in round :math:`t` the proposer
(the first proposer in even rounds, the other party in odd ones) offers a package and the responder accepts or
rejects it. An offer is accepted only if the responder's strategy accepts it *and* it is individually rational at
that date for both sides, :math:`u_p(x) \ge d_p(t)`, where :math:`d_p(t)` is the utility of the no-deal package
in force on that date (tariff pause, escalation, retaliation: the BATNA moves with time). A hard deadline ends the
talks when it passes; the round limit ends them after the last round. Breakdown pays the BATNA in force when the
talks end. Payoffs are discounted to the start of talks, :math:`e^{-r_p\,\text{days}/365.25}\,u_p` for an
annual rate :math:`r_p`: a round of ``round_days`` days has the factor
:math:`\delta_p = e^{-r_p\,\text{round\_days}/365.25}`.

Offers are packages from the precomputed pool of :mod:`tradetalks.bargain.arena`; strategies
(:mod:`tradetalks.bargain.strategies`) pick them by binary search, so a round costs microseconds.

References
----------
Rubinstein, A. (1982). Perfect equilibrium in a bargaining model. *Econometrica* 50(1), 97-109.
https://doi.org/10.2307/1912531

Aydoğan, R., Festen, D., Hindriks, K. V. and Jonker, C. M. (2017). Alternating offers protocols for multilateral
negotiation. In *Modern Approaches to Agent-based Complex Automated Negotiation*, Springer, 153-167.
https://doi.org/10.1007/978-3-319-51563-2_10
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from tradetalks.bargain.arena import Arena, EndReason
from tradetalks.bargain.timing import DAYS_PER_YEAR
from tradetalks.errors import DataError

if TYPE_CHECKING:
    from tradetalks.bargain.strategies import Strategy

__all__ = ["Offer", "Outcome", "negotiate"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Offer:
    """One offer: round index (0-based), proposer (0/1), pool index of the package (-1: none), accepted."""

    round: int
    proposer: int
    package: int
    accepted: bool


@dataclass(frozen=True, eq=False)
class Outcome:
    """How one negotiation ended (array form; :mod:`tradetalks.studies.simulate` decodes it).

    Attributes
    ----------
    end : EndReason
        ``"agreement"``, ``"hard_deadline"`` or ``"round_limit"``.
    rounds : int
        Rounds played (the 1-based round of the agreement).
    day : int
        Days from the start of talks to the agreement or the breakdown.
    package : int
        Pool index of the agreed package; -1 on breakdown.
    utilities, discounted : (2,) float
        Undiscounted and discounted (to the start of talks) utilities; the BATNA on breakdown.
    batna, nash : (2,) float
        BATNA and Nash solution on that day (Nash NaN when the ZOPA is empty).
    nash_distance : float
        Euclidean distance from ``utilities`` to ``nash`` (NaN when there is no Nash solution).
    offers : tuple of Offer
        Every offer, if recorded.
    """

    end: EndReason
    rounds: int
    day: int
    package: int
    utilities: FloatArray
    discounted: FloatArray
    batna: FloatArray
    nash: FloatArray
    nash_distance: float
    offers: tuple[Offer, ...] = ()

    @property
    def agreed(self) -> bool:
        return self.end == "agreement"


def _outcome(arena: Arena, end: EndReason, rounds: int, day: int, package: int, utilities: FloatArray,
             batna: FloatArray, nash_point: FloatArray, offers: list[Offer]) -> Outcome:
    disc = np.exp(-arena.rates * day / DAYS_PER_YEAR) * utilities
    dist = float(np.hypot(*(utilities - nash_point)))
    return Outcome(end=end, rounds=rounds, day=day, package=package, utilities=utilities.copy(), discounted=disc,
                   batna=batna.copy(), nash=nash_point.copy(), nash_distance=dist, offers=tuple(offers))


def negotiate(arena: Arena, strategies: Sequence[Strategy], *, first: int = 0,
              rng: np.random.Generator | int | None = None, record: bool = False) -> Outcome:
    """Play one alternating-offers negotiation.

    Parameters
    ----------
    arena
        From :func:`make_arena`.
    strategies
        Strategy of party 0 and of party 1 (:mod:`tradetalks.bargain.strategies`).
    first
        Party that proposes in round 1 (0 or 1).
    rng
        Generator (or seed) for stochastic strategies.
    record
        Keep every offer in :attr:`Outcome.offers`.

    Returns
    -------
    Outcome
        Agreement when the responder accepts an offer that is individually rational for both parties at that
        round's date; otherwise breakdown at the hard deadline or after the round limit, paying the BATNA then.
    """
    if first not in (0, 1) or len(strategies) != 2:
        raise DataError("A negotiation has two strategies and a first proposer of 0 or 1.",
                        received=(len(strategies), first), fix="pass (strategy of party 0, of party 1), first=0.")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    agents = [strategies[p].start(arena.view(p, strategies[p].menu), gen) for p in (0, 1)]
    u, d, tol = arena.utilities, arena.batna, arena.tol
    offers: list[Offer] = []
    for t in range(arena.n_play):
        prop = first ^ (t & 1)
        x = agents[prop].propose(t)
        ok = False
        if x >= 0:
            agents[1 - prop].observe(t, x)
            ok = bool(u[x, 0] >= d[t, 0] - tol and u[x, 1] >= d[t, 1] - tol) and agents[1 - prop].respond(t, x)
        if record:
            offers.append(Offer(t, prop, x, ok))
        if ok:
            return _outcome(arena, "agreement", t + 1, int(arena.days[t]), x, u[x], d[t], arena.nash[t], offers)
    return _outcome(arena, arena.end_reason, arena.n_play, arena.end_day, -1, arena.end_batna, arena.end_batna,
                    arena.end_nash, offers)
