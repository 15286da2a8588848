r"""Zone of possible agreement (ZOPA): the packages strictly better than the BATNA for both parties.

The size of the ZOPA is counted exactly without enumerating the package space, by meet in the middle: split
the issues into two halves :math:`A` and :math:`B` with balanced package counts, enumerate the utility sums of
each half (:math:`|A|, |B| \approx \sqrt{N}`), and count the pairs with

.. math::

    a_0 + b_0 > d_0 \quad\text{and}\quad a_1 + b_1 > d_1
    \iff b_0 > d_0 - a_0 \quad\text{and}\quad b_1 > d_1 - a_1,

an offline 2-D dominance count: :math:`|A|` orthant queries against the point set :math:`B`, answered in
:math:`O((|A| + |B|) \log^2 |B|)` by a merge-sort tree (Bentley 1980) whose levels are answered with one
vectorised ``searchsorted`` each. When a half exceeds ``max_exact_half`` the count is estimated by uniform
Monte Carlo sampling of packages with a Wilson 95 % interval.

The decisions :math:`b_i > d_i - a_i` are exact for utilities whose sums are exact in floating point (e.g.
integers, or values on a coarse binary grid); otherwise a package whose utility is within a few units in the
last place of the BATNA may be classified differently from a left-to-right evaluation of its sum.

References
----------
Bentley, J. L. (1980). Multidimensional divide-and-conquer. *Communications of the ACM* 23(4), 214-229.
https://doi.org/10.1145/358841.358850

Horowitz, E. and Sahni, S. (1974). Computing partitions with applications to the knapsack problem. *Journal of
the ACM* 21(2), 277-292. https://doi.org/10.1145/321812.321823 (meet in the middle)

Raiffa, H. (1982). *The Art and Science of Negotiation*. Harvard University Press (the zone of agreement).

Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. *Journal of the
American Statistical Association* 22(158), 209-212. https://doi.org/10.1080/01621459.1927.10502953
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradetalks.bargain.frontier import Frontier, as_issue_utilities, pareto_frontier
from tradetalks.bargain.solutions import batna_array
from tradetalks.errors import DataError
from tradetalks.options import ZopaMethod

__all__ = [
    "DEFAULT_MAX_EXACT_HALF",
    "DEFAULT_N_SAMPLES",
    "Zopa",
    "ZopaMethod",
    "count_dominating_pairs",
    "zopa",
]


#: Largest half (number of partial packages on one side of the meet in the middle) counted exactly. Measured on
#: one core: 0.08 s for two halves of 1e5 points (10^10 packages), 1.4 s for 1e6, 7 s for 4e6; about 100 bytes
#: per point.
DEFAULT_MAX_EXACT_HALF = 4_000_000

#: Packages drawn when the ZOPA is estimated by sampling.
DEFAULT_N_SAMPLES = 1_000_000

#: Two-sided 95 % standard normal quantile.
_Z95 = 1.959963984540054

#: Packages drawn per vectorised batch when sampling (bounds memory at about 50 MB).
_SAMPLE_BATCH = 1 << 20

FloatArray = NDArray[np.float64]
Bounds = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True, eq=False)
class Zopa:
    """Size and extent of the zone of possible agreement.

    Attributes
    ----------
    count
        Number of packages strictly better than the BATNA for both parties: exact when ``method == "exact"``,
        otherwise the rounded Monte Carlo estimate (at least 1 when ``nonempty``). A Python ``int``.
    method
        ``"exact"`` (meet in the middle, or an empty ZOPA read off the frontier) or ``"sampled"``.
    ci95
        ``(lo, hi)``: a 95 % Wilson confidence interval for ``count`` when sampled (``lo >= 1`` when
        ``nonempty``), ``None`` when exact.
    n_samples
        Packages drawn when sampled, ``None`` when exact.
    total_packages
        Size of the package space (a Python ``int``).
    bounds
        ``((d_0, hi_0), (d_1, hi_1))``: for each party :math:`i` its BATNA utility :math:`d_i` and
        :math:`hi_i = \\max\\{u_i : u \\in F,\\ u_j > d_j\\}`, the best it can get while the other party
        :math:`j` is strictly better off than at its BATNA (read off the exact frontier :math:`F`; ``-inf`` if
        no package makes party :math:`j` strictly better off). When the ZOPA is non-empty, ``hi_i > d_i`` is
        party :math:`i`'s best utility inside it; when it is empty, ``hi_i <= d_i`` and ``d_i - hi_i`` is how far
        party :math:`i` would have to go below its BATNA to make the other party strictly better off.
    nonempty
        Whether some package is strictly better than the BATNA for both; exact in both methods (from the
        frontier).
    """

    count: int
    method: ZopaMethod
    ci95: tuple[int, int] | None
    n_samples: int | None
    total_packages: int
    bounds: Bounds
    nonempty: bool

    @property
    def share(self) -> float:
        """``count / total_packages``: the fraction of all packages in the ZOPA."""
        return self.count / self.total_packages

    def __repr__(self) -> str:
        b = self.bounds
        if not self.nonempty:
            return (
                f"Zopa(empty: no package of {self.total_packages:,} beats the BATNA for both parties; best for "
                f"party 0 while party 1 gains: {b[0][1]:.6g} vs BATNA {b[0][0]:.6g})"
            )
        how = "exactly" if self.ci95 is None else f"estimated, 95% CI [{self.ci95[0]:,}, {self.ci95[1]:,}]"
        extent = f"party 0 in ({b[0][0]:.6g}, {b[0][1]:.6g}], party 1 in ({b[1][0]:.6g}, {b[1][1]:.6g}]"
        return f"Zopa({self.count:,} of {self.total_packages:,} packages {how}; {extent})"


def _balanced_halves(sizes: Sequence[int]) -> tuple[list[int], list[int]]:
    """Split issue indices into two halves with products of option counts as equal as possible (greedy)."""
    halves: tuple[list[int], list[int]] = ([], [])
    products = [1, 1]
    for k in sorted(range(len(sizes)), key=lambda k: -sizes[k]):
        side = 0 if products[0] <= products[1] else 1
        halves[side].append(k)
        products[side] *= sizes[k]
    return sorted(halves[0]), sorted(halves[1])


def _half_sums(tables: Sequence[FloatArray]) -> FloatArray:
    """Utility sums of every partial package over ``tables`` (issue order, left to right); ``[[0, 0]]`` if none."""
    if not tables:
        return np.zeros((1, 2))
    sums = tables[0]
    for table in tables[1:]:
        sums = (sums[:, None, :] + table[None, :, :]).reshape(-1, 2)
    return sums


def _searchsorted_via_sorted_needles(haystack: FloatArray, needles: FloatArray) -> NDArray[np.int64]:
    """``searchsorted(haystack, needles, "right")``, sorting the needles first so the search is cache friendly."""
    order = np.argsort(needles)
    out = np.empty(needles.size, dtype=np.int64)
    out[order] = np.searchsorted(haystack, needles[order], side="right")
    return out


def count_dominating_pairs(a: ArrayLike, b: ArrayLike, d: ArrayLike) -> int:
    r"""Number of pairs :math:`(i, j)` with :math:`a_i + b_j > d` in both coordinates.

    Each :math:`a_i` is an orthant query :math:`b > d - a_i` against the points :math:`b_j`. With :math:`B` sorted
    by its first coordinate (position :math:`p`) and ranked by its second (rank :math:`r`), a query is
    :math:`p \ge s,\ r \ge t` and its answer is :math:`n_B - s - t + C(s, t)` with
    :math:`C(s, t) = \#\{p < s,\ r < t\}`. The prefix :math:`[0, s)` is the union of aligned blocks of size
    :math:`2^l`, one for each set bit :math:`l` of :math:`s`; level :math:`l` of the merge-sort tree stores
    ``block * n_B + rank`` sorted, so one ``searchsorted`` per level counts the ranks below :math:`t` in every
    query's block. Cost :math:`O((n_A + n_B) \log^2 n_B)` time, :math:`O(n_A + n_B)` memory.

    Parameters
    ----------
    a
        Shape ``(n_A, 2)``: query points.
    b
        Shape ``(n_B, 2)``: data points.
    d
        Shape ``(2,)``: the threshold.

    Returns
    -------
    int
        The count, a Python ``int``.

    References
    ----------
    Bentley (1980), https://doi.org/10.1145/358841.358850

    Examples
    --------
    >>> count_dominating_pairs([[0, 0], [1, 1]], [[0, 0], [1, 0], [1, 1]], [0.5, 0.5])
    4
    """
    qa = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    pb = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    nb = pb.shape[0]
    if nb == 0 or qa.shape[0] == 0:
        return 0
    order0 = np.argsort(pb[:, 0])
    b1_by_pos = pb[order0, 1]
    pos_by_rank = np.argsort(b1_by_pos)
    rank = np.empty(nb, dtype=np.int64)
    rank[pos_by_rank] = np.arange(nb, dtype=np.int64)
    q = np.asarray(d, dtype=np.float64) - qa
    s = _searchsorted_via_sorted_needles(pb[order0, 0], q[:, 0])
    t = _searchsorted_via_sorted_needles(b1_by_pos[pos_by_rank], q[:, 1])
    total = qa.shape[0] * nb - int(s.sum()) - int(t.sum())
    # C(s, t) = 0 when s == 0 or t == 0, and C = t when s == nb, C = s when t == nb: only the rest needs the tree.
    total += int(t[s == nb].sum()) + int(s[(t == nb) & (s < nb)].sum())
    inner = (s > 0) & (s < nb) & (t > 0) & (t < nb)
    s, t = s[inner], t[inner]
    pos = np.arange(nb, dtype=np.int64)
    level = 0
    while s.size and (1 << level) < nb:
        sel = ((s >> level) & 1).astype(bool)
        if sel.any():
            keys = np.sort((pos >> level) * nb + rank) if level else pos * nb + rank
            block = (s[sel] >> level) - 1
            needles = np.sort(block * nb + t[sel])
            total += int(np.searchsorted(keys, needles, side="left").sum()) - int((block << level).sum())
        level += 1
    return total


def _zopa_bounds(frontier: Frontier, d: FloatArray) -> Bounds:
    """``((d_0, hi_0), (d_1, hi_1))`` with ``hi_i`` the max of ``u_i`` over frontier points with ``u_j > d_j``."""
    u = frontier.utilities
    hi = [float("-inf"), float("-inf")]
    for i in (0, 1):
        other = u[:, 1 - i] > d[1 - i]
        if other.any():
            hi[i] = float(u[other, i].max())
    return (float(d[0]), hi[0]), (float(d[1]), hi[1])


def wilson_interval(successes: int, n: int) -> tuple[float, float]:
    """Two-sided 95 % Wilson score interval for a binomial proportion ``successes / n`` (clipped to [0, 1]).

    The same interval as ``scipy.stats.binomtest(successes, n).proportion_ci(method="wilson")`` (a test checks
    it), written out because importing :mod:`scipy.stats` takes longer than a whole analysis.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. *Journal of the
    American Statistical Association* 22(158), 209-212. https://doi.org/10.1080/01621459.1927.10502953

    Examples
    --------
    >>> [round(x, 4) for x in wilson_interval(5, 100)]
    [0.0215, 0.1118]
    """
    p = successes / n
    centre = (p + _Z95**2 / (2 * n)) / (1 + _Z95**2 / n)
    half = _Z95 * math.sqrt(p * (1 - p) / n + _Z95**2 / (4 * n * n)) / (1 + _Z95**2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _sample_count(tables: Sequence[FloatArray], d: FloatArray, n_samples: int, rng: np.random.Generator) -> int:
    hits = 0
    for start in range(0, n_samples, _SAMPLE_BATCH):
        size = min(_SAMPLE_BATCH, n_samples - start)
        u = tables[0][rng.integers(0, tables[0].shape[0], size)]
        for table in tables[1:]:
            u = u + table[rng.integers(0, table.shape[0], size)]
        hits += int(np.count_nonzero((u > d).all(axis=1)))
    return hits


def zopa(
    issue_utilities: Sequence[ArrayLike],
    batna: ArrayLike,
    frontier: Frontier | None = None,
    *,
    max_exact_half: int = DEFAULT_MAX_EXACT_HALF,
    n_samples: int = DEFAULT_N_SAMPLES,
    seed: int | np.random.Generator = 0,
) -> Zopa:
    r"""Count the packages strictly better than the BATNA for both parties, exactly when feasible.

    .. math::

        \mathrm{ZOPA} = \{c : u_0(c) > d_0,\ u_1(c) > d_1\}, \qquad u(c) = \sum_k U_k[c_k].

    Emptiness and the extent (``bounds``) come from the exact frontier: a package in the ZOPA is weakly dominated
    by a frontier point, which is then in the ZOPA too; an empty ZOPA is reported exactly, without counting. The
    count is exact by meet in the middle (see :func:`count_dominating_pairs`) when both halves have at most
    ``max_exact_half`` partial packages, otherwise estimated from ``n_samples`` uniform draws with a 95 % Wilson
    interval.

    Parameters
    ----------
    issue_utilities
        One ``(m_k, 2)`` array per issue, as for :func:`~tradetalks.bargain.frontier.pareto_frontier`.
    batna
        Shape ``(2,)``: the disagreement point :math:`d`.
    frontier
        The frontier of ``issue_utilities`` if already computed (not checked against them).
    max_exact_half
        Largest half counted exactly (default :data:`DEFAULT_MAX_EXACT_HALF`, 4e6: about 7 s and 400 MB). With
        balanced halves, spaces up to about 10^13 packages are counted exactly.
    n_samples
        Packages drawn when sampling (default :data:`DEFAULT_N_SAMPLES`).
    seed
        Seed or ``numpy.random.Generator`` for the sampling; the result is reproducible for a given seed.

    Returns
    -------
    Zopa

    Raises
    ------
    DataError
        If an issue table or the BATNA is malformed, or ``n_samples`` < 1.

    References
    ----------
    Horowitz and Sahni (1974), https://doi.org/10.1145/321812.321823; Bentley (1980),
    https://doi.org/10.1145/358841.358850; Wilson (1927), https://doi.org/10.1080/01621459.1927.10502953

    Examples
    --------
    >>> z = zopa([[[0, 3], [1, 1], [3, 0]], [[0, 0], [1, 1]]], batna=[0.5, 0.5])
    >>> z.count, z.total_packages, z.method, z.bounds
    (4, 6, 'exact', ((0.5, 4.0), (0.5, 4.0)))
    """
    tables = as_issue_utilities(issue_utilities)
    d = batna_array(batna)
    if n_samples < 1:
        raise DataError("n_samples must be at least 1.", received=n_samples, fix="use e.g. 1_000_000.")
    front = pareto_frontier(tables) if frontier is None else frontier
    sizes = [int(t.shape[0]) for t in tables]
    total = math.prod(sizes)
    bounds = _zopa_bounds(front, d)
    # The maximiser of u_0 over {u_1 > d_1} is in the ZOPA iff its u_0 > d_0, and any ZOPA package is weakly
    # dominated by a frontier point in {u_1 > d_1}: the ZOPA is non-empty iff hi_0 > d_0.
    if not bounds[0][1] > bounds[0][0]:
        return Zopa(0, "exact", None, None, total, bounds, False)
    left, right = _balanced_halves(sizes)
    if max(math.prod(sizes[k] for k in left), math.prod(sizes[k] for k in right)) <= max_exact_half:
        a = _half_sums([tables[k] for k in left])
        b = _half_sums([tables[k] for k in right])
        return Zopa(count_dominating_pairs(a, b, d), "exact", None, None, total, bounds, True)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    hits = _sample_count(tables, d, n_samples, rng)
    lo, hi = wilson_interval(hits, n_samples)
    count = max(1, (hits * total + n_samples // 2) // n_samples)
    ci = (max(1, math.floor(lo * total)), min(total, math.ceil(hi * total)))
    return Zopa(count, "sampled", ci, n_samples, total, bounds, True)
