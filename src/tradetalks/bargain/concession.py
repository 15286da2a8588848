r""""What would it take": the smallest domestic concessions that make a package ratifiable.

For a package with stakeholder payoffs :math:`P` (USD/yr against the BATNA), ratifier :math:`j` of a party values
it at :math:`v_j = \sum_s c_{sj} P_s` and rejects it when :math:`v_j < \theta_j`. For each rejecting ratifier:

- the smallest *threshold* change that makes it accept is :math:`\theta_j' = v_j` (a change of
  :math:`v_j - \theta_j < 0`);
- :math:`v_j` is linear in each weight :math:`c_{sj}`, so the smallest change of *one weight* that makes it accept
  is :math:`\Delta c_{sj} = (\theta_j - v_j) / P_s` — up for a stakeholder that gains from the package, down for
  one that loses (impossible for a stakeholder the package leaves untouched); a change that would need a negative
  weight is reported as such.

At the party level, every rejecting veto player must be won over, and when the accepting non-veto ratifiers hold
less than the quota, the *cheapest* set of rejecting non-veto ratifiers to win over is the one with the smallest
total shortfall :math:`\sum_j (\theta_j - v_j)` whose votes reach the quota (a small knapsack problem, solved
exactly by enumeration).

References
----------
Putnam, R. D. (1988). Diplomacy and domestic politics: the logic of two-level games. *International Organization*
42(3), 427-460. https://doi.org/10.1017/S0020818300027697 (side-payments and the size of win-sets)

Grossman, G. M. and Helpman, E. (1994). Protection for sale. *American Economic Review* 84(4), 833-850.
https://www.jstor.org/stable/2118033 (political weights on organised interests)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradetalks.bargain.ratifiers import RatificationRule, rule_met
from tradetalks.errors import DataError, LimitError

__all__ = ["MAX_FLIP_CANDIDATES", "PartyConcession", "RatifierConcession", "WeightChange", "what_would_it_take"]

#: the cheapest set of ratifiers to win over is found by enumerating subsets of at most this many rejecting
#: non-veto ratifiers (2^16 subsets)
MAX_FLIP_CANDIDATES = 16

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class WeightChange:
    """The change of one ``cares_about`` weight that makes a ratifier accept.

    Attributes
    ----------
    stakeholder
        Stakeholder index (into the scenario's stakeholders).
    change
        :math:`\\Delta c_{sj}`: new weight minus old weight (positive: care more about a stakeholder that gains).
    new_weight
        The weight after the change.
    needs_negative_weight
        Whether the new weight is below zero (the ratifier would have to *want* that stakeholder to lose).
    """

    stakeholder: int
    change: float
    new_weight: float
    needs_negative_weight: bool


@dataclass(frozen=True)
class RatifierConcession:
    """Why one ratifier rejects a package and the smallest changes that make it accept.

    Attributes
    ----------
    ratifier
        Index of the ratifier in its party's rule.
    value, threshold
        :math:`v_j` and :math:`\\theta_j`, USD/yr.
    shortfall
        :math:`\\theta_j - v_j > 0`, USD/yr.
    threshold_change
        :math:`v_j - \\theta_j < 0`: lowering the threshold by the shortfall makes it accept.
    weight_changes
        One per cared-about stakeholder the package moves, smallest :math:`|\\Delta c|` first.
    alone_suffices
        Whether winning over this ratifier alone makes the package ratifiable under the party's rule.
    """

    ratifier: int
    value: float
    threshold: float
    shortfall: float
    threshold_change: float
    weight_changes: tuple[WeightChange, ...]
    alone_suffices: bool

    @property
    def smallest_weight_change(self) -> WeightChange | None:
        """The smallest weight change that keeps every weight non-negative (``None`` if there is none)."""
        return next((w for w in self.weight_changes if not w.needs_negative_weight), None)


@dataclass(frozen=True)
class PartyConcession:
    """A package held against one party's ratification rule.

    Attributes
    ----------
    ratifiable
        Whether the rule is met as things stand.
    values
        Shape ``(R,)``: each ratifier's value of the package, USD/yr.
    accepting
        Indices of the ratifiers that accept.
    rejecting
        One entry per rejecting ratifier.
    cheapest_flip
        Ratifiers to win over so that the rule is met at the smallest total shortfall: every rejecting veto player
        and the cheapest set of rejecting non-veto ratifiers that reaches the quota. Empty when ratifiable.
    cheapest_cost
        Total shortfall of ``cheapest_flip``, USD/yr.
    """

    ratifiable: bool
    values: FloatArray
    accepting: tuple[int, ...]
    rejecting: tuple[RatifierConcession, ...]
    cheapest_flip: tuple[int, ...]
    cheapest_cost: float


def _weight_change(payoff: FloatArray, cares: FloatArray, j: int, s: int, threshold: float) -> WeightChange:
    """Closed-form change of ``cares[s, j]``, nudged by ulps until the recomputed value meets the threshold."""
    delta = (threshold - float(payoff @ cares[:, j])) / payoff[s]
    col = cares[:, j].copy()
    direction = np.inf if payoff[s] > 0 else -np.inf
    for _ in range(64):
        col[s] = cares[s, j] + delta
        if float(payoff @ col) >= threshold:
            break
        delta = float(np.nextafter(delta, direction))
    return WeightChange(stakeholder=s, change=float(col[s] - cares[s, j]), new_weight=float(col[s]),
                        needs_negative_weight=bool(col[s] < 0))


def _cheapest_flip(values: FloatArray, rule: RatificationRule) -> tuple[tuple[int, ...], float]:
    """Cheapest set of rejecting ratifiers whose acceptance meets the rule (exact, by enumeration)."""
    reject = np.flatnonzero(values < rule.thresholds)
    must = [int(j) for j in reject if rule.veto[j]]
    optional = [int(j) for j in reject if not rule.veto[j]]
    if len(optional) > MAX_FLIP_CANDIDATES:
        raise LimitError(f"{len(optional)} rejecting non-veto ratifiers is above the {MAX_FLIP_CANDIDATES} whose "
                         "subsets are enumerated.", received=len(optional), fix="merge small ratifiers into blocs.")
    shortfall = rule.thresholds - values
    subsets = ((np.arange(2 ** len(optional))[:, None] >> np.arange(len(optional))) & 1).astype(bool)
    trial = np.repeat(values[None, :], subsets.shape[0], axis=0)
    trial[:, must] = rule.thresholds[must]
    if optional:
        trial[:, optional] = np.where(subsets, rule.thresholds[optional], values[optional])
    cost = shortfall[must].sum() + (subsets * shortfall[optional]).sum(axis=1)
    ok = rule_met(trial, rule)
    cand = np.flatnonzero(ok)
    best = cand[np.lexsort((subsets[cand].sum(axis=1), cost[cand]))[0]]
    chosen = must + [optional[k] for k in np.flatnonzero(subsets[best])]
    return tuple(sorted(chosen)), float(cost[best])


def what_would_it_take(payoff: ArrayLike, cares: ArrayLike, rule: RatificationRule,
                       candidates: ArrayLike | None = None) -> PartyConcession:
    """Which ratifiers of a party reject a package, and the smallest changes that would make it ratifiable.

    Parameters
    ----------
    payoff
        Shape ``(S,)``: the package's stakeholder payoffs, USD/yr against the BATNA (any package, also one that
        breaks a scenario constraint).
    cares
        Shape ``(S, R)``: the ratifiers' ``cares_about`` weights.
    rule
        The party's rule (its ``tables`` are not used).
    candidates
        Shape ``(S, R)``, bool: which weights may change (default: the non-zero ones, i.e. the stakeholders named
        in ``cares_about``).

    Returns
    -------
    PartyConcession

    Examples
    --------
    >>> rule = RatificationRule((np.zeros((1, 2)),), np.array([0.0, 10.0]), np.array([True, True]), np.ones(2), 0.5)
    >>> c = what_would_it_take([4.0, -2.0], [[1.0, 1.0], [1.0, 2.0]], rule)
    >>> c.ratifiable, c.cheapest_flip, c.rejecting[0].threshold_change
    (False, (1,), -10.0)
    >>> [(w.stakeholder, w.change) for w in c.rejecting[0].weight_changes]
    [(0, 2.5), (1, -5.0)]
    """
    p = np.asarray(payoff, dtype=np.float64)
    c = np.asarray(cares, dtype=np.float64)
    if c.ndim != 2 or c.shape != (p.shape[0], rule.n_ratifiers):
        raise DataError("cares must be (S, R) for S stakeholder payoffs and R ratifiers.",
                        received={"payoff": p.shape, "cares": c.shape}, fix="pass one column per ratifier.")
    mask = c != 0 if candidates is None else np.asarray(candidates, dtype=bool)
    values = p @ c
    ok = bool(rule_met(values, rule)[0])
    rejecting = []
    for j in np.flatnonzero(values < rule.thresholds):
        theta = float(rule.thresholds[j])
        changes = sorted((_weight_change(p, c, int(j), int(s), theta) for s in np.flatnonzero(mask[:, j] & (p != 0))),
                         key=lambda w: (abs(w.change), w.stakeholder))
        alone = values.copy()
        alone[j] = theta
        rejecting.append(RatifierConcession(
            ratifier=int(j), value=float(values[j]), threshold=theta, shortfall=theta - float(values[j]),
            threshold_change=float(values[j]) - theta, weight_changes=tuple(changes),
            alone_suffices=bool(rule_met(alone, rule)[0])))
    flip, cost = ((), 0.0) if ok else _cheapest_flip(values, rule)
    values.setflags(write=False)
    return PartyConcession(ratifiable=ok, values=values,
                           accepting=tuple(int(j) for j in np.flatnonzero(values >= rule.thresholds)),
                           rejecting=tuple(rejecting), cheapest_flip=flip, cheapest_cost=cost)
