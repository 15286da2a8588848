"""docs/korus-2025.md cannot go stale: its headline figures are generated from a run (scripts/gen_korus_doc.py)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "korus-2025.md"


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_korus_doc", ROOT / "scripts" / "gen_korus_doc.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_korus_doc_figures_are_current() -> None:
    assert DOC.read_text(encoding="utf-8") == _generator().render(), \
        "docs/korus-2025.md is stale: run `PYTHONPATH=src .venv/bin/python scripts/gen_korus_doc.py`"


def test_every_headline_figure_sits_in_a_generated_block() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in ("headline", "time-basis", "precedent", "how-sure", "reveals"):
        assert f"<!-- BEGIN GENERATED: {name} -->" in text and f"<!-- END GENERATED: {name} -->" in text
    section = text.split("## 4.", 1)[1].split("## 5.", 1)[0]
    prose = re.sub(r"<!-- BEGIN GENERATED: ([\w-]+) -->.*?<!-- END GENERATED: \1 -->", "", section, flags=re.S)
    assert not re.search(r"[+−-]\d+\.\d", prose), "a signed figure in §4 outside a generated block"


def test_the_doc_does_not_call_the_nash_point_a_prediction() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "No solution here is a prediction" in text
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if re.search(r"\bpredict", sentence, re.I):
            assert re.search(r"\bnot\b|\bno\b", sentence, re.I), sentence


def test_fill_refuses_unknown_blocks() -> None:
    gen = _generator()
    with pytest.raises(SystemExit, match="blocks"):
        gen.fill("<!-- BEGIN GENERATED: other -->\n<!-- END GENERATED: other -->", {"headline": "x"})
    assert gen.fill("a\n<!-- BEGIN GENERATED: x -->\nold\n<!-- END GENERATED: x -->\nb", {"x": "new"}) == \
        "a\n<!-- BEGIN GENERATED: x -->\nnew\n<!-- END GENERATED: x -->\nb"


def _block(text: str, name: str) -> str:
    return text.split(f"<!-- BEGIN GENERATED: {name} -->\n", 1)[1].split(f"<!-- END GENERATED: {name} -->", 1)[0]


def test_how_sure_block_matches_the_stored_run() -> None:
    """The block is rendered from the stored Monte Carlo result, and that result is the run the script names.

    Re-running the 2,000 draws takes about half a minute, so the test checks the cheap invariants: the block is
    what the stored JSON renders to, the JSON is the named run (scenario, seed, draws) and it still fits the
    scenario (same uncertain inputs); ``test_how_sure_run_fits_the_point_analysis`` adds the Nash package.
    """
    gen = _generator()
    data = gen.load_how_sure()
    assert _block(DOC.read_text(encoding="utf-8"), "how-sure") == gen.how_sure(data) + "\n"
    assert (data["scenario"], data["seed"], data["n_draws"]) == (gen.SCENARIO, gen.HOW_SURE_SEED, gen.HOW_SURE_DRAWS)
    from tradetalks.scenario import load_scenario
    from tradetalks.studies.uncertainty_draws import uncertain_inputs

    loaded = load_scenario(gen.SCENARIO)
    _, inputs, _ = uncertain_inputs(loaded, list(loaded.scenario.facts))
    assert [(i.id, i.facts) for i in inputs] == [(i["id"], i["facts"]) for i in data["inputs"]], \
        "the scenario's uncertain facts changed: re-run scripts/gen_korus_doc.py"


def test_how_sure_run_fits_the_point_analysis() -> None:
    """The stored run's point-value Nash package is today's (a change to the scenario shows here first)."""
    from tradetalks.scenario import load_scenario
    from tradetalks.studies.analyze import analyze

    gen = _generator()
    data = gen.load_how_sure()
    res = analyze(load_scenario(gen.SCENARIO))
    assert res.solutions["nash"] is not None
    assert data["solutions"]["nash"]["base_package"] == res.solutions["nash"].package, \
        "the Nash package moved: re-run scripts/gen_korus_doc.py"


def test_how_sure_block_presents_nash_as_one_answer_with_its_probability() -> None:
    block = _block(DOC.read_text(encoding="utf-8"), "how-sure")
    assert re.search(r"Nash package at the point values is one answer .* comes out in \*\*[<>]?\d+ %\*\* of draws",
                     block)
    assert not re.search(r"\d\.\d{2}\b", block.split("| package |")[1]), "no false precision in the money table"


def test_reveals_block_matches_the_stored_inverse_run() -> None:
    """The "reveals" block is what the stored inverse run renders to, and that run is the one the script names and
    still fits the scenario (its point-value gains of the deal are today's dated view)."""
    gen = _generator()
    data = gen.load_reveals()
    assert _block(DOC.read_text(encoding="utf-8"), "reveals") == gen.reveals(data) + "\n"
    assert (data["scenario"], data["seed"], data["draws"]) == (gen.SCENARIO, gen.REVEALS_SEED, gen.REVEALS_DRAWS)
    from tradetalks.scenario import load_scenario
    from tradetalks.studies.analyze import analyze

    res = analyze(load_scenario(gen.SCENARIO))
    assert res.observed is not None and res.observed.vs_dated_batna is not None
    for party, gain in data["acceptance"]["point_gains"].items():
        assert abs(gain - res.observed.vs_dated_batna.utilities[party]) <= 1e-6 * max(1.0, abs(gain)), \
            "the scenario changed since the stored inverse run: re-run scripts/gen_korus_doc.py"
