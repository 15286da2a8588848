"""A general-equilibrium second opinion on a negotiation's tariff levers (one-sector gravity; 40-sector Caliendo–Parro).

The partial-equilibrium valuation (:mod:`tradetalks.econ.valuation`) values each tariff lever market by market.
This module asks the structural-gravity model of :mod:`tradetalks.econ.gravity.solver` the same question on the
book's 69-country manufacturing data (Yotov et al. 2016): what a package of tariff options does to both parties'
real income, exports and terms of trade — and to third countries — once trade diversion, factory-gate prices and
income effects are allowed for.

Mapping levers to the one-sector model. For each direction of trade (importer party, exporter party) the
scenario's ``tariff`` levers whose targeted suppliers belong to the exporter party are pooled into one bilateral
ad-valorem tariff: the average of the targeted suppliers' tariffs weighted by their base-year (PE) sales,

    τ_ei(state) = Σ_(m,s) V_ms τ_ms(state) / Σ_(m,s) V_ms,

applied to *all* manufactures the exporter sells the importer in the GE data. Non-tariff levers (``ntb``) are not
mapped (the built-in one is on beef, outside the manufacturing data). The PE base year (τ of the markets with no
option applied; 0 for Korea under KORUS) is taken as the tariff state of the data; the BATNA and each package are
solved from it in full endowment GE with tariff revenue rebated to the importer, and a package's effect is its
outcome *relative to the BATNA's* (ratios of levels), as PE payoffs are differences against the BATNA.

Units: GE changes are in per cent; dollar figures are USD a year, % welfare change × a scale per country, by
default the country's expenditure on manufactures in the data year (2006 USD, domestic sales included).

A second GE model, sector by sector. Where Caliendo & Parro's (2015) data are in the data directory (``cp2015/``),
each package is also solved in their 40-sector model with input–output links (:mod:`tradetalks.econ.gravity.cp2015`):
every tariff lever is applied to the sectors its market maps to (:data:`DEFAULT_SECTOR_MAP`: cars and parts → Auto,
steel → Basic metals, other goods → the other tradables less Communication), from the authors' zero-deficit 1993
base year moved to the 2005 tariffs and the PE base year's rates; the BATNA and each package that moves a mapped
tariff are solved from there (:class:`~tradetalks.studies.ge_opinion_results.MultiSectorOpinion`).

Data are found through :mod:`tradetalks.datadir` (``data_dir``, ``$TRADETALKS_DATA_DIR``, the user data directory),
never through the current directory.

References
----------
Anderson, J. E. & van Wincoop, E. (2003). Gravity with Gravitas. *AER* 93(1), 170–192. doi:10.1257/000282803321455214
Yotov, Y. V., Piermartini, R., Monteiro, J.-A. & Larch, M. (2016). *An Advanced Guide to Trade Policy Analysis:
The Structural Gravity Model*. WTO/UNCTAD, ch. 2. doi:10.30875/abc0167e-en
Dekle, R., Eaton, J. & Kortum, S. (2007). Unbalanced Trade. *AER* 97(2), 351–355. doi:10.1257/aer.97.2.351
Caliendo, L. & Parro, F. (2015). Estimates of the Trade and Welfare Effects of NAFTA. *Review of Economic Studies*
82(1), 1–44. doi:10.1093/restud/rdu035
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tradetalks.datadir import dataset_dir
from tradetalks.econ.gravity.cp2015 import CP2015Data, advance, base_year, counterfactual, load_cp2015
from tradetalks.econ.gravity.data import (
    EXPORTER,
    IMPORTER,
    TRADE,
    YEAR,
    FlowColumns,
    check_sigma,
    cross_section,
    load_flows,
    pair_matrix,
)
from tradetalks.econ.gravity.estimate import ppml
from tradetalks.econ.gravity.results import Counterfactual, MultiSectorCounterfactual
from tradetalks.econ.gravity.solver import solve_counterfactual
from tradetalks.econ.pe import MarketEffects, solve_market
from tradetalks.econ.valuation import CompiledScenario, market_state, stakeholder_payoffs
from tradetalks.errors import DataError, NotFoundError
from tradetalks.studies.ge_opinion_results import (
    CountryEffect,
    GEEffects,
    GEOpinion,
    MultiSectorEffect,
    MultiSectorOpinion,
    MultiSectorPackage,
    PackageOpinion,
    PartyComparison,
    SectorTariff,
    TariffChannel,
    multisector_sentence,
    package_differences,
)

if TYPE_CHECKING:
    from tradetalks.model import Model
    from tradetalks.scenario.loader import LoadedScenario

__all__ = ["DEFAULT_SECTOR_MAP", "GEData", "GEOpinion", "default_packages", "estimate_rta_effect", "find_data_file",
           "ge_second_opinion", "load_cp2015_base", "load_ge_data"]

#: RTA effect of the book's three-way fixed-effects PPML, 1986–2006 every 4 years, N = 28,482 (Yotov et al. 2016,
#: ch. 2 app. 2; ../shared/data/agtpa/README.md); ``estimate_rta=True`` re-estimates it (~3 s)
PUBLISHED_RTA_EFFECT = 0.5571853
#: the book's elasticity of substitution (trade elasticity 1 − σ = −6)
DEFAULT_SIGMA = 7.0
DEFAULT_YEAR = 2006
#: reference importer whose consumer price index is the numeraire, as in the book
DEFAULT_REFERENCE = "DEU"
#: file names of the book's chapter-2 panel, first found wins (the shared CSV copy, or the book's Stata file)
DATA_FILES = ("ch2_app2_rta_effects.csv.gz", "Chapter2Application2.dta")
RTA_YEARS = (1986, 1990, 1994, 1998, 2002, 2006)
#: the issue's stand-alone tariff experiment: 25 % on all the exporter's goods
EXPERIMENT_TARIFF = 0.25
#: third countries listed per counterfactual (largest |USD| effect)
N_THIRD = 5
#: the book's flows are in millions of USD
MILLION = 1e6




# --------------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class GEData:
    """The book's data for one year: trade matrix (millions USD, domestic sales on the diagonal) and RTA dummies."""

    file: str
    year: int
    countries: tuple[str, ...]
    trade: np.ndarray = field(repr=False)
    rta: np.ndarray = field(repr=False)
    flows: pd.DataFrame = field(repr=False)


def find_data_file(data_dir: Path | str | None = None) -> Path:
    """Locate the book's chapter-2 panel (one of :data:`DATA_FILES`) in the data set folder ``agtpa``.

    The data directory is ``data_dir``, else ``$TRADETALKS_DATA_DIR``, else the user data directory
    (:func:`tradetalks.datadir.dataset_dir`); ``data_dir`` may also be the ``agtpa`` folder itself.

    Raises
    ------
    NotFoundError
        Naming the file and the folders searched, the ``--data-dir`` option, the environment variable and how to
        get the data.
    """
    folder = dataset_dir("agtpa", data_dir)
    return next(folder / name for name in DATA_FILES if (folder / name).is_file())


def load_cp2015_base(data_dir: Path | str | None = None) -> CP2015Data:
    """Caliendo & Parro's data (data set folder ``cp2015``) and their zero-deficit 1993 base year (two solves)."""
    return base_year(load_cp2015(dataset_dir("cp2015", data_dir)), "zero", tol=MULTISECTOR_TOL)


def load_ge_data(data_dir: Path | str | None = None, year: int = DEFAULT_YEAR) -> GEData:
    """Read the book's panel (:func:`find_data_file`) and cut the cross-section of ``year``."""
    path = find_data_file(data_dir)
    flows = load_flows(path, FlowColumns(), extra=["RTA"])
    cs = cross_section(flows, year)
    rta = pair_matrix(flows[flows[YEAR] == year], "RTA", cs.countries)
    return GEData(str(path), year, cs.countries, cs.trade, np.nan_to_num(rta), flows)


def estimate_rta_effect(flows: pd.DataFrame, years: Sequence[int] = RTA_YEARS) -> float:
    """Re-estimate the book's RTA effect: PPML with exporter-year, importer-year and symmetric pair effects.

    Intranational flows share one pair effect (Yotov et al. 2016, ch. 2 app. 2); gives 0.5571853 on the book's
    data in about 3 s.
    """
    panel = flows[flows[YEAR].isin(list(years))].copy()
    stamp = panel[YEAR].astype(str)
    exp, imp = panel[EXPORTER], panel[IMPORTER]
    panel["exporter-year"] = exp + "|" + stamp
    panel["importer-year"] = imp + "|" + stamp
    panel["pair"] = (exp.where(exp <= imp, imp) + "|" + imp.where(exp <= imp, exp)).where(exp != imp, "domestic")
    res = ppml(panel, dependent=TRADE, regressors=["RTA"], fixed_effects=["exporter-year", "importer-year", "pair"],
               cluster="pair", id_columns=[EXPORTER, IMPORTER, YEAR])
    return float(res.coefficients["RTA"])


# --------------------------------------------------------------------------------------------- lever mapping


@dataclass(frozen=True)
class _Channel:
    """Tariff levers of one direction: (market, supplier) targets, their base values and lever ids."""

    exporter: int
    importer: int
    targets: tuple[tuple[int, int], ...]
    levers: dict[str, tuple[tuple[int, int], ...]]


def _supplier_party(cs: CompiledScenario, m: int, s: int) -> int | None:
    mk = cs.markets[m]
    if mk.domestic[s]:
        return None
    k = mk.supplier_stakeholder[s]
    if k >= 0:
        return int(cs.stakeholder_party[k])
    return cs.parties.index(mk.supplier_ids[s]) if mk.supplier_ids[s] in cs.parties else None


def _channels(cs: CompiledScenario) -> tuple[list[_Channel], list[str]]:
    """Tariff levers grouped by direction, and notes on the levers left out."""
    found: dict[tuple[int, int], dict[str, list[tuple[int, int]]]] = {}
    skipped = []
    for lv in cs.levers:
        mk = cs.markets[lv.market]
        imp = cs.parties.index(mk.importer) if mk.importer in cs.parties else None
        exps = {_supplier_party(cs, lv.market, s) for s in lv.suppliers}
        if lv.kind != "tariff" or imp is None or len(exps) != 1 or None in exps or imp in exps:
            skipped.append(f"Lever {lv.id} ({lv.kind}, market {mk.id}) is not mapped to the GE model: only tariff "
                           "levers of one party on the other party's goods become bilateral GE tariffs.")
            continue
        exp = exps.pop()
        assert exp is not None
        found.setdefault((exp, imp), {})[lv.id] = [(lv.market, s) for s in lv.suppliers]
    out = [_Channel(e, i, tuple(dict.fromkeys(t for ts in lv.values() for t in ts)),
                    {k: tuple(v) for k, v in lv.items()}) for (e, i), lv in found.items()]
    return out, skipped


def _rate(cs: CompiledScenario, targets: Sequence[tuple[int, int]], settings: Sequence[tuple[int, float]]) -> float:
    """Value-weighted tariff on ``targets`` after ``settings`` (PE base-year values as weights)."""
    v = np.array([cs.markets[m].values[s] for m, s in targets])
    t = np.array([market_state(cs, m, settings)[0, s] for m, s in targets])
    return float(v @ t / v.sum()) if v.sum() > 0 else float(t.mean())


def _settings(cs: CompiledScenario, choice: Mapping[int, int]) -> list[tuple[int, float]]:
    return [s for i, b in enumerate(cs.batna) for s in cs.issues[i][choice.get(i, int(b))].settings]


def _tariff_issues(cs: CompiledScenario, channels: Sequence[_Channel]) -> list[int]:
    ids = {lid for ch in channels for lid in ch.levers}
    return [i for i, opts in enumerate(cs.issues)
            if any(cs.levers[li].id in ids for op in opts for li, _ in op.settings)]


def _choice(cs: CompiledScenario, name: str, package: Mapping[str, str], issues: Sequence[int]) -> dict[int, int]:
    """Option index per tariff issue (BATNA where the package is silent); unknown ids are errors."""
    out = {}
    for iid, oid in package.items():
        if iid not in cs.issue_ids:
            raise NotFoundError(f"package {name!r} names an unknown issue {iid!r}.", received=iid,
                                fix=f"use issue ids of the scenario: {list(cs.issue_ids)}")
        i = cs.issue_ids.index(iid)
        opts = [op.id for op in cs.issues[i]]
        if oid not in opts:
            raise NotFoundError(f"package {name!r} names an unknown option {oid!r} of issue {iid!r}.",
                                received=oid, fix=f"use one of {opts}")
        out[i] = opts.index(oid)
    return {i: out.get(i, int(cs.batna[i])) for i in issues}


# --------------------------------------------------------------------------------------------- GE solves


@dataclass(frozen=True)
class _Levels:
    """Indexes (1 = data year) and the trade matrix of one GE state."""

    welfare: np.ndarray
    real_gdp: np.ndarray
    tot: np.ndarray
    price: np.ndarray
    trade: np.ndarray
    residual: float


def _levels(cf: Counterfactual | None, X: np.ndarray) -> _Levels:
    if cf is None:
        one = np.ones(X.shape[0])
        return _Levels(one, one, one, one, X, 0.0)
    return _Levels(1 + cf.welfare / 100, 1 + cf.real_gdp / 100, 1 + cf.terms_of_trade / 100,
                   1 + cf.factory_gate_price / 100, cf.trade_counterfactual, cf.diagnostics.max_residual)


@dataclass(frozen=True)
class _Setup:
    """Everything the GE side needs: data, σ, reference, party rows, USD scale and a solve cache."""

    data: GEData
    sigma: float
    ref: int
    party_ids: tuple[str, str]
    rows: tuple[int, int]
    scale: np.ndarray
    cache: dict[bytes, _Levels] = field(default_factory=dict)

    def solve(self, tariff_base: np.ndarray, tariff_new: np.ndarray, phi_hat: np.ndarray | None = None) -> _Levels:
        """Full endowment GE from the data year (cached per call of :func:`ge_second_opinion`)."""
        hat = np.ones_like(self.data.trade) if phi_hat is None else phi_hat
        key = tariff_base.tobytes() + tariff_new.tobytes() + hat.tobytes()
        if key not in self.cache:
            cf = solve_counterfactual(self.data.trade, hat, self.sigma, reference=self.ref, kind="full",
                                      tariff_base=tariff_base, tariff_new=tariff_new, countries=self.data.countries)
            self.cache[key] = _levels(cf, self.data.trade)
        return self.cache[key]


def _change(new: float, old: float) -> float:
    """% change from ``old`` to ``new``; NaN when ``old`` is zero (e.g. a pair that does not trade)."""
    return float((new / old - 1) * 100) if old > 0 else float("nan")


def _country(st: _Setup, k: int, new: _Levels, old: _Levels) -> CountryEffect:
    off = ~np.eye(len(st.scale), dtype=bool)[k]
    welfare = _change(new.welfare[k], old.welfare[k])
    to = {pid: _change(new.trade[k, j], old.trade[k, j]) for pid, j in zip(st.party_ids, st.rows, strict=True)
          if j != k}
    return CountryEffect(
        country=st.data.countries[k], welfare=welfare, real_gdp=_change(new.real_gdp[k], old.real_gdp[k]),
        exports=_change(new.trade[k][off].sum(), old.trade[k][off].sum()), exports_to=to,
        terms_of_trade=_change(new.tot[k], old.tot[k]), factory_gate_price=_change(new.price[k], old.price[k]),
        usd=welfare / 100 * float(st.scale[k]))


def _effects(st: _Setup, name: str, description: str, new: _Levels, old: _Levels) -> GEEffects:
    n = len(st.scale)
    third = [k for k in range(n) if k not in st.rows]
    rows = [_country(st, k, new, old) for k in third]
    top = sorted(rows, key=lambda r: -abs(r.usd))[:N_THIRD]
    to = {pid: _change(new.trade[third, j].sum(), old.trade[third, j].sum())
          for pid, j in zip(st.party_ids, st.rows, strict=True)}
    return GEEffects(name=name, description=description, parties=tuple(_country(st, k, new, old) for k in st.rows),
                     third_countries=tuple(top), third_countries_usd=float(sum(r.usd for r in rows)),
                     third_countries_losing=sum(r.welfare < 0 for r in rows), third_exports_to=to, n_countries=n,
                     max_residual=max(new.residual, old.residual))


def _experiments(st: _Setup, cs: CompiledScenario, channels: Sequence[_Channel], beta: float) -> list[GEEffects]:
    """A free-trade agreement between the parties and a 25 % tariff per tariff direction, from the data year."""
    X = st.data.trade
    zero = np.zeros_like(X)
    a, b = st.rows
    hat = np.ones_like(X)
    for i, j in ((a, b), (b, a)):
        hat[i, j] = math.exp(beta * (1.0 - st.data.rta[i, j]))
    p0, p1 = st.party_ids
    out = [_effects(st, "fta", f"{p0}–{p1} free-trade agreement: RTA = 1 both ways, effect {beta:.4f} in log trade "
                    f"(φ̂ = {hat[a, b]:.3f}), against the {st.data.year} data", st.solve(zero, zero, hat),
                    _levels(None, X))]
    for ch in channels:
        e, i = st.rows[ch.exporter], st.rows[ch.importer]
        T = zero.copy()
        T[e, i] = EXPERIMENT_TARIFF
        name = f"{cs.parties[ch.importer].lower()}_tariff_{round(EXPERIMENT_TARIFF * 100)}"
        out.append(_effects(st, name, f"{EXPERIMENT_TARIFF:.0%} {cs.parties[ch.importer]} tariff on all "
                            f"{cs.parties[ch.exporter]} goods (revenue rebated), against the {st.data.year} data",
                            st.solve(zero, T), _levels(None, X)))
    return out


# --------------------------------------------------------------------------------------------- packages


def _tariff_matrix(st: _Setup, cs: CompiledScenario, channels: Sequence[_Channel],
                   settings: Sequence[tuple[int, float]]) -> np.ndarray:
    T = np.zeros_like(st.data.trade)
    for ch in channels:
        T[st.rows[ch.exporter], st.rows[ch.importer]] = _rate(cs, ch.targets, settings)
    return T


def _market_effects(cs: CompiledScenario, m: int, settings: Sequence[tuple[int, float]]) -> MarketEffects:
    mk, state = cs.markets[m], market_state(cs, m, settings)
    return solve_market(values=mk.values, base_tariff=mk.base_tariff, base_ntb=mk.base_ntb, new_tariff=state[0],
                        new_ntb=state[1], supply_elasticity=mk.supply_elasticity,
                        demand_elasticity=mk.demand_elasticity, armington_elasticity=mk.armington_elasticity,
                        domestic=mk.domestic)


def _pe_sales(cs: CompiledScenario, targets: Sequence[tuple[int, int]],
              settings: Sequence[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    """PE sales at producer prices (USD/yr) and producer-price index (1 = base year) of each target."""
    solved = {m: _market_effects(cs, m, settings) for m in dict.fromkeys(m for m, _ in targets)}
    sales = np.array([cs.markets[m].values[s] + solved[m].value_change[s] for m, s in targets])
    price = np.array([1.0 + solved[m].producer_price_change[s] for m, s in targets])
    return sales, price


def _incidence(price_ratio: float, tariff_ratio: float) -> float | None:
    """Share of a tariff change passed into the seller's price: Δln p / −Δln(1 + τ)."""
    dlt = math.log(tariff_ratio)
    return None if abs(dlt) < 1e-12 else math.log(price_ratio) / -dlt


def _channel_result(st: _Setup, cs: CompiledScenario, ch: _Channel, settings: tuple[list[tuple[int, float]], ...],
                    old: _Levels, new: _Levels) -> TariffChannel:
    base_set, batna_set, new_set = settings
    v = np.array([cs.markets[m].values[s] for m, s in ch.targets])
    (sb, pb), (sp, pp) = _pe_sales(cs, ch.targets, batna_set), _pe_sales(cs, ch.targets, new_set)
    e, i = st.rows[ch.exporter], st.rows[ch.importer]
    tb, tp = _rate(cs, ch.targets, batna_set), _rate(cs, ch.targets, new_set)
    price_pe = float(v @ pp / (v @ pb))
    price_ge = float(new.price[e] / old.price[e])
    return TariffChannel(
        exporter=cs.parties[ch.exporter], importer=cs.parties[ch.importer],
        lever_values={k: float(sum(cs.markets[m].values[s] for m, s in t)) for k, t in ch.levers.items()},
        lever_rates={k: [_rate(cs, t, batna_set), _rate(cs, t, new_set)] for k, t in ch.levers.items()},
        base=_rate(cs, ch.targets, base_set), batna=tb, package=tp,
        pe_exports_change=float(sp.sum() - sb.sum()), pe_exports_pct=float((sp.sum() / sb.sum() - 1) * 100),
        pe_exporter_price_pct=(price_pe - 1) * 100,
        ge_exports_pct=_change(new.trade[e, i], old.trade[e, i]),
        ge_exports_change=float((new.trade[e, i] - old.trade[e, i]) * MILLION),
        ge_base_flow=float(st.data.trade[e, i] * MILLION),
        pe_incidence=_incidence(price_pe, (1 + tp) / (1 + tb)), ge_incidence=_incidence(price_ge, (1 + tp) / (1 + tb)),
        pe_armington=sorted({float(cs.markets[m].armington_elasticity) for m, _ in ch.targets}),
        pe_supply_elasticity=sorted({float(cs.markets[m].supply_elasticity[s]) for m, s in ch.targets}),
        ge_importer_share=float(st.data.trade[e, i] / st.data.trade[e].sum()), year=st.data.year)


def _comparison(cs: CompiledScenario, issues: Sequence[int], choice: Mapping[int, int],
                ge: GEEffects) -> tuple[PartyComparison, ...]:
    """PE payoffs and utilities of the tariff issues (others at the BATNA) beside the GE rows, per party."""
    zeros = np.zeros(len(cs.stakeholders))
    pay = stakeholder_payoffs(cs, [choice[i] for i in issues], list(issues)) if issues else zeros
    direct = sum((cs.issues[i][choice[i]].direct - cs.issues[i][int(cs.batna[i])].direct for i in issues), zeros)
    util = pay @ cs.weight_matrix
    out = []
    for k, pid in enumerate(cs.parties):
        g, mine = ge.parties[k], cs.stakeholder_party == k
        out.append(PartyComparison(
            party=pid, pe_payoff=float(pay[mine].sum()), pe_direct=float(direct[mine].sum()),
            pe_utility=float(util[k]), ge_welfare=g.welfare, ge_real_gdp=g.real_gdp, ge_exports=g.exports,
            ge_terms_of_trade=g.terms_of_trade, ge_factory_gate_price=g.factory_gate_price, ge_usd=g.usd))
    return tuple(out)


def _package(st: _Setup, cs: CompiledScenario, channels: Sequence[_Channel], issues: Sequence[int], name: str,
             package: Mapping[str, str]) -> PackageOpinion:
    choice = _choice(cs, name, package, issues)
    settings: tuple[list[tuple[int, float]], ...] = ([], _settings(cs, {}), _settings(cs, choice))
    T0, TB, TP = (_tariff_matrix(st, cs, channels, s) for s in settings)
    old, new = st.solve(T0, TB), st.solve(T0, TP)
    chans = tuple(_channel_result(st, cs, ch, settings, old, new) for ch in channels)
    moves = "; ".join(f"{c.importer} tariff on {c.exporter} {c.batna:.1%} → {c.package:.1%}" for c in chans)
    ge = _effects(st, name, f"package {name!r} against the BATNA ({moves or 'no tariff lever'})", new, old)
    comparison = _comparison(cs, issues, choice, ge)
    return PackageOpinion(name=name, package={cs.issue_ids[i]: cs.issues[i][o].id for i, o in choice.items()},
                          channels=chans, ge=ge, comparison=comparison,
                          differences=package_differences(chans, comparison, ge, sigma=st.sigma))


def default_packages(loaded: LoadedScenario, cs: CompiledScenario) -> dict[str, dict[str, str]]:
    """``batna``, ``observed`` (when the scenario has an observed outcome) and each tariff option alone.

    Names: ``"batna"``, ``"observed"``, ``"<issue>=<option>"``; add your own (e.g. ``"nash"``) to the dict.
    """
    issues = _tariff_issues(cs, _channels(cs)[0])
    out: dict[str, dict[str, str]] = {"batna": {}}
    if loaded.observed is not None:
        out["observed"] = {iid: c.option for iid, c in loaded.observed.package.items()}
    for i in issues:
        for o, op in enumerate(cs.issues[i]):
            if o != cs.batna[i]:
                out[f"{cs.issue_ids[i]}={op.id}"] = {cs.issue_ids[i]: op.id}
    return out


# --------------------------------------------------------------------------------------------- multi-sector GE


#: scenario market id → Caliendo & Parro sectors its tariff levers apply to (the built-in korus-2025's markets;
#: ``sector_map=`` replaces it). Cars and parts are both ISIC 34 ("Auto": motor vehicles, trailers, parts); steel
#: and aluminium are ISIC 27 ("Basic metals"); "other goods" are Korea's exports covered by the reciprocal tariff,
#: which the scenario defines as all goods less cars, parts, steel, aluminium and semiconductors: every other
#: tradable sector except ISIC 32 ("Communication": electronic components, i.e. the chips, and telecom equipment).
DEFAULT_SECTOR_MAP: dict[str, tuple[str, ...]] = {
    "us_cars": ("Auto",),
    "us_parts": ("Auto",),
    "us_steel": ("Basic metals",),
    "us_other_goods": ("Agriculture", "Mining", "Food", "Textile", "Wood", "Paper", "Petroleum", "Chemicals",
                       "Plastic", "Minerals", "Metal products", "Machinery n.e.c.", "Office", "Electrical",
                       "Medical", "Other Transport", "Other"),
}
#: solver tolerance of the multi-sector solves (largest log residual of the factor markets)
MULTISECTOR_TOL = 1e-9
#: a mapped tariff counts as moved when it changes by more than this (fraction)
MOVED = 1e-12


@dataclass(frozen=True)
class _SectorChannel:
    """Targets of one (exporter party, importer party, CP sector): levers and their (market, supplier) targets."""

    exporter: int
    importer: int
    sector: str
    markets: tuple[str, ...]
    levers: tuple[str, ...]
    targets: tuple[tuple[int, int], ...]


def _sector_channels(cs: CompiledScenario, channels: Sequence[_Channel],
                     sector_map: Mapping[str, Sequence[str]]) -> tuple[list[_SectorChannel], list[str]]:
    found: dict[tuple[int, int, str], tuple[list[str], list[str], list[tuple[int, int]]]] = {}
    notes = []
    for ch in channels:
        for lid, targets in ch.levers.items():
            market = cs.markets[targets[0][0]].id
            if market not in sector_map:
                notes.append(f"Lever {lid} (market {market}) has no Caliendo–Parro sector in the sector map: it is "
                             "left out of the multi-sector model.")
                continue
            for sector in sector_map[market]:
                mk, lv, tg = found.setdefault((ch.exporter, ch.importer, sector), ([], [], []))
                mk.append(market)
                lv.append(lid)
                tg.extend(targets)
    out = [_SectorChannel(e, i, s, tuple(dict.fromkeys(m)), tuple(dict.fromkeys(lv)), tuple(dict.fromkeys(t)))
           for (e, i, s), (m, lv, t) in found.items()]
    return out, notes


def _sector_tariffs(cs: CompiledScenario, data: CP2015Data, rows: tuple[int, int], chans: Sequence[_SectorChannel],
                    settings: Sequence[tuple[int, float]], start: np.ndarray) -> np.ndarray:
    T = start.copy()
    for ch in chans:
        T[data.sector(ch.sector), rows[ch.exporter], rows[ch.importer]] = _rate(cs, ch.targets, settings)
    return T


def _ms_effects(cs: CompiledScenario, rows: tuple[int, int], cf: MultiSectorCounterfactual) -> tuple[
        MultiSectorEffect, ...]:
    out = []
    for k, r in enumerate(rows):
        other = rows[1 - k]
        before, after = cf.trade_baseline[:, r, other].sum(), cf.trade_counterfactual[:, r, other].sum()
        out.append(MultiSectorEffect(
            party=cs.parties[k], country=cf.countries[r], welfare=float(cf.welfare[r]),
            terms_of_trade=float(cf.terms_of_trade[r]), volume_of_trade=float(cf.volume_of_trade[r]),
            real_wage=float(cf.real_gdp[r]), exports=float(cf.exports[r]),
            exports_to_partner=_change(after * cf.world_value_added_deflator, before)))
    return tuple(out)


def _multisector(cs: CompiledScenario, channels: Sequence[_Channel], issues: Sequence[int],
                 named: Mapping[str, Mapping[str, str]], base: CP2015Data, codes: Sequence[str],
                 sector_map: Mapping[str, Sequence[str]]) -> MultiSectorOpinion:
    """Every named package's mapped tariffs in Caliendo & Parro's model, against the BATNA (see the docs)."""
    t0 = time.perf_counter()
    rows = (base.index(codes[0]), base.index(codes[1]))
    for _market, sectors in sector_map.items():
        for s in sectors:
            base.sector(s)
    chans, notes = _sector_channels(cs, channels, sector_map)
    # reference state: 2005 tariffs everywhere, the PE base year's rates on the mapped sectors
    T_ref = _sector_tariffs(cs, base, rows, chans, [], base.tariffs_2005)
    ref = advance(base, counterfactual(base, T_ref, tol=MULTISECTOR_TOL), T_ref, "2005 tariffs, PE base-year rates")
    T_batna = _sector_tariffs(cs, base, rows, chans, _settings(cs, {}), T_ref)
    cf_batna = counterfactual(ref, T_batna, tol=MULTISECTOR_TOL)
    batna = advance(ref, cf_batna, T_batna, "BATNA")
    solved: dict[bytes, MultiSectorCounterfactual] = {}
    packages = []
    for name, package in named.items():
        choice = _choice(cs, name, package, issues)
        settings = _settings(cs, choice)
        T = _sector_tariffs(cs, base, rows, chans, settings, T_batna)
        if float(np.max(np.abs(T - T_batna))) <= MOVED:
            continue
        key = T.tobytes()
        if key not in solved:
            solved[key] = counterfactual(batna, T, tol=MULTISECTOR_TOL)
        cf = solved[key]
        tariffs = []
        for ch in chans:
            j, e, i = base.sector(ch.sector), rows[ch.exporter], rows[ch.importer]
            tariffs.append(SectorTariff(
                exporter=cs.parties[ch.exporter], importer=cs.parties[ch.importer], sector=ch.sector,
                markets=ch.markets, levers=ch.levers, data_2005=float(base.tariffs_2005[j, e, i]),
                base=float(T_ref[j, e, i]), batna=float(T_batna[j, e, i]), package=float(T[j, e, i]),
                base_flow=float(base.trade[j, e, i]),
                exports_pct=_change(cf.trade_counterfactual[j, e, i] * cf.world_value_added_deflator,
                                    cf.trade_baseline[j, e, i])))
        third = [k for k in range(len(cf.countries)) if k not in rows]
        packages.append(MultiSectorPackage(
            name=name, tariffs=tuple(tariffs), parties=_ms_effects(cs, rows, cf),
            third_countries_losing=int(sum(cf.welfare[k] < 0 for k in third)), n_countries=len(cf.countries),
            max_residual=max(cf.diagnostics.max_residual, cf_batna.diagnostics.max_residual)))
    mapped = sorted({ch.sector for ch in chans}, key=base.sector)
    theta = {s: float(base.theta[base.sector(s)]) for s in mapped}
    notes = [
        "GE, 40 sectors (Caliendo & Parro 2015): their own data for 31 economies (30 countries and a constructed "
        "rest of the world), 20 tradable and 20 service sectors with input–output links; base year 1993 (trade "
        "flows, input–output tables, value added) with the deficits removed as in the paper, moved to the 2005 "
        "tariffs and then to the PE base year's rates on the mapped sectors; the BATNA and each package are solved "
        "from there. Everything is in 1993 economies: a % change, not a 2025 dollar figure.",
        "Trade elasticities θ of the mapped sectors (the authors' code's unless sector_theta was given): "
        + ", ".join(f"{s} {t:g}" for s, t in theta.items())
        + " (σ = θ + 1). For Auto the code uses 8.22, the paper's Table 1 estimate is 1.84 (s.e. 0.92); the PE "
        "cars market uses its own Armington elasticity.",
        "Welfare is the exact change in real income (value added plus tariff revenue over the price index); terms of "
        "trade and volume of trade are the paper's first-order decomposition, whose sum can differ from it for large "
        "tariff changes.",
        *notes,
    ]
    return MultiSectorOpinion(
        data_dir=base.directory,
        base_year="1993 flows, input–output tables and value added (zero-deficit base year); 2005 tariffs",
        sector_map={m: list(s) for m, s in sector_map.items()}, theta=theta, packages=tuple(packages),
        notes=tuple(notes), seconds=time.perf_counter() - t0)


# --------------------------------------------------------------------------------------------- entry point


def _setup(data: GEData, cs: CompiledScenario, sigma: float, reference: str, countries: Mapping[str, str] | None,
           usd_scale: Mapping[str, float] | None) -> _Setup:
    codes = [(countries or {}).get(p, p) for p in cs.parties]
    missing = [c for c in [*codes, reference, *(usd_scale or {})] if c not in data.countries]
    if missing:
        raise DataError(f"country codes {missing} are not in the GE data ({Path(data.file).name}, {data.year}).",
                        received=missing, fix="map each scenario party to a country of the data with "
                        f"countries={{party: code}}; codes: {', '.join(data.countries)}")
    scale = data.trade.sum(axis=0) * MILLION
    for c, v in (usd_scale or {}).items():
        scale[data.countries.index(c)] = float(v)
    rows = (data.countries.index(codes[0]), data.countries.index(codes[1]))
    return _Setup(data, sigma, data.countries.index(reference), cs.parties, rows, scale)


def _model_notes(loaded: LoadedScenario, data: GEData, sigma: float) -> tuple[str, str]:
    """What each model does, with the years, σ and number of countries of this run."""
    years = sorted({str(mk.year) for mk in loaded.scenario.markets if mk.year is not None}) or ["its base year"]
    return (
        f"PE: one market at a time, each with its own {'/'.join(years)} base values and the scenario's demand, "
        "Armington and supply elasticities; no income effects, no third-country or economy-wide price feedback; "
        "rest-of-world suppliers belong to no party.",
        f"GE: one sector (all manufactures) on the book's {data.year} data for {len(data.countries)} countries, "
        f"σ = {sigma:g}; every bilateral flow, factory-gate price and price index adjusts (full endowment, tariff "
        "revenue rebated, deficit ratios fixed), so trade is diverted to and from third countries and terms of "
        "trade move.",
    )


def _usd_basis(year: int, usd_scale: Mapping[str, float] | None, usd_basis: str | None) -> str:
    default = (f"% welfare change × the country's expenditure on manufactures in the {year} data (domestic sales "
               f"included), in USD of {year}")
    if usd_scale is None:
        return default
    if not usd_basis:
        raise DataError("usd_scale is given without usd_basis.", received=dict(usd_scale),
                        fix="say what the figures are and where they come from, e.g. 'GDP 2024, BEA/BOK'.")
    return f"{usd_basis} for {', '.join(usd_scale)}; other countries: {default}"


def ge_second_opinion(
    loaded: LoadedScenario,
    model: Model,
    *,
    data_dir: Path | str | None = None,
    sigma: float = DEFAULT_SIGMA,
    year: int = DEFAULT_YEAR,
    packages: Mapping[str, Mapping[str, str]] | None = None,
    reference: str = DEFAULT_REFERENCE,
    countries: Mapping[str, str] | None = None,
    rta_effect: float = PUBLISHED_RTA_EFFECT,
    estimate_rta: bool = False,
    usd_scale: Mapping[str, float] | None = None,
    usd_basis: str | None = None,
    data: GEData | None = None,
    multisector: bool | None = None,
    sector_map: Mapping[str, Sequence[str]] | None = None,
    cp_base: CP2015Data | None = None,
    sector_theta: Mapping[str, float] | None = None,
) -> GEOpinion:
    """Value named packages of a scenario's tariff options in one-sector structural-gravity GE, beside PE.

    Parameters
    ----------
    loaded, model
        The scenario (for its observed outcome) and :func:`tradetalks.model.build_model` of it (PE side).
    data_dir
        Data directory holding ``agtpa/`` (the book's panel, :data:`DATA_FILES`) and ``cp2015/`` (Caliendo &
        Parro's data); default ``$TRADETALKS_DATA_DIR``, else the user data directory (:mod:`tradetalks.datadir`).
    sigma, year, reference
        Elasticity of substitution, data year and reference importer (numeraire); the book's 7, 2006 and DEU.
    packages
        Name → {issue id: option id}; issues not named stay at their BATNA, non-tariff issues are ignored. Default
        :func:`default_packages`: ``batna``, ``observed`` and each tariff option alone.
    countries
        Scenario party id → data country code, where they differ (default: the same code).
    rta_effect, estimate_rta
        Coefficient of RTA in log trade for the FTA experiment (the book's 0.5571853), or re-estimate it by PPML
        on the panel (~3 s).
    usd_scale, usd_basis
        USD/yr per 100 % welfare change for some countries (e.g. GDP) and what it is, with its source; other
        countries use their expenditure in the data.
    data
        Pre-loaded :func:`load_ge_data` (skips reading the file).
    multisector
        Also value the packages in Caliendo & Parro's 40-sector model (:class:`MultiSectorOpinion`): ``True``
        requires their data, ``False`` skips it, ``None`` (default) runs it when the data are found and otherwise
        says in the notes how to add it. About two solves of a 31-country, 40-sector model per distinct package.
    sector_map
        Scenario market id → Caliendo–Parro sectors (default :data:`DEFAULT_SECTOR_MAP`, for korus-2025).
    cp_base
        Pre-computed :func:`load_cp2015_base` (skips reading and the base-year solves).
    sector_theta
        Trade elasticities θ to use instead of the authors' for some sectors, e.g. ``{"Auto": 1.84}`` (their
        Table 1 estimate; their code uses 8.22). The base year does not depend on θ.

    Returns
    -------
    GEOpinion

    Raises
    ------
    NotFoundError
        The book's data are absent (or Caliendo & Parro's with ``multisector=True``); a package names an unknown
        issue or option.
    DataError
        σ ≤ 1; a party or the reference is not in the data; ``usd_scale`` without ``usd_basis``; a sector of the
        sector map is not one of Caliendo & Parro's.
    ConvergenceError
        A GE solve did not converge.

    Examples
    --------
    >>> from tradetalks.model import build_model
    >>> from tradetalks.scenario import load_scenario
    >>> loaded = load_scenario("korus-2025")
    >>> op = ge_second_opinion(loaded, build_model(loaded))          # doctest: +SKIP
    >>> op.package("observed").ge.party("KOR").welfare > 0           # doctest: +SKIP
    True
    """
    t0 = time.perf_counter()
    cs = model.cs
    sigma = check_sigma(sigma)
    data = data if data is not None else load_ge_data(data_dir, year)
    st = _setup(data, cs, sigma, reference, countries, usd_scale)
    basis = _usd_basis(data.year, usd_scale, usd_basis)
    channels, skipped = _channels(cs)
    issues = _tariff_issues(cs, channels)
    named = default_packages(loaded, cs) if packages is None else {k: dict(v) for k, v in packages.items()}
    beta = estimate_rta_effect(data.flows) if estimate_rta else float(rta_effect)
    opinions = tuple(_package(st, cs, channels, issues, name, pkg) for name, pkg in named.items())
    pe_only = [f"Issue {iss.id} ({iss.category}) moves no mapped lever: its valuations stay PE-only."
               for k, iss in enumerate(loaded.scenario.issues) if iss.category == "tariff" and k not in issues]
    experiments = tuple(_experiments(st, cs, channels, beta))
    ms, ms_notes = None, []
    if multisector is not False:
        if cp_base is None:
            try:
                cp_base = load_cp2015_base(data_dir)
            except NotFoundError as exc:
                if multisector:
                    raise
                ms_notes.append(f"The 40-sector Caliendo–Parro model was not run: {exc.what} ({exc.fix})")
        if cp_base is not None:
            if sector_theta:
                theta = cp_base.theta.copy()
                for name, value in sector_theta.items():
                    if not (math.isfinite(float(value)) and float(value) > 0):
                        raise DataError(f"sector_theta[{name!r}] must be a positive trade elasticity.",
                                        received=value, fix="θ = σ − 1 > 0, e.g. 1.84 (Caliendo & Parro, Table 1).")
                    theta[cp_base.sector(name)] = float(value)
                cp_base = dataclasses.replace(cp_base, theta=theta)
            codes = [(countries or {}).get(p, p) for p in cs.parties]
            ms = _multisector(cs, channels, issues, named, cp_base, codes,
                              DEFAULT_SECTOR_MAP if sector_map is None else sector_map)
            opinions = tuple(_with_multisector(op, ms) for op in opinions)
    return GEOpinion(
        data_file=data.file, year=data.year, sigma=sigma, reference=reference, kind="full", deficits="ratio",
        rta_effect=beta, rta_source="estimated (PPML, this run)" if estimate_rta else "Yotov et al. 2016, ch. 2",
        usd_basis=basis, parties=dict(zip(cs.parties, (data.countries[r] for r in st.rows), strict=True)),
        tariff_issues=tuple(cs.issue_ids[i] for i in issues), packages=opinions, experiments=experiments,
        notes=(*_model_notes(loaded, data, sigma), *skipped, *pe_only, *ms_notes), seconds=time.perf_counter() - t0,
        multisector=ms)


def _with_multisector(op: PackageOpinion, ms: MultiSectorOpinion) -> PackageOpinion:
    """The package's comparison rows with the multi-sector welfare beside PE and one-sector GE."""
    row = ms.package(op.name)
    if row is None:
        return op
    comparison = tuple(dataclasses.replace(c, ge_multisector_welfare=row.party(c.party).welfare)
                       for c in op.comparison)
    return dataclasses.replace(op, comparison=comparison,
                               differences=(*op.differences, multisector_sentence(row, op.channels)))
