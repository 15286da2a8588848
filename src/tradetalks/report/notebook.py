"""Jupyter views of an :class:`~tradetalks.studies.analyze_results.AnalysisResult`: figures, tables, HTML.

A view like the report, computing nothing. Every chart is built by the function that draws it in the HTML report
(:mod:`tradetalks.report.html`) and handed to plotly as a ``plotly.graph_objects.Figure``, so the report and Python
show the same chart; every table is a row builder of :mod:`tradetalks.report.tables` as a DataFrame. plotly.py and
pandas are imported only when a figure or a table is asked for (``tradetalks analyze`` never imports them).

Reach these through the result: ``result.figures.frontier()``, ``result.tables["solutions"]``,
``result.to_frame("stakes")``; a result shown in a notebook cell renders :func:`analysis_html`.

Example
-------
>>> from tradetalks.scenario import load_scenario
>>> from tradetalks.studies.analyze import analyze
>>> res = analyze(load_scenario("tests/data/toy.yaml"))
>>> sorted(res.figures.available())
['frontier', 'linkage', 'replay', 'stakes', 'timeline']
>>> res.figures.frontier().layout.title.text
'Pareto frontier (utility against no deal)'
>>> list(res.to_frame("solutions").columns[:3])
['solution', 'utility_A', 'utility_B']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from html import escape
from typing import TYPE_CHECKING, Any

from tradetalks.errors import NotFoundError
from tradetalks.report import figure as go
from tradetalks.report import html as report
from tradetalks.report.format import Labels, count_with_interval, money, short
from tradetalks.report.tables import (
    Table,
    all_tables,
    improvements_rows,
    linkage_rows,
    observed_rows,
    replay_rows,
    winset_rows,
)
from tradetalks.studies.analyze_results import AnalysisResult

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as pgo

#: layout every notebook chart gets (the report's look: white template, legend under the plot)
NOTEBOOK_LAYOUT: dict[str, Any] = {
    "template": "plotly_white", "font": {"family": "system-ui, sans-serif"},
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.16, "x": 0, "xanchor": "left"}}
#: characters of an option label in the HTML summary's package table (the full label shows on hover)
CELL_CHARS = 36
#: characters of an issue name there
ISSUE_CHARS = 60


def to_plotly(fig: go.Figure, *, legend_below: bool = True) -> pgo.Figure:
    """A report figure dictionary as a ``plotly.graph_objects.Figure`` (validated by plotly.py)."""
    import plotly.graph_objects as pgo

    layout = dict(NOTEBOOK_LAYOUT)
    if not legend_below:
        layout.pop("legend")
    fig.update_layout(**layout)
    return pgo.Figure(fig.to_plotly_json())


class Figures:
    """Every chart of the HTML report as a plotly figure (``plotly.graph_objects.Figure``).

    Money on the axes is in USD bn a year; utilities are weighted by political weights and measured against the
    BATNA (no deal). A chart the result has no data for (no linkage groups, no ``dynamics=True`` run for the
    tornado) raises :class:`~tradetalks.errors.NotFoundError` saying how to get it; :meth:`available` lists the
    ones there are.
    """

    def __init__(self, result: AnalysisResult) -> None:
        self._res = result

    def _need(self, name: str, fig: go.Figure | None, fix: str) -> pgo.Figure:
        if fig is None:
            raise NotFoundError(f"this result has no {name} chart.", received=self._res.scenario.id, fix=fix)
        return to_plotly(fig)

    def frontier(self) -> pgo.Figure:
        """Pareto frontier (both utilities, $bn/yr) with no deal, every solution and the real deal marked."""
        return to_plotly(report.frontier_figure(self._res))

    def stakes(self, issue: str) -> pgo.Figure:
        """What each option of ``issue`` (an issue id) is worth to both sides, $bn/yr, other issues at no deal."""
        for iid, name, fig in report.stakes_panels(self._res):
            if iid == issue:
                fig.update_layout(title=name, showlegend=True, margin={"t": 40})
                return to_plotly(fig)
        raise NotFoundError(f"no issue {issue!r} in this result.", received=issue,
                            fix=f"use one of {[i.id for i in self._res.issues]}")

    def linkage(self) -> pgo.Figure:
        """Frontier and Nash point with each linkage group on the table and off it ($bn/yr)."""
        return self._need("linkage", report.linkage_figure(self._res),
                          "the scenario defines no linkage groups (`linkage:` in the scenario file).")

    def timeline(self) -> pgo.Figure:
        """The scenario's dated events, one row per kind (numbered as in ``tables["timeline"]``)."""
        return self._need("timeline", report.timeline_figure(self._res),
                          "the scenario has no dated events (`timeline:` in the scenario file).")

    def replay(self) -> pgo.Figure:
        """By date: each side's no-deal utility, Nash utility and what really stood ($bn/yr)."""
        return self._need("replay", report.replay_figure(self._res),
                          "the scenario has no dated events to replay (`timeline:` in the scenario file).")

    def tornado(self) -> pgo.Figure:
        """Nash utility swing ($bn/yr) when each weight or valuation moves by ± the tornado's step."""
        return self._need("tornado", report.tornado_figure(self._res),
                          "run analyze(..., dynamics=True) (the CLI's --dynamics) to compute the sensitivity.")

    def available(self) -> list[str]:
        """Names of the charts this result can draw (methods of this object)."""
        res = self._res
        have = {"frontier": True, "stakes": bool(res.issues), "linkage": bool(res.linkage),
                "timeline": bool(res.timeline), "replay": bool(res.replay),
                "tornado": res.sensitivity is not None and bool(res.sensitivity.tornado)}
        return [k for k, v in have.items() if v]

    def __repr__(self) -> str:
        return (f"Figures({self._res.scenario.id!r}: {', '.join(f'{n}()' for n in self.available())}; "
                "stakes takes an issue id)")


def _frame(build: Callable[[AnalysisResult], list[dict[str, Any]]], res: AnalysisResult) -> pd.DataFrame:
    return Table(build(res)).to_frame()


def _extra_tables(res: AnalysisResult) -> dict[str, Callable[[], pd.DataFrame]]:
    """Tables beyond the CSV files: those the report shows, then each attached study's own ``to_frame``."""
    rows = {"replay": replay_rows, "observed": observed_rows, "improvements": improvements_rows,
            "linkage": linkage_rows, "winsets": winset_rows}
    out: dict[str, Callable[[], pd.DataFrame]] = {
        name: partial(_frame, build, res) for name, build in rows.items() if build(res)}
    for name in ("simulation", "tournament", "sensitivity", "ge_opinion", "uncertainty"):
        study = getattr(res, name)
        if study is not None and hasattr(study, "to_frame"):
            out[name] = study.to_frame
    return out


class Tables:
    """Every table of a result as a pandas DataFrame, by name: ``tables["solutions"]``.

    The CSV tables ``tradetalks analyze`` writes (stakes, frontier, solutions, sources, timeline; built by
    :mod:`tradetalks.report.tables`), then the other tables of the report that the result has data for (replay,
    observed, improvements, linkage, winsets) and each attached study's own table. Utilities and payoffs
    in USD a year against the BATNA (utilities weighted, payoffs not); option ids as in ``results.json``.
    """

    def __init__(self, result: AnalysisResult) -> None:
        self._res = result
        self._csv = all_tables(result)
        self._extra = _extra_tables(result)

    def names(self) -> list[str]:
        """The table names, in order."""
        return [*self._csv, *self._extra]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._csv) + len(self._extra)

    def __contains__(self, name: object) -> bool:
        return name in self._csv or name in self._extra

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name in self._csv:
            return self._csv[name].to_frame()
        if name in self._extra:
            return self._extra[name]()
        raise NotFoundError(f"no table {name!r} in this result.", received=name, fix=f"use one of {self.names()}")

    def __repr__(self) -> str:
        return f"Tables({self._res.scenario.id!r}: {', '.join(self.names())})"


def _td(text: str, *, num: bool = False) -> str:
    style = ' style="text-align:right;white-space:nowrap"' if num else ""
    return f"<td{style}>{escape(text)}</td>"


def _packages_html(res: AnalysisResult, columns: list[tuple[str, dict[str, str] | None]]) -> str:
    """Issues × packages: each cell the option's label (cut short, in full on hover), bold where it differs from no
    deal; every issue is a row, none hidden."""
    labels = Labels.from_issues(res.issues)
    batna = res.batna.package
    body = []
    for iss in res.issues:
        cells = []
        for _, pkg in columns:
            opt = None if pkg is None else pkg.get(iss.id, batna[iss.id])
            if opt is None:
                cells.append("<td>—</td>")
                continue
            full = labels.option(iss.id, opt)
            text = escape(short(full, CELL_CHARS))
            cells.append(f'<td title="{escape(full, quote=True)}">'
                         + (f"<b>{text}</b>" if opt != batna[iss.id] else text) + "</td>")
        body.append(f'<tr><td title="{escape(iss.id, quote=True)}">{escape(short(iss.name, ISSUE_CHARS))}</td>'
                    + "".join(cells) + "</tr>")
    head = "<tr><th>issue</th>" + "".join(f"<th>{escape(name)}</th>" for name, _ in columns) + "</tr>"
    return ("<details open><summary>Packages: the option each settles every issue on (<b>bold</b>: differs from no "
            "deal; full labels on hover; ids in <code>.tables[&quot;solutions&quot;]</code>)</summary>"
            f'<table style="font-size:smaller"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table></details>')


def analysis_html(res: AnalysisResult) -> str:
    """A compact HTML summary of a result for Jupyter: each solution's utilities, the packages (issues × solutions,
    by label, every issue shown), the ZOPA and the real deal. Every text is escaped."""
    parties = res.party_ids
    sc = res.scenario
    head = (f"<p><b>{escape(sc.title)}</b> (<code>{escape(sc.id)}</code>, as of {escape(sc.as_of)}; "
            f"{escape(res.econ_model.upper())} model). {len(res.issues)} issues, "
            f"{res.frontier.n_packages:,} packages, {res.frontier.n_points:,} on the Pareto frontier. "
            f"Utilities: {escape(res.units.get('utilities', 'USD/yr'))}.</p>")
    if sc.overrides:
        head += ("<p>Overridden facts: " + ", ".join(f"<code>{escape(k)}</code> = {v:g}"
                                                      for k, v in sc.overrides.items()) + "</p>")
    rows = []
    columns: list[tuple[str, dict[str, str] | None]] = []
    for name, s in res.solutions.items():
        label = report.SOLUTION_NAMES.get(name, name)
        columns.append((label, None if s is None else s.package))
        if s is None:
            rows.append(f"<tr>{_td(label)}{''.join(_td('—', num=True) for _ in parties)}"
                        "<td>no package beats no deal for both sides</td></tr>")
            continue
        if s.powers is not None:
            label += f" (powers {'/'.join(f'{s.powers[p]:.2f}' for p in parties)})"
        rows.append(f"<tr>{_td(label)}{''.join(_td(money(s.utilities[p]), num=True) for p in parties)}<td></td></tr>")
    o = res.observed
    if o is not None:
        columns.append(("Real deal", o.package))
        rows.append(f"<tr>{_td('Real deal')}{''.join(_td(money(o.utilities[p]), num=True) for p in parties)}"
                    f"{_td(o.title)}</tr>")
    table = ("<table><thead><tr><th>solution</th>" + "".join(f"<th>{escape(p)}, USD/yr</th>" for p in parties)
             + "<th></th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
    z = res.zopa
    zopa = (f"<p><b>ZOPA</b>: {'non-empty' if z.nonempty else 'EMPTY'}, "
            f"{escape(count_with_interval(z.count, z.ci95, exact=z.method == 'exact'))} of "
            f"{z.total_packages:,} packages are better than no deal for both sides ({escape(z.method)}).</p>")
    return ("<div class=\"tradetalks-result\">" + head + table + _packages_html(res, columns) + zopa
            + _observed_html(res) + _studies_html(res)
            + "<p><small>Charts: <code>.figures</code> (" + escape(", ".join(Figures(res).available()))
            + "); tables: <code>.tables</code>; field meanings and units: <code>help(type(result))</code>."
            "</small></p></div>")


def _observed_html(res: AnalysisResult) -> str:
    o = res.observed
    if o is None:
        return ("<p><b>Real deal</b>: none given (the scenario has no <code>observed:</code> outcome file), so there "
                "is no comparison with the real deal.</p>")
    verdict = ("it lies on the Pareto frontier." if o.on_frontier else
               f"it lies inside the frontier: both sides could each gain {money(o.distance_to_frontier)} a year, and "
               f"up to {money(o.left_on_table)} a year in total is left on the table.")
    text = f"<p><b>Real deal</b>: {escape(o.title)} ({escape(o.date)}); {escape(verdict)}"
    if o.changes:
        labels = Labels.from_issues(res.issues)
        moves = [f"{labels.issue(c.issue)}: {labels.option(c.issue, c.from_option)} → "
                 f"{labels.option(c.issue, c.to_option)}" for c in o.changes]
        text += " The best Pareto improvement changes: " + escape("; ".join(moves)) + "."
    return text + "</p>"


def _studies_html(res: AnalysisResult) -> str:
    names = [n for n in ("ratification", "simulation", "tournament", "sensitivity", "ge_opinion", "uncertainty")
             if getattr(res, n) is not None]
    if res.replay:
        names.insert(0, "replay")
    if not names:
        return ""
    return "<p>Studies attached: " + ", ".join(f"<code>.{escape(n)}</code>" for n in names) + ".</p>"
