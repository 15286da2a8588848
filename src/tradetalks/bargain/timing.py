"""Time in bargaining: discounting, Rubinstein bargaining power, and the no-deal path over time.

References
----------
Rubinstein, A. (1982). Perfect equilibrium in a bargaining model. *Econometrica* 50(1), 97–109.
https://doi.org/10.2307/1912531
Binmore, K., Rubinstein, A. & Wolinsky, A. (1986). The Nash bargaining solution in economic modelling.
*RAND Journal of Economics* 17(2), 176–188. https://doi.org/10.2307/2555382
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

from tradetalks.errors import TradetalksError

DAYS_PER_YEAR = 365.25


def discount_factor(annual_rate: float, days: float) -> float:
    """Per-period discount factor δ = exp(−r · days / 365.25) for an annual rate ``r`` (continuous compounding).

    >>> round(discount_factor(0.05, 365.25), 6)
    0.951229
    """
    if annual_rate < 0 or days < 0:
        raise TradetalksError("discount rate and period must be non-negative.", received=(annual_rate, days),
                              fix="give an annual rate such as 0.05 and a positive round length")
    return math.exp(-annual_rate * days / DAYS_PER_YEAR)


def rubinstein_shares(delta_first: float, delta_second: float) -> tuple[float, float]:
    """Subgame-perfect shares of a unit surplus in Rubinstein's alternating-offers game.

    The first proposer gets (1 − δ₂)/(1 − δ₁δ₂), the responder the rest. A side that does not discount at all
    (δ = 1) is the limit of the formula: against an impatient side it gets everything, and two patient sides split
    evenly (the limit along equal discount factors).

    >>> [round(s, 6) for s in rubinstein_shares(0.9, 0.9)]
    [0.526316, 0.473684]
    >>> rubinstein_shares(1.0, 0.9), rubinstein_shares(0.9, 1.0), rubinstein_shares(1.0, 1.0)
    ((1.0, 0.0), (0.0, 1.0), (0.5, 0.5))
    """
    if not (0 <= delta_first <= 1 and 0 <= delta_second <= 1):
        raise TradetalksError("discount factors must lie in [0, 1].", received=(delta_first, delta_second),
                              fix="use non-negative discount rates")
    if delta_first * delta_second >= 1.0:
        return 0.5, 0.5
    first = (1 - delta_second) / (1 - delta_first * delta_second)
    return first, 1 - first


def rubinstein_powers(rate_0: float, rate_1: float) -> tuple[float, float]:
    """Bargaining powers of the asymmetric Nash solution implied by patience (Binmore–Rubinstein–Wolinsky).

    As the time between offers shrinks, Rubinstein's equilibrium tends to the asymmetric Nash solution with
    α_i = r_j / (r_i + r_j): the more patient side (lower discount rate) has more power. Equal rates give (½, ½).

    >>> [round(a, 6) for a in rubinstein_powers(0.05, 0.15)]
    [0.75, 0.25]
    """
    if rate_0 < 0 or rate_1 < 0:
        raise TradetalksError("discount rates must be non-negative.", received=(rate_0, rate_1),
                              fix="give annual rates such as 0.05")
    if rate_0 + rate_1 == 0:
        return 0.5, 0.5
    return rate_1 / (rate_0 + rate_1), rate_0 / (rate_0 + rate_1)


def batna_options_at(base: Mapping[str, str], changes: Sequence[tuple[dt.date, str, str]],
                     date: dt.date) -> dict[str, str]:
    """The no-deal option of every issue in force on ``date``.

    Parameters
    ----------
    base
        Issue id → BATNA option at the start (the scenario's ``batna`` fields).
    changes
        ``(date, issue, option)``: from that date on the no-deal outcome of the issue is that option.
    """
    out = dict(base)
    for when, issue, option in sorted(changes):
        if when <= date:
            out[issue] = option
    return out
