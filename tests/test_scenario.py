"""Scenario loading and validation: every kind of bad input gets file, line, field path and fix, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradetalks.errors import NotFoundError, ScenarioError, TradetalksError
from tradetalks.scenario import load_scenario
from tradetalks.scenario.expressions import ExpressionError, check, evaluate

TOY = Path(__file__).parent / "data" / "toy.yaml"


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _problems(tmp_path: Path, text: str) -> list:
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, text))
    return info.value.problems


def _line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for k, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return k
    raise AssertionError(needle)


def test_toy_loads() -> None:
    loaded = load_scenario(TOY)
    assert loaded.scenario.id == "toy"
    assert loaded.facts["eps"] == -1.2
    assert loaded.observed is None


def test_unknown_key_reports_line_path_and_fix(tmp_path: Path) -> None:
    text = TOY.read_text().replace("    name: Alpha\n", "    name: Alpha\n    colour: red\n")
    (p,) = _problems(tmp_path, text)
    assert p.path == "parties[0].colour"
    assert p.line == _line_of(text, "colour: red")
    assert "unknown field" in p.message and "remove this key" in p.fix
    assert p.file.endswith("s.yaml")


def test_wrong_type(tmp_path: Path) -> None:
    text = TOY.read_text().replace("as_of: 2025-01-01", "as_of: someday")
    (p,) = _problems(tmp_path, text)
    assert p.path == "as_of" and p.line == _line_of(text, "as_of:") and "YYYY-MM-DD" in p.fix


def test_all_cross_reference_errors_reported_at_once(tmp_path: Path) -> None:
    text = (TOY.read_text()
            .replace("value: widgets_a_to_b,", "value: -5,")                     # negative trade value
            .replace("eps: {value: -1.2", "eps: {value: 1.2")                    # wrong-sign elasticity
            .replace("{b_tariff_a: 0.15}", "{b_tarif_a: 0.15}")                  # unknown lever
            .replace("{id: t0, label:", "{id: t15, label:")                      # duplicate option id
            + "constraints:\n  - {id: c1, kind: requires, if: {issue: nope, options: [x]}, "
              "then: {issue: transfer, options: [none]}, reason: test}\n")     # unknown issue
    probs = _problems(tmp_path, text)
    by_path = {p.path: p for p in probs}
    assert by_path["markets[0].suppliers[0].value"].message.startswith(
        "market 'b_widgets', supplier 'A': trade value must be between 0 and 1e+14")
    assert "minus sign" in by_path["markets[0].demand_elasticity"].fix
    assert "unknown lever 'b_tarif_a'" in by_path["issues[0].options[1].set.b_tarif_a"].message
    assert "duplicate option id 't15'" in by_path["issues[0].options[2].id"].message
    assert "unknown issue 'nope'" in by_path["constraints[0].if.issue"].message
    assert all(p.line is not None for p in probs)
    assert by_path["issues[0].options[1].set.b_tarif_a"].line == _line_of(text, "b_tarif_a")


def test_structural_and_reference_errors_together(tmp_path: Path) -> None:
    text = TOY.read_text().replace("    name: Alpha\n", "    name: Alpha\n    colour: red\n").replace(
        "{b_tariff_a: 0.15}", "{b_tarif_a: 0.15}")
    paths = {p.path for p in _problems(tmp_path, text)}
    assert paths == {"parties[0].colour", "issues[0].options[1].set.b_tarif_a"}


def test_empty_option_list(tmp_path: Path) -> None:
    text = TOY.read_text()
    start = text.index("  - id: transfer")
    end = text.index("linkage:")
    text = text[:start] + "  - id: transfer\n    name: x\n    category: offer\n    batna: none\n    options: []\n" \
        + text[end:]
    probs = _problems(tmp_path, text)
    p = next(p for p in probs if p.path == "issues[1].options")
    assert p.message == "needs at least 1 entry; received 0." and p.line == _line_of(text, "options: []")


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    text = TOY.read_text().replace("title: Toy negotiation\n", "title: Toy negotiation\ntitle: Again\n")
    (p,) = _problems(tmp_path, text)
    assert "appears twice" in p.message and p.line == 4


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    text = TOY.read_text().replace("title: Toy negotiation", "title: !!python/object/apply:os.system ['echo hi']")
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, text))
    assert "YAML" in str(info.value)


def test_fact_needs_source_or_assumption(tmp_path: Path) -> None:
    text = TOY.read_text().replace("eta: {value: 2.0, unit: elasticity, assumption: test}",
                                   "eta: {value: 2.0, unit: elasticity}")
    (p,) = _problems(tmp_path, text)
    assert p.path == "facts.eta" and "source" in p.fix


def test_unknown_fact_in_expression(tmp_path: Path) -> None:
    text = TOY.read_text().replace("a_treasury: -aid,", "a_treasury: -aidd,")
    (p,) = _problems(tmp_path, text)
    assert "unknown fact(s) aidd" in p.message


def test_unknown_builtin_name_suggests() -> None:
    with pytest.raises(NotFoundError) as info:
        load_scenario("korus-2052")
    assert "korus-2025" in str(info.value)


def test_override_unknown_fact() -> None:
    with pytest.raises(TradetalksError, match=r"unknown fact 'epss'.*closest: eps"):
        load_scenario(TOY, overrides={"epss": 1.0})


def test_override_applies() -> None:
    assert load_scenario(TOY, overrides={"eps": -2.0}).facts["eps"] == -2.0


def test_observed_outcome_checked(tmp_path: Path) -> None:
    obs = _write(tmp_path, "schema_version: 1\nscenario: toy\ntitle: deal\ndate: 2025-02-01\npackage:\n"
                           "  widget_tariff: {option: t99, source: test}\n", "obs.yaml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(TOY, observed=obs)
    msgs = " ".join(p.message for p in info.value.problems)
    assert "no option 't99'" in msgs and "does not settle issue(s) transfer" in msgs


def test_expressions() -> None:
    assert evaluate("(a + b) / 2 - -1", {"a": 1.0, "b": 3.0}) == 3.0
    assert check("a * __import__('os')", {"a": 1}) is not None
    assert check("a ** 2", {"a": 1}) is not None
    with pytest.raises(ExpressionError):
        evaluate("a.b", {"a": 1.0})


def test_elasticity_error_names_the_fact(tmp_path: Path) -> None:
    text = TOY.read_text().replace("eps: {value: -1.2", "eps: {value: 1.2")
    (p,) = _problems(tmp_path, text)
    assert "(from `eps` in facts)" in p.message


def test_batna_must_satisfy_constraints(tmp_path: Path) -> None:
    text = TOY.read_text() + ("constraints:\n  - {id: c1, kind: requires, if: {issue: widget_tariff, options: [t25]}, "
                              "then: {issue: transfer, options: [some]}, reason: test}\n")
    (p,) = _problems(tmp_path, text)
    assert p.path == "constraints[0]" and "BATNA must be a feasible package" in p.message


def test_timeline_package_checked(tmp_path: Path) -> None:
    text = TOY.read_text().replace(
        "  - {date: 2025-01-01, kind: round, title: First round, source: test fixture}",
        "  - {date: 2025-01-01, kind: round, title: First round, source: test fixture, package: {transfer: lots}}")
    (p,) = _problems(tmp_path, text)
    assert p.path == "timeline[0].package.transfer" and "no option 'lots'" in p.message


def test_deadline_before_start(tmp_path: Path) -> None:
    text = TOY.read_text().replace("{date: 2025-06-30, title: Pause ends", "{date: 2024-06-30, title: Pause ends")
    (p,) = _problems(tmp_path, text)
    assert p.path == "dynamics.deadlines[0].date" and "before the start of talks" in p.message


def test_ratifier_unknown_stakeholder(tmp_path: Path) -> None:
    text = TOY.read_text().replace("cares_about: {a_exporters: 1}", "cares_about: {a_exporterz: 1}")
    (p,) = _problems(tmp_path, text)
    assert "names unknown stakeholder 'a_exporterz'" in p.message and p.line is not None


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="this is a directory, not a file"):
        load_scenario(tmp_path)


def test_tabs_empty_and_binary_files(tmp_path: Path) -> None:
    for name, data, expected in (("tab.yaml", b"a:\n\tb: 1\n", "spaces, not tabs"), ("empty.yaml", b"", "is empty"),
                                 ("bin.yaml", bytes(range(128, 256)), "not UTF-8")):
        p = tmp_path / name
        p.write_bytes(data)
        with pytest.raises(ScenarioError, match=expected):
            load_scenario(p)


def test_impossible_date_is_a_clear_error(tmp_path: Path) -> None:
    text = TOY.read_text().replace("as_of: 2025-01-01", "as_of: 2025-02-30")
    (p,) = _problems(tmp_path, text)
    assert p.path == "as_of" and "day is out of range" in p.message and "YYYY-MM-DD" in p.fix


def test_booleans_are_not_numbers(tmp_path: Path) -> None:
    text = TOY.read_text().replace("threshold: 5.0e7}", "threshold: true}")
    (p,) = _problems(tmp_path, text)
    assert p.path == "parties[0].ratification.ratifiers[1].threshold" and p.message == \
        "expected a number; received true (a yes/no value)."
