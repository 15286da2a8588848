"""The real CLI, driven in-process: commands, outputs, errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import BOOK_DATA
from tradetalks.cli import app

TOY = Path(__file__).parent / "data" / "toy.yaml"
runner = CliRunner()


def test_analyze_writes_every_output(tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", str(TOY), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    for name in ("results.json", "report.html", "stakes.csv", "frontier.csv", "solutions.csv", "sources.csv",
                 "timeline.csv"):
        assert (tmp_path / name).stat().st_size > 0, name
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["scenario"]["id"] == "toy"
    assert "Bargaining solutions" in res.output
    assert not list(tmp_path.glob(".*.tmp")), "no temporary files left behind"


def test_analyze_json_to_stdout(tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", str(TOY), "--out", str(tmp_path), "--json", "--no-report"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert set(data["solutions"]) == {"nash", "nash_rubinstein", "kalai_smorodinsky", "egalitarian", "utilitarian"}
    assert not (tmp_path / "report.html").exists()


def test_set_override_changes_results(tmp_path: Path) -> None:
    base = json.loads(runner.invoke(app, ["analyze", str(TOY), "--out", str(tmp_path), "--json",
                                          "--no-report"]).stdout)
    res = runner.invoke(app, ["analyze", str(TOY), "--out", str(tmp_path), "--json", "--no-report",
                              "--set", "aid=5e8"])
    changed = json.loads(res.stdout)
    assert changed["scenario"]["overrides"] == {"aid": 5e8}
    row = next(s for s in changed["sources"] if s["id"] == "aid")
    assert row["overridden"] and row["original_value"] == 7e7
    assert base["issues"][1]["options"][1]["utilities"] != changed["issues"][1]["options"][1]["utilities"]


@pytest.mark.parametrize("bad", ["aid", "aid=lots"])
def test_bad_set_is_a_clear_error(tmp_path: Path, bad: str) -> None:
    res = runner.invoke(app, ["analyze", str(TOY), "--out", str(tmp_path), "--set", bad])
    assert res.exit_code == 1
    assert "--set expects FACT=NUMBER" in res.output


def test_invalid_scenario_exit_code_and_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(TOY.read_text().replace("{b_tariff_a: 0.15}", "{b_tarif_a: 0.15}"))
    res = runner.invoke(app, ["scenario", "validate", str(bad)])
    assert res.exit_code == 2
    assert "bad.yaml:" in res.output and "issues[0].options[1].set.b_tarif_a" in res.output
    assert "Fix:" in res.output


def test_invalid_scenario_json_envelope(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(TOY.read_text().replace("eps: {value: -1.2", "eps: {value: 1.2"))
    res = runner.invoke(app, ["analyze", str(bad), "--json", "--out", str(tmp_path)])
    assert res.exit_code == 2
    env = json.loads(res.stdout)
    assert env["error"]["code"] == "invalid_scenario"
    (prob,) = env["error"]["problems"]
    assert prob["path"] == "markets[0].demand_elasticity" and prob["line"] > 0 and prob["fix"]


def test_unknown_scenario_name() -> None:
    res = runner.invoke(app, ["analyze", "no-such-scenario"])
    assert res.exit_code == 2 and "no built-in scenario or file" in res.output


def test_validate_ok() -> None:
    res = runner.invoke(app, ["scenario", "validate", str(TOY)])
    assert res.exit_code == 0 and "ok" in res.output


def test_builtin_list_show_export_roundtrip(tmp_path: Path) -> None:
    res = runner.invoke(app, ["scenarios"])
    assert res.exit_code == 0 and "korus-2025" in res.output
    res = runner.invoke(app, ["scenario", "show", "korus-2025"])
    assert res.exit_code == 0 and "Bessent" in res.output
    res = runner.invoke(app, ["scenario", "export", "korus-2025"])
    assert res.exit_code == 0
    mine = tmp_path / "mine.yaml"
    mine.write_text(res.stdout)
    res = runner.invoke(app, ["scenario", "validate", str(mine)])
    assert res.exit_code == 0, res.output


def test_unwritable_out_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = runner.invoke(app, ["analyze", str(TOY), "--out", str(blocker / "sub"), "--no-report"])
    assert res.exit_code == 1 and "cannot write" in res.output


def test_replay_command() -> None:
    res = runner.invoke(app, ["replay", str(TOY)])
    assert res.exit_code == 0, res.output
    assert "Replay of the timeline" in res.output and "Pause ends" in res.output
    res = runner.invoke(app, ["replay", str(TOY), "--json"])
    steps = json.loads(res.stdout)["steps"]
    assert [s["kind"] for s in steps] == ["round", "batna_change", "deadline"]


AGTPA = BOOK_DATA


@pytest.mark.needs_data(AGTPA / "ch2_app2_rta_effects.csv.gz",
                         reason=f"structural-gravity data not found at {AGTPA} (the shared data folder is absent)")
def test_analyze_with_ge_second_opinion(tmp_path: Path) -> None:
    # a data directory with the book's data only: the 40-sector model is left out with a note (tested with its
    # data in test_ge_opinion.py)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "agtpa").symlink_to(AGTPA)
    res = runner.invoke(app, ["analyze", "korus-2025", "--econ", "ge", "--data-dir", str(tmp_path / "data"),
                              "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["econ_model"] == "ge"
    names = {p["name"] for p in data["ge_opinion"]["packages"]}
    assert {"batna", "observed", "nash"} <= names
    assert "Partial versus general equilibrium" in (tmp_path / "report.html").read_text()


def test_bad_econ_choice(tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", str(TOY), "--econ", "cge", "--out", str(tmp_path)])
    assert res.exit_code == 1 and "--econ must be pe or ge" in res.output


def test_ge_data_missing_is_a_clear_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", "korus-2025", "--econ", "ge", "--ge-data", str(tmp_path / "none"),
                              "--out", str(tmp_path), "--no-report"])
    assert res.exit_code == 2 and "download-data" in res.output


def test_improve_command() -> None:
    res = runner.invoke(app, ["improve", str(TOY), "--deal", "widget_tariff=t15", "--all-rules", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert set(data) == {"equal_gains", "proportional", "nash", "utilitarian"}
    res = runner.invoke(app, ["improve", str(TOY), "--deal", "widget_tariff=t99"])
    assert res.exit_code == 1 and "t99" in res.output


def test_export_genius_command(tmp_path: Path) -> None:
    res = runner.invoke(app, ["export", "genius", str(TOY), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "toy_domain.xml").exists() and len(list(tmp_path.glob("toy_*_util.xml"))) == 2


def test_simulate_command() -> None:
    res = runner.invoke(app, ["simulate", str(TOY), "--a", "linear", "--b", "linear"])
    assert res.exit_code == 0, res.output
    assert "round" in res.output and "Offers" in res.output
    res = runner.invoke(app, ["simulate", str(TOY), "--a", "linear", "--b", "stubborn"])
    assert res.exit_code == 1 and "stubborn" in res.output and "boulware" in res.output


def test_tournament_command() -> None:
    res = runner.invoke(app, ["tournament", str(TOY), "--strategies", "linear,conceder", "--repeats", "1",
                              "--workers", "1", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["strategies"]


def test_ratify_command() -> None:
    res = runner.invoke(app, ["ratify", str(TOY), "--deal", "widget_tariff=t0"])
    assert res.exit_code == 0, res.output
    assert "win-set" in res.output and "given package: NOT ratifiable" in res.output
    assert "Beta congress (B) rejects" in res.output and "threshold is lowered by" in res.output
    data = json.loads(runner.invoke(app, ["ratify", str(TOY), "--json"]).stdout)
    assert data["has_ratifiers"] and len(data["parties"]) == 2


def test_sensitivity_command() -> None:
    res = runner.invoke(app, ["sensitivity", str(TOY), "--draws", "200", "--workers", "1", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["tornado"] and data["sweep"]["n_draws"] == 200


def test_analyze_dynamics(tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", str(TOY), "--dynamics", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["simulation"]["offers"] and data["tournament"]["by_strategy"] and data["sensitivity"]["tornado"]
    assert data["ratification"]["has_ratifiers"]
    html_text = (tmp_path / "report.html").read_text()
    assert "Simulated negotiations" in html_text and "Tornado" in html_text


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_set_must_be_finite(tmp_path: Path, value: str) -> None:
    res = runner.invoke(app, ["analyze", str(TOY), "--set", f"eps={value}", "--out", str(tmp_path)])
    assert res.exit_code == 1 and "must be a finite number" in res.output


def test_bad_override_is_blamed_on_set(tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", str(TOY), "--set", "eps=2", "--out", str(tmp_path), "--no-report"])
    assert res.exit_code == 2
    assert "(from --set eps=2)" in res.output and "choose another value for --set eps" in res.output


def test_scenario_show_keeps_the_assumption_marker_and_maps_ids_to_labels() -> None:
    """Rich markup must not swallow '[assumption]'; option ids appear beside their labels."""
    res = runner.invoke(app, ["scenario", "show", "korus-2025"], env={"COLUMNS": "240"})
    assert res.exit_code == 0, res.output
    assert "[assumption]" in res.output
    assert "a12_5" in res.output and "12.5 %" in res.output


def test_set_echoes_the_change_and_what_moved(tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", str(TOY), "--out", str(tmp_path), "--set", "w_exp=3", "--no-report"],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "Changed inputs" in res.output and "w_exp" in res.output
    assert "What moved" in res.output and "→" in res.output


def test_json_says_on_stderr_which_files_it_wrote(tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", str(TOY), "--out", str(tmp_path), "--json", "--no-report"])
    assert res.exit_code == 0
    json.loads(res.stdout)
    assert "Wrote results.json" in res.stderr and str(tmp_path) in res.stderr


def test_summary_uses_labels_not_option_ids(tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", str(TOY), "--out", str(tmp_path), "--no-report"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    assert "Beta's tariff on Alpha's widgets: 0 %" in res.output
    assert "widget_tariff=" not in res.output
    assert "No observed-outcome file" in res.output
