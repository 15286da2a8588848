"""The gravity spec file: validation with file/line/field/fix, spec-versus-data checks, edits, small runs."""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradetalks.econ.gravity.run import run_file, scenario_inputs
from tradetalks.econ.gravity.spec import load_spec
from tradetalks.errors import DataError, SpecError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "gravity"
CODES = ("AAA", "BBB", "CCC", "DDD", "EEE")
#: a counterfactual that changes nothing must change nothing, up to the solver tolerance
ZERO_EFFECT = 1e-8


def write_flows(folder: Path, seed: int = 0) -> Path:
    """A 5-country, 2-year gravity panel with distance and an RTA that enters in 2004."""
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame([(e, i, y) for y in (2000, 2004) for e, i in itertools.product(CODES, CODES)],
                        columns=["exporter", "importer", "year"])
    dist = rng.uniform(200, 9000, (5, 5))
    dist = (dist + dist.T) / 2
    np.fill_diagonal(dist, 100.0)
    idx = {c: k for k, c in enumerate(CODES)}
    rows["DIST"] = [dist[idx[e], idx[i]] for e, i in zip(rows.exporter, rows.importer, strict=True)]
    rows["RTA"] = [float(e != i and {e, i} <= {"AAA", "BBB"} and y == 2004)        # AAA–BBB agreement from 2004
                   for e, i, y in zip(rows.exporter, rows.importer, rows.year, strict=True)]
    size = dict(zip(CODES, rng.uniform(1, 10, 5), strict=True))
    rows["trade"] = (rows.exporter.map(size) * rows.importer.map(size) * rows.DIST ** -0.9
                     * np.exp(0.5 * rows.RTA + 2.0 * (rows.exporter == rows.importer)) * 1e4)
    path = folder / "flows.csv"
    rows.to_csv(path, index=False)
    return path


SPEC = """\
title: small test
data:
  file: flows.csv
year: 2004
sigma: 5
reference: CCC
trade_costs:
  variables:
    - {name: ln_DIST, column: DIST, transform: log}
    - {name: RTA}
    - {name: BRDR, transform: international}
  coefficients: {ln_DIST: -0.9, RTA: 0.5, BRDR: -2.0}
counterfactual:
  kind: full
  edits:
    - {set: RTA, value: 1, exporters: [AAA, CCC], importers: [AAA, CCC]}
"""


def write_spec(folder: Path, text: str = SPEC, name: str = "spec.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["nafta.yaml", "trade-without-borders.yaml", "korea-us.yaml"])
def test_example_specs_are_valid(name: str) -> None:
    sf = load_spec(EXAMPLES / name)
    assert sf.data_path.name == "ch2_app2_rta_effects.csv.gz"
    assert sf.data_path.parent.name == "agtpa"             # ../../../shared/data/agtpa relative to the spec


def test_structural_errors_are_all_reported_with_line_field_and_fix(tmp_path: Path) -> None:
    text = SPEC.replace("sigma: 5", "sigma: 1").replace("title: small test", "title: t\nsigmaa: 3")
    text = text.replace("    - {set: RTA, value: 1, exporters: [AAA, CCC], importers: [AAA, CCC]}",
                        "    - {value: 1}\n    - {set: RTA, value: 0, tariff: 0.1}")
    path = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    problems = {p.path: p for p in exc.value.problems}
    assert set(problems) >= {"sigmaa", "sigma", "counterfactual.edits[0]", "counterfactual.edits[1].tariff"}
    assert problems["sigmaa"].line == 2 and "docs/gravity.md" in problems["sigmaa"].fix
    assert problems["sigma"].line == 6 and "σ > 1" in problems["sigma"].fix
    assert "`set:`" in problems["counterfactual.edits[0]"].message
    assert "split it into two edits" in problems["counterfactual.edits[1].tariff"].fix
    assert all(p.file == str(path) for p in exc.value.problems)
    assert exc.value.code == "invalid_spec" and "problems" in str(exc.value.to_dict())


def test_cross_field_errors_are_all_reported(tmp_path: Path) -> None:
    text = SPEC.replace("coefficients: {ln_DIST: -0.9, RTA: 0.5, BRDR: -2.0}",
                        "coefficients: {ln_DIST: -0.9, DIST2: 1.0, RTA: 0.5}\n"
                        "  estimate:\n"
                        "    variables: [RTA, NOPE]\n"
                        "    fixed_effects: [exporter-year, importer-year, pair]\n"
                        "    fill_missing_pairs: {variables: [CNTG]}")
    text = text.replace("{set: RTA,", "{set: BRDR,")
    path = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    by_path = {p.path: p for p in exc.value.problems}
    assert "not a defined variable" in by_path["trade_costs.coefficients.DIST2"].message
    assert "not a defined variable" in by_path["trade_costs.estimate.variables[1]"].message
    assert "also estimated" in by_path["trade_costs.estimate.variables[0]"].message
    assert "several years" in by_path["trade_costs.estimate.years"].message
    assert "not a defined variable" in by_path["trade_costs.estimate.fill_missing_pairs.variables[0]"].message
    assert "with a coefficient" in by_path["counterfactual.edits[0].set"].message
    assert by_path["counterfactual.edits[0].set"].line == 20
    assert len(exc.value.problems) == 6


def test_one_of_counterfactual_and_scenarios(tmp_path: Path) -> None:
    scenarios = "scenarios:\n  - {name: a, edits: [{tariff: 0.1}]}\n  - {name: a, edits: [{tariff: 0.2}]}\n"
    with pytest.raises(SpecError, match="exactly one of"):
        load_spec(write_spec(tmp_path, SPEC + scenarios))
    only = SPEC[: SPEC.index("counterfactual:")] + scenarios
    with pytest.raises(SpecError, match="used twice") as exc:
        load_spec(write_spec(tmp_path, only))
    assert exc.value.problems[0].path == "scenarios[1].name" and exc.value.problems[0].line == 15


def test_spec_against_data_lists_every_unknown_year_and_country(tmp_path: Path) -> None:
    write_flows(tmp_path)
    text = SPEC.replace("reference: CCC", "reference: ZZZ").replace("[AAA, CCC], importers", "[AAA, CXC], importers")
    text = text.replace("year: 2004", "year: 2003")
    with pytest.raises(DataError) as exc:
        run_file(write_spec(tmp_path, text))
    msg = str(exc.value)
    assert "3 problems" in msg
    assert ":4: year: the data have no year 2003" in msg
    assert ":6: reference:" in msg and "'ZZZ'" in msg
    assert "counterfactual.edits[0].exporters[1]: the counterfactual names the unknown country 'CXC'" in msg
    assert "CCC" in msg                                     # the close match is suggested


def test_missing_data_file_names_the_resolved_path(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="does not exist") as exc:
        run_file(write_spec(tmp_path))
    assert "flows.csv" in str(exc.value)


def test_edits_apply_in_order_to_selected_international_pairs(tmp_path: Path) -> None:
    write_flows(tmp_path)
    run = run_file(write_spec(tmp_path))
    text = SPEC.replace("    - {set: RTA, value: 1, exporters: [AAA, CCC], importers: [AAA, CCC]}",
                        "    - {set: RTA, value: 1}\n"
                        "    - {set: RTA, value: 0, exporters: [DDD]}\n"
                        "    - {tariff: 0.2, exporters: [AAA], importers: [AAA, BBB]}")
    cf = load_spec(write_spec(tmp_path, text, "b.yaml")).spec.counterfactual
    assert cf is not None
    inputs = scenario_inputs(cf, run.costs, run.data.countries)
    rta = run.costs.variables["RTA"]
    expected = np.ones((5, 5))
    np.fill_diagonal(expected, 0.0)
    expected[3, :] = 0.0
    assert inputs["phi_hat"] == pytest.approx(np.exp(0.5 * (expected - rta)))
    tariff = np.zeros((5, 5))
    tariff[0, 1] = 0.2                                      # never on AAA's domestic flow
    assert inputs["tariff"] == pytest.approx(tariff)


def test_small_run_with_given_coefficients(tmp_path: Path) -> None:
    write_flows(tmp_path)
    run = run_file(write_spec(tmp_path))
    table = run.country_table()
    assert len(table) == 5 and set(table["scenario"]) == {"counterfactual"}
    row = table.set_index("country")
    assert row.loc["AAA", "exports"] > 0 and row.loc["CCC", "exports"] > 0
    assert row.loc["CCC", "imr"] == pytest.approx(0.0, abs=1e-9)   # the reference's IMR is the numeraire
    assert run.costs.estimation is None and set(run.costs.coefficients["source"]) == {"given"}
    assert run.baseline.trade.sum(axis=1) == pytest.approx(run.data.output)
    assert np.isfinite(run.bilateral_table()[["trade_counterfactual", "cost_change"]].to_numpy()).all()
    payload = run.to_dict()
    assert payload["scenarios"][0]["diagnostics"]["converged"] is True


def test_setting_a_variable_to_its_own_value_changes_nothing(tmp_path: Path) -> None:
    write_flows(tmp_path)
    text = SPEC.replace("{set: RTA, value: 1, exporters: [AAA, CCC], importers: [AAA, CCC]}",
                        "{set: RTA, value: 1, exporters: [AAA, BBB], importers: [AAA, BBB]}")
    run = run_file(write_spec(tmp_path, text))
    numbers = run.country_table().select_dtypes("number").drop(columns=["output_baseline"])
    assert np.abs(numbers.to_numpy()).max() < ZERO_EFFECT


def test_estimated_and_given_coefficients_together(tmp_path: Path) -> None:
    """A given coefficient enters the estimation as an offset; the others are estimated around it."""
    write_flows(tmp_path)
    text = SPEC.replace("coefficients: {ln_DIST: -0.9, RTA: 0.5, BRDR: -2.0}",
                        "coefficients: {BRDR: -2.0}\n"
                        "  estimate: {variables: [ln_DIST, RTA], fixed_effects: [exporter, importer], years: [2004]}")
    run = run_file(write_spec(tmp_path, text))
    coef = run.costs.coefficients.set_index("term")
    assert coef.loc["ln_DIST", "estimate"] == pytest.approx(-0.9, abs=1e-6)
    assert coef.loc["RTA", "estimate"] == pytest.approx(0.5, abs=1e-6)
    assert coef.loc["BRDR", "source"] == "given" and np.isnan(coef.loc["BRDR", "std_error"])
    assert run.costs.estimation is not None and "ln_DIST + RTA" in run.costs.estimation.formula


def test_pair_effects_need_intranational_flows_in_the_sample(tmp_path: Path) -> None:
    write_flows(tmp_path)
    text = SPEC.replace("coefficients: {ln_DIST: -0.9, RTA: 0.5, BRDR: -2.0}",
                        "estimate: {variables: [RTA], fixed_effects: [exporter-year, importer-year, pair], "
                        "years: [2000, 2004], sample: international}")
    with pytest.raises(DataError, match="intranational pairs have no estimated pair effect") as exc:
        run_file(write_spec(tmp_path, text))
    assert "sample: all" in (exc.value.fix or "")
