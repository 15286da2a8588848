"""The report's first section, "How sure are we": a view of the Monte Carlo block of an analysis.

It formats and plots the numbers of :class:`~tradetalks.studies.uncertainty_results.UncertaintyResult` (held in
``AnalysisResult.uncertainty``); it computes nothing but ranks and unit conversions. Parts, in order: the one-sentence
headline; probability bars per issue (how often each option is in the Nash package); each side's gain under each
solution, the robust packages and the real deal with their 90 % intervals; the robust packages; what decides the
answer (Sobol indices, with the one-at-a-time tornado as a second view); the real deal across the draws (in the
ZOPA, on the frontier, what it leaves on the table); and, when the analysis carries an inverse study, what the real
deal reveals.

Money is weighted USD bn a year against the no-deal outcome of the same draw, shown with one decimal (the draws'
5–95 % spread is several bn wide: more digits would be false precision); shares are whole percentages.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from tradetalks.report import figure as go
from tradetalks.report.format import Labels, short
from tradetalks.studies.analyze_results import AnalysisResult

if TYPE_CHECKING:  # only in annotations: `tradetalks analyze` without --uncertainty does not import the module
    from tradetalks.studies.uncertainty_results import Interval, UncertainInput, UncertaintyResult

__all__ = ["gain_interval_figure", "how_sure_figures", "how_sure_view", "input_label", "inverse_view",
           "option_share_figure", "readable_headline", "sobol_figure"]

BN = 1e9
PARTY_COLOURS = ("#1f5aa6", "#c0392b")
SOLUTION_NAMES = {"nash": "Nash", "kalai_smorodinsky": "Kalai–Smorodinsky", "egalitarian": "Egalitarian",
                  "utilitarian": "Utilitarian"}
ROBUST_NAMES = {"beats_batnas": "Robust: most often beats both no-deals",
                "expected_nash_product": "Robust: highest expected Nash product"}
#: options in fewer than this share of the draws (and not the point Nash option) are left off the bars
MIN_SHARE_SHOWN = 0.005
#: inputs shown in the Sobol chart and tables
SOBOL_TOP = 10
#: characters of an issue name / option label on a chart axis (in full on hover)
ISSUE_CHARS, OPTION_CHARS = 40, 34
#: the command that adds the block (shown when it is missing)
HOW_TO = "tradetalks analyze --uncertainty 2000"


def bn1(x: float) -> str:
    """Weighted USD/yr in bn with one decimal, signed (``+7.8``); a dash when not finite."""
    return "–" if not math.isfinite(x) else f"{x / BN:+.1f}".replace("-", "−")


def interval_text(iv: Interval | None) -> str:
    """Median and 90 % interval in $bn/yr: ``+7.8 (+4.7 to +11.8)``."""
    if iv is None:
        return "—"
    return f"{bn1(iv.p50)} ({bn1(iv.p05)} to {bn1(iv.p95)})"


def pct(share: float | None) -> str:
    """A share of the draws as a whole percentage; '<1 %' and '>99 %' rather than a rounded 0 or 100."""
    if share is None or not math.isfinite(share):
        return "—"
    if 0 < share < 0.005:
        return "<1 %"
    if 0.995 < share < 1:
        return ">99 %"
    return f"{share:.0%}".replace("%", " %")


def input_label(inp: UncertainInput | None, ident: str) -> str:
    """An uncertain input by name: a fact id, or a group of facts drawn together with how many it moves."""
    if ident.startswith("group:"):
        n = len(inp.facts) if inp is not None else 0
        return f"{ident[6:]} ({n} facts drawn together)" if n else ident[6:]
    return ident


def readable_headline(u: UncertaintyResult) -> str:
    """The study's one-sentence headline with group ids (``group:<name>``) written as names."""
    text = u.headline
    for inp in u.inputs:
        if inp.id.startswith("group:"):
            text = text.replace(inp.id, input_label(inp, inp.id))
    return text


def _inputs(u: UncertaintyResult) -> dict[str, UncertainInput]:
    return {i.id: i for i in u.inputs}


def option_share_figure(u: UncertaintyResult, labels: Labels) -> go.Figure:
    """Probability bars: per issue, the share of draws in which each option is in the Nash package.

    Issues in agenda order, each a bold heading row followed by one row per option seen in at least
    :data:`MIN_SHARE_SHOWN` of the draws (always the option Nash picks at the point values, dark, first); labels cut
    short on the axis, in full on hover.
    """
    rows: list[tuple[str, float, bool, str]] = []  # axis text, share, point Nash?, hover text
    headers: list[str] = []
    seen: set[str] = set()

    def unique(text: str) -> str:
        while text in seen:  # two labels cut to the same text: keep the rows apart
            text += "\u200b"
        seen.add(text)
        return text

    for iss in u.issues:
        name = labels.issue(iss.issue)
        head = unique(f"<b>{short(name, ISSUE_CHARS)}</b>")
        headers.append(head)
        rows.append((head, math.nan, False, name))
        opts = sorted(iss.shares.items(), key=lambda kv: (kv[0] != iss.base_option, -kv[1]))
        for opt, share in opts:
            if share < MIN_SHARE_SHOWN and opt != iss.base_option:
                continue
            full = labels.option(iss.issue, opt)
            rows.append((unique(short(full, OPTION_CHARS)), share, opt == iss.base_option, f"{name}<br>{full}"))
    rows_shown = [r for r in rows if math.isfinite(r[1])]
    fig = go.Figure()
    # every row on the axis, heading rows included (a category without data would be dropped at the ends)
    fig.add_trace(go.Bar(y=[r[0] for r in rows], x=[0] * len(rows), orientation="h", showlegend=False,
                         hoverinfo="skip", marker_color="rgba(0,0,0,0)"))
    for point, colour, legend in ((True, PARTY_COLOURS[0], "Nash's option at the point values"),
                                  (False, "#95a5a6", "another option")):
        sel = [r for r in rows_shown if r[2] is point]
        fig.add_trace(go.Bar(y=[r[0] for r in sel], x=[100 * r[1] for r in sel], orientation="h", name=legend,
                             marker_color=colour, customdata=[r[3] for r in sel],
                             text=[pct(r[1]) for r in sel], textposition="outside", cliponaxis=False,
                             hovertemplate="%{customdata}<br>in the Nash package in %{x:.0f} % of draws"
                                           "<extra></extra>"))
    fig.update_layout(height=90 + 18 * len(rows), barmode="overlay", bargap=0.2, showlegend=False,
                      title="Options in the Nash package, % of draws",
                      yaxis={"categoryorder": "array", "categoryarray": [r[0] for r in rows],
                             "autorange": "reversed", "automargin": True, "tickfont": {"size": 11}},
                      xaxis={"title": "share of draws, %", "range": [0, 112], "dtick": 25},
                      margin={"l": 10, "r": 20, "t": 40, "b": 10})
    return fig


def _gain_rows(u: UncertaintyResult) -> list[tuple[str, dict[str, Interval]]]:
    rows = [(SOLUTION_NAMES.get(n, n), s.gains) for n, s in u.solutions.items()]
    rows += [(ROBUST_NAMES.get(r.criterion, r.criterion), r.gains) for r in u.robust]
    if u.observed is not None:
        rows.append(("Real deal", u.observed.utilities))
    return rows


def gain_interval_figure(u: UncertaintyResult) -> go.Figure:
    """Each side's gain over no deal under each solution, the robust packages and the real deal: the median (dot)
    and the 5–95 % range of the draws (whisker), weighted $bn/yr."""
    rows = _gain_rows(u)
    fig = go.Figure()
    offsets = (-0.15, 0.15)
    for k, p in enumerate(u.parties):
        ivs = [g[p] for _, g in rows]
        fig.add_trace(go.Scatter(
            x=[iv.p50 / BN for iv in ivs], y=[i + offsets[k % 2] for i in range(len(rows))], mode="markers",
            name=p, marker={"size": 9, "color": PARTY_COLOURS[k % 2]},
            error_x={"type": "data", "symmetric": False, "array": [(iv.p95 - iv.p50) / BN for iv in ivs],
                     "arrayminus": [(iv.p50 - iv.p05) / BN for iv in ivs], "thickness": 2, "width": 4},
            customdata=[[name, iv.p05 / BN, iv.p95 / BN] for (name, _), iv in zip(rows, ivs, strict=True)],
            hovertemplate="%{customdata[0]}<br>median %{x:.1f} $bn/yr, 90 % of draws %{customdata[1]:.1f} to "
                          "%{customdata[2]:.1f}<extra>" + p + "</extra>"))
    fig.add_vline(x=0, line={"width": 1, "color": "#888"})
    fig.update_layout(height=120 + 44 * len(rows), title="Gain over no deal: median and 90 % of draws",
                      xaxis_title="weighted $bn/yr against no deal",
                      yaxis={"tickvals": list(range(len(rows))), "ticktext": [short(n, 40) for n, _ in rows],
                             "autorange": "reversed", "automargin": True, "range": [len(rows) - 0.5, -0.5]},
                      margin={"l": 10, "r": 20, "t": 40, "b": 40})
    return fig


def sobol_figure(u: UncertaintyResult, output: str = "nash_changes") -> go.Figure | None:
    """Sobol indices of one output: total (solid) and first-order (pale) index of the most decisive inputs, with
    the 95 % bootstrap half-widths as whiskers."""
    if u.sobol is None or not u.sobol.outputs.get(output):
        return None
    inputs = _inputs(u)
    rows = [r for r in u.sobol.outputs[output] if math.isfinite(r.total)][:SOBOL_TOP]
    if not rows:
        return None
    names = [short(input_label(inputs.get(r.input), r.input), 44) for r in rows]
    fig = go.Figure()
    for key, conf, label, colour in (("total", "total_conf", "total index (with interactions)", "#1f5aa6"),
                                     ("first_order", "first_order_conf", "first-order index (alone)", "#a9c4e6")):
        fig.add_trace(go.Bar(y=names, x=[getattr(r, key) for r in rows], orientation="h", name=label,
                             marker_color=colour,
                             error_x={"type": "data", "array": [getattr(r, conf) for r in rows], "thickness": 1},
                             customdata=[", ".join(r.facts) for r in rows],
                             hovertemplate="%{y}: %{x:.2f}<br>facts: %{customdata}<extra>" + label + "</extra>"))
    title = {"nash_changes": "What decides the Nash package (Sobol indices)"}.get(
        output, f"Sobol indices of {output}")
    fig.update_layout(barmode="group", height=140 + 34 * len(rows), title=title,
                      yaxis={"autorange": "reversed", "automargin": True},
                      xaxis={"title": "share of the output's variance", "rangemode": "tozero"},
                      margin={"l": 10, "r": 20, "t": 40, "b": 40})
    return fig


def how_sure_figures(u: UncertaintyResult, labels: Labels) -> list[tuple[str, go.Figure]]:
    """The section's charts in page order, each with its div id suffix."""
    figs: list[tuple[str, go.Figure | None]] = [("shares", option_share_figure(u, labels)),
                                                ("gains", gain_interval_figure(u)), ("sobol", sobol_figure(u))]
    return [(k, f) for k, f in figs if f is not None]


def _package_diff(package: dict[str, str], ref: dict[str, str] | None, labels: Labels) -> list[str]:
    """The issues a package settles differently from ``ref`` (labels), or all of it without a reference."""
    return [f"{labels.issue(i)}: {labels.option(i, o)}" for i, o in package.items()
            if ref is None or ref.get(i) != o]


def how_sure_view(res: AnalysisResult) -> dict[str, Any] | None:
    """Everything the template's "How sure are we" section shows but the charts (None without an uncertainty
    block: the section then says how to get one)."""
    u = res.uncertainty
    if u is None:
        return None
    labels = Labels.from_issues(res.issues)
    inputs = _inputs(u)
    parties = u.parties
    nash = u.solutions.get("nash")
    point = nash.base_package if nash is not None else None
    intro = (f"{u.n_draws:,} Monte Carlo draws (seed {u.seed}) of {len(u.inputs)} uncertain inputs, each over the "
             "range its fact gives with a source or an assumption; every other fact at its value. Each draw runs "
             "the whole analysis: economics, valuation, frontier, solutions and the real deal.")
    gains = [[name, *(interval_text(g[p]) for p in parties)] for name, g in _gain_rows(u)]
    sol_rows = [[SOLUTION_NAMES.get(n, n), pct(s.found_share), pct(s.same_package_share)]
                for n, s in u.solutions.items()]
    robust = []
    for r in u.robust:
        diff = _package_diff(r.package, point, labels)
        robust.append({
            "name": ROBUST_NAMES.get(r.criterion, r.criterion),
            "text": (f"Beats both no-deal outcomes in {pct(r.beats_batnas_share)} of draws; it is the Nash package "
                     f"in {pct(r.nash_share)}. Gains: " + "; ".join(f"{p} {interval_text(r.gains[p])}"
                                                                    for p in parties)
                     + f" $bn/yr (best of {r.candidates} candidate packages)."),
            "diff": diff if point is not None else _package_diff(r.package, res.batna.package, labels),
            "diff_intro": ("Same as the Nash package at the point values." if point is not None and not diff else
                           "Differs from the Nash package at the point values in:" if point is not None else
                           "Changes from no deal:")})
    sobol_tables = []
    if u.sobol is not None:
        for out, rows in u.sobol.outputs.items():
            if out == "nash_changes":
                continue
            name = f"{out[5:]}'s Nash gain" if out.startswith("gain:") else out
            sobol_tables.append({"name": name, "rows": [
                [input_label(inputs.get(r.input), r.input), f"{r.total:.2f} ± {r.total_conf:.2f}",
                 f"{r.first_order:.2f} ± {r.first_order_conf:.2f}"]
                for r in rows[:5] if math.isfinite(r.total)]})
    units = {src.id: src.unit for src in res.sources}
    tornado = [[str(t.get("id", "")), f"{t.get('low', float('nan')):.3g} to {t.get('high', float('nan')):.3g}"
                + (f" {units[str(t.get('id'))]}" if units.get(str(t.get("id"))) else ""),
                *(bn1(float(t.get("swing", {}).get(p, float("nan")))) for p in parties),
                ", ".join(labels.issue(i) for i in t.get("flipped_issues", [])) or ("yes" if t.get("flips") else "—")]
               for t in u.tornado]
    return {"headline": readable_headline(u), "intro": intro, "parties": parties, "gains": gains,
            "gain_headers": ["package", *(f"{p}, $bn/yr: median (5–95 %)" for p in parties)],
            "solutions": sol_rows, "robust": robust, "sobol_tables": sobol_tables,
            "sobol_runs": f"{u.sobol.evaluations:,}" if u.sobol is not None else None,
            "tornado": tornado,
            "tornado_headers": ["input", "range", *(f"Nash swing {p}, $bn/yr" for p in parties),
                                "issues whose Nash option flips"],
            "deal": real_deal_view(u), "no_agreement": pct(u.no_agreement_share) if u.no_agreement_share > 0
            else None, "modal": pct(u.modal_share), "point_share": pct(u.base_nash_share)}


def real_deal_view(u: UncertaintyResult) -> dict[str, Any] | None:
    """The real deal across the draws: in the ZOPA, on the frontier, and the spread of what it leaves on the table
    (from the uncertainty block itself; the inverse study, when present, adds :func:`inverse_view`)."""
    o = u.observed
    if o is None:
        return None
    lines = [f"It beats the no-deal outcome for both sides (lies in the ZOPA) in {pct(o.in_zopa_share)} of draws"
             + ("." if o.on_frontier_share is None else
                f" and lies on the Pareto frontier in {pct(o.on_frontier_share)}.")]
    rows = [[p, interval_text(o.utilities[p])] for p in u.parties]
    if o.left_on_table is not None:
        lt = o.left_on_table
        lines.append(f"Left on the table (the largest joint gain of a Pareto improvement of the deal): median "
                     f"{bn1(lt.p50)} $bn/yr, mean {bn1(lt.mean)}, 90 % of draws between {bn1(lt.p05)} and "
                     f"{bn1(lt.p95)}.")
        rows.append(["left on the table (joint)", interval_text(lt)])
    if o.distance is not None:
        rows.append(["gain both could still get at once", interval_text(o.distance)])
    return {"lines": lines, "rows": rows}


def inverse_view(res: AnalysisResult) -> dict[str, Any] | None:
    """"What the real deal reveals" from the inverse-bargaining result on the analysis (``analyze --inverse N``),
    or None: its plain-language findings, per parameter the range before and given the deal (5–95 %, in the
    fact's unit), largest shift first, and what it would take when no draw explains the deal."""
    inv = res.inverse
    if inv is None:
        return None
    params = sorted(inv.parameters, key=lambda p: -abs(p.shift))[:12]
    rows = [[p.label or p.id, f"{p.prior_quantiles[0]:.3g} to {p.prior_quantiles[2]:.3g}",
             f"{p.posterior_quantiles[1]:.3g} ({p.posterior_quantiles[0]:.3g} to {p.posterior_quantiles[2]:.3g})",
             p.unit] for p in params]
    return {"findings": [inv.headline, *inv.findings], "rows": rows,
            "headers": ["parameter", "before the deal (5–95 %)", "given the deal: median (5–95 %)", "unit"]}
