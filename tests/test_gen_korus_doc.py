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
    for name in ("headline", "time-basis", "precedent"):
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
