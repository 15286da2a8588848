"""One time basis for flows and lump sums: present value at a stated rate over a stated horizon, as USD a year.

A negotiated package mixes streams of different shape: a tariff cut that lasts as long as the tariff regime, a
purchase pledge spread over three and a half years, an investment fund paid in over ten, a security guarantee
that runs indefinitely. To compare (and add) them, each stream is discounted to a present value at one annual
rate ``r`` and re-expressed as the constant flow over one horizon ``H`` with the same present value — its
*annuity equivalent* in USD/yr. A flow that lasts the whole horizon keeps its size; a shorter or later one shrinks.

Discounting is continuous (as :func:`tradetalks.bargain.timing.discount_factor`): a flow of ``a`` USD/yr from
``s`` to ``s + T`` is worth ``a · e^{−rs} · (1 − e^{−rT}) / r`` today, a lump sum ``A`` paid at ``t`` is worth
``A · e^{−rt}``. Streams are cut at the horizon: what happens after ``H`` is not counted, for every stream alike.

References
----------
Boardman, A. E., Greenberg, D. H., Vining, A. R. & Weimer, D. L. (2018). *Cost–Benefit Analysis: Concepts and
Practice*, 5th ed., ch. 6 ("Discounting future impacts"; equivalent annual net benefits). Cambridge University
Press. https://doi.org/10.1017/9781108235594

Examples
--------
>>> round(annuity_equivalent(pv_of_flow(10.0, 0.05, 0.0, 10.0), 0.05, 10.0), 9)
10.0
>>> round(flow_equivalent(100 / 3.5, 0.05, 10.0, 0.0, 3.5), 3)
11.658
"""

from __future__ import annotations

import math

from tradetalks.errors import TradetalksError

#: below this |r·T| the annuity factor uses its series (T − rT²/2 + r²T³/6) to avoid cancellation
_SMALL_RT = 1e-8


def _check(rate: float, *years: float) -> None:
    if not math.isfinite(rate) or rate < 0:
        raise TradetalksError("a discount rate must be a finite number ≥ 0 (an annual rate such as 0.05).",
                              received=rate, fix="set the scenario's valuation.discount_rate to a rate ≥ 0")
    for y in years:
        if not math.isfinite(y) or y < 0:
            raise TradetalksError("a start date, duration or horizon must be a finite number of years ≥ 0.",
                                  received=y, fix="give years as a non-negative number")


def annuity_factor(rate: float, years: float) -> float:
    """Present value of 1 USD a year paid continuously for ``years`` years: (1 − e^{−r·T}) / r (T when r = 0).

    >>> round(annuity_factor(0.05, 10.0), 6)
    7.869387
    >>> annuity_factor(0.0, 4.0)
    4.0
    """
    _check(rate, years)
    x = rate * years
    if x < _SMALL_RT:
        return years * (1.0 - x / 2.0 + x * x / 6.0)
    return -math.expm1(-x) / rate


def pv_of_flow(amount_per_yr: float, rate: float, start: float, years: float,
               horizon: float | None = None) -> float:
    """Present value of ``amount_per_yr`` USD/yr from year ``start`` for ``years`` years (cut at ``horizon``)."""
    _check(rate, start, years)
    end = start + years if horizon is None else min(start + years, horizon)
    if end <= start:
        return 0.0
    return amount_per_yr * math.exp(-rate * start) * annuity_factor(rate, end - start)


def pv_of_lump(amount: float, rate: float, at: float, horizon: float | None = None) -> float:
    """Present value of ``amount`` USD paid at year ``at`` (zero when paid after ``horizon``)."""
    _check(rate, at)
    if horizon is not None and at > horizon:
        return 0.0
    return amount * math.exp(-rate * at)


def annuity_equivalent(pv: float, rate: float, horizon: float) -> float:
    """The constant USD/yr over ``horizon`` years with present value ``pv``.

    >>> round(annuity_equivalent(annuity_factor(0.05, 10.0), 0.05, 10.0), 12)
    1.0
    """
    _check(rate, horizon)
    if horizon <= 0:
        raise TradetalksError("the valuation horizon must be positive.", received=horizon,
                              fix="set valuation.horizon to a number of years > 0, e.g. 10")
    return pv / annuity_factor(rate, horizon)


def flow_equivalent(amount_per_yr: float, rate: float, horizon: float, start: float, years: float) -> float:
    """Annuity equivalent over ``horizon`` of a flow of ``amount_per_yr`` from ``start`` for ``years`` (USD/yr)."""
    return annuity_equivalent(pv_of_flow(amount_per_yr, rate, start, years, horizon), rate, horizon)


def lump_equivalent(amount: float, rate: float, horizon: float, at: float) -> float:
    """Annuity equivalent over ``horizon`` of a lump sum ``amount`` paid at year ``at`` (USD/yr)."""
    return annuity_equivalent(pv_of_lump(amount, rate, at, horizon), rate, horizon)


def duration_share(rate: float, horizon: float, years: float) -> float:
    """Share of a constant flow's horizon value that a flow lasting only ``years`` (from now) keeps, in [0, 1].

    The factor applied to a yearly flow computed by the partial-equilibrium model when the policy difference that
    causes it lasts ``years``: ``flow_equivalent(a, r, H, 0, years) / a``.

    >>> round(duration_share(0.05, 10.0, 5.0), 6)
    0.562177
    >>> duration_share(0.05, 10.0, 30.0)
    1.0
    """
    return annuity_factor(rate, min(years, horizon)) / annuity_factor(rate, horizon)
