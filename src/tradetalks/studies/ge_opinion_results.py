"""Result types of the general-equilibrium second opinion, and the sentences that say where PE and GE differ.

:func:`tradetalks.studies.ge_opinion.ge_second_opinion` computes; this module holds its frozen results (every field's
unit documented) and :func:`package_differences`, which turns one package's PE and GE numbers into plain-language
statements of where and why the two models differ. Percentages are % changes (``0.5`` = +0.5 %); money is USD a
year; tariffs are fractions (``0.25`` = 25 %).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tradetalks.errors import NotFoundError
from tradetalks.studies.notebook_view import NotebookView

__all__ = ["CountryEffect", "GEEffects", "GEOpinion", "MultiSectorEffect", "MultiSectorOpinion",
           "MultiSectorPackage", "PackageOpinion", "PartyComparison", "SectorTariff", "TariffChannel",
           "multisector_sentence", "package_differences"]

#: a USD/yr figure smaller than this counts as nil when comparing signs of PE and GE
NIL_USD = 1e6


@dataclass(frozen=True)
class CountryEffect:
    """GE effect on one country, against the counterfactual's reference state.

    Attributes
    ----------
    country : str
        Country code of the data.
    welfare, real_gdp : float
        % change of real expenditure E/P (tariff revenue included) and of real GDP p/P.
    exports : float
        % change of exports excluding domestic sales.
    exports_to : dict of str to float
        % change of exports to each negotiating party (the country itself left out).
    terms_of_trade, factory_gate_price : float
        % changes (terms of trade: p against partners' prices weighted by baseline import shares).
    usd : float
        USD/yr: ``welfare`` / 100 × the country's USD scale (see :attr:`GEOpinion.usd_basis`).
    """

    country: str
    welfare: float
    real_gdp: float
    exports: float
    exports_to: dict[str, float]
    terms_of_trade: float
    factory_gate_price: float
    usd: float


@dataclass(frozen=True)
class GEEffects:
    """One GE counterfactual: the parties, the largest third-country effects and third countries in total.

    Attributes
    ----------
    name, description : str
        Short id and what was changed against what.
    parties : tuple of CountryEffect
        The two negotiating parties, in scenario order.
    third_countries : tuple of CountryEffect
        The :data:`N_THIRD` third countries with the largest |USD| effect.
    third_countries_usd : float
        Sum of every third country's USD effect, USD/yr.
    third_countries_losing : int
        Third countries whose welfare falls (of ``n_countries - 2``).
    third_exports_to : dict of str to float
        % change of all third countries' exports to each party (trade diversion when negative).
    n_countries : int
    max_residual : float
        Largest solver residual of the solves behind this counterfactual.
    """

    name: str
    description: str
    parties: tuple[CountryEffect, ...]
    third_countries: tuple[CountryEffect, ...]
    third_countries_usd: float
    third_countries_losing: int
    third_exports_to: dict[str, float]
    n_countries: int
    max_residual: float

    def party(self, country: str) -> CountryEffect:
        """The row of one party (by data country code)."""
        return next(p for p in self.parties if p.country == country)


@dataclass(frozen=True)
class TariffChannel:
    """One direction of bilateral tariffs, mapped from the scenario's levers, PE and GE side by side.

    Attributes
    ----------
    exporter, importer : str
        Party ids.
    lever_values : dict of str to float
        Lever id → PE base-year sales of the targeted suppliers, USD/yr (the weights of the average).
    lever_rates : dict of str to list of float
        Lever id → [BATNA rate, package rate] (fractions, value-weighted over the lever's suppliers).
    base, batna, package : float
        Trade-weighted tariff (fraction) in the PE base year, the BATNA and the package.
    pe_exports_change : float
        PE change of the targeted suppliers' sales at producer prices, package against BATNA, USD/yr.
    pe_exports_pct, pe_exporter_price_pct : float
        The same in % of BATNA sales, and the % change of their value-weighted producer price.
    ge_exports_pct, ge_exports_change : float
        GE % change of the exporter's manufactures sold to the importer, and the change in USD/yr (data year).
    ge_base_flow : float
        That flow in the GE data, USD/yr (data year, before tariffs).
    pe_incidence, ge_incidence : float or None
        Share of the tariff change passed into the exporter's price: Δln p / −Δln(1 + τ) (PE producer price in
        the lever markets; GE factory-gate price on all sales); ``None`` when the tariff does not move.
    pe_armington, pe_supply_elasticity : list of float
        The distinct Armington elasticities of the lever markets and export supply elasticities of the targeted
        suppliers (``inf`` = perfectly elastic) in the PE model.
    ge_importer_share : float
        Share of the exporter's output (domestic sales included) that the importer buys in the GE data.
    year : int
        Year of the GE data.
    """

    exporter: str
    importer: str
    lever_values: dict[str, float]
    lever_rates: dict[str, list[float]]
    base: float
    batna: float
    package: float
    pe_exports_change: float
    pe_exports_pct: float
    pe_exporter_price_pct: float
    ge_exports_pct: float
    ge_exports_change: float
    ge_base_flow: float
    pe_incidence: float | None
    ge_incidence: float | None
    pe_armington: list[float]
    pe_supply_elasticity: list[float]
    ge_importer_share: float
    year: int


@dataclass(frozen=True)
class PartyComparison:
    """PE payoffs of the tariff issues beside the GE effects, for one party (package against the BATNA).

    Attributes
    ----------
    party : str
    pe_payoff : float
        Σ of the party's stakeholder payoffs from the mapped tariff issues, USD/yr, unweighted (market effects and
        the options' direct valuations, e.g. parity-precedent costs).
    pe_direct : float
        The part of ``pe_payoff`` from direct valuations (not modelled in GE).
    pe_utility : float
        Political-weight-adjusted utility of the same, USD/yr (what the bargaining uses).
    ge_welfare, ge_real_gdp, ge_exports, ge_terms_of_trade, ge_factory_gate_price : float
        GE % changes.
    ge_usd : float
        GE welfare change in USD/yr (see :attr:`GEOpinion.usd_basis`).
    ge_multisector_welfare : float or None
        % change of real income in the 40-sector Caliendo–Parro model (:class:`MultiSectorOpinion`), package
        against the BATNA; ``None`` when that model was not run or the package moves no tariff mapped to it.
    """

    party: str
    pe_payoff: float
    pe_direct: float
    pe_utility: float
    ge_welfare: float
    ge_real_gdp: float
    ge_exports: float
    ge_terms_of_trade: float
    ge_factory_gate_price: float
    ge_usd: float
    ge_multisector_welfare: float | None = None


@dataclass(frozen=True)
class SectorTariff:
    """One mapped tariff in the multi-sector model: a Caliendo–Parro sector of one direction of trade.

    Attributes
    ----------
    exporter, importer : str
        Party ids.
    sector : str
        Caliendo & Parro's sector (ISIC rev. 3 based, e.g. ``"Auto"`` = ISIC 34, vehicles and parts).
    markets, levers : tuple of str
        Scenario markets mapped to the sector and the tariff levers on them.
    data_2005 : float
        The sector's applied tariff in the data for 2005 (fraction), replaced by the scenario's rates.
    base, batna, package : float
        Tariff (fraction) in the PE base year, the BATNA and the package: the levers' rates, weighted by PE base-year
        sales when several levers share the sector.
    base_flow : float
        Exporter → importer flow of the sector in the 1993 base year, before tariffs, USD of 1993.
    exports_pct : float
        % change of that flow, package against the BATNA.
    """

    exporter: str
    importer: str
    sector: str
    markets: tuple[str, ...]
    levers: tuple[str, ...]
    data_2005: float
    base: float
    batna: float
    package: float
    base_flow: float
    exports_pct: float


@dataclass(frozen=True)
class MultiSectorEffect:
    """Effect of a package on one party in the multi-sector model, against the BATNA.

    Attributes
    ----------
    party, country : str
        Scenario party id and data country code.
    welfare : float
        % change of real income I/P, I = value added + tariff revenue (exact, from the solved equilibria).
    terms_of_trade, volume_of_trade : float
        Caliendo & Parro's (2015, eq. 28) decomposition, % of income; their sum is the first-order welfare change.
    real_wage : float
        % change of ŵ/P (real value added per unit of labour).
    exports, exports_to_partner : float
        % change of exports over all sectors, and of exports to the other party.
    """

    party: str
    country: str
    welfare: float
    terms_of_trade: float
    volume_of_trade: float
    real_wage: float
    exports: float
    exports_to_partner: float


@dataclass(frozen=True)
class MultiSectorPackage:
    """One package in the multi-sector model: the sector tariffs it sets and its effects against the BATNA."""

    name: str
    tariffs: tuple[SectorTariff, ...]
    parties: tuple[MultiSectorEffect, ...]
    third_countries_losing: int
    n_countries: int
    max_residual: float

    def party(self, party: str) -> MultiSectorEffect:
        """The row of one party (by scenario party id)."""
        return next(p for p in self.parties if p.party == party)


@dataclass(frozen=True)
class MultiSectorOpinion:
    """The Caliendo–Parro (2015) multi-sector second opinion: each package's tariffs applied sector by sector.

    Attributes
    ----------
    data_dir : str
        Folder of Caliendo & Parro's data that was read.
    base_year : str
        What the model's base year is (1993 flows, input–output tables and value added; 2005 tariffs).
    sector_map : dict of str to list of str
        Scenario market id → the Caliendo–Parro sectors its tariff levers are applied to.
    theta : dict of str to float
        Trade elasticity θ_j of each mapped sector (σ_j = θ_j + 1), as used by the authors' code.
    packages : tuple of MultiSectorPackage
        One per named package that moves a mapped tariff away from the BATNA (others have no row: zero by
        construction).
    notes : tuple of str
        What the model does, and what was not mapped.
    seconds : float
        Wall time of the multi-sector part.
    """

    data_dir: str
    base_year: str
    sector_map: dict[str, list[str]]
    theta: dict[str, float]
    packages: tuple[MultiSectorPackage, ...]
    notes: tuple[str, ...]
    seconds: float

    def package(self, name: str) -> MultiSectorPackage | None:
        """The row of one package, or ``None`` when it moves no mapped tariff."""
        return next((p for p in self.packages if p.name == name), None)


@dataclass(frozen=True)
class PackageOpinion:
    """The second opinion on one named package: mapped tariffs, GE effects, PE beside GE, and how they differ."""

    name: str
    package: dict[str, str]
    channels: tuple[TariffChannel, ...]
    ge: GEEffects
    comparison: tuple[PartyComparison, ...]
    differences: tuple[str, ...]


@dataclass(frozen=True)
class GEOpinion(NotebookView):
    """General-equilibrium second opinion on a scenario's tariff levers (see the module docstring).

    Attributes
    ----------
    data_file : str
        The book's panel that was read.
    year, sigma, reference, kind, deficits
        Data year, σ, reference importer (numeraire), ``"full"`` endowment GE, ``"ratio"`` deficit closure.
    rta_effect : float
        Coefficient of RTA in log trade used by the FTA experiment; ``rta_source`` says where it came from.
    usd_basis : str
        What a GE percentage is multiplied by to give USD/yr.
    parties : dict of str to str
        Scenario party id → data country code.
    tariff_issues : tuple of str
        Issues whose options move a mapped tariff lever (the PE side of every comparison).
    packages : tuple of PackageOpinion
        One per named package, effects against the BATNA.
    experiments : tuple of GEEffects
        The stand-alone experiments (FTA between the parties; 25 % tariff on all the exporter's goods), against the
        data year.
    notes : tuple of str
        What each model does and what was left out of the mapping.
    seconds : float
        Wall time of the whole second opinion.
    multisector : MultiSectorOpinion or None
        The same packages in Caliendo & Parro's 40-sector model with input–output links, when run.
    """

    data_file: str
    year: int
    sigma: float
    reference: str
    kind: str
    deficits: str
    rta_effect: float
    rta_source: str
    usd_basis: str
    parties: dict[str, str]
    tariff_issues: tuple[str, ...]
    packages: tuple[PackageOpinion, ...]
    experiments: tuple[GEEffects, ...]
    notes: tuple[str, ...]
    seconds: float
    multisector: MultiSectorOpinion | None = None

    def package(self, name: str) -> PackageOpinion:
        """The opinion on one named package; :class:`NotFoundError` when there is none."""
        for p in self.packages:
            if p.name == name:
                return p
        raise NotFoundError(f"no package named {name!r} in this GE opinion.",
                            received=name, fix=f"use one of {[p.name for p in self.packages]}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (NaN and infinities as ``None``)."""
        return _plain(dataclasses.asdict(self))

    def to_frame(self) -> pd.DataFrame:
        """One row per package × party: PE payoff and utility beside the GE effects."""
        rows = [{"package": p.name, **dataclasses.asdict(c)} for p in self.packages for c in p.comparison]
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        def line(e: GEEffects) -> str:
            return e.name + " " + ", ".join(f"{p.country} {p.welfare:+.3f} %" for p in e.parties)

        items = "; ".join(line(e) for e in (*[p.ge for p in self.packages], *self.experiments))
        return (f"GEOpinion(year={self.year}, σ={self.sigma:g}, RTA effect {self.rta_effect:.4f} ({self.rta_source}), "
                f"welfare: {items})")


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


# --------------------------------------------------------------------------------------------- differences


def _money(x: float, signed: bool = True) -> str:
    a, sign = abs(x), ("-" if x < 0 else "+") if signed else ""
    if a >= 1e9:
        return f"{sign}${a / 1e9:.2f}bn"
    return f"{sign}${a / 1e6:.0f}m" if a >= 1e6 else f"{sign}${a / 1e6:.2f}m"


def _says_mapping(c: TariffChannel) -> str:
    rates = ", ".join(f"{k} {b:.1%} → {n:.1%}" for k, (b, n) in c.lever_rates.items())
    ups = [k for k, (b, n) in c.lever_rates.items() if n > b]
    downs = [k for k, (b, n) in c.lever_rates.items() if n < b]
    mixed = f" The average nets the rise on {', '.join(ups)} against the cuts, which PE values market by market." \
        if ups and downs else ""
    return (f"Mapping: PE moves each {c.importer} tariff lever on {c.exporter} in its own market ({rates}); the "
            f"one-sector GE applies their average weighted by PE base-year sales, {c.batna:.1%} → {c.package:.1%}, "
            f"to all {c.exporter} manufactures sold in {c.importer}.{mixed}")


def _says_incidence(c: TariffChannel) -> str:
    if c.pe_incidence is None or c.ge_incidence is None:
        return ""
    why = f"{c.exporter} sells elsewhere and carries less of it" if c.ge_incidence < c.pe_incidence \
        else f"more of it falls on {c.exporter}"
    return (f"Incidence: {c.exporter}'s sellers carry {c.pe_incidence:.0%} of the tariff change in PE (producer "
            f"prices in the lever markets {c.pe_exporter_price_pct:+.2f} %) against {c.ge_incidence:.0%} in GE "
            f"(factory-gate price on all sales): {c.importer} bought {c.ge_importer_share:.1%} of {c.exporter}'s "
            f"manufacturing output in {c.year}, so in GE {why}.")


def _says_exports(c: TariffChannel, sigma: float) -> str:
    arm, sup = c.pe_armington, c.pe_supply_elasticity
    return (f"Exports: {c.exporter}'s sales to {c.importer} change {c.pe_exports_pct:+.1f} % in PE (lever markets "
            f"only, {_money(c.pe_exports_change)} a year; Armington σ {', '.join(f'{x:g}' for x in arm)}, export "
            f"supply elasticity {', '.join(f'{x:g}' for x in sup)}) and {c.ge_exports_pct:+.1f} % in GE (all "
            f"manufactures, {_money(c.ge_exports_change)} a year at {c.year} values; σ = {sigma:g}).")


def _why_sign(p: PartyComparison, chans: Sequence[TariffChannel]) -> str:
    for c in chans:
        if c.importer == p.party and c.pe_incidence is not None and c.ge_incidence is not None:
            return (f"PE has {c.exporter}'s sellers pay {c.pe_incidence:.0%} of the {c.importer} tariff, a "
                    f"terms-of-trade gain for {c.importer} that moves with the rate; in GE they pay "
                    f"{c.ge_incidence:.0%}, so {c.importer}'s terms of trade move only {p.ge_terms_of_trade:+.3f} % "
                    f"and the price its buyers pay decides the sign.")
    return (f"GE adds economy-wide effects PE leaves out: factory-gate price {p.ge_factory_gate_price:+.3f} %, "
            f"terms of trade {p.ge_terms_of_trade:+.3f} %, exports to all markets {p.ge_exports:+.2f} %.")


def _says_party(p: PartyComparison, chans: Sequence[TariffChannel]) -> str:
    pe, ge = p.pe_payoff, p.ge_usd
    if abs(pe) < NIL_USD and abs(ge) < NIL_USD:
        return ""
    direct = f" (of which {_money(p.pe_direct)} direct valuations GE does not model)" \
        if abs(p.pe_direct) >= NIL_USD else ""
    head = (f"{p.party}: PE {_money(pe)} a year{direct}; GE {p.ge_welfare:+.3f} % welfare ({_money(ge)} a year), "
            f"terms of trade {p.ge_terms_of_trade:+.3f} %.")
    if abs(pe) < NIL_USD or abs(ge) < NIL_USD:
        return f"{head} Only one model sees an effect."
    if (pe > 0) == (ge > 0):
        return f"{head} Same sign; the GE figure is {ge / pe:.2g}× the PE one."
    return f"{head} Opposite signs: {_why_sign(p, chans)}"


def _says_scale(c: TariffChannel, comp: Sequence[PartyComparison]) -> str:
    x = next(p for p in comp if p.party == c.exporter)
    pe_base = sum(c.lever_values.values())
    if abs(x.pe_payoff) < NIL_USD or abs(x.ge_usd) < NIL_USD or pe_base <= 0:
        return ""
    ratio = c.ge_base_flow / pe_base
    return (f"Scale: the GE data put {c.exporter}'s manufactures sold in {c.importer} at "
            f"{_money(c.ge_base_flow, False)} ({c.year}), {ratio:.2f}× the PE markets' base of "
            f"{_money(pe_base, False)}; GE dollars are % welfare × {c.year} manufacturing expenditure. "
            f"Rescaled by that ratio, {c.exporter}'s GE figure would be {_money(x.ge_usd / ratio)} a year against "
            f"PE {_money(x.pe_payoff)}.")


def _says_third(ge: GEEffects) -> str:
    if abs(ge.third_countries_usd) < NIL_USD and not ge.third_countries_losing:
        return ""
    top = ", ".join(f"{r.country} {r.welfare:+.3f} % ({_money(r.usd)})" for r in ge.third_countries[:3])
    div = ", ".join(f"to {pid} {v:+.2f} %" for pid, v in ge.third_exports_to.items())
    return (f"Third countries (in neither PE utility): {_money(ge.third_countries_usd)} a year in total in GE, "
            f"{ge.third_countries_losing} of {ge.n_countries - 2} lose; largest {top}. Their exports {div}: trade "
            "diversion that PE books only as rest-of-world sales belonging to no party.")


def package_differences(channels: Sequence[TariffChannel], comparison: Sequence[PartyComparison], ge: GEEffects,
                        *, sigma: float) -> tuple[str, ...]:
    """Where and why PE and GE differ for one package, in sentences built from its numbers.

    Each sentence is there because of a number: the mapping of levers to one tariff (and whether it nets rises
    against cuts), the incidence of the tariff on the exporter in each model, exports, each party's PE payoff
    against its GE welfare (sign and ratio), the scale of the two data sets, and third-country effects.
    """
    moved = [c for c in channels if abs(c.package - c.batna) > 1e-12]
    if not moved and all(abs(p.pe_payoff) < NIL_USD for p in comparison):
        return ("No mapped tariff moves from the BATNA: PE and GE both give zero.",)
    out = []
    for c in moved:
        out += [_says_mapping(c), _says_incidence(c), _says_exports(c, sigma)]
    out += [_says_party(p, channels) for p in comparison]
    out += [_says_scale(c, comparison) for c in moved]
    out.append(_says_third(ge))
    return tuple(s for s in out if s)


def multisector_sentence(row: MultiSectorPackage, channels: Sequence[TariffChannel]) -> str:
    """What the 40-sector model says for a package, and how its 1993 sector weights compare with the PE base.

    For each lever that moves: its sectors' share of the exporter's 1993 sales to the importer over all mapped
    sectors, against the lever's share of the PE base-year sales of all tariff levers.
    """
    parts = "; ".join(f"{e.party} {e.welfare:+.3f} % (terms of trade {e.terms_of_trade:+.3f}, volume of trade "
                      f"{e.volume_of_trade:+.3f})" for e in row.parties)
    weights = []
    for ch in channels:
        mine = [t for t in row.tariffs if t.exporter == ch.exporter and t.importer == ch.importer]
        total_ms = sum(t.base_flow for t in mine)
        total_pe = sum(ch.lever_values.values())
        for lever, (b, n) in ch.lever_rates.items():
            if abs(n - b) <= 1e-12 or total_ms <= 0 or total_pe <= 0:
                continue
            sectors = [t.sector for t in mine if lever in t.levers]
            flow = sum(t.base_flow for t in mine if lever in t.levers)
            where = ", ".join(sectors) if len(sectors) <= 2 else f"{len(sectors)} sectors"
            weights.append(f"{lever} ({where}) {flow / total_ms:.0%} of {ch.exporter}'s 1993 sales to "
                           f"{ch.importer} in the mapped sectors against {ch.lever_values[lever] / total_pe:.0%} of "
                           "the PE base")
    tail = (" Sector weights: " + "; ".join(weights) + ".") if weights else ""
    return (f"40 sectors (Caliendo & Parro data, 1993 economies, 2005 tariffs): {parts}; welfare is exact, the "
            f"two parts first order.{tail}")
