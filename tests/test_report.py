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


#: a small Monte Carlo for the korus report: enough draws for every part of "How sure are we" to have content
KORUS_DRAWS, KORUS_SOBOL_BASE = 250, 8


@pytest.fixture(scope="module")
def korus_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The korus-2025 report with an uncertainty block (a small run: 250 draws, Sobol base 8)."""
    import dataclasses

    from tradetalks.studies.uncertainty import uncertainty

    loaded = load_scenario("korus-2025")
    res = analyze(loaded)
    unc = uncertainty(loaded, n_draws=KORUS_DRAWS, sobol_base=KORUS_SOBOL_BASE, seed=7)
    out = tmp_path_factory.mktemp("korus") / "report.html"
    out.write_text(render_report(dataclasses.replace(res, uncertainty=unc)), encoding="utf-8")
    return out


@pytest.mark.slow
def test_korus_report_opens_with_how_sure(korus_report: Path) -> None:
    """"How sure are we" is the first section, before the frontier, with every part and labels, not ids."""
    text = korus_report.read_text(encoding="utf-8")
    sections = re.findall(r'<section id="([\w-]+)"', text)
    assert sections[:2] == ["how-sure", "frontier"], sections
    sure = text.split('<section id="how-sure">', 1)[1].split("</section>", 1)[0]
    for part in ("Which options hold up", "What each side gains", "Robust packages", "What decides the answer",
                 "Second view: one input at a time", "The real deal across the draws", "Left on the table"):
        assert part in sure, part
    for div in ("fig-sure-shares", "fig-sure-gains", "fig-sure-sobol"):
        assert f'id="{div}"' in sure, div
    assert "US Section 232 tariff on Korean cars" in sure and "0 % (KORUS restored)" in sure, "labels on the bars"
    assert "auto_tariff" not in sure.split("Plotly.newPlot", 1)[0], "no issue ids in the text before the charts"
    assert "What the real deal reveals" not in sure, "no inverse result on the analysis yet"


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
    sure = [p["id"] for p in plots if p["id"].startswith("fig-sure-")]
    assert sure == ["fig-sure-shares", "fig-sure-gains", "fig-sure-sobol"], "the How-sure charts come first"


def test_report_without_uncertainty_says_how_to_get_it(toy_report: Path) -> None:
    text = toy_report.read_text(encoding="utf-8")
    sure = text.split('<section id="how-sure">', 1)[1].split("</section>", 1)[0]
    assert "<code>tradetalks analyze --uncertainty 2000</code>" in sure
    assert "Plotly.newPlot" not in sure and text.index('id="how-sure"') < text.index('id="frontier"')


def test_inverse_hook_is_empty_without_an_inverse_result() -> None:
    from tradetalks.report.html import _inverse_view

    assert _inverse_view(analyze(load_scenario(TOY))) is None


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


def test_inverse_findings_reach_the_report_when_the_analysis_carries_them() -> None:
    """analyze(..., inverse_draws=N) fills AnalysisResult.inverse; the report's hook renders its findings."""
    from markupsafe import escape

    from tradetalks.report.how_sure import inverse_view

    res = analyze(load_scenario(Path(__file__).parent / "data" / "toy-uncertain.yaml"), inverse_draws=200)
    assert res.inverse is not None
    view = inverse_view(res)
    assert view is not None and view["findings"][0] == res.inverse.headline
    assert len(view["rows"]) == min(12, len(res.inverse.parameters))
    page = render_report(res)
    assert "What the real deal reveals" in page and str(escape(res.inverse.headline)) in page
    assert inverse_view(analyze(load_scenario(TOY))) is None


def test_report_shows_what_the_real_deal_reveals_when_the_hook_has_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from tradetalks.report import html

    view = {"findings": ["Consistent with Korea weighting security at least 1.3."],
            "rows": [["weight", "1.1 to 1.8", "1.6 (1.3 to 1.8)", "1"]], "headers": ["a", "b", "c", "d"]}
    monkeypatch.setattr(html, "_inverse_view", lambda res: view)
    page = html.render_report(analyze(load_scenario(TOY)))
    sure = page.split('<section id="how-sure">', 1)[1].split("</section>", 1)[0]
    assert "<h3>What the real deal reveals</h3>" in sure and "weighting security at least 1.3" in sure
