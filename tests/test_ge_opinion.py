"""The general-equilibrium second opinion on korus-2025's tariff levers (book data, 2006, σ = 7).

Needs the book's data at ``../shared/data/agtpa/`` (relative to the repository); every test that solves the GE model
skips with the reason where they are absent. Signs follow the economics the issue names: a US tariff cut on Korean
goods raises Korean exports to the US and Korean real GDP; a KOR–USA FTA raises both countries' trade and diverts
third countries' exports away from the US; a 25 % US tariff does the opposite. A package that moves no tariff
lever gives exactly zero; PE numbers in the comparison are the valuation's own.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import skip_or_fail
from tradetalks.econ.valuation import stakeholder_payoffs
from tradetalks.errors import DataError, NotFoundError
from tradetalks.model import Model, build_model
from tradetalks.scenario import load_scenario
from tradetalks.scenario.loader import LoadedScenario
from tradetalks.studies.ge_opinion import (
    PUBLISHED_RTA_EFFECT,
    GEData,
    GEOpinion,
    default_packages,
    estimate_rta_effect,
    find_data_file,
    ge_second_opinion,
    load_ge_data,
)
from tradetalks.studies.ge_opinion_results import CountryEffect, GEEffects

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT.parent / "shared" / "data" / "agtpa"

#: PE payoffs are recomputed by the same code: equal up to summation order
PE_RTOL = 1e-12
#: USD = % / 100 × scale is one multiplication
USD_RTOL = 1e-12
#: the book's RTA coefficient, 0.5571853 (7 digits published)
RTA_ATOL = 1e-6
#: the 15 % options of every tariff issue, one at a time and together
CUTS = {
    "auto_tariff=a15": {"auto_tariff": "a15"},
    "parts_tariff=p15": {"parts_tariff": "p15"},
    "reciprocal_tariff=r15": {"reciprocal_tariff": "r15"},
    "steel_tariff=s15": {"steel_tariff": "s15"},
    "all_15": {"auto_tariff": "a15", "parts_tariff": "p15", "reciprocal_tariff": "r15", "steel_tariff": "s15"},
}


@pytest.fixture(scope="module")
def data() -> GEData:
    try:
        return load_ge_data(BOOK)
    except NotFoundError:
        skip_or_fail(f"the book's data are absent ({BOOK}); see docs/gravity.md to get them")


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario("korus-2025")


@pytest.fixture(scope="module")
def model(loaded: LoadedScenario) -> Model:
    return build_model(loaded)


@pytest.fixture(scope="module")
def opinion(loaded: LoadedScenario, model: Model, data: GEData) -> GEOpinion:
    assert loaded.observed is not None
    packages = {"batna": {}, "observed": {i: c.option for i, c in loaded.observed.package.items()},
                "beef_only": {"beef": "lift_both"}, **CUTS}
    return ge_second_opinion(loaded, model, data=data, packages=packages)


def _rows(e: GEEffects) -> list[CountryEffect]:
    return [*e.parties, *e.third_countries]


def _experiment(op: GEOpinion, name: str) -> GEEffects:
    return next(e for e in op.experiments if e.name == name)


# --------------------------------------------------------------------------------------------- zero change


@pytest.mark.parametrize("name", ["batna", "beef_only"])
def test_a_package_that_moves_no_tariff_has_exactly_zero_effects(opinion: GEOpinion, name: str) -> None:
    pkg = opinion.package(name)
    for r in _rows(pkg.ge):
        assert (r.welfare, r.real_gdp, r.exports, r.terms_of_trade, r.factory_gate_price, r.usd) == (0, 0, 0, 0, 0, 0)
        assert all(v == 0 for v in r.exports_to.values())
    assert pkg.ge.third_countries_usd == 0 and pkg.ge.third_countries_losing == 0
    assert all(c.pe_payoff == 0 and c.pe_utility == 0 for c in pkg.comparison)
    assert pkg.channels[0].batna == pkg.channels[0].package == pytest.approx(0.25)
    assert pkg.differences == ("No mapped tariff moves from the BATNA: PE and GE both give zero.",)


# --------------------------------------------------------------------------------------------- signs


@pytest.mark.parametrize("name", [*CUTS, "observed"])
def test_a_us_tariff_cut_raises_korean_exports_to_the_us_and_korean_real_gdp(opinion: GEOpinion, name: str) -> None:
    pkg = opinion.package(name)
    kor, usa = pkg.ge.party("KOR"), pkg.ge.party("USA")
    assert pkg.channels[0].package < pkg.channels[0].batna
    assert kor.exports_to["USA"] > 0 and pkg.channels[0].ge_exports_pct > 0
    assert kor.real_gdp > 0 and kor.welfare > 0 and kor.terms_of_trade > 0
    assert usa.terms_of_trade < 0  # the US gives up part of the tariff's terms-of-trade gain
    assert pkg.channels[0].pe_exports_change > 0


def test_the_fta_raises_both_countries_trade_and_diverts_third_countries_exports(opinion: GEOpinion) -> None:
    fta = _experiment(opinion, "fta")
    kor, usa = fta.party("KOR"), fta.party("USA")
    assert kor.exports > 0 and usa.exports > 0
    assert kor.exports_to["USA"] > 0 and usa.exports_to["KOR"] > 0
    assert kor.welfare > 0 and usa.welfare > 0
    assert fta.third_exports_to["USA"] < 0  # trade diversion away from third countries' sales to the US
    assert any(r.exports_to["USA"] < 0 for r in fta.third_countries)
    assert fta.third_countries_losing > 0


def test_a_25_percent_us_tariff_hurts_korea_and_diverts_us_imports_to_third_countries(opinion: GEOpinion) -> None:
    hit = _experiment(opinion, "usa_tariff_25")
    kor = hit.party("KOR")
    assert kor.exports_to["USA"] < 0 and kor.exports < 0 and kor.welfare < 0 and kor.terms_of_trade < 0
    assert hit.third_exports_to["USA"] > 0


def test_the_fta_uses_the_published_rta_effect_by_default(opinion: GEOpinion) -> None:
    assert opinion.rta_effect == PUBLISHED_RTA_EFFECT
    assert f"{math.exp(PUBLISHED_RTA_EFFECT):.3f}" in _experiment(opinion, "fta").description


@pytest.mark.slow
def test_estimating_the_rta_effect_reproduces_the_book(data: GEData) -> None:
    assert estimate_rta_effect(data.flows) == pytest.approx(PUBLISHED_RTA_EFFECT, abs=RTA_ATOL)


# --------------------------------------------------------------------------------------------- mapping and PE side


def test_the_ge_tariff_is_the_average_of_the_levers_weighted_by_pe_base_sales(opinion: GEOpinion,
                                                                              model: Model) -> None:
    ch = opinion.package("observed").channels[0]
    assert (ch.exporter, ch.importer) == ("KOR", "USA")
    values = {lv.id: model.cs.markets[lv.market].values[list(lv.suppliers)].sum() for lv in model.cs.levers
              if lv.kind == "tariff"}
    assert ch.lever_values == pytest.approx(values)
    observed = {"us_tariff_kor_cars": 0.15, "us_tariff_kor_parts": 0.15, "us_tariff_kor_other": 0.15,
                "us_tariff_kor_steel": 0.50}
    expected = sum(values[k] * r for k, r in observed.items()) / sum(values.values())
    assert ch.package == pytest.approx(expected) and ch.batna == pytest.approx(0.25) and ch.base == 0
    assert {k: r[1] for k, r in ch.lever_rates.items()} == pytest.approx(observed)


def test_the_comparison_rows_are_the_pe_payoffs_of_the_tariff_issues(opinion: GEOpinion, model: Model) -> None:
    cs = model.cs
    issues = [cs.issue_ids.index(i) for i in opinion.tariff_issues]
    assert set(opinion.tariff_issues) == {"auto_tariff", "parts_tariff", "reciprocal_tariff", "steel_tariff"}
    for pkg in opinion.packages:
        choice = [[op.id for op in cs.issues[i]].index(pkg.package[cs.issue_ids[i]]) for i in issues]
        pay = stakeholder_payoffs(cs, choice, issues)
        util = pay @ cs.weight_matrix
        for k, row in enumerate(pkg.comparison):
            assert row.party == cs.parties[k]
            assert row.pe_payoff == pytest.approx(pay[cs.stakeholder_party == k].sum(), rel=PE_RTOL, abs=1e-3)
            assert row.pe_utility == pytest.approx(util[k], rel=PE_RTOL, abs=1e-3)
            assert row.ge_welfare == pkg.ge.parties[k].welfare and row.ge_usd == pkg.ge.parties[k].usd


@pytest.mark.parametrize(("issue", "option"), [("parts_tariff", "p15"), ("steel_tariff", "s15")])
def test_the_comparison_matches_the_models_payoff_tables(opinion: GEOpinion, model: Model, issue: str,
                                                         option: str) -> None:
    cs = model.cs
    i = cs.issue_ids.index(issue)
    g = next(k for k, grp in enumerate(model.groups) if i in grp.issues)
    want = model.groups[g].combos[model.groups[g].batna_row].copy()
    want[model.groups[g].issues.index(i)] = [op.id for op in cs.issues[i]].index(option)
    row = np.flatnonzero((model.groups[g].combos == want).all(axis=1))[0]
    pay = model.payoffs[g][row]
    for k, cmp in enumerate(opinion.package(f"{issue}={option}").comparison):
        assert cmp.pe_payoff == pytest.approx(pay[cs.stakeholder_party == k].sum(), rel=PE_RTOL)
        assert cmp.pe_utility == pytest.approx(model.utilities[g][row][k], rel=PE_RTOL)


# --------------------------------------------------------------------------------------------- dollars


def test_usd_figures_are_welfare_times_expenditure_in_the_data(opinion: GEOpinion, data: GEData) -> None:
    scale = data.trade.sum(axis=0) * 1e6
    effects = [*[p.ge for p in opinion.packages], *opinion.experiments]
    for e in effects:
        for r in _rows(e):
            assert r.usd == pytest.approx(r.welfare / 100 * scale[data.countries.index(r.country)], rel=USD_RTOL)
    assert "expenditure on manufactures in the 2006 data" in opinion.usd_basis


def test_a_given_usd_scale_replaces_the_data_for_the_countries_named(loaded: LoadedScenario, model: Model,
                                                                     data: GEData) -> None:
    gdp = {"KOR": loaded.facts["kor_gdp_2024_krw"] / loaded.facts["krw_per_usd_2024"]}
    op = ge_second_opinion(loaded, model, data=data, packages={"observed": {"auto_tariff": "a15"}},
                           usd_scale=gdp, usd_basis="GDP 2024 (Bank of Korea, facts kor_gdp_2024_krw/krw_per_usd_2024)")
    kor = op.package("observed").ge.party("KOR")
    assert kor.usd == pytest.approx(kor.welfare / 100 * gdp["KOR"], rel=USD_RTOL)
    assert op.usd_basis.startswith("GDP 2024 (Bank of Korea") and "other countries" in op.usd_basis
    with pytest.raises(DataError, match="usd_basis"):
        ge_second_opinion(loaded, model, data=data, packages={}, usd_scale=gdp)


# --------------------------------------------------------------------------------------------- differences


@pytest.mark.parametrize("name", [*CUTS, "observed"])
def test_differences_are_stated_from_the_numbers(opinion: GEOpinion, name: str) -> None:
    pkg = opinion.package(name)
    text = " ".join(pkg.differences)
    assert len(pkg.differences) >= 5
    assert f"{pkg.channels[0].package:.1%}" in text  # the mapped tariff
    for cmp in pkg.comparison:
        same = (cmp.pe_payoff > 0) == (cmp.ge_usd > 0)
        assert f"{cmp.party}: PE" in text
        assert ("Same sign" if same else "Opposite signs") in next(d for d in pkg.differences
                                                                   if d.startswith(f"{cmp.party}: PE"))
    assert "Third countries" in text and "Incidence" in text


def test_on_korus_the_models_agree_on_the_us_sign_and_differ_on_incidence(opinion: GEOpinion) -> None:
    pkg = opinion.package("observed")
    ch = pkg.channels[0]
    usa = next(c for c in pkg.comparison if c.party == "USA")
    # with η calibrated to pass-through (docs/models/partial-equilibrium.md §8) US buyers bear most of the tariffs in
    # PE too, so both models find that the observed cuts benefit the US
    assert usa.pe_payoff > 0 and usa.ge_usd > 0
    assert ch.pe_incidence is not None and ch.ge_incidence is not None and ch.ge_incidence < ch.pe_incidence
    assert "nets the rise on us_tariff_kor_steel" in " ".join(pkg.differences)


# --------------------------------------------------------------------------------------------- the object


def test_the_opinion_is_json_ready_and_prints_readably(opinion: GEOpinion) -> None:
    text = json.dumps(opinion.to_dict(), allow_nan=False)
    assert '"observed"' in text and '"fta"' in text
    assert repr(opinion).startswith("GEOpinion(year=2006, σ=7") and "observed KOR" in repr(opinion)
    frame = opinion.to_frame()
    assert {"package", "party", "pe_payoff", "ge_welfare", "ge_usd"} <= set(frame.columns)
    assert len(frame) == 2 * len(opinion.packages)
    assert any("kor_beef_ntb_us" in n for n in opinion.notes)


def test_default_packages_are_batna_observed_and_each_tariff_option(loaded: LoadedScenario, model: Model,
                                                                    data: GEData) -> None:
    op = ge_second_opinion(loaded, model, data=data)
    names = [p.name for p in op.packages]
    assert names == list(default_packages(loaded, model.cs))
    assert names[:2] == ["batna", "observed"]
    assert {"auto_tariff=a15", "parts_tariff=p0", "reciprocal_tariff=r10", "steel_tariff=s50"} <= set(names)
    assert not any(n.startswith(("beef=", "semiconductors=")) for n in names)


def test_an_unknown_option_is_named_with_the_options_to_choose_from(loaded: LoadedScenario, model: Model,
                                                                     data: GEData) -> None:
    with pytest.raises(NotFoundError, match="a15"):
        ge_second_opinion(loaded, model, data=data, packages={"x": {"auto_tariff": "a99"}})


def test_missing_data_say_which_file_and_how_to_get_it(loaded: LoadedScenario, model: Model, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as err:
        ge_second_opinion(loaded, model, data_dir=tmp_path)
    msg = str(err.value)
    assert "ch2_app2_rta_effects.csv.gz" in msg and "tradetalks gravity download-data" in msg
    assert "docs/gravity.md" in msg and str(tmp_path) in msg
    with pytest.raises(NotFoundError):
        find_data_file(tmp_path)
