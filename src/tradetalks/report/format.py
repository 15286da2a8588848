"""Formatting shared by every view (terminal, HTML report, CSV): money, quantities, labels. No computation.

Example
-------
>>> money(1.234e9), money(-4.56e7), money(None)
('$1.23bn', '-$45.6m', '—')
>>> quantity(248.8e9, "USD/yr"), quantity(0.025, "ad valorem"), quantity(8.1e6, "vehicles/yr")
('$248.8bn/yr', '0.025', '8.1 million')
>>> short("Online-platform regulation and data rules", 20)
'Online-platform reg…'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


def money(x: float | None) -> str:
    """USD/yr as a short string: ``$1.23bn``, ``-$45.6m``."""
    if x is None:
        return "—"
    sign = "-" if x < 0 else ""
    a = abs(x)
    if a >= 1e9:
        return f"{sign}${a / 1e9:,.2f}bn"
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.1f}m"
    return f"{sign}${a:,.0f}"


_SCALES = ((1e12, "tn", "trillion"), (1e9, "bn", "billion"), (1e6, "m", "million"))


def quantity(value: float, unit: str) -> str:
    """A fact's value in plain words for its unit: money with a scale word, large counts in millions, never
    scientific notation."""
    head = unit.split("/", 1)
    currency = {"USD": "$", "KRW": "₩"}.get(head[0].strip())
    per = f"/{head[1]}" if len(head) > 1 else ""
    a, sign = abs(value), "-" if value < 0 else ""
    for scale, short_word, long_word in _SCALES:
        if a >= scale:
            if currency:
                return f"{sign}{currency}{a / scale:,.4g}{short_word}{per}"
            return f"{sign}{a / scale:,.4g} {long_word}"
    if currency:
        return f"{sign}{currency}{a:,.6g}{per}"
    return f"{value:,.6g}"


def short(text: str, n: int = 40) -> str:
    """``text`` cut to at most ``n`` characters, with an ellipsis when cut."""
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def count_with_interval(count: float, ci95: tuple[float, float] | list[float] | None, *, exact: bool) -> str:
    """A count, exact to the unit, or sampled: rounded to what its 95 % interval supports, with the interval.

    >>> count_with_interval(578041851, None, exact=True)
    '578,041,851'
    >>> count_with_interval(222675259399766432, (221784000000000000, 223560000000000000), exact=False)
    '≈2.227×10^17 (95% CI 2.218×10^17–2.236×10^17)'
    >>> count_with_interval(534932770, None, exact=False)
    '≈5×10^8 (sampled, no interval)'
    """
    if exact:
        return f"{round(count):,}"
    if not ci95:
        return f"≈{_sig(count, 1)} (sampled, no interval)"
    lo, hi = ci95
    width = max(hi - lo, 1.0)
    digits = max(1, min(6, math.floor(math.log10(max(abs(count), 1.0))) - math.floor(math.log10(width)) + 2))
    return f"≈{_sig(count, digits)} (95% CI {_sig(lo, digits)}–{_sig(hi, digits)})"


def _sig(x: float, digits: int) -> str:
    if abs(x) < 1e6:
        return f"{round(x, -max(0, math.floor(math.log10(max(abs(x), 1.0))) - digits + 1)):,.0f}"
    exp = math.floor(math.log10(abs(x)))
    mant = x / 10**exp
    return f"{mant:.{max(digits - 1, 0)}f}×10^{exp}"


def option_label(op: Any) -> str:
    """An option's label, marked when it is the no-deal option or cannot stand alone (a constraint)."""
    label = op.label
    if op.is_batna and "no deal" not in label.lower():
        label += " (no deal)"
    return label if op.feasible else label + " †"


@dataclass(frozen=True)
class Labels:
    """People's names for issue and option ids (ids stay in JSON; views show these)."""

    issues: Mapping[str, str]
    options: Mapping[tuple[str, str], str]

    @classmethod
    def from_issues(cls, issues: Iterable[Any]) -> Labels:
        """From :class:`~tradetalks.studies.analyze_results.IssueStakes` rows (or anything with the same fields)."""
        iss = list(issues)
        return cls(issues={i.id: i.name for i in iss},
                   options={(i.id, op.option): op.label for i in iss for op in i.options})

    @classmethod
    def from_scenario(cls, scenario: Any) -> Labels:
        """From a :class:`~tradetalks.scenario.schema.Scenario`."""
        return cls(issues={i.id: i.name for i in scenario.issues},
                   options={(i.id, op.id): op.label for i in scenario.issues for op in i.options})

    def issue(self, issue: str) -> str:
        return self.issues.get(issue, issue)

    def option(self, issue: str, option: str) -> str:
        return self.options.get((issue, option), option)

    def changes(self, package: Mapping[str, str], batna: Mapping[str, str]) -> list[str]:
        """Every issue settled differently from the no-deal package, as ``issue: option`` labels (none hidden)."""
        return [f"{self.issue(i)}: {self.option(i, o)}" for i, o in package.items() if batna.get(i) != o]
