"""Plausible ranges of scenario quantities, by kind: the sanity bounds every value is checked against.

A scenario's numbers must be finite and make sense for what they measure: a tariff of 1e200 or a trade value of
1e300 USD a year is a typo or an attack, not an input. Each numeric field outside ``facts:`` has a kind (found from
its field path by :func:`kind_of`) and each kind a :class:`Bound`. The table is documented in
``docs/scenario-format.md`` ("Sanity bounds"); a test checks the two agree.

The ceilings are generous on purpose (they catch nonsense, not unusual judgements): rates up to 2,000 % (the highest
tariff-rate quotas' out-of-quota rates and NTB ad-valorem equivalents stay below it), money up to 1e14 USD a year
(about world GDP in 2024, USD 110 trillion at market prices: IMF World Economic Outlook, October 2024),
elasticities up to 100 in absolute value (trade elasticity estimates reach about 20; Bajzik et al. 2020).

References
----------
Bajzik, J., Havranek, T., Irsova, Z. & Schwarz, J. (2020). Estimating the Armington elasticity: The importance of
study design and publication bias. *Journal of International Economics* 127, 103383.
https://doi.org/10.1016/j.jinteco.2020.103383
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

#: money ceiling, USD a year: about world GDP in 2024 (USD 110 trillion; IMF WEO, Oct 2024)
MAX_USD_PER_YEAR = 1e14
#: rate ceiling as a fraction: 2,000 %
MAX_RATE = 20.0
#: elasticity ceiling in absolute value
MAX_ELASTICITY = 100.0
#: supply-elasticity ceiling: calibrated export supply can be very elastic (near-complete pass-through of the
#: 2018-19 US tariffs implies η in the hundreds, see docs/models/partial-equilibrium.md §8); at 10,000 the exporter
#: bears about 0.01 % of a tariff, and above that the field should be omitted (perfectly elastic supply)
MAX_SUPPLY_ELASTICITY = 1e4
#: ceiling on the magnitude of any fact, whatever its unit (facts are checked again where they are used)
MAX_FACT_MAGNITUDE = 1e18


@dataclass(frozen=True)
class Bound:
    """The plausible range of one kind of quantity.

    Attributes
    ----------
    name
        What the quantity is, as shown in messages ("trade value").
    low, high
        Limits of the range; ``low_open``/``high_open`` exclude the limit itself.
    unit
        Unit shown after the range ("USD/yr"), or ``""``.
    fix
        How to correct a value outside the range.
    """

    name: str
    low: float
    high: float
    low_open: bool
    high_open: bool
    unit: str
    fix: str

    def contains(self, x: float) -> bool:
        """Whether ``x`` is inside the range (``False`` for NaN and infinities)."""
        if not math.isfinite(x):
            return False
        above = x > self.low if self.low_open else x >= self.low
        below = x < self.high if self.high_open else x <= self.high
        return above and below

    def describe(self) -> str:
        """The range in words, e.g. ``between 0 and 1e+14 USD/yr (0 excluded)``."""
        out = [_num(x) for x, is_open in ((self.low, self.low_open), (self.high, self.high_open)) if is_open]
        unit = f" {self.unit}" if self.unit else ""
        return f"between {_num(self.low)} and {_num(self.high)}{unit}" + (
            f" ({' and '.join(out)} excluded)" if out else "")


def _num(x: float) -> str:
    return f"{x:g}".replace("-", "−")


_RATE_FIX = f"write rates as fractions (25 % = 0.25); {MAX_RATE:g} is {MAX_RATE * 100:,.0f} %"

#: kind → bound, for every numeric field outside ``facts:`` (field names as in the schema)
BOUNDS: Mapping[str, Bound] = MappingProxyType({
    "bargaining_power": Bound("bargaining power", 0, 100, True, False, "",
                              "use a positive number (1 for symmetric Nash; only the ratio of the two matters)"),
    "discount_rate": Bound("discount rate", 0, 10, False, False, "a year",
                           "give an annual rate as a fraction, e.g. 0.05 for 5 % a year"),
    "weight": Bound("political weight", 0, 100, False, False, "",
                    "use 1 for an unorganised group and more than 1 for an organised lobby"),
    "quota": Bound("ratification quota", 0, 1, False, False, "", "use a share, e.g. 0.5 for a majority"),
    "threshold": Bound("ratification threshold", -MAX_USD_PER_YEAR, MAX_USD_PER_YEAR, False, False, "USD/yr",
                       "give the gain (USD a year against the BATNA) the ratifier needs to accept"),
    "votes": Bound("votes", 0, 1e6, False, False, "", "use the ratifier's number of votes or seats (≥ 0)"),
    "cares_about": Bound("ratifier's weight on a stakeholder", -100, 100, False, False, "",
                         "use a weight such as 1 (cares as much as about a dollar of its own) or 2"),
    "demand_elasticity": Bound("demand elasticity", -MAX_ELASTICITY, 0, False, True, "",
                               "write it with a minus sign (e.g. -1.5): demand falls when the price rises"),
    "armington_elasticity": Bound("Armington elasticity", 0, MAX_ELASTICITY, True, False, "",
                                  "use a positive substitution elasticity (median estimate 3.8, Bajzik et al. "
                                  "2020)"),
    "supply_elasticity": Bound("supply elasticity", 0, MAX_SUPPLY_ELASTICITY, True, False, "",
                               "use a positive number, or omit it for perfectly elastic supply"),
    "value": Bound("trade value", 0, MAX_USD_PER_YEAR, True, False, "USD/yr",
                   "give the base-year sales in USD a year (drop suppliers with no sales); 1e14 is about world GDP"),
    "tariff": Bound("tariff rate", -1, MAX_RATE, True, False, "", _RATE_FIX),
    "ntb": Bound("NTB ad-valorem equivalent", -1, MAX_RATE, True, False, "", _RATE_FIX),
    "set": Bound("rate", -1, MAX_RATE, True, False, "", _RATE_FIX),
    "payoffs": Bound("payoff", -MAX_USD_PER_YEAR, MAX_USD_PER_YEAR, False, False, "USD/yr",
                     "give the stakeholder's gain in USD a year against the BATNA; 1e14 is about world GDP"),
})


def kind_of(path: tuple[str | int, ...]) -> str | None:
    """The kind of the quantity at a field path (a key of :data:`BOUNDS`), or ``None``.

    >>> kind_of(("issues", 0, "options", 1, "set", "us_tariff_kor_cars"))
    'set'
    >>> kind_of(("markets", 0, "suppliers", 2, "value"))
    'value'
    >>> kind_of(("valuation", "revisions", 0, "value")) is None
    True
    """
    if len(path) >= 2 and path[-2] in ("set", "payoffs", "cares_about"):
        return str(path[-2])
    if path and path[0] == "valuation":
        return None  # a revised fact takes the fact's own unit; the fact is checked where it is used
    last = path[-1] if path else None
    return last if isinstance(last, str) and last in BOUNDS else None
