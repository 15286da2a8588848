"""Results in Jupyter (issue #9 §5): figures, tables, HTML, attribute docs, and the example notebook runs.

The notebook test executes ``docs/notebooks/korus-2025.ipynb`` with nbclient in a fresh kernel of the current
interpreter, over IPC (no TCP port, no network), and fails on any cell error.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import time
from html import escape
from pathlib import Path

import pytest

from tradetalks.errors import NotFoundError
from tradetalks.report import html as report
from tradetalks.report.notebook import Figures, Tables, analysis_html
from tradetalks.report.tables import all_tables
from tradetalks.scenario import load_scenario
from tradetalks.studies import analyze_results as ar
from tradetalks.studies.analyze import analyze
from tradetalks.studies.analyze_results import AnalysisResult
from tradetalks.studies.notebook_view import MAX_ROWS, study_html

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "notebooks" / "korus-2025.ipynb"
TOY = ROOT / "tests" / "data" / "toy.yaml"
#: the notebook must run in well under this (seconds; about 10 s on a quiet 2-core machine, kernel start included)
NOTEBOOK_SECONDS = 60
#: a stored notebook larger than this carries outputs (a plotly chart alone is megabytes)
NOTEBOOK_BYTES = 30_000
#: most characters of a result's HTML view in a cell (korus-2025: about 17,000)
HTML_CHARS = 30_000
#: name of the kernel spec the notebook test writes (this interpreter, whatever kernels are installed)
KERNEL = "tradetalks-test"
#: classes whose every public field must be documented in their docstring's Attributes section
DOCUMENTED = (ar.AnalysisResult, ar.PackageUtility, ar.OptionStake, ar.IssueStakes, ar.SolutionResult,
              ar.ZopaResult, ar.FrontierResult, ar.LinkageResult, ar.PackageChange, ar.ObservedView,
              ar.ObservedResult, ar.SourceRow, ar.ScenarioInfo, ar.StakeholderInfo, ar.DelegationInfo,
              ar.PartyInfo)


@pytest.fixture(scope="module")
def korus() -> AnalysisResult:
    return analyze(load_scenario("korus-2025"))


@pytest.fixture(scope="module")
def toy() -> AnalysisResult:
    return analyze(load_scenario(str(TOY)))


def _attributes(doc: str) -> dict[str, str]:
    """Names → descriptions of a NumPy docstring's Attributes section (``a, b : type`` documents both)."""
    lines = [line.rstrip() for line in (doc or "").splitlines()]
    out: dict[str, str] = {}
    try:
        start = next(k for k in range(len(lines) - 1) if lines[k].strip() == "Attributes"
                     and set(lines[k + 1].strip()) == {"-"})
    except StopIteration:
        return out
    indent = len(lines[start]) - len(lines[start].lstrip())
    names: list[str] = []
    for k in range(start + 2, len(lines)):
        line = lines[k]
        if k + 1 < len(lines) and line.strip() and set(lines[k + 1].strip()) == {"-"}:
            break  # the next section
        if line.strip() and len(line) - len(line.lstrip()) == indent:
            names = [n.strip() for n in line.split(" : ")[0].split(",")]
            for n in names:
                out[n] = ""
        elif line.strip():
            for n in names:
                out[n] += line.strip() + " "
    return out


@pytest.mark.parametrize("cls", DOCUMENTED, ids=lambda c: c.__name__)
def test_every_field_is_documented(cls: type) -> None:
    documented = _attributes(cls.__doc__ or "")
    fields = [f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")]
    missing = [f for f in fields if not documented.get(f, "").strip()]
    assert not missing, f"{cls.__name__}: fields without a meaning in the Attributes section: {missing}"
    unknown = sorted(set(documented) - set(fields))
    assert not unknown, f"{cls.__name__}: documented attributes that are not fields: {unknown}"


def test_attribute_parser_reads_numpy_sections() -> None:
    doc = """Title.

    Attributes
    ----------
    a, b : float
        Two things, USD/yr.
    c : str
        A thing.

    Notes
    -----
    d : int
        Not an attribute.
    """
    assert _attributes(doc) == {"a": "Two things, USD/yr. ", "b": "Two things, USD/yr. ", "c": "A thing. "}


def test_money_fields_state_their_unit() -> None:
    """Every utility, payoff or gain field says its unit (USD/yr) where it is documented."""
    for cls in DOCUMENTED:
        for name, text in _attributes(cls.__doc__ or "").items():
            if re.fullmatch(r"utilities|payoffs|gains|surplus|left_on_table|distance_to_frontier"
                            r"|improvement_gains", name):
                assert "USD/yr" in text, (cls.__name__, name, text)


def test_figures_are_the_report_charts(korus: AnalysisResult) -> None:
    """The notebook figure is the report's figure dictionary, validated by plotly: same traces, same points."""
    import plotly.graph_objects as pgo

    figs = korus.figures
    assert isinstance(figs, Figures)
    builders = {"frontier": report.frontier_figure, "linkage": report.linkage_figure,
                "timeline": report.timeline_figure, "replay": report.replay_figure}
    assert set(builders) <= set(figs.available())
    for name, build in builders.items():
        ours, theirs = getattr(figs, name)(), build(korus)
        assert isinstance(ours, pgo.Figure)
        assert theirs is not None
        assert [t.name for t in ours.data] == [t.get("name") for t in theirs.data], name
        for mine, ref in zip(ours.data, theirs.data, strict=True):
            assert list(mine.x) == list(ref["x"]) and list(mine.y) == list(ref["y"]), name
        assert ours.layout.title.text == theirs.layout["title"]["text"]


def test_stakes_figure_per_issue(korus: AnalysisResult) -> None:
    issue = korus.issues[0]
    fig = korus.figures.stakes(issue.id)
    assert fig.layout.title.text == issue.name
    assert [t.name for t in fig.data] == korus.party_ids
    assert list(fig.data[0].x) == [op.utilities[korus.party_ids[0]] / report.BN for op in issue.options]
    with pytest.raises(NotFoundError, match="no issue 'nope'"):
        korus.figures.stakes("nope")


def test_missing_chart_says_how_to_get_it(korus: AnalysisResult) -> None:
    assert korus.sensitivity is None and "tornado" not in korus.figures.available()
    with pytest.raises(NotFoundError, match=r"dynamics=True"):
        korus.figures.tornado()


@pytest.fixture(scope="module")
def toy_dynamics() -> AnalysisResult:
    return analyze(load_scenario(str(TOY)), dynamics=True)


def test_tornado_with_dynamics(toy_dynamics: AnalysisResult) -> None:
    res = toy_dynamics
    assert "tornado" in res.figures.available()
    fig = res.figures.tornado()
    assert len(fig.data) == len(res.party_ids)
    assert {"simulation", "tournament", "sensitivity"} <= set(res.tables.names())
    assert len(res.tables["sensitivity"]) == len(res.sensitivity.tornado)  # type: ignore[union-attr]


def test_tables_are_the_csv_tables(toy: AnalysisResult) -> None:
    import pandas as pd

    tables = toy.tables
    assert isinstance(tables, Tables)
    csv = all_tables(toy)
    assert list(tables)[: len(csv)] == list(csv)
    for name, table in csv.items():
        pd.testing.assert_frame_equal(tables[name], table.to_frame())
    pd.testing.assert_frame_equal(toy.to_frame("solutions"), csv["solutions"].to_frame())
    assert len(tables["replay"]) == len(toy.replay)
    with pytest.raises(NotFoundError, match="no table 'nope'"):
        toy.to_frame("nope")


def test_report_tables_as_frames(korus: AnalysisResult) -> None:
    """The report's other tables, in numbers: the real deal per no-deal path, improvements, linkage, win-sets."""
    tables = korus.tables
    assert {"replay", "observed", "improvements", "linkage", "winsets"} <= set(tables.names())
    deal = korus.observed
    assert deal is not None and deal.vs_as_of is not None
    observed = tables["observed"].set_index("basis")
    assert observed.loc["as_of", "utility_KOR"] == deal.vs_as_of.utilities["KOR"]
    improvements = tables["improvements"]
    assert set(improvements.rule) == set(korus.improvements)
    for rule, imp in korus.improvements.items():
        assert (improvements.rule == rule).sum() == max(1, len(imp.changes))
    assert list(tables["linkage"].surplus_joint) == [lk.surplus["joint"] for lk in korus.linkage]
    assert list(tables["winsets"].party) == korus.party_ids


def test_html_view_names_solutions_zopa_and_deal(korus: AnalysisResult) -> None:
    page = korus._repr_html_()
    assert len(page) < HTML_CHARS
    for name, s in korus.solutions.items():
        if s is not None:
            assert report.SOLUTION_NAMES[name] in page
    assert "Real deal" in page and "ZOPA" in page and "882,395,740" in page
    assert korus.observed is not None and korus.observed.title.split(" (")[0] in page
    labels = [op.label for i in korus.issues for op in i.options]
    assert any(label in page for label in labels)  # labels, not option ids
    assert "a12_5" not in page


def test_html_view_escapes_every_text(toy: AnalysisResult) -> None:
    evil = "<script>alert(1)</script>"
    issues = [dataclasses.replace(toy.issues[0], name=evil,
                                  options=[dataclasses.replace(op, label=evil) for op in toy.issues[0].options]),
              *toy.issues[1:]]
    res = dataclasses.replace(toy, scenario=dataclasses.replace(toy.scenario, title=evil), issues=issues)
    page = analysis_html(res)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_html_view_says_when_there_is_no_real_deal(toy: AnalysisResult) -> None:
    res = dataclasses.replace(toy, observed=None)
    assert "no comparison with the real deal" in analysis_html(res)


def test_html_view_shows_every_issue_of_every_package(korus: AnalysisResult) -> None:
    """One row per issue, one column per solution and the real deal; bold cells are exactly the changes from no
    deal (nothing hidden)."""
    page = analysis_html(korus)
    packages = page[page.index("<details"):page.index("</details>")]
    assert packages.count("<tr>") == len(korus.issues) + 1
    batna = korus.batna.package
    shown = [s.package for s in korus.solutions.values() if s is not None]
    assert korus.observed is not None
    shown.append(korus.observed.package)
    changed = sum(pkg[i] != batna[i] for pkg in shown for i in batna)
    assert packages.count("<b>") - 1 == changed  # one <b> is the legend's "bold"
    nash = korus.solutions["nash"]
    assert nash is not None
    for iid, opt in nash.package.items():
        label = next(op.label for i in korus.issues if i.id == iid for op in i.options if op.option == opt)
        assert f'title="{escape(label, quote=True)}"' in packages


@pytest.mark.parametrize("study", ["ratification", "simulation", "tournament", "sensitivity"])
def test_study_results_show_as_html(toy_dynamics: AnalysisResult, study: str) -> None:
    obj = getattr(toy_dynamics, study)
    page = obj._repr_html_()
    assert page.startswith("<pre>") and len(page) < HTML_CHARS
    assert escape(repr(obj)) in page


def test_study_html_escapes_and_cuts_long_tables() -> None:
    import pandas as pd

    class Study:
        def __repr__(self) -> str:
            return "Study(<b>)"

        def to_frame(self) -> pd.DataFrame:
            return pd.DataFrame({"label": ["<i>x</i>"] * (MAX_ROWS + 5)})

    page = study_html(Study())
    assert "<b>" not in page and "<i>" not in page and "&lt;i&gt;" in page
    assert page.count("</tr>") == MAX_ROWS + 1  # the header and the first MAX_ROWS rows
    assert f"First {MAX_ROWS} of {MAX_ROWS + 5} rows" in page


def test_reprs_are_short(korus: AnalysisResult) -> None:
    for obj in (korus, korus.figures, korus.tables):
        assert len(repr(obj)) < 400, type(obj).__name__
    assert "USD bn/yr" in repr(korus) and "real deal=" in repr(korus)


def test_stored_notebook_has_no_outputs() -> None:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert NOTEBOOK.stat().st_size < NOTEBOOK_BYTES
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(not c["outputs"] and c["execution_count"] is None for c in code), \
        "strip the outputs before committing (jupyter nbconvert --clear-output --inplace)"


@pytest.mark.slow
def test_example_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Execute every cell in a fresh kernel of this interpreter (source tree first on its path)."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                                   os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "tradetalks tests", "language": "python"}), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    (tmp_path / "ipc").mkdir()  # the connection file's folder must exist, or nbclient hangs in its clean-up
    km = KernelManager(kernel_name=KERNEL, transport="ipc", connection_file=str(tmp_path / "ipc" / "kernel.json"))
    client = NotebookClient(nb, km=km, timeout=NOTEBOOK_SECONDS, allow_errors=False,
                            resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    seconds = time.perf_counter() - start
    assert seconds < NOTEBOOK_SECONDS
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    kinds = {k for c in nb.cells if c.cell_type == "code" for o in c.outputs for k in o.get("data", {})}
    assert {"text/html", "application/vnd.plotly.v1+json"} <= kinds
