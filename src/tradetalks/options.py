"""Every string option of tradetalks, declared once as a ``Literal`` (validated in one place)."""

from __future__ import annotations

from typing import Literal, get_args

#: what an option's lever setting changes in a market
LeverKind = Literal["tariff", "ntb"]
#: agenda categories (used for grouping in reports)
IssueCategory = Literal["tariff", "non_tariff_barrier", "offer", "security", "cooperation", "form"]
#: timeline event kinds
EventKind = Literal["round", "deadline", "tariff_change", "announcement", "deal", "summit", "other"]
#: bargaining solutions, named as in DESIGN.md (other tools use "Kalai" for different things)
SolutionName = Literal["nash", "kalai_smorodinsky", "egalitarian", "utilitarian"]
#: rules that pick a Pareto improvement of a tentative deal (tradetalks.bargain.improve)
ImprovementRule = Literal["equal_gains", "proportional", "nash", "utilitarian"]
#: kinds of domestic ratifier in a two-level game (Putnam 1988)
RatifierKind = Literal["legislature", "lobby", "agency", "executive", "public"]
#: economics behind the payoffs
EconModel = Literal["pe", "ge"]

SOLUTION_NAMES: tuple[str, ...] = get_args(SolutionName)
