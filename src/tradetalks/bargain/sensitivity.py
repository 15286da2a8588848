r"""Sensitivity of the predicted package: Nash solutions for many utility tables at once.

Party utilities are linear in the political weights, :math:`U_g = P_g W` per issue group, so a sweep over weight
vectors needs no re-valuation: draw weights, form every group's utility table for every draw in one product, and
find each draw's Nash package. The Nash package of one draw is found exactly by a branch and bound over the
issue-by-issue Minkowski-sum frontier (:func:`~tradetalks.bargain.frontier.pareto_frontier`), vectorised across
draws: after each group, partial packages are cut to their per-draw skyline and pruned when no completion can reach
the best Nash product found by a cheap heuristic (the best supported package over a grid of linear scalarisations).
A partial sum :math:`s` after group :math:`k` completes to :math:`s + r` with :math:`r` in the remaining groups'
package set :math:`R_k`, and for every :math:`\lambda \in (0, 1)`

.. math::

    \lambda r_0 + (1 - \lambda) r_1 \le h_k(\lambda) = \sum_{j > k} \max_{\text{rows}}
    \bigl(\lambda u_{j,0} + (1 - \lambda) u_{j,1}\bigr), \qquad r_i \le \sum_{j > k} \max_{\text{rows}} u_{j,i},

so the largest :math:`(s_0 + r_0 - d_0)^{\alpha_0} (s_1 + r_1 - d_1)^{\alpha_1}` over that box cut by one such
half-plane (closed form) bounds every completion. A partial package whose bound falls below the heuristic's
product (less a relative slack of :data:`PRUNE_RTOL` for rounding) is dropped, and so is every partial package it
dominates — safely, since the same completion of the dominating one is at least as good. The survivors' Nash
products are computed as :func:`~tradetalks.bargain.solutions.nash` computes them and ties broken the same way.

References
----------
Nash, J. F. (1950). The bargaining problem. *Econometrica* 18(2), 155-162. https://doi.org/10.2307/1907266

Grossman, G. M. and Helpman, E. (1994). Protection for sale. *American Economic Review* 84(4), 833-850.
https://www.jstor.org/stable/2118033 (political weights)

Land, A. H. and Doig, A. G. (1960). An automatic method of solving discrete programming problems. *Econometrica*
28(3), 497-520. https://doi.org/10.2307/1910129 (branch and bound)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradetalks.errors import DataError

#: runs a function over job items and yields the results in order (builtin ``map``, ``Executor.map``)
Mapper = Callable[[Callable[[Any], Any], Iterable[Any]], Iterable[Any] | Iterator[Any]]

__all__ = [
    "DEFAULT_CHUNK",
    "PRUNE_RTOL",
    "NashBatch",
    "batch_nash",
    "sweep_weights",
    "utility_batch",
    "weight_draws",
]

#: relative slack when pruning partial packages against the heuristic Nash product (covers summation-order rounding)
PRUNE_RTOL = 1e-9
#: relative rounding allowance of the closed-form line points in the bound (far above float64 rounding)
_ROUND = 1e-12
#: draws solved per vectorised batch
DEFAULT_CHUNK = 200
#: scalarisation weights λ of the heuristic (logit-spaced) and of the bounds (around the heuristic's tangent)
_HEURISTIC_LOGITS = np.linspace(-4.0, 4.0, 17)
_BOUND_LOGITS = np.linspace(-1.0, 1.0, 7)
#: rounds of one-group-at-a-time improvement of the heuristic package
_LOCAL_ROUNDS = 3

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class NashBatch:
    """Nash packages of ``D`` draws.

    Attributes
    ----------
    choices
        Shape ``(D, G)``: the row of each group in each draw's Nash package (``-1`` where there is none).
    utilities
        Shape ``(D, 2)``: its utilities (NaN where there is none).
    found
        Shape ``(D,)``: whether some package is strictly better than the BATNA for both (the ZOPA is non-empty).
    """

    choices: IntArray
    utilities: FloatArray
    found: BoolArray


def utility_batch(payoffs: Sequence[ArrayLike], stakeholder_party: ArrayLike, weights: ArrayLike) -> list[FloatArray]:
    """Every group's utility table for every weight vector: ``U[g][d] = payoffs[g] @ W(weights[d])``.

    Parameters
    ----------
    payoffs
        Per group, shape ``(m_g, S)``: stakeholder payoffs, USD/yr against the BATNA.
    stakeholder_party
        Shape ``(S,)``: 0 or 1, the party of each stakeholder.
    weights
        Shape ``(D, S)``: political weights per draw.

    Returns
    -------
    list of numpy.ndarray
        Per group, shape ``(D, m_g, 2)``.

    Examples
    --------
    >>> utility_batch([[[1.0, 2.0]]], [0, 1], [[1.0, 1.0], [2.0, 3.0]])[0].tolist()
    [[[1.0, 2.0]], [[2.0, 6.0]]]
    """
    w = np.asarray(weights, dtype=np.float64)
    side = np.asarray(stakeholder_party)
    onehot = np.stack([side == 0, side == 1], axis=1).astype(np.float64)  # (S, 2)
    return [np.einsum("ms,ds,sp->dmp", np.asarray(p, dtype=np.float64), w, onehot) for p in payoffs]


def weight_draws(weights: ArrayLike, n: int, sigma: float, rng: np.random.Generator) -> FloatArray:
    """``n`` weight vectors, each weight times an independent log-normal factor :math:`e^{\\sigma z}`.

    >>> weight_draws([1.0, 2.0], 3, 0.0, np.random.default_rng(0)).tolist()
    [[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]]
    """
    w = np.asarray(weights, dtype=np.float64)
    return w[None, :] * np.exp(sigma * rng.standard_normal((n, w.shape[0])))


def _objective(g: FloatArray, alpha: FloatArray) -> FloatArray:
    """Nash product of gains ``(..., 2)`` exactly as :func:`~tradetalks.bargain.solutions.nash`; -inf outside."""
    inside = np.asarray((g > 0).all(axis=-1), dtype=np.bool_)
    with np.errstate(invalid="ignore"):
        obj = np.where(inside[..., None], g, 1.0) ** alpha
    return np.where(inside, obj[..., 0] * obj[..., 1], -np.inf)


def _left_sum(tables: Sequence[FloatArray], rows: IntArray) -> FloatArray:
    """Utilities ``(D, ..., 2)`` of packages ``rows`` (``(D, ..., G)``), summed over groups left to right."""
    d = np.arange(rows.shape[0]).reshape((-1,) + (1,) * (rows.ndim - 2))
    out = tables[0][d, rows[..., 0]]
    for g in range(1, len(tables)):
        out = out + tables[g][d, rows[..., g]]
    return np.asarray(out)


def _scalarised_rows(tables: Sequence[FloatArray], lam: FloatArray) -> IntArray:
    """Per draw and λ, the row of each group maximising λ u0 + (1-λ) u1: shape ``(D, L, G)``."""
    lam3 = lam[:, None, :]
    return np.stack([np.argmax(lam3 * t[:, :, :1] + (1 - lam3) * t[:, :, 1:], axis=1) for t in tables], axis=-1)


def _heuristic(tables: Sequence[FloatArray], d: FloatArray, alpha: FloatArray,
               seed_rows: IntArray | None) -> tuple[FloatArray, FloatArray]:
    """A good Nash product per draw and its gains ``(D, 2)``: the best supported package (and ``seed_rows``),
    improved by a few rounds of changing one group's row at a time."""
    n = tables[0].shape[0]
    lam = np.broadcast_to(1 / (1 + np.exp(-_HEURISTIC_LOGITS)), (n, _HEURISTIC_LOGITS.size))
    rows = _scalarised_rows(tables, np.ascontiguousarray(lam))
    if seed_rows is not None:
        rows = np.concatenate([rows, np.broadcast_to(seed_rows, (n, 1, len(tables)))], axis=1)
    obj = _objective(_left_sum(tables, rows) - d, alpha)
    cur = rows[np.arange(n), np.argmax(obj, axis=1)].copy()
    u = _left_sum(tables, cur)
    draw = np.arange(n)
    for _ in range(_LOCAL_ROUNDS):
        for g, t in enumerate(tables):
            cand = (u - t[draw, cur[:, g]])[:, None, :] + t
            best = np.argmax(_objective(cand - d, alpha), axis=1)
            u, cur[:, g] = cand[draw, best], best
    u = _left_sum(tables, cur)
    return _objective(u - d, alpha), u - d


def _bound_lambdas(gains: FloatArray, alpha: FloatArray) -> FloatArray:
    """Per draw, λ values around the normal of the Nash iso-product curve at the heuristic's point."""
    g = np.where(gains > 0, gains, 1.0)
    with np.errstate(all="ignore"):
        normal = alpha[0] * g[:, 1] / (alpha[0] * g[:, 1] + alpha[1] * g[:, 0])
        normal = np.clip(np.where(np.isfinite(normal), normal, 0.5), 1e-9, 1 - 1e-9)
        z = np.log(normal / (1 - normal))[:, None] + _BOUND_LOGITS[None, :]
        return np.asarray(np.clip(1 / (1 + np.exp(-z)), 1e-12, 1 - 1e-12))


def _suffix_bounds(tables: Sequence[FloatArray], lam: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per draw and group ``k``, sums over the groups after ``k`` of: the rows' max of u (``(D, G, 2)``), of
    λu0+(1-λ)u1 (``(D, G, L)``), and of |u| (``(D, G, 2)``, the scale of their rounding)."""
    box = np.stack([t.max(axis=1) for t in tables], axis=1)
    size = np.stack([np.abs(t).max(axis=1) for t in tables], axis=1)
    lam3 = lam[:, None, :]
    half = np.stack([(lam3 * t[:, :, :1] + (1 - lam3) * t[:, :, 1:]).max(axis=1) for t in tables], axis=1)

    def after(a: FloatArray) -> FloatArray:
        rev = np.cumsum(a[:, ::-1], axis=1)[:, ::-1]
        return np.concatenate([rev[:, 1:], np.zeros_like(a[:, :1])], axis=1)

    return after(box), after(half), after(size)


def _upper_bound(g: FloatArray, box: FloatArray, half: FloatArray, lam: FloatArray, alpha: FloatArray,
                 slack: FloatArray) -> FloatArray:
    """Largest Nash product over gains ``g + r`` with ``r <= box`` and ``λ r0 + (1-λ) r1 <= half`` (min over λ).

    Both constraints are first relaxed by ``slack`` (absolute, per coordinate), far more than the rounding of the
    sums and of the closed form, so the result never falls below the product of a true completion.
    """
    x_max, y_max = g[:, 0] + box[:, 0] + slack[:, 0], g[:, 1] + box[:, 1] + slack[:, 1]
    c = lam * g[:, :1] + (1 - lam) * g[:, 1:] + half
    c = c + PRUNE_RTOL * np.abs(c) + lam * slack[:, :1] + (1 - lam) * slack[:, 1:]
    a0, a1 = alpha[0] / (alpha[0] + alpha[1]), alpha[1] / (alpha[0] + alpha[1])
    xm, ym = x_max[:, None], y_max[:, None]
    with np.errstate(all="ignore"):
        x_lo = (c - (1 - lam) * ym) / lam + _ROUND * (np.abs(c) + (1 - lam) * np.abs(ym)) / lam  # line meets y_max
        y_hi = (c - lam * xm) / (1 - lam) + _ROUND * (np.abs(c) + lam * np.abs(xm)) / (1 - lam)  # line meets x_max
        mode_x, mode_y = a0 * c / lam, a1 * c / (1 - lam)  # the product's maximum on the line
        x = np.where(mode_x < x_lo, x_lo, np.where(mode_x > xm, xm, mode_x))
        y = np.where(mode_x < x_lo, ym, np.where(mode_x > xm, np.minimum(y_hi, ym), mode_y))
        corner = lam * xm + (1 - lam) * ym <= c
        x, y = np.where(corner, xm, np.minimum(x, xm)), np.where(corner, ym, np.minimum(y, ym))
        val = np.where((x > 0) & (y > 0), np.abs(x) ** alpha[0] * np.abs(y) ** alpha[1], -np.inf)
    val[np.isnan(val) | np.isnan(x) | np.isnan(y)] = np.inf  # a bound that overflow made meaningless never prunes
    return np.asarray(val.min(axis=1))


def skyline_by_draw(pts: FloatArray, owner: IntArray) -> IntArray:
    """Indices of each draw's distinct non-dominated points (as :func:`~tradetalks.bargain.frontier.skyline`)."""
    order = np.lexsort((-pts[:, 1], -pts[:, 0], owner))
    _, rank = np.unique(pts[order, 1], return_inverse=True)
    key = owner[order].astype(np.int64) * (int(rank.max(initial=0)) + 2) + rank
    keep = np.empty(order.size, dtype=bool)
    keep[:1] = True
    np.greater(key[1:], np.maximum.accumulate(key)[:-1], out=keep[1:])
    return np.asarray(order[keep], dtype=np.int64)


def _prune(s: FloatArray, owner: IntArray, k: int, ctx: _Context) -> BoolArray:
    """Which partial sums after group ``k`` can still complete to at least the heuristic's Nash product."""
    g = s - ctx.d
    box, half, lam = ctx.box[owner, k], ctx.half[owner, k], ctx.lam[owner]
    reach = g + box
    slack = PRUNE_RTOL * (np.abs(s) + ctx.size[owner, k] + np.abs(ctx.d))
    ok = (reach > -slack).all(axis=1)
    lb = ctx.lower[owner]
    bound = _upper_bound(g, box, half, lam, ctx.alpha, slack)
    return np.asarray(ok & ((lb == -np.inf) | (bound >= lb - PRUNE_RTOL * np.abs(lb))))


@dataclass(frozen=True)
class _Context:
    d: FloatArray
    alpha: FloatArray
    lower: FloatArray  # (D,) heuristic Nash product
    lam: FloatArray  # (D, L)
    box: FloatArray  # (D, G, 2)
    half: FloatArray  # (D, G, L)
    size: FloatArray  # (D, G, 2)


def _context(tables: Sequence[FloatArray], d: FloatArray, alpha: FloatArray, seed_rows: IntArray | None) -> _Context:
    lower, gains = _heuristic(tables, d, alpha, seed_rows)
    lam = _bound_lambdas(gains, alpha)
    box, half, size = _suffix_bounds(tables, lam)
    return _Context(d=d, alpha=alpha, lower=lower, lam=lam, box=box, half=half, size=size)


def _pick(u: FloatArray, owner: IntArray, d: FloatArray, alpha: FloatArray, n: int) -> tuple[IntArray, BoolArray]:
    """Per draw, the index of its Nash point among ``u`` (ties as in :func:`~tradetalks.bargain.solutions.nash`)."""
    obj = _objective(u - d, alpha)
    order = np.lexsort((u[:, 1], u[:, 0], u[:, 0] + u[:, 1], obj, owner))
    last = np.full(n, -1, dtype=np.int64)
    last[owner[order]] = order  # later (better) entries overwrite earlier ones within each draw
    found = np.zeros(n, dtype=bool)
    found[last >= 0] = np.isfinite(obj[last[last >= 0]])
    return last, found


def batch_nash(tables: Sequence[ArrayLike], batna: ArrayLike = (0.0, 0.0), powers: tuple[float, float] = (1.0, 1.0),
               *, seed_rows: ArrayLike | None = None) -> NashBatch:
    """Exact (asymmetric) Nash package of each of ``D`` additive negotiations with the same groups.

    Equal to :func:`~tradetalks.bargain.solutions.nash` on
    :func:`~tradetalks.bargain.frontier.pareto_frontier` draw by draw (same utilities, same tie-breaking), by a
    branch and bound vectorised across draws (module docstring).

    Parameters
    ----------
    tables
        Per group, shape ``(D, m_g, 2)``: each draw's utility table (e.g. from :func:`utility_batch`).
    batna
        Shape ``(2,)``: the disagreement point (the same for all draws).
    powers
        Bargaining powers, finite and positive.
    seed_rows
        Optional ``(G,)`` package tried by the heuristic (e.g. the Nash package at the base weights).

    Returns
    -------
    NashBatch

    Examples
    --------
    >>> t = np.array([[[4, 0], [3, 2], [1, 3], [0, 4]], [[0, 4], [1, 3], [3, 2], [4, 0]]], dtype=float)
    >>> batch_nash([t]).utilities.tolist()
    [[3.0, 2.0], [3.0, 2.0]]
    """
    tabs = [np.asarray(t, dtype=np.float64) for t in tables]
    d, alpha = np.asarray(batna, dtype=np.float64), np.asarray(powers, dtype=np.float64)
    if not tabs or any(t.ndim != 3 or t.shape[2] != 2 or t.shape[0] != tabs[0].shape[0] for t in tabs):
        raise DataError("batch_nash needs one (D, m_g, 2) table per group with the same D.",
                        received=[t.shape for t in tabs], fix="stack the draws on the first axis.")
    n = tabs[0].shape[0]
    ctx = _context(tabs, d, alpha, None if seed_rows is None else np.asarray(seed_rows, dtype=np.int64))
    m0 = tabs[0].shape[1]
    pts, owner = tabs[0].reshape(-1, 2), np.repeat(np.arange(n), m0)
    parents: list[IntArray] = [np.zeros(n * m0, dtype=np.int64)]
    rows: list[IntArray] = [np.tile(np.arange(m0), n)]
    for k in range(len(tabs)):
        if k > 0:
            m = tabs[k].shape[1]
            pts = (pts[:, None, :] + tabs[k][owner]).reshape(-1, 2)
            parents.append(np.repeat(np.arange(owner.size), m))
            rows.append(np.tile(np.arange(m), owner.size))
            owner = np.repeat(owner, m)
        keep = skyline_by_draw(pts, owner)
        keep = keep[_prune(pts[keep], owner[keep], k, ctx)] if k < len(tabs) - 1 else keep
        pts, owner, parents[k], rows[k] = pts[keep], owner[keep], parents[k][keep], rows[k][keep]
    return _backtrack(pts, owner, parents, rows, d, alpha, n)


def _backtrack(pts: FloatArray, owner: IntArray, parents: list[IntArray], rows: list[IntArray], d: FloatArray,
               alpha: FloatArray, n: int) -> NashBatch:
    best, found = _pick(pts, owner, d, alpha, n)
    choices = np.full((n, len(rows)), -1, dtype=np.int64)
    utilities = np.full((n, 2), np.nan)
    idx = best[found]
    utilities[found] = pts[idx]
    for k in range(len(rows) - 1, -1, -1):
        choices[found, k] = rows[k][idx]
        idx = parents[k][idx]
    return NashBatch(choices=choices, utilities=utilities, found=found)


def _sweep_chunk(args: tuple[list[FloatArray], FloatArray, FloatArray, tuple[float, float],
                             IntArray | None]) -> NashBatch:
    payoffs, party, weights, powers, seed = args
    return batch_nash(utility_batch(payoffs, party, weights), (0.0, 0.0), powers, seed_rows=seed)


def sweep_weights(payoffs: Sequence[ArrayLike], stakeholder_party: ArrayLike, weights: ArrayLike,
                  powers: tuple[float, float] = (1.0, 1.0), *, seed_rows: ArrayLike | None = None,
                  chunk: int = DEFAULT_CHUNK, mapper: Mapper = map,
                  progress: Callable[[int], None] | None = None) -> NashBatch:
    """Nash package (BATNA at zero utility) for every weight vector, in chunks.

    Parameters
    ----------
    payoffs
        Per group, shape ``(m_g, S)``, USD/yr against the BATNA.
    stakeholder_party
        Shape ``(S,)``: 0 or 1.
    weights
        Shape ``(D, S)``: e.g. :func:`weight_draws`.
    powers, seed_rows
        As in :func:`batch_nash`.
    chunk
        Draws per vectorised batch.
    mapper
        How chunks are run: the builtin ``map`` (in this process, the default) or e.g.
        ``tradetalks.executor.Executor(workers=2).map`` (worker processes); it must yield results in order. This
        module never starts processes itself (array maths only).
    progress
        Called with the number of draws finished after each chunk.
    """
    pay = [np.asarray(p, dtype=np.float64) for p in payoffs]
    party = np.asarray(stakeholder_party)
    w = np.asarray(weights, dtype=np.float64)
    seed = None if seed_rows is None else np.asarray(seed_rows, dtype=np.int64)
    jobs = [(pay, party, w[i:i + chunk], powers, seed) for i in range(0, w.shape[0], chunk)]
    out: list[NashBatch] = []
    for r in mapper(_sweep_chunk, jobs):
        out.append(r)
        if progress:
            progress(sum(b.found.size for b in out))
    return NashBatch(choices=np.concatenate([b.choices for b in out]),
                     utilities=np.concatenate([b.utilities for b in out]),
                     found=np.concatenate([b.found for b in out]))
