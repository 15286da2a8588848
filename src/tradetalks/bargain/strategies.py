r"""Negotiation strategies for the alternating-offers protocol, and opponent models.

A strategy is a small frozen dataclass of parameters. :meth:`Strategy.start` binds it to one party's
:class:`~tradetalks.bargain.arena.PartyView` for one negotiation and returns an :class:`Agent` that holds what
it has seen. Most strategies are *target* strategies: each round they set an aspiration :math:`\tau_t` for their
own utility and offer the package on their menu that is best for the other side among those giving them at least
:math:`\tau_t` (one binary search); they accept an offer worth at least the aspiration they would offer next
round (AC_next, Baarslag et al. 2011). Utilities are in USD a year (weighted, against the scenario's BATNA).

Strategies (names as in :data:`StrategyName`):

- ``boulware``, ``linear``, ``conceder`` — time-dependent tactics of Faratin, Sierra and Jennings (1998):
  :math:`\tau_t = u^{\max}_t - (u^{\max}_t - u^{\min}_t)(t/T)^{1/e}` with :math:`u^{\max}_t` the best own utility
  the other side would prefer to its BATNA, :math:`u^{\min}_t = d_t + \phi(u^{\max}_t - d_t)` (BATNA :math:`d_t`
  at that date, ``floor`` :math:`\phi`), :math:`T` the last playable round. Boulware :math:`e < 1` concedes late,
  conceder :math:`e > 1` early, linear :math:`e = 1`.
- ``tit_for_tat`` — relative tit-for-tat (Faratin et al. 1998; the "nice" variant of Baarslag, Hindriks and
  Jonker 2013): concedes the share of its range :math:`[\text{Nash}, u^{\max}]` that the other side has conceded
  in its offers, plus ``nice`` · t/T, never below its utility at the Nash solution.
- ``rubinstein`` — the subgame-perfect strategy of Rubinstein (1982) with the per-round discount factors: as
  proposer, offers the other side exactly its equilibrium share :math:`\delta_r(1-\delta_p)/(1-\delta_p\delta_r)`
  of its range :math:`[d, u^{\max}]` (:func:`~tradetalks.bargain.timing.rubinstein_shares`) and keeps the best
  package for itself that does so; as responder, accepts at least its own equilibrium share.
- ``ratifier_aware`` — a time-dependent tactic that offers and accepts only packages its party's ratifiers accept
  (Putnam's two-level game).
- ``frequency_model``, ``bayesian_model`` — time-dependent tactics that do not know the other side's utility:
  among their candidate packages worth between :math:`\tau_t` and :math:`\tau_t + \text{band}` to themselves they
  offer the one the opponent model rates highest. The frequency model counts the options the opponent offers and
  weights issues it never moves on (the HardHeaded model of van Krimpen et al. 2013); the Bayesian model keeps a
  posterior over a few hypotheses about the opponent's political weights, an offer being likelier under a
  hypothesis the less utility it leaves on the table for the opponent (Hindriks and Tykhonov 2008).

References
----------
Faratin, P., Sierra, C. and Jennings, N. R. (1998). Negotiation decision functions for autonomous agents.
*Robotics and Autonomous Systems* 24(3-4), 159-182. https://doi.org/10.1016/S0921-8890(98)00029-3

Rubinstein, A. (1982). Perfect equilibrium in a bargaining model. *Econometrica* 50(1), 97-109.
https://doi.org/10.2307/1912531

Baarslag, T., Hindriks, K. and Jonker, C. (2011). Acceptance conditions in automated negotiation. *ACAN 2011*,
Springer SCI 435, 95-111. https://doi.org/10.1007/978-3-642-30737-9_6

Baarslag, T., Hindriks, K. and Jonker, C. (2013). A tit for tat negotiation strategy for real-time bilateral
negotiations. *Complex Automated Negotiations*, Springer SCI 435, 229-233.

Hindriks, K. and Tykhonov, D. (2008). Opponent modelling in automated multi-issue negotiation using Bayesian
learning. *AAMAS 2008*, 331-338.

van Krimpen, T., Looije, D. and Hajizadeh, S. (2013). HardHeaded. *Complex Automated Negotiations*, Springer SCI
435, 223-227. https://doi.org/10.1007/978-3-642-30737-9_17
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, get_args

import numpy as np

from tradetalks.bargain.arena import MenuKind, PartyView, best_for_opponent, best_for_self
from tradetalks.bargain.opponent import BayesianModel, FrequencyModel, OpponentModel
from tradetalks.bargain.timing import rubinstein_shares
from tradetalks.errors import TradetalksError
from tradetalks.options import StrategyName

__all__ = [
    "STRATEGY_NAMES",
    "Agent",
    "BayesianModelStrategy",
    "Boulware",
    "Conceder",
    "FrequencyModelStrategy",
    "Linear",
    "RatifierAware",
    "RubinsteinOptimal",
    "Strategy",
    "StrategyName",
    "TimeDependent",
    "TitForTat",
    "make_strategy",
    "parse_strategy",
]

STRATEGY_NAMES: tuple[StrategyName, ...] = get_args(StrategyName)


class Agent:
    """One side of one negotiation: a strategy, its view, its random generator and what it has seen (mutable).

    Attributes
    ----------
    mine, theirs : list of int
        Pool indices of the offers this agent made and received, in order.
    model : OpponentModel or None
        The opponent model of an opponent-modelling strategy.
    """

    __slots__ = ("mine", "model", "rng", "strategy", "theirs", "view")

    def __init__(self, strategy: Strategy, view: PartyView, rng: np.random.Generator,
                 model: OpponentModel | None = None) -> None:
        self.strategy, self.view, self.rng, self.model = strategy, view, rng, model
        self.mine: list[int] = []
        self.theirs: list[int] = []

    def propose(self, t: int) -> int:
        """Pool index of this round's offer (-1: no offer)."""
        x = self.strategy.offer(self, t)
        if x >= 0:
            self.mine.append(x)
        return x

    def observe(self, t: int, package: int) -> None:
        """Record the other side's offer."""
        self.theirs.append(package)
        if self.model is not None:
            self.model.update(package)

    def respond(self, t: int, package: int) -> bool:
        """Whether to accept the other side's offer."""
        return self.strategy.accept(self, t, package)


def _check(ok: bool, what: str, received: object, fix: str) -> None:
    if not ok:
        raise TradetalksError(what, received=received, fix=fix)


@dataclass(frozen=True)
class Strategy:
    """Base class: a target strategy with AC_next acceptance. Subclasses set :attr:`name` and :meth:`target`.

    Attributes
    ----------
    noise : float
        Standard deviation of a Gaussian jitter on the aspiration, as a share of the agent's range (0: none).
    """

    name: ClassVar[StrategyName]
    #: which packages the strategy offers from
    menu: ClassVar[MenuKind] = "frontier"
    noise: float = 0.0

    def __post_init__(self) -> None:
        _check(self.noise >= 0, f"{self.name}: noise must be >= 0.", self.noise, "use e.g. 0.02 (2 % of the range)")

    @property
    def label(self) -> str:
        """The name with every non-default parameter except ``noise``, e.g. ``boulware(e=0.1)``."""
        changed = [f"{f.name}={getattr(self, f.name):g}" for f in dataclasses.fields(self)
                   if f.name != "noise" and getattr(self, f.name) != f.default]
        return f"{self.name}({', '.join(changed)})" if changed else self.name

    def start(self, view: PartyView, rng: np.random.Generator) -> Agent:
        """Bind to one party's view for one negotiation."""
        return Agent(self, view, rng, self.new_model(view))

    def new_model(self, view: PartyView) -> OpponentModel | None:
        return None

    def span(self, view: PartyView, t: int) -> tuple[float, float]:
        """``(BATNA, top)`` of the agent's range at round ``t``; top is the best own utility the other side would
        prefer to its BATNA (at least the BATNA)."""
        low = float(view.batna[t])
        return low, max(float(view.ideal[t]), low)

    def target(self, agent: Agent, t: int) -> float:
        """Own-utility aspiration at round ``t`` (USD/yr)."""
        raise NotImplementedError

    def jitter(self, agent: Agent, t: int, tau: float) -> float:
        """``tau`` plus the strategy's noise, kept within the agent's range."""
        if self.noise == 0:
            return tau
        low, top = self.span(agent.view, t)
        return min(top, max(low, tau + self.noise * (top - low) * float(agent.rng.standard_normal())))

    def offer(self, agent: Agent, t: int) -> int:
        return best_for_opponent(agent.view.menu, self.jitter(agent, t, self.target(agent, t)))

    def accept(self, agent: Agent, t: int, package: int) -> bool:
        """AC_next: accept what is worth at least the aspiration of the next round."""
        return bool(agent.view.own[package] >= self.target(agent, t + 1) - agent.view.tol)


@dataclass(frozen=True)
class TimeDependent(Strategy):
    r"""Faratin et al. (1998) time-dependent tactic, :math:`\tau_t = u^{\max} - (u^{\max} - u^{\min})(t/T)^{1/e}`.

    Attributes
    ----------
    e : float
        Concession exponent (> 0): < 1 Boulware, 1 linear, > 1 conceder.
    floor : float
        Share of the range above the BATNA never conceded, in [0, 1) (0: concede down to the BATNA).
    """

    e: float = 1.0
    floor: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(self.e > 0, f"{self.name}: the concession exponent e must be > 0.", self.e,
               "use e < 1 (Boulware), 1 (linear) or > 1 (conceder)")
        _check(0 <= self.floor < 1, f"{self.name}: floor must be in [0, 1).", self.floor, "use e.g. 0 or 0.3")

    def target(self, agent: Agent, t: int) -> float:
        low, top = self.span(agent.view, t)
        low = low + self.floor * (top - low)
        horizon = agent.view.horizon
        frac = 1.0 if t >= horizon else t / horizon
        return top - (top - low) * frac ** (1.0 / self.e)


@dataclass(frozen=True)
class Boulware(TimeDependent):
    """Time-dependent with e < 1: holds out and concedes near the deadline."""

    name: ClassVar[StrategyName] = "boulware"
    e: float = 0.2

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(self.e < 1, "boulware needs e < 1.", self.e, "use conceder for e > 1 or linear for e = 1")


@dataclass(frozen=True)
class Linear(TimeDependent):
    """Time-dependent with e = 1: concedes at a constant rate."""

    name: ClassVar[StrategyName] = "linear"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(self.e == 1, "linear has e = 1.", self.e, "use boulware (e < 1) or conceder (e > 1)")


@dataclass(frozen=True)
class Conceder(TimeDependent):
    """Time-dependent with e > 1: concedes early."""

    name: ClassVar[StrategyName] = "conceder"
    e: float = 2.0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(self.e > 1, "conceder needs e > 1.", self.e, "use boulware for e < 1 or linear for e = 1")


@dataclass(frozen=True)
class TitForTat(Strategy):
    """Relative tit-for-tat that never concedes below its Nash utility.

    Attributes
    ----------
    reciprocity : float
        Share of the other side's relative concession that is mirrored (>= 0).
    nice : float
        Unconditional concession reached at the last round, as a share of the range, in [0, 1].
    """

    name: ClassVar[StrategyName] = "tit_for_tat"
    reciprocity: float = 1.0
    nice: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(self.reciprocity >= 0, "tit_for_tat: reciprocity must be >= 0.", self.reciprocity, "use e.g. 1")
        _check(0 <= self.nice <= 1, "tit_for_tat: nice must be in [0, 1].", self.nice, "use e.g. 0.5")

    def target(self, agent: Agent, t: int) -> float:
        v = agent.view
        low, top = self.span(v, t)
        nash_own = float(v.nash[t])
        floor = low if np.isnan(nash_own) else min(max(nash_own, low), top)
        if top <= floor:
            return top
        conceded = 0.0
        if agent.theirs:
            conceded = min(1.0, max(0.0, (float(v.own[agent.theirs[-1]] - v.own[agent.theirs[0]])) / (top - floor)))
        frac = 1.0 if t >= v.horizon else t / v.horizon
        return top - min(1.0, self.reciprocity * conceded + self.nice * frac) * (top - floor)


@dataclass(frozen=True)
class RubinsteinOptimal(Strategy):
    """Subgame-perfect play of Rubinstein's game on the normalised surplus (see the module docstring).

    Each side's surplus at round t is its range [BATNA, best utility the other side would prefer to its BATNA];
    shares follow the per-round discount factors. The equilibrium is that of the infinite-horizon game: a hard
    deadline does not change it.
    """

    name: ClassVar[StrategyName] = "rubinstein"

    def target(self, agent: Agent, t: int) -> float:
        low, top = self.span(agent.view, t)
        return low + rubinstein_shares(agent.view.delta, agent.view.opp_delta)[0] * (top - low)

    def offer(self, agent: Agent, t: int) -> int:
        v = agent.view
        give = rubinstein_shares(v.delta, v.opp_delta)[1]
        if self.noise:
            give = min(1.0, max(0.0, give + self.noise * float(agent.rng.standard_normal())))
        opp_low = float(v.opp_batna[t])
        x = best_for_self(v.menu, opp_low + give * (max(float(v.opp_ideal[t]), opp_low) - opp_low))
        return -1 if x < 0 or v.own[x] < v.batna[t] - v.tol else x

    def accept(self, agent: Agent, t: int, package: int) -> bool:
        v = agent.view
        low, top = self.span(v, t)
        keep = rubinstein_shares(v.opp_delta, v.delta)[1]
        return bool(v.own[package] >= low + keep * (top - low) - v.tol)


@dataclass(frozen=True)
class RatifierAware(TimeDependent):
    """A time-dependent tactic that offers and accepts only packages its party's ratifiers accept.

    Without ratifiers in the scenario it plays like the time-dependent tactic with the same exponent.
    """

    name: ClassVar[StrategyName] = "ratifier_aware"
    menu: ClassVar[MenuKind] = "ratifiable"

    def accept(self, agent: Agent, t: int, package: int) -> bool:
        return bool(agent.view.ratifiable[package]) and super().accept(agent, t, package)


@dataclass(frozen=True)
class _OpponentModelling(TimeDependent):
    """A time-dependent tactic that picks, within ``band`` of its aspiration, the offer its model rates highest.

    Attributes
    ----------
    band : float
        Width of the band of own utility searched above the aspiration, as a share of the range (>= 0).
    """

    menu: ClassVar[MenuKind] = "candidates"
    band: float = 0.05

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(self.band >= 0, f"{self.name}: band must be >= 0.", self.band, "use e.g. 0.05")

    def offer(self, agent: Agent, t: int) -> int:
        v, menu = agent.view, agent.view.menu
        tau = self.jitter(agent, t, self.target(agent, t))
        low, top = self.span(v, t)
        hi = int(np.searchsorted(menu.neg_own, -tau, side="right")) - 1
        if hi < 0:
            return -1
        lo = min(hi, int(np.searchsorted(menu.neg_own, -(tau + self.band * (top - low)), side="left")))
        if agent.model is None or (not agent.theirs and isinstance(agent.model, FrequencyModel)):
            return int(menu.pool[hi])
        cands = menu.pool[lo:hi + 1]
        return int(cands[int(np.argmax(agent.model.estimate(cands)))])


@dataclass(frozen=True)
class FrequencyModelStrategy(_OpponentModelling):
    """Opponent modelling with a frequency model (:class:`FrequencyModel`)."""

    name: ClassVar[StrategyName] = "frequency_model"

    def new_model(self, view: PartyView) -> OpponentModel:
        return FrequencyModel(view.issue_options)


@dataclass(frozen=True)
class BayesianModelStrategy(_OpponentModelling):
    """Opponent modelling with a Bayesian model over weight hypotheses (:class:`BayesianModel`)."""

    name: ClassVar[StrategyName] = "bayesian_model"

    def new_model(self, view: PartyView) -> OpponentModel:
        return BayesianModel(view)


STRATEGIES: dict[StrategyName, type[Strategy]] = {
    "boulware": Boulware, "linear": Linear, "conceder": Conceder, "tit_for_tat": TitForTat,
    "rubinstein": RubinsteinOptimal, "ratifier_aware": RatifierAware, "frequency_model": FrequencyModelStrategy,
    "bayesian_model": BayesianModelStrategy,
}


def make_strategy(name: str, **params: float) -> Strategy:
    """A strategy by name, with its parameters.

    Raises
    ------
    TradetalksError
        On an unknown name or parameter, or a parameter out of range; the message lists what is valid.

    Examples
    --------
    >>> make_strategy("boulware", e=0.1).label
    'boulware(e=0.1)'
    >>> make_strategy("haggler")
    Traceback (most recent call last):
    ...
    tradetalks.errors.TradetalksError: unknown strategy 'haggler'. Fix: use one of boulware, linear, conceder, \
tit_for_tat, rubinstein, ratifier_aware, frequency_model, bayesian_model.
    """
    if name not in STRATEGIES:
        raise TradetalksError(f"unknown strategy {name!r}.", fix=f"use one of {', '.join(STRATEGY_NAMES)}.")
    cls = STRATEGIES[name]  # type: ignore[index]
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise TradetalksError(f"strategy {name!r} has no parameter {', '.join(map(repr, unknown))}.",
                              fix=f"use {', '.join(known)}.")
    return cls(**params)


def parse_strategy(spec: str) -> Strategy:
    """A strategy from a command-line spec: ``name`` or ``name:key=value,key=value``.

    >>> s = parse_strategy("conceder:e=3,noise=0.01")
    >>> s.label, s.noise
    ('conceder(e=3)', 0.01)
    """
    name, _, rest = spec.strip().partition(":")
    params: dict[str, float] = {}
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, eq, value = item.partition("=")
        try:
            params[key.strip()] = float(value)
        except ValueError:
            eq = ""
        if not eq:
            raise TradetalksError(f"cannot read strategy parameter {item!r} in {spec!r}.",
                                  fix="write name:key=value,key=value, e.g. boulware:e=0.1")
    return make_strategy(name, **params)
