"""The report's compiled templates are cached on disk safely: same page, stale or damaged entries never used, an
unusable cache directory only costs the compilation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from jinja2 import DictLoader, Environment

from tradetalks.report import html as report_html
from tradetalks.report.html import (
    CACHE_DIR_ENV_VAR,
    _CompiledTemplates,
    _make_environment,
    cache_root,
    render_report,
    render_report_bytes,
)
from tradetalks.scenario import load_scenario
from tradetalks.studies.analyze import analyze
from tradetalks.studies.analyze_results import AnalysisResult

TOY = "tests/data/toy.yaml"


@pytest.fixture(scope="module")
def toy_result() -> AnalysisResult:
    return analyze(load_scenario(TOY))


def _render(env: Environment, res: AnalysisResult, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(report_html, "_environment", lambda: env)
    return render_report(res, plotlyjs="file")


def test_cached_page_is_the_compiled_page(tmp_path: Path, toy_result: AnalysisResult,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = _render(_make_environment(None), toy_result, monkeypatch)
    first = _render(_make_environment(tmp_path), toy_result, monkeypatch)  # compiles, writes the cache
    (folder,) = tmp_path.iterdir()
    assert folder.name.startswith("jinja2-") and sorted(p.suffix for p in folder.iterdir()) == [".cache", ".cache"]
    env = _make_environment(tmp_path)

    def no_compiling(*_a: object, **_k: object) -> None:
        raise AssertionError("the template was compiled although its cached code is current")

    monkeypatch.setattr(env, "compile", no_compiling)
    assert _render(env, toy_result, monkeypatch) == first == fresh


def test_edited_template_is_compiled_afresh(tmp_path: Path) -> None:
    def render(source: str) -> str:
        env = Environment(loader=DictLoader({"t.html": source}),
                          bytecode_cache=_CompiledTemplates(str(tmp_path / "c"), "%s.cache"))
        return env.get_template("t.html").render(x=2)

    assert render("one {{ x }}") == "one 2"
    assert render("two {{ x * x }}") == "two 4"


def test_damaged_cache_is_ignored(tmp_path: Path, toy_result: AnalysisResult,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    want = _render(_make_environment(tmp_path), toy_result, monkeypatch)
    for f in next(tmp_path.iterdir()).iterdir():
        f.write_bytes(b"j2 not a cache entry \x00\xff")
    assert _render(_make_environment(tmp_path), toy_result, monkeypatch) == want


def test_unwritable_cache_dir_still_renders(tmp_path: Path, toy_result: AnalysisResult,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would go")
    want = _render(_make_environment(None), toy_result, monkeypatch)
    assert _render(_make_environment(blocker), toy_result, monkeypatch) == want
    assert blocker.read_text() == "a file where the cache folder would go"


def test_cache_root_from_environment(tmp_path: Path) -> None:
    assert cache_root({CACHE_DIR_ENV_VAR: str(tmp_path)}) == tmp_path
    default = cache_root({})
    assert default.name == "tradetalks" and default.is_absolute()
    assert cache_root() == (Path(os.environ[CACHE_DIR_ENV_VAR]) if os.environ.get(CACHE_DIR_ENV_VAR) else default)


@pytest.mark.parametrize("plotlyjs", ["inline", "file"])
def test_report_bytes_are_the_encoded_report(toy_result: AnalysisResult, plotlyjs: str) -> None:
    """The page written with the bundle spliced in as bytes is the text page encoded, byte for byte."""
    page = render_report(toy_result, plotlyjs=plotlyjs)  # type: ignore[arg-type]
    data = render_report_bytes(toy_result, plotlyjs=plotlyjs)  # type: ignore[arg-type]
    assert data == page.encode("utf-8")
    assert b"<!--plotly.js " not in data


def test_cache_in_a_folder_others_may_write_is_not_loaded(tmp_path: Path, toy_result: AnalysisResult,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading cached code runs it: a folder writable by others (or owned by someone else) is not trusted."""
    want = _render(_make_environment(tmp_path), toy_result, monkeypatch)  # writes the cache
    folder = next(tmp_path.iterdir())
    folder.chmod(0o777)
    env = _make_environment(tmp_path)
    compiled: list[str] = []
    real = env.compile

    def counting(*a: object, **k: object) -> object:
        compiled.append("x")
        return real(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(env, "compile", counting)
    assert _render(env, toy_result, monkeypatch) == want
    assert compiled, "the cached code in a world-writable folder was used"
