"""Frozen results of inverse bargaining (:mod:`tradetalks.studies.inverse`): what the real deal reveals.

Parameters are in their facts' units (political weights are dimensionless multipliers on a stakeholder's USD;
discount rates are 1/yr; valuations USD/yr; elasticities dimensionless). Gains and shortfalls are party utilities:
weighted USD/yr on the scenario's time basis. A bargaining-power *share* is the party-0 exponent of the asymmetric
Nash product divided by the sum of both exponents (dimensionless, in (0, 1)). Nash-product gaps are in
natural-log units of the (power-normalised) Nash product: a gap of 0.05 means the package's weighted
geometric-mean gain is about 5 % below the best frontier package's.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

__all__ = ["Acceptance", "AcceptanceCheck", "InverseResult", "ParameterPosterior", "SettlementFit"]


def _json(obj: Any) -> Any:
    """Plain JSON-ready data: tuples as lists, non-finite floats as None."""
    if isinstance(obj, dict):
        return {str(k): _json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json(v) for v in obj]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    return obj


@dataclass(frozen=True)
class ParameterPosterior:
    """Prior and posterior of one inferred parameter (or of the derived bargaining-power share).

    Attributes
    ----------
    id
        Fact id (``power_share:<party>`` for the derived power share).
    label
        What it is, in words (e.g. ``KOR weight of Rice farmers``).
    unit
        The fact's unit.
    value
        The scenario's point value (the value a single analysis uses).
    prior_low, prior_high
        Support of the flat prior, in the fact's unit.
    prior_basis
        Where the prior comes from (``range`` of the fact, or the documented default spread).
    prior_mean, prior_quantiles
        Mean and (5 %, 50 %, 95 %) quantiles of the prior draws.
    posterior_mean, posterior_quantiles
        The same under the posterior (importance weights of the draws).
    map
        Value at the most likely draw (the MAP point among the draws).
    shift
        ``(posterior_mean - prior_mean) / prior standard deviation``: how far the deal moved the belief.
    """

    id: str
    label: str
    unit: str
    value: float
    prior_low: float
    prior_high: float
    prior_basis: str
    prior_mean: float
    prior_quantiles: tuple[float, float, float]
    posterior_mean: float
    posterior_quantiles: tuple[float, float, float]
    map: float
    shift: float


@dataclass(frozen=True)
class SettlementFit:
    """How well the model explains one settled package (the observed deal or a dated settlement).

    Attributes
    ----------
    label, date
        The settlement (event title or the observed-outcome title) and its date (ISO) or ``None``.
    settled_issues
        Issues the settlement fixed; the others stay at the no-deal option in force on the date.
    package
        Issue → option of the settled package (unsettled issues at their no-deal option).
    p_in_zopa_prior
        Share of prior draws under which the package beats the no-deal outcome of its date for both sides.
    p_on_frontier_prior, p_on_frontier_posterior
        Probability that it is Pareto-efficient (a point of its menu's frontier), under the prior and the posterior.
    p_predicted_prior, p_predicted_posterior
        Probability that it *is* the predicted (Nash) package, under the prior and under the posterior given the
        observed deal.
    p_near_prior, p_near_posterior
        Probability that its Nash product is within ``near`` (log units) of the best package's.
    gap_posterior_quantiles
        (5 %, 50 %, 95 %) posterior quantiles of the Nash-product gap (log units; ``inf`` outside the ZOPA).
    log_evidence
        ``log`` of the mean likelihood over the prior draws (marginal likelihood of this settlement).
    ess_own
        Effective sample size of the posterior given this settlement alone.
    p_predicted_own
        Probability that it is the predicted package under its own posterior.
    """

    label: str
    date: str | None
    settled_issues: tuple[str, ...]
    package: dict[str, str]
    p_in_zopa_prior: float
    p_on_frontier_prior: float
    p_on_frontier_posterior: float
    p_predicted_prior: float
    p_predicted_posterior: float
    p_near_prior: float
    p_near_posterior: float
    gap_posterior_quantiles: tuple[float, float, float]
    log_evidence: float
    ess_own: float
    p_predicted_own: float


@dataclass(frozen=True)
class AcceptanceCheck:
    """One uncertain input moved alone over its range (every other fact at its point value): how close it brings
    the observed deal to both sides' acceptance.

    Attributes
    ----------
    input
        The fact id, or ``group:<name>`` for a ``draw_with`` group (its facts move together).
    facts
        Facts it moves; the values below are those of the first.
    unit
        The first fact's unit.
    point, low, high
        Its point value and the ends of its range (0 and 1 quantiles; a finite stand-in for an untruncated tail).
    shortfall_low, shortfall_high
        Shortfall (weighted USD/yr: what the losing side(s) would need) with the input at each end.
    best_value, best_shortfall
        The value of the scan with the smallest shortfall, and that shortfall.
    improvement
        Shortfall at the point values minus ``best_shortfall`` (weighted USD/yr).
    threshold
        The value nearest the point at which the deal enters the ZOPA (interpolated on the scan), ``None`` if it
        never does within the range.
    """

    input: str
    facts: tuple[str, ...]
    unit: str
    point: float
    low: float
    high: float
    shortfall_low: float
    shortfall_high: float
    best_value: float
    best_shortfall: float
    improvement: float
    threshold: float | None


@dataclass(frozen=True)
class Acceptance:
    """How far the observed deal is from acceptance by both sides on its date ("what would it take").

    Attributes
    ----------
    point_gains
        Party → gain from the deal over the no-deal outcome of its date at the point values (weighted USD/yr).
    point_shortfall
        Sum over parties of the losses at the point values (0 when the deal is in the ZOPA there).
    in_zopa_share
        Share of prior draws under which both gain.
    closest_draw_shortfall, closest_draw_gains
        The smallest shortfall over the prior draws and that draw's gains.
    checks
        One per uncertain input, smallest reachable shortfall first (then largest improvement).
    """

    point_gains: dict[str, float]
    point_shortfall: float
    in_zopa_share: float
    closest_draw_shortfall: float
    closest_draw_gains: dict[str, float]
    checks: tuple[AcceptanceCheck, ...]


@dataclass(frozen=True)
class InverseResult:
    """What the real deal reveals about the parties' political weights and bargaining power.

    Attributes
    ----------
    scenario
        Scenario id.
    parties
        Party ids (party 0, party 1).
    draws, seed
        Prior draws and the seed that drew them.
    temperature
        Logit temperature τ of the likelihood (log Nash-product units).
    temperature_estimated
        Whether τ was chosen by maximising the marginal likelihood over :attr:`evidence_by_temperature`.
    evidence_by_temperature
        τ → log marginal likelihood of the observed deal (only the stated τ unless estimated).
    near
        Distance (log Nash-product units) within which a package counts as "near" the predicted one.
    power_rule
        How bargaining powers follow from the parameters: ``rubinstein`` (from the discount rates) or ``direct``.
    parameters
        One :class:`ParameterPosterior` per inferred fact, then the derived power share of party 0.
    ess
        Effective sample size of the posterior, ``(Σw)² / Σw²`` (draws).
    consistent_draws
        Prior draws with a positive likelihood (the observed deal in their ZOPA).
    observed
        Fit of the observed deal (the likelihood behind the posterior).
    settlements
        Fit of every dated settlement of the timeline (cumulative: what was agreed by the date).
    map_point
        Parameter id → value at the most likely draw, with the power share.
    map_nash_package
        Issue → option of the Nash package at the MAP point (against the no-deal outcome of the deal's date).
    map_differences
        Issue → (Nash option at the MAP point, observed option) where the two differ.
    map_predicted
        Whether the observed deal is the Nash package at the MAP point.
    findings
        Plain-language conclusions generated from the posterior.
    explained
        Whether some prior draw puts the observed deal in the ZOPA. If not there is no posterior: its fields are
        NaN, the "MAP" point is the draw closest to acceptance and :attr:`acceptance` says what it would take.
    inputs
        Uncertain inputs drawn (a ``draw_with`` group is one).
    held_fixed
        Uncertain facts held at a ``--set`` value instead of drawn.
    seconds, draws_per_second
        Wall time of the run (set-up, draws and summaries) and draws per second.
    acceptance
        How far the observed deal is from acceptance (``None`` for problems without a scenario).
    """

    scenario: str
    parties: tuple[str, str]
    draws: int
    seed: int
    temperature: float
    temperature_estimated: bool
    evidence_by_temperature: dict[float, float]
    near: float
    power_rule: str
    parameters: tuple[ParameterPosterior, ...]
    ess: float
    consistent_draws: int
    observed: SettlementFit
    settlements: tuple[SettlementFit, ...]
    map_point: dict[str, float]
    map_nash_package: dict[str, str]
    map_differences: dict[str, tuple[str, str]]
    map_predicted: bool
    findings: tuple[str, ...]
    explained: bool = True
    inputs: int = 0
    held_fixed: tuple[str, ...] = ()
    seconds: float = 0.0
    draws_per_second: float = 0.0
    acceptance: Acceptance | None = None

    @property
    def headline(self) -> str:
        """One sentence: how much of the prior explains the deal and, if none, how far it is from acceptance."""
        if not self.explained:
            acc = self.acceptance
            gap = "" if acc is None else (f"; the closest of {self.draws} draws still leaves a shortfall of "
                                          f"${acc.closest_draw_shortfall / 1e9:.2f}bn/yr")
            return f"no prior draw puts the real deal in the ZOPA{gap}."
        return (f"{self.consistent_draws / self.draws:.0%} of {self.draws:,} prior draws put the real deal in the "
                f"ZOPA (posterior on an effective {self.ess:.0f} draws); it is the draw's Nash package in "
                f"{self.observed.p_predicted_posterior:.0%} of the posterior.")

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-ready data (non-finite numbers as ``None``)."""
        out = asdict(self)
        out["evidence_by_temperature"] = {f"{k:g}": v for k, v in self.evidence_by_temperature.items()}
        return dict(_json(out))

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter: prior and posterior mean and quantiles, MAP and shift."""
        rows = []
        for p in self.parameters:
            rows.append({"id": p.id, "label": p.label, "unit": p.unit, "value": p.value,
                         "prior_mean": p.prior_mean, "prior_q05": p.prior_quantiles[0],
                         "prior_q95": p.prior_quantiles[2], "posterior_mean": p.posterior_mean,
                         "posterior_q05": p.posterior_quantiles[0], "posterior_q50": p.posterior_quantiles[1],
                         "posterior_q95": p.posterior_quantiles[2], "map": p.map, "shift": p.shift})
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (f"InverseResult(scenario={self.scenario!r}, draws={self.draws}, temperature={self.temperature:g}, "
                f"explained={self.explained}, ess={self.ess:.1f}, consistent={self.consistent_draws}, "
                f"P(observed predicted)={self.observed.p_predicted_posterior:.3f}, "
                f"parameters={len(self.parameters)})")
