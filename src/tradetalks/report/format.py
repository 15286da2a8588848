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

    def issue(self, issue: str) -> str:
        return self.issues.get(issue, issue)

    def option(self, issue: str, option: str) -> str:
        return self.options.get((issue, option), option)

    def changes(self, package: Mapping[str, str], batna: Mapping[str, str]) -> list[str]:
        """Every issue settled differently from the no-deal package, as ``issue: option`` labels (none hidden)."""
        return [f"{self.issue(i)}: {self.option(i, o)}" for i, o in package.items() if batna.get(i) != o]
