r"""What the real deal reveals: a posterior over every uncertain fact (inverse bargaining).

The forward model predicts a package from parameters :math:`\theta`: every uncertain fact of the scenario (a fact
with a ``range`` or ``dist``) that moves a payoff, a political weight or a bargaining power — political weights,
discount rates, elasticities, pass-through shares, valuations, probabilities, the time basis. The inverse treats
the observed deal, and every dated settlement of the timeline, as data.

Model
-----
A draw :math:`\theta` gives stakeholder payoffs :math:`P_\theta(c)` (USD/yr on the time basis, partial-equilibrium
markets solved at the draw's elasticities) and party utilities :math:`U_\theta(c) = P_\theta(c)\,W(w_\theta)`, all
computed for a batch of draws at once by :class:`~tradetalks.econ.batch.BatchValuation`. With the disagreement point
:math:`d_\theta = U_\theta(c^0_t)` (the no-deal package in force on the date :math:`t` of the settlement, facts
revised to that date by ``valuation.revisions``) and powers :math:`\alpha_\theta` normalised to :math:`a_\theta =
\alpha_0 / (\alpha_0 + \alpha_1)`, the log Nash product of a package with gains :math:`g = U_\theta(c) - d_\theta
> 0` is

.. math::

    \ell_\theta(c) = a_\theta \log g_0 + (1 - a_\theta) \log g_1 ,

which does not change when either party's utility is rescaled, so the temperature :math:`\tau` below is in units
of log Nash product (:math:`\tau = 0.1`: a package with a 10 % lower weighted geometric-mean gain is :math:`e`
times less likely).

Likelihood (conditional logit over the frontier)
-------------------------------------------------
The parties pick a package :math:`c` from the choice set :math:`C_\theta = F^+_\theta \cup \{c^*\}`, the distinct
points of the draw's own Pareto frontier (:func:`~tradetalks.bargain.frontier.pareto_frontier` on the draw's
per-group tables) that beat :math:`d_\theta` for both, plus the observed package, with probability

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
Draw :math:`\theta_1, \dots, \theta_D` from the prior — each uncertain input (a fact, or a ``draw_with`` group
drawn at one quantile) from its own ``range``/``dist`` with :class:`~tradetalks.studies.uncertainty_draws.
FactSampler`, exactly as the Monte Carlo of :mod:`tradetalks.studies.uncertainty` draws them — weight draw
:math:`i` by :math:`L(\theta_i)` (importance sampling with the prior as proposal), and summarise: weighted means and
quantiles, the effective sample size :math:`(\sum w)^2 / \sum w^2`, and the MAP draw. Every input is drawn as a
uniform quantile pushed through its quantile function, so in quantile coordinates the prior is flat and the MAP
draw is the draw with the largest likelihood. The temperature is a stated parameter or, with
``temperature=None``, the value in :data:`TEMPERATURE_GRID` with the largest marginal likelihood :math:`\bar
L(\tau) = D^{-1} \sum_i L_\tau(\theta_i)` (empirical Bayes). Draws run in chunks of :data:`CHUNK_SIZE` through
:class:`~tradetalks.executor.Executor` (a seed per chunk); a chunk keeps per draw only the inferred facts and a few
numbers per settlement, so memory grows by about ``8 (K + 6 T)`` bytes a draw.

What would it take
------------------
When no prior draw puts the deal in the ZOPA there is no posterior; the result says so and reports how far the
deal is from acceptance instead: the *shortfall* :math:`\sum_i \max(0, -g_i)` (weighted USD/yr the losing side
would need), its smallest value over the draws, and, per input moved one at a time over its range with every other
fact at its point value, the shortfall at the best end and the value at which the deal enters the ZOPA, if any.
The same check is reported when a posterior exists.

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

Rubin, D. B. (1988). Using the SIR algorithm to simulate posterior distributions. In Bernardo et al. (eds),
*Bayesian Statistics 3*, 395-402. Oxford University Press (importance weights of prior draws).

Talts, S., Betancourt, M., Simpson, D., Vehtari, A. and Gelman, A. (2018). Validating Bayesian inference algorithms
with simulation-based calibration. arXiv:1804.06788 (the synthetic checks in the tests).

Example
-------
>>> from tradetalks.scenario import load_scenario
>>> r = infer(load_scenario("korus-2025"), draws=20, seed=1)
>>> r.draws, r.parameters[-1].id
(20, 'power_share:KOR')
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from tradetalks.bargain import solutions as sol
from tradetalks.bargain.frontier import pareto_frontier
from tradetalks.bargain.timing import batna_options_at
from tradetalks.econ.batch import BatchValuation, compile_batch, evaluate_quantity
from tradetalks.errors import TradetalksError
from tradetalks.executor import Chunk, Executor, plan_chunks
from tradetalks.model import Model, build_model, decode_package, package_choice
from tradetalks.scenario.expressions import Quantity, evaluate, names_in
from tradetalks.scenario.loader import LoadedScenario
from tradetalks.scenario.schema import Scenario
from tradetalks.scenario.uncertainty_checks import is_uncertain
from tradetalks.studies.inverse_findings import (
    acceptance_check,
    fact_summary,
    findings,
    power_summary,
    settlement_fit,
)
from tradetalks.studies.inverse_results import Acceptance, InverseResult
from tradetalks.studies.uncertainty_draws import FactSampler, uncertain_inputs

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_DRAWS",
    "DEFAULT_NEAR",
    "DEFAULT_SPREAD",
    "DEFAULT_TEMPERATURE",
    "TEMPERATURE_GRID",
    "Draws",
    "InverseError",
    "InverseProblem",
    "Prior",
    "ScenarioProblem",
    "Target",
    "default_parameters",
    "evaluate_chunk",
    "evaluate_draws",
    "evaluate_facts",
    "frontier_above",
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
#: half-width of the flat prior, relative to the point value, of a named fact that has no ``range`` or ``dist``
DEFAULT_SPREAD = 0.5
#: draws per chunk of the executor (the result depends on it through the per-chunk seeds; keep it fixed)
CHUNK_SIZE = 250
#: relative tolerance for "the same utility point" and "the largest Nash product" (far above float64 rounding of
#: sums of a few dozen terms)
SAME_RTOL = 1e-9
#: quantiles per input in the one-at-a-time "what would it take" scan (0, 0.1, ..., 1)
ACCEPT_GRID = 11

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


class InverseError(TradetalksError):
    """The inverse problem cannot be set up (no observed deal, an unknown parameter, a bad option)."""

    code = "invalid_inverse"


@dataclass(frozen=True, eq=False)
class Prior:
    """Flat prior on a box, with groups of parameters drawn at one common quantile (the synthetic problems).

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
        Index of the menu (the package tables the parties chose from).
    package_payoffs, batna_payoffs
        Shape ``(S,)``: fixed stakeholder payoffs of the package and of the no-deal package of the date (the
        synthetic :class:`InverseProblem`); ``None`` in a :class:`ScenarioProblem`, whose draws value them.
    package_extra, batna_extra
        Index of the package and of the no-deal package among the valuation's extra packages
        (:class:`ScenarioProblem`; -1 otherwise).
    view
        Index of the fact view (facts revised to the date) the target is valued in (:class:`ScenarioProblem`).
    """

    label: str
    date: dt.date | None
    settled: tuple[str, ...]
    package: dict[str, str]
    menu: int
    package_payoffs: FloatArray | None = None
    batna_payoffs: FloatArray | None = None
    package_extra: int = -1
    batna_extra: int = -1
    view: int = 0


@dataclass(frozen=True, eq=False)
class InverseProblem:
    """A problem with fixed stakeholder payoffs whose draws only re-weight them (the synthetic checks).

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
        The targets to explain.
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
class ScenarioProblem:
    """A scenario's inverse problem (picklable: the compiled valuation, the sampler, row indices and strings).

    Attributes
    ----------
    valuation
        The scenario compiled for batched valuation, with the targets' packages and no-deal packages as extras.
    sampler
        Draws the inferred facts (all other facts at their point values).
    columns
        Shape ``(K,)``: fact-matrix columns of the inferred facts (what :attr:`Draws.theta` keeps).
    menus
        Per menu, per group, the rows (into the group's table) the parties chose from.
    views
        Per fact view, the revisions applied on top of a draw: (fact column, quantity) in date order.
    power_rule, power_exprs
        ``"rubinstein"`` with the parties' discount rates, or ``"direct"`` with their bargaining powers.
    targets
        The observed deal first, then the dated settlements.
    temperatures
        Logit temperatures evaluated.
    """

    valuation: BatchValuation
    sampler: FactSampler
    columns: IntArray
    menus: tuple[tuple[IntArray, ...], ...]
    views: tuple[tuple[tuple[int, Quantity], ...], ...]
    power_rule: str
    power_exprs: tuple[Quantity, Quantity]
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
    gains
        Shape ``(n, T, 2)``: each party's gain from the target over the no-deal package of its date (weighted
        USD/yr).
    """

    theta: FloatArray
    share: FloatArray
    loglik: FloatArray
    gap: FloatArray
    predicted: BoolArray
    on_frontier: BoolArray
    gains: FloatArray

    @staticmethod
    def concat(parts: Sequence[Draws]) -> Draws:
        """Stack chunks in order."""
        return Draws(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in dataclasses.fields(Draws)))


def _log_nash(gains: FloatArray, a: float) -> FloatArray:
    """Power-normalised log Nash product of gains ``(..., 2)`` (all positive)."""
    return np.asarray(a * np.log(gains[..., 0]) + (1 - a) * np.log(gains[..., 1]))


def _fit(front: FloatArray, u_obs: FloatArray, d: FloatArray, a: float,
         temperatures: FloatArray) -> tuple[FloatArray, float, bool, bool]:
    """Log likelihood per temperature, Nash gap, "predicted" and "on the frontier" of a target with utilities
    ``u_obs`` and no-deal point ``d`` (both ``(2,)``) on a frontier ``front`` (``(F, 2)``) at power share ``a``."""
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


def _share(rule: str, x0: FloatArray, x1: FloatArray) -> FloatArray:
    """Party 0's power share from two power (``direct``) or discount-rate (``rubinstein``) arrays."""
    if rule == "rubinstein":
        x0, x1 = x1, x0  # party i's power is the other's discount rate over the sum
    if not (np.all(x0 >= 0) and np.all(x1 >= 0) and np.all(x0 + x1 > 0)):
        raise InverseError("a draw gives bargaining powers that are not non-negative with a positive sum.",
                           received=(float(np.min(x0)), float(np.min(x1))),
                           fix="give the power or discount-rate facts a positive range.")
    return np.asarray(x0 / (x0 + x1), dtype=np.float64)


def _powers_share(problem: InverseProblem, facts: dict[str, float]) -> float:
    x0, x1 = (np.array([evaluate(e, facts)]) for e in problem.power_exprs)
    return float(_share(problem.power_rule, x0, x1)[0])


def evaluate_draws(problem: InverseProblem, theta: FloatArray) -> Draws:
    """Evaluate parameter draws ``theta`` (``(n, K)``) of a fixed-payoff problem against every target."""
    n, n_t = theta.shape[0], len(problem.targets)
    temps = np.asarray(problem.temperatures, dtype=np.float64)
    side = problem.stakeholder_party
    onehot = np.stack([side == 0, side == 1], axis=1).astype(np.float64)
    out = _empty(theta, n_t, temps.size)
    facts = dict(problem.facts)
    for i in range(n):
        facts.update(zip(problem.prior.ids, theta[i].tolist(), strict=True))
        w = onehot * np.array([evaluate(e, facts) for e in problem.weight_exprs])[:, None]
        a = out.share[i] = _powers_share(problem, facts)
        cache: dict[int, FloatArray] = {}
        for k, tg in enumerate(problem.targets):
            if tg.menu not in cache:
                cache[tg.menu] = pareto_frontier([t @ w for t in problem.menus[tg.menu]]).utilities
            assert tg.package_payoffs is not None and tg.batna_payoffs is not None
            u_obs, d = tg.package_payoffs @ w, tg.batna_payoffs @ w
            out.gains[i, k] = u_obs - d
            out.loglik[i, k], out.gap[i, k], out.predicted[i, k], out.on_frontier[i, k] = _fit(
                cache[tg.menu], u_obs, d, a, temps)
    return out


def _empty(theta: FloatArray, n_t: int, n_l: int) -> Draws:
    n = theta.shape[0]
    return Draws(theta=theta, share=np.empty(n), loglik=np.empty((n, n_t, n_l)), gap=np.empty((n, n_t)),
                 predicted=np.zeros((n, n_t), dtype=bool), on_frontier=np.zeros((n, n_t), dtype=bool),
                 gains=np.empty((n, n_t, 2)))


def _group_sum(parts: FloatArray) -> FloatArray:
    """(D, G, 2) → (D, 2), summed over groups left to right like the frontier's sums."""
    out = parts[:, 0]
    for g in range(1, parts.shape[1]):
        out = out + parts[:, g]
    return np.asarray(out)


def _view_facts(problem: ScenarioProblem, facts: FloatArray, view: int) -> FloatArray:
    """The fact matrix with the revisions of fact view ``view`` applied (each evaluated on the draws)."""
    revs = problem.views[view]
    if not revs:
        return facts
    out = facts.copy()
    for col, q in revs:
        vals = {fid: out[:, j] for j, fid in enumerate(problem.valuation.fact_ids)}
        out[:, col] = evaluate_quantity(q, vals, out.shape[0])
    return out


def _views(problem: ScenarioProblem, facts: FloatArray) -> list[tuple[list[FloatArray], list[FloatArray]]]:
    """Per fact view used by a target: the per-group utility tables ``(D, m_g, 2)`` and the extra packages'
    utilities ``(D, 2)``."""
    used = {tg.view for tg in problem.targets}
    out: list[tuple[list[FloatArray], list[FloatArray]]] = [([], []) for _ in problem.views]
    for v in sorted(used):
        bt = problem.valuation.evaluate(_view_facts(problem, facts, v))
        out[v] = (bt.utilities, [_group_sum(e) for e in bt.extra])
    return out


def _draw_shares(problem: ScenarioProblem, facts: FloatArray) -> FloatArray:
    vals = {fid: facts[:, j] for j, fid in enumerate(problem.valuation.fact_ids)}
    n = facts.shape[0]
    x0, x1 = (evaluate_quantity(q, vals, n) for q in problem.power_exprs)
    return _share(problem.power_rule, x0, x1)


def _skyline(pts: FloatArray) -> IntArray:
    """:func:`tradetalks.bargain.frontier.skyline` without its input checks (finite ``(n, 2)`` arrays only; the
    per-draw frontier calls it dozens of times)."""
    if pts.shape[0] == 0:
        return np.empty(0, dtype=np.int64)
    order = np.lexsort((-pts[:, 1], -pts[:, 0]))
    y = pts[order, 1]
    keep = np.empty(y.size, dtype=bool)
    keep[0] = True
    np.greater(y[1:], np.maximum.accumulate(y)[:-1], out=keep[1:])
    return np.asarray(order[keep], dtype=np.int64)


def frontier_above(tables: Sequence[FloatArray], floor: FloatArray) -> FloatArray:
    """The Pareto frontier points of an additive package space that are at least ``floor`` (``(2,)``) for both.

    The recursion of :func:`~tradetalks.bargain.frontier.pareto_frontier` (skyline of the Minkowski sum, group by
    group, summed left to right so the floats are the same), with partial sums dropped when even the best rows of
    the remaining groups cannot lift them to the floor. Dropping them is exact: a package at or above the floor,
    and every package dominating it, is at or above the floor, so it survives. Utilities only, shape ``(F, 2)``.

    >>> t = [np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])]
    >>> frontier_above(t, np.array([0.5, 0.5])).tolist()
    [[1.0, 1.0]]
    """
    if not all(np.isfinite(t).all() for t in tables):
        raise InverseError("a draw gives non-finite utilities.", fix="check the ranges of the facts it drew.")
    rem = np.zeros((len(tables), 2))
    for k in range(len(tables) - 2, -1, -1):
        rem[k] = rem[k + 1] + tables[k + 1].max(axis=0)
    slack = SAME_RTOL * (np.abs(floor) + np.abs(rem[0]) + 1.0)
    cur = np.empty((1, 2))
    for k, t in enumerate(tables):
        b = t[_skyline(t)]
        s = b if k == 0 else (cur[:, None, :] + b[None, :, :]).reshape(-1, 2)
        s = s[(s + rem[k] >= floor - slack).all(axis=1)]
        cur = s[_skyline(s)]
    return np.asarray(cur[(cur >= floor).all(axis=1)])


def evaluate_facts(problem: ScenarioProblem, facts: FloatArray) -> Draws:
    """Evaluate fact matrices ``facts`` (``(n, F)``, columns in the valuation's ``fact_ids`` order) against every
    target of a scenario problem: one batched valuation per fact view, one frontier per draw and menu."""
    temps = np.asarray(problem.temperatures, dtype=np.float64)
    out = _empty(np.ascontiguousarray(facts[:, problem.columns]), len(problem.targets), temps.size)
    out.share[:] = _draw_shares(problem, facts)
    views = _views(problem, facts)
    for i in range(facts.shape[0]):
        cache: dict[tuple[int, int, bytes], FloatArray] = {}
        for k, tg in enumerate(problem.targets):
            tables, extra = views[tg.view]
            u_obs, d = extra[tg.package_extra][i], extra[tg.batna_extra][i]
            # the frontier points that can matter: above the no-deal point (the choice set) or above the deal
            # (those that dominate it)
            floor = np.minimum(u_obs, d)
            key = (tg.menu, tg.view, floor.tobytes())
            if key not in cache:
                cache[key] = frontier_above([t[i, rows] for t, rows in zip(
                    tables, problem.menus[tg.menu], strict=True)], floor)
            out.gains[i, k] = u_obs - d
            out.loglik[i, k], out.gap[i, k], out.predicted[i, k], out.on_frontier[i, k] = _fit(
                cache[key], u_obs, d, float(out.share[i]), temps)
    return out


def evaluate_chunk(problem: InverseProblem | ScenarioProblem, chunk: Chunk) -> Draws:
    """Draw a chunk's parameters from the prior (with the chunk's own seed) and evaluate them."""
    if isinstance(problem, ScenarioProblem):
        return evaluate_facts(problem, problem.sampler.draw(chunk.rng(), chunk.size))
    return evaluate_draws(problem, problem.prior.sample(chunk.rng(), chunk.size))


def _power_source(scenario: Scenario) -> tuple[str, tuple[Quantity, Quantity]]:
    p0, p1 = scenario.parties
    if p0.discount_rate is not None and p1.discount_rate is not None:
        return "rubinstein", (p0.discount_rate, p1.discount_rate)
    return "direct", (p0.bargaining_power, p1.bargaining_power)


def _valuation_facts(scn: Scenario, valuation: BatchValuation) -> set[str]:
    """Facts that can move a payoff, a political weight, a bargaining power or the time basis."""
    qs: list[Quantity | None] = [*valuation.weights, *valuation.powers, *_power_source(scn)[1]]
    qs += [q for pays in valuation.option_payoffs for _, q in pays]
    for mk in valuation.markets:
        qs += [*mk.values, *mk.tariff, *mk.ntb, *mk.supply_elasticity, mk.demand_elasticity,
               mk.armington_elasticity, mk.duration, mk.probability]
        qs += [q for state in mk.states for _, _, q in state]
    if valuation.basis is not None:
        qs += list(valuation.basis)
    if scn.valuation is not None:
        qs += [rev.value for rev in scn.valuation.revisions]
    out: set[str] = set()
    for q in qs:
        if q is not None:
            out |= names_in(q)
    return out


def default_parameters(scenario: Scenario) -> list[str]:
    """Facts inferred when the scenario has no uncertain fact: every fact a political weight uses, then the facts
    behind the bargaining powers (the parties' discount rates when both have one, else their bargaining powers)."""
    out: list[str] = []
    for party in scenario.parties:
        for st in party.stakeholders:
            out += [f for f in sorted(names_in(st.weight)) if f not in out]
    for e in _power_source(scenario)[1]:
        out += [f for f in sorted(names_in(e)) if f not in out]
    return out


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
        lo, hi = _support(fact.range, facts[fid], spread)
        basis.append(_basis(fact.range is not None, fact.dist.kind if fact.dist else None, spread))
        key = fact.draw_with or f"\0{fid}"
        groups.append(group_ids.setdefault(key, len(group_ids)))
        low.append(lo)
        high.append(hi)
    return Prior(ids=tuple(ids), low=np.array(low, dtype=np.float64), high=np.array(high, dtype=np.float64),
                 value=np.array([facts[f] for f in ids], dtype=np.float64), group=np.array(groups, dtype=np.int64),
                 basis=tuple(basis))


def _support(rng: tuple[float, float] | None, value: float, spread: float) -> tuple[float, float]:
    if rng is not None:
        return float(rng[0]), float(rng[1])
    lo, hi = sorted((value * (1 - spread), value * (1 + spread)))
    return lo, hi


def _basis(has_range: bool, dist: str | None, spread: float) -> str:
    if dist is not None:
        return f"the fact's {dist} distribution" + (" truncated to its range" if has_range else "")
    if has_range:
        return "the fact's range (uniform)"
    return f"default: uniform on the point value ± {spread:.0%}"


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


def _with_priors(loaded: LoadedScenario, ids: Sequence[str] | None, used: set[str]) -> tuple[LoadedScenario,
                                                                                             list[str]]:
    """The scenario with exactly the inferred facts uncertain: ``ids`` (a named fact without a range or ``dist``
    gets the uniform :data:`DEFAULT_SPREAD` prior), else every uncertain fact in ``used``, else the weights and
    powers of :func:`default_parameters` with the default spread. Returns it and the inferred fact ids."""
    scn = loaded.scenario
    if ids is None:
        chosen = [f for f, fact in scn.facts.items() if is_uncertain(fact) and f in used
                  and f not in loaded.overrides]
        if not chosen:
            chosen = [f for f in default_parameters(scn) if f not in loaded.overrides]
    else:
        chosen = list(ids)
        unknown = [f for f in chosen if f not in scn.facts]
        if unknown:
            raise InverseError(f"unknown parameter {unknown[0]!r}.", received=unknown,
                               fix="name facts of the scenario's `facts:` table (e.g. "
                                   f"{', '.join(default_parameters(scn)[:4])}).")
        held = [f for f in chosen if f in loaded.overrides]
        if held:
            raise InverseError(f"fact(s) {', '.join(held)} are held at a --set value, so they cannot be inferred.",
                               fix="drop the --set of a fact you want to infer, or drop it from the parameters.")
        idle = [f for f in chosen if f not in used]
        if idle:
            raise InverseError(f"fact(s) {', '.join(idle)} move no payoff, political weight or bargaining power.",
                               fix="infer facts that the valuation uses (see `tradetalks sources`).")
    facts = {}
    for fid, fact in scn.facts.items():
        if fid in chosen and not is_uncertain(fact):
            lo, hi = _support(None, loaded.facts[fid], DEFAULT_SPREAD)
            facts[fid] = fact.model_copy(update={"range": (lo, hi), "dist": None, "draw_with": None})
        elif fid not in chosen and is_uncertain(fact):
            facts[fid] = fact.model_copy(update={"range": None, "dist": None, "draw_with": None})
        else:
            facts[fid] = fact
    # the loader's uniqueness of a draw_with group's members is kept: members not inferred lost their group
    return dataclasses.replace(loaded, scenario=scn.model_copy(update={"facts": facts})), chosen


def _fact_views(loaded: LoadedScenario, fact_ids: Sequence[str], dates: Sequence[dt.date | None]
                ) -> tuple[tuple[tuple[tuple[int, Quantity], ...], ...], list[int]]:
    """Distinct sets of ``valuation.revisions`` in force on each date (overridden facts are not revised): the
    views and the view of each date."""
    scn = loaded.scenario
    col = {f: j for j, f in enumerate(fact_ids)}
    revs = sorted(scn.valuation.revisions, key=lambda r: r.date) if scn.valuation is not None else []
    views: list[tuple[tuple[int, Quantity], ...]] = []
    index = []
    for date in dates:
        v = tuple((col[r.fact], r.value) for r in revs
                  if date is not None and r.date <= date and r.fact not in loaded.overrides)
        if v not in views:
            views.append(v)
        index.append(views.index(v))
    return tuple(views), index


def build_problem(loaded: LoadedScenario, model: Model, ids: Sequence[str] | None,
                  temperatures: tuple[float, ...]) -> tuple[ScenarioProblem, LoadedScenario]:
    """Set up the inverse problem of a scenario with an observed outcome (and the scenario whose uncertain facts
    are exactly the inferred ones)."""
    if loaded.observed is None:
        raise InverseError(f"scenario {loaded.scenario.id!r} has no observed outcome to explain.",
                           fix="give one with `observed:` in the scenario or an `<name>.observed.yaml` file.")
    scn = loaded.scenario
    fact_ids = list(scn.facts)
    groups = [(g.issues, g.combos) for g in model.groups]
    obs = loaded.observed
    wanted = [(f"observed: {obs.title}", obs.date, {k: v.option for k, v in obs.package.items()})]
    wanted += _settlements(loaded)
    extras: list[list[int]] = []
    menus: list[tuple[IntArray, ...]] = []
    keys: list[bytes] = []
    views, view_of = _fact_views(loaded, fact_ids, [w[1] for w in wanted])
    targets = []

    def extra(pkg: dict[str, str]) -> int:
        choice = [int(c) for c in package_choice(model, pkg)]
        if choice not in extras:
            extras.append(choice)
        return extras.index(choice)

    for (label, date, agreed), view in zip(wanted, view_of, strict=True):
        no_deal = _no_deal_at(loaded, date)
        rows = _menu_rows(model, set(agreed), no_deal)
        key = b"|".join(r.tobytes() for r in rows)
        if key not in keys:
            keys.append(key)
            menus.append(rows)
        package = {**no_deal, **agreed}
        targets.append(Target(label=label, date=date, settled=tuple(sorted(agreed)), package=package,
                              menu=keys.index(key), package_extra=extra(package), batna_extra=extra(no_deal),
                              view=view))
    valuation = compile_batch(scn, fact_ids, groups, extra=extras)
    inferred, _ = _with_priors(loaded, ids, _valuation_facts(scn, valuation))
    sampler, _, _ = uncertain_inputs(inferred, fact_ids)
    if sampler.n_inputs == 0:
        raise InverseError(f"scenario {scn.id!r} has no fact left to infer (every candidate is held by --set).",
                           received=sorted(loaded.overrides), fix="drop some --set overrides.")
    rule, power_exprs = _power_source(scn)
    cols = np.array(sorted({s.column for s in sampler.specs}), dtype=np.int64)
    return ScenarioProblem(valuation=valuation, sampler=sampler, columns=cols, menus=tuple(menus), views=views,
                           power_rule=rule, power_exprs=power_exprs, targets=tuple(targets),
                           temperatures=temperatures), inferred


def run_draws(problem: InverseProblem | ScenarioProblem, draws: int, seed: int, workers: int = 1,
              scheduler: str | None = None) -> Draws:
    """Evaluate ``draws`` prior draws in chunks of :data:`CHUNK_SIZE` on the executor."""
    chunks = plan_chunks(draws, chunk_size=CHUNK_SIZE, seed=seed)
    with Executor(workers=workers, scheduler=scheduler) as ex:
        parts = list(ex.map(functools.partial(evaluate_chunk, problem), chunks))
    return Draws.concat(parts)


def infer(loaded: LoadedScenario, model: Model | None = None, *, draws: int = DEFAULT_DRAWS, seed: int = 0,
          temperature: float | None = DEFAULT_TEMPERATURE, parameters: Sequence[str] | None = None,
          near: float = DEFAULT_NEAR, workers: int = 1, scheduler: str | None = None) -> InverseResult:
    """Posterior over the scenario's uncertain facts given the observed deal (module docstring).

    Parameters
    ----------
    loaded
        A scenario with an observed outcome; facts overridden with ``--set`` are held at the override.
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
        Fact ids to infer (default: every uncertain fact that moves a payoff, a weight or a power; when there is
        none, :func:`default_parameters` with the :data:`DEFAULT_SPREAD` prior). A named fact without a range
        gets that default prior.
    near
        Nash-product gap (log units) within which a package counts as near the predicted one.
    workers, scheduler
        Passed to :class:`tradetalks.executor.Executor`.

    Returns
    -------
    InverseResult
        With ``explained`` False (and no posterior) when no prior draw puts the deal in the ZOPA; its
        ``acceptance`` block then says how far the deal is from acceptance and which facts come closest.

    Raises
    ------
    InverseError
        No observed outcome, an unknown or idle parameter, or a bad ``draws``/``temperature``.
    """
    if draws < 1:
        raise InverseError("the inverse needs at least one draw.", received=draws, fix="use e.g. --draws 2000.")
    if temperature is not None and not temperature > 0:
        raise InverseError("the temperature must be positive.", received=temperature, fix="use e.g. 0.1.")
    t0 = time.perf_counter()
    model = model or build_model(loaded)
    temps = TEMPERATURE_GRID if temperature is None else (float(temperature),)
    problem, inferred = build_problem(loaded, model, parameters, temps)
    out = run_draws(problem, draws, seed, workers, scheduler)
    evidence = _log_mean_exp(out.loglik[:, 0, :], axis=0)
    best = int(np.argmax(evidence)) if temperature is None else 0
    ll = out.loglik[:, :, best]
    explained = bool(np.isfinite(ll[:, 0]).any())
    w = _weights(ll[:, 0])
    shortfall = np.clip(-out.gains[:, 0], 0.0, None).sum(axis=1)
    i_map = int(np.argmax(ll[:, 0])) if explained else int(np.argmin(shortfall))
    scn = loaded.scenario
    fids = [problem.valuation.fact_ids[c] for c in problem.columns]
    params = tuple(fact_summary(scn, f, loaded.facts[f], _fact_basis(scn, f), _fact_support(inferred, f),
                                out.theta[:, k], w, i_map) for k, f in enumerate(fids))
    share0 = float(_draw_shares(problem, problem.sampler.base[None, :])[0])
    params += (power_summary(scn, problem.power_rule, share0, out.share, w, i_map),)
    fits = [settlement_fit(tg, out, k, w, _weights(ll[:, k]), float(evidence[best]) if k == 0 else
                           float(_log_mean_exp(ll[:, k], axis=0)), near) for k, tg in enumerate(problem.targets)]
    ess = float(w.sum() ** 2 / (w ** 2).sum()) if explained else 0.0
    nash_map = _nash_at(model, problem, out.theta[i_map])
    acceptance = _acceptance(problem, inferred, model.cs.parties, out, shortfall)
    seconds = time.perf_counter() - t0
    result = InverseResult(
        scenario=scn.id, parties=model.cs.parties, draws=draws, seed=seed, temperature=temps[best],
        temperature_estimated=temperature is None,
        evidence_by_temperature={t: float(e) for t, e in zip(temps, evidence, strict=True)}, near=near,
        power_rule=problem.power_rule, parameters=params, ess=ess, consistent_draws=int(np.isfinite(ll[:, 0]).sum()),
        observed=fits[0], settlements=tuple(fits[1:]), map_point={p.id: p.map for p in params},
        map_nash_package=nash_map, map_predicted=bool(out.predicted[i_map, 0]) and explained, findings=(),
        map_differences={i: (o, fits[0].package[i]) for i, o in nash_map.items() if o != fits[0].package[i]},
        explained=explained, inputs=problem.sampler.n_inputs,
        held_fixed=tuple(f for f in loaded.overrides if f in scn.facts and is_uncertain(scn.facts[f])),
        seconds=seconds, draws_per_second=draws / seconds if seconds > 0 else math.inf, acceptance=acceptance)
    return replace(result, findings=tuple(findings(result)))


def _fact_basis(scn: Scenario, fid: str) -> str:
    fact = scn.facts[fid]
    if not is_uncertain(fact):
        return _basis(False, None, DEFAULT_SPREAD)
    return _basis(fact.range is not None, fact.dist.kind if fact.dist else None, DEFAULT_SPREAD)


def _fact_support(inferred: LoadedScenario, fid: str) -> tuple[float, float]:
    fact = inferred.scenario.facts[fid]
    if fact.range is not None:
        return float(fact.range[0]), float(fact.range[1])
    return -math.inf, math.inf


def _nash_at(model: Model, problem: ScenarioProblem, theta: FloatArray) -> dict[str, str]:
    """The Nash package (whole, unsettled issues at their no-deal option) of the observed deal's menu at the draw
    with inferred facts ``theta``; empty when its ZOPA is empty."""
    tg = problem.targets[0]
    facts = problem.sampler.base[None, :].copy()
    facts[0, problem.columns] = theta
    tables, extra = _views(problem, facts)[tg.view]
    rows = problem.menus[tg.menu]
    front = pareto_frontier([t[0, r] for t, r in zip(tables, rows, strict=True)])
    a = float(_draw_shares(problem, facts)[0])
    best = sol.nash(front, extra[tg.batna_extra][0], powers=(a, 1 - a))
    if best is None:
        return {}
    return decode_package(model, [int(r[c]) for r, c in zip(rows, best.choices, strict=True)])


def _acceptance(problem: ScenarioProblem, inferred: LoadedScenario, parties: tuple[str, str], out: Draws,
                shortfall: FloatArray) -> Acceptance:
    """How far the observed deal is from both sides' acceptance: at the point values, over the draws, and per
    input moved one at a time over its range (module docstring, "What would it take")."""
    tg = problem.targets[0]
    sampler = problem.sampler
    q = np.linspace(0.0, 1.0, ACCEPT_GRID)
    base = sampler.base
    rows = [base[None, :]]
    # an input's quantile moves only its own facts' columns: one pass gives every input's scan
    drawn = sampler.facts(np.repeat(q[:, None], sampler.n_inputs, axis=1))
    for k in range(sampler.n_inputs):
        block = np.repeat(base[None, :], ACCEPT_GRID, axis=0)
        cols = [s.column for s in sampler.specs if s.input == k]
        block[:, cols] = drawn[:, cols]
        rows.append(block)
    facts = np.concatenate(rows)
    gains = np.empty((facts.shape[0], 2))
    step = CHUNK_SIZE * 4
    for a in range(0, facts.shape[0], step):
        _, extra = _views(problem, facts[a:a + step])[tg.view]
        gains[a:a + step] = extra[tg.package_extra] - extra[tg.batna_extra]
    short = np.clip(-gains, 0.0, None).sum(axis=1)
    margin = gains.min(axis=1)
    checks = []
    for k in range(sampler.n_inputs):
        sl = slice(1 + k * ACCEPT_GRID, 1 + (k + 1) * ACCEPT_GRID)
        cols = [s.column for s in sampler.specs if s.input == k]
        checks.append(acceptance_check(inferred.scenario, [problem.valuation.fact_ids[c] for c in cols],
                                       facts[sl][:, cols], base[cols], short[sl], margin[sl], float(short[0])))
    i_best = int(np.argmin(shortfall))
    return Acceptance(
        point_gains={p: float(gains[0, j]) for j, p in enumerate(parties)}, point_shortfall=float(short[0]),
        in_zopa_share=float((out.gains[:, 0] > 0).all(axis=1).mean()),
        closest_draw_shortfall=float(shortfall[i_best]),
        closest_draw_gains={p: float(out.gains[i_best, 0, j]) for j, p in enumerate(parties)},
        checks=tuple(sorted(checks, key=lambda c: (c.best_shortfall, -c.improvement))))


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
