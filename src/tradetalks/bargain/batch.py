r"""Bargaining solutions and deal comparisons for many draws at once, without a frontier per draw.

:func:`batch_solutions` gives, for ``D`` additive negotiations with the same issue groups (Monte Carlo draws), what
:mod:`tradetalks.bargain.solutions` and :func:`~tradetalks.bargain.comparison.compare_to_frontier` give on each
draw's exact Pareto frontier: the Nash, Kalai–Smorodinsky, egalitarian and utilitarian packages, and whether a
given package (the real deal) is dominated, how far inside the frontier it is and the joint gain it left on the
table. Each is one maximisation over the packages,

.. math::

    \max_{u \in U,\ u \ge f} \ h(u),

with :math:`U` the Minkowski sum of the groups' utility tables, a floor :math:`f` (the BATNA or the deal) and a
monotone objective :math:`h` — linear :math:`w \cdot u` (utilitarian, ideal point, left on the table) or max-min
:math:`\min_i (u_i - f_i)/s_i` (egalitarian with :math:`s = 1`, Kalai–Smorodinsky with :math:`s` the ideal gains,
the Chebyshev distance). It is solved exactly by the branch and bound of
:func:`~tradetalks.bargain.sensitivity.batch_nash`, vectorised across draws: after each group the partial sums
are cut to each draw's skyline and pruned when they cannot reach the floor or when an upper bound on any
completion falls below the best package a cheap heuristic found. For a partial gain :math:`g = s - f` after group
:math:`k`, the remaining groups add at most :math:`B` per party and at most :math:`h_k(\lambda)` to
:math:`\lambda u_0 + (1 - \lambda) u_1` (for a grid of :math:`\lambda`), so with
:math:`C_\lambda = \lambda g_0 + (1-\lambda) g_1 + h_k(\lambda)` and :math:`G = g + B`:

- linear: :math:`w \cdot g' \le \min\bigl(w \cdot G,\ \min_\lambda C_\lambda \max(w_0/\lambda, w_1/(1-\lambda))\bigr)`
  over completions with :math:`g' \ge 0`;
- max-min: :math:`\min_i g'_i/s_i \le \min\bigl(G_0/s_0,\ G_1/s_1,\ \min_\lambda C_\lambda / (\lambda s_0 +
  (1-\lambda) s_1)\bigr)` (the best point of the relaxed region lies on the ray :math:`g' \propto s`).

The groups are added in the order given, the first cut beforehand to each draw's non-dominated rows (what the
first step keeps anyway); the search is fastest with the widest group first and the narrowest last
(:func:`group_order`), since the bounds on the remaining groups are then tight early.

The survivors' objectives are computed as the solutions module computes them and ties are broken the same way
(larger objective, then larger :math:`u_0 + u_1`, then :math:`u_0`, then :math:`u_1`), so each draw's answer is
the one the frontier gives, to rounding of the group sums.

References
----------
Land, A. H. and Doig, A. G. (1960). An automatic method of solving discrete programming problems. *Econometrica*
28(3), 497-520. https://doi.org/10.2307/1910129

Kalai, E. and Smorodinsky, M. (1975). Other solutions to Nash's bargaining problem. *Econometrica* 43(3), 513-518.
https://doi.org/10.2307/1914280

Raiffa, H. (1982). *The Art and Science of Negotiation*. Harvard University Press (joint gains left on the table).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradetalks.bargain.sensitivity import PRUNE_RTOL, batch_nash, skyline_by_draw
from tradetalks.bargain.solutions import SOLUTION_NAMES, SolutionName
from tradetalks.errors import DataError
from tradetalks.options import BatchObjective

__all__ = ["BatchComparison", "BatchSolution", "BatchSolutions", "batch_maximise", "batch_solutions", "group_order"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: scalarisation weights λ tried by the heuristic and searched for each draw's tightest bound (logit-spaced)
_LAMBDAS = 1 / (1 + np.exp(-np.linspace(-6.0, 6.0, 25)))
#: half-planes used per draw: this many neighbours either side of the λ giving the tightest bound at the root
_LAMBDA_SPAN = 2
#: partial packages per draw kept by the beam-search heuristic (a lower bound for pruning only: any width gives the
#: same answers; on korus-2025, 2 is fastest overall, 8 cost a third more time for a few more pruned nodes)
_BEAM_WIDTH = 2
#: rounds of one-group-at-a-time improvement of the heuristic package (0: the best supported package or seed;
#: with the beam after it, further rounds cost more than the pruning they add on korus-2025)
_LOCAL_ROUNDS = 0


@dataclass(frozen=True, eq=False)
class BatchSolution:
    """One solution in each of ``D`` draws.

    Attributes
    ----------
    choices : (D, G) int
        Row of each group in the draw's package, ``-1`` where there is none.
    utilities : (D, 2)
        Its utilities (NaN where there is none).
    objective : (D,)
        The maximised objective (NaN where there is none).
    found : (D,) bool
        Whether some package meets the floor.
    """

    choices: IntArray
    utilities: FloatArray
    objective: FloatArray
    found: BoolArray


@dataclass(frozen=True, eq=False)
class BatchComparison:
    """A package (e.g. the real deal) held against each draw's frontier, as
    :func:`~tradetalks.bargain.comparison.compare_to_frontier` does.

    Attributes
    ----------
    utilities : (D, 2)
        The package's utilities.
    on_frontier : (D,) bool
        No package Pareto-dominates it.
    distance : (D,) or None
        :math:`\\max_f \\min_i (f_i - u_i)` clipped at 0: the largest gain both could still get at once (None when
        not computed).
    left_on_table : (D,)
        The largest joint gain of a Pareto improvement, 0 on the frontier.
    """

    utilities: FloatArray
    on_frontier: BoolArray
    distance: FloatArray | None
    left_on_table: FloatArray


@dataclass(frozen=True, eq=False)
class BatchSolutions:
    """The four bargaining solutions (BATNA at zero utility) and, if asked, one package's comparison."""

    nash: BatchSolution
    kalai_smorodinsky: BatchSolution
    egalitarian: BatchSolution
    utilitarian: BatchSolution
    comparison: BatchComparison | None


@dataclass(frozen=True)
class _Suffix:
    """Per draw and group k, sums over the groups after k: max of u (box), of λu0+(1-λ)u1 (half), of |u| (size)."""

    box: FloatArray  # (D, G, 2)
    half: FloatArray  # (D, G, L) for the λ grid _LAMBDAS
    size: FloatArray  # (D, G, 2)
    total_box: FloatArray  # (D, 2): over all groups
    total_half: FloatArray  # (D, L)
    supported: IntArray  # (D, L, G): per λ of the grid, the package maximising λu0 + (1-λ)u1 (the heuristics' start)
    supported_u: FloatArray  # (D, L, 2): its utilities


def _after(a: FloatArray) -> FloatArray:
    rev = np.cumsum(a[:, ::-1], axis=1)[:, ::-1]
    return np.concatenate([rev[:, 1:], np.zeros_like(a[:, :1])], axis=1)


def _suffix(tables: Sequence[FloatArray]) -> _Suffix:
    box = np.stack([t.max(axis=1) for t in tables], axis=1)
    size = np.stack([np.abs(t).max(axis=1) for t in tables], axis=1)
    lam = _LAMBDAS[None, None, :]
    halves, rows = [], []
    for t in tables:
        mix = lam * t[:, :, :1] + (1 - lam) * t[:, :, 1:]  # (D, m, L)
        halves.append(mix.max(axis=1))
        rows.append(np.argmax(mix, axis=1))
    half = np.stack(halves, axis=1)
    supported = np.stack(rows, axis=-1)
    return _Suffix(box=_after(box), half=_after(half), size=_after(size), total_box=box.sum(axis=1),
                   total_half=half.sum(axis=1), supported=supported, supported_u=_left_sum(tables, supported))


class _Objective:
    """A monotone objective with a floor: ``value`` of packages and an ``upper`` bound over completions."""

    def __init__(self, kind: BatchObjective, coef: FloatArray, floor: FloatArray) -> None:
        self.kind, self.coef, self.floor = kind, coef, floor

    def value(self, u: FloatArray, draw: IntArray) -> FloatArray:
        """Objective of utilities ``u`` (..., 2) of draws ``draw`` (broadcast to u.shape[:-1]); -inf below floor."""
        f = self.floor[draw]
        g = u - f
        ok = (g >= 0).all(axis=-1)
        c = self.coef[draw]
        if self.kind == "linear":
            val = np.where(c[..., 0] == 0, 0.0, c[..., 0] * u[..., 0]) + np.where(c[..., 1] == 0, 0.0,
                                                                                   c[..., 1] * u[..., 1])
            if (self.coef == 1).all():
                val = u[..., 0] + u[..., 1]  # exactly as utilitarian() sums
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                ratios = np.where(c > 0, g / np.where(c > 0, c, 1.0), 1.0)
            val = ratios.min(axis=-1)
        return np.asarray(np.where(ok, val, -np.inf))

    def upper(self, g: FloatArray, box: FloatArray, half: FloatArray, lam: FloatArray, draw: IntArray,
              slack: FloatArray) -> FloatArray:
        """Upper bound of the objective over completions of partial gains ``g`` (N, 2); ``lam`` (N, L) or (L,)."""
        lam = lam if lam.ndim == 2 else lam[None, :]
        top = g + box + slack
        cl = lam * g[:, :1] + (1 - lam) * g[:, 1:] + half
        cl = cl + PRUNE_RTOL * np.abs(cl) + lam * slack[:, :1] + (1 - lam) * slack[:, 1:]
        c = self.coef[draw]
        if self.kind == "linear":
            f = self.floor[draw]
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = np.maximum(c[:, :1] / lam, c[:, 1:] / (1 - lam))
            best = np.minimum((c * top).sum(axis=1), (cl * scale).min(axis=1))
            return np.asarray((c * f).sum(axis=1) + best + PRUNE_RTOL * np.abs(best))
        pos = c > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            by_box = np.where(pos, top / np.where(pos, c, 1.0), np.inf).min(axis=1)
            denom = lam * c[:, :1] + (1 - lam) * c[:, 1:]
            both = np.asarray(pos.all(axis=1))
            by_half = np.where(both[:, None], cl / denom, np.inf).min(axis=1)
        bound = np.minimum(by_box, by_half)
        bound = np.where(both, bound, np.minimum(bound, 1.0))
        return np.asarray(bound + PRUNE_RTOL * np.abs(bound))


def _left_sum(tables: Sequence[FloatArray], rows: IntArray) -> FloatArray:
    d = np.arange(rows.shape[0]).reshape((-1,) + (1,) * (rows.ndim - 2))
    out = tables[0][d, rows[..., 0]]
    for g in range(1, len(tables)):
        out = out + tables[g][d, rows[..., g]]
    return np.asarray(out)


def _best(obj: _Objective, u: FloatArray, draw: IntArray) -> IntArray:
    """Index along axis 1 of the best candidate per draw: feasible by objective, else the closest to the floor."""
    val = obj.value(u, draw)
    closest = (u - obj.floor[draw]).min(axis=-1)
    any_ok = np.isfinite(val).any(axis=1)
    return np.where(any_ok, np.argmax(val, axis=1), np.argmax(closest, axis=1))


def _heuristic(tables: Sequence[FloatArray], obj: _Objective, suf: _Suffix, seeds: IntArray | None) -> FloatArray:
    """A good objective value per draw (-inf when none found): best supported package or seed, then
    :data:`_LOCAL_ROUNDS` rounds of local moves (towards the floor while below it)."""
    n = tables[0].shape[0]
    rows, sums = suf.supported, suf.supported_u
    if seeds is not None:
        rows = np.concatenate([rows, seeds], axis=1)
        sums = np.concatenate([sums, _left_sum(tables, seeds)], axis=1)
    draw = np.arange(n)
    cur = rows[draw, _best(obj, sums, draw[:, None])].copy()
    if _LOCAL_ROUNDS == 0:
        return obj.value(_left_sum(tables, cur), draw)
    u = _left_sum(tables, cur)
    for _ in range(_LOCAL_ROUNDS):
        for g, t in enumerate(tables):
            cand = (u - t[draw, cur[:, g]])[:, None, :] + t
            best = _best(obj, cand, draw[:, None])
            u, cur[:, g] = cand[draw, best], best
    return obj.value(_left_sum(tables, cur), draw)


def _beam(tables: Sequence[FloatArray], obj: _Objective, suf: _Suffix, lam: FloatArray, half: FloatArray,
          width: int) -> FloatArray:
    """A lower bound per draw by beam search: after each group keep the ``width`` partial packages whose upper
    bound is largest (dense (D, width) arrays), and return the best complete package's objective."""
    n = tables[0].shape[0]
    draw = np.arange(n)
    sums = np.zeros((n, 1, 2))
    for k, t in enumerate(tables):
        cand = (sums[:, :, None, :] + t[:, None, :, :]).reshape(n, -1, 2)
        if k == len(tables) - 1:
            return np.asarray(obj.value(cand, draw[:, None]).max(axis=1))
        c = cand.shape[1]
        flat = cand.reshape(-1, 2)
        own = np.repeat(draw, c)
        g = flat - obj.floor[own]
        reach = (g + suf.box[own, k] >= 0).all(axis=1)
        ub = np.where(reach, obj.upper(g, suf.box[own, k], half[own, k], lam[own], own, np.zeros_like(g)),
                      -np.inf).reshape(n, c)
        if c > width:
            top = np.argpartition(-ub, width - 1, axis=1)[:, :width]
            cand = np.take_along_axis(cand, top[:, :, None], axis=1)
        sums = cand
    return np.full(n, -np.inf)  # pragma: no cover - the loop returns at the last group


def _draw_lambdas(obj: _Objective, suf: _Suffix) -> IntArray:
    """Per draw, the λ of the grid giving the tightest bound over all packages, and its neighbours: (D, 2s+1)."""
    n = suf.total_box.shape[0]
    draw = np.arange(n)
    g = -obj.floor
    bound = np.stack([obj.upper(g, suf.total_box, suf.total_half[:, [j]], _LAMBDAS[[j]], draw, np.zeros((n, 2)))
                      for j in range(_LAMBDAS.size)], axis=1)
    centre = np.clip(np.argmin(bound, axis=1), _LAMBDA_SPAN, _LAMBDAS.size - 1 - _LAMBDA_SPAN)
    return np.asarray(centre[:, None] + np.arange(-_LAMBDA_SPAN, _LAMBDA_SPAN + 1)[None, :])


def batch_maximise(tables: Sequence[ArrayLike], kind: BatchObjective, coef: ArrayLike, floor: ArrayLike,
                   suffix: _Suffix | None = None, seeds: ArrayLike | None = None) -> BatchSolution:
    """Per draw, the package maximising a linear or max-min objective above a floor (module docstring).

    Parameters
    ----------
    tables
        Per group, ``(D, m_g, 2)`` utility tables.
    kind
        ``"linear"``: maximise ``coef · u`` (``coef`` ≥ 0); ``"maxmin"``: maximise ``min_i (u_i - floor_i)/coef_i``
        (a party with ``coef_i = 0`` counts as ratio 1, as in Kalai–Smorodinsky).
    coef, floor
        ``(D, 2)`` or ``(2,)``.
    seeds
        Optional ``(D, C, G)`` packages (rows per group) the heuristic also tries, e.g. another solution's.
    """
    tabs = [np.asarray(t, dtype=np.float64) for t in tables]
    if not tabs or any(t.ndim != 3 or t.shape[2] != 2 or t.shape[0] != tabs[0].shape[0] for t in tabs):
        raise DataError("batch_maximise needs one (D, m_g, 2) table per group with the same D.",
                        received=[t.shape for t in tabs], fix="stack the draws on the first axis.")
    n = tabs[0].shape[0]
    c = np.broadcast_to(np.asarray(coef, dtype=np.float64), (n, 2))
    f = np.broadcast_to(np.asarray(floor, dtype=np.float64), (n, 2))
    obj = _Objective(kind, c, f)
    suf = suffix if suffix is not None else _suffix(tabs)
    lower = _heuristic(tabs, obj, suf, None if seeds is None else np.asarray(seeds, dtype=np.int64))
    pick = _draw_lambdas(obj, suf)
    lam_d = _LAMBDAS[pick]
    half_d = np.take_along_axis(suf.half, pick[:, None, :], axis=2)
    lower = np.maximum(lower, _beam(tabs, obj, suf, lam_d, half_d, _BEAM_WIDTH))
    m0 = tabs[0].shape[1]
    pts, owner = tabs[0].reshape(-1, 2), np.repeat(np.arange(n), m0)
    parents: list[IntArray] = [np.zeros(n * m0, dtype=np.int64)]
    rows: list[IntArray] = [np.tile(np.arange(m0), n)]
    last = len(tabs) - 1
    for k in range(len(tabs)):
        if k > 0:
            m = tabs[k].shape[1]
            pts = (pts[:, None, :] + tabs[k][owner]).reshape(-1, 2)
            parents.append(np.repeat(np.arange(owner.size), m))
            rows.append(np.tile(np.arange(m), owner.size))
            owner = np.repeat(owner, m)
        keep = skyline_by_draw(pts, owner)
        p, o = pts[keep], owner[keep]
        g = p - f[o]
        slack = PRUNE_RTOL * (np.abs(p) + suf.size[o, k] + np.abs(f[o]))
        ok = (g + suf.box[o, k] >= -slack).all(axis=1)
        if k < last:
            lb = lower[o]
            ub = obj.upper(g, suf.box[o, k], half_d[o, k], lam_d[o], o, slack)
            ok &= (lb == -np.inf) | (ub >= lb - PRUNE_RTOL * np.abs(lb))
        keep = keep[ok]
        pts, owner, parents[k], rows[k] = pts[keep], owner[keep], parents[k][keep], rows[k][keep]
    val = obj.value(pts, owner)
    order = np.lexsort((pts[:, 1], pts[:, 0], pts[:, 0] + pts[:, 1], val, owner))
    best = np.full(n, -1, dtype=np.int64)
    best[owner[order]] = order
    found = np.zeros(n, dtype=bool)
    found[best >= 0] = np.isfinite(val[best[best >= 0]])
    choices = np.full((n, len(rows)), -1, dtype=np.int64)
    utilities = np.full((n, 2), np.nan)
    objective = np.full(n, np.nan)
    idx = best[found]
    utilities[found], objective[found] = pts[idx], val[idx]
    for k in range(len(rows) - 1, -1, -1):
        choices[found, k] = rows[k][idx]
        idx = parents[k][idx]
    return BatchSolution(choices=choices, utilities=utilities, objective=objective, found=found)


def _nash(tables: Sequence[FloatArray], powers: FloatArray, seed: IntArray | None = None) -> BatchSolution:
    """Nash per draw, by :func:`batch_nash` once per distinct pair of bargaining powers; ``seed`` (D, G) is each
    draw's package for its heuristic (passed as (D, 1, G), which its heuristic broadcasts like one (G,) package)."""
    n = tables[0].shape[0]
    choices = np.full((n, len(tables)), -1, dtype=np.int64)
    utilities = np.full((n, 2), np.nan)
    uniq, inverse = np.unique(powers, axis=0, return_inverse=True)
    for k, alpha in enumerate(uniq):
        sel = np.flatnonzero(inverse.ravel() == k)
        res = batch_nash([t[sel] for t in tables], (0.0, 0.0), (float(alpha[0]), float(alpha[1])),
                         seed_rows=None if seed is None else seed[sel][:, None, :])
        choices[sel], utilities[sel] = res.choices, res.utilities
    found = ~np.isnan(utilities[:, 0])
    with np.errstate(invalid="ignore"):
        objective = np.where(found, np.abs(utilities[:, 0]) ** powers[:, 0] * np.abs(utilities[:, 1]) ** powers[:, 1],
                             np.nan)
    return BatchSolution(choices=choices, utilities=utilities, objective=objective, found=found)


def _max_sum_rows(tables: Sequence[FloatArray]) -> IntArray:
    """(D, G): per draw the package maximising u0 + u1 without constraint, group by group (separable), ties broken
    towards larger u0, then larger u1 (lexicographic, hence also separable)."""
    out = []
    for t in tables:
        total = t[:, :, 0] + t[:, :, 1]
        key = np.lexsort((t[:, :, 1], t[:, :, 0], total), axis=1)  # last column is the best
        out.append(key[:, -1])
    return np.stack(out, axis=1).astype(np.int64)


def _subset(suf: _Suffix | None, idx: IntArray) -> _Suffix | None:
    if suf is None:
        return None
    return _Suffix(box=suf.box[idx], half=suf.half[idx], size=suf.size[idx], total_box=suf.total_box[idx],
                   total_half=suf.total_half[idx], supported=suf.supported[idx], supported_u=suf.supported_u[idx])


def _max_sum_above(tables: Sequence[FloatArray], floor: FloatArray, suf: _Suffix | None,
                   seeds: IntArray) -> BatchSolution:
    """:func:`batch_maximise` of u0 + u1 above ``floor``, short-cut where the unconstrained best package already
    clears the floor (then it is the answer); the branch and bound runs on the other draws only."""
    rows = _max_sum_rows(tables)
    u = _left_sum(tables, rows)
    easy = np.asarray((u >= floor).all(axis=1), dtype=bool)
    out = BatchSolution(choices=np.where(easy[:, None], rows, -1), utilities=np.where(easy[:, None], u, np.nan),
                        objective=np.where(easy, u[:, 0] + u[:, 1], np.nan), found=np.array(easy, dtype=bool))
    hard = np.flatnonzero(~easy)
    if hard.size:
        sub = batch_maximise([t[hard] for t in tables], "linear", (1.0, 1.0), floor[hard], _subset(suf, hard),
                             seeds[hard])
        out.choices[hard], out.utilities[hard] = sub.choices, sub.utilities
        out.objective[hard], out.found[hard] = sub.objective, sub.found
    return out


def _none(n: int, groups: int) -> BatchSolution:
    """A solution not computed: nothing found in any draw."""
    return BatchSolution(choices=np.full((n, groups), -1, dtype=np.int64), utilities=np.full((n, 2), np.nan),
                         objective=np.full(n, np.nan), found=np.zeros(n, dtype=bool))


def batch_solutions(tables: Sequence[ArrayLike], powers: ArrayLike = (1.0, 1.0),
                    deal: ArrayLike | None = None, deal_rows: ArrayLike | None = None, *,
                    which: Collection[SolutionName] = SOLUTION_NAMES,
                    nash_seed: ArrayLike | None = None) -> BatchSolutions:
    """Nash, Kalai–Smorodinsky, egalitarian and utilitarian packages of each draw (BATNA at 0), and a comparison.

    Parameters
    ----------
    tables
        Per group, ``(D, m_g, 2)``: each draw's utilities against the BATNA.
    powers
        ``(2,)`` or ``(D, 2)`` bargaining powers of the Nash solution.
    deal
        Optional ``(D, 2)`` utilities of a package to compare with each draw's frontier, summed over groups left
        to right like the tables (so that a package on the frontier compares equal to its frontier point).
    deal_rows
        Optional ``(D, G)`` or ``(G,)`` rows of the deal in each group, when it is a package of the tables (a
        starting point for the search).
    which
        Solutions to compute (the others are returned as found nowhere). The deal's Chebyshev ``distance`` is
        computed only with all four (it is the costliest search).
    nash_seed
        Optional ``(G,)`` package the Nash search tries first (e.g. the Nash package at the point values); it only
        speeds the search up.

    Returns
    -------
    BatchSolutions
        Equal draw by draw to :func:`~tradetalks.bargain.solutions.nash`, ``kalai_smorodinsky``, ``egalitarian``
        and ``utilitarian`` on :func:`~tradetalks.bargain.frontier.pareto_frontier` with BATNA (0, 0), and to
        :func:`~tradetalks.bargain.comparison.compare_to_frontier` for the deal, to rounding of the group sums.

    Examples
    --------
    >>> t = np.array([[[10, 0], [6, 2], [3, 4], [0, 5]]], dtype=float)
    >>> s = batch_solutions([t])
    >>> s.kalai_smorodinsky.utilities.tolist(), s.egalitarian.utilities.tolist(), s.utilitarian.utilities.tolist()
    ([[6.0, 2.0]], [[3.0, 4.0]], [[10.0, 0.0]])
    """
    given = [np.asarray(t, dtype=np.float64) for t in tables]
    n = given[0].shape[0]
    alpha = np.broadcast_to(np.asarray(powers, dtype=np.float64), (n, 2))
    full = set(which) >= {"kalai_smorodinsky", "egalitarian", "utilitarian"}
    space = _Space.of(given)
    tabs, back = space.tables, space.given_solution  # searched tables; answers back in the given rows
    suf = _suffix(tabs) if set(which) - {"nash"} else None
    zero = np.zeros((n, 2))
    seed = None
    if nash_seed is not None:
        seed = space.search_rows(np.broadcast_to(np.asarray(nash_seed, dtype=np.int64), (n, len(tabs))))
    nash_s = _nash(tabs, alpha, seed) if "nash" in which else _none(n, len(tabs))
    seeds = np.maximum(nash_s.choices, 0)[:, None, :]
    util = ks = egal = _none(n, len(tabs))
    if "utilitarian" in which or "kalai_smorodinsky" in which:
        util = _max_sum_above(tabs, zero, suf, seeds)
        seeds = np.concatenate([seeds, util.choices.clip(0)[:, None]], axis=1)
    if "egalitarian" in which or "kalai_smorodinsky" in which:
        egal = batch_maximise(tabs, "maxmin", (1.0, 1.0), zero, suf, seeds)
        seeds = np.concatenate([seeds, egal.choices.clip(0)[:, None]], axis=1)
    if "kalai_smorodinsky" in which:
        ideal0 = batch_maximise(tabs, "linear", (1.0, 0.0), zero, suf, seeds)
        ideal1 = batch_maximise(tabs, "linear", (0.0, 1.0), zero, suf, seeds)
        span = np.stack([ideal0.utilities[:, 0], ideal1.utilities[:, 1]], axis=1)
        span = np.where(np.isfinite(span), span, 1.0)
        ks = batch_maximise(tabs, "maxmin", span, zero, suf, seeds)
    comparison = None
    if deal is not None:
        u = np.asarray(deal, dtype=np.float64)
        more = seeds
        if deal_rows is not None:
            rows = space.search_rows(np.broadcast_to(np.asarray(deal_rows, dtype=np.int64), (n, len(tabs))))
            more = np.concatenate([seeds, rows[:, None, :]], axis=1)
        left = _max_sum_above(tabs, u, suf, more)
        gap = left.utilities - u
        joint = np.where(left.found, gap[:, 0] + gap[:, 1], 0.0)
        dominated = left.found & (joint > 0)
        distance = None
        if full:
            suf = suf if suf is not None else _suffix(tabs)
            cheb = batch_maximise(tabs, "maxmin", (1.0, 1.0), u, suf,
                                  np.concatenate([more, left.choices.clip(0)[:, None]], axis=1))
            distance = np.where(cheb.found, np.maximum(cheb.objective, 0.0), 0.0)
        comparison = BatchComparison(utilities=u, on_frontier=~dominated, distance=distance,
                                     left_on_table=np.where(dominated, joint, 0.0))
    return BatchSolutions(nash=back(nash_s), kalai_smorodinsky=back(ks), egalitarian=back(egal),
                          utilitarian=back(util), comparison=comparison)


def group_order(tables: Sequence[FloatArray]) -> IntArray:
    """A good order in which to give the groups to :func:`batch_solutions`: widest first (mean over draws of each
    table's range in u0 plus its range in u1; ties keep the given order).

    The searches add the groups in the order given. After the wide groups, the groups still to add can move a
    partial sum only a little, so the bounds on their completions are tight and prune early: on korus-2025 this
    order halves the partial packages the searches keep (its 5-issue group of 329 rows is the widest; the single
    issues follow from widest to narrowest). The searches sum (and so break exact ties) in the order given, as
    the frontier of the groups in that order does; another order can only change answers whose objectives tie to
    the last bits of the sums.
    """
    spread = np.array([float(np.mean(np.ptp(t, axis=1).sum(axis=-1))) if t.size else 0.0 for t in tables])
    return np.argsort(-spread, kind="stable").astype(np.int64)


@dataclass(frozen=True, eq=False)
class _Space:
    """The groups as the searches see them: the first one cut to each draw's non-dominated rows (the searches'
    first step keeps exactly these; the cut makes every bound and heuristic cheaper), the others as given.

    Attributes
    ----------
    tables : list of (D, m'_g, 2)
        Searched tables: the first cut to ``K`` rows (padded with copies of each draw's first kept row, which map
        back to that same row), the others as given.
    first_rows : (D, K) int
        Given row behind each row of the first searched table.
    first_index : (D, m) int
        Position of each given row of the first group in the cut table, -1 where it was cut.
    """

    tables: list[FloatArray]
    first_rows: IntArray
    first_index: IntArray

    @classmethod
    def of(cls, given: Sequence[FloatArray]) -> _Space:
        first = given[0]
        n, m = first.shape[:2]
        if m == 0:
            return cls(list(given), np.zeros((n, 0), np.int64), np.zeros((n, 0), np.int64))
        # each draw's skyline as skyline_by_draw finds it (by u0 then u1 descending, the first of equal points),
        # but per row of the (D, m) table: no sort across draws
        order = np.lexsort((-first[:, :, 1], -first[:, :, 0]), axis=-1)
        u1 = np.take_along_axis(first[:, :, 1], order, axis=1)
        keep = np.ones((n, m), dtype=bool)
        keep[:, 1:] = u1[:, 1:] > np.maximum.accumulate(u1, axis=1)[:, :-1]
        counts = keep.sum(axis=1)
        k = int(counts.max())
        rows = np.take_along_axis(order, np.argsort(~keep, axis=1, kind="stable")[:, :k], axis=1)
        real = np.arange(k)[None, :] < counts[:, None]
        rows = np.where(real, rows, rows[:, :1])  # padding: copies of the draw's first kept row
        index = np.full((n, m), -1, dtype=np.int64)
        d, j = np.nonzero(real)
        index[d, rows[d, j]] = j
        return cls([np.take_along_axis(first, rows[:, :, None], axis=1), *given[1:]], rows, index)

    def search_rows(self, rows: IntArray) -> IntArray:
        """(D, G) given rows → searched rows (a first-group row that was cut becomes the draw's first kept row:
        such rows only seed heuristics)."""
        out = np.array(rows, dtype=np.int64)
        d = np.arange(out.shape[0])
        out[:, 0] = np.maximum(self.first_index[d, np.maximum(out[:, 0], 0)], 0)
        return out

    def given_solution(self, s: BatchSolution) -> BatchSolution:
        """A solution found on the searched tables, in the given rows (utilities and objective are unchanged: the
        rows behind them have the same utilities)."""
        idx = np.flatnonzero(s.found)
        choices = np.array(s.choices, dtype=np.int64)
        choices[idx, 0] = self.first_rows[idx, choices[idx, 0]]
        return BatchSolution(choices=choices, utilities=s.utilities, objective=s.objective, found=s.found)
