"""GENIUS export: the files read back give every package's utility up to the documented affine transform."""

from __future__ import annotations

import ast
import datetime
import itertools
import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetalks.bargain.frontier import pareto_frontier
from tradetalks.errors import DataError
from tradetalks.interop.genius import additive_profile, export_genius, read_genius, session_discount
from tradetalks.interop.genius_xml import GeniusIssue, genius_text, genius_utility, read_domain, read_profile
from tradetalks.model import build_model, decode_package, package_feasible, package_value
from tradetalks.scenario import load_scenario

#: |u - (offset + scale * v)| allowed, relative to scale: a few ulps of the normalisation and of the sums
ROUND_TRIP_RTOL = 1e-12
#: packages sampled per party in the round-trip test of the built-in scenario
N_SAMPLED = 2_000
#: what GENIUS's hand-written parser reads back unchanged (no entities, no tag delimiters, no quotes)
GENIUS_SAFE = re.compile(r'^[ -~]*$')
GENIUS_UNSAFE = set('<>&"')


@pytest.fixture(scope="module")
def korus(tmp_path_factory):
    loaded = load_scenario("korus-2025")
    model = build_model(loaded)
    out = export_genius(loaded, tmp_path_factory.mktemp("genius"), model=model)
    return loaded, model, out, read_genius(out.domain, out.profiles)


def _values(space, model, rows):
    return [issue.values[r] for issue, r in zip(space.issues, rows, strict=True)]


def test_round_trip_every_sampled_package(korus):
    _, model, out, space = korus
    rng = np.random.default_rng(20250424)
    samples = [[int(rng.integers(len(g.combos))) for g in model.groups] for _ in range(N_SAMPLED)]
    samples.append([g.batna_row for g in model.groups])
    for p, party in enumerate(model.cs.parties):
        t = out.transforms[party]
        for rows in samples:
            u = sum(float(model.utilities[g][r, p]) for g, r in enumerate(rows))
            v = space.utility(party, _values(space, model, rows))
            assert 0.0 <= v <= 1.0 + ROUND_TRIP_RTOL
            assert t.offset + t.scale * v == pytest.approx(u, abs=ROUND_TRIP_RTOL * t.scale)


def test_reservation_is_the_batna_and_extremes_are_zero_and_one(korus):
    _, model, out, space = korus
    batna = [g.batna_row for g in model.groups]
    frontier = pareto_frontier(model.utilities)
    for p, party in enumerate(model.cs.parties):
        prof = space.profiles[party]
        assert prof.reservation == pytest.approx(space.utility(party, _values(space, model, batna)), abs=1e-12)
        assert prof.reservation == out.transforms[party].reservation
        best = frontier.choices[np.argmax(frontier.utilities[:, p])]
        assert space.utility(party, _values(space, model, best)) == pytest.approx(1.0, abs=1e-12)
        worst = [int(np.argmin(u[:, p])) for u in model.utilities]
        assert space.utility(party, _values(space, model, worst)) == pytest.approx(0.0, abs=1e-12)
        assert prof.weights.sum() == pytest.approx(1.0, abs=1e-12)
        for w, ev in zip(prof.weights, prof.evaluations, strict=True):
            assert ev.min() >= 0 and ev.max() == 1.0 and w >= 0


def test_outcome_space_is_the_feasible_package_space(korus):
    _, model, out, space = korus
    n_packages = pareto_frontier(model.utilities).n_packages
    assert out.n_outcomes == math.prod(len(i.values) for i in space.issues) == n_packages
    side = json.loads(out.sidecar.read_text(encoding="utf-8"))
    cs = model.cs
    for issue, g, info in zip(space.issues, model.groups, side["issues"], strict=True):
        assert len(set(issue.values)) == len(issue.values), "value tokens must be unique within an issue"
        assert info["name"] == issue.name and info["batna_value"] == issue.values[g.batna_row]
        for value, row, entry in zip(issue.values, g.combos.tolist(), info["values"], strict=True):
            assert entry["value"] == value
            assert entry["options"] == {cs.issue_ids[i]: cs.issues[i][o].id for i, o in zip(g.issues, row, strict=True)}
    compound = next(i for i in space.issues if "auto_tariff" in i.name.split("+"))
    assert not any("auto_tariff=a15" in v and "investment=none" in v for v in compound.values), \
        "the constraint 'a lower auto rate requires investment' is kept"


def test_transforms_are_exported_in_the_sidecar(korus):
    out = korus[2]
    side = json.loads(out.sidecar.read_text(encoding="utf-8"))
    for party, t in out.transforms.items():
        assert side["transform"][party]["offset"] == t.offset and side["transform"][party]["scale"] == t.scale
        assert f"offset = {t.offset!r}" in out.profiles[party].read_text(encoding="ascii")


def test_discount_factor_from_the_rate_and_the_horizon(korus):
    loaded, _, out, space = korus
    days = (loaded.scenario.dynamics.deadlines[1].date - loaded.scenario.dynamics.start).days  # hard 1 August
    assert days == 99
    for party, rate in (("KOR", loaded.facts["kor_discount_rate"]), ("USA", loaded.facts["usa_discount_rate"])):
        expected = math.exp(-rate * days / 365.25)
        assert space.profiles[party].discount_factor == pytest.approx(expected, rel=1e-15)
        assert out.transforms[party].discount.n_rounds == math.ceil(days / 7)
    assert session_discount(None, None, None, None).factor == 1.0
    assert session_discount(0.1, None, None, 7).factor == 1.0


def test_files_are_safe_for_the_genius_parser(korus):
    _, _, out, _ = korus
    for path in [out.domain, *out.profiles.values()]:
        raw = path.read_bytes()
        text = raw.decode("ascii")  # ASCII only: GENIUS reads with the platform charset
        assert "&" not in text, "GENIUS decodes no entities"
        root_at = text.index("<negotiation_template" if path == out.domain else "<utility_space")
        assert "<!--" not in text[root_at:], "GENIUS skips comments only before the root element"
        for comment in re.findall(r"<!--(.*?)-->", text[:root_at], flags=re.S):
            assert "--" not in comment and not (set(comment) & {"<", ">"})
        for el in ET.fromstring(text).iter():
            for value in el.attrib.values():
                assert GENIUS_SAFE.match(value) and not (set(value) & GENIUS_UNSAFE), value


def test_toy_export_and_defaults(tmp_path):
    loaded = load_scenario("tests/data/toy.yaml")
    out = export_genius(loaded, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy_A_util.xml", "toy_B_util.xml", "toy_domain.xml",
                                                          "toy_genius.json"]
    assert out.transforms["A"].discount.horizon_days == 180  # 1 Jan to the hard deadline of 30 Jun 2025
    assert "GeniusExport(toy_domain.xml" in repr(out)
    space = read_genius(out.domain, out.profiles)
    model = build_model(loaded)
    for rows in itertools.product(*[range(len(g.combos)) for g in model.groups]):
        for p, party in enumerate(model.cs.parties):
            u = sum(float(model.utilities[g][r, p]) for g, r in enumerate(rows))
            t = out.transforms[party]
            v = space.utility(party, _values(space, model, rows))
            assert t.offset + t.scale * v == pytest.approx(u, abs=ROUND_TRIP_RTOL * t.scale)


tables = st.lists(
    st.integers(1, 4).flatmap(lambda m: st.lists(st.floats(-1e10, 1e10, allow_nan=False), min_size=m, max_size=m)),
    min_size=1, max_size=4)


@settings(max_examples=200, deadline=None)
@given(tables, st.data())
def test_additive_profile_is_an_affine_image_of_the_utility(raw, data):
    cols = [np.array(c) for c in raw]
    batna = [data.draw(st.integers(0, len(c) - 1)) for c in cols]
    prof = additive_profile(cols, batna)
    vs, us = [], []
    for rows in itertools.product(*[range(len(c)) for c in cols]):
        vs.append(genius_utility(prof.weights, prof.evaluations, rows))
        us.append(sum(float(c[r]) for c, r in zip(cols, rows, strict=True)))
    scale = max(prof.scale, 1.0)
    # round-off floor: utilities are sums of terms up to this size, each carrying ~1e-16 relative error
    magnitude = sum(float(np.abs(c).max()) for c in cols)
    for v, u in zip(vs, us, strict=True):
        assert prof.to_utility(v) == pytest.approx(u, abs=1e-9 * scale + 1e-14 * magnitude)
    if prof.scale > 0:
        assert min(vs) == pytest.approx(0.0, abs=1e-12) and max(vs) == pytest.approx(1.0, abs=1e-12)
        assert prof.weights.sum() == pytest.approx(1.0, abs=1e-12)
    else:
        assert all(v == pytest.approx(1.0) for v in vs) and prof.reservation == 1.0
    assert -1e-12 <= prof.reservation <= 1 + 1e-12


def test_additive_profile_refuses_bad_tables():
    with pytest.raises(DataError, match="one non-empty finite table"):
        additive_profile([[0.0, np.inf]], [0])
    with pytest.raises(DataError, match="one non-empty finite table"):
        additive_profile([[0.0, 1.0]], [0, 0])


def test_parser_refuses_foreign_files(korus, tmp_path):
    out = korus[2]
    with pytest.raises(DataError, match="not a GENIUS negotiation_template"):
        read_domain(out.profiles["KOR"])
    other = tmp_path / "other_domain.xml"
    other.write_text("<negotiation_template><utility_space><objective index='0'>"
                     "<issue index='1' name='x'><item index='1' value='a'/></issue></objective></utility_space>"
                     "</negotiation_template>", encoding="ascii")
    with pytest.raises(DataError, match="has no issue"):
        read_profile(out.profiles["KOR"], read_domain(other))
    with pytest.raises(DataError, match="cannot read"):
        read_domain(tmp_path / "missing.xml")


def test_genius_text():
    assert genius_text("a—b -- c “d” & <e>") == "a-b - c 'd' and (e)"
    assert GENIUS_SAFE.match(genius_text("Fed–BOK ✓ café"))


# --- a domain NegMAS's standard agents can negotiate, and the way back in -----------------------------------------

from tradetalks.bargain import solutions as sol  # noqa: E402
from tradetalks.errors import LimitError  # noqa: E402
from tradetalks.interop.genius import NEGMAS_MAX_OUTCOMES, _coarsen, _efficient, select_outcomes  # noqa: E402
from tradetalks.interop.genius_import import DEFAULT_UTILITY_SCALE, MAX_IMPORT_OUTCOMES, import_genius  # noqa: E402
from tradetalks.interop.genius_xml import domain_xml, profile_xml  # noqa: E402

#: the hand-written GENIUS domain in the classic format (three discrete issues, two profiles)
HOLIDAY = "tests/data/genius/holiday"
#: imported utilities equal scale * (GENIUS utility - reservation) up to this, relative to the scale
IMPORT_RTOL = 1e-12
#: a korus-2025 sub-domain small enough to import: 5 issues open, 288 outcomes
KORUS_SUBSET = ["auto_tariff", "investment", "steel_tariff", "rice", "beef"]


def _profile_factors(path):
    return [float(el.get("value")) for el in ET.parse(path).getroot().iter("discount_factor")]


def test_coarsened_export_negotiates_out_of_the_box(korus, tmp_path):
    loaded, model, _, _ = korus
    out = export_genius(loaded, tmp_path, model=model, discount="none", coarsen=2, max_outcomes=NEGMAS_MAX_OUTCOMES)
    space = read_genius(out.domain, out.profiles)
    assert out.n_outcomes == math.prod(len(i.values) for i in space.issues) == 32_768 <= NEGMAS_MAX_OUTCOMES
    assert out.n_full_outcomes == 2_486_671_488
    side = json.loads(out.sidecar.read_text(encoding="utf-8"))
    assert side["discount_in_profiles"] == "none" and {"genius", "negmas"} <= set(side["discount_semantics"])
    assert side["reduction"] == {"issues_open": None, "coarsen": 2, "n_scenario_packages": 2_486_671_488,
                                 "n_outcomes": 32_768}
    for party, path in out.profiles.items():
        assert _profile_factors(path) == [1.0], "NegMAS wraps any other factor in a per-step discount"
        disc = side["transform"][party]["discount"]
        rate = loaded.facts[f"{party.lower()}_discount_rate"]
        assert disc["in_profile"] == 1.0
        assert disc["factor"] == pytest.approx(math.exp(-rate * 99 / 365.25), rel=1e-15)
        assert disc["per_round"] == pytest.approx(math.exp(-rate * 7 / 365.25), rel=1e-15)
    # the affine map holds on the reduced space, whose values are rows of the scenario's compound issues
    parts = select_outcomes(model, coarsen=2)
    rng = np.random.default_rng(7)
    for p, party in enumerate(model.cs.parties):
        t = out.transforms[party]
        for _ in range(300):
            pick = [int(rng.integers(len(part.rows))) for part in parts]
            u = sum(float(model.utilities[part.group][part.rows[j], p]) for part, j in zip(parts, pick, strict=True))
            v = space.utility(party, [i.values[j] for i, j in zip(space.issues, pick, strict=True)])
            assert t.offset + t.scale * v == pytest.approx(u, abs=ROUND_TRIP_RTOL * t.scale)
        batna = [part.batna_position(model) for part in parts]
        assert space.utility(party, [i.values[j] for i, j in zip(space.issues, batna, strict=True)]) == \
            pytest.approx(t.reservation, abs=1e-12)


def test_session_export_keeps_the_session_factor(korus):
    _, _, out, _ = korus
    side = json.loads(out.sidecar.read_text(encoding="utf-8"))
    for party, path in out.profiles.items():
        assert _profile_factors(path) == [side["transform"][party]["discount"]["factor"]]
        assert side["transform"][party]["discount"]["in_profile"] == side["transform"][party]["discount"]["factor"]


def test_coarsening_drops_dominated_values_first(korus):
    _, model, _, _ = korus
    tables = model.utilities

    def n_efficient(u):  # distinct utility pairs no other row weakly dominates (brute force)
        pairs = {tuple(r) for r in u.tolist()}
        return sum(not any(o != r and o[0] >= r[0] and o[1] >= r[1] for o in pairs) for r in pairs)

    k = max(n_efficient(t) for t in tables) + 1  # room for every efficient value and the BATNA
    assert k < max(len(t) for t in tables)
    roomy = select_outcomes(model, coarsen=k)
    kept = [model.utilities[p.group][p.rows] for p in roomy]
    assert math.prod(len(t) for t in kept) < math.prod(len(t) for t in tables)
    np.testing.assert_array_equal(pareto_frontier(kept).utilities, pareto_frontier(tables).utilities)
    for part in select_outcomes(model, coarsen=3):
        assert len(part.rows) <= 3 and model.groups[part.group].batna_row in part.rows


pairs = st.lists(st.tuples(st.integers(-5, 5), st.integers(-5, 5)), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(pairs, st.integers(2, 8), st.data())
def test_coarsen_keeps_the_batna_and_efficient_values(raw, k, data):
    u = np.array(raw, dtype=np.float64)
    batna = data.draw(st.integers(0, len(u) - 1))
    rows = _coarsen(u, batna, k)
    assert batna in rows and len(rows) <= k and np.all(np.diff(rows) > 0)
    efficient = {i for i in range(len(u)) if not ((u >= u[i]).all(axis=1) & (u > u[i]).any(axis=1)).any()}
    assert set(rows.tolist()) - {batna} <= efficient, "only Pareto-efficient values besides the BATNA"
    assert {tuple(u[i]) for i in _efficient(u)} == {tuple(u[i]) for i in efficient}, "one row per efficient pair"
    if k > len({tuple(u[i]) for i in efficient}):
        assert {tuple(u[i]) for i in efficient} <= {tuple(u[i]) for i in rows}, "room for all: every pair is kept"


def test_issue_subset_holds_the_rest_at_the_batna(korus, tmp_path):
    loaded, model, _, _ = korus
    out = export_genius(loaded, tmp_path, model=model, issues=KORUS_SUBSET)
    assert out.n_outcomes == 288 and out.issues == ["auto_tariff+investment", "steel_tariff", "beef", "rice"]
    side = json.loads(out.sidecar.read_text(encoding="utf-8"))
    car = side["issues"][0]
    assert car["held_at_batna"] == {"reciprocal_tariff": "r25", "shipbuilding": "none", "fx_swap": "none"}
    assert side["held_at_batna"]["semiconductors"] == loaded.scenario.issues[
        [i.id for i in loaded.scenario.issues].index("semiconductors")].batna


def test_reduction_refusals(korus, tmp_path):
    loaded, model, _, _ = korus
    with pytest.raises(LimitError, match="6,377,292 outcomes, above the limit of 100,000"):
        export_genius(loaded, tmp_path / "x", model=model, coarsen=3, max_outcomes=NEGMAS_MAX_OUTCOMES)
    assert not (tmp_path / "x").exists(), "nothing is written when the domain is refused"
    with pytest.raises(DataError, match="issue ids of the scenario"):
        select_outcomes(model, issues=["auto_tariff", "no_such_issue"])
    with pytest.raises(DataError, match="at least 2 values"):
        select_outcomes(model, coarsen=1)


def _holiday_utility(prof, bid):
    """GENIUS utility of a bid of the holiday fixture, by hand: weights × evaluations over the issue's maximum."""
    return sum(w * ev[j] / ev.max() for w, ev, j in zip(prof.weights, prof.evaluations, bid, strict=True))


def _import(folder, tmp_path, **kw):
    imp = import_genius(folder, as_of=datetime.date(2026, 1, 1), **kw)
    path = tmp_path / "imported.yaml"
    path.write_text(imp.yaml_text, encoding="utf-8")
    return imp, load_scenario(path, with_observed=False)


def test_import_handwritten_domain(tmp_path):
    imp, loaded = _import(HOLIDAY, tmp_path)
    assert sorted(imp.profiles) == ["agency", "traveller"] and imp.n_outcomes == 18
    scn = loaded.scenario
    assert [i.id for i in scn.issues] == ["Location", "Duration", "Budget", "agreement"]
    assert [o.id for o in scn.issues[1].options] == ["v_1_week", "v_2_weeks", "v_3_weeks"]
    space = read_genius("tests/data/genius/holiday/holiday_domain.xml", imp.profiles)
    model = build_model(loaded)
    frontier = pareto_frontier(model.utilities)
    assert frontier.n_packages == 19, "18 bids and the one no-deal package"
    reservation = {"traveller": 0.4, "agency": 0.35}
    for bid in itertools.product(range(3), range(3), range(2)):
        package = {iss.id: iss.options[j].id for iss, j in zip(scn.issues[:3], bid, strict=True)}
        package["agreement"] = "deal"
        _, u = package_value(model, package)
        for p, party in enumerate(model.cs.parties):
            v = _holiday_utility(space.profiles[party], bid)
            assert u[p] == pytest.approx(DEFAULT_UTILITY_SCALE * (v - reservation[party]),
                                         abs=IMPORT_RTOL * DEFAULT_UTILITY_SCALE)
    _, u_none = package_value(model, {"agreement": "no_deal"})
    assert u_none.tolist() == [0.0, 0.0]
    assert not package_feasible(model, {"Location": "City", "agreement": "no_deal"})
    # by hand: Beach, 2 weeks, High gives the agency 0.1 + 0.225 + 0.5 - 0.35 and the traveller 0.5 + 0.15 + 0.2 - 0.4
    nash = sol.nash(frontier, np.zeros(2))
    assert nash is not None
    assert decode_package(model, nash.choices) == {"Location": "Beach", "Duration": "v_2_weeks", "Budget": "High",
                                                    "agreement": "deal"}
    np.testing.assert_allclose(nash.utilities, [0.475e9, 0.45e9], rtol=1e-12)


def test_imported_numbers_are_sourced_facts(tmp_path):
    _, loaded = _import(HOLIDAY, tmp_path)
    files = {p.name for p in Path(HOLIDAY).iterdir()}
    facts = loaded.scenario.facts
    for fid, fact in facts.items():
        if fid == "genius_utility_scale":
            assert fact.assumption and fact.source is None
            continue
        assert fact.source and any(name in fact.source for name in files), fid
    assert facts["traveller_reservation"].value == 0.4 and facts["agency_discount_factor"].value == 1.0
    assert facts["traveller_e2_1"].value == 0.2, "evaluation 2 over the issue's largest evaluation 10"
    for iss in loaded.scenario.issues:
        for op in iss.options:
            for expr in op.payoffs.values():
                names = {n.id for n in ast.walk(ast.parse(str(expr), mode="eval")) if isinstance(n, ast.Name)}
                consts = [n for n in ast.walk(ast.parse(str(expr), mode="eval")) if isinstance(n, ast.Constant)]
                assert names <= set(facts) and not consts, expr


def test_round_trip_korus_export_import(korus, tmp_path):
    loaded, model, _, _ = korus
    out = export_genius(loaded, tmp_path / "genius", model=model, issues=KORUS_SUBSET, discount="none")
    imp, back = _import(tmp_path / "genius", tmp_path)
    assert sorted(imp.profiles) == ["KOR", "USA"] and imp.n_outcomes == out.n_outcomes == 288
    parts = select_outcomes(model, issues=KORUS_SUBSET)
    original = pareto_frontier([model.utilities[p.group][p.rows] for p in parts])
    m2 = build_model(back)
    imported = pareto_frontier(m2.utilities)
    # u_imported = scale * (v - reservation) = (scale / R) * u_original: the same frontier up to a positive factor
    factor = np.array([DEFAULT_UTILITY_SCALE / out.transforms[p].scale for p in model.cs.parties])
    np.testing.assert_allclose(imported.utilities, original.utilities * factor, rtol=1e-9,
                               atol=IMPORT_RTOL * DEFAULT_UTILITY_SCALE)
    n0, n1 = sol.nash(original, np.zeros(2)), sol.nash(imported, np.zeros(2))
    assert n0 is not None and n1 is not None
    np.testing.assert_allclose(n1.utilities, n0.utilities * factor, rtol=1e-9)
    ranked0 = np.argsort(-np.prod(np.clip(original.utilities, 0, None), axis=1), kind="stable")
    ranked1 = np.argsort(-np.prod(np.clip(imported.utilities, 0, None), axis=1), kind="stable")
    np.testing.assert_array_equal(ranked0, ranked1)
    # the whole pipeline on the imported scenario: the same frontier size and Nash point
    from tradetalks.studies.analyze import analyze
    res = analyze(back)
    assert res.frontier.n_points == original.n_points and res.frontier.n_packages == 289
    nash = res.solutions["nash"]
    assert nash is not None and nash.package["agreement"] == "deal"
    np.testing.assert_allclose([nash.utilities[p] for p in model.cs.parties], n0.utilities * factor, rtol=1e-9)


def test_import_refusals(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="one domain file"):
        import_genius(tmp_path / "empty")
    with pytest.raises(DataError, match="not a directory"):
        import_genius(tmp_path / "missing")
    with pytest.raises(DataError, match="positive number"):
        import_genius(HOLIDAY, scale=0.0)
    big = tmp_path / "big"
    issues = [GeniusIssue(f"i{k}", tuple(f"x{j}" for j in range(400)), ("",) * 400) for k in range(2)]
    big.mkdir()
    (big / "big_domain.xml").write_bytes(domain_xml("big", "big", issues))
    ev = (np.linspace(0, 1, 400),) * 2
    for name in ("a", "b"):
        (big / f"big_{name}_util.xml").write_bytes(
            profile_xml("big", "big", issues, np.array([0.5, 0.5]), ev, 1.0, 0.0))
    assert MAX_IMPORT_OUTCOMES < 400 * 400
    with pytest.raises(LimitError, match="160,000 bids"):
        import_genius(big)
    text = Path(HOLIDAY, "holiday_domain.xml").read_text(encoding="utf-8").replace(
        'etype="discrete" type="discrete" vtype="discrete" name="Budget"',
        'etype="integer" type="integer" vtype="integer" name="Budget"')
    real = tmp_path / "real"
    real.mkdir()
    (real / "holiday_domain.xml").write_text(text, encoding="utf-8")
    for f in ("holiday_agency_utility.xml", "holiday_traveller_utility.xml"):
        (real / f).write_bytes(Path(HOLIDAY, f).read_bytes())
    with pytest.raises(DataError, match="only discrete issues"):
        import_genius(real)
    inf = tmp_path / "inf"
    inf.mkdir()
    for f in ("holiday_domain.xml", "holiday_agency_utility.xml", "holiday_traveller_utility.xml"):
        (inf / f).write_text(Path(HOLIDAY, f).read_text(encoding="utf-8").replace(
            '<reservation value="0.4"/>', '<reservation value="-inf"/>'), encoding="utf-8")
    with pytest.raises(DataError, match="not a finite number"):
        import_genius(inf)


def test_cli_import_and_reduced_export(tmp_path):
    from typer.testing import CliRunner

    from tradetalks.cli import app
    runner = CliRunner()
    res = runner.invoke(app, ["export", "genius", "tests/data/toy.yaml", "-o", str(tmp_path / "g"),
                              "--coarsen", "2", "--discount", "none"])
    assert res.exit_code == 0, res.output
    assert "4 outcomes (of the scenario's 9 packages)" in " ".join(res.output.split())
    res = runner.invoke(app, ["import", "genius", str(tmp_path / "g"), "-o", str(tmp_path / "toy.yaml")])
    assert res.exit_code == 0, res.output
    assert load_scenario(tmp_path / "toy.yaml", with_observed=False).scenario.issues[-1].id == "agreement"
    res = runner.invoke(app, ["export", "genius", "korus-2025", "-o", str(tmp_path / "k"), "--coarsen", "3"])
    assert res.exit_code == 1 and "above the limit of 100,000" in " ".join(res.output.split())


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_import_is_exact_on_random_domains(sizes, data):
    """Any small additive domain: every bid's imported utility is scale * (GENIUS utility - reservation)."""
    import tempfile

    issues = [GeniusIssue(f"issue {k}", tuple(f"val {j}" for j in range(m)), ("",) * m) for k, m in enumerate(sizes)]
    unit = st.floats(0.0, 10.0, allow_nan=False)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "rnd_domain.xml").write_bytes(domain_xml("rnd", "random", issues))
        profiles = {}
        for name in ("a", "b"):
            weights = np.array([data.draw(st.floats(0.01, 1.0)) for _ in sizes])
            evals = [np.array([data.draw(unit) for _ in range(m)]) for m in sizes]
            res = data.draw(st.floats(0.0, 1.0))
            xml = profile_xml("rnd", "random", issues, weights, evals, 1.0, res)
            (folder / f"rnd_{name}_util.xml").write_bytes(xml)
            profiles[name] = (weights, evals, res)
        imp, loaded = _import(folder, folder)
        model = build_model(loaded)
        for bid in itertools.product(*[range(m) for m in sizes]):
            package = {iss.id: iss.options[j].id for iss, j in zip(loaded.scenario.issues[:-1], bid, strict=True)}
            _, u = package_value(model, package | {"agreement": "deal"})
            for p, party in enumerate(model.cs.parties):
                weights, evals, res = profiles[party]
                v = genius_utility(weights, evals, bid)
                assert u[p] == pytest.approx(DEFAULT_UTILITY_SCALE * (v - res), abs=1e-9 * DEFAULT_UTILITY_SCALE)
        assert imp.n_outcomes == math.prod(sizes)
