"""Frozen results of simulated negotiations: one negotiation (:class:`SimulationResult`) or a tournament
(:class:`TournamentResult`), produced by :mod:`tradetalks.studies.simulate`.

Utilities are in USD a year, political-weight adjusted, measured against the scenario's BATNA (the no-deal package
at the scenario's ``as_of``); discounted utilities are discounted to the start of talks.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tradetalks.errors import TradetalksError
from tradetalks.studies.notebook_view import NotebookView

__all__ = ["END_REASONS", "OfferRecord", "SimulationResult", "TournamentResult"]

#: how talks end, in the code order used by :attr:`TournamentResult.runs`
END_REASONS = ("agreement", "hard_deadline", "round_limit")


def _json(obj: Any) -> Any:
    """Plain JSON-ready data: dates as ISO strings, non-finite floats as None."""
    if isinstance(obj, dict):
        return {str(k): _json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json(v) for v in obj]
    if isinstance(obj, dt.date):
        return obj.isoformat()
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def pair(parties: Sequence[str], values: Sequence[float] | np.ndarray) -> dict[str, float]:
    """{party id: value} for two values."""
    return {parties[0]: float(values[0]), parties[1]: float(values[1])}


@dataclass(frozen=True)
class OfferRecord:
    """One offer: 1-based round, date, proposer (party id), package and utilities (``None``: no offer made)."""

    round: int
    date: dt.date
    proposer: str
    package: dict[str, str] | None
    utilities: dict[str, float] | None
    accepted: bool


@dataclass(frozen=True)
class SimulationResult(NotebookView):
    """One simulated negotiation.

    Attributes
    ----------
    scenario, parties
        Scenario id; party ids (party 0, party 1).
    strategies
        Party id → strategy label (e.g. ``boulware(e=0.1)``).
    first_proposer
        Party id of the proposer in round 1.
    seed, rounds_limit
        Seed of the stochastic strategies; round limit R.
    agreed, end
        Whether talks ended in agreement; ``"agreement"``, ``"hard_deadline"`` or ``"round_limit"``.
    rounds
        Rounds played (the 1-based round of the agreement).
    date
        Date of the agreement, of the hard deadline, or the day after the last round.
    package
        {issue: option}: the agreed package, or on breakdown the no-deal package in force on ``date``.
    utilities, discounted
        Party id → utility (USD/yr, weighted, against the scenario's BATNA), undiscounted and discounted to the
        start of talks.
    batna, nash
        Party id → utility of the no-deal package and of the Nash solution on ``date`` (``nash`` is ``None`` when
        no package beats that BATNA for both).
    nash_distance
        Euclidean distance from ``utilities`` to ``nash`` (USD/yr); ``None`` without a Nash solution.
    offers
        Every offer, in order (empty unless recorded).
    notes
        Defaults that were applied to the scenario.
    """

    scenario: str
    parties: tuple[str, str]
    strategies: dict[str, str]
    first_proposer: str
    seed: int
    rounds_limit: int
    agreed: bool
    end: str
    rounds: int
    date: dt.date
    package: dict[str, str]
    utilities: dict[str, float]
    discounted: dict[str, float]
    batna: dict[str, float]
    nash: dict[str, float] | None
    nash_distance: float | None
    offers: list[OfferRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (dates as ISO strings)."""
        return dict(_json(asdict(self)))

    def to_frame(self) -> pd.DataFrame:
        """One row per offer: round, date, proposer, accepted, ``u_<party>`` and ``package`` (issue=option; ...)."""
        p0, p1 = self.parties
        return pd.DataFrame([{
            "round": o.round, "date": o.date, "proposer": o.proposer, "accepted": o.accepted,
            f"u_{p0}": o.utilities[p0] if o.utilities else math.nan,
            f"u_{p1}": o.utilities[p1] if o.utilities else math.nan,
            "package": "; ".join(f"{k}={v}" for k, v in o.package.items()) if o.package else ""}
            for o in self.offers])

    def __repr__(self) -> str:
        p0, p1 = self.parties
        how = f"agreement in round {self.rounds}" if self.agreed else f"breakdown ({self.end}) after {self.rounds} " \
            "rounds"
        dist = "n/a" if self.nash_distance is None else f"{self.nash_distance / 1e9:.3g} bn"
        return (f"SimulationResult({self.scenario}: {p0} {self.strategies[p0]} vs {p1} {self.strategies[p1]}, "
                f"{self.first_proposer} first; {how} on {self.date}; utilities {p0} "
                f"{self.utilities[p0] / 1e9:.3g} bn, {p1} {self.utilities[p1] / 1e9:.3g} bn USD/yr; "
                f"distance to Nash {dist})")


@dataclass(frozen=True, eq=False)
class TournamentResult(NotebookView):
    """Every ordered pair of strategies × both first proposers × repeats, on one scenario.

    Attributes
    ----------
    scenario, parties
        Scenario id; party ids.
    strategies
        Strategy labels, in the order given.
    rounds_limit, repeats, seed, noise
        Round limit, repeats per pairing, base seed (negotiation ``k`` uses ``default_rng([seed, k])``) and the
        aspiration jitter given to strategies named by string.
    table
        One row per (strategy of party 0, strategy of party 1, first proposer): ``n``, ``agreement_rate``,
        ``mean_rounds`` (over agreements), ``u_<party>`` and ``disc_<party>`` (mean undiscounted and discounted
        utility, USD/yr, a breakdown counting as the BATNA it pays), ``nash_distance`` (mean, USD/yr).
    runs
        One row per negotiation: the strategies, ``first``, ``agreed``, ``end``, ``rounds``, ``date``, ``u_<party>``,
        ``disc_<party>``, ``nash_distance`` and ``batna_<party>`` (the BATNA in force on that date).
    notes
        Defaults that were applied to the scenario.
    """

    scenario: str
    parties: tuple[str, str]
    strategies: list[str]
    rounds_limit: int
    repeats: int
    seed: int
    noise: float
    table: pd.DataFrame
    runs: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def n_negotiations(self) -> int:
        return len(self.runs)

    def to_frame(self) -> pd.DataFrame:
        """The per-pairing table (a copy)."""
        return self.table.copy()

    def matrix(self, value: str = "agreement_rate") -> pd.DataFrame:
        """A table column as a strategy-of-party-0 × strategy-of-party-1 matrix, averaged over first proposers
        (for heatmaps), rows and columns in the order of :attr:`strategies`.

        ``value`` is a column of :attr:`table`, e.g. ``agreement_rate``, ``mean_rounds``, ``nash_distance``.
        """
        p0, p1 = self.parties
        if value not in self.table.columns or value in (f"strategy_{p0}", f"strategy_{p1}", "first"):
            raise TradetalksError(f"no tournament column {value!r}.",
                                  fix=f"use one of {', '.join(self.table.columns[3:])}")
        m = self.table.pivot_table(index=f"strategy_{p0}", columns=f"strategy_{p1}", values=value, aggfunc="mean")
        return m.reindex(index=self.strategies, columns=self.strategies)

    def by_strategy(self) -> pd.DataFrame:
        """Per strategy, over both roles: agreement rate, mean rounds, mean distance to Nash, and its mean
        utility when it plays each party."""
        p0, p1 = self.parties
        rows = []
        for s in self.strategies:
            mine = self.runs[(self.runs[f"strategy_{p0}"] == s) | (self.runs[f"strategy_{p1}"] == s)]
            rows.append({"strategy": s, "n": len(mine), "agreement_rate": mine["agreed"].mean(),
                         "mean_rounds": mine.loc[mine["agreed"], "rounds"].mean(),
                         "nash_distance": mine["nash_distance"].mean(),
                         f"u_{p0}_as_{p0}": self.runs.loc[self.runs[f"strategy_{p0}"] == s, f"u_{p0}"].mean(),
                         f"u_{p1}_as_{p1}": self.runs.loc[self.runs[f"strategy_{p1}"] == s, f"u_{p1}"].mean()})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: the settings, the per-pairing table and the per-strategy summary."""
        head = {k: getattr(self, k) for k in ("scenario", "parties", "strategies", "rounds_limit", "repeats",
                                              "seed", "noise", "notes")}
        return dict(_json({**head, "n_negotiations": self.n_negotiations,
                           "table": self.table.to_dict(orient="records"),
                           "by_strategy": self.by_strategy().to_dict(orient="records")}))

    def __repr__(self) -> str:
        p0, p1 = self.parties
        shown = self.table.copy()
        for c in (f"u_{p0}", f"u_{p1}", f"disc_{p0}", f"disc_{p1}", "nash_distance"):
            shown[c] = shown[c] / 1e9
        body = shown.drop(columns=[f"disc_{p0}", f"disc_{p1}"]).to_string(
            index=False, float_format=lambda x: f"{x:.3g}", max_rows=20)
        return (f"TournamentResult({self.scenario}: {len(self.strategies)} strategies, {self.n_negotiations} "
                f"negotiations of up to {self.rounds_limit} rounds, agreement rate "
                f"{self.runs['agreed'].mean():.1%}; utilities and distances in USD bn/yr)\n{body}")
