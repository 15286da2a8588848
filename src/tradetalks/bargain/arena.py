r"""The arena of a simulated negotiation: package pool, menus and per-round arrays, precomputed once.

Offers in :mod:`tradetalks.bargain.protocol` are packages from a *pool* built here once per scenario: the exact
Pareto frontier (:func:`~tradetalks.bargain.frontier.pareto_frontier`, about 2,000 points for korus-2025), plus,
where a strategy needs them, the exact frontier of each party's win-set (the packages its ratifiers accept,
:func:`~tradetalks.bargain.ratification.constrained_frontier`) and the frontiers under hypothetical opponent
utilities, which an opponent-modelling agent chooses among. Each party sees a :class:`Menu`: its packages sorted
by its own utility with prefix maxima, so that "the package best for the other side among those giving me at
least τ" is one binary search, and nothing in a negotiation searches the package space.

Utilities are in the scenario's units (USD a year, political-weight adjusted, against the scenario's BATNA).

References
----------
Putnam, R. D. (1988). Diplomacy and domestic politics: the logic of two-level games. *International Organization*
42(3), 427-460. https://doi.org/10.1017/S0020818300027697 (win-sets)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradetalks.bargain.frontier import as_issue_utilities, pareto_frontier, skyline
from tradetalks.bargain.ratification import constrained_frontier
from tradetalks.bargain.ratifiers import RatificationRule
from tradetalks.bargain.ratifiers import ratifiable as ratifiable_packages
from tradetalks.bargain.solutions import nash
from tradetalks.bargain.timing import DAYS_PER_YEAR
from tradetalks.errors import DataError
from tradetalks.options import EndReason, MenuKind

__all__ = [
    "ACCEPT_RTOL",
    "MENU_KINDS",
    "Arena",
    "EndReason",
    "Menu",
    "MenuKind",
    "PartyView",
    "best_for_opponent",
    "best_for_self",
    "make_arena",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

MENU_KINDS: tuple[MenuKind, ...] = ("frontier", "ratifiable", "candidates")

#: Relative tolerance of utility comparisons (acceptance, individual rationality), times the largest |utility|:
#: sums of USD/yr figures of order 1e10 differ by a few ulps depending on summation order.
ACCEPT_RTOL = 1e-9


@dataclass(frozen=True, eq=False)
class Menu:
    """One party's offerable packages, sorted for O(log m) lookups.

    Attributes
    ----------
    pool : (m,) int
        Pool indices, by own utility descending (ties: other side's utility descending).
    own, opp : (m,) float
        Own and other side's utility of each package, in that order.
    neg_own : (m,) float
        ``-own`` (ascending, for ``searchsorted``).
    best_opp : (m,) int
        Position in ``[0, j]`` with the largest ``opp``: the best package for the other side among those giving
        me at least ``own[j]``.
    neg_opp_sorted : (m,) float
        ``-opp`` sorted ascending.
    best_own : (m,) int
        Position (in ``pool`` order) with the largest ``own`` among the ``j + 1`` packages best for the other side.
    """

    pool: IntArray
    own: FloatArray
    opp: FloatArray
    neg_own: FloatArray
    best_opp: IntArray
    neg_opp_sorted: FloatArray
    best_own: IntArray

    def __len__(self) -> int:
        return int(self.pool.size)


def _prefix_argmax(values: FloatArray) -> IntArray:
    """Index of the running maximum (first occurrence) of ``values``."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    run = np.maximum.accumulate(values)
    new = np.concatenate([[True], values[1:] > run[:-1]])
    return np.maximum.accumulate(np.where(new, np.arange(values.size), 0)).astype(np.int64)


def _menu(utilities: FloatArray, idx: IntArray, party: int) -> Menu:
    own_all, opp_all = utilities[idx, party], utilities[idx, 1 - party]
    order = np.lexsort((-opp_all, -own_all))
    pool, own, opp = idx[order], own_all[order], opp_all[order]
    by_opp = np.lexsort((-own, -opp))
    best_own = by_opp[_prefix_argmax(own[by_opp])]
    return Menu(pool=pool.astype(np.int64), own=own, opp=opp, neg_own=-own, best_opp=_prefix_argmax(opp),
                neg_opp_sorted=-opp[by_opp], best_own=best_own.astype(np.int64))


def best_for_opponent(menu: Menu, own_min: float) -> int:
    """Pool index of the package best for the other side among those giving me at least ``own_min``; -1 if none.

    >>> m = _menu(np.array([[3.0, 0.0], [2.0, 2.0], [0.0, 3.0]]), np.arange(3), 0)
    >>> best_for_opponent(m, 1.5), best_for_opponent(m, 4.0)
    (1, -1)
    """
    j = int(np.searchsorted(menu.neg_own, -own_min, side="right")) - 1
    return -1 if j < 0 else int(menu.pool[menu.best_opp[j]])


def best_for_self(menu: Menu, opp_min: float) -> int:
    """Pool index of the package best for me among those giving the other side at least ``opp_min``; -1 if none.

    >>> m = _menu(np.array([[3.0, 0.0], [2.0, 2.0], [0.0, 3.0]]), np.arange(3), 0)
    >>> best_for_self(m, 1.0), best_for_self(m, 5.0)
    (1, -1)
    """
    j = int(np.searchsorted(menu.neg_opp_sorted, -opp_min, side="right")) - 1
    return -1 if j < 0 else int(menu.pool[menu.best_own[j]])


@dataclass(frozen=True, eq=False)
class PartyView:
    """What one party's strategy sees: its menu and, per round, its BATNA, ideal and Nash utility.

    Per-round arrays have ``R + 1`` rows (round ``R`` is the date of the round limit). Pool arrays have ``n`` rows.

    Attributes
    ----------
    party : int
        0 or 1.
    menu : Menu
        The packages this party offers from (see :data:`MenuKind`).
    own, opp : (n,) float
        Own and other side's utility of every pool package.
    batna, opp_batna : (R + 1,) float
        Own and other side's BATNA utility at each round's date.
    ideal : (R + 1,) float
        Best own utility on the menu among packages the other side prefers to its BATNA (the menu's best when
        none does): the top of a time-dependent strategy's range.
    opp_ideal : (R + 1,) float
        Best utility of the other side on the frontier among packages I prefer to my BATNA.
    nash : (R + 1,) float
        Own utility at the Nash solution for that round's BATNA (NaN when the ZOPA is empty).
    horizon : int
        Index of the last round that can be played (hard deadline or round limit).
    delta, opp_delta : float
        Per-round discount factors.
    ratifiable : (n,) bool
        Whether this party's ratifiers accept each pool package (all True without ratifiers).
    hypotheses : (n, K) float
        The other side's utility under K hypotheses about its weights (column 0 is the scenario's weights).
    issue_options : (n, I) int
        Option index per issue of every pool package (what a frequency model counts).
    tol : float
        Absolute tolerance of utility comparisons.
    """

    party: int
    menu: Menu
    own: FloatArray
    opp: FloatArray
    batna: FloatArray
    opp_batna: FloatArray
    ideal: FloatArray
    opp_ideal: FloatArray
    nash: FloatArray
    horizon: int
    delta: float
    opp_delta: float
    ratifiable: BoolArray
    hypotheses: FloatArray
    issue_options: IntArray
    tol: float
    cache: dict[str, object] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, eq=False)
class Arena:
    """Everything a negotiation needs, precomputed once per scenario (pure arrays; see :func:`make_arena`).

    Attributes
    ----------
    utilities : (n, 2) float
        Both parties' utilities of every pool package.
    choices : (n, G) int
        Row of each issue group's compound options for every pool package.
    frontier : (h,) int
        Pool indices of the exact Pareto frontier.
    batna : (R + 1, 2) float
        BATNA utilities at each round's date (row ``R``: the date of the round limit).
    nash : (R + 1, 2) float
        Nash solution (scenario bargaining powers) for that BATNA; NaN when the ZOPA is empty.
    days : (R + 1,) int
        Days from the start of talks to each round.
    n_play : int
        Rounds that can be played (before the hard deadline, at most R).
    end_reason : {"hard_deadline", "round_limit"}
        How talks end without agreement.
    end_day : int
        Day the talks end without agreement.
    end_batna, end_nash : (2,) float
        BATNA and Nash solution on that day.
    rates : (2,) float
        Annual discount rates.
    tol : float
        Absolute tolerance of utility comparisons (:data:`ACCEPT_RTOL` times the largest utility).
    views : dict
        ``(party, menu kind)`` → :class:`PartyView`.
    """

    utilities: FloatArray
    choices: IntArray
    frontier: IntArray
    batna: FloatArray
    nash: FloatArray
    days: IntArray
    n_play: int
    end_reason: EndReason
    end_day: int
    end_batna: FloatArray
    end_nash: FloatArray
    rates: FloatArray
    tol: float
    views: dict[tuple[int, MenuKind], PartyView]

    @property
    def rounds(self) -> int:
        """The round limit ``R``."""
        return int(self.days.size - 1)

    def view(self, party: int, kind: MenuKind) -> PartyView:
        return self.views[(party, kind)]

    def __repr__(self) -> str:
        return (f"Arena({self.utilities.shape[0]:,} pool packages, {self.frontier.size:,} on the frontier; "
                f"{self.n_play} playable rounds of {self.rounds}, ends by {self.end_reason} on day {self.end_day})")


def _pool_utilities(tables: Sequence[FloatArray], choices: IntArray) -> FloatArray:
    """Sum the groups' rows left to right (the frontier's summation order, so frontier floats match)."""
    out = np.zeros((choices.shape[0], tables[0].shape[1]))
    for g, t in enumerate(tables):
        out = out + t[choices[:, g]]
    return out


def _hypothesis_candidates(tables: Sequence[FloatArray], party: int, hyps: Sequence[FloatArray]) -> list[IntArray]:
    """Packages on Pareto(u_p, h_k) for each hypothesis k about the other side's utility."""
    found = []
    for k in range(hyps[0].shape[1]):
        pair = [np.column_stack([t[:, party], h[:, k]]) if party == 0 else np.column_stack([h[:, k], t[:, party]])
                for t, h in zip(tables, hyps, strict=True)]
        found.append(pareto_frontier(pair).choices)
    return found


@dataclass(frozen=True, eq=False)
class _Shared:
    """Arrays every view of an arena shares."""

    u: FloatArray
    batna: FloatArray
    nash: FloatArray
    horizon: int
    deltas: tuple[float, float]
    ratifiable: BoolArray
    hyp: list[FloatArray]
    issue_options: IntArray
    tol: float


def _view(sh: _Shared, party: int, menu: Menu, front: Menu) -> PartyView:
    own_b, opp_b = sh.batna[:, party], sh.batna[:, 1 - party]
    if len(menu):
        pos = np.searchsorted(menu.neg_opp_sorted, -opp_b, side="right") - 1
        ideal = np.where(pos >= 0, menu.own[menu.best_own[np.maximum(pos, 0)]], menu.own[0])
    else:
        ideal = np.full(own_b.size, -np.inf)
    fpos = np.searchsorted(front.neg_own, -own_b, side="right") - 1
    opp_ideal = np.where(fpos >= 0, front.opp[front.best_opp[np.maximum(fpos, 0)]], -np.inf)
    return PartyView(party=party, menu=menu, own=sh.u[:, party], opp=sh.u[:, 1 - party], batna=own_b,
                     opp_batna=opp_b, ideal=ideal, opp_ideal=opp_ideal, nash=sh.nash[:, party],
                     horizon=sh.horizon, delta=sh.deltas[party], opp_delta=sh.deltas[1 - party],
                     ratifiable=sh.ratifiable[party], hypotheses=sh.hyp[1 - party],
                     issue_options=sh.issue_options, tol=sh.tol)


def _per_round(batna: ArrayLike, rounds: int) -> FloatArray:
    d = np.asarray(batna, dtype=np.float64)
    if d.shape == (2,):
        d = np.tile(d, (rounds + 1, 1))
    if d.shape != (rounds + 1, 2) or not np.isfinite(d).all():
        raise DataError("The BATNA path needs two finite utilities per round date (rounds + 1 rows).",
                        received=f"array of shape {d.shape}", fix="pass shape (2,) or (rounds + 1, 2).")
    return d


def _clock(rounds: int, round_days: int, deadline: tuple[int, ArrayLike] | None,
           batna: FloatArray) -> tuple[int, EndReason, int, FloatArray]:
    """Playable rounds, how talks end without agreement, on which day and with which BATNA."""
    limit_day = rounds * round_days
    if deadline is None or deadline[0] >= limit_day:
        return rounds, "round_limit", limit_day, batna[rounds]
    day, d_end = deadline
    if day < 0:
        raise DataError("A hard deadline cannot fall before the start of talks.", received=day,
                        fix="give the deadline as days since the start (>= 0).")
    n_play = int(np.sum(np.arange(rounds) * round_days <= day))
    return n_play, "hard_deadline", int(day), _per_round(d_end, 0)[0]


def _pool(tables: list[FloatArray], ratification: Sequence[RatificationRule | None],
          hypotheses: Sequence[list[FloatArray] | None]) -> tuple[IntArray, IntArray, dict[tuple[int, str], IntArray]]:
    """Unique candidate packages (pool choices), the frontier's pool indices and each party's extra menus."""
    front = pareto_frontier(tables)
    parts: dict[tuple[int, str], list[IntArray]] = {(-1, "frontier"): [front.choices]}
    for p in (0, 1):
        rat, hyp = ratification[p], hypotheses[1 - p]
        if rat is not None:
            rules = [rat, None] if p == 0 else [None, rat]
            parts[(p, "ratifiable")] = [constrained_frontier(tables, rules, frontier=front).choices]
        if hyp is not None:
            parts[(p, "candidates")] = _hypothesis_candidates(tables, p, hyp)
    blocks = [c for lst in parts.values() for c in lst]
    choices, inverse = np.unique(np.concatenate(blocks), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    out: dict[tuple[int, str], IntArray] = {}
    start = 0
    for key, lst in parts.items():
        size = sum(len(c) for c in lst)
        out[key] = np.unique(inverse[start:start + size]).astype(np.int64)
        start += size
    return choices.astype(np.int64), out.pop((-1, "frontier")), out


def _nash_path(tables: list[FloatArray], rows: FloatArray, powers: tuple[float, float]) -> FloatArray:
    front = pareto_frontier(tables)
    out = np.full_like(rows, np.nan)
    seen: dict[tuple[float, float], FloatArray] = {}
    for k, d in enumerate(rows):
        key = (float(d[0]), float(d[1]))
        if key not in seen:
            sol = nash(front, d, powers=powers)
            seen[key] = np.full(2, np.nan) if sol is None else sol.utilities
        out[k] = seen[key]
    return out


def _group_options(group_options: Sequence[ArrayLike] | None, tables: list[FloatArray]) -> list[IntArray]:
    if group_options is None:
        return [np.arange(t.shape[0], dtype=np.int64)[:, None] for t in tables]
    return [np.asarray(o, dtype=np.int64).reshape(t.shape[0], -1) for o, t in zip(group_options, tables, strict=True)]


def _menus(u: FloatArray, frontier: IntArray, extra: dict[tuple[int, str], IntArray],
           ratifiable: BoolArray, p: int) -> dict[MenuKind, Menu]:
    front = _menu(u, frontier, p)
    ok = np.flatnonzero(ratifiable[p])
    rat_idx = ok[skyline(u[ok])] if ok.size else ok.astype(np.int64)
    cands = np.union1d(extra[(p, "candidates")], frontier) if (p, "candidates") in extra else frontier
    return {"frontier": front, "ratifiable": front if ratifiable[p].all() else _menu(u, rat_idx, p),
            "candidates": _menu(u, cands.astype(np.int64), p)}


def make_arena(
    group_utilities: Sequence[ArrayLike],
    batna: ArrayLike,
    *,
    rounds: int = 100,
    round_days: int = 7,
    deadline: tuple[int, ArrayLike] | None = None,
    rates: tuple[float, float] = (0.0, 0.0),
    powers: tuple[float, float] = (1.0, 1.0),
    ratification: Sequence[RatificationRule | None] = (None, None),
    hypotheses: Sequence[Sequence[ArrayLike] | None] = (None, None),
    group_options: Sequence[ArrayLike] | None = None,
) -> Arena:
    """Precompute the package pool, menus and per-round BATNA/Nash arrays of a negotiation.

    Parameters
    ----------
    group_utilities
        Per issue group (coupled issues merged), shape ``(m_g, 2)``: both utilities of each compound option.
    batna
        Shape ``(rounds + 1, 2)`` (or ``(2,)`` if constant): BATNA utilities at the date of each round; row
        ``rounds`` is the date of the round limit.
    rounds, round_days
        Round limit R and days between rounds.
    deadline
        ``(day, BATNA utilities on that day)`` of the first hard deadline, days counted from the start.
    rates
        Annual discount rates (continuous compounding).
    powers
        Bargaining powers of the Nash solution that distances are measured to.
    ratification
        Per party, its ratification rule (:class:`~tradetalks.bargain.ratifiers.RatificationRule`), or ``None``.
    hypotheses
        Per party, per group ``(m_g, K)``: that party's utility under K hypotheses about its weights (column 0
        the scenario's), for the *other* party's opponent model; ``None`` means K = 1, the true utility.
    group_options
        Per group ``(m_g, n_members)``: the option index of each member issue (for frequency models).

    Returns
    -------
    Arena
    """
    tables = as_issue_utilities(group_utilities)
    if rounds < 1 or round_days < 1:
        raise DataError("Talks need at least one round of at least one day.", received=(rounds, round_days),
                        fix="use e.g. rounds=100, round_days=7.")
    d = _per_round(batna, rounds)
    n_play, end_reason, end_day, end_batna = _clock(rounds, round_days, deadline, d)
    hyps = [None if h is None else [np.asarray(t, dtype=np.float64).reshape(len(u), -1)
                                    for t, u in zip(h, tables, strict=True)] for h in hypotheses]
    choices, frontier, extra = _pool(tables, ratification, hyps)
    u = _pool_utilities(tables, choices)
    ratifiable = np.array([ratifiable_packages([r], choices) for r in ratification])
    hyp_pool = [u[:, [p]] if hyps[p] is None else _pool_utilities(hyps[p], choices) for p in (0, 1)]  # type: ignore[arg-type]
    opts = _group_options(group_options, tables)
    issue_options = np.hstack([o[choices[:, g]] for g, o in enumerate(opts)])
    nash_rows = _nash_path(tables, np.vstack([d, end_batna]), powers)
    tol = ACCEPT_RTOL * max(1.0, float(np.abs(u).max()), float(np.abs(d).max()))
    deltas = (math.exp(-rates[0] * round_days / DAYS_PER_YEAR), math.exp(-rates[1] * round_days / DAYS_PER_YEAR))
    sh = _Shared(u, d, nash_rows[:-1], n_play - 1, deltas, ratifiable, hyp_pool, issue_options, tol)
    views = {}
    for p in (0, 1):
        menus = _menus(u, frontier, extra, ratifiable, p)
        for kind, menu in menus.items():
            views[(p, kind)] = _view(sh, p, menu, menus["frontier"])
    return Arena(utilities=u, choices=choices, frontier=frontier, batna=d, nash=nash_rows[:-1],
                 days=np.arange(rounds + 1, dtype=np.int64) * round_days, n_play=n_play, end_reason=end_reason,
                 end_day=end_day, end_batna=end_batna, end_nash=nash_rows[-1],
                 rates=np.asarray(rates, dtype=np.float64), tol=tol, views=views)
