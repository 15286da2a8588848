"""Valuation and issue grouping: payoffs per stakeholder, coupling, additivity across groups."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetalks.bargain.packages import OptionConstraint, group_issues
from tradetalks.econ.pe import solve_market
from tradetalks.econ.valuation import stakeholder_payoffs
from tradetalks.errors import LimitError
from tradetalks.model import build_model
from tradetalks.scenario import load_scenario

TOY = Path(__file__).parent / "data" / "toy.yaml"
#: relative tolerance for floating-point sums of the same terms in a different order
REL = 1e-9


def test_batna_has_zero_payoffs() -> None:
    model = build_model(load_scenario(TOY))
    for g, pay in zip(model.groups, model.payoffs, strict=True):
        assert np.all(pay[g.batna_row] == 0.0)


def test_tariff_option_payoffs_match_the_pe_model_directly() -> None:
    loaded = load_scenario(TOY)
    model = build_model(loaded)
    cs = model.cs
    f = loaded.facts
    common = dict(values=[f["widgets_a_to_b"], f["widgets_row_to_b"], f["widgets_b_domestic"]],
                  base_tariff=[0.0, 0.05, 0.0], demand_elasticity=f["eps"], armington_elasticity=f["sigma"],
                  supply_elasticity=[f["eta"], np.inf, f["eta"]], domestic=[False, False, True])
    at_15 = solve_market(new_tariff=[0.15, 0.05, 0.0], **common)
    at_25 = solve_market(new_tariff=[0.25, 0.05, 0.0], **common)
    pay = stakeholder_payoffs(cs, [1], [0])  # issue 0 (widget_tariff), option 1 (15 %)
    idx = {s: k for k, s in enumerate(cs.stakeholders)}
    assert pay[idx["a_exporters"]] == pytest.approx(
        at_15.producer_surplus_change[0] - at_25.producer_surplus_change[0], rel=REL)
    assert pay[idx["b_consumers"]] == pytest.approx(
        at_15.consumer_surplus_change - at_25.consumer_surplus_change, rel=REL)
    assert pay[idx["b_treasury"]] == pytest.approx(at_15.tariff_revenue_change - at_25.tariff_revenue_change, rel=REL)
    assert pay[idx["b_producers"]] == pytest.approx(
        at_15.producer_surplus_change[2] - at_25.producer_surplus_change[2], rel=REL)
    # economics: a tariff cut helps the exporter and the importer's consumers, hurts its import-competing producers
    assert pay[idx["a_exporters"]] > 0 and pay[idx["b_consumers"]] > 0 and pay[idx["b_producers"]] < 0
    # utilities are the weighted sums: exporters weigh 1.5 (fact w_exp), producers 2
    u = pay @ cs.weight_matrix
    assert u[0] == pytest.approx(1.5 * pay[idx["a_exporters"]] + pay[idx["a_treasury"]], rel=REL)


def test_direct_payoffs() -> None:
    model = build_model(load_scenario(TOY))
    cs = model.cs
    pay = stakeholder_payoffs(cs, [2], [1])  # transfer: "more" = 2 × aid
    idx = {s: k for k, s in enumerate(cs.stakeholders)}
    assert pay[idx["a_treasury"]] == -1.4e8 and pay[idx["b_treasury"]] == 1.4e8


def test_shared_market_couples_issues(tmp_path: Path) -> None:
    text = TOY.read_text().replace(
        "levers:\n", "levers:\n  - {id: b_ntb_a, name: NTB, kind: ntb, market: b_widgets, suppliers: [A]}\n"
    ).replace("linkage:", "  - id: standards\n    name: Standards\n    category: non_tariff_barrier\n    batna: "
              "strict\n    options:\n      - {id: strict, label: strict, set: {b_ntb_a: 0.1}}\n      - {id: mutual, "
              "label: mutual recognition, set: {b_ntb_a: 0.0}}\nlinkage:")
    p = tmp_path / "coupled.yaml"
    p.write_text(text)
    model = build_model(load_scenario(p))
    sizes = sorted(len(g.issues) for g in model.groups)
    assert sizes == [1, 2]  # widget_tariff + standards merged; transfer alone
    g = next(g for g in model.groups if len(g.issues) == 2)
    pay = model.payoffs[model.groups.index(g)]
    both = pay[(g.combos == [2, 1]).all(axis=1)][0]
    one = stakeholder_payoffs(model.cs, [2], [0]) + stakeholder_payoffs(model.cs, [1], [2])
    assert not np.allclose(both, one), "two wedges in one market interact: payoffs are not additive"


@st.composite
def _instances(draw: st.DrawFn) -> tuple[list[int], list[int], list[OptionConstraint]]:
    n = draw(st.integers(1, 5))
    sizes = [draw(st.integers(1, 4)) for _ in range(n)]
    batna = [draw(st.integers(0, s - 1)) for s in sizes]
    cons = []
    for _ in range(draw(st.integers(0, 3))):
        if n < 2:
            break
        a, b = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
        sa = frozenset(draw(st.sets(st.integers(0, sizes[a] - 1), min_size=1)))
        sb = frozenset(draw(st.sets(st.integers(0, sizes[b] - 1), min_size=1)))
        c = OptionConstraint(draw(st.sampled_from(["requires", "excludes"])), a, sa, b, sb)
        if c.allows(dict(enumerate(batna))):
            cons.append(c)
    return sizes, batna, cons


@given(_instances())
@settings(max_examples=150, deadline=None)
def test_groups_enumerate_exactly_the_feasible_packages(inst: tuple[list[int], list[int], list]) -> None:
    sizes, batna, cons = inst
    groups = group_issues(sizes, batna, [], cons)
    feasible = {p for p in itertools.product(*(range(s) for s in sizes))
                if all(c.allows(dict(enumerate(p))) for c in cons)}
    rebuilt = set()
    for rows in itertools.product(*(range(len(g.combos)) for g in groups)):
        pkg = [0] * len(sizes)
        for g, r in zip(groups, rows, strict=True):
            for i, o in zip(g.issues, g.combos[r], strict=True):
                pkg[i] = int(o)
        rebuilt.add(tuple(pkg))
    assert rebuilt == feasible
    for g in groups:
        assert list(g.combos[g.batna_row]) == [batna[i] for i in g.issues]


def test_compound_issue_limit() -> None:
    with pytest.raises(LimitError, match="above the limit of 200,000"):
        group_issues([10] * 6, [0] * 6, [(k, k + 1) for k in range(5)])


# ---------------------------------------------------------------------------------------------------- time basis


def _with_valuation(valuation: dict, payoff: str | None = None):
    """The toy scenario with a `valuation:` block (and optionally another payoff for option transfer.some)."""
    from tradetalks.scenario.schema import Scenario

    loaded = load_scenario(TOY)
    data = loaded.scenario.model_dump(by_alias=True)
    data["valuation"] = valuation
    if payoff is not None:
        data["issues"][1]["options"][1]["payoffs"] = {"a_treasury": f"-{payoff}", "b_treasury": payoff}
    return loaded, Scenario.model_validate(data)


def _option_payoffs(scn, facts, issue: int, option: int) -> np.ndarray:
    from tradetalks.econ.valuation import compile_scenario

    return stakeholder_payoffs(compile_scenario(scn, facts), [option], [issue])


def test_a_market_flow_lasting_d_years_is_worth_its_share_of_the_horizon() -> None:
    """Tariff flows used to run forever next to lump sums spread over a few years; now they last `duration`."""
    from tradetalks.econ.timebasis import duration_share

    loaded, scn = _with_valuation({"discount_rate": 0.05, "horizon": 10, "markets": {
        "b_widgets": {"duration": 4, "probability": 0.5}}})
    forever = _option_payoffs(loaded.scenario, loaded.facts, 0, 1)
    timed = _option_payoffs(scn, loaded.facts, 0, 1)
    assert np.allclose(timed, forever * duration_share(0.05, 10, 4) * 0.5, rtol=REL)


def test_flow_and_lump_in_a_payoff_are_annuity_equivalents() -> None:
    from tradetalks.econ.timebasis import flow_equivalent, lump_equivalent

    loaded, scn = _with_valuation({"discount_rate": 0.05, "horizon": 10}, payoff="flow(aid, 0, 3.5) + lump(aid, 2)")
    pay = _option_payoffs(scn, loaded.facts, 1, 1)
    expected = flow_equivalent(7e7, 0.05, 10, 0, 3.5) + lump_equivalent(7e7, 0.05, 10, 2)
    assert pay[list(build_model(loaded).cs.stakeholders).index("b_treasury")] == pytest.approx(expected, rel=REL)


def test_a_time_function_without_a_valuation_block_is_an_error() -> None:
    from tradetalks.errors import TradetalksError
    from tradetalks.scenario.schema import Scenario

    loaded = load_scenario(TOY)
    data = loaded.scenario.model_dump(by_alias=True)
    data["issues"][1]["options"][1]["payoffs"] = {"b_treasury": "flow(aid, 0, 3)"}
    with pytest.raises(TradetalksError, match="valuation"):
        _option_payoffs(Scenario.model_validate(data), loaded.facts, 1, 1)


def test_valuation_block_must_name_known_markets_and_facts() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="unknown market"):
        _with_valuation({"discount_rate": 0.05, "horizon": 10, "markets": {"nowhere": {"duration": 3}}})
    with pytest.raises(ValidationError, match="unknown fact"):
        _with_valuation({"discount_rate": 0.05, "horizon": 10, "revisions": [
            {"date": "2025-06-01", "fact": "nope", "value": 1, "source": "test"}]})


def test_revisions_apply_by_date_and_leave_user_overrides_alone() -> None:
    import datetime as dt

    from tradetalks.econ.valuation import revised_facts

    loaded, scn = _with_valuation({"discount_rate": 0.05, "horizon": 10, "revisions": [
        {"date": "2025-06-01", "fact": "aid", "value": "2 * eta", "source": "test"},
        {"date": "2025-03-01", "fact": "eta", "value": 3, "source": "test"}]})
    assert revised_facts(scn, loaded.facts, dt.date(2025, 2, 1)) == loaded.facts
    later = revised_facts(scn, loaded.facts, dt.date(2025, 7, 1))
    assert later["eta"] == 3 and later["aid"] == 6  # in date order: eta first, then aid from the revised eta
    assert revised_facts(scn, loaded.facts, dt.date(2025, 7, 1), keep={"aid"})["aid"] == loaded.facts["aid"]
