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


@pytest.mark.parametrize("name", ["nafta.yaml", "trade-without-borders.yaml", "korea-us.yaml",
                                  "nafta-own-effect.yaml"])
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


# --- data formats, balance, dummies, notes (issue 9 §4) ----------------------------------------------------------

GRAVITY_DATA = Path(__file__).resolve().parent / "data" / "gravity"
SMALL_SPEC = """\
data:
  file: {file}
  columns: {{trade: trade_value{extra_columns}}}{data_extra}
year: 2006
sigma: 5
reference: CCC
trade_costs:
  variables:
    - {{name: ln_DIST, column: distance, transform: log}}
    - {{name: FTA, column: agree_fta}}
  coefficients: {{ln_DIST: -0.9, FTA: 0.5}}
counterfactual:
  name: no-fta
  effect: of-baseline
  edits:
    - {{set: FTA, value: 0}}
"""


def small_spec(folder: Path, file: str, data_extra: str = "", extra_columns: str = "", name: str = "s.yaml") -> Path:
    text = SMALL_SPEC.format(file=GRAVITY_DATA / file, data_extra=data_extra, extra_columns=extra_columns)
    return write_spec(folder, text, name)


def test_delimited_files_of_every_kind_give_the_same_run(tmp_path: Path) -> None:
    runs = {
        "dlm": run_file(small_spec(tmp_path, "flows.dlm", name="a.yaml")),
        "semicolon": run_file(small_spec(tmp_path, "flows-semicolon.dlm", name="b.yaml")),
        "tsv": run_file(small_spec(tmp_path, "flows.tsv", name="c.yaml")),
        "pipe": run_file(small_spec(tmp_path, "flows-pipe.dat", "\n  format: dlm\n  sep: '|'", name="d.yaml")),
        "blank": run_file(small_spec(tmp_path, "flows-blank.txt", "\n  sep: whitespace", name="e.yaml")),
    }
    first = runs["dlm"].country_table()
    for run in runs.values():
        pd.testing.assert_frame_equal(run.country_table(), first)


def test_format_errors_point_at_the_data_fields(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as exc:
        load_spec(small_spec(tmp_path, "flows-pipe.dat"))
    (problem,) = exc.value.problems
    assert problem.path == "data.file" and problem.line == 2 and "format:" in problem.fix
    with pytest.raises(SpecError) as exc:
        load_spec(small_spec(tmp_path, "flows.dlm", "\n  format: parquet\n  sep: ';'\n  balance: rescale_output"))
    by_path = {p.path: p for p in exc.value.problems}
    assert set(by_path) == {"data.sep", "data.balance"}
    assert by_path["data.sep"].line == 5 and "remove `sep:`" in by_path["data.sep"].fix
    assert "needs output and expenditure columns" in by_path["data.balance"].message
    with pytest.raises(SpecError) as exc:
        load_spec(small_spec(tmp_path, "flows.dlm", "\n  format: xlsx"))
    assert [p.path for p in exc.value.problems] == ["data.format"]
    with pytest.raises(SpecError) as exc:
        load_spec(small_spec(tmp_path, "flows.dlm", "\n  sep: '::'"))
    (problem,) = exc.value.problems
    assert problem.path == "data.sep" and "one character or a name" in problem.message and "tab" in problem.fix


def test_balance_closures_through_a_spec(tmp_path: Path) -> None:
    cols = ", output: output, expenditure: expenditure"
    with pytest.raises(DataError, match="Σ Y = Σ E") as exc:
        run_file(small_spec(tmp_path, "unbalanced.csv", extra_columns=cols))
    assert "balance:" in (exc.value.fix or "")
    runs = {how: run_file(small_spec(tmp_path, "unbalanced.csv", f"\n  balance: {how}", cols, f"{how}.yaml"))
            for how in ("rescale_expenditure", "rescale_output")}
    exp, out = runs["rescale_expenditure"], runs["rescale_output"]
    assert exp.to_dict()["data_balance"]["method"] == "rescale_expenditure"
    assert exp.to_dict()["data_balance"]["scale"] == pytest.approx(1 / 1.08, rel=1e-6)
    # both closures keep both sets of shares, so they differ by one common factor of Y and E: every % change
    # is the same; only levels (output_baseline) differ by that factor
    a, b = exp.country_table(), out.country_table()
    assert (a["output_baseline"] / b["output_baseline"]).to_numpy() == pytest.approx(1 / 1.08, rel=1e-6)
    pd.testing.assert_frame_equal(a.drop(columns="output_baseline"), b.drop(columns="output_baseline"),
                                  rtol=1e-9)


DUMMY_SPEC = SPEC.replace("data:\n  file: flows.csv\n", "data:\n  file: flows.csv\ndummies:\n@DUMMIES@\n")


def dummy_spec(folder: Path, dummies: str, name: str = "dummies.yaml", variables: str = "",
               coefficients: str = "") -> Path:
    text = DUMMY_SPEC.replace("@DUMMIES@", textwrap.indent(textwrap.dedent(dummies).strip(), "  "))
    text = text.replace("    - {name: BRDR, transform: international}\n",
                        "    - {name: BRDR, transform: international}\n" + variables)
    text = text.replace("BRDR: -2.0}", f"BRDR: -2.0{coefficients}}}")
    return write_spec(folder, text, name)


def test_dummies_are_one_on_their_pairs(tmp_path: Path) -> None:
    write_flows(tmp_path)
    path = dummy_spec(tmp_path, """
        border_ac: {pairs: [[AAA, CCC]], symmetric: false}
        border_bd: {pairs: [[BBB, DDD]]}
        fta: {members: [AAA, BBB, EEE]}
        into_e: {importers: [EEE], symmetric: false}
        """, variables="    - {name: border_ac}\n    - {name: border_bd}\n    - {name: fta}\n    - {name: into_e}\n",
        coefficients=", border_ac: -0.3, border_bd: -0.2, fta: 0.4, into_e: -0.1")
    run = run_file(path)
    idx = {c: k for k, c in enumerate(run.data.countries)}

    def ones(*pairs: tuple[str, str]) -> np.ndarray:
        m = np.zeros((5, 5))
        for a, b in pairs:
            m[idx[a], idx[b]] = 1.0
        return m

    v = run.costs.variables
    assert v["border_ac"] == pytest.approx(ones(("AAA", "CCC")))
    assert v["border_bd"] == pytest.approx(ones(("BBB", "DDD"), ("DDD", "BBB")))
    assert v["fta"] == pytest.approx(ones(*[(a, b) for a in ("AAA", "BBB", "EEE") for b in ("AAA", "BBB", "EEE")
                                            if a != b]))
    assert v["into_e"] == pytest.approx(ones(*[(a, "EEE") for a in CODES if a != "EEE"]))


def test_a_dummy_estimates_and_edits_as_the_data_column_it_replaces(tmp_path: Path) -> None:
    """write_flows puts an AAA–BBB agreement in force from 2004 in the column RTA; a dummy can define the same."""
    write_flows(tmp_path)
    estimate = ("estimate: {variables: [%s], fixed_effects: [exporter-year, importer-year, pair], "
                "years: [2000, 2004], pair: symmetric}")
    column = SPEC.replace("coefficients: {ln_DIST: -0.9, RTA: 0.5, BRDR: -2.0}", estimate % "RTA")
    column = column.replace("{set: RTA, value: 1,", "{set: RTA, value: 0,").replace("[AAA, CCC]", "[AAA, BBB]")
    dummy = column.replace("{name: RTA}", "{name: ab_fta}").replace("[RTA]", "[ab_fta]")
    dummy = dummy.replace("{set: RTA", "{set: ab_fta").replace(
        "data:\n  file: flows.csv\n", "data:\n  file: flows.csv\ndummies:\n  ab_fta: {members: [AAA, BBB], "
        "from_year: 2004}\n")
    with_column = run_file(write_spec(tmp_path, column, "column.yaml"))
    with_dummy = run_file(write_spec(tmp_path, dummy, "dummy.yaml"))
    b_col = with_column.costs.coefficients.set_index("term").loc["RTA", "estimate"]
    b_dum = with_dummy.costs.coefficients.set_index("term").loc["ab_fta", "estimate"]
    assert b_dum == pytest.approx(b_col, rel=1e-9) and b_dum == pytest.approx(0.5, abs=1e-6)
    pd.testing.assert_frame_equal(with_dummy.country_table(), with_column.country_table(), rtol=1e-9)


def test_dummy_spec_problems_are_all_reported(tmp_path: Path) -> None:
    path = dummy_spec(tmp_path, """
        two_ways: {pairs: [[AAA, BBB]], members: [AAA, CCC]}
        self_pair: {pairs: [[AAA, AAA]]}
        lonely: {members: [AAA, AAA]}
        years: {members: [AAA, BBB], from_year: 2005, to_year: 2001}
        unused: {members: [AAA, BBB]}
        trade: {members: [AAA, BBB]}
        """, variables="".join(f"    - {{name: {n}}}\n" for n in ("two_ways", "self_pair", "lonely", "years")),
        coefficients=", two_ways: 1, self_pair: 1, lonely: 1, years: 1")
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    by_path = {p.path: p for p in exc.value.problems}
    assert "exactly one way" in by_path["dummies.two_ways"].message
    assert "intranational" in by_path["dummies.self_pair.pairs[0]"].message
    assert "at least two" in by_path["dummies.lonely.members"].message
    assert "before from_year" in by_path["dummies.years.to_year"].message
    assert "no trade-cost variable uses it" in by_path["dummies.unused"].message
    assert "{name: unused}" in by_path["dummies.unused"].fix
    assert any("reserved" in p.message for p in exc.value.problems if p.path == "dummies.trade")
    assert by_path["dummies.self_pair.pairs[0]"].line == 6


def test_dummy_codes_are_checked_against_the_data(tmp_path: Path) -> None:
    write_flows(tmp_path)
    path = dummy_spec(tmp_path, """
        fta: {members: [AAA, BXB, CCC]}
        border: {pairs: [[AAA, ZZZ]]}
        """, variables="    - {name: fta}\n    - {name: border}\n", coefficients=", fta: 0.4, border: -0.2")
    with pytest.raises(DataError) as exc:
        run_file(path)
    msg = str(exc.value)
    assert "2 problems" in msg
    assert ":5: dummies.fta.members[1]: the dummy 'fta' names the unknown country 'BXB'" in msg
    assert "dummies.border.pairs[0][1]: the dummy 'border' names the unknown country 'ZZZ'" in msg
    assert "BBB" in msg                                      # the close match


def test_a_dummy_may_not_shadow_a_data_column(tmp_path: Path) -> None:
    write_flows(tmp_path)
    text = SPEC.replace("data:\n  file: flows.csv\n",
                        "data:\n  file: flows.csv\ndummies:\n  RTA: {members: [AAA, BBB]}\n")
    with pytest.raises(DataError, match=r"dummies\.RTA: the dummy 'RTA' has the name of a column"):
        run_file(write_spec(tmp_path, text))


def test_a_missing_cost_column_names_it_lists_the_columns_and_mentions_dummies(tmp_path: Path) -> None:
    write_flows(tmp_path)
    text = SPEC.replace("{name: RTA}", "{name: RTA, column: FTA}").replace(
        "data:\n  file: flows.csv\n", "data:\n  file: flows.csv\n  columns: {trade: value}\n")
    with pytest.raises(DataError) as exc:
        run_file(write_spec(tmp_path, text))
    msg = str(exc.value)
    assert "2 problems" in msg
    assert "trade_costs.variables[1].column: the trade-cost variable 'RTA' needs the column 'FTA'" in msg
    assert "available: exporter, importer, year, DIST, RTA, trade" in msg and "`dummies:`" in msg
    cost_line = next(line for line in msg.splitlines() if "'FTA'" in line)
    assert "data.columns" not in cost_line                   # data.columns maps only the core columns
    assert "data.columns.trade: the data file has no column 'value' for trade" in msg


def test_result_notes_say_what_of_baseline_means_and_the_price_convention(tmp_path: Path) -> None:
    run = run_file(small_spec(tmp_path, "flows.dlm"))
    (scenario,) = run.to_dict()["scenarios"]
    notes = scenario["notes"]
    assert "the effect OF what its edits remove (FTA = 0 on all → all)" in notes["effect"]
    assert "100·(v_baseline / v_counterfactual − 1)" in notes["effect"]
    assert "(1 − p̂)·100" in notes["price"] and "CCC" in notes["price"]
    # the note states this scenario's largest gap between the two conventions, 100·(p̂ − 1)²/p̂
    prices = run.country_table().set_index("country")["factory_gate_price"]
    p_hats = 100 / (100 + prices)
    gaps = 100 * (p_hats - 1) ** 2 / p_hats
    assert gaps.max() > 0 and f"in this scenario at most {gaps.max():.3g} pp ({gaps.idxmax()})" in notes["price"]
    # the note's recipe turns our column into the book's convention: p̂ = 100 / (100 + x)
    row = run.country_table().set_index("country").loc["AAA"]
    p_hat = run.scenarios[0].counterfactual.to_frame().loc["AAA", "factory_gate_price"] / 100 + 1
    assert 100 / (100 + row["factory_gate_price"]) == pytest.approx(p_hat, rel=1e-12)
    text = small_spec(tmp_path, "flows.dlm").read_text().replace("of-baseline", "of-counterfactual")
    forward = run_file(write_spec(tmp_path, text, "forward.yaml"))
    assert "against the baseline: the effect of the edits" in forward.scenarios[0].notes["effect"]
    conditional = run_file(write_spec(tmp_path, text.replace("effect:", "kind: conditional\n  effect:"), "c.yaml"))
    assert "conditional GE" in conditional.scenarios[0].notes["price"]


def test_a_pair_is_two_codes(tmp_path: Path) -> None:
    path = dummy_spec(tmp_path, "short: {pairs: [[AAA]]}", variables="    - {name: short}\n",
                      coefficients=", short: 1")
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    (problem,) = exc.value.problems
    assert problem.path == "dummies.short.pairs[0]" and "[exporter, importer]" in problem.message
    flat = dummy_spec(tmp_path, "flat: {pairs: [AAA, BBB]}", "flat.yaml", "    - {name: flat}\n", ", flat: 1")
    with pytest.raises(SpecError) as exc:
        load_spec(flat)
    assert {p.path for p in exc.value.problems} == {"dummies.flat.pairs[0]", "dummies.flat.pairs[1]"}
    assert all("pairs: [[CAN, USA]" in p.fix for p in exc.value.problems)
