"""The HTML report: self-contained, offline, and free of console errors in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from tests.browser import load_page, measure_layout
from tradetalks.report.html import render_report
from tradetalks.scenario import load_scenario
from tradetalks.studies.analyze import analyze

TOY = Path(__file__).parent / "data" / "toy.yaml"


@pytest.fixture(scope="module")
def toy_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    out.write_text(render_report(analyze(load_scenario(TOY))), encoding="utf-8")
    return out


def test_report_is_self_contained(toy_report: Path) -> None:
    text = toy_report.read_text(encoding="utf-8")
    bundle = get_plotlyjs()
    assert bundle in text, "plotly.js is embedded"
    ours = text.replace(bundle, "")  # the library itself mentions URLs it never loads for these charts
    assert "http://" not in ours and "https://" not in ours.replace("https://doi.org", "")
    assert not re.search(r"<script[^>]+src=", text), "no external scripts"
    assert not re.search(r"<link[^>]+href=\"?https?:", text), "no external stylesheets or fonts"
    assert text.count("Plotly.newPlot") >= 3


def test_report_sections(toy_report: Path) -> None:
    text = toy_report.read_text(encoding="utf-8")
    for heading in ("Frontier and solutions", "What is at stake", "Linkage", "Timeline", "Sources and assumptions"):
        assert heading in text


@pytest.mark.browser
def test_report_renders_without_console_errors(toy_report: Path) -> None:
    dom, errors = load_page(toy_report)
    assert errors == []
    assert dom.count('class="main-svg"') >= 3, "plotly charts did not render"


@pytest.mark.browser
def test_error_probe_catches_errors(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text("<html><head></head><body><script>console.error('boom'); nope();</script></body></html>")
    _dom, errors = load_page(page, budget_ms=2000)
    assert any("boom" in e for e in errors) and any("nope" in e for e in errors)


def test_user_text_is_escaped() -> None:
    """Scenario text reaches the page only through autoescaping templates: markup in a title stays text."""
    import dataclasses

    res = analyze(load_scenario(TOY))
    evil = "<script>alert('x')</script> & <b>bold</b>"
    res = dataclasses.replace(res, scenario=dataclasses.replace(res.scenario, title=evil, description=evil))
    page = render_report(res)
    assert "<script>alert(" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page


#: the narrowest plot area a chart may get (px): below it bars and labels stop being readable
MIN_PLOT_WIDTH_PX = 200


@pytest.fixture(scope="module")
def korus_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("korus") / "report.html"
    out.write_text(render_report(analyze(load_scenario("korus-2025"))), encoding="utf-8")
    return out


@pytest.mark.slow
@pytest.mark.parametrize("width", [1366, 800])
def test_korus_report_fits_the_window(korus_report: Path, width: int) -> None:
    """At 1366 and 800 px: no horizontal overflow, every chart's plot area readable, no section left empty."""
    layout = measure_layout(korus_report, width=width)
    assert layout["page"] <= layout["window"], f"page overflows: {layout['page']} px in a {layout['window']} px window"
    plots = layout["plots"]
    assert isinstance(plots, list) and len(plots) >= 20, "frontier, one panel per issue, replay and more"
    narrow = [p for p in plots if p["width"] < MIN_PLOT_WIDTH_PX]
    assert not narrow, f"plot areas narrower than {MIN_PLOT_WIDTH_PX} px at {width} px: {narrow}"
    assert layout["empty"] == [], f"sections with nothing but a heading: {layout['empty']}"


def test_toy_report_leaves_out_sections_it_has_nothing_for(toy_report: Path) -> None:
    text = toy_report.read_text(encoding="utf-8")
    if "timeline:" not in TOY.read_text(encoding="utf-8"):
        assert "<h2>Timeline</h2>" not in text


def test_report_can_share_one_plotly_file(tmp_path: Path) -> None:
    """--report-js file: the page loads plotly.js from its own folder, is far smaller, and still renders offline."""
    from typer.testing import CliRunner

    from tradetalks.cli import app
    from tradetalks.report.html import plotlyjs_file

    res = CliRunner().invoke(app, ["analyze", str(TOY), "--out", str(tmp_path), "--report-js", "file"])
    assert res.exit_code == 0, res.output
    name, code = plotlyjs_file()
    assert (tmp_path / name).read_text(encoding="utf-8") == code
    page = tmp_path / "report.html"
    text = page.read_text(encoding="utf-8")
    assert f'<script src="{name}"></script>' in text and code not in text
    assert len(text) < len(code) / 3
    dom, errors = load_page(page, assets=(tmp_path / name,))
    assert errors == [] and dom.count('class="main-svg"') >= 3
