"""GENIUS export: the files read back give every package's utility up to the documented affine transform."""

from __future__ import annotations

import itertools
import json
import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetalks.bargain.frontier import pareto_frontier
from tradetalks.errors import DataError
from tradetalks.interop.genius import additive_profile, export_genius, read_genius, session_discount
from tradetalks.interop.genius_xml import genius_text, genius_utility, read_domain, read_profile
from tradetalks.model import build_model
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
