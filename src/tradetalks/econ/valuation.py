"""Valuation: turn each option on the agenda into payoffs per stakeholder, in USD a year.

An option moves policy levers (tariffs, ad-valorem equivalents of non-tariff barriers) in partial-equilibrium
markets and/or carries direct valuations (investment, purchases, security items) given in the scenario as
sourced facts or flagged assumptions. The partial-equilibrium model (:mod:`tradetalks.econ.pe`) turns a lever
setting into consumer surplus (to the importer's consumers), tariff revenue (to its treasury) and producer surplus
(to each supplier's stakeholder). Payoffs are always *differences* between two lever settings of the same model,
so the base-year calibration drops out and welfare changes are path-independent.

Time basis: with a ``valuation:`` block in the scenario every payoff is an annuity equivalent over one horizon at
one discount rate (:mod:`tradetalks.econ.timebasis`). A market's yearly flows are scaled by the share of the
horizon's value their lever difference keeps (it lasts ``duration`` years) times the probability that it holds;
direct payoffs may use ``flow(...)`` and ``lump(...)``. Without the block every payoff is a flow over the horizon.

This module only builds arrays from a validated scenario and evaluates them; it never reads files or prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from tradetalks.econ.pe import solve_market
from tradetalks.econ.timebasis import duration_share, flow_equivalent, lump_equivalent
from tradetalks.errors import TradetalksError
from tradetalks.scenario.expressions import calls_in, evaluate
from tradetalks.scenario.schema import Market, Scenario

FloatArray = np.ndarray


@dataclass(frozen=True)
class CompiledMarket:
    """One partial-equilibrium market with every quantity evaluated.

    Attributes
    ----------
    id, importer
        Market and importing-party ids.
    values : (n,) float
        Base-year sales of each supplier at producer prices, USD/yr.
    base_tariff, base_ntb : (n,) float
        Base-year ad-valorem tariff and NTB equivalent faced by each supplier (fractions).
    supply_elasticity : (n,) float
        ``np.inf`` for perfectly elastic supply.
    domestic : (n,) bool
        Domestic (import-competing) suppliers.
    demand_elasticity, armington_elasticity
        Composite demand elasticity (< 0) and Armington substitution elasticity (> 0).
    supplier_stakeholder : (n,) int
        Index of the stakeholder receiving each supplier's producer surplus, −1 for none (third countries).
    consumers, treasury : int
        Stakeholder indices receiving consumer surplus and tariff revenue, −1 for none.
    """

    id: str
    importer: str
    supplier_ids: tuple[str, ...]
    values: FloatArray
    base_tariff: FloatArray
    base_ntb: FloatArray
    supply_elasticity: FloatArray
    domestic: FloatArray
    demand_elasticity: float
    armington_elasticity: float
    supplier_stakeholder: tuple[int, ...]
    consumers: int
    treasury: int
    #: share of the horizon's value the market's yearly flows keep (duration share × probability), 1 by default
    time_factor: float = 1.0


@dataclass(frozen=True)
class TimeBasis:
    """The scenario's time basis: annual discount rate (1/yr) and horizon (years)."""

    rate: float
    horizon: float

    def functions(self) -> dict[str, Callable[..., float]]:
        """Implementations of the expression functions ``flow`` and ``lump`` on this basis (USD/yr)."""
        return {"flow": lambda amount, start, years: flow_equivalent(amount, self.rate, self.horizon, start, years),
                "lump": lambda amount, at: lump_equivalent(amount, self.rate, self.horizon, at)}


@dataclass(frozen=True)
class CompiledLever:
    id: str
    kind: str
    market: int
    suppliers: tuple[int, ...]


@dataclass(frozen=True)
class CompiledOption:
    """An option with its lever settings (lever index → rate) and direct payoffs (S,) in USD/yr."""

    id: str
    label: str
    settings: tuple[tuple[int, float], ...]
    direct: FloatArray


@dataclass(frozen=True)
class CompiledScenario:
    """A scenario as arrays: what :func:`stakeholder_payoffs` needs.

    Attributes
    ----------
    parties : tuple of str
        The two party ids, in scenario order (party 0, party 1).
    stakeholders : tuple of str
        Every stakeholder id, in scenario order.
    stakeholder_party : (S,) int
        Party index (0 or 1) of each stakeholder.
    weights : (S,) float
        Political weights (Grossman–Helpman).
    weight_matrix : (S, 2) float
        ``weights`` placed in the owning party's column: utilities = payoffs @ weight_matrix.
    issues : tuple of tuple of CompiledOption
        Options per issue, in scenario order.
    batna : (I,) int
        Index of each issue's BATNA option.
    """

    parties: tuple[str, str]
    stakeholders: tuple[str, ...]
    stakeholder_party: np.ndarray
    weights: FloatArray
    weight_matrix: FloatArray
    bargaining_powers: FloatArray
    markets: tuple[CompiledMarket, ...]
    levers: tuple[CompiledLever, ...]
    issue_ids: tuple[str, ...]
    issues: tuple[tuple[CompiledOption, ...], ...]
    batna: np.ndarray
    time_basis: TimeBasis | None = None
    _cache: dict[tuple[int, bytes], FloatArray] = field(default_factory=dict, repr=False, compare=False)


def time_basis(scn: Scenario, facts: Mapping[str, float]) -> TimeBasis | None:
    """The scenario's discount rate and horizon, or ``None`` without a ``valuation:`` block."""
    if scn.valuation is None:
        return None
    rate, horizon = evaluate(scn.valuation.discount_rate, facts), evaluate(scn.valuation.horizon, facts)
    if not (rate >= 0 and horizon > 0):
        raise TradetalksError("valuation needs a discount rate ≥ 0 and a horizon > 0.", received=(rate, horizon),
                              fix="check the facts named by valuation.discount_rate and valuation.horizon")
    return TimeBasis(rate=rate, horizon=horizon)


def market_time_factor(scn: Scenario, facts: Mapping[str, float], market_id: str) -> float:
    """Share of the horizon's value a market's yearly flows keep: duration share × probability (1 without a basis).
    """
    basis = time_basis(scn, facts)
    if basis is None or scn.valuation is None:
        return 1.0
    timing = scn.valuation.markets.get(market_id)
    dur_q = timing.duration if timing is not None and timing.duration is not None else scn.valuation.lever_duration
    years = basis.horizon if dur_q is None else evaluate(dur_q, facts)
    prob = 1.0 if timing is None else evaluate(timing.probability, facts)
    if years < 0 or not 0 <= prob <= 1:
        raise TradetalksError(f"market {market_id!r}: a duration must be ≥ 0 years and a probability in [0, 1].",
                              received=(years, prob), fix="check the facts named in valuation.markets")
    return duration_share(basis.rate, basis.horizon, years) * prob


def revised_facts(scn: Scenario, facts: Mapping[str, float], date: dt.date,
                  keep: frozenset[str] | set[str] = frozenset()) -> dict[str, float]:
    """Fact values as known on ``date``: every ``valuation.revisions`` entry dated on or before it applied in date
    order (facts in ``keep``, e.g. the user's overrides, are left alone)."""
    out = dict(facts)
    if scn.valuation is None:
        return out
    for rev in sorted(scn.valuation.revisions, key=lambda r: r.date):
        if rev.date <= date and rev.fact not in keep:
            out[rev.fact] = evaluate(rev.value, out)
    return out


def _compile_market(mk: Market, facts: Mapping[str, float], st_index: Mapping[str, int],
                    time_factor: float = 1.0) -> CompiledMarket:
    sup = mk.suppliers

    def arr(name: str, default: float) -> FloatArray:
        out = []
        for s in sup:
            q = getattr(s, name)
            out.append(default if q is None else evaluate(q, facts))
        return np.array(out, dtype=float)

    return CompiledMarket(
        id=mk.id, importer=mk.importer, supplier_ids=tuple(s.id for s in sup),
        values=arr("value", 0.0), base_tariff=arr("tariff", 0.0), base_ntb=arr("ntb", 0.0),
        supply_elasticity=arr("supply_elasticity", np.inf), domestic=np.array([s.domestic for s in sup]),
        demand_elasticity=evaluate(mk.demand_elasticity, facts),
        armington_elasticity=evaluate(mk.armington_elasticity, facts),
        supplier_stakeholder=tuple(st_index.get(s.stakeholder, -1) if s.stakeholder else -1 for s in sup),
        consumers=st_index.get(mk.consumers, -1) if mk.consumers else -1,
        treasury=st_index.get(mk.treasury, -1) if mk.treasury else -1,
        time_factor=time_factor,
    )


def compile_scenario(scn: Scenario, facts: Mapping[str, float]) -> CompiledScenario:
    """Evaluate every quantity of a validated scenario with the given fact values."""
    stakeholders = [(st.id, p) for p, party in enumerate(scn.parties) for st in party.stakeholders]
    st_index = {sid: k for k, (sid, _) in enumerate(stakeholders)}
    weights = np.array([evaluate(st.weight, facts) for party in scn.parties for st in party.stakeholders])
    st_party = np.array([p for _, p in stakeholders], dtype=int)
    wm = np.zeros((len(stakeholders), 2))
    wm[np.arange(len(stakeholders)), st_party] = weights
    basis = time_basis(scn, facts)
    functions = basis.functions() if basis is not None else None
    markets = tuple(_compile_market(mk, facts, st_index, market_time_factor(scn, facts, mk.id))
                    for mk in scn.markets)
    m_index = {mk.id: k for k, mk in enumerate(scn.markets)}
    levers = tuple(CompiledLever(lv.id, lv.kind, m_index[lv.market],
                                 tuple(markets[m_index[lv.market]].supplier_ids.index(s) for s in lv.suppliers))
                   for lv in scn.levers)
    l_index = {lv.id: k for k, lv in enumerate(levers)}
    issues = []
    for iss in scn.issues:
        opts = []
        for op in iss.options:
            direct = np.zeros(len(stakeholders))
            for sid, q in op.payoffs.items():
                if functions is None and calls_in(q):
                    raise TradetalksError(
                        f"issue {iss.id!r}, option {op.id!r}: the payoff of {sid!r} calls "
                        f"{', '.join(sorted(calls_in(q)))}() but the scenario has no `valuation:` block.",
                        received=q, fix="add `valuation: {discount_rate: FACT, horizon: FACT}` to the scenario")
                direct[st_index[sid]] += evaluate(q, facts, functions)
            settings = tuple((l_index[lid], evaluate(q, facts)) for lid, q in op.set.items())
            opts.append(CompiledOption(op.id, op.label, settings, direct))
        issues.append(tuple(opts))
    batna = np.array([[op.id for op in iss.options].index(iss.batna) for iss in scn.issues], dtype=int)
    powers = np.array([evaluate(p.bargaining_power, facts) for p in scn.parties])
    return CompiledScenario(
        parties=(scn.parties[0].id, scn.parties[1].id), stakeholders=tuple(s for s, _ in stakeholders),
        stakeholder_party=st_party, weights=weights, weight_matrix=wm, bargaining_powers=powers,
        markets=markets, levers=levers, issue_ids=tuple(i.id for i in scn.issues), issues=tuple(issues),
        batna=batna, time_basis=basis)


def issue_markets(cs: CompiledScenario, issue: int) -> set[int]:
    """Markets whose levers some option of ``issue`` sets."""
    return {cs.levers[li].market for op in cs.issues[issue] for li, _ in op.settings}


def market_state(cs: CompiledScenario, market: int, settings: Sequence[tuple[int, float]]) -> FloatArray:
    """(2, n) tariffs and NTB AVEs of a market after applying lever settings on top of its base year."""
    mk = cs.markets[market]
    state = np.vstack([mk.base_tariff, mk.base_ntb])
    for li, rate in settings:
        lever = cs.levers[li]
        if lever.market == market:
            state[0 if lever.kind == "tariff" else 1, list(lever.suppliers)] = rate
    return state


def market_payoffs(cs: CompiledScenario, market: int, state: FloatArray) -> FloatArray:
    """Payoffs (S,) in USD/yr of moving a market from its base year to ``state`` (cached).

    The yearly flows of the partial-equilibrium model are scaled by the market's ``time_factor`` (how much of the
    horizon the lever difference lasts, and how likely it is to hold), so they are annuity equivalents too.

    Consumer-surplus change goes to the market's consumers, the tariff-revenue change to its treasury and each
    supplier's producer-surplus change to that supplier's stakeholder; effects on unassigned suppliers (third
    countries) are not part of any party's utility.
    """
    key = (market, state.tobytes())
    hit = cs._cache.get(key)
    if hit is not None:
        return hit
    mk = cs.markets[market]
    eff = solve_market(values=mk.values, base_tariff=mk.base_tariff, base_ntb=mk.base_ntb,
                       new_tariff=state[0], new_ntb=state[1], supply_elasticity=mk.supply_elasticity,
                       demand_elasticity=mk.demand_elasticity, armington_elasticity=mk.armington_elasticity,
                       domestic=mk.domestic)
    out = np.zeros(len(cs.stakeholders))
    if mk.consumers >= 0:
        out[mk.consumers] += eff.consumer_surplus_change
    if mk.treasury >= 0:
        out[mk.treasury] += eff.tariff_revenue_change
    for s, k in enumerate(mk.supplier_stakeholder):
        if k >= 0:
            out[k] += eff.producer_surplus_change[s]
    out *= mk.time_factor
    cs._cache[key] = out
    return out


def stakeholder_payoffs(cs: CompiledScenario, choice: Sequence[int], issues: Sequence[int]) -> FloatArray:
    """Payoffs (S,) in USD/yr, relative to the BATNA, of settling ``issues`` by ``choice`` (others at BATNA).

    Parameters
    ----------
    choice
        Option index for each issue in ``issues``.
    issues
        Issue indices; every issue not listed stays at its BATNA option.
    """
    chosen = {i: c for i, c in zip(issues, choice, strict=True)}
    markets = set().union(*(issue_markets(cs, i) for i in issues)) if issues else set()
    out = np.zeros(len(cs.stakeholders))
    for i in issues:
        out += cs.issues[i][chosen[i]].direct - cs.issues[i][cs.batna[i]].direct
    if not markets:
        return out
    batna_settings = [s for i, b in enumerate(cs.batna) for s in cs.issues[i][b].settings]
    new_settings = [s for i, b in enumerate(cs.batna) for s in cs.issues[i][chosen.get(i, b)].settings]
    for m in sorted(markets):
        out += market_payoffs(cs, m, market_state(cs, m, new_settings))
        out -= market_payoffs(cs, m, market_state(cs, m, batna_settings))
    return out
