"""Results of the Monte Carlo study (:func:`tradetalks.studies.uncertainty.uncertainty`): frozen, JSON-ready.

Utilities and gains are in USD a year, weighted by the political weights, measured against the BATNA (no-deal
package) of the same draw; shares are fractions of the draws (0.23 = 23 %). Intervals are equal-tailed: the 5th,
50th and 95th percentiles of the draws, and their mean.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tradetalks.jsonable import jsonable
from tradetalks.studies.notebook_view import NotebookView

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Interval:
    """Summary of one quantity over the draws: mean and the 5th, 50th and 95th percentiles (the quantity's unit)."""

    mean: float
    p05: float
    p50: float
    p95: float


@dataclass(frozen=True)
class UncertainInput:
    """One input drawn independently: a fact, or a ``draw_with`` group of facts sharing one quantile.

    Attributes
    ----------
    id
        The fact id, or ``group:<name>``.
    facts
        Facts it moves.
    kinds
        Distribution kind of each fact (``uniform`` for a bare ``range``).
    low, high
        Per fact, the 5th and 95th percentiles of its distribution (the fact's unit).
    spread
        Per fact, its ``spread_source`` or ``spread_assumption``.
    """

    id: str
    facts: list[str]
    kinds: list[str]
    low: list[float]
    high: list[float]
    spread: list[str]


@dataclass(frozen=True)
class IssueShares:
    """How often each option of one issue is in the Nash package (share of draws with an agreement)."""

    issue: str
    name: str
    base_option: str | None
    base_share: float
    shares: dict[str, float]


@dataclass(frozen=True)
class SolutionSpread:
    """One bargaining solution across the draws.

    Attributes
    ----------
    name
        ``nash``, ``kalai_smorodinsky``, ``egalitarian`` or ``utilitarian``.
    base_package
        The solution at the point values of every fact (None if there is none).
    found_share
        Share of draws with some package at least as good as the BATNA for both (strictly better for Nash).
    same_package_share
        Share of all draws in which the solution is exactly ``base_package``.
    gains
        Per party, the solution's gain over the BATNA across the draws where it exists, weighted USD/yr.
    """

    name: str
    base_package: dict[str, str] | None
    found_share: float
    same_package_share: float
    gains: dict[str, Interval]


@dataclass(frozen=True)
class ObservedSpread:
    """The real deal held against every draw's frontier.

    Attributes
    ----------
    in_zopa_share
        Share of draws in which the deal is strictly better than the BATNA for both parties.
    on_frontier_share
        Share of draws in which no package Pareto-dominates the deal (None on the fast path, as the next two).
    utilities
        Per party, the deal's utility against the BATNA, weighted USD/yr.
    left_on_table
        Largest joint gain of a Pareto improvement of the deal (0 on the frontier), weighted USD/yr.
    distance
        Largest gain both parties could still get at once (Chebyshev distance to the frontier), weighted USD/yr.
    """

    package: dict[str, str]
    in_zopa_share: float
    on_frontier_share: float | None
    utilities: dict[str, Interval]
    left_on_table: Interval | None
    distance: Interval | None


@dataclass(frozen=True)
class RobustPackage:
    """A package that holds up across the draws.

    Attributes
    ----------
    criterion
        ``beats_batnas``: the candidate most often strictly better than the BATNA for both parties (ties: larger
        expected Nash product); ``expected_nash_product``: the candidate with the largest mean of
        ``∏ max(u_i, 0)^α_i`` (USD/yr to the power α₀ + α₁).
    package
        The package.
    beats_batnas_share
        Share of draws in which it is strictly better than the BATNA for both.
    expected_nash_product
        Mean Nash product over the draws (0 in a draw where a party loses), (weighted USD/yr)^(α₀+α₁).
    nash_share
        Share of draws in which it is the Nash package.
    gains
        Per party, its utility against the BATNA across the draws, weighted USD/yr.
    candidates
        How many packages were compared (the Nash packages of a pilot run, the solutions at the point values and
        the real deal when feasible).
    """

    criterion: str
    package: dict[str, str]
    beats_batnas_share: float
    expected_nash_product: float
    nash_share: float
    gains: dict[str, Interval]
    candidates: int


@dataclass(frozen=True)
class SobolIndex:
    """Sobol indices of one input for one output (SALib, Saltelli/Jansen estimators, 95 % bootstrap half-widths).

    ``first_order``: share of the output's variance the input explains alone; ``total``: including its
    interactions with the others. NaN when the output does not vary.
    """

    input: str
    facts: list[str]
    first_order: float
    first_order_conf: float
    total: float
    total_conf: float


@dataclass(frozen=True)
class SobolResult:
    """Variance-based global sensitivity of the key outputs.

    Attributes
    ----------
    base_samples
        N of the Saltelli design (a power of 2); the model ran ``N (k + 2)`` times for ``k`` inputs.
    evaluations
        Model runs.
    outputs
        Per output (``gain:<party>`` — the Nash gain, weighted USD/yr; ``nash_changes`` — 1 when the Nash package
        differs from the one at the point values), its indices sorted by total index, largest first.
    """

    base_samples: int
    evaluations: int
    seed: int
    outputs: dict[str, list[SobolIndex]]


@dataclass(frozen=True)
class UncertaintyResult(NotebookView):
    """Monte Carlo of the whole analysis over the scenario's uncertain facts; see ``docs/models/uncertainty.md``.

    Attributes
    ----------
    scenario
        Scenario id.
    parties
        The two party ids (party 0, party 1).
    n_draws, seed, chunk_size
        The run: a result depends on these only (not on the number of workers).
    workers, seconds
        How it ran (not part of the result's identity).
    inputs
        The uncertain inputs drawn.
    held_fixed
        Uncertain facts held at a ``--set`` override instead of drawn.
    no_agreement_share
        Share of draws with no package strictly better than the BATNA for both (empty ZOPA).
    issues
        Per issue, how often each option is in the Nash package.
    base_nash_share
        Share of draws whose Nash package is the one at the point values.
    modal_package, modal_share
        The most frequent Nash package and its share.
    solutions
        Each bargaining solution computed across the draws (only ``nash`` on the fast path).
    observed
        The real deal across the draws (None without an observed outcome).
    robust
        The robust packages (by both criteria).
    sobol
        Global sensitivity (None when skipped).
    tornado
        The one-at-a-time view over the same ranges (:mod:`tradetalks.studies.sensitivity`): its ten largest rows.
    headline
        One sentence on how robust the headline is.
    """

    scenario: str
    parties: list[str]
    n_draws: int
    seed: int
    chunk_size: int
    workers: int
    seconds: float
    inputs: list[UncertainInput]
    held_fixed: list[str]
    no_agreement_share: float
    issues: list[IssueShares]
    base_nash_share: float
    modal_package: dict[str, str] | None
    modal_share: float
    solutions: dict[str, SolutionSpread]
    observed: ObservedSpread | None
    robust: list[RobustPackage]
    sobol: SobolResult | None
    tornado: list[dict[str, Any]]
    headline: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (floats rounded to 6 significant digits)."""
        return dict(jsonable(dataclasses.asdict(self)))

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per issue × option: how often Nash picks it (``share``) and whether it is the point choice."""
        import pandas as pd

        rows = [{"issue": i.issue, "option": opt, "share": share, "point_nash": opt == i.base_option}
                for i in self.issues for opt, share in i.shares.items()]
        return pd.DataFrame(rows, columns=["issue", "option", "share", "point_nash"])

    def __repr__(self) -> str:
        return (f"UncertaintyResult({self.scenario!r}: {self.n_draws} draws, seed {self.seed}, "
                f"{len(self.inputs)} uncertain inputs; {self.headline})")
