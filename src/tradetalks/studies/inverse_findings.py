"""Summaries of the inverse-bargaining posterior and the plain-language findings generated from them.

Helpers of :mod:`tradetalks.studies.inverse`: weighted quantiles of importance-weighted draws, one
:class:`~tradetalks.studies.inverse_results.ParameterPosterior` per parameter, one
:class:`~tradetalks.studies.inverse_results.SettlementFit` per settled package, and sentences built from them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradetalks.scenario.expressions import names_in
from tradetalks.scenario.schema import Scenario
from tradetalks.studies.inverse_results import AcceptanceCheck, InverseResult, ParameterPosterior, SettlementFit

if TYPE_CHECKING:
    from tradetalks.studies.inverse import Draws, Target

#: quantiles reported (5 %, 50 %, 95 %)
QUANTILES = (0.05, 0.5, 0.95)
#: a parameter is worth a sentence when its posterior mean moved at least this many prior standard deviations
SHIFT_WORTH_SAYING = 0.1
#: ... and at least this many standard errors of a weighted mean (1 / sqrt(ESS) prior s.d.), so noise is not news
NOISE_MULTIPLE = 2.0
#: at most this many parameter sentences, largest shifts first
MAX_PARAMETER_FINDINGS = 5
#: below this effective sample size the findings warn that the posterior rests on few draws
LOW_ESS = 50.0
#: units printed as a bare number (dimensionless; a unit starting with "share" too)
DIMENSIONLESS = frozenset({"elasticity", "weight", "ratio", "probability", "ad valorem", "ad valorem equivalent"})
#: inputs named in the "what would it take" findings
MAX_ACCEPTANCE_FINDINGS = 5

FloatArray = NDArray[np.float64]


def weighted_quantiles(x: ArrayLike, w: ArrayLike, q: ArrayLike = QUANTILES) -> tuple[float, ...]:
    """Quantiles of ``x`` under weights ``w`` (inverse of the weighted CDF, interpolated at mid-masses).

    >>> weighted_quantiles([1.0, 2.0, 3.0], [1, 1, 1], [0.5])
    (2.0,)
    >>> weighted_quantiles([1.0, 2.0, 3.0], [0, 0, 1], [0.05, 0.95])
    (3.0, 3.0)
    """
    xs, ws = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    keep = ws > 0
    if not keep.any():
        return tuple(float("nan") for _ in np.atleast_1d(q))
    xs, ws = xs[keep], ws[keep]
    order = np.argsort(xs, kind="stable")
    xs, ws = xs[order], ws[order]
    mid = (np.cumsum(ws) - ws / 2) / ws.sum()
    return tuple(float(v) for v in np.interp(np.atleast_1d(q), mid, xs))


def _mean_sd(x: FloatArray, w: FloatArray) -> tuple[float, float]:
    m = float(np.average(x, weights=w))
    return m, float(np.sqrt(np.average((x - m) ** 2, weights=w)))


def parameter_label(scn: Scenario, fid: str) -> str:
    """What a fact is, in words: whose political weight or discount rate it is."""
    names = [f"{p.id} weight of {st.name}" for p in scn.parties for st in p.stakeholders if fid in names_in(st.weight)]
    names += [f"{p.id} discount rate" for p in scn.parties if p.discount_rate is not None
              and fid in names_in(p.discount_rate)]
    names += [f"{p.id} bargaining power" for p in scn.parties if fid in names_in(p.bargaining_power)]
    return "; ".join(names) if names else fid


def _summary(pid: str, label: str, unit: str, value: float, low: float, high: float, basis: str, x: FloatArray,
             w: FloatArray, i_map: int) -> ParameterPosterior:
    flat = np.ones_like(x)
    pm, psd = _mean_sd(x, flat)
    qm, _ = _mean_sd(x, w) if w.sum() > 0 else (float("nan"), 0.0)
    return ParameterPosterior(
        id=pid, label=label, unit=unit, value=value, prior_low=low, prior_high=high, prior_basis=basis,
        prior_mean=pm, prior_quantiles=weighted_quantiles(x, flat),  # type: ignore[arg-type]
        posterior_mean=qm, posterior_quantiles=weighted_quantiles(x, w),  # type: ignore[arg-type]
        map=float(x[i_map]), shift=(qm - pm) / psd if psd > 0 else 0.0)


def fact_summary(scn: Scenario, fid: str, value: float, basis: str, support: tuple[float, float], x: FloatArray,
                 w: FloatArray, i_map: int) -> ParameterPosterior:
    """Prior and posterior of fact ``fid`` from its draws ``x`` (``(D,)``) and posterior weights ``w``."""
    return _summary(fid, parameter_label(scn, fid), scn.facts[fid].unit, value, support[0], support[1], basis, x, w,
                    i_map)


def acceptance_check(scn: Scenario, fids: list[str], values: FloatArray, point: FloatArray, shortfall: FloatArray,
                     margin: FloatArray, point_shortfall: float) -> AcceptanceCheck:
    """One input's one-at-a-time scan: ``values`` ``(Q, f)`` of its facts at the scanned quantiles (increasing),
    ``point`` ``(f,)`` their point values, ``shortfall`` ``(Q,)`` the deal's shortfall at each and ``margin``
    ``(Q,)`` the smaller of the two parties' gains (the threshold is where it crosses zero, interpolated)."""
    v, p0 = values[:, 0], float(point[0])
    best = int(np.argmin(shortfall))
    threshold = None
    zero = np.flatnonzero(shortfall <= 0)
    if zero.size:
        j = int(zero[np.argmin(np.abs(v[zero] - p0))])
        k = j - 1 if v[j] > p0 else j + 1  # the scan point next to it on the point's side
        threshold = float(v[j])
        if 0 <= k < v.size and margin[k] < 0 <= margin[j]:
            threshold = float(v[k] + (v[j] - v[k]) * -margin[k] / (margin[j] - margin[k]))
    key = fids[0] if len(fids) == 1 else f"group:{scn.facts[fids[0]].draw_with}"
    return AcceptanceCheck(input=key, facts=tuple(fids), unit=scn.facts[fids[0]].unit, point=p0, low=float(v[0]),
                           high=float(v[-1]), shortfall_low=float(shortfall[0]), shortfall_high=float(shortfall[-1]),
                           best_value=float(v[best]), best_shortfall=float(shortfall[best]),
                           improvement=point_shortfall - float(shortfall[best]), threshold=threshold)


def power_summary(scn: Scenario, power_rule: str, value: float, share: FloatArray, w: FloatArray,
                  i_map: int) -> ParameterPosterior:
    """The derived bargaining-power share of party 0 (its Nash exponent over the sum of both; ``value`` at the
    scenario's point values)."""
    p0 = scn.parties[0].id
    basis = ("derived: Rubinstein powers r_1 / (r_0 + r_1) from the discount-rate draws"
             if power_rule == "rubinstein" else "derived: bargaining-power facts, normalised")
    return _summary(f"power_share:{p0}", f"{p0} bargaining-power share", "share", value, float(share.min()),
                    float(share.max()), basis, share, w, i_map)


def settlement_fit(tg: Target, out: Draws, k: int, w_obs: FloatArray, w_own: FloatArray, log_evidence: float,
                   near: float) -> SettlementFit:
    """How well the draws explain target ``k``: under the prior, the observed deal's posterior and its own."""
    pred, gap = out.predicted[:, k].astype(np.float64), out.gap[:, k]
    close = (gap <= near).astype(np.float64)
    front = out.on_frontier[:, k].astype(np.float64)
    has = w_own.sum() > 0
    return SettlementFit(
        label=tg.label, date=None if tg.date is None else tg.date.isoformat(), settled_issues=tg.settled,
        package=dict(tg.package), p_in_zopa_prior=float(np.isfinite(gap).mean()),
        p_on_frontier_prior=float(front.mean()), p_on_frontier_posterior=float(front @ w_obs),
        p_predicted_prior=float(pred.mean()), p_predicted_posterior=float(pred @ w_obs),
        p_near_prior=float(close.mean()), p_near_posterior=float(close @ w_obs),
        gap_posterior_quantiles=weighted_quantiles(gap, w_obs),  # type: ignore[arg-type]
        log_evidence=log_evidence, ess_own=float(w_own.sum() ** 2 / (w_own ** 2).sum()) if has else 0.0,
        p_predicted_own=float(pred @ w_own) if has else 0.0)


def _g(x: float) -> str:
    return f"{x:.3g}"


def in_units(x: float, unit: str) -> str:
    """A value in its fact's unit, money in $bn or $m.

    >>> in_units(2.1e9, "USD/yr"), in_units(-3.5e6, "USD"), in_units(1.25, "elasticity"), in_units(0.2, "1/yr")
    ('$2.1bn/yr', '-$3.5m', '1.25', '0.2/yr')
    """
    if unit.startswith("USD") and np.isfinite(x):
        sign, ax = ("-" if x < 0 else ""), abs(x)
        body = f"{ax / 1e9:.3g}bn" if ax >= 1e8 else f"{ax / 1e6:.3g}m"
        return f"{sign}${body}{unit[3:]}"
    if unit in DIMENSIONLESS or unit.startswith("share"):
        return _g(x)
    if unit.startswith("1/"):
        return f"{_g(x)}/{unit[2:]}"
    return f"{_g(x)} {unit}"


def _bn(x: float) -> str:
    return f"${x / 1e9:.2f}bn/yr"


def _parameter_sentence(p: ParameterPosterior) -> str:
    lo, _, hi = p.posterior_quantiles
    plo, _, phi = p.prior_quantiles
    u = p.unit
    if p.shift > 0:
        bound = f"at least {in_units(lo, u)} (posterior 5 % quantile; prior 5 %: {in_units(plo, u)})"
    else:
        bound = f"at most {in_units(hi, u)} (posterior 95 % quantile; prior 95 %: {in_units(phi, u)})"
    label = p.label if p.label != p.id else p.id.replace("_", " ")
    return (f"The deal is consistent with {label} ({p.id}) {bound}; posterior mean {in_units(p.posterior_mean, u)} "
            f"against a prior mean of {in_units(p.prior_mean, u)} (shift {p.shift:+.2f} prior s.d.).")


def _acceptance_findings(r: InverseResult) -> list[str]:
    acc = r.acceptance
    if acc is None:
        return []
    out = []
    losers = [p for p, g in acc.point_gains.items() if g < 0]
    if losers or not r.explained:
        gains = ", ".join(f"{p} {_bn(g)}" for p, g in acc.point_gains.items())
        out.append(f"At the point values the deal's gains over the no-deal outcome of {r.observed.date} are {gains}"
                   + (f": {' and '.join(losers)} would not accept it (shortfall {_bn(acc.point_shortfall)})."
                      if losers else "."))
    if not r.explained:
        out.append(f"No prior draw puts the deal in the ZOPA, so there is no posterior; the closest draw still "
                   f"leaves a shortfall of {_bn(acc.closest_draw_shortfall)} ("
                   + ", ".join(f"{p} {_bn(g)}" for p, g in acc.closest_draw_gains.items()) + ").")
    if losers or not r.explained:
        useful = [c for c in acc.checks if c.improvement > 0][:MAX_ACCEPTANCE_FINDINGS]
        for c in useful:
            name = c.input if len(c.facts) == 1 else f"{c.input} ({', '.join(c.facts)}, moved together)"
            if c.threshold is not None:
                out.append(f"What would it take: {name} at {in_units(c.threshold, c.unit)} (point "
                           f"{in_units(c.point, c.unit)}, range {in_units(c.low, c.unit)} to "
                           f"{in_units(c.high, c.unit)}) alone puts the deal in the ZOPA.")
            else:
                out.append(f"What would it take: {name} at {in_units(c.best_value, c.unit)} (range end; point "
                           f"{in_units(c.point, c.unit)}) cuts the shortfall to {_bn(c.best_shortfall)} but not "
                           "to zero.")
        if not useful:
            out.append("No single input moved over its range brings the deal closer to acceptance.")
    return out


def findings(r: InverseResult) -> list[str]:
    """Plain-language conclusions, all generated from the posterior summaries of ``r``."""
    obs = r.observed
    if not r.explained:
        return [f"None of {r.draws} prior draws of {r.inputs} uncertain inputs makes the observed deal better than "
                f"the no-deal outcome of {obs.date} for both sides: the model cannot explain it at these ranges.",
                *_acceptance_findings(r)]
    out = [f"{r.consistent_draws} of {r.draws} prior draws of {r.inputs} uncertain inputs "
           f"({r.consistent_draws / r.draws:.0%}) make the observed "
           f"deal better than the no-deal outcome of {obs.date} for both sides; the posterior rests on an effective "
           f"sample of {r.ess:.0f} draws (temperature {r.temperature:g} log Nash-product units"
           + (", chosen by marginal likelihood)." if r.temperature_estimated else ").")]
    out.append(f"The observed deal is the Nash package of the draw in {obs.p_predicted_prior:.1%} of prior draws "
               f"and {obs.p_predicted_posterior:.1%} of the posterior; its Nash product is within {r.near:g} log "
               f"units of the best package's in {obs.p_near_prior:.1%} (prior) and {obs.p_near_posterior:.1%} "
               f"(posterior); median posterior gap {_g(obs.gap_posterior_quantiles[1])}. It is Pareto-efficient "
               f"(nothing left on the table) in {obs.p_on_frontier_prior:.1%} of prior and "
               f"{obs.p_on_frontier_posterior:.1%} of posterior draws.")
    # a shift is worth a sentence only above Monte Carlo noise: a weighted mean's standard error is about one prior
    # s.d. over the square root of the effective sample
    threshold = max(SHIFT_WORTH_SAYING, NOISE_MULTIPLE / np.sqrt(max(r.ess, 1.0)))
    movers = sorted((p for p in r.parameters[:-1] if abs(p.shift) >= threshold),
                    key=lambda p: -abs(p.shift))[:MAX_PARAMETER_FINDINGS]
    out += [_parameter_sentence(p) for p in movers]
    if movers:
        weights = ("A political weight is the value of a stakeholder's dollar relative to a dollar of consumers, "
                   "taxpayers or security (weight 1); t" if any(" weight of " in p.label for p in movers) else "T")
        out.append(f"{weights}he other parameters moved less than {threshold:.2f} prior standard deviations, within "
                   "Monte Carlo noise or uninformed by the deal.")
    else:
        out.append(f"No parameter moved by as much as {threshold:.2f} prior standard deviations: the deal says "
                   "little about them.")
    pw = r.parameters[-1]
    lo, med, hi = pw.posterior_quantiles
    out.append(f"{r.parties[0]}'s bargaining-power share: posterior median {med:.2f} (90 % interval "
               f"{lo:.2f}-{hi:.2f}) against a prior median of {pw.prior_quantiles[1]:.2f}; the scenario's point "
               f"value is {pw.value:.2f}.")
    if r.map_differences:
        diff = "; ".join(f"{i}: {p} under Nash, {o} signed" for i, (p, o) in r.map_differences.items())
        out.append(f"At the most likely parameters the Nash package differs from the deal on "
                   f"{len(r.map_differences)} issue(s): {diff}.")
    elif r.map_nash_package:
        out.append("At the most likely parameters the Nash package has the deal's option on every issue.")
    for s in r.settlements:
        if s.package == obs.package and s.date == obs.date:
            out.append(f"Settlement {s.label}: the observed deal itself (same package and date).")
            continue
        out.append(f"Settlement {s.label}: the Nash package in {s.p_predicted_prior:.1%} of prior and "
                   f"{s.p_predicted_posterior:.1%} of posterior draws; within {r.near:g} of the best in "
                   f"{s.p_near_posterior:.1%} of the posterior.")
    if r.temperature_estimated and r.temperature == max(r.evidence_by_temperature):
        out.append(f"The estimated temperature sits at the top of the grid ({r.temperature:g}): the marginal "
                   "likelihood keeps rising as the choice among frontier packages gets flatter, so the Nash product "
                   "explains the observed deal only weakly.")
    out += _acceptance_findings(r)
    if r.ess < LOW_ESS:
        out.append(f"Caution: an effective sample of {r.ess:.0f} draws is small; raise --draws or the temperature.")
    return out
