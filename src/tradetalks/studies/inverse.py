r"""What the real deal reveals: a posterior over political weights and bargaining power (inverse bargaining).

The forward model predicts a package from parameters :math:`\theta` (the political-weight facts and the discount
rates behind the Rubinstein bargaining powers). The inverse treats the observed deal, and every dated settlement of
the timeline, as data.

Model
-----
Stakeholder payoffs :math:`P(c) \in \mathbb{R}^S` (USD/yr against the scenario's BATNA) do not depend on
:math:`\theta`; party utilities are :math:`U_\theta(c) = P(c)\,W(w_\theta)`, so a draw only re-weights fixed payoff
tables. With the disagreement point :math:`d_\theta = U_\theta(c^0_t)` (the no-deal package in force on the date
:math:`t` of the settlement) and powers :math:`\alpha_\theta` normalised to :math:`a_\theta = \alpha_0 / (\alpha_0 +
\alpha_1)`, the log Nash product of a package with gains :math:`g = U_\theta(c) - d_\theta > 0` is

.. math::

    \ell_\theta(c) = a_\theta \log g_0 + (1 - a_\theta) \log g_1 ,

which does not change when either party's utility is rescaled, so the temperature :math:`\tau` below is in units
of log Nash product (:math:`\tau = 0.1`: a package with a 10 % lower weighted geometric-mean gain is :math:`e`
times less likely).

Likelihood (conditional logit over the frontier)
-------------------------------------------------
The parties pick a package :math:`c` from the choice set :math:`C_\theta = F^+_\theta \cup \{c^*\}`, the distinct
points of the Pareto frontier that beat :math:`d_\theta` for both plus the observed package, with probability

.. math::

    L(\theta) = \Pr(c^* \mid \theta) = \frac{\exp(\ell_\theta(c^*) / \tau)}{\sum_{c \in C_\theta}
    \exp(\ell_\theta(c) / \tau)}, \qquad L(\theta) = 0 \text{ if } c^* \text{ is not in the ZOPA.}

Normalising over all packages (billions) is intractable and not wanted: every dominated package has a lower
Nash product than a frontier point that dominates it, so restricting the choice set to efficient packages is the
model "the parties pick an efficient package, with logit noise in the Nash product", and the observed package is
added when it is not itself a frontier point (it is often dominated: value left on the table). Estimating a logit
on a subset of alternatives follows McFadden (1978). As :math:`\tau \to 0`, :math:`L` tends to the indicator that
:math:`c^*` is the Nash package. A dated settlement that fixed only some issues is a negotiation over those issues
with the others held at their no-deal option of that date: its frontier is computed on that restricted menu.

Posterior
---------
Draw :math:`\theta_1, \dots, \theta_D` from the prior (flat on each fact's ``range``, else on
:math:`[1 - s, 1 + s]` times the point value with :data:`DEFAULT_SPREAD`; facts with the same ``draw_with`` group
share one quantile), weight draw :math:`i` by :math:`L(\theta_i)` (importance sampling with the prior as proposal),
and summarise: weighted means and quantiles, the effective sample size :math:`(\sum w)^2 / \sum w^2`, and the MAP
point (the draw with the largest posterior density; with a flat prior, the largest likelihood). The temperature is
a stated parameter or, with ``temperature=None``, the value in :data:`TEMPERATURE_GRID` with the largest marginal
likelihood :math:`\bar L(\tau) = D^{-1} \sum_i L_\tau(\theta_i)` (empirical Bayes).

References
----------
Nash, J. F. (1950). The bargaining problem. *Econometrica* 18(2), 155-162. https://doi.org/10.2307/1907266

Binmore, K., Rubinstein, A. and Wolinsky, A. (1986). The Nash bargaining solution in economic modelling. *RAND
Journal of Economics* 17(2), 176-188. https://doi.org/10.2307/2555382

McFadden, D. (1978). Modelling the choice of residential location. In Karlqvist et al. (eds), *Spatial Interaction
Theory and Planning Models*, 75-96. North-Holland (logit estimation on a subset of alternatives).

Grossman, G. M. and Helpman, E. (1994). Protection for sale. *American Economic Review* 84(4), 833-850.
https://www.jstor.org/stable/2118033 (political weights)

Goldberg, P. K. and Maggi, G. (1999). Protection for sale: an empirical investigation. *American Economic Review*
89(5), 1135-1155. https://doi.org/10.1257/aer.89.5.1135 (political weights estimated from observed policy)

Talts, S., Betancourt, M., Simpson, D., Vehtari, A. and Gelman, A. (2018). Validating Bayesian inference algorithms
with simulation-based calibration. arXiv:1804.06788 (the synthetic checks in the tests).

Example
-------
>>> from tradetalks.scenario import load_scenario
>>> r = infer(load_scenario("korus-2025", overrides={"usfk_commitment_value": 3e9}), draws=20, seed=1)
>>> r.draws, r.parameters[-1].id
(20, 'power_share:KOR')
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from tradetalks.bargain import solutions as sol
from tradetalks.bargain.frontier import pareto_frontier
from tradetalks.bargain.timing import batna_options_at
from tradetalks.errors import TradetalksError
from tradetalks.executor import Chunk, Executor, plan_chunks
from tradetalks.model import Model, build_model, decode_package, package_choice, package_value
from tradetalks.scenario.expressions import Quantity, evaluate, names_in
from tradetalks.scenario.loader import LoadedScenario
from tradetalks.scenario.schema import Scenario
from tradetalks.studies.inverse_findings import findings, posterior_summary, power_summary, settlement_fit
from tradetalks.studies.inverse_results import InverseResult

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_DRAWS",
    "DEFAULT_NEAR",
    "DEFAULT_SPREAD",
    "DEFAULT_TEMPERATURE",
    "TEMPERATURE_GRID",
    "Draws",
    "InverseProblem",
    "Prior",
    "Target",
    "default_parameters",
    "evaluate_chunk",
    "evaluate_draws",
    "infer",
    "joint_weights",
    "prior_from_facts",
]

#: prior draws by default
DEFAULT_DRAWS = 2000
#: logit temperature τ, in log Nash-product units (a 10 % lower weighted geometric-mean gain is e times less likely)
DEFAULT_TEMPERATURE = 0.1
#: temperatures tried when τ is estimated (marginal likelihood)
TEMPERATURE_GRID = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
#: a package within this Nash-product gap (log units, about 5 %) of the best counts as "near" the predicted one
DEFAULT_NEAR = 0.05
#: half-width of the flat prior, relative to the point value, of a fact that has no ``range``
DEFAULT_SPREAD = 0.5
#: draws per chunk of the executor (the result depends on it through the per-chunk seeds; keep it fixed)
CHUNK_SIZE = 250
#: relative tolerance for "the same utility point" and "the largest Nash product" (far above float64 rounding of
#: sums of a few dozen terms)
SAME_RTOL = 1e-9

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


class InverseError(TradetalksError):
    """The inverse problem cannot be set up (no observed deal, an unknown parameter, no draw explains the deal)."""

    code = "invalid_inverse"


@dataclass(frozen=True, eq=False)
class Prior:
    """Flat prior on a box, with groups of parameters drawn at one common quantile.

    Attributes
    ----------
    ids
        Parameter (fact) ids, ``K`` of them.
    low, high
        Shape ``(K,)``: the support, in the facts' units.
    value
        Shape ``(K,)``: the scenario's point values.
    group
        Shape ``(K,)``: index of the ``draw_with`` group (parameters of one group share a quantile).
    basis
        Per parameter, where the support comes from.
    """

    ids: tuple[str, ...]
    low: FloatArray
    high: FloatArray
    value: FloatArray
    group: IntArray
    basis: tuple[str, ...]

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` draws, shape ``(n, K)``."""
        n_groups = int(self.group.max(initial=-1)) + 1
        u = rng.random((n, n_groups))[:, self.group]
        return np.asarray(self.low + u * (self.high - self.low))


@dataclass(frozen=True, eq=False)
class Target:
    """A settled package to explain.

    Attributes
    ----------
    label, date
        What it is and its date.
    settled
        Issues it fixed.
    package
        Issue → option of the whole package (unsettled issues at the no-deal option of the date).
    menu
        Index into :attr:`InverseProblem.menus`: the package tables the parties chose from.
    package_payoffs, batna_payoffs
        Shape ``(S,)``: stakeholder payoffs (USD/yr against the scenario BATNA) of the package and of the no-deal
        package of the date.
    """

    label: str
    date: dt.date | None
    settled: tuple[str, ...]
    package: dict[str, str]
    menu: int
    package_payoffs: FloatArray
    batna_payoffs: FloatArray


@dataclass(frozen=True, eq=False)
class InverseProblem:
    """Everything one chunk of draws needs (picklable: arrays, strings and a prior).

    Attributes
    ----------
    menus
        Per menu, per group ``(m_g, S)`` stakeholder payoffs of the allowed rows.
    stakeholder_party
        Shape ``(S,)``: 0 or 1.
    weight_exprs
        Political weight of each stakeholder, a number or an expression over facts.
    power_exprs, power_rule
        Two quantities: discount rates (``"rubinstein"``: power of party i is :math:`r_j / (r_0 + r_1)`) or
        bargaining powers (``"direct"``).
    facts
        Point values of every fact (the draws replace the prior's ones).
    prior
        The prior over the inferred facts.
    targets
        The observed deal first, then the dated settlements.
    temperatures
        Logit temperatures evaluated (one, or :data:`TEMPERATURE_GRID`).
    """

    menus: tuple[tuple[FloatArray, ...], ...]
    stakeholder_party: IntArray
    weight_exprs: tuple[Quantity, ...]
    power_exprs: tuple[Quantity, Quantity]
    power_rule: str
    facts: dict[str, float]
    prior: Prior
    targets: tuple[Target, ...]
    temperatures: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class Draws:
    """Per-draw evaluation of ``n`` parameter draws against ``T`` targets and ``L`` temperatures.

    Attributes
    ----------
    theta
        Shape ``(n, K)``: the parameters.
    share
        Shape ``(n,)``: bargaining-power share of party 0.
    loglik
        Shape ``(n, T, L)``: log likelihood (``-inf`` outside the ZOPA).
    gap
        Shape ``(n, T)``: Nash-product gap to the best package, log units (``inf`` outside the ZOPA).
    predicted
        Shape ``(n, T)``: the target is the Nash package (up to ties).
    on_frontier
        Shape ``(n, T)``: the target's utility pair is a point of the Pareto frontier of its menu.
    """

    theta: FloatArray
    share: FloatArray
    loglik: FloatArray
    gap: FloatArray
    predicted: BoolArray
    on_frontier: BoolArray

    @staticmethod
    def concat(parts: Sequence[Draws]) -> Draws:
        """Stack chunks in order."""
        return Draws(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                       ("theta", "share", "loglik", "gap", "predicted", "on_frontier")))


def _log_nash(gains: FloatArray, a: float) -> FloatArray:
    """Power-normalised log Nash product of gains ``(..., 2)`` (all positive)."""
    return np.asarray(a * np.log(gains[..., 0]) + (1 - a) * np.log(gains[..., 1]))


def _fit_one(tables: Sequence[FloatArray], w: FloatArray, a: float, target: Target,
             temperatures: FloatArray, frontier_cache: dict[int, FloatArray]) -> tuple[FloatArray, float, bool, bool]:
    """Log likelihood per temperature, Nash gap, "predicted" and "on the frontier" of one target under one draw."""
    if target.menu not in frontier_cache:
        frontier_cache[target.menu] = pareto_frontier([t @ w for t in tables]).utilities
    front = frontier_cache[target.menu]
    d, u_obs = target.batna_payoffs @ w, target.package_payoffs @ w
    g_obs = u_obs - d
    scale = SAME_RTOL * (np.abs(front) + np.abs(u_obs)).max(axis=1)
    on_front = bool((np.abs(front - u_obs).max(axis=1) <= scale).any())
    if not (g_obs > 0).all():
        return np.full(temperatures.shape, -np.inf), np.inf, False, on_front
    g = front - d
    lf = _log_nash(g[(g > 0).all(axis=1)], a)
    l_obs = float(_log_nash(g_obs, a))
    l_max = max(float(lf.max()), l_obs) if lf.size else l_obs  # empty: a deal outside the menu (broke a constraint)
    terms = lf if on_front else np.append(lf, l_obs)
    z = (terms[None, :] - l_max) / temperatures[:, None]
    log_norm = np.log(np.exp(z).sum(axis=1))
    loglik = (l_obs - l_max) / temperatures - log_norm
    gap = max(l_max - l_obs, 0.0)
    return loglik, gap, gap <= SAME_RTOL * max(1.0, abs(l_max)), on_front


def _powers_share(problem: InverseProblem, facts: dict[str, float]) -> float:
    x0, x1 = (evaluate(e, facts) for e in problem.power_exprs)
    if problem.power_rule == "rubinstein":
        x0, x1 = x1, x0  # party i's power is the other's discount rate over the sum
    if not (x0 >= 0 and x1 >= 0 and x0 + x1 > 0):
        raise InverseError("a draw gives bargaining powers that are not non-negative with a positive sum.",
                           received=(x0, x1), fix="give the power or discount-rate facts a positive range.")
    return x0 / (x0 + x1)


def evaluate_draws(problem: InverseProblem, theta: FloatArray) -> Draws:
    """Evaluate parameter draws ``theta`` (``(n, K)``) against every target: see the module docstring."""
    n, n_t = theta.shape[0], len(problem.targets)
    temps = np.asarray(problem.temperatures, dtype=np.float64)
    side = problem.stakeholder_party
    onehot = np.stack([side == 0, side == 1], axis=1).astype(np.float64)
    loglik = np.empty((n, n_t, temps.size))
    gap = np.empty((n, n_t))
    predicted = np.zeros((n, n_t), dtype=bool)
    on_frontier = np.zeros((n, n_t), dtype=bool)
    share = np.empty(n)
    facts = dict(problem.facts)
    for i in range(n):
        facts.update(zip(problem.prior.ids, theta[i].tolist(), strict=True))
        w = onehot * np.array([evaluate(e, facts) for e in problem.weight_exprs])[:, None]
        a = share[i] = _powers_share(problem, facts)
        cache: dict[int, FloatArray] = {}
        for k, tg in enumerate(problem.targets):
            loglik[i, k], gap[i, k], predicted[i, k], on_frontier[i, k] = _fit_one(
                problem.menus[tg.menu], w, a, tg, temps, cache)
    return Draws(theta=theta, share=share, loglik=loglik, gap=gap, predicted=predicted, on_frontier=on_frontier)


def evaluate_chunk(problem: InverseProblem, chunk: Chunk) -> Draws:
    """Draw a chunk's parameters from the prior (with the chunk's own seed) and evaluate them."""
    return evaluate_draws(problem, problem.prior.sample(chunk.rng(), chunk.size))


def default_parameters(scenario: Scenario) -> list[str]:
    """Facts inferred by default: every fact a political weight uses, then the facts behind the bargaining powers
    (the parties' discount rates when both have one, else their bargaining powers)."""
    out: list[str] = []
    for party in scenario.parties:
        for st in party.stakeholders:
            out += [f for f in sorted(names_in(st.weight)) if f not in out]
    exprs = _power_source(scenario)[1]
    for e in exprs:
        out += [f for f in sorted(names_in(e)) if f not in out]
    return out


def _power_source(scenario: Scenario) -> tuple[str, tuple[Quantity, Quantity]]:
    p0, p1 = scenario.parties
    if p0.discount_rate is not None and p1.discount_rate is not None:
        return "rubinstein", (p0.discount_rate, p1.discount_rate)
    return "direct", (p0.bargaining_power, p1.bargaining_power)


def prior_from_facts(scenario: Scenario, facts: dict[str, float], ids: Sequence[str],
                     spread: float = DEFAULT_SPREAD) -> Prior:
    """Flat prior per fact: its ``range`` when given, else the point value times ``[1 - spread, 1 + spread]``."""
    low, high, basis, groups = [], [], [], []
    group_ids: dict[str, int] = {}
    for fid in ids:
        fact = scenario.facts.get(fid)
        if fact is None:
            raise InverseError(f"unknown parameter {fid!r}.", fix="name facts of the scenario's `facts:` table "
                               f"(e.g. {', '.join(default_parameters(scenario)[:4])}).")
        v = facts[fid]
        if fact.range is not None:
            lo, hi = float(fact.range[0]), float(fact.range[1])
            basis.append("range of the fact" + (f" (flat; its {fact.dist.kind} shape not used)" if fact.dist else ""))
        else:
            lo, hi = sorted((v * (1 - spread), v * (1 + spread)))
            basis.append(f"default: point value ± {spread:.0%}")
        key = fact.draw_with or f"\0{fid}"
        groups.append(group_ids.setdefault(key, len(group_ids)))
        low.append(lo)
        high.append(hi)
    return Prior(ids=tuple(ids), low=np.array(low, dtype=np.float64), high=np.array(high, dtype=np.float64),
                 value=np.array([facts[f] for f in ids], dtype=np.float64), group=np.array(groups, dtype=np.int64),
                 basis=tuple(basis))


def _no_deal_at(loaded: LoadedScenario, date: dt.date | None) -> dict[str, str]:
    scn = loaded.scenario
    base = {iss.id: iss.batna for iss in scn.issues}
    if date is None or scn.dynamics is None:
        return base
    return batna_options_at(base, [(c.date, c.issue, c.option) for c in scn.dynamics.batna_path], date)


def _menu_rows(model: Model, settled: set[str], no_deal: dict[str, str]) -> tuple[IntArray, ...]:
    """Per group, the rows allowed when only ``settled`` issues are negotiated (others at ``no_deal``)."""
    fixed = package_choice(model, no_deal)
    cs = model.cs
    out = []
    for g in model.groups:
        keep = np.ones(g.combos.shape[0], dtype=bool)
        for pos, i in enumerate(g.issues):
            if cs.issue_ids[i] not in settled:
                keep &= g.combos[:, pos] == fixed[i]
        out.append(np.flatnonzero(keep) if keep.any() else np.arange(g.combos.shape[0]))
    return tuple(out)


def _settlements(loaded: LoadedScenario) -> list[tuple[str, dt.date, dict[str, str]]]:
    """(label, date, what had been agreed by then) of every timeline event that settled something."""
    agreed: dict[str, str] = {}
    out = []
    for ev in sorted(loaded.scenario.timeline, key=lambda e: e.date):
        if ev.package:
            agreed.update(ev.package)
            out.append((f"{ev.date.isoformat()} {ev.title}", ev.date, dict(agreed)))
    return out


def build_problem(loaded: LoadedScenario, model: Model, ids: Sequence[str],
                  temperatures: tuple[float, ...]) -> InverseProblem:
    """Set up the inverse problem of a scenario with an observed outcome."""
    if loaded.observed is None:
        raise InverseError(f"scenario {loaded.scenario.id!r} has no observed outcome to explain.",
                           fix="give one with `observed:` in the scenario or an `<name>.observed.yaml` file.")
    scn = loaded.scenario
    obs = loaded.observed
    wanted = [(f"observed: {obs.title}", obs.date, {k: v.option for k, v in obs.package.items()})]
    menus: dict[bytes, tuple[FloatArray, ...]] = {}
    keys: list[bytes] = []
    targets = []
    for label, date, agreed in wanted + _settlements(loaded):
        no_deal = _no_deal_at(loaded, date)
        rows = _menu_rows(model, set(agreed), no_deal)
        key = b"|".join(r.tobytes() for r in rows)
        if key not in menus:
            menus[key] = tuple(np.ascontiguousarray(p[r]) for p, r in zip(model.payoffs, rows, strict=True))
            keys.append(key)
        package = {**no_deal, **agreed}
        targets.append(Target(label=label, date=date, settled=tuple(sorted(agreed)), package=package,
                              menu=keys.index(key), package_payoffs=package_value(model, package)[0],
                              batna_payoffs=package_value(model, no_deal)[0]))
    rule, power_exprs = _power_source(scn)
    weight_exprs = tuple(st.weight for p in scn.parties for st in p.stakeholders)
    used = set().union(*(names_in(e) for e in (*weight_exprs, *power_exprs)))
    idle = [f for f in ids if f in scn.facts and f not in used]
    if idle:
        raise InverseError(f"fact(s) {', '.join(idle)} enter no political weight or bargaining power.",
                           fix="infer facts behind `weight:`, `discount_rate` or `bargaining_power`; the inverse "
                               "re-weights fixed payoffs, so valuations and elasticities cannot vary here yet.")
    return InverseProblem(
        menus=tuple(menus[k] for k in keys), stakeholder_party=np.asarray(model.cs.stakeholder_party),
        weight_exprs=weight_exprs, power_exprs=power_exprs,
        power_rule=rule, facts=dict(loaded.facts), prior=prior_from_facts(scn, loaded.facts, ids),
        targets=tuple(targets), temperatures=temperatures)


def run_draws(problem: InverseProblem, draws: int, seed: int, workers: int = 1) -> Draws:
    """Evaluate ``draws`` prior draws in chunks of :data:`CHUNK_SIZE` on the executor."""
    chunks = plan_chunks(draws, chunk_size=CHUNK_SIZE, seed=seed)
    with Executor(workers=workers) as ex:
        parts = list(ex.map(functools.partial(evaluate_chunk, problem), chunks))
    return Draws.concat(parts)


def infer(loaded: LoadedScenario, model: Model | None = None, *, draws: int = DEFAULT_DRAWS, seed: int = 0,
          temperature: float | None = DEFAULT_TEMPERATURE, parameters: Sequence[str] | None = None,
          near: float = DEFAULT_NEAR, workers: int = 1) -> InverseResult:
    """Posterior over political weights and bargaining power given the observed deal (module docstring).

    Parameters
    ----------
    loaded
        A scenario with an observed outcome.
    model
        Its model (built if not given).
    draws
        Prior draws, at least 1.
    seed
        Seed of the draws (the same seed gives the same result for any number of workers).
    temperature
        Logit temperature τ > 0 in log Nash-product units; ``None`` chooses it from :data:`TEMPERATURE_GRID` by
        marginal likelihood.
    parameters
        Fact ids to infer (default: :func:`default_parameters`).
    near
        Nash-product gap (log units) within which a package counts as near the predicted one.
    workers
        Executor workers.

    Returns
    -------
    InverseResult

    Raises
    ------
    InverseError
        No observed outcome, an unknown parameter, a bad ``draws``/``temperature``, or no draw with the observed
        deal in its ZOPA.
    """
    if draws < 1:
        raise InverseError("the inverse needs at least one draw.", received=draws, fix="use e.g. --draws 2000.")
    if temperature is not None and not temperature > 0:
        raise InverseError("the temperature must be positive.", received=temperature, fix="use e.g. 0.1.")
    model = model or build_model(loaded)
    ids = list(parameters) if parameters is not None else default_parameters(loaded.scenario)
    temps = TEMPERATURE_GRID if temperature is None else (float(temperature),)
    problem = build_problem(loaded, model, ids, temps)
    out = run_draws(problem, draws, seed, workers)
    evidence = _log_mean_exp(out.loglik[:, 0, :], axis=0)
    best = int(np.argmax(evidence)) if temperature is None else 0
    ll = out.loglik[:, :, best]
    if not np.isfinite(ll[:, 0]).any():
        raise InverseError("no prior draw puts the observed deal in the ZOPA: the model cannot explain it.",
                           received=f"{draws} draws", fix="widen the priors (fact ranges) or check the valuation.")
    w = _weights(ll[:, 0])
    scn = loaded.scenario
    params = tuple(posterior_summary(scn, problem.prior, k, out.theta[:, k], w, int(np.argmax(ll[:, 0])))
                   for k in range(len(ids)))
    params += (power_summary(scn, problem.power_rule, _powers_share(problem, problem.facts), out.share, w,
                              int(np.argmax(ll[:, 0]))),)
    fits = [settlement_fit(tg, out, k, w, _weights(ll[:, k]), float(evidence[best]) if k == 0 else
                           float(_log_mean_exp(ll[:, k], axis=0)), near) for k, tg in enumerate(problem.targets)]
    i_map = int(np.argmax(ll[:, 0]))
    ess = float(w.sum() ** 2 / (w ** 2).sum())
    nash_map = _nash_at(loaded, model, problem, out.theta[i_map])
    result = InverseResult(
        scenario=scn.id, parties=model.cs.parties, draws=draws, seed=seed, temperature=temps[best],
        temperature_estimated=temperature is None,
        evidence_by_temperature={t: float(e) for t, e in zip(temps, evidence, strict=True)}, near=near,
        power_rule=problem.power_rule, parameters=params, ess=ess, consistent_draws=int(np.isfinite(ll[:, 0]).sum()),
        observed=fits[0], settlements=tuple(fits[1:]), map_point={p.id: p.map for p in params},
        map_nash_package=nash_map, map_predicted=bool(out.predicted[i_map, 0]), findings=(),
        map_differences={i: (o, fits[0].package[i]) for i, o in nash_map.items() if o != fits[0].package[i]})
    return replace(result, findings=tuple(findings(result)))


def _nash_at(loaded: LoadedScenario, model: Model, problem: InverseProblem, theta: FloatArray) -> dict[str, str]:
    """The Nash package (whole, unsettled issues at their no-deal option) of the observed deal's menu at ``theta``;
    empty when its ZOPA is empty."""
    tg = problem.targets[0]
    facts = {**problem.facts, **dict(zip(problem.prior.ids, theta.tolist(), strict=True))}
    side = problem.stakeholder_party
    w = np.stack([side == 0, side == 1], axis=1) * np.array([evaluate(e, facts) for e in problem.weight_exprs])[:, None]
    a = _powers_share(problem, facts)
    rows = _menu_rows(model, set(tg.settled), _no_deal_at(loaded, tg.date))
    front = pareto_frontier([t @ w for t in problem.menus[tg.menu]])
    best = sol.nash(front, tg.batna_payoffs @ w, powers=(a, 1 - a))
    if best is None:
        return {}
    return decode_package(model, [int(r[c]) for r, c in zip(rows, best.choices, strict=True)])


def _log_mean_exp(x: FloatArray, axis: int) -> FloatArray:
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.asarray(np.log(np.mean(np.exp(x - m), axis=axis)) + np.squeeze(m, axis=axis))


def joint_weights(draws: Draws, targets: Sequence[int], temperature_index: int = 0) -> FloatArray:
    """Posterior weights ``(n,)`` (summing to 1) given several targets taken as independent observations.

    The log likelihoods of the chosen targets add up. Use it for separate negotiations that share parameters (the
    synthetic checks); nested settlements of one negotiation are not independent, so :func:`infer` conditions on
    the observed deal alone.
    """
    return _weights(draws.loglik[:, list(targets), temperature_index].sum(axis=1))


def _weights(loglik: FloatArray) -> FloatArray:
    """Importance weights ``exp(loglik)`` rescaled to sum to 1 (all zero when no draw has a finite likelihood)."""
    if not np.isfinite(loglik).any():
        return np.zeros_like(loglik)
    w = np.exp(loglik - loglik[np.isfinite(loglik)].max())
    return np.asarray(w / w.sum())
