"""Partial equilibrium of one importer × product market (WITS SMART with GSIM-style finite supply).

One market has ``n`` suppliers ``s`` (the partner exporter, the rest of the world, optionally domestic producers).
Demand is a two-level Armington (1969) system: a composite good with constant price elasticity ε whose CES price
index aggregates the suppliers' consumer prices with substitution elasticity σ. Each supplier has a
constant-elasticity supply curve (η_s, ``inf`` = perfectly elastic as in SMART). :func:`solve_market` solves the
exact model in changes ("hats", x̂ = x1/x0); :func:`smart_trade_creation` and :func:`smart_trade_diversion` are
the closed-form SMART approximations it agrees with to first order. The full derivation, assumptions and
documented elasticity defaults are in ``docs/models/partial-equilibrium.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradetalks.errors import ConvergenceError, DataError

if TYPE_CHECKING:
    import pandas as pd

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Newton stops when ‖G‖₂, G_s = η_s ln p̂_s − ln q̂_s, is below this (log units: ~1e-12 relative in prices)
SOLVER_TOLERANCE = 1e-12
#: Newton iterations before giving up (quadratic convergence needs < 10 in practice)
SOLVER_MAX_ITERATIONS = 100
#: smallest backtracking step before the line search is declared failed
_MIN_STEP = 1e-10

_PER_SUPPLIER = ("producer_price_change", "consumer_price_change", "quantity_change", "value_change",
                 "price_effect", "trade_diversion", "producer_surplus_change")
_USD_PER_SUPPLIER = ("value_change", "price_effect", "trade_diversion", "producer_surplus_change")
_MARKET = ("price_index_change", "trade_creation", "consumer_surplus_change", "tariff_revenue_change",
           "ntb_cost_change", "importer_welfare_change")


@dataclass(frozen=True, eq=False)
class MarketEffects:
    """Effects of a policy change in one importer × product market (result of :func:`solve_market`).

    Arrays have shape ``(n,)``, one entry per supplier in input order, and are read-only. Rates are fractions
    (0.05 = +5 %); money is USD a year, valued at base producer prices unless stated.

    Attributes
    ----------
    suppliers : tuple of str, (n,)
        Supplier names.
    domestic : bool array (n,)
        True for domestic producers of the importing country.
    producer_price_change : (n,)
        p̂_s − 1, the supplier's producer (customs, pre-tariff) price.
    consumer_price_change : (n,)
        P̂_s − 1 with P_s = p_s (1 + t_s)(1 + n_s).
    price_index_change : float
        P̂ − 1, the CES consumer price index of the market.
    quantity_change : (n,)
        q̂_s − 1.
    value_change : (n,)
        ΔV_s = V_s (p̂_s q̂_s − 1), sales at producer prices, USD/yr.
    price_effect : (n,)
        V_s q̂_s (p̂_s − 1): the part of ``value_change`` due to the producer price (SMART's "price effect"; 0 for
        perfectly elastic supply), USD/yr.
    trade_creation : float
        Σ_{foreign s} V_s (q̂_s − 1): change in import volume valued at base producer prices, USD/yr (SMART's
        trade creation; the change in import *value* is ``trade_creation + price_effect[foreign].sum()``).
    trade_diversion : (n,)
        For foreign s: V_s q̂_s − V_s · M̂, with M̂ = Σ_F V q̂ / Σ_F V the growth of import volume: the change in the
        supplier's share of import volume times new import volume, USD/yr. Sums to 0 over foreign suppliers
        (what one gains by diversion the others lose); 0 for domestic suppliers.
    consumer_surplus_change : float
        −E0 (P̂^{1+ε} − 1)/(1 + ε) (−E0 ln P̂ at ε = −1), E0 = base expenditure at consumer prices, USD/yr.
    tariff_revenue_change : float
        Σ t1 p1 q1 − Σ t0 p0 q0 on customs value, USD/yr.
    ntb_cost_change : float
        Σ n1 (1 + t1) p1 q1 − Σ n0 (1 + t0) p0 q0: resources used up by non-tariff barriers, USD/yr.
    producer_surplus_change : (n,)
        V_s (p̂_s^{1+η_s} − 1)/(1 + η_s) (0 for η_s = ∞), USD/yr.
    importer_welfare_change : float
        Consumer surplus + tariff revenue + producer surplus of domestic suppliers, USD/yr.
    solver_iterations : int
        Newton iterations used (0 when every supply is perfectly elastic).
    """

    suppliers: tuple[str, ...]
    domestic: BoolArray
    producer_price_change: FloatArray
    consumer_price_change: FloatArray
    price_index_change: float
    quantity_change: FloatArray
    value_change: FloatArray
    price_effect: FloatArray
    trade_creation: float
    trade_diversion: FloatArray
    consumer_surplus_change: float
    tariff_revenue_change: float
    ntb_cost_change: float
    producer_surplus_change: FloatArray
    importer_welfare_change: float
    solver_iterations: int

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per supplier plus a ``"market"`` row.

        Supplier rows hold the per-supplier fields; the market row holds the sums of the USD fields and the
        market-level scalars (``price_index_change``, ``trade_creation``, surplus, revenue, welfare), which are
        NaN in supplier rows. Rates are not summed (NaN in the market row).
        """
        import pandas as pd

        columns = {"domestic": pd.array(self.domestic, dtype="boolean"), **{k: getattr(self, k) for k in _PER_SUPPLIER}}
        frame = pd.DataFrame(columns, index=pd.Index(self.suppliers, name="supplier"))
        for k in _MARKET:
            frame[k] = np.nan
        market: dict[str, object] = {k: getattr(self, k) for k in _MARKET}
        market.update({k: float(np.sum(getattr(self, k))) for k in _USD_PER_SUPPLIER})
        frame.loc["market"] = pd.Series(market)
        return frame

    def __repr__(self) -> str:
        head = (f"MarketEffects({len(self.suppliers)} suppliers; price index {self.price_index_change:+.3%}, "
                f"consumer surplus {self.consumer_surplus_change:+,.0f}, tariff revenue "
                f"{self.tariff_revenue_change:+,.0f}, NTB cost {self.ntb_cost_change:+,.0f}, importer welfare "
                f"{self.importer_welfare_change:+,.0f}, trade creation {self.trade_creation:+,.0f} USD/yr)")
        width = max(8, *(len(s) for s in self.suppliers))
        rows = [f"  {'supplier':<{width}}  dom  producer p  consumer p    quantity       value USD/yr"
                "   diversion USD/yr"]
        for i, name in enumerate(self.suppliers):
            rows.append(f"  {name:<{width}}  {'yes' if self.domestic[i] else 'no ':<3}  "
                        f"{self.producer_price_change[i]:+10.3%}  {self.consumer_price_change[i]:+10.3%}  "
                        f"{self.quantity_change[i]:+10.3%}  {self.value_change[i]:+17,.0f}  "
                        f"{self.trade_diversion[i]:+17,.0f}")
        return "\n".join([head, *rows])


@dataclass(frozen=True)
class _Market:
    """Validated inputs plus derived base quantities."""

    values: FloatArray
    base_tariff: FloatArray
    new_tariff: FloatArray
    base_ntb: FloatArray
    new_ntb: FloatArray
    supply_elasticity: FloatArray
    domestic: BoolArray
    suppliers: tuple[str, ...]
    demand_elasticity: float
    armington_elasticity: float
    #: τ_s = ln P̂_s at unchanged producer prices: the log change of the tariff and NTB wedges, (n,)
    wedge: FloatArray
    #: base expenditure shares at consumer prices w_s, (n,)
    weights: FloatArray
    #: base expenditure at consumer prices E0, USD/yr
    base_expenditure: float


def _reject(name: str, arr: FloatArray, bad: BoolArray, rule: str, fix: str) -> None:
    if bad.any():
        shown = ", ".join(f"{name}[{i}] = {float(arr[i])!r}" for i in np.flatnonzero(bad)[:5])
        raise DataError(f"`{name}` must be {rule}.", received=shown, fix=fix)


def _vector(name: str, x: ArrayLike, n: int) -> FloatArray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"`{name}` must be numeric.", received=x, fix=f"pass {n} numbers.") from exc
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise DataError(f"`{name}` must have shape ({n},), one entry per supplier like `values`.",
                        received=f"shape {arr.shape}", fix="pass one entry per supplier, in the order of `values`.")
    _reject(name, arr, np.isnan(arr), "a number, not NaN", "fill in the missing entries.")
    return arr.copy()


def _number(x: object) -> float:
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan  # rejected with the parameter's name by the caller


def _check_scalars(demand_elasticity: object, armington_elasticity: object) -> None:
    eps, sigma = _number(demand_elasticity), _number(armington_elasticity)
    if not (math.isfinite(eps) and eps < 0):
        raise DataError("`demand_elasticity` ε must be finite and negative (demand slopes down).",
                        received=f"demand_elasticity = {demand_elasticity!r}",
                        fix="pass e.g. -1.5; Kee, Nicita & Olarreaga (2008) give values.")
    if not (math.isfinite(sigma) and sigma > 0):
        raise DataError("`armington_elasticity` σ must be finite and positive.",
                        received=f"armington_elasticity = {armington_elasticity!r}",
                        fix="pass e.g. 3.8, the median of Bajzik et al. (2020).")


def _check_domestic(domestic: ArrayLike | None, n: int, policy: dict[str, FloatArray]) -> BoolArray:
    mask = np.zeros(n, dtype=bool) if domestic is None else np.asarray(domestic)
    if mask.shape != (n,) or mask.dtype != np.bool_:
        raise DataError(f"`domestic` must be a boolean mask of shape ({n},).",
                        received=f"dtype {mask.dtype}, shape {mask.shape}", fix="pass e.g. [False, False, True].")
    for name, arr in policy.items():
        _reject(name, arr, mask & (arr != 0), "0 for domestic suppliers (they pay no tariff or NTB at home)",
                "set the domestic supplier's tariff and NTB to 0, or mark it as foreign.")
    return mask.copy()


def _validate(values: ArrayLike, demand_elasticity: float, armington_elasticity: float,
              policy: dict[str, ArrayLike], supply_elasticity: ArrayLike, domestic: ArrayLike | None,
              suppliers: Sequence[str] | None) -> _Market:
    try:
        v = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        v = np.array([])
    if v.ndim != 1 or v.size == 0:
        raise DataError("`values` must be a non-empty 1-D array of base sales by supplier (USD/yr).",
                        received=values, fix="pass e.g. [1e9, 4e9] for (partner, rest of world).")
    n = v.size
    _reject("values", v, ~(np.isfinite(v) & (v > 0)), "finite and > 0 (base sales, USD/yr)",
            "drop suppliers with no base-period sales; the model in changes cannot start from zero.")
    arrays = {k: _vector(k, x, n) for k, x in policy.items()}
    for k, arr in arrays.items():
        _reject(k, arr, ~(np.isfinite(arr) & (arr > -1)), "finite and > -1 (an ad-valorem rate; 0.1 = 10%)",
                "pass rates as fractions, e.g. 0.25 for 25%.")
    eta = _vector("supply_elasticity", supply_elasticity, n)
    _reject("supply_elasticity", eta, ~(eta > 0), "> 0 (np.inf for perfectly elastic supply)",
            "pass a positive elasticity or np.inf (the SMART default).")
    _check_scalars(demand_elasticity, armington_elasticity)
    mask = _check_domestic(domestic, n, arrays)
    names = tuple(f"s{i}" for i in range(n)) if suppliers is None else tuple(str(s) for s in suppliers)
    if len(names) != n or len(set(names)) != n:
        raise DataError(f"`suppliers` must be {n} distinct names.", received=suppliers, fix="name each supplier once.")
    t0, t1, n0, n1 = arrays["base_tariff"], arrays["new_tariff"], arrays["base_ntb"], arrays["new_ntb"]
    e0 = v * (1 + t0) * (1 + n0)
    wedge = np.log1p(t1) + np.log1p(n1) - np.log1p(t0) - np.log1p(n0)
    return _Market(v, t0, t1, n0, n1, eta, mask, names, float(demand_elasticity), float(armington_elasticity),
                   wedge, e0 / e0.sum(), float(e0.sum()))


def _log_price_index(y: FloatArray, w: FloatArray, sigma: float) -> tuple[float, FloatArray]:
    """ln P̂ of the CES index for log consumer-price changes ``y``, and the new expenditure shares ω."""
    a = 1.0 - sigma
    if a == 0.0:  # Cobb-Douglas limit
        return float(w @ y), w
    ay = a * y
    if np.max(np.abs(ay)) < 1.0:  # accurate near σ = 1: log1p/expm1 avoid cancellation
        log_p = float(np.log1p(w @ np.expm1(ay))) / a
    else:
        z = ay + np.log(w)
        top = float(np.max(z))
        log_p = (top + math.log(float(np.sum(np.exp(z - top))))) / a
    return log_p, w * np.exp(ay - a * log_p)


def _residual(x: FloatArray, mk: _Market, finite: BoolArray) -> tuple[FloatArray, FloatArray]:
    """η_s ln p̂_s − ln q̂_s for finite-η suppliers, and their new expenditure shares."""
    y = mk.wedge.copy()
    y[finite] += x
    sigma = mk.armington_elasticity
    log_p, omega = _log_price_index(y, mk.weights, sigma)
    log_q = (mk.demand_elasticity + sigma) * log_p - sigma * y
    return mk.supply_elasticity[finite] * x - log_q[finite], omega[finite]


def _not_converged(mk: _Market, why: str, iterations: int, g: FloatArray, x: FloatArray) -> ConvergenceError:
    return ConvergenceError(f"The partial-equilibrium market did not clear ({why}).",
                            diagnostics={"iterations": iterations, "residual": g.tolist(), "log_producer_price":
                                         x.tolist(), "suppliers": mk.suppliers, "wedge": mk.wedge.tolist()},
                            fix="check for extreme elasticities or tariffs; report the inputs if they are plausible.")


def _solve_log_prices(mk: _Market) -> tuple[FloatArray, int]:
    """Newton on x = ln p̂ of finite-η suppliers, with backtracking on ‖G‖₂; returns ln p̂ (n,) and iterations.

    G_s(x) = η_s x_s − ln q̂_s(x). The Jacobian diag(η + σ) − (ε + σ) 1 ωᵀ is inverted by Sherman–Morrison; its
    denominator 1 − (ε + σ) Σ ω_s/(η_s + σ) is > 0 for every ε < 0 < σ, η, so each step is well defined.
    """
    finite = np.isfinite(mk.supply_elasticity)
    log_p = np.zeros(mk.values.size)
    if not finite.any():
        return log_p, 0
    x = np.zeros(int(finite.sum()))
    g, omega = _residual(x, mk, finite)
    d = mk.supply_elasticity[finite] + mk.armington_elasticity
    u = (mk.demand_elasticity + mk.armington_elasticity) / d
    for it in range(SOLVER_MAX_ITERATIONS + 1):
        norm = float(g @ g)
        if math.sqrt(norm) <= SOLVER_TOLERANCE:
            log_p[finite] = x
            return log_p, it
        step = g / d + u * (float(omega @ (g / d)) / (1.0 - float(omega @ u)))
        t = 1.0
        g_try, omega_try = _residual(x - step, mk, finite)
        while float(g_try @ g_try) > (1.0 - 1e-4 * t) * norm:
            t /= 2
            if t < _MIN_STEP:
                raise _not_converged(mk, "line search stalled", it, g, x)
            g_try, omega_try = _residual(x - t * step, mk, finite)
        x, g, omega = x - t * step, g_try, omega_try
    raise _not_converged(mk, f"no convergence in {SOLVER_MAX_ITERATIONS} iterations", SOLVER_MAX_ITERATIONS, g, x)


def _surplus_factor(c: float, log_hat: float | FloatArray) -> float | FloatArray:
    """(x̂^c − 1)/c for x̂ = exp(log_hat), equal to ln x̂ at c = 0 (continuous in c)."""
    if c == 0.0:
        return log_hat
    return np.expm1(c * np.asarray(log_hat)) / c


def _effects(mk: _Market, log_p: FloatArray, iterations: int) -> MarketEffects:
    sigma, eps, v = mk.armington_elasticity, mk.demand_elasticity, mk.values
    y = mk.wedge + log_p
    log_index, _ = _log_price_index(y, mk.weights, sigma)
    log_q = (eps + sigma) * log_index - sigma * y
    volume_change = v * np.expm1(log_q)
    foreign = ~mk.domestic
    creation = float(volume_change[foreign].sum())
    growth = creation / float(v[foreign].sum()) if foreign.any() else 0.0
    new_value = v * np.exp(log_p + log_q)
    finite = np.isfinite(mk.supply_elasticity)
    eta1 = np.where(finite, 1.0 + mk.supply_elasticity, 1.0)
    surplus = np.where(finite, v * np.expm1(eta1 * log_p) / eta1, 0.0)
    revenue = float(mk.new_tariff @ new_value - mk.base_tariff @ v)
    cs = -mk.base_expenditure * float(_surplus_factor(1.0 + eps, log_index))
    return MarketEffects(
        suppliers=mk.suppliers, domestic=mk.domestic.copy(),
        producer_price_change=np.expm1(log_p), consumer_price_change=np.expm1(y),
        price_index_change=math.expm1(log_index), quantity_change=np.expm1(log_q),
        value_change=v * np.expm1(log_p + log_q), price_effect=v * np.exp(log_q) * np.expm1(log_p),
        trade_creation=creation, trade_diversion=np.where(foreign, volume_change - v * growth, 0.0),
        consumer_surplus_change=cs, tariff_revenue_change=revenue,
        ntb_cost_change=float((mk.new_ntb * (1 + mk.new_tariff)) @ new_value
                              - (mk.base_ntb * (1 + mk.base_tariff)) @ v),
        producer_surplus_change=surplus,
        importer_welfare_change=cs + revenue + float(surplus[mk.domestic].sum()),
        solver_iterations=iterations,
    )


def solve_market(
    values: ArrayLike,
    base_tariff: ArrayLike,
    new_tariff: ArrayLike,
    *,
    demand_elasticity: float,
    armington_elasticity: float,
    supply_elasticity: ArrayLike = np.inf,
    base_ntb: ArrayLike = 0.0,
    new_ntb: ArrayLike = 0.0,
    domestic: ArrayLike | None = None,
    suppliers: Sequence[str] | None = None,
) -> MarketEffects:
    r"""Exact effects of a tariff/NTB change in one importer × product market.

    The model, in changes x̂ = x1/x0 (derivation in ``docs/models/partial-equilibrium.md``):

    - consumer price P_s = p_s (1 + t_s)(1 + n_s); base producer prices are normalised to 1, so quantities are
      in base USD;
    - CES index P̂ = (Σ_s w_s P̂_s^{1−σ})^{1/(1−σ)} (Cobb-Douglas at σ = 1), w_s base expenditure shares at
      consumer prices;
    - composite demand Q̂ = P̂^ε; supplier demand q̂_s = Q̂ (P̂_s / P̂)^{−σ};
    - supply p̂_s = q̂_s^{1/η_s} (p̂_s = 1 when η_s = ∞).

    The p̂_s of finite-η suppliers are found by Newton's method on ln p̂ with an analytic Jacobian (positivity by
    construction). Quasi-linear utility: no income effects, so the consumer-surplus change is exact. NTB
    ad-valorem equivalents are pure cost wedges: they raise consumer prices, earn no revenue and their rents are
    dissipated (``ntb_cost_change``). Domestic suppliers pay no tariff or NTB.

    Parameters
    ----------
    values : (n,)
        Base-period sales in the market at producer (customs, pre-tariff) prices, USD/yr, all > 0.
    base_tariff, new_tariff : (n,) or scalar
        Ad-valorem tariffs before and after (0.25 = 25 %), > −1.
    demand_elasticity : float
        ε < 0, elasticity of composite demand w.r.t. its CES price index (with no domestic supplier this is
        SMART's import-demand elasticity).
    armington_elasticity : float
        σ > 0, elasticity of substitution between suppliers.
    supply_elasticity : (n,) or scalar
        η_s > 0; ``np.inf`` (default, as in SMART) for perfectly elastic supply.
    base_ntb, new_ntb : (n,) or scalar
        Ad-valorem equivalents of non-tariff barriers, > −1; default 0.
    domestic : bool (n,), optional
        Marks domestic producers (their tariffs and NTBs must be 0). Default: all foreign.
    suppliers : sequence of str, optional
        Names, default ``s0, s1, ...``.

    Returns
    -------
    MarketEffects
        Prices, quantities, trade creation/diversion, surpluses, revenue and welfare; see its attributes.

    Raises
    ------
    DataError
        On invalid inputs, saying which entry and how to fix it.
    ConvergenceError
        If Newton's method fails (never observed for ε ∈ [−10, −0.01], σ ∈ [0.05, 20], η ∈ [0.05, ∞]).

    References
    ----------
    Armington, P. S. (1969). A theory of demand for products distinguished by place of production. IMF Staff
    Papers 16(1): 159–178. doi:10.2307/3866403.
    Francois, J. F. & Hall, H. K. (2003). Global simulation analysis of industry-level trade policy (GSIM).
    World Bank / WITS technical paper.
    Jammes, O. & Olarreaga, M. (2005). Explaining SMART and GSIM. World Bank.
    World Bank. WITS SMART user manual ("Single Market Partial Equilibrium Simulation Tool").

    Examples
    --------
    $1bn of imports from one supplier, ε = −2, tariff 0 → 10 %, perfectly elastic supply:

    >>> fx = solve_market([1e9], [0.0], [0.1], demand_elasticity=-2.0, armington_elasticity=3.8)
    >>> round(float(fx.quantity_change[0]), 6)  # 1.1**-2 - 1
    -0.173554
    >>> round(fx.consumer_surplus_change / 1e6, 3), round(fx.tariff_revenue_change / 1e6, 3)
    (-90.909, 82.645)
    """
    policy = {"base_tariff": base_tariff, "new_tariff": new_tariff, "base_ntb": base_ntb, "new_ntb": new_ntb}
    mk = _validate(values, demand_elasticity, armington_elasticity, policy, supply_elasticity, domestic, suppliers)
    log_p, iterations = _solve_log_prices(mk)
    return _effects(mk, log_p, iterations)


def _check_rate(name: str, rate: float) -> None:
    if not (math.isfinite(rate) and rate > -1):
        raise DataError(f"`{name}` must be finite and > -1 (a fraction; 0.1 = 10%).", received=rate,
                        fix="pass rates as fractions.")


def smart_trade_creation(imports: float, demand_elasticity: float, tariff_old: float, tariff_new: float,
                         export_supply_elasticity: float = np.inf) -> float:
    r"""SMART trade creation: ΔM = M ε_m Δt / ((1 + t0)(1 − ε_m/ε_x)), USD/yr.

    The first-order change in import volume (at base world prices) from supplier k when its tariff moves
    t0 → t1, with import-demand elasticity ε_m < 0 and export-supply elasticity ε_x > 0 (∞ in SMART's default).
    :func:`solve_market` reproduces it to first order in Δt as ``trade_creation``.

    References
    ----------
    Jammes, O. & Olarreaga, M. (2005). Explaining SMART and GSIM. World Bank.
    World Bank. WITS SMART user manual, "SMART theoretical framework".

    Examples
    --------
    >>> round(smart_trade_creation(1e9, -2.0, 0.0, 0.1))
    -200000000
    """
    _check_rate("tariff_old", tariff_old)
    _check_rate("tariff_new", tariff_new)
    _check_scalars(demand_elasticity, 1.0)
    if not export_supply_elasticity > 0:
        raise DataError("`export_supply_elasticity` must be > 0.", received=export_supply_elasticity,
                        fix="pass a positive number or np.inf (the SMART default).")
    damping = 1.0 - demand_elasticity / export_supply_elasticity
    return imports * demand_elasticity * (tariff_new - tariff_old) / ((1.0 + tariff_old) * damping)


def smart_trade_diversion(imports: float, other_imports: float, armington_elasticity: float, tariff_old: float,
                          tariff_new: float, other_tariff_old: float = 0.0,
                          other_tariff_new: float | None = None) -> float:
    r"""SMART trade diversion towards supplier k (Jammes & Olarreaga 2005 form), USD/yr.

    With total imports held fixed, the ratio M_k/M_o responds to the relative consumer price P_o/P_k with
    elasticity σ; linearising, ΔM_k = M_k M_o σ x / (M_k + M_o + M_k σ x), with x the proportional change of
    P_o/P_k = ((1 + t_o1)(1 + t_k0)) / ((1 + t_o0)(1 + t_k1)) − 1. The other suppliers lose the same amount.
    Assumes perfectly elastic export supply (SMART's default).

    Parameters
    ----------
    imports, other_imports : float
        Base imports from supplier k and from all other foreign suppliers together, USD/yr.
    armington_elasticity : float
        σ > 0.
    tariff_old, tariff_new : float
        Supplier k's tariff before and after.
    other_tariff_old, other_tariff_new : float
        Tariff on the other suppliers before and after (``other_tariff_new`` defaults to ``other_tariff_old``).

    References
    ----------
    Jammes, O. & Olarreaga, M. (2005). Explaining SMART and GSIM. World Bank, section 1.
    Laird, S. & Yeats, A. (1986). The UNCTAD trade policy simulation model. UNCTAD Discussion Paper 19.

    Examples
    --------
    >>> round(smart_trade_diversion(1e9, 3e9, 4.0, 0.1, 0.0))  # k's 10% tariff removed
    272727273
    """
    other_new = other_tariff_old if other_tariff_new is None else other_tariff_new
    for name, rate in (("tariff_old", tariff_old), ("tariff_new", tariff_new),
                       ("other_tariff_old", other_tariff_old), ("other_tariff_new", other_new)):
        _check_rate(name, rate)
    _check_scalars(-1.0, armington_elasticity)
    x = ((1 + other_new) * (1 + tariff_old)) / ((1 + other_tariff_old) * (1 + tariff_new)) - 1.0
    sx = armington_elasticity * x
    return imports * other_imports * sx / (imports + other_imports + imports * sx)


@dataclass(frozen=True, eq=False)
class MarketBatch:
    """Welfare effects of ``B`` independent solves of one market structure (result of :func:`solve_market_batch`).

    Money is USD a year; arrays are read-only.

    Attributes
    ----------
    consumer_surplus_change : (B,)
        As :attr:`MarketEffects.consumer_surplus_change`, per row.
    tariff_revenue_change : (B,)
        As :attr:`MarketEffects.tariff_revenue_change`, per row.
    producer_surplus_change : (B, n)
        As :attr:`MarketEffects.producer_surplus_change`, per row and supplier.
    log_producer_price : (B, n)
        ln p̂_s (0 for perfectly elastic suppliers).
    iterations : int
        Newton iterations of the slowest row.
    """

    consumer_surplus_change: FloatArray
    tariff_revenue_change: FloatArray
    producer_surplus_change: FloatArray
    log_producer_price: FloatArray
    iterations: int

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value.setflags(write=False)


def _log_price_index_rows(y: FloatArray, w: FloatArray, sigma: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Row-wise :func:`_log_price_index`: ``y``, ``w`` (B, n), ``sigma`` (B,) → ln P̂ (B,) and shares ω (B, n)."""
    a = 1.0 - sigma
    cobb = a == 0.0
    a_safe = np.where(cobb, 1.0, a)
    ay = a_safe[:, None] * y
    near = np.max(np.abs(ay), axis=1) < 1.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        small = np.log1p(np.sum(w * np.expm1(ay), axis=1)) / a_safe
        z = ay + np.log(w)
        top = np.max(z, axis=1)
        large = (top + np.log(np.sum(np.exp(z - top[:, None]), axis=1))) / a_safe
    log_p = np.where(cobb, np.sum(w * y, axis=1), np.where(near, small, large))
    omega = np.where(cobb[:, None], w, w * np.exp(ay - a_safe[:, None] * log_p[:, None]))
    return log_p, omega


def solve_market_batch(values: ArrayLike, base_tariff: ArrayLike, new_tariff: ArrayLike, *,
                       demand_elasticity: ArrayLike, armington_elasticity: ArrayLike,
                       supply_elasticity: ArrayLike, base_ntb: ArrayLike = 0.0,
                       new_ntb: ArrayLike = 0.0) -> MarketBatch:
    """:func:`solve_market` for ``B`` rows at once (Monte Carlo draws × policy states of one market).

    The same model and Newton iteration with backtracking as :func:`solve_market`, vectorised over rows: each row
    stops at the same tolerance (:data:`SOLVER_TOLERANCE`), so every row agrees with the scalar solve to rounding.
    Inputs are validated loosely (shapes, finiteness); the scenario checks guarantee the sign rules.

    Parameters
    ----------
    values, base_tariff, new_tariff, base_ntb, new_ntb, supply_elasticity : (B, n) or broadcastable
        As in :func:`solve_market`, one row per solve. Which suppliers have finite supply elasticity must be the
        same in every row.
    demand_elasticity, armington_elasticity : (B,) or scalar
        ε < 0 and σ > 0 per row.

    Returns
    -------
    MarketBatch

    Raises
    ------
    DataError
        On shapes that do not broadcast, non-finite inputs, or rows that differ in which supply is finite.
    ConvergenceError
        If some row fails to clear.

    Examples
    --------
    >>> b = solve_market_batch([[1e9]], [[0.0]], [[0.1]], demand_elasticity=-2.0, armington_elasticity=3.8,
    ...                        supply_elasticity=[[np.inf]])
    >>> round(float(b.consumer_surplus_change[0]) / 1e6, 3)
    -90.909
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise DataError("`values` must be a (B, n) array: one row of supplier sales per solve.",
                        received=f"shape {v.shape}", fix="stack the rows on the first axis.")
    shape = v.shape
    try:
        t0, t1, n0, n1, eta = (np.broadcast_to(np.asarray(x, dtype=np.float64), shape)
                               for x in (base_tariff, new_tariff, base_ntb, new_ntb, supply_elasticity))
        eps, sigma = (np.broadcast_to(np.asarray(x, dtype=np.float64), shape[:1])
                      for x in (demand_elasticity, armington_elasticity))
    except ValueError as exc:
        raise DataError("inputs of solve_market_batch must broadcast to the shape of `values`.",
                        received=str(exc), fix="pass (B, n) arrays for supplier inputs and (B,) for elasticities.") \
            from None
    for name, arr in (("values", v), ("base_tariff", t0), ("new_tariff", t1), ("base_ntb", n0), ("new_ntb", n1),
                      ("demand_elasticity", eps), ("armington_elasticity", sigma)):
        if not np.isfinite(arr).all():
            raise DataError(f"`{name}` must be finite in every row.", received=f"{int((~np.isfinite(arr)).sum())} "
                            "non-finite entries", fix="check the draws that feed it.")
    finite = np.isfinite(eta)
    if not (finite == finite[:1]).all():
        raise DataError("which suppliers have finite supply elasticity must be the same in every row.",
                        received="rows differ", fix="solve rows with different supply structure separately.")
    fin = finite[0] if shape[0] else np.zeros(shape[1], dtype=bool)
    e0 = v * (1 + t0) * (1 + n0)
    w = e0 / e0.sum(axis=1, keepdims=True)
    wedge = np.log1p(t1) + np.log1p(n1) - np.log1p(t0) - np.log1p(n0)
    log_p, iterations = _solve_log_prices_rows(wedge, w, eps, sigma, eta, fin)
    y = wedge + log_p
    log_index, _ = _log_price_index_rows(y, w, sigma)
    log_q = (eps + sigma)[:, None] * log_index[:, None] - sigma[:, None] * y
    new_value = v * np.exp(log_p + log_q)
    eta1 = np.where(finite, 1.0 + np.where(finite, eta, 0.0), 1.0)
    surplus = np.where(finite, v * np.expm1(eta1 * log_p) / eta1, 0.0)
    revenue = np.sum(t1 * new_value, axis=1) - np.sum(t0 * v, axis=1)
    c = 1.0 + eps
    c_safe = np.where(c == 0.0, 1.0, c)
    factor = np.where(c == 0.0, log_index, np.expm1(c_safe * log_index) / c_safe)
    cs = -e0.sum(axis=1) * factor
    return MarketBatch(consumer_surplus_change=cs, tariff_revenue_change=revenue, producer_surplus_change=surplus,
                       log_producer_price=log_p, iterations=iterations)


def _residual_rows(x: FloatArray, wedge: FloatArray, w: FloatArray, eps: FloatArray, sigma: FloatArray,
                   eta_f: FloatArray, fin: BoolArray) -> tuple[FloatArray, FloatArray]:
    y = wedge.copy()
    y[:, fin] += x
    log_p, omega = _log_price_index_rows(y, w, sigma)
    log_q = (eps + sigma)[:, None] * log_p[:, None] - sigma[:, None] * y
    return eta_f * x - log_q[:, fin], omega[:, fin]


def _solve_log_prices_rows(wedge: FloatArray, w: FloatArray, eps: FloatArray, sigma: FloatArray, eta: FloatArray,
                           fin: BoolArray) -> tuple[FloatArray, int]:
    """Row-wise :func:`_solve_log_prices`: the same Newton steps and backtracking, each row on its own."""
    rows, n = wedge.shape
    log_p = np.zeros((rows, n))
    if not fin.any() or rows == 0:
        return log_p, 0
    eta_f = eta[:, fin]
    x = np.zeros((rows, int(fin.sum())))
    g, omega = _residual_rows(x, wedge, w, eps, sigma, eta_f, fin)
    d = eta_f + sigma[:, None]
    u = (eps + sigma)[:, None] / d
    active = np.ones(rows, dtype=bool)
    for it in range(SOLVER_MAX_ITERATIONS + 1):
        norm = np.sum(g * g, axis=1)
        active &= np.sqrt(norm) > SOLVER_TOLERANCE
        if not active.any():
            log_p[:, fin] = x
            return log_p, it
        a = np.flatnonzero(active)
        ga, da, ua, oa = g[a], d[a], u[a], omega[a]
        gd = ga / da
        step = gd + ua * (np.sum(oa * gd, axis=1) / (1.0 - np.sum(oa * ua, axis=1)))[:, None]
        t = np.ones(a.size)
        args = (wedge[a], w[a], eps[a], sigma[a], eta_f[a], fin)
        g_try, om_try = _residual_rows(x[a] - step, *args)
        bad = np.sum(g_try * g_try, axis=1) > (1.0 - 1e-4 * t) * norm[a]
        while bad.any():
            t[bad] /= 2
            if (t < _MIN_STEP).any():
                k = int(a[np.argmax(t < _MIN_STEP)])
                raise _not_converged_row(k, "line search stalled", it, g[k], x[k], wedge[k])
            b = np.flatnonzero(bad)
            sub = (wedge[a[b]], w[a[b]], eps[a[b]], sigma[a[b]], eta_f[a[b]], fin)
            g_b, om_b = _residual_rows(x[a[b]] - t[b, None] * step[b], *sub)
            g_try[b], om_try[b] = g_b, om_b
            bad[b] = np.sum(g_b * g_b, axis=1) > (1.0 - 1e-4 * t[b]) * norm[a[b]]
        x[a] = x[a] - t[:, None] * step
        g[a], omega[a] = g_try, om_try
    k = int(np.flatnonzero(active)[0])
    raise _not_converged_row(k, f"no convergence in {SOLVER_MAX_ITERATIONS} iterations", SOLVER_MAX_ITERATIONS,
                             g[k], x[k], wedge[k])


def _not_converged_row(row: int, why: str, iterations: int, g: FloatArray, x: FloatArray,
                       wedge: FloatArray) -> ConvergenceError:
    return ConvergenceError(f"The partial-equilibrium market did not clear in row {row} of a batch ({why}).",
                            diagnostics={"row": row, "iterations": iterations, "residual": g.tolist(),
                                         "log_producer_price": x.tolist(), "wedge": wedge.tolist()},
                            fix="check for extreme elasticities or tariffs in that draw; report the inputs if they "
                                "are plausible.")
