"""Ratifiers' values of packages, the ratification rule, and the size of win-sets.

A ratifier values a package as the sum over issue groups of its value of the chosen row (``payoffs_g @ cares``,
USD/yr against the BATNA) and accepts it at or above its threshold; a party's rule is met when every veto player
accepts and the accepting non-veto ratifiers hold at least ``quota`` of the non-veto votes. Everything here is
exact array arithmetic; optimisation over win-sets is in :mod:`tradetalks.bargain.ratification`.

References
----------
Putnam, R. D. (1988). Diplomacy and domestic politics: the logic of two-level games. *International Organization*
42(3), 427-460. https://doi.org/10.1017/S0020818300027697

Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. *Journal of the
American Statistical Association* 22(158), 209-212. https://doi.org/10.1080/01621459.1927.10502953
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradetalks.bargain.frontier import as_issue_utilities
from tradetalks.bargain.solutions import batna_array
from tradetalks.bargain.zopa import wilson_interval
from tradetalks.errors import DataError
from tradetalks.options import CountMethod

__all__ = [
    "DEFAULT_MAX_ENUMERATE",
    "DEFAULT_N_SAMPLES",
    "CountMethod",
    "PackageCount",
    "RatificationRule",
    "WinSetCounts",
    "check_tables",
    "count_winsets",
    "package_values",
    "ratifiable",
    "ratifier_tables",
    "rule_met",
]

#: package spaces up to this size are counted exactly (by enumeration); larger ones are sampled.
DEFAULT_MAX_ENUMERATE = 2_000_000
#: packages drawn to estimate win-set sizes.
DEFAULT_N_SAMPLES = 200_000
#: packages evaluated per vectorised batch when counting.
_BATCH = 1 << 17

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class RatificationRule:
    """One party's ratifiers and its ratification rule, as arrays.

    Attributes
    ----------
    tables
        Per issue group, shape ``(m_g, R)``: each ratifier's value of each group row, USD/yr against the BATNA
        (see :func:`ratifier_tables`).
    thresholds
        Shape ``(R,)``: ratifier :math:`j` accepts a package worth :math:`v_j \\ge \\theta_j` to it, USD/yr.
    veto
        Shape ``(R,)``, bool: veto players must accept.
    votes
        Shape ``(R,)``: votes of each ratifier (only non-veto votes count toward the quota).
    quota
        Share in ``[0, 1]`` of the non-veto votes that accepting non-veto ratifiers must at least hold.
    """

    tables: tuple[FloatArray, ...]
    thresholds: FloatArray
    veto: BoolArray
    votes: FloatArray
    quota: float

    def __post_init__(self) -> None:
        r = self.thresholds.shape[0]
        bad = [g for g, t in enumerate(self.tables) if t.ndim != 2 or t.shape[1] != r or not np.isfinite(t).all()]
        if bad or self.veto.shape != (r,) or self.votes.shape != (r,) or not 0 <= self.quota <= 1 or r == 0:
            raise DataError("A ratification rule needs one finite (m_g, R) value table per group and R thresholds, "
                            "veto flags and votes, with a quota in [0, 1] and R >= 1.",
                            received={"R": r, "bad_groups": bad, "quota": self.quota},
                            fix="build it from the scenario's ratifiers with ratifier_tables().")

    @property
    def n_ratifiers(self) -> int:
        return int(self.thresholds.shape[0])

    def __repr__(self) -> str:
        return (f"RatificationRule({self.n_ratifiers} ratifiers, {int(self.veto.sum())} veto, quota {self.quota:g}, "
                f"{len(self.tables)} groups)")


@dataclass(frozen=True)
class PackageCount:
    """How many packages satisfy a condition.

    Attributes
    ----------
    count
        Exact count (``method == "exact"``) or the estimate ``share * total`` rounded (``"sampled"``).
    method
        ``"exact"`` (every package enumerated) or ``"sampled"`` (uniform draws, seeded).
    ci95
        95 % Wilson interval for ``count`` when sampled, else ``None``.
    n_samples
        Packages drawn when sampled, else ``None``.
    total
        Size of the package space.
    """

    count: int
    method: CountMethod
    ci95: tuple[int, int] | None
    n_samples: int | None
    total: int

    @property
    def share(self) -> float:
        return self.count / self.total


@dataclass(frozen=True)
class WinSetCounts:
    """Sizes of the two win-sets, their overlap and the overlap's part better than the BATNA for both."""

    party: tuple[PackageCount, PackageCount]
    overlap: PackageCount
    overlap_zopa: PackageCount


def ratifier_tables(payoffs: Sequence[ArrayLike], cares: ArrayLike) -> list[FloatArray]:
    """Each ratifier's value of each group row: ``payoffs_g @ cares``.

    Parameters
    ----------
    payoffs
        Per group, shape ``(m_g, S)``: stakeholder payoffs of each row, USD/yr against the BATNA.
    cares
        Shape ``(S, R)``: how much ratifier ``j`` cares about stakeholder ``s`` (its ``cares_about`` weights).

    Returns
    -------
    list of numpy.ndarray
        Per group, shape ``(m_g, R)``, USD/yr.

    Examples
    --------
    >>> ratifier_tables([[[1.0, 2.0], [0.0, -1.0]]], [[1.0], [0.5]])[0].tolist()
    [[2.0], [-0.5]]
    """
    c = np.asarray(cares, dtype=np.float64)
    return [np.asarray(p, dtype=np.float64) @ c for p in payoffs]


def package_values(tables: Sequence[FloatArray], choices: ArrayLike) -> FloatArray:
    """Sum over groups of the chosen rows, left to right: shape ``(n, c)`` for ``choices`` of shape ``(n, G)``.

    >>> package_values([np.array([[1.0], [2.0]]), np.array([[10.0], [20.0]])], [[0, 1], [1, 0]]).tolist()
    [[21.0], [12.0]]
    """
    ch = np.asarray(choices, dtype=np.int64).reshape(-1, len(tables))
    out = np.array(tables[0][ch[:, 0]], dtype=np.float64)  # a fresh array: safe to add into
    for g in range(1, len(tables)):
        out += tables[g][ch[:, g]]
    return out


def rule_met(values: ArrayLike, rule: RatificationRule) -> BoolArray:
    """Whether each package meets the rule, given its ratifier values ``(n, R)`` (exact, no tolerance).

    Every veto player accepts (:math:`v_j \\ge \\theta_j`) and the accepting non-veto ratifiers hold at least
    ``quota`` of the non-veto votes (met trivially when there are no non-veto votes).

    >>> rule = RatificationRule((np.zeros((1, 3)),), np.array([0.0, 1.0, 1.0]), np.array([True, False, False]),
    ...                         np.ones(3), 0.5)
    >>> rule_met([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [-1.0, 5.0, 5.0]], rule).tolist()
    [True, False, False]
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1, rule.n_ratifiers)
    acc = v >= rule.thresholds
    ok = acc[:, rule.veto].all(axis=1)
    other = ~rule.veto
    total = float(rule.votes[other].sum())
    if total > 0:
        ok &= (acc[:, other] * rule.votes[other]).sum(axis=1) >= rule.quota * total
    return np.asarray(ok, dtype=np.bool_)


def ratifiable(rules: Sequence[RatificationRule | None], choices: ArrayLike) -> BoolArray:
    """Whether packages (``(n, G)`` row choices) meet every given rule (``None``: no ratification needed)."""
    ch = np.atleast_2d(np.asarray(choices, dtype=np.int64))
    ok = np.ones(ch.shape[0], dtype=np.bool_)
    for rule in rules:
        if rule is not None:
            ok &= rule_met(package_values(rule.tables, ch), rule)
    return ok


def check_tables(utilities: Sequence[ArrayLike], rules: Sequence[RatificationRule | None]) -> list[FloatArray]:
    """Validate per-group utility tables and that each rule has one value table per group with matching rows."""
    tables = as_issue_utilities(utilities)
    for p, rule in enumerate(rules):
        if rule is not None and [t.shape[0] for t in rule.tables] != [t.shape[0] for t in tables]:
            raise DataError(f"The ratifier tables of rule {p} do not match the groups' row counts.",
                            received=[t.shape[0] for t in rule.tables], fix="build both from the same groups.")
    return tables


def _batches(sizes: Sequence[int], exact: bool, n_samples: int, rng: np.random.Generator) -> Iterator[IntArray]:
    """Row choices of every package (mixed radix, in order) or of ``n_samples`` uniform draws, in batches."""
    total = math.prod(sizes)
    n = total if exact else n_samples
    for start in range(0, n, _BATCH):
        size = min(_BATCH, n - start)
        if exact:
            rest = np.arange(start, start + size, dtype=np.int64)
            out = np.empty((size, len(sizes)), dtype=np.int64)
            for g in range(len(sizes) - 1, -1, -1):
                rest, out[:, g] = np.divmod(rest, sizes[g])
            yield out
        else:
            yield np.column_stack([rng.integers(0, m, size) for m in sizes]).astype(np.int64)


def _count(hits: int, exact: bool, n: int, total: int) -> PackageCount:
    if exact:
        return PackageCount(count=hits, method="exact", ci95=None, n_samples=None, total=total)
    lo, hi = wilson_interval(hits, n)
    return PackageCount(count=round(hits / n * total), method="sampled",
                        ci95=(math.floor(lo * total), math.ceil(hi * total)), n_samples=n, total=total)


def count_winsets(utilities: Sequence[ArrayLike], rules: Sequence[RatificationRule | None], batna: ArrayLike, *,
                  rng: np.random.Generator, n_samples: int = DEFAULT_N_SAMPLES,
                  max_enumerate: int = DEFAULT_MAX_ENUMERATE) -> WinSetCounts:
    """Sizes of each party's win-set, of their overlap and of the overlap strictly better than the BATNA.

    Exact (every package evaluated in vectorised batches) when the package space has at most ``max_enumerate``
    packages; otherwise estimated from ``n_samples`` uniform draws of one row per group (the same draws for all
    four counts, so the estimates are nested), with 95 % Wilson intervals.

    Parameters
    ----------
    utilities
        Per group, shape ``(m_g, 2)``.
    rules
        ``(rule_0, rule_1)``; ``None`` for a party without ratifiers (every package is in its win-set).
    batna
        Shape ``(2,)``: the disagreement point.
    rng
        Source of the draws (seeded by the caller).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. *JASA* 22(158),
    209-212. https://doi.org/10.1080/01621459.1927.10502953

    Examples
    --------
    >>> u = [np.array([[0.0, 0.0], [3.0, -1.0], [5.0, -4.0]]), np.array([[0.0, 0.0], [1.0, 1.0]])]
    >>> rule = RatificationRule(tuple(t[:, 1:] for t in u), np.array([-2.0]), np.array([True]), np.ones(1), 0.5)
    >>> c = count_winsets(u, [None, rule], [0.0, 0.0], rng=np.random.default_rng(0))
    >>> c.party[0].count, c.party[1].count, c.overlap.count, c.overlap_zopa.count
    (6, 4, 4, 1)
    """
    tables = check_tables(utilities, rules)
    d = batna_array(batna)
    sizes = [t.shape[0] for t in tables]
    total = math.prod(sizes)
    exact = total <= max_enumerate
    hits = np.zeros(4, dtype=np.int64)
    # one gather per group for the utilities and every ratifier's values (the same sums, column by column)
    parts = [tables] + [r.tables for r in rules if r is not None]
    combined = [np.hstack([p[g] for p in parts]) for g in range(len(tables))]
    edges = np.cumsum([0] + [p[0].shape[1] for p in parts])
    for ch in _batches(sizes, exact, n_samples, rng):
        values = package_values(combined, ch)
        spans = itertools.pairwise(edges[1:])
        met = []
        for r in rules:
            if r is None:
                met.append(np.ones(ch.shape[0], dtype=np.bool_))
            else:
                a, b = next(spans)
                met.append(rule_met(values[:, a:b], r))
        both = met[0] & met[1]
        zopa = (values[:, :2] > d).all(axis=1)
        hits += [int(met[0].sum()), int(met[1].sum()), int(both.sum()), int((both & zopa).sum())]
    n = total if exact else n_samples
    c = [_count(int(h), exact, n, total) for h in hits]
    return WinSetCounts(party=(c[0], c[1]), overlap=c[2], overlap_zopa=c[3])
