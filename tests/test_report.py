"""The HTML report: self-contained, offline, and free of console errors in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from tests.browser import load_page
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
