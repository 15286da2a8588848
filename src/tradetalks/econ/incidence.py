"""Tariff incidence in the partial-equilibrium market: who bears a tariff, and the optimal tariff.

A tariff on supplier k drives a wedge between the buyers' price P_k and the exporter's price p_k:
ln P̂_k = ln p̂_k + ln τ̂_k with τ̂_k = (1 + t1)(1 + n1)/((1 + t0)(1 + n0)). The **exporter's share** of the tariff is
s = −ln p̂_k / ln τ̂_k and the **pass-through** to buyers is π = ln P̂_k / ln τ̂_k = 1 − s, both computed from the
exact model of :func:`tradetalks.econ.pe.solve_market`. This is the quantity the empirical pass-through literature
estimates (a regression of the log ex-tariff import price on log(1 + t): coefficient −s), so an observed
pass-through calibrates the export-supply elasticity η_k (:func:`supply_elasticity_for_passthrough`).

To first order, with every other supplier perfectly elastic, π = η_k / (η_k + A) where
A = σ (1 − w_k) − ε w_k is the (absolute) own-price elasticity of the demand k faces (w_k its expenditure share),
so η_k = A π / (1 − π). ``docs/models/partial-equilibrium.md`` ("Incidence and pass-through") derives it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq, minimize_scalar

from tradetalks.econ.pe import MarketEffects, solve_market
from tradetalks.econ.valuation import CompiledMarket, CompiledScenario
from tradetalks.errors import DataError

FloatArray = NDArray[np.float64]

#: η search interval of the inverse (below: all of a tariff is absorbed; above: none, to 1e-6)
ETA_BRACKET = (1e-4, 1e7)
#: relative tolerance on η in the inverse; the pass-through it implies matches the target to ~1e-12
ETA_RTOL = 1e-12
#: grid points for the optimal-tariff search before the bounded refinement
OPTIMUM_GRID = 81
#: absolute tolerance of the optimal tariff (a fraction: 1e-7 = 0.00001 percentage points)
OPTIMUM_XTOL = 1e-7


@dataclass(frozen=True)
class _Market:
    """The arrays :func:`solve_market` needs, minus the policy change."""

    values: FloatArray
    base_tariff: FloatArray
    base_ntb: FloatArray
    supply_elasticity: FloatArray
    domestic: NDArray[np.bool_]
    demand_elasticity: float
    armington_elasticity: float

    def solve(self, new_tariff: FloatArray, new_ntb: FloatArray, eta: FloatArray | None = None) -> MarketEffects:
        return solve_market(self.values, self.base_tariff, new_tariff, base_ntb=self.base_ntb, new_ntb=new_ntb,
                            supply_elasticity=self.supply_elasticity if eta is None else eta,
                            demand_elasticity=self.demand_elasticity,
                            armington_elasticity=self.armington_elasticity, domestic=self.domestic)


def _market(values: ArrayLike, base_tariff: ArrayLike, base_ntb: ArrayLike, supply_elasticity: ArrayLike,
            domestic: ArrayLike | None, demand_elasticity: float, armington_elasticity: float,
            supplier: int) -> _Market:
    v = np.atleast_1d(np.asarray(values, dtype=float))
    n = v.size

    def full(x: ArrayLike) -> FloatArray:
        return np.broadcast_to(np.asarray(x, dtype=float), (n,)).copy()

    mask = np.zeros(n, dtype=bool) if domestic is None else np.asarray(domestic, dtype=bool)
    if not (isinstance(supplier, (int, np.integer)) and 0 <= supplier < n):
        raise DataError("`supplier` must index one of the market's suppliers.", received=supplier,
                        fix=f"pass an integer in 0..{n - 1}.")
    if mask.shape == (n,) and mask[supplier]:
        raise DataError("`supplier` must be a foreign supplier: domestic producers pay no tariff.",
                        received=supplier, fix="pass the index of the taxed exporter.")
    return _Market(v, full(base_tariff), full(base_ntb), full(supply_elasticity), mask, float(demand_elasticity),
                   float(armington_elasticity))


def _log_wedge(m: _Market, supplier: int, new_tariff: FloatArray, new_ntb: FloatArray) -> float:
    k = supplier
    return float(np.log1p(new_tariff[k]) + np.log1p(new_ntb[k]) - np.log1p(m.base_tariff[k])
                 - np.log1p(m.base_ntb[k]))


def _policy(m: _Market, new_tariff: ArrayLike | None, new_ntb: ArrayLike | None) -> tuple[FloatArray, FloatArray]:
    n = m.values.size
    t1 = m.base_tariff.copy() if new_tariff is None else np.broadcast_to(np.asarray(new_tariff, float), (n,)).copy()
    n1 = m.base_ntb.copy() if new_ntb is None else np.broadcast_to(np.asarray(new_ntb, float), (n,)).copy()
    return t1, n1


def exporter_incidence(values: ArrayLike, base_tariff: ArrayLike, new_tariff: ArrayLike, *, supplier: int,
                       demand_elasticity: float, armington_elasticity: float, supply_elasticity: ArrayLike = np.inf,
                       base_ntb: ArrayLike = 0.0, new_ntb: ArrayLike | None = None,
                       domestic: ArrayLike | None = None) -> float:
    r"""Share of a tariff (or NTB) change on ``supplier`` borne by that exporter, from the exact PE model.

    s = −ln p̂_k / ln τ̂_k, with p̂_k the exporter's (ex-tariff) price change solved by
    :func:`~tradetalks.econ.pe.solve_market` and τ̂_k = (1 + t1_k)(1 + n1_k) / ((1 + t0_k)(1 + n0_k)). The buyers'
    share (pass-through) is 1 − s = ln P̂_k / ln τ̂_k. s ∈ [0, 1); s = 0 when η_k = ∞; it falls as η_k rises.

    Parameters
    ----------
    values, base_tariff, new_tariff, demand_elasticity, armington_elasticity, supply_elasticity, base_ntb, domestic
        As in :func:`~tradetalks.econ.pe.solve_market` (``new_ntb`` defaults to ``base_ntb``).
    supplier : int
        Index of the taxed (foreign) supplier; its wedge must change.

    Returns
    -------
    float
        Exporter's share of the tariff, a fraction.

    Raises
    ------
    DataError
        If the supplier's wedge does not change, or on invalid market inputs.

    References
    ----------
    Amiti, M., Redding, S. J. & Weinstein, D. E. (2019). The impact of the 2018 tariffs on prices and welfare.
    Journal of Economic Perspectives 33(4): 187–210. doi:10.1257/jep.33.4.187.

    Examples
    --------
    One supplier, ε = −1, η = 1: the exporter bears |ε| / (η + |ε|) = one half, exactly (constant elasticities).

    >>> round(exporter_incidence([1e9], [0.0], [0.25], supplier=0, demand_elasticity=-1.0,
    ...                          armington_elasticity=3.8, supply_elasticity=1.0), 12)
    0.5
    """
    m = _market(values, base_tariff, base_ntb, supply_elasticity, domestic, demand_elasticity,
                armington_elasticity, supplier)
    t1, n1 = _policy(m, new_tariff, new_ntb)
    return _incidence(m, supplier, t1, n1)


def _incidence(m: _Market, supplier: int, t1: FloatArray, n1: FloatArray, eta: FloatArray | None = None) -> float:
    wedge = _log_wedge(m, supplier, t1, n1)
    if abs(wedge) < 1e-12:
        raise DataError("The wedge on `supplier` does not change, so its incidence is undefined.",
                        received=f"supplier {supplier}: tariff {m.base_tariff[supplier]} → {t1[supplier]}, "
                                 f"NTB {m.base_ntb[supplier]} → {n1[supplier]}",
                        fix="change the supplier's tariff or NTB, or use marginal_exporter_incidence.")
    fx = m.solve(t1, n1, eta)
    return -math.log1p(float(fx.producer_price_change[supplier])) / wedge


def marginal_exporter_incidence(values: ArrayLike, base_tariff: ArrayLike, *, supplier: int,
                                demand_elasticity: float, armington_elasticity: float,
                                supply_elasticity: ArrayLike = np.inf, base_ntb: ArrayLike = 0.0,
                                domestic: ArrayLike | None = None) -> float:
    r"""Exporter's share of a small tariff change at the base: s = −∂ln p_k / ∂ln τ_k, in closed form.

    Differentiating the market-clearing conditions η_s ln p̂_s = ln q̂_s of the suppliers F with finite η:

        (η_s + σ) dx_s − (ε + σ) Σ_{j∈F} w_j dx_j = ((ε + σ) w_k − σ 1[s = k]) dτ,   s ∈ F,

    with x = ln p, w the base expenditure shares, dτ = d ln τ_k; s = −dx_k/dτ (0 if η_k = ∞). With every other
    supplier perfectly elastic this is s = A / (η_k + A), A = σ (1 − w_k) − ε w_k.

    Parameters
    ----------
    As :func:`exporter_incidence`, without the new policy.

    Returns
    -------
    float
        The exporter's share of a marginal tariff, a fraction in [0, 1).

    Examples
    --------
    >>> round(marginal_exporter_incidence([1e9], [0.0], supplier=0, demand_elasticity=-2.0,
    ...                                   armington_elasticity=3.8, supply_elasticity=2.0), 12)
    0.5
    """
    m = _market(values, base_tariff, base_ntb, supply_elasticity, domestic, demand_elasticity,
                armington_elasticity, supplier)
    solve_market(m.values, m.base_tariff, m.base_tariff, base_ntb=m.base_ntb, new_ntb=m.base_ntb,
                 supply_elasticity=m.supply_elasticity, demand_elasticity=m.demand_elasticity,
                 armington_elasticity=m.armington_elasticity, domestic=m.domestic)  # validates the inputs
    finite = np.flatnonzero(np.isfinite(m.supply_elasticity))
    if supplier not in finite:
        return 0.0
    e0 = m.values * (1 + m.base_tariff) * (1 + m.base_ntb)
    w = e0 / e0.sum()
    eps, sigma = m.demand_elasticity, m.armington_elasticity
    matrix = np.diag(m.supply_elasticity[finite] + sigma) - (eps + sigma) * np.outer(np.ones(finite.size), w[finite])
    rhs = (eps + sigma) * w[supplier] - sigma * (finite == supplier)
    dx = np.linalg.solve(matrix, rhs)
    return float(-dx[int(np.flatnonzero(finite == supplier)[0])])


def supply_elasticity_for_passthrough(passthrough: float, values: ArrayLike, base_tariff: ArrayLike,
                                      new_tariff: ArrayLike, *, supplier: int, demand_elasticity: float,
                                      armington_elasticity: float, supply_elasticity: ArrayLike = np.inf,
                                      base_ntb: ArrayLike = 0.0, new_ntb: ArrayLike | None = None,
                                      domestic: ArrayLike | None = None) -> float:
    r"""Export-supply elasticity η_k at which the exact model passes ``passthrough`` of the tariff to buyers.

    Inverts :func:`exporter_incidence`: finds η_k with 1 − s(η_k) = π by Brent's method on ln η_k (s falls
    monotonically in η_k). The other suppliers keep ``supply_elasticity``; entry ``supplier`` of it is ignored.
    First-order closed form (others perfectly elastic): η_k = A π / (1 − π), A = σ (1 − w_k) − ε w_k.

    Parameters
    ----------
    passthrough : float
        π ∈ (0, 1), share of the tariff (in logs) borne by buyers: 0.95 = 5 % absorbed by the exporter.
    values, base_tariff, new_tariff, ...
        The market and the tariff change the pass-through was observed for, as in :func:`exporter_incidence`.

    Returns
    -------
    float
        η_k > 0.

    Raises
    ------
    DataError
        If π is outside the range the model can produce for η_k in ``ETA_BRACKET``.

    Examples
    --------
    One supplier, ε = −1: π = η/(η + 1), so π = 0.4 needs η = 2/3.

    >>> round(supply_elasticity_for_passthrough(0.4, [1e9], [0.0], [0.25], supplier=0, demand_elasticity=-1.0,
    ...                                         armington_elasticity=3.8), 9)
    0.666666667
    """
    m = _market(values, base_tariff, base_ntb, supply_elasticity, domestic, demand_elasticity,
                armington_elasticity, supplier)
    t1, n1 = _policy(m, new_tariff, new_ntb)
    target = float(passthrough)

    def gap(log_eta: float) -> float:
        eta = m.supply_elasticity.copy()
        eta[supplier] = math.exp(log_eta)
        return 1.0 - _incidence(m, supplier, t1, n1, eta) - target

    lo, hi = (math.log(x) for x in ETA_BRACKET)
    g_lo, g_hi = gap(lo), gap(hi)
    if not (math.isfinite(target) and g_lo < 0 < g_hi):
        raise DataError("`passthrough` must lie strictly between what the model gives at the smallest and the "
                        "largest supply elasticity searched.",
                        received=f"passthrough = {passthrough!r}; attainable ({g_lo + target:.6g}, "
                                 f"{g_hi + target:.6g}) for η in {ETA_BRACKET}",
                        fix="pass a share between 0 and 1, e.g. 0.95 for 95 % passed through to buyers.")
    return math.exp(brentq(gap, lo, hi, xtol=1e-14, rtol=ETA_RTOL))


@dataclass(frozen=True)
class OptimalTariff:
    """The importer's best tariff on one supplier (result of :func:`optimal_tariff`).

    Attributes
    ----------
    tariff : float
        Maximising ad-valorem tariff on the supplier (fraction).
    objective_change : float
        Weighted welfare at ``tariff`` minus at the base tariff, USD/yr.
    exporter_share : float
        The exporter's share of the move from the base to ``tariff`` (NaN if they coincide).
    at_bound : bool
        True if the maximum is at the upper end of the search (the optimum may lie beyond).
    weights : tuple of float
        (consumer, treasury) weights used; producer weights are in ``producer_weights``.
    producer_weights : (n,) tuple of float
        Weight on each supplier's producer surplus.
    """

    tariff: float
    objective_change: float
    exporter_share: float
    at_bound: bool
    weights: tuple[float, float]
    producer_weights: tuple[float, ...] = field(default=())

    def __repr__(self) -> str:
        bound = " (at the search bound)" if self.at_bound else ""
        return (f"OptimalTariff({self.tariff:.1%}{bound}; weighted welfare {self.objective_change:+,.0f} USD/yr "
                f"against the base; exporter bears {self.exporter_share:.0%})")


def optimal_tariff(values: ArrayLike, base_tariff: ArrayLike, *, supplier: int, demand_elasticity: float,
                   armington_elasticity: float, supply_elasticity: ArrayLike = np.inf, base_ntb: ArrayLike = 0.0,
                   domestic: ArrayLike | None = None, consumer_weight: float = 1.0, revenue_weight: float = 1.0,
                   producer_weights: ArrayLike | None = None, upper: float = 3.0) -> OptimalTariff:
    r"""Tariff on ``supplier`` that maximises the importer's (weighted) welfare in the exact PE market.

    Objective: W(t) = a ΔCS + b ΔRevenue + Σ_s c_s ΔPS_s, other suppliers' tariffs and all NTBs at the base.
    With a = b = 1 and c = 1 on domestic suppliers, 0 on foreign ones (the default), W is the importer's national
    welfare (``importer_welfare_change``). Searched on a grid of ``OPTIMUM_GRID`` points in [0, ``upper``], then
    refined by a bounded scalar search around the best grid point.

    With one supplier and a = b = 1 the answer is the classic inverse-elasticity rule t* = 1/η (Johnson 1950–51):
    the tests check it. The incidence makes the sign: a supplier that absorbs little (large η) warrants a small
    tariff.

    Parameters
    ----------
    values, base_tariff, demand_elasticity, armington_elasticity, supply_elasticity, base_ntb, domestic
        As in :func:`~tradetalks.econ.pe.solve_market`.
    supplier : int
        The taxed foreign supplier.
    consumer_weight, revenue_weight : float
        Weights a and b on consumer surplus and tariff revenue.
    producer_weights : (n,), optional
        Weights c_s on each supplier's producer surplus; default 1 for domestic, 0 for foreign suppliers.
    upper : float
        Largest tariff searched (fraction; 3.0 = 300 %).

    Returns
    -------
    OptimalTariff

    References
    ----------
    Johnson, H. G. (1950–51). Optimum welfare and maximum revenue tariffs. Review of Economic Studies 19(1):
    28–35. doi:10.2307/2295932.
    Broda, C., Limão, N. & Weinstein, D. E. (2008). Optimal tariffs and market power: the evidence. American
    Economic Review 98(5): 2032–2065. doi:10.1257/aer.98.5.2032.

    Examples
    --------
    >>> r = optimal_tariff([1e9], [0.0], supplier=0, demand_elasticity=-2.0, armington_elasticity=3.8,
    ...                    supply_elasticity=1.5)
    >>> round(r.tariff, 5)  # 1/η
    0.66667
    """
    m = _market(values, base_tariff, base_ntb, supply_elasticity, domestic, demand_elasticity,
                armington_elasticity, supplier)
    n = m.values.size
    pw = (np.where(m.domestic, 1.0, 0.0) if producer_weights is None
          else np.broadcast_to(np.asarray(producer_weights, float), (n,)).copy())
    if not (math.isfinite(upper) and upper > 0):
        raise DataError("`upper` must be a positive finite tariff.", received=upper, fix="pass e.g. 3.0 (300 %).")

    def welfare(t: float) -> float:
        t1 = m.base_tariff.copy()
        t1[supplier] = t
        fx = m.solve(t1, m.base_ntb)
        return float(consumer_weight * fx.consumer_surplus_change + revenue_weight * fx.tariff_revenue_change
                     + pw @ fx.producer_surplus_change)

    grid = np.linspace(0.0, upper, OPTIMUM_GRID)
    values_on_grid = np.array([welfare(float(t)) for t in grid])
    i = int(np.argmax(values_on_grid))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    res = minimize_scalar(lambda t: -welfare(float(t)), bounds=(lo, hi), method="bounded",
                          options={"xatol": OPTIMUM_XTOL})
    best, value = (float(res.x), -float(res.fun)) if -res.fun >= values_on_grid[i] else (float(grid[i]),
                                                                                         float(values_on_grid[i]))
    t1 = m.base_tariff.copy()
    t1[supplier] = best
    share = (_incidence(m, supplier, t1, m.base_ntb) if abs(_log_wedge(m, supplier, t1, m.base_ntb)) > 1e-9
             else math.nan)
    return OptimalTariff(tariff=best, objective_change=value, exporter_share=share,
                         at_bound=bool(best >= upper - 1e-6), weights=(float(consumer_weight),
                                                                       float(revenue_weight)),
                         producer_weights=tuple(float(x) for x in pw))


# --- the same on a compiled scenario ----------------------------------------------------------------------------


def _lever(cs: CompiledScenario, lever: str) -> tuple[CompiledMarket, int, str]:
    ids = [lv.id for lv in cs.levers]
    if lever not in ids:
        raise DataError(f"No lever {lever!r} in the scenario.", received=lever, fix=f"use one of {ids}.")
    lv = cs.levers[ids.index(lever)]
    if len(lv.suppliers) != 1:
        raise DataError(f"Lever {lever!r} acts on {len(lv.suppliers)} suppliers; incidence needs exactly one.",
                        received=lv.suppliers, fix="use a lever on a single supplier.")
    return cs.markets[lv.market], lv.suppliers[0], lv.kind


def lever_incidence(cs: CompiledScenario, lever: str, rate: float) -> float:
    """Exporter's share of moving ``lever`` from the base year to ``rate`` in a compiled scenario.

    Parameters
    ----------
    cs : CompiledScenario
        From :func:`tradetalks.econ.valuation.compile_scenario`.
    lever : str
        A tariff or NTB lever on one supplier.
    rate : float
        New ad-valorem rate of the lever (fraction).
    """
    mk, k, kind = _lever(cs, lever)
    t1, n1 = mk.base_tariff.copy(), mk.base_ntb.copy()
    (t1 if kind == "tariff" else n1)[k] = rate
    return exporter_incidence(mk.values, mk.base_tariff, t1, supplier=k, demand_elasticity=mk.demand_elasticity,
                              armington_elasticity=mk.armington_elasticity,
                              supply_elasticity=mk.supply_elasticity, base_ntb=mk.base_ntb, new_ntb=n1,
                              domestic=mk.domestic.astype(bool))


def lever_passthrough_elasticity(cs: CompiledScenario, lever: str, rate: float, passthrough: float) -> float:
    """η of the lever's supplier at which moving ``lever`` to ``rate`` passes ``passthrough`` to buyers."""
    mk, k, kind = _lever(cs, lever)
    t1, n1 = mk.base_tariff.copy(), mk.base_ntb.copy()
    (t1 if kind == "tariff" else n1)[k] = rate
    return supply_elasticity_for_passthrough(passthrough, mk.values, mk.base_tariff, t1, supplier=k,
                                             demand_elasticity=mk.demand_elasticity,
                                             armington_elasticity=mk.armington_elasticity,
                                             supply_elasticity=mk.supply_elasticity, base_ntb=mk.base_ntb,
                                             new_ntb=n1, domestic=mk.domestic.astype(bool))


def lever_optimal_tariff(cs: CompiledScenario, lever: str, party: str, *, weighted: bool = True,
                         upper: float = 3.0) -> OptimalTariff:
    """The importing ``party``'s best rate for a tariff ``lever``, market effects only.

    With ``weighted`` the objective is the party's political-weighted utility over the market's stakeholders
    (consumers, treasury, producers, Grossman–Helpman weights from the scenario); without it, national welfare
    (every own stakeholder weighted 1). Payoffs the scenario books outside the market (precedent, retaliation,
    negotiation) are not included: this is the PE model's own optimum.
    """
    mk, k, kind = _lever(cs, lever)
    if kind != "tariff":
        raise DataError(f"Lever {lever!r} is an NTB; the optimum is computed for tariffs.", received=kind,
                        fix="pass a tariff lever.")
    if party not in cs.parties:
        raise DataError(f"No party {party!r}.", received=party, fix=f"use one of {cs.parties}.")
    p = cs.parties.index(party)
    own = cs.weight_matrix[:, p] if weighted else (cs.stakeholder_party == p).astype(float)

    def weight(index: int) -> float:
        return float(own[index]) if index >= 0 else 0.0

    return optimal_tariff(mk.values, mk.base_tariff, supplier=k, demand_elasticity=mk.demand_elasticity,
                          armington_elasticity=mk.armington_elasticity, supply_elasticity=mk.supply_elasticity,
                          base_ntb=mk.base_ntb, domestic=mk.domestic.astype(bool),
                          consumer_weight=weight(mk.consumers), revenue_weight=weight(mk.treasury),
                          producer_weights=[weight(i) for i in mk.supplier_stakeholder], upper=upper)


__all__: Sequence[str] = ("OptimalTariff", "exporter_incidence", "lever_incidence", "lever_optimal_tariff",
                          "lever_passthrough_elasticity", "marginal_exporter_incidence", "optimal_tariff",
                          "supply_elasticity_for_passthrough")
