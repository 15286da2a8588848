"""The HTML report: one self-contained, offline file (plotly.js embedded once, no CDN, no web fonts).

A view of an :class:`~tradetalks.studies.analyze_results.AnalysisResult`: it formats and plots numbers, it computes
none.
Sections: "How sure are we" (the Monte Carlo block, :mod:`tradetalks.report.how_sure`; one line on how to add it
when the analysis has none); the frontier with the BATNA, solutions and the observed deal; the stakes per issue and
option for both sides; the linkage comparison; the timeline; the sources and assumptions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined, select_autoescape
from jinja2.bccache import Bucket
from markupsafe import Markup

from tradetalks.options import ReportJs
from tradetalks.report import figure as go  # plotly figure dictionaries without plotly.py (speed)
from tradetalks.report.figure import get_plotlyjs, get_plotlyjs_bytes, plotly_version
from tradetalks.report.format import Labels, money, option_label, quantity, short
from tradetalks.report.how_sure import HOW_TO, how_sure_figures, how_sure_view, inverse_view
from tradetalks.studies.analyze_results import AnalysisResult

BN = 1e9
SOLUTION_SYMBOLS = {"nash": "star", "kalai_smorodinsky": "diamond", "egalitarian": "square",
                    "utilitarian": "triangle-up"}
SOLUTION_NAMES = {"nash": "Nash", "nash_rubinstein": "Nash, Rubinstein",
                  "kalai_smorodinsky": "Kalai–Smorodinsky", "egalitarian": "Egalitarian", "utilitarian": "Utilitarian"}
PARTY_COLOURS = ("#1f5aa6", "#c0392b")

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0;color:#1d2733;background:#fafbfc}
main{max-width:1180px;margin:0 auto;padding:24px 16px}
.scroll{overflow-x:auto;max-width:100%}td{overflow-wrap:anywhere}td.nowrap,th.nowrap{white-space:nowrap;overflow-wrap:normal}
.panels{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:12px 20px}
.panel h3{font-size:.9rem;margin:.6em 0 0;font-weight:600}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
td.changed{background:#eaf3fb;font-weight:600}details{margin:.5em 0}summary{cursor:pointer;color:#1f5aa6}
h1{font-size:1.6rem;margin:.2em 0}h2{font-size:1.2rem;margin-top:2em;border-bottom:1px solid #dde3ea;padding-bottom:4px}
p.lead{color:#4b5a6b}table{border-collapse:collapse;font-size:.85rem;width:100%;margin:8px 0}
th,td{border-bottom:1px solid #e6eaef;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eef2f6}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.flag{background:#fff4d6;border-radius:3px;padding:0 4px;font-size:.75rem}
.src{background:#e3f3e6;border-radius:3px;padding:0 4px;font-size:.75rem}
.note{font-size:.85rem;color:#4b5a6b}
"""


def _fig_html(fig: go.Figure, div_id: str, *, legend_below: bool = True, toolbar: bool = True) -> str:
    layout: dict[str, Any] = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
                              "font": {"family": "system-ui, sans-serif"}, "autosize": True}
    if legend_below:
        layout["legend"] = {"orientation": "h", "yanchor": "top", "y": -0.16, "x": 0, "xanchor": "left"}
        layout["margin"]["b"] = 40
    fig.update_layout(**layout)
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, default_width="100%",
                       config={"displaylogo": False, "responsive": True,
                               "displayModeBar": "hover" if toolbar else False})


def _hover(package: dict[str, str], batna: dict[str, str], lines: dict[tuple[str, str], str]) -> str:
    """Hover text of a package: every issue settled differently from no deal, by label (none hidden)."""
    return "<br>".join(lines[(i, o)] for i, o in package.items() if batna.get(i) != o) or "no change (BATNA)"


def _hover_lines(labels: Labels) -> dict[tuple[str, str], str]:
    """Every 'issue: option' hover line, escaped and cut, computed once per chart (the frontier has ~2,000
    points)."""
    return {(i, o): escape(short(f"{labels.issue(i)}: {text}", 90)) for (i, o), text in labels.options.items()}


def _zopa_view_ranges(res: AnalysisResult) -> tuple[list[float], list[float]] | None:
    """Axis ranges ($bn/yr) that frame the region better than no deal for both, with every marked point."""
    p0, p1 = res.party_ids
    pts = [(pt.utilities[p0], pt.utilities[p1]) for pt in res.frontier.points
           if pt.utilities[p0] >= 0 and pt.utilities[p1] >= 0]
    pts += [(s.utilities[p0], s.utilities[p1]) for s in res.solutions.values() if s is not None]
    if res.observed is not None:
        pts.append((res.observed.utilities[p0], res.observed.utilities[p1]))
    if len(pts) < 2:
        return None
    pts.append((0.0, 0.0))
    xs, ys = [x / BN for x, _ in pts], [y / BN for _, y in pts]

    def span(v: list[float]) -> list[float]:
        lo, hi = min(v), max(v)
        pad = max(0.08 * (hi - lo), 0.05)
        return [lo - pad, hi + pad]

    return span(xs), span(ys)


def frontier_figure(res: AnalysisResult) -> go.Figure:
    """Frontier (weighted utilities, $bn/yr) with BATNA, solutions and the observed deal marked.

    Opens on the region that matters (packages better than no deal for both sides); the full frontier is one click
    away (buttons above the chart, or the autoscale button).
    """
    p0, p1 = res.party_ids
    labels = _hover_lines(Labels.from_issues(res.issues))
    pts = sorted(res.frontier.points, key=lambda pt: pt.utilities[p0])
    hover = "%{x:.2f} / %{y:.2f} $bn/yr<br>%{text}<extra>%{fullData.name}</extra>"
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[pt.utilities[p0] / BN for pt in pts], y=[pt.utilities[p1] / BN for pt in pts],
                             mode="lines+markers", name="Pareto frontier", line={"shape": "vh", "color": "#7f8c8d"},
                             marker={"size": 4}, text=[_hover(pt.package, res.batna.package, labels) for pt in pts],
                             hovertemplate=hover))
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers+text", name="BATNA (no deal)", text=["no deal"],
                             textposition="bottom right", marker={"size": 12, "color": "black", "symbol": "x"},
                             hovertemplate="no deal (BATNA)<extra></extra>"))
    for name, s in res.solutions.items():
        if s is not None:
            fig.add_trace(go.Scatter(x=[s.utilities[p0] / BN], y=[s.utilities[p1] / BN], mode="markers",
                                     name=SOLUTION_NAMES.get(name, name),
                                     marker={"size": 14, "symbol": SOLUTION_SYMBOLS.get(name, "star")},
                                     text=[_hover(s.package, res.batna.package, labels)], hovertemplate=hover))
    if res.observed is not None:
        o = res.observed
        fig.add_trace(go.Scatter(x=[o.utilities[p0] / BN], y=[o.utilities[p1] / BN], mode="markers+text",
                                 name="Observed deal", text=["real deal"], textposition="top left",
                                 hovertext=[_hover(o.package, res.batna.package, labels)],
                                 hovertemplate="%{x:.2f} / %{y:.2f} $bn/yr<br>%{hovertext}<extra>real deal</extra>",
                                 marker={"size": 14, "color": "#e67e22", "symbol": "circle-open",
                                         "line": {"width": 3}}))
        if o.best_improvement is not None:
            b = o.best_improvement
            fig.add_trace(go.Scatter(x=[o.utilities[p0] / BN, b.utilities[p0] / BN],
                                     y=[o.utilities[p1] / BN, b.utilities[p1] / BN], mode="lines+markers",
                                     name="Best Pareto improvement", line={"dash": "dot", "color": "#e67e22"},
                                     hovertemplate="%{x:.2f} / %{y:.2f} $bn/yr<extra>improvement</extra>"))
    _add_ratification(fig, res)
    _add_simulation_path(fig, res)
    fig.add_hline(y=0, line={"width": 1, "color": "#bbb"})
    fig.add_vline(x=0, line={"width": 1, "color": "#bbb"})
    fig.update_layout(title="Pareto frontier (utility against no deal)", height=640,
                      xaxis_title=f"{p0} utility, $bn/yr (weighted)", yaxis_title=f"{p1} utility, $bn/yr (weighted)")
    ranges = _zopa_view_ranges(res)
    if ranges is not None:
        fig.update_layout(xaxis={"range": ranges[0]}, yaxis={"range": ranges[1]}, updatemenus=[{
            "type": "buttons", "direction": "right", "x": 1, "xanchor": "right", "y": 1.12, "yanchor": "top",
            "showactive": True, "buttons": [
                {"label": "Better than no deal", "method": "relayout",
                 "args": [{"xaxis.range": ranges[0], "yaxis.range": ranges[1]}]},
                {"label": "Whole frontier", "method": "relayout",
                 "args": [{"xaxis.autorange": True, "yaxis.autorange": True}]}]}])
    return fig


def _add_ratification(fig: go.Figure, res: AnalysisResult) -> None:
    """The frontier of packages both parties can ratify (overlap of the win-sets) and each win-set's edge."""
    rat = res.ratification
    if rat is None or not rat.has_ratifiers:
        return
    pts = sorted(rat.overlap.frontier or [])
    if pts:
        fig.add_trace(go.Scatter(x=[a / BN for a, _ in pts], y=[b / BN for _, b in pts], mode="lines",
                                 line={"shape": "vh", "color": "#8e44ad", "dash": "dash"},
                                 name="Ratifiable by both (win-set overlap)",
                                 hovertemplate="%{x:.2f} / %{y:.2f} $bn/yr<extra>ratifiable by both</extra>"))
    p0, p1 = res.party_ids
    for ws in rat.parties:
        other = ws.best_for_other
        if other:
            fig.add_trace(go.Scatter(x=[other.utilities[p0] / BN], y=[other.utilities[p1] / BN],
                                     mode="markers",
                                     marker={"symbol": "line-ns-open", "size": 16, "line": {"width": 3}},
                                     name=f"Edge of {ws.party}'s win-set",
                                     hovertemplate=f"most {ws.party} can concede and still ratify<br>"
                                                   "%{x:.2f} / %{y:.2f} $bn/yr<extra></extra>"))


def _add_simulation_path(fig: go.Figure, res: AnalysisResult) -> None:
    """Simulated offers as a dotted path of open circles, so they do not read as part of the frontier."""
    sim = res.simulation
    if sim is None or not sim.offers:
        return
    p0, p1 = res.party_ids
    offers = [(o, o.utilities) for o in sim.offers if o.utilities]
    fig.add_trace(go.Scatter(x=[u[p0] / BN for _, u in offers], y=[u[p1] / BN for _, u in offers],
                             mode="lines+markers", line={"color": "#16a085", "width": 1, "dash": "dot"},
                             marker={"size": 7, "color": "#16a085", "symbol": "circle-open"},
                             text=[f"round {o.round} ({o.date}), {o.proposer} offers" for o, _ in offers],
                             hovertemplate="%{text}<br>%{x:.2f} / %{y:.2f} $bn/yr<extra></extra>",
                             name=f"Simulated offers ({', '.join(sim.strategies.values())})"))


def stakes_panels(res: AnalysisResult) -> list[tuple[str, str, go.Figure]]:
    """One small chart per issue: each option's utility to both sides, other issues at no deal.

    Returns (issue id, issue name, figure) per issue; option labels are cut short on the axis, in full on hover.
    """
    out = []
    parties = res.party_ids
    for iss in res.issues:
        full = [option_label(op) for op in iss.options]
        shown = [short(x, 30) for x in full]
        fig = go.Figure()
        for k, p in enumerate(parties):
            fig.add_trace(go.Bar(y=shown, x=[op.utilities[p] / BN for op in iss.options], orientation="h", name=p,
                                 marker_color=PARTY_COLOURS[k % 2], customdata=full,
                                 hovertemplate="%{customdata}<br>%{x:.3f} $bn/yr<extra>" + p + "</extra>"))
        fig.update_layout(barmode="group", height=90 + 38 * len(iss.options), showlegend=False,
                          yaxis={"autorange": "reversed", "automargin": True},
                          xaxis={"title": "$bn/yr", "nticks": 6, "zeroline": True},
                          margin={"l": 10, "r": 10, "t": 10, "b": 40})
        out.append((iss.id, iss.name, fig))
    return out


def linkage_figure(res: AnalysisResult) -> go.Figure | None:
    """Frontier with and without each linkage group on the table."""
    if not res.linkage:
        return None
    fig = go.Figure()
    hover = "%{x:.2f} / %{y:.2f} $bn/yr<extra>%{fullData.name}</extra>"
    for lk in res.linkage:
        for key, label, dash in (("with_linkage", "on the table", "solid"), ("without_linkage", "off", "dot")):
            side = getattr(lk, key)
            pts = sorted(side["frontier"])
            fig.add_trace(go.Scatter(x=[a / BN for a, _ in pts], y=[b / BN for _, b in pts], mode="lines",
                                     line={"shape": "vh", "dash": dash}, name=f"{lk.name}: {label}",
                                     hovertemplate=hover))
            nash = side["nash"]
            if nash:
                u = list(nash["utilities"].values())
                fig.add_trace(go.Scatter(x=[u[0] / BN], y=[u[1] / BN], mode="markers", marker={"size": 12,
                                         "symbol": "star"}, name=f"Nash, {lk.name}: {label}",
                                         hovertemplate=hover))
    p0, p1 = res.party_ids
    fig.update_layout(title="Linkage: frontier and Nash with and without the linked issues", height=520,
                      xaxis_title=f"{p0} utility, $bn/yr", yaxis_title=f"{p1} utility, $bn/yr")
    return fig


def timeline_figure(res: AnalysisResult) -> go.Figure | None:
    """Dated events, one row per kind, each dot numbered as in the events table below it (title on hover)."""
    if not res.timeline:
        return None
    kinds = sorted({e["kind"] for e in res.timeline})
    fig = go.Figure()
    for k in kinds:
        ev = [(n, e) for n, e in enumerate(res.timeline, start=1) if e["kind"] == k]
        fig.add_trace(go.Scatter(x=[e["date"] for _, e in ev], y=[kinds.index(k)] * len(ev), mode="markers+text",
                                 name=k, marker={"size": 18}, text=[str(n) for n, _ in ev],
                                 textfont={"size": 10, "color": "white"}, customdata=[e["title"] for _, e in ev],
                                 hovertemplate="%{x}<br>%{customdata}<extra></extra>"))
    fig.update_layout(title="Timeline of the negotiation (numbers as in the table below)",
                      height=120 + 60 * len(kinds), showlegend=False,
                      yaxis={"tickvals": list(range(len(kinds))), "ticktext": kinds, "automargin": True,
                             "range": [-0.7, len(kinds) - 0.3]})
    return fig


def _events_view(res: AnalysisResult) -> list[list[str]]:
    return [[str(n), e["date"], e["kind"], e["title"]] for n, e in enumerate(res.timeline, start=1)]


def replay_figure(res: AnalysisResult) -> go.Figure | None:
    """The replay as a timeline: each side's no-deal utility, Nash utility and what really stood, by date."""
    if not res.replay:
        return None
    steps = res.replay
    dates = [s.date for s in steps]
    fig = go.Figure()
    for k, p in enumerate(res.party_ids):
        colour = PARTY_COLOURS[k % 2]
        fig.add_trace(go.Scatter(x=dates, y=[s.batna_utilities[p] / BN for s in steps], mode="lines",
                                 line={"shape": "hv", "dash": "dot", "color": colour}, name=f"{p}: no deal"))
        fig.add_trace(go.Scatter(x=dates, y=[s.nash_utilities[p] / BN if s.nash_utilities else None
                                             for s in steps], mode="lines+markers",
                                 line={"shape": "hv", "color": colour}, name=f"{p}: Nash point"))
        fig.add_trace(go.Scatter(x=dates, y=[s.stood_utilities[p] / BN for s in steps], mode="markers",
                                 marker={"symbol": "diamond", "size": 9, "color": colour},
                                 name=f"{p}: what really stood", text=[s.label for s in steps],
                                 hovertemplate="%{x}<br>%{text}<br>%{y:.2f} $bn/yr<extra></extra>"))
    fig.update_layout(title="Replay: no-deal outcome, Nash point and what really stood, by date",
                      height=500, yaxis_title="utility, $bn/yr (weighted)")
    return fig


def tornado_figure(res: AnalysisResult) -> go.Figure | None:
    """Which weights and valuations move the Nash point most (± the tornado's perturbation).

    Bars of parameters whose perturbation changes the Nash package are solid, the others pale; the hover names the
    issues that change.
    """
    sens = res.sensitivity
    if sens is None or not sens.tornado:
        return None
    rows = sens.tornado[:20]
    labels = [short(r.label or r.id, 40) for r in rows]
    fig = go.Figure()
    for k, p in enumerate(res.party_ids):
        colour = PARTY_COLOURS[k % 2]
        fig.add_trace(go.Bar(
            y=labels, x=[r.swing[p] / BN for r in rows], orientation="h", name=p,
            marker={"color": colour, "opacity": [1.0 if r.flips else 0.35 for r in rows]},
            customdata=[[r.id, ", ".join(r.flipped_issues) or ("no agreement at one end" if r.flips else "none")]
                        for r in rows],
            hovertemplate="%{customdata[0]}<br>swing %{x:.3f} $bn/yr<br>issues that change: %{customdata[1]}"
                          "<extra>" + p + "</extra>"))
    flips = sum(r.flips for r in rows)
    fig.update_layout(barmode="group", height=max(420, 30 * len(rows)), yaxis={"autorange": "reversed"},
                      title=f"Tornado: Nash utility swing for ±{sens.delta:.0%} ({flips} of {len(rows)} change the "
                            "package: solid bars)", xaxis_title="swing, $bn/yr")
    return fig


def _replay_view(res: AnalysisResult) -> dict[str, Any] | None:
    """The replay table; the ZOPA-size column only when the run counted it (``tradetalks replay`` does)."""
    if not res.replay:
        return None
    parties = res.party_ids
    counted = any(s.zopa_count is not None for s in res.replay)
    rows = [[s.date, s.label, s.kind, "yes" if s.zopa_nonempty else "no",
             *(["—" if s.zopa_count is None or not s.zopa_nonempty else f"{s.zopa_count:,}"] if counted else []),
             *(money(s.nash_utilities[p]) if s.nash_utilities else "—" for p in parties),
             *(money(s.stood_utilities[p]) for p in parties)] for s in res.replay]
    return {"headers": ["date", "event", "kind", "ZOPA", *(["packages in ZOPA"] if counted else []),
                        *(f"Nash {p}" for p in parties), *(f"stood {p}" for p in parties)], "rows": rows,
            "num": tuple(range(4, 4 + int(counted) + 2 * len(parties)))}


def _ge_view(res: AnalysisResult) -> dict[str, Any] | None:
    """PE payoffs beside the general-equilibrium second opinion, with the generated explanations."""
    ge = res.ge_opinion
    if ge is None:
        return None
    parties = res.party_ids
    rows = []
    ms = ge.multisector
    for pk in ge.packages:
        by = {c.party: c for c in pk.comparison}
        rows.append([pk.name, *(cell for p in parties for cell in (
            money(by[p].pe_payoff), money(by[p].ge_usd), f"{by[p].ge_welfare:+.3f} %",
            *([] if ms is None else ["—" if by[p].ge_multisector_welfare is None
                                     else f"{by[p].ge_multisector_welfare:+.3f} %"])))])
    experiments = []
    for ex in ge.experiments:
        for pt in ex.parties:
            experiments.append([ex.description, pt.country, f"{pt.welfare:+.3f} %", f"{pt.exports:+.2f} %",
                                money(pt.usd)])
        experiments.append([ex.description, "third countries", "", "",
                            f"{money(ex.third_countries_usd)} ({ex.third_countries_losing} lose)"])
    per = 4 if ms is not None else 3
    return {"headers": ["package (tariff levers only)",
                        *(h for p in parties for h in (f"{p} PE, $/yr", f"{p} GE, $/yr", f"{p} GE welfare, %",
                                                       *([f"{p} GE 40 sectors, %"] if ms is not None else [])))],
            "rows": rows, "num": tuple(range(1, 1 + per * len(parties))),
            "why": [{"name": pk.name, "points": list(pk.differences)} for pk in ge.packages
                    if pk.name in ("observed", "nash")],
            "experiments": experiments,
            "notes": [ge.usd_basis, *ge.notes, *(ms.notes if ms is not None else ())]}


def _ratification_view(res: AnalysisResult) -> dict[str, Any] | None:
    rat = res.ratification
    if rat is None:
        return None
    if not rat.has_ratifiers:
        return {"has_ratifiers": False, "notes": rat.notes}
    parties = res.party_ids
    winsets = [[ws.party, ws.rule, "non-empty" if ws.nonempty else "EMPTY",
                f"{ws.size.share:.1%} ({ws.size.method})"] for ws in rat.parties]
    agreements = []
    for a in rat.agreements:
        un, ra = a.unconstrained, a.ratified
        agreements.append([a.solution, *((money(un.utilities[p]) if un else "—") for p in parties),
                           *((money(ra.utilities[p]) if ra else "—") for p in parties),
                           [f"{c['issue']}: {c['from_option']} → {c['to_option']}" for c in a.changes]
                           or "same package"])
    checks = []
    for c in rat.checks:
        rejections = [f"{v.name} ({pv.party}) rejects: short by {money(v.shortfall)}"
                      + (f"; would accept with its threshold lowered by {money(abs(v.threshold_change))}"
                         if v.threshold_change is not None else "")
                      for pv in c.parties for v in pv.ratifiers if not v.accepts]
        checks.append({"label": c.label, "verdict": "ratifiable" if c.ratifiable else "not ratifiable",
                       "rejections": rejections})
    return {"has_ratifiers": True, "winsets": winsets, "agreements": agreements, "checks": checks,
            "agreement_headers": ["prediction", *(f"{p} free" for p in parties), *(f"{p} ratified" for p in parties),
                                  "changes ratification forces"], "notes": rat.notes}


def _dynamics_view(res: AnalysisResult) -> dict[str, Any] | None:
    if res.tournament is None:
        return None
    parties = res.party_ids
    sim = res.simulation
    simulation = None
    if sim is not None:
        how = "agreement" if sim.agreed else f"breakdown ({sim.end})"
        simulation = (f"Simulated negotiation ({', '.join(sim.strategies.values())}): {how} in round "
                      f"{sim.rounds} on {sim.date}, utilities "
                      + ", ".join(f"{p} {money(sim.utilities[p])}" for p in parties)
                      + " (the offers are drawn on the frontier chart).")
    t = res.tournament
    rows = [[r["strategy"], f"{r['agreement_rate']:.0%}", f"{r['mean_rounds']:.1f}", money(r["nash_distance"]),
             *(money(r[f"u_{p}_as_{p}"]) for p in parties)] for r in t.by_strategy().to_dict(orient="records")]
    return {"simulation": simulation, "rows": rows,
            "tournament_intro": f"Tournament: {t.n_negotiations:,} negotiations of up to {t.rounds_limit} "
                                f"rounds (seed {t.seed}).",
            "headers": ["strategy", "agreement", "mean rounds", "distance to Nash",
                        *(f"utility as {p}" for p in parties)]}


def _inverse_view(res: AnalysisResult) -> dict[str, Any] | None:
    """The hook for "What the real deal reveals" from an inverse-bargaining result on the analysis (None while
    :class:`AnalysisResult` carries none; the uncertainty block's own view of the real deal is shown regardless)."""
    return inverse_view(res)


def _how_sure_html(res: AnalysisResult) -> dict[str, Any]:
    """The "How sure are we" section: its view and its charts (empty without an uncertainty block)."""
    view = how_sure_view(res)
    figs: dict[str, Markup] = {}
    if res.uncertainty is not None:
        labels = Labels.from_issues(res.issues)
        figs = {k: Markup(_fig_html(f, f"fig-sure-{k}", legend_below=k != "shares"))
                for k, f in how_sure_figures(res.uncertainty, labels)}
    return {"view": view, "figs": figs, "how_to": HOW_TO, "inverse": _inverse_view(res)}


def _sweep_view(res: AnalysisResult) -> dict[str, Any] | None:
    sens = res.sensitivity
    if sens is None or sens.sweep is None:
        return None
    sw = sens.sweep
    labels = Labels.from_issues(res.issues)
    return {"intro": f"Weight sweep: {sw.n_draws:,} random weight vectors (log-normal, σ = {sw.sigma}); the "
                     f"whole Nash package survives in {sw.same_package_share:.1%} of draws. Per issue:",
            "rows": [[labels.issue(i.issue), labels.option(i.issue, i.base_option), f"{i.base_share:.0%}"]
                     for i in sw.issues]}


def _solutions_view(res: AnalysisResult) -> dict[str, Any]:
    """Utilities of every solution (and the real deal), and a matrix of their packages: one row per issue, an
    option label per column, nothing hidden; cells that differ from no deal are marked."""
    parties = res.party_ids
    labels = Labels.from_issues(res.issues)
    cols: list[tuple[str, dict[str, str] | None]] = [(SOLUTION_NAMES.get(n, n), s.package if s else None)
                                                     for n, s in res.solutions.items()]
    rows: list[list[Any]] = []
    for name, s in res.solutions.items():
        label = SOLUTION_NAMES.get(name, name)
        if s is not None and s.powers is not None:
            label += f" (powers {'/'.join(f'{s.powers[p]:.2f}' for p in parties)})"
        rows.append([label, *(money(s.utilities[p]) if s else "—" for p in parties),
                     "" if s else "no package beats no deal for both sides"])
    if res.observed:
        o = res.observed
        rows.append(["Real deal", *(money(o.utilities[p]) for p in parties), ""])
        cols.append(("Real deal", o.package))
    batna = res.batna.package
    matrix = []
    for iss in res.issues:
        cells = []
        for _, pkg in cols:
            opt = pkg.get(iss.id, batna[iss.id]) if pkg is not None else None
            cells.append({"text": "—" if opt is None else short(labels.option(iss.id, opt), 48),
                          "title": "" if opt is None else labels.option(iss.id, opt),
                          "changed": opt is not None and opt != batna[iss.id]})
        matrix.append({"issue": iss.name, "cells": cells})
    return {"headers": ["solution", *parties, ""], "rows": rows, "columns": [c for c, _ in cols], "matrix": matrix}


def _zopa_text(res: AnalysisResult) -> str:
    z = res.zopa
    if z.method == "exact":
        return (f"ZOPA: {z.count:,} of {z.total_packages:,} packages are better than no deal for both sides "
                f"({z.method}).")
    lo, hi = z.ci95 if z.ci95 else (0, 0)
    return f"ZOPA: about {z.count:,.0f} (95% CI {lo:,.0f}–{hi:,.0f}) of {z.total_packages:,} packages ({z.method})."


def _observed_view(res: AnalysisResult) -> dict[str, Any] | None:
    o = res.observed
    if o is None:
        return None
    parties = res.party_ids
    text = (f"{o.title} ({o.date}). Utilities: " + ", ".join(f"{p} {money(o.utilities[p])}" for p in parties) + ". "
            + ("It lies on the Pareto frontier." if o.on_frontier else
               f"It lies inside the frontier: both sides could each gain {money(o.distance_to_frontier)} a year, "
               f"and up to {money(o.left_on_table)} a year in total is left on the table."))
    labels = Labels.from_issues(res.issues)
    views = [v for v in (o.vs_as_of, o.vs_dated_batna, o.vs_latest) if v is not None]
    dated = [[v.date, *(money(v.utilities[p]) for p in parties),
              [f"{labels.issue(i)} → {labels.option(i, op)}" for i, op in v.batna_changes.items()] or "—",
              ", ".join(f"{f} = {x:g}" for f, x in v.facts_revised.items()) or "—"] for v in views]
    return {"text": text, "changes": [[labels.issue(c.issue), labels.option(c.issue, c.from_option),
                                       labels.option(c.issue, c.to_option)] for c in o.changes],
            "dated": dated if len(views) > 1 else [],
            "dated_headers": ["no deal of", *parties, "no-deal changes", "facts revised"]}


def _improvements_view(res: AnalysisResult) -> dict[str, Any] | None:
    if not res.improvements:
        return None
    parties = res.party_ids
    rows = []
    for rule, imp in res.improvements.items():
        gains = imp.gains
        changes = [f"{c.issue_name}: {c.from_label} → {c.to_label}" for c in imp.changes]
        rows.append([rule, *((f"+{money(gains[p])}" if gains else "—") for p in parties),
                     changes or "on the frontier"])
    return {"headers": ["rule", *(f"gain {p}" for p in parties), "changes to make"], "rows": rows}


def _sources_view(res: AnalysisResult) -> list[dict[str, Any]]:
    return [{"id": s.id, "unit": s.unit, "assumption": bool(s.assumption), "text": s.assumption or s.source or "",
             "value": quantity(s.value, s.unit)
             + (f" (overridden; was {quantity(s.original_value, s.unit)})" if s.overridden
                and s.original_value is not None else "")}
            for s in res.sources]


#: environment variable naming the directory of tradetalks' caches (default: the user cache directory)
CACHE_DIR_ENV_VAR = "TRADETALKS_CACHE_DIR"
#: the report's templates (their autoescaping is part of the compiled code)
_TEMPLATES = ("report.html", "macros.html")


class _CompiledTemplates(FileSystemBytecodeCache):
    """Jinja2's compiled templates on disk, so that a run does not compile the report's templates again (about
    20 ms of CPU, a quarter of rendering the korus-2025 report).

    Jinja2 keys each entry by template name and file and checks a hash of the template's source before using it,
    so an edited template is compiled afresh. The folder is in the cache directory (``$TRADETALKS_CACHE_DIR``, else
    ``platformdirs.user_cache_dir("tradetalks")``) and its name carries the Jinja2 and Python versions and every
    environment setting that shapes the compiled code, so code compiled under other settings is never used. A
    cache that cannot be read or written is skipped silently: rendering then compiles as it would without one.
    Cached code is only loaded from a folder that belongs to the user running it and that nobody else may write
    to (the folder is created ``0o700``), since loading it runs it. Nothing process-wide is read or changed (a
    file is written under a temporary name and moved into place).
    """

    def _trusted(self) -> bool:
        if not hasattr(os, "getuid"):  # pragma: no cover - Windows: the per-user profile folder
            return True
        try:
            st = os.stat(self.directory)
        except OSError:
            return False
        return st.st_uid == os.getuid() and not st.st_mode & 0o022

    def load_bytecode(self, bucket: Bucket) -> None:
        if not self._trusted():
            return
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged or foreign file: compile instead
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            Path(self.directory).mkdir(mode=0o700, parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """tradetalks' cache directory: ``$TRADETALKS_CACHE_DIR``, else ``platformdirs.user_cache_dir("tradetalks")``
    (``~/.cache/tradetalks`` on Linux). Not created here."""
    root = (os.environ if environ is None else environ).get(CACHE_DIR_ENV_VAR)
    if root:
        return Path(root)
    import platformdirs

    return Path(platformdirs.user_cache_dir("tradetalks"))


def template_cache_dir(env: Environment, root: Path) -> Path:
    """Folder under ``root`` for ``env``'s compiled templates (see :class:`_CompiledTemplates`): named by the
    Jinja2 and Python versions and a hash of every setting of ``env`` that shapes the compiled code."""
    import hashlib
    import sys

    import jinja2

    settings = (env.block_start_string, env.block_end_string, env.variable_start_string, env.variable_end_string,
                env.comment_start_string, env.comment_end_string, env.line_statement_prefix, env.line_comment_prefix,
                env.trim_blocks, env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline,
                env.optimized, sorted(env.extensions), [bool(env.autoescape(n)) if callable(env.autoescape)
                                                        else env.autoescape for n in _TEMPLATES])
    tag = hashlib.sha256(repr(settings).encode()).hexdigest()[:12]
    return root / f"jinja2-{jinja2.__version__}-py{sys.version_info[0]}{sys.version_info[1]}-{tag}"


def _make_environment(root: Path | None) -> Environment:
    """The template environment (autoescaping every value; templates ship with the package), its compiled
    templates cached under ``root`` (none when ``None``)."""
    env = Environment(loader=PackageLoader("tradetalks.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    if root is not None:
        env.bytecode_cache = _CompiledTemplates(str(template_cache_dir(env, root)), "%s.cache")
    return env


@lru_cache(maxsize=4)
def _environment_at(root: Path) -> Environment:
    return _make_environment(root)


def _environment() -> Environment:
    """The template environment of this process for the current cache directory (see :func:`cache_root`)."""
    return _environment_at(cache_root())


def plotlyjs_file() -> tuple[str, str]:
    """File name (with plotly.js's version) and code of the plotly.js bundle that ``plotlyjs="file"`` refers to."""
    return f"plotly-{plotly_version()}.min.js", get_plotlyjs()


def render_report(res: AnalysisResult, *, plotlyjs: ReportJs = "inline") -> str:
    """The whole report as one HTML string.

    With ``plotlyjs="inline"`` (default) the page is self-contained, about 6 MB of which 4.8 MB is plotly.js. With
    ``"file"`` the page loads ``plotly-VERSION.min.js`` from its own folder (write it there with
    :func:`plotlyjs_file`), so many reports share one copy and each is about 1 MB; it still works offline.
    plotly.py ships only the full bundle; the smaller partial bundles (e.g. scatter and bar only) are a separate
    npm build that the project would have to vendor, so they are not offered.

    Every value reaches the page through a Jinja2 template with autoescaping; only the plotly.js bundle, the
    stylesheet and the chart fragments plotly writes are inserted as markup. Sections without content (no linkage
    groups, no timeline) are left out, headings included. :func:`render_report_bytes` gives the same page as UTF-8
    bytes, faster.
    """
    return _render(res, Markup(get_plotlyjs()) if plotlyjs == "inline" else None)


def render_report_bytes(res: AnalysisResult, *, plotlyjs: ReportJs = "inline") -> bytes:
    """:func:`render_report` encoded as UTF-8 (the bytes a file of it holds), without decoding plotly.js.

    The bundle's file is spliced into the encoded page as it is read: the 4.8 MB of JavaScript hold a few
    characters beyond Latin-1, which make Python keep the whole page two bytes a character while it is rendered
    and encoded (about 20 ms of CPU for korus-2025). A bundle with carriage returns (which reading it as text
    would turn into newlines) goes the text way instead.
    """
    if plotlyjs != "inline":
        return _render(res, None).encode("utf-8")
    bundle = get_plotlyjs_bytes()
    if b"\r" in bundle:
        return render_report(res).encode("utf-8")
    import secrets

    mark = f"<!--plotly.js {secrets.token_hex(16)}-->"
    head, sep, tail = _render(res, Markup(mark)).partition(mark)
    if not sep or mark in tail:  # pragma: no cover - a 128-bit random mark met in the page
        return render_report(res).encode("utf-8")
    return b"".join((head.encode("utf-8"), bundle, tail.encode("utf-8")))


def _render(res: AnalysisResult, plotlyjs: Markup | None) -> str:
    """The page with ``plotlyjs`` as the inline bundle (``None``: the page loads the shared file)."""
    sc = res.scenario
    figs = [("frontier", frontier_figure(res)), ("linkage", linkage_figure(res)),
            ("timeline", timeline_figure(res)), ("replay", replay_figure(res)), ("tornado", tornado_figure(res))]
    fig_html = {k: Markup(_fig_html(f, f"fig-{k}")) if f is not None else "" for k, f in figs}
    stakes = [{"name": name, "html": Markup(_fig_html(fig, f"fig-stakes-{iid}", legend_below=False, toolbar=False))}
              for iid, name, fig in stakes_panels(res)]
    linkage = [f"{x.name}: joint Nash gain changes by {money(x.surplus['joint'])} a year when the linked issues are "
               f"on the table." for x in res.linkage]
    return _environment().get_template("report.html").render(
        sc=sc, css=Markup(CSS), plotlyjs=plotlyjs,
        plotlyjs_src=None if plotlyjs is not None else plotlyjs_file()[0], econ_model=res.econ_model,
        units=res.units["utilities"], n_packages=f"{res.frontier.n_packages:,}", n_frontier=res.frontier.n_points,
        version=res.tradetalks_version, figs=fig_html, stakes=stakes, parties=res.party_ids,
        colours=PARTY_COLOURS, solutions=_solutions_view(res), zopa=_zopa_text(res),
        observed=_observed_view(res), improvements=_improvements_view(res), ge=_ge_view(res), linkage=linkage,
        ratification=_ratification_view(res), dynamics=_dynamics_view(res), sweep=_sweep_view(res),
        replay=_replay_view(res), events=_events_view(res), sources=_sources_view(res), sure=_how_sure_html(res))
