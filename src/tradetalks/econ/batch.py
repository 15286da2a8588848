"""Valuation of many fact draws at once: the scenario's structure compiled once, every draw evaluated in arrays.

:func:`~tradetalks.econ.valuation.stakeholder_payoffs` values one compound option of one fact vector at a time
(Python bookkeeping per market state). For Monte Carlo, :func:`compile_batch` records once which market states
each compound option needs (a *state* of a market is the choice of every issue that sets one of its levers) and
which expressions feed which quantity; :meth:`BatchValuation.evaluate` then evaluates every expression on a
``(D,)`` vector of draws, solves every market in every needed state for all draws in one vectorised Newton solve
(:func:`~tradetalks.econ.pe.solve_market_batch`) and assembles each issue group's payoff table, ``(D, m_g, S)``.
Payoffs equal those of :func:`tradetalks.model.build_model` run on each draw's facts, to rounding.

Every array in a :class:`BatchValuation` is plain data, so it pickles small and can be sent to worker processes.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradetalks.econ.pe import solve_market_batch
from tradetalks.scenario.schema import Scenario
from tradetalks.timebasis import _SMALL_RT, duration_share, flow_equivalent, lump_equivalent

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Quantity = float | int | str

__all__ = ["BatchValuation", "GroupSpec", "MarketSpec", "compile_batch", "evaluate_quantity"]


#: vectorised time-basis functions of the scenario language: name → f(args..., rate, horizon) on arrays
ArrayFunctions = Mapping[str, Callable[..., FloatArray]]

#: the scalar functions elementwise: the reference, and the path that raises their errors for invalid inputs
_FLOW_SCALAR = np.vectorize(lambda amount, start, years, rate, horizon:
                            flow_equivalent(amount, rate, horizon, start, years), otypes=[np.float64])
_LUMP_SCALAR = np.vectorize(lambda amount, at, rate, horizon: lump_equivalent(amount, rate, horizon, at),
                            otypes=[np.float64])
_SHARE_SCALAR = np.vectorize(duration_share, otypes=[np.float64])


def _valid(rate: ArrayLike, *years: ArrayLike) -> bool:
    """The inputs :mod:`tradetalks.timebasis` accepts: finite rates and years ≥ 0."""
    return all(bool(np.all(np.isfinite(a) & (np.asarray(a) >= 0))) for a in (rate, *years))


def _libm(fn: Callable[[float], float], x: FloatArray) -> FloatArray:
    """``fn`` of :mod:`math` elementwise: the C library's results, bit for bit those of the scalar functions
    (numpy's own SIMD ``exp``/``expm1`` differ from them in the last bits of a few per cent of values)."""
    return np.fromiter(map(fn, x.ravel().tolist()), dtype=np.float64, count=x.size).reshape(x.shape)


def _annuity_factor(rate: FloatArray, years: FloatArray) -> FloatArray:
    """:func:`tradetalks.timebasis.annuity_factor` on arrays (same formulas and switch to the series)."""
    x = rate * years
    small = x < _SMALL_RT
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(small, years * (1.0 - x / 2.0 + x * x / 6.0), -_libm(math.expm1, -x) / rate))


def _flow(amount: ArrayLike, start: ArrayLike, years: ArrayLike, rate: ArrayLike, horizon: ArrayLike) -> FloatArray:
    """:func:`tradetalks.timebasis.flow_equivalent` elementwise (arguments in the scenario language's order)."""
    if not (_valid(rate, start, years, horizon) and bool(np.all(np.asarray(horizon) > 0))):
        return np.asarray(_FLOW_SCALAR(amount, start, years, rate, horizon), dtype=np.float64)
    a, s, y, r, h = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (amount, start, years, rate,
                                                                                   horizon)))
    end = np.minimum(s + y, h)
    pv = np.where(end <= s, 0.0, a * _libm(math.exp, -r * s) * _annuity_factor(r, np.maximum(end - s, 0.0)))
    return np.asarray(pv / _annuity_factor(r, h))


def _lump(amount: ArrayLike, at: ArrayLike, rate: ArrayLike, horizon: ArrayLike) -> FloatArray:
    """:func:`tradetalks.timebasis.lump_equivalent` elementwise (arguments in the scenario language's order)."""
    if not (_valid(rate, at, horizon) and bool(np.all(np.asarray(horizon) > 0))):
        return np.asarray(_LUMP_SCALAR(amount, at, rate, horizon), dtype=np.float64)
    a, t, r, h = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (amount, at, rate, horizon)))
    pv = np.where(t > h, 0.0, a * _libm(math.exp, -r * t))
    return np.asarray(pv / _annuity_factor(r, h))


def _share(rate: ArrayLike, horizon: ArrayLike, years: ArrayLike) -> FloatArray:
    """:func:`tradetalks.timebasis.duration_share` elementwise."""
    if not (_valid(rate, horizon, years) and bool(np.all(np.asarray(horizon) > 0))):
        return np.asarray(_SHARE_SCALAR(rate, horizon, years), dtype=np.float64)
    r, h, y = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (rate, horizon, years)))
    return np.asarray(_annuity_factor(r, np.minimum(y, h)) / _annuity_factor(r, h))



def evaluate_quantity(q: Quantity, values: Mapping[str, FloatArray | float], n: int,
                      basis: tuple[FloatArray, FloatArray] | None = None) -> FloatArray:
    """A scenario quantity evaluated on arrays of fact draws: shape ``(n,)``.

    Uses the same grammar as :func:`tradetalks.scenario.expressions.evaluate` (numbers, fact ids, ``+ - * /``,
    parentheses, and ``flow``/``lump`` on the time basis ``basis`` = (discount rate, horizon) per draw), applied
    elementwise.

    >>> evaluate_quantity("-a * b / 2", {"a": np.array([10.0, 4.0]), "b": 3.0}, 2).tolist()
    [-15.0, -6.0]
    """
    if not isinstance(q, str):
        return np.full(n, float(q))
    out = _eval(ast.parse(q.strip(), mode="eval").body, values, basis)
    return np.broadcast_to(np.asarray(out, dtype=np.float64), (n,)).copy()


def _eval(node: ast.expr, values: Mapping[str, FloatArray | float],
          basis: tuple[FloatArray, FloatArray] | None = None) -> FloatArray | float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("flow", "lump"):
        if basis is None:
            raise ValueError(f"{node.func.id}() needs the scenario's valuation block")
        args = [_eval(a, values, basis) for a in node.args]
        fn: Callable[..., FloatArray] = _flow if node.func.id == "flow" else _lump
        return np.asarray(fn(*args, *basis), dtype=np.float64)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _eval(node.operand, values, basis)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, values, basis), _eval(node.right, values, basis)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, ast.Div):
            return a / b
    raise ValueError(f"unsupported expression node {type(node).__name__}")  # the loader rejected it already


@dataclass(frozen=True)
class MarketSpec:
    """One market's structure: quantities as expressions, and the policy states the analysis needs.

    Attributes
    ----------
    values, tariff, ntb, supply_elasticity : tuple of Quantity, (n,)
        Per supplier; ``supply_elasticity`` entries are ``None`` for perfectly elastic supply.
    demand_elasticity, armington_elasticity
        Quantities.
    stakeholder : (n,) int
        Receiver of each supplier's producer surplus, −1 for none.
    consumers, treasury : int
        Receivers of consumer surplus and tariff revenue, −1 for none.
    states : tuple of tuple of (kind, suppliers, Quantity)
        Per needed state, the lever settings applied on top of the base year, in the order
        :func:`~tradetalks.econ.valuation.market_state` applies them; state 0 is the BATNA.
    """

    values: tuple[Quantity, ...]
    tariff: tuple[Quantity, ...]
    ntb: tuple[Quantity, ...]
    supply_elasticity: tuple[Quantity | None, ...]
    demand_elasticity: Quantity
    armington_elasticity: Quantity
    stakeholder: tuple[int, ...]
    consumers: int
    treasury: int
    states: tuple[tuple[tuple[int, tuple[int, ...], Quantity], ...], ...]
    #: years the market's lever differences last (``None``: the whole horizon) and the probability they hold
    #: (:func:`~tradetalks.econ.valuation.market_time_factor`); only with a time basis
    duration: Quantity | None = None
    probability: Quantity = 1.0


@dataclass(frozen=True)
class GroupSpec:
    """One issue group's rows: the global option index of each member per row, and each market's state per row.

    Attributes
    ----------
    issues : tuple of int
        Member issue indices.
    n_rows : int
        m_g, the group's rows (compound options); rows after these value the extra packages.
    options : (m_g + e, k) int
        Global option index (into :attr:`BatchValuation.option_payoffs`) of each member issue per row.
    batna_options : (k,) int
        Global option index of each member's BATNA option.
    markets : tuple of int
        Markets the group's levers act on (sorted).
    market_states : tuple of (m_g,) int
        For each of ``markets``, the state index of each row.
    """

    issues: tuple[int, ...]
    n_rows: int
    options: IntArray
    batna_options: IntArray
    markets: tuple[int, ...]
    market_states: tuple[IntArray, ...]


@dataclass(frozen=True)
class BatchValuation:
    """A scenario compiled for batched valuation (see the module docstring).

    Attributes
    ----------
    fact_ids : tuple of str
        Columns of the fact matrix :meth:`evaluate` takes.
    n_stakeholders : int
        S.
    stakeholder_party : (S,) int
        0 or 1.
    weights : tuple of Quantity, (S,)
        Political weights.
    powers : tuple of Quantity, (2,)
        Bargaining powers.
    option_payoffs : tuple of tuple of (stakeholder, Quantity)
        Direct payoffs of every option of every issue, in global option order (issue by issue).
    markets : tuple of MarketSpec
    groups : tuple of GroupSpec
    extra : tuple of tuple of int
        Per extra package (e.g. the observed deal), its row in each group.
    """

    fact_ids: tuple[str, ...]
    n_stakeholders: int
    stakeholder_party: IntArray
    weights: tuple[Quantity, ...]
    powers: tuple[Quantity, ...]
    option_payoffs: tuple[tuple[tuple[int, Quantity], ...], ...]
    markets: tuple[MarketSpec, ...]
    groups: tuple[GroupSpec, ...]
    extra: tuple[tuple[int, ...], ...] = ()
    #: the scenario's time basis as quantities (discount rate, horizon), ``None`` without a valuation block
    basis: tuple[Quantity, Quantity] | None = None

    def evaluate(self, facts: FloatArray, *, per_stakeholder: bool = False) -> BatchTables:
        """Utility (or payoff) tables of every issue group for ``D`` fact vectors.

        Parameters
        ----------
        facts
            Shape ``(D, F)``: one row per draw, columns in :attr:`fact_ids` order.
        per_stakeholder
            Also keep the stakeholder payoffs (``(D, m_g, S)`` per group; more memory), e.g. to check them.

        Returns
        -------
        BatchTables
        """
        x = np.asarray(facts, dtype=np.float64)
        n = x.shape[0]
        vals = {fid: x[:, j] for j, fid in enumerate(self.fact_ids)}
        basis = None if self.basis is None else (evaluate_quantity(self.basis[0], vals, n),
                                                 evaluate_quantity(self.basis[1], vals, n))
        weights = np.stack([evaluate_quantity(q, vals, n) for q in self.weights], axis=1)
        powers = np.stack([evaluate_quantity(q, vals, n) for q in self.powers], axis=1)
        onehot = np.stack([self.stakeholder_party == 0, self.stakeholder_party == 1], axis=1).astype(np.float64)
        wm = weights[:, :, None] * onehot[None]
        direct = np.zeros((n, len(self.option_payoffs), self.n_stakeholders))
        for o, pays in enumerate(self.option_payoffs):
            for s, q in pays:
                direct[:, o, s] += evaluate_quantity(q, vals, n, basis)
        market_pay = [self._market_payoffs(mk, vals, n, basis) for mk in self.markets]
        payoffs: list[FloatArray] = []
        if per_stakeholder:
            full = [self._group_payoffs(g, direct, market_pay) for g in self.groups]
            payoffs = [f[:, :g.n_rows] for f, g in zip(full, self.groups, strict=True)]
        direct_u = np.einsum("dos,dsp->dop", direct, wm)
        market_u = [np.einsum("dks,dsp->dkp", mp, wm) for mp in market_pay]
        full_u = [self._group_payoffs(g, direct_u, market_u) for g in self.groups]
        extras = [np.stack([full_u[k][:, row] for k, row in enumerate(rows)], axis=1) for rows in self.extra]
        return BatchTables(utilities=[f[:, :g.n_rows] for f, g in zip(full_u, self.groups, strict=True)],
                           weights=weights, powers=powers, extra=extras, payoffs=payoffs)

    def _market_payoffs(self, mk: MarketSpec, vals: Mapping[str, FloatArray], n: int,
                        basis: tuple[FloatArray, FloatArray] | None = None) -> FloatArray:
        """(D, K, S): payoffs of moving the market from its base year to each state, USD/yr (on the time basis:
        scaled by the share of the horizon the difference lasts and the probability it holds)."""
        k = len(mk.states)
        v = np.stack([evaluate_quantity(q, vals, n) for q in mk.values], axis=1)
        t0 = np.stack([evaluate_quantity(q, vals, n) for q in mk.tariff], axis=1)
        n0 = np.stack([evaluate_quantity(q, vals, n) for q in mk.ntb], axis=1)
        eta = np.stack([np.full(n, np.inf) if q is None else evaluate_quantity(q, vals, n)
                        for q in mk.supply_elasticity], axis=1)
        eps = evaluate_quantity(mk.demand_elasticity, vals, n)
        sigma = evaluate_quantity(mk.armington_elasticity, vals, n)
        t1 = np.repeat(t0[:, None, :], k, axis=1)
        n1 = np.repeat(n0[:, None, :], k, axis=1)
        for s, settings in enumerate(mk.states):
            for kind, sups, q in settings:
                target = t1 if kind == 0 else n1
                target[:, s, list(sups)] = evaluate_quantity(q, vals, n)[:, None]
        rows = n * k

        def tile(a: FloatArray) -> FloatArray:
            return np.repeat(a, k, axis=0)

        res = solve_market_batch(tile(v), tile(t0), t1.reshape(rows, -1), base_ntb=tile(n0),
                                 new_ntb=n1.reshape(rows, -1), supply_elasticity=tile(eta),
                                 demand_elasticity=np.repeat(eps, k), armington_elasticity=np.repeat(sigma, k))
        out = np.zeros((rows, self.n_stakeholders))
        if mk.consumers >= 0:
            out[:, mk.consumers] += res.consumer_surplus_change
        if mk.treasury >= 0:
            out[:, mk.treasury] += res.tariff_revenue_change
        for s, st in enumerate(mk.stakeholder):
            if st >= 0:
                out[:, st] += res.producer_surplus_change[:, s]
        out3 = out.reshape(n, k, self.n_stakeholders)
        if basis is not None:
            rate, horizon = basis
            years = horizon if mk.duration is None else evaluate_quantity(mk.duration, vals, n)
            factor = _share(rate, horizon, years) * evaluate_quantity(mk.probability, vals, n)
            out3 = out3 * factor[:, None, None]
        return out3

    @staticmethod
    def _group_payoffs(g: GroupSpec, direct: FloatArray, market_pay: Sequence[FloatArray]) -> FloatArray:
        out = direct[:, g.options].sum(axis=2) - direct[:, g.batna_options].sum(axis=1)[:, None, :]
        for m, states in zip(g.markets, g.market_states, strict=True):
            mp = market_pay[m]
            out = out + mp[:, states]
            out = out - mp[:, :1]
        return np.asarray(out)


@dataclass(frozen=True, eq=False)
class BatchTables:
    """Evaluated draws: per group utility tables and the weights and powers of each draw.

    Attributes
    ----------
    utilities : list of (D, m_g, 2) arrays
        Party utilities of every row of every group, weighted USD/yr against the BATNA.
    weights : (D, S)
        Political weights per draw.
    powers : (D, 2)
        Bargaining powers per draw.
    extra : list of (D, G, 2) arrays
        Per extra package, its utilities in each group (sum over groups, left to right, for the package).
    payoffs : list of (D, m_g, S) arrays
        Stakeholder payoffs (USD/yr against the BATNA) when asked for, else empty.
    """

    utilities: list[FloatArray]
    weights: FloatArray
    powers: FloatArray
    extra: list[FloatArray]
    payoffs: list[FloatArray]


def _market_states(scn: Scenario) -> tuple[list[list[int]], dict[str, int], dict[str, int]]:
    """Issues whose options set levers of each market, and lever/market indices."""
    m_index = {mk.id: k for k, mk in enumerate(scn.markets)}
    l_market = {lv.id: m_index[lv.market] for lv in scn.levers}
    touching: list[list[int]] = [[] for _ in scn.markets]
    for i, iss in enumerate(scn.issues):
        for m in sorted({l_market[lid] for op in iss.options for lid in op.set}):
            touching[m].append(i)
    return touching, m_index, l_market


def compile_batch(scn: Scenario, fact_ids: Sequence[str], groups: Sequence[tuple[tuple[int, ...], IntArray]],
                  extra: Sequence[Sequence[int]] = ()) -> BatchValuation:
    """Compile a validated scenario's structure for batched valuation.

    Parameters
    ----------
    scn
        The scenario.
    fact_ids
        Fact columns of the matrices that :meth:`BatchValuation.evaluate` will receive (every fact the scenario
        uses must be among them).
    groups
        Issue groups as (member issue indices, combos ``(m_g, k)``), e.g. from :func:`tradetalks.model.build_model`.
    extra
        Packages (one option index per issue, scenario order) to value in every draw as well, e.g. the observed
        deal (it may break a constraint and so be in no group's rows).
    """
    st_ids = [st.id for p in scn.parties for st in p.stakeholders]
    st_index = {sid: k for k, sid in enumerate(st_ids)}
    party = np.array([p for p, party in enumerate(scn.parties) for _ in party.stakeholders], dtype=np.int64)
    offsets = np.cumsum([0] + [len(iss.options) for iss in scn.issues])
    option_payoffs = tuple(tuple((st_index[sid], q) for sid, q in op.payoffs.items())
                           for iss in scn.issues for op in iss.options)
    touching, m_index, _ = _market_states(scn)
    levers = {lv.id: lv for lv in scn.levers}
    batna = [[op.id for op in iss.options].index(iss.batna) for iss in scn.issues]
    state_keys = [{tuple(batna[i] for i in t): 0} for t in touching]
    specs = []
    for issues, combos in groups:
        rows = np.asarray(combos, dtype=np.int64).reshape(-1, len(issues))
        for pkg in extra:
            sub = np.array([pkg[i] for i in issues], dtype=np.int64)
            if not (rows == sub).all(axis=1).any():
                rows = np.vstack([rows, sub])
        chosen = [dict(zip(issues, r.tolist(), strict=True)) for r in rows]
        g_markets = tuple(sorted({m for m, t in enumerate(touching) if set(t) & set(issues)}))
        states = []
        for m in g_markets:
            keys = state_keys[m]
            states.append(np.array([keys.setdefault(tuple(c[i] for i in touching[m]), len(keys)) for c in chosen],
                                   dtype=np.int64))
        specs.append(GroupSpec(issues=tuple(issues), n_rows=int(np.asarray(combos).shape[0]),
                               options=rows + offsets[list(issues)][None, :],
                               batna_options=np.array([offsets[i] + batna[i] for i in issues], dtype=np.int64),
                               markets=g_markets, market_states=tuple(states)))
    markets = []
    for m, mk in enumerate(scn.markets):
        sup_index = {sp.id: k for k, sp in enumerate(mk.suppliers)}
        settings_of = []
        for key in state_keys[m]:
            settings = []
            for i, o in zip(touching[m], key, strict=True):
                for lid, q in scn.issues[i].options[o].set.items():
                    lv = levers[lid]
                    if m_index[lv.market] == m:
                        settings.append((0 if lv.kind == "tariff" else 1, tuple(sup_index[s] for s in lv.suppliers), q))
            settings_of.append(tuple(settings))
        timing = scn.valuation.markets.get(mk.id) if scn.valuation is not None else None
        duration = timing.duration if timing is not None and timing.duration is not None else (
            scn.valuation.lever_duration if scn.valuation is not None else None)
        markets.append(MarketSpec(
            values=tuple(sp.value for sp in mk.suppliers), tariff=tuple(sp.tariff for sp in mk.suppliers),
            ntb=tuple(sp.ntb for sp in mk.suppliers),
            supply_elasticity=tuple(sp.supply_elasticity for sp in mk.suppliers),
            demand_elasticity=mk.demand_elasticity, armington_elasticity=mk.armington_elasticity,
            stakeholder=tuple(st_index.get(sp.stakeholder, -1) if sp.stakeholder else -1 for sp in mk.suppliers),
            consumers=st_index.get(mk.consumers, -1) if mk.consumers else -1,
            treasury=st_index.get(mk.treasury, -1) if mk.treasury else -1, states=tuple(settings_of),
            duration=duration, probability=timing.probability if timing is not None else 1.0))
    return BatchValuation(
        fact_ids=tuple(fact_ids), n_stakeholders=len(st_ids), stakeholder_party=party,
        weights=tuple(st.weight for p in scn.parties for st in p.stakeholders),
        powers=tuple(p.bargaining_power for p in scn.parties), option_payoffs=option_payoffs,
        markets=tuple(markets), groups=tuple(specs),
        basis=None if scn.valuation is None else (scn.valuation.discount_rate, scn.valuation.horizon),
        extra=tuple(tuple(int(np.flatnonzero((g.options - offsets[list(g.issues)][None, :]
                                              == np.array([pkg[i] for i in g.issues])).all(axis=1))[0])
                          for g in specs) for pkg in extra))
