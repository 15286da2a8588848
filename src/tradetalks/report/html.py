"""The HTML report: one self-contained, offline file (plotly.js embedded once, no CDN, no web fonts).

A view of an :class:`~tradetalks.results.AnalysisResult`: it formats and plots numbers, it computes none.
Sections: the frontier with the BATNA, solutions and the observed deal; the stakes per issue and option for both
sides; the linkage comparison; the timeline; the sources and assumptions.
"""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from tradetalks.report.terminal import money, option_label
from tradetalks.results import AnalysisResult

BN = 1e9
SOLUTION_SYMBOLS = {"nash": "star", "kalai_smorodinsky": "diamond", "egalitarian": "square",
                    "utilitarian": "triangle-up"}
PARTY_COLOURS = ("#1f5aa6", "#c0392b")

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0;color:#1d2733;background:#fafbfc}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:1.6rem;margin:.2em 0}h2{font-size:1.2rem;margin-top:2em;border-bottom:1px solid #dde3ea;padding-bottom:4px}
p.lead{color:#4b5a6b}table{border-collapse:collapse;font-size:.85rem;width:100%;margin:8px 0}
th,td{border-bottom:1px solid #e6eaef;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eef2f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
.flag{background:#fff4d6;border-radius:3px;padding:0 4px;font-size:.75rem}
.src{background:#e3f3e6;border-radius:3px;padding:0 4px;font-size:.75rem}
.note{font-size:.85rem;color:#4b5a6b}
"""


def _fig_html(fig: go.Figure, div_id: str) -> str:
    fig.update_layout(template="plotly_white", margin={"l": 60, "r": 20, "t": 50, "b": 50},
                      font={"family": "system-ui, sans-serif"})
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def _hover(package: dict[str, str], batna: dict[str, str]) -> str:
    diff = [f"{i}: {o}" for i, o in package.items() if batna.get(i) != o]
    return "<br>".join(diff[:14] + (["…"] if len(diff) > 14 else [])) or "no change (BATNA)"


def frontier_figure(res: AnalysisResult) -> go.Figure:
    """Frontier (weighted utilities, $bn/yr) with BATNA, solutions and the observed deal marked."""
    p0, p1 = (p["id"] for p in res.parties)
    pts = sorted(res.frontier.points, key=lambda pt: pt.utilities[p0])
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[pt.utilities[p0] / BN for pt in pts], y=[pt.utilities[p1] / BN for pt in pts],
                             mode="lines+markers", name="Pareto frontier", line={"shape": "vh", "color": "#7f8c8d"},
                             marker={"size": 4}, text=[_hover(pt.package, res.batna.package) for pt in pts],
                             hovertemplate="%{x:.2f}, %{y:.2f} $bn/yr<br>%{text}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers+text", name="BATNA (no deal)", text=["BATNA"],
                             textposition="bottom right", marker={"size": 12, "color": "black", "symbol": "x"}))
    for name, s in res.solutions.items():
        if s is not None:
            fig.add_trace(go.Scatter(x=[s.utilities[p0] / BN], y=[s.utilities[p1] / BN], mode="markers",
                                     name=name.replace("_", "–").title(),
                                     marker={"size": 14, "symbol": SOLUTION_SYMBOLS[name]},
                                     text=[_hover(s.package, res.batna.package)],
                                     hovertemplate="%{x:.2f}, %{y:.2f} $bn/yr<br>%{text}<extra></extra>"))
    if res.observed is not None:
        o = res.observed
        fig.add_trace(go.Scatter(x=[o.utilities[p0] / BN], y=[o.utilities[p1] / BN], mode="markers+text",
                                 name="Observed deal", text=["real deal"], textposition="top left",
                                 marker={"size": 14, "color": "#e67e22", "symbol": "circle-open",
                                         "line": {"width": 3}}))
        if o.best_improvement is not None:
            b = o.best_improvement
            fig.add_trace(go.Scatter(x=[o.utilities[p0] / BN, b.utilities[p0] / BN],
                                     y=[o.utilities[p1] / BN, b.utilities[p1] / BN], mode="lines+markers",
                                     name="Best Pareto improvement", line={"dash": "dot", "color": "#e67e22"}))
    _add_ratification(fig, res)
    _add_simulation_path(fig, res)
    fig.add_hline(y=0, line={"width": 1, "color": "#bbb"})
    fig.add_vline(x=0, line={"width": 1, "color": "#bbb"})
    fig.update_layout(title="Pareto frontier of the negotiation (utility vs no deal)", height=560,
                      xaxis_title=f"{p0} utility, $bn/yr (weighted)", yaxis_title=f"{p1} utility, $bn/yr (weighted)")
    return fig


def _add_ratification(fig: go.Figure, res: AnalysisResult) -> None:
    """The frontier of packages both parties can ratify (overlap of the win-sets) and each win-set's edge."""
    rat = res.ratification
    if not rat or not rat.get("has_ratifiers"):
        return
    pts = sorted(rat["overlap"].get("frontier") or [])
    if pts:
        fig.add_trace(go.Scatter(x=[a / BN for a, _ in pts], y=[b / BN for _, b in pts], mode="lines",
                                 line={"shape": "vh", "color": "#8e44ad", "dash": "dash"},
                                 name="Frontier of packages both can ratify (win-set overlap)"))
    p0, p1 = (p["id"] for p in res.parties)
    for ws in rat["parties"]:
        other = ws["best_for_other"]
        if other:
            fig.add_trace(go.Scatter(x=[other["utilities"][p0] / BN], y=[other["utilities"][p1] / BN],
                                     mode="markers",
                                     marker={"symbol": "line-ns-open", "size": 16, "line": {"width": 3}},
                                     name=f"Edge of {ws['party']}'s win-set (most it can concede)"))


def _add_simulation_path(fig: go.Figure, res: AnalysisResult) -> None:
    sim = res.simulation
    if not sim or not sim.get("offers"):
        return
    p0, p1 = (p["id"] for p in res.parties)
    offers = sim["offers"]
    fig.add_trace(go.Scatter(x=[o["utilities"][p0] / BN for o in offers], y=[o["utilities"][p1] / BN for o in offers],
                             mode="lines+markers", line={"color": "#16a085", "width": 1},
                             marker={"size": 6, "color": "#16a085"},
                             text=[f"round {o['round']} ({o['date']}), {o['proposer']} offers" for o in offers],
                             hovertemplate="%{text}<br>%{x:.2f}, %{y:.2f} $bn/yr<extra></extra>",
                             name=f"Simulated offers ({', '.join(sim['strategies'].values())})"))


def stakes_figure(res: AnalysisResult) -> go.Figure:
    """Each option's utility to both sides (other issues at the BATNA), grouped by issue."""
    labels: list[str] = []
    vals: dict[str, list[float]] = {p["id"]: [] for p in res.parties}
    for iss in res.issues:
        for op in iss.options:
            labels.append(f"{iss.name} — {option_label(op)}")
            for p in vals:
                vals[p].append(op.utilities[p] / BN)
    fig = go.Figure()
    for k, (p, v) in enumerate(vals.items()):
        fig.add_trace(go.Bar(y=labels, x=v, orientation="h", name=p, marker_color=PARTY_COLOURS[k % 2],
                             hovertemplate="%{y}<br>%{x:.3f} $bn/yr<extra>" + p + "</extra>"))
    fig.update_layout(barmode="group", title="What is at stake: each option against no deal ($bn/yr, weighted; "
                                             "† possible only with another issue's option)",
                      height=max(500, 22 * len(labels)), yaxis={"autorange": "reversed", "automargin": True},
                      xaxis_title="$bn/yr")
    return fig


def linkage_figure(res: AnalysisResult) -> go.Figure | None:
    """Frontier with and without each linkage group on the table."""
    if not res.linkage:
        return None
    fig = go.Figure()
    for lk in res.linkage:
        for key, label, dash in (("with_linkage", "on the table", "solid"), ("without_linkage", "off", "dot")):
            pts = sorted(lk.__dict__[key]["frontier"])
            fig.add_trace(go.Scatter(x=[a / BN for a, _ in pts], y=[b / BN for _, b in pts], mode="lines",
                                     line={"shape": "vh", "dash": dash}, name=f"{lk.name} {label}"))
            nash = lk.__dict__[key]["nash"]
            if nash:
                u = list(nash["utilities"].values())
                fig.add_trace(go.Scatter(x=[u[0] / BN], y=[u[1] / BN], mode="markers", marker={"size": 12,
                                         "symbol": "star"}, name=f"Nash, {lk.name} {label}"))
    p0, p1 = (p["id"] for p in res.parties)
    fig.update_layout(title="Linkage: frontier and Nash solution with and without the linked issues", height=480,
                      xaxis_title=f"{p0} utility, $bn/yr", yaxis_title=f"{p1} utility, $bn/yr")
    return fig


def timeline_figure(res: AnalysisResult) -> go.Figure | None:
    if not res.timeline:
        return None
    kinds = sorted({e["kind"] for e in res.timeline})
    fig = go.Figure()
    for k in kinds:
        ev = [e for e in res.timeline if e["kind"] == k]
        fig.add_trace(go.Scatter(x=[e["date"] for e in ev], y=[kinds.index(k)] * len(ev), mode="markers",
                                 name=k, marker={"size": 12}, text=[e["title"] for e in ev],
                                 hovertemplate="%{x}<br>%{text}<extra></extra>"))
    fig.update_layout(title="Timeline of the negotiation", height=320, showlegend=True,
                      yaxis={"tickvals": list(range(len(kinds))), "ticktext": kinds})
    return fig


def replay_figure(res: AnalysisResult) -> go.Figure | None:
    """The replay as a timeline: each side's no-deal utility, Nash utility and what really stood, by date."""
    if not res.replay:
        return None
    steps = res.replay
    dates = [s.date for s in steps]
    fig = go.Figure()
    for k, p in enumerate(pt["id"] for pt in res.parties):
        colour = PARTY_COLOURS[k % 2]
        fig.add_trace(go.Scatter(x=dates, y=[s.batna_utilities[p] / BN for s in steps], mode="lines",
                                 line={"shape": "hv", "dash": "dot", "color": colour}, name=f"{p}: no deal"))
        fig.add_trace(go.Scatter(x=dates, y=[s.nash_utilities[p] / BN if s.nash_utilities else None
                                             for s in steps], mode="lines+markers",
                                 line={"shape": "hv", "color": colour}, name=f"{p}: predicted (Nash)"))
        fig.add_trace(go.Scatter(x=dates, y=[s.stood_utilities[p] / BN for s in steps], mode="markers",
                                 marker={"symbol": "diamond", "size": 9, "color": colour},
                                 name=f"{p}: what really stood", text=[s.label for s in steps],
                                 hovertemplate="%{x}<br>%{text}<br>%{y:.2f} $bn/yr<extra></extra>"))
    fig.update_layout(title="Replay of the real timeline: no-deal outcome, predicted deal and what really stood",
                      height=460, yaxis_title="utility, $bn/yr (weighted, vs the scenario's BATNA)")
    return fig


def _replay_table(res: AnalysisResult) -> str:
    parties = [p["id"] for p in res.parties]
    rows = [[s.date, html.escape(s.label), html.escape(s.kind), "yes" if s.zopa_nonempty else "no",
             f"{s.zopa_count:,}", *(money(s.nash_utilities[p]) if s.nash_utilities else "—" for p in parties),
             *(money(s.stood_utilities[p]) for p in parties)] for s in res.replay]
    return _table(["date", "event", "kind", "ZOPA", "packages in ZOPA", *(f"Nash {p}" for p in parties),
                   *(f"stood {p}" for p in parties)], rows, {4, 5, 6, 7, 8})


def _ge_section(res: AnalysisResult) -> str:
    """PE payoffs beside the general-equilibrium second opinion, with the generated explanations."""
    ge = res.ge_opinion
    if ge is None:
        return ("<p class='note'>Partial equilibrium only. Run <code>tradetalks analyze --econ ge</code> for a "
                "structural-gravity general-equilibrium second opinion on the tariff levers.</p>")
    parties = [p["id"] for p in res.parties]
    ms = ge.get("multisector")
    rows = []
    for pk in ge["packages"]:
        by = {c["party"]: c for c in pk["comparison"]}
        rows.append([html.escape(pk["name"]), *(cell for p in parties for cell in (
            money(by[p]["pe_payoff"]), f"{by[p]['ge_welfare']:+.3f} % ({money(by[p]['ge_usd'])})",
            *([] if not ms else ["—" if by[p].get("ge_multisector_welfare") is None
                                 else f"{by[p]['ge_multisector_welfare']:+.3f} %"])))])
    per = 3 if ms else 2
    heads = ["package (tariff levers only)", *(h for p in parties for h in (
        f"{p} PE payoff", f"{p} GE welfare", *([f"{p} GE welfare, 40 sectors"] if ms else [])))]
    out = [_table(heads, rows, set(range(1, 1 + per * len(parties))))]
    if ms:
        out.append("<p class='note'>" + "<br>".join(html.escape(n) for n in ms["notes"]) + "</p>")
    for pk in ge["packages"]:
        if pk["name"] in ("observed", "nash"):
            out.append(f"<p><b>Why PE and GE differ for the {html.escape(pk['name'])} package</b></p><ul>"
                       + "".join(f"<li>{html.escape(d)}</li>" for d in pk["differences"]) + "</ul>")
    exp_rows = []
    for ex in ge["experiments"]:
        for pt in ex["parties"]:
            exp_rows.append([html.escape(ex["description"]), pt["country"], f"{pt['welfare']:+.3f} %",
                             f"{pt['exports']:+.2f} %", money(pt["usd"])])
        exp_rows.append([html.escape(ex["description"]), "third countries", "", "",
                         f"{money(ex['third_countries_usd'])} ({ex['third_countries_losing']} lose)"])
    out.append("<p><b>Stand-alone experiments</b></p>" + _table(
        ["experiment", "country", "welfare", "exports", "USD/yr"], exp_rows, {2, 3, 4}))
    notes = [ge["usd_basis"], *ge["notes"]]
    out.append("<p class='note'>" + "<br>".join(html.escape(n) for n in notes) + "</p>")
    return "".join(out)


def _ratification_section(res: AnalysisResult) -> str:
    rat = res.ratification
    if not rat:
        return ""
    if not rat["has_ratifiers"]:
        return "<p>The scenario names no domestic ratifiers: every package is ratifiable.</p>"
    parties = [p["id"] for p in res.parties]
    out = [_table(["party", "ratification rule", "win-set", "share of all packages"],
                  [[ws["party"], html.escape(ws["rule"]), "non-empty" if ws["nonempty"] else "EMPTY",
                    f"{ws['size']['share']:.1%} ({ws['size']['method']})"] for ws in rat["parties"]], {3})]
    rows = []
    for a in rat["agreements"]:
        un, ra = a["unconstrained"], a["ratified"]
        rows.append([html.escape(a["solution"]), *((money(un["utilities"][p]) if un else "—") for p in parties),
                     *((money(ra["utilities"][p]) if ra else "—") for p in parties),
                     html.escape("; ".join(f"{c['issue']}: {c['from_option']} → {c['to_option']}"
                                           for c in a["changes"])) or "same package"])
    out.append(_table(["prediction", *(f"{p} free" for p in parties), *(f"{p} ratified" for p in parties),
                       "changes ratification forces"], rows, {1, 2, 3, 4}))
    for c in rat["checks"]:
        rej = [(pv["party"], v) for pv in c["parties"] for v in pv["ratifiers"] if not v["accepts"]]
        verdict = "ratifiable" if c["ratifiable"] else "not ratifiable"
        items = "".join(
            f"<li>{html.escape(v['name'])} ({party}) rejects: short by {money(v['shortfall'])}"
            + (f"; would accept with its threshold lowered by {money(abs(v['threshold_change']))}"
               if v.get("threshold_change") is not None else "") + "</li>" for party, v in rej)
        out.append(f"<p><b>{html.escape(c['label'])}</b>: {verdict}.</p>" + (f"<ul>{items}</ul>" if items else ""))
    out += [f"<p class='note'>{html.escape(n)}</p>" for n in rat["notes"]]
    return "".join(out)


def _dynamics_section(res: AnalysisResult) -> str:
    if res.tournament is None:
        return ("<p class='note'>Run <code>tradetalks analyze --dynamics</code> to add simulated negotiations and the "
                "sensitivity analysis here (or use <code>tradetalks simulate</code>, <code>tournament</code>, "
                "<code>sensitivity</code>).</p>")
    parties = [p["id"] for p in res.parties]
    out = []
    sim = res.simulation
    if sim:
        how = "agreement" if sim["agreed"] else f"breakdown ({sim['end']})"
        out.append(f"<p>Simulated negotiation ({html.escape(', '.join(sim['strategies'].values()))}): {how} in round "
                   f"{sim['rounds']} on {sim['date']}, utilities "
                   + ", ".join(f"{p} {money(sim['utilities'][p])}" for p in parties)
                   + " (the offers are drawn on the frontier chart).</p>")
    t = res.tournament
    rows = [[html.escape(r["strategy"]), f"{r['agreement_rate']:.0%}", f"{r['mean_rounds']:.1f}",
             money(r["nash_distance"]), *(money(r[f"u_{p}_as_{p}"]) for p in parties)] for r in t["by_strategy"]]
    out.append(f"<p>Tournament: {t['n_negotiations']:,} negotiations of up to {t['rounds_limit']} rounds (seed "
               f"{t['seed']}).</p>" + _table(["strategy", "agreement", "mean rounds", "distance to Nash",
                                               *(f"utility as {p}" for p in parties)], rows, {1, 2, 3, 4, 5}))
    return "".join(out)


def tornado_figure(res: AnalysisResult) -> go.Figure | None:
    """Which weights and valuations move the Nash prediction most (± the tornado's perturbation)."""
    sens = res.sensitivity
    if not sens or not sens["tornado"]:
        return None
    rows = sens["tornado"][:20]
    labels = [("⚑ " if r["flips"] else "") + r["id"] for r in rows]
    fig = go.Figure()
    for k, p in enumerate(pt["id"] for pt in res.parties):
        fig.add_trace(go.Bar(y=labels, x=[r["swing"][p] / BN for r in rows], orientation="h", name=p,
                             marker_color=PARTY_COLOURS[k % 2]))
    fig.update_layout(barmode="group", height=max(420, 26 * len(rows)), yaxis={"autorange": "reversed"},
                      title=f"Tornado: Nash utility swing for ±{sens['delta']:.0%} (⚑ = the package changes)",
                      xaxis_title="swing, $bn/yr")
    return fig


def _sweep_table(res: AnalysisResult) -> str:
    sens = res.sensitivity
    if not sens or not sens.get("sweep"):
        return ""
    sw = sens["sweep"]
    rows = [[html.escape(i["issue"]), html.escape(i["base_option"]), f"{i['base_share']:.0%}"] for i in sw["issues"]]
    return (f"<p>Weight sweep: {sw['n_draws']:,} random weight vectors (log-normal, σ = {sw['sigma']}); the whole "
            f"Nash package survives in {sw['same_package_share']:.1%} of draws. Per issue:</p>"
            + _table(["issue", "Nash option", "share of draws keeping it"], rows, {2}))


def _table(headers: list[str], rows: list[list[Any]], num: set[int] | None = None) -> str:
    num = num or set()
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td class='num'>{c}</td>" if i in num else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _solutions_section(res: AnalysisResult) -> str:
    parties = [p["id"] for p in res.parties]
    rows = []
    for name, s in res.solutions.items():
        if s is None:
            rows.append([html.escape(name), "—", "—", "no package beats no deal for both sides"])
        else:
            rows.append([html.escape(name), *(money(s.utilities[p]) for p in parties),
                         html.escape(_hover(s.package, res.batna.package)).replace("&lt;br&gt;", "<br>")])
    if res.observed:
        o = res.observed
        rows.append(["observed deal", *(money(o.utilities[p]) for p in parties),
                     html.escape(_hover(o.package, res.batna.package)).replace("&lt;br&gt;", "<br>")])
    z = res.zopa
    zs = (f"<p>ZOPA: <b>{z.count:,}</b> of {z.total_packages:,} packages are better than no deal for both sides "
          f"({z.method}).</p>" if z.method == "exact" else
          f"<p>ZOPA: about <b>{z.count:,.0f}</b> (95% CI {z.ci95[0] if z.ci95 else 0:,.0f}–"
          f"{z.ci95[1] if z.ci95 else 0:,.0f}) of {z.total_packages:,} packages ({z.method}).</p>")
    return _table(["solution", *parties, "package (changes from no deal)"], rows, {1, 2}) + zs


def _observed_section(res: AnalysisResult) -> str:
    o = res.observed
    if o is None:
        return "<p>No observed outcome file.</p>"
    parties = [p["id"] for p in res.parties]
    text = (f"<p>{html.escape(o.title)} ({o.date}). Utilities: "
            + ", ".join(f"{p} {money(o.utilities[p])}" for p in parties) + ". "
            + ("It lies on the Pareto frontier." if o.on_frontier else
               f"It lies inside the frontier: both sides could each gain {money(o.distance_to_frontier)} a year, "
               f"and up to {money(o.left_on_table)} a year in total is left on the table.") + "</p>")
    if o.changes:
        text += "<p>Best Pareto improvement (Nash bargain from the real deal):</p>" + _table(
            ["issue", "real deal", "change to"], [[html.escape(c.issue), html.escape(c.from_option),
                                                   html.escape(c.to_option)] for c in o.changes])
    return text


def _improvements_table(res: AnalysisResult) -> str:
    if not res.improvements:
        return ""
    parties = [p["id"] for p in res.parties]
    rows = []
    for rule, imp in res.improvements.items():
        gains = imp.get("gains")
        changes = "; ".join(f"{c['issue_name']}: {c['from_label']} → {c['to_label']}" for c in imp["changes"])
        rows.append([html.escape(rule), *((f"+{money(gains[p])}" if gains else "—") for p in parties),
                     html.escape(changes) or "on the frontier"])
    return "<p>Pareto improvements of the real deal under each fairness rule:</p>" + _table(
        ["rule", *(f"gain {p}" for p in parties), "changes to make"], rows, {1, 2})


def _sources_section(res: AnalysisResult) -> str:
    rows = []
    for s in res.sources:
        tag = "<span class='flag'>assumption</span>" if s.assumption else "<span class='src'>source</span>"
        ov = f" (overridden; was {s.original_value:g})" if s.overridden else ""
        rows.append([html.escape(s.id), f"{s.value:,.6g}{ov}", html.escape(s.unit), tag,
                     html.escape(s.assumption or s.source or "")])
    return _table(["fact", "value", "unit", "kind", "source or assumption"], rows, {1})


def render_report(res: AnalysisResult) -> str:
    """The whole report as one HTML string (about 4.5 MB with plotly.js embedded)."""
    sc = res.scenario
    figs = [("frontier", frontier_figure(res)), ("stakes", stakes_figure(res)), ("linkage", linkage_figure(res)),
            ("timeline", timeline_figure(res)), ("replay", replay_figure(res)), ("tornado", tornado_figure(res))]
    fig_html = {k: _fig_html(f, f"fig-{k}") if f is not None else "" for k, f in figs}
    lk = "".join(f"<p>{html.escape(x.name)}: joint Nash gain changes by {money(x.surplus['joint'])} a year when "
                 f"the linked issues are on the table.</p>" for x in res.linkage)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>tradetalks — {html.escape(sc['title'])}</title><style>{CSS}</style>",
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body><main>",
        f"<h1>{html.escape(sc['title'])}</h1><p class='lead'>{html.escape(sc['description'])}</p>",
        f"<p class='note'>As of {sc['as_of']}. Economics: {res.econ_model}. Utilities: "
        f"{html.escape(res.units['utilities'])}. {res.frontier.n_packages:,} packages; "
        f"{res.frontier.n_points} on the frontier. tradetalks {res.tradetalks_version}.</p>",
        "<h2>Frontier and solutions</h2>", fig_html["frontier"], _solutions_section(res),
        "<h2>The real deal against the model</h2>", _observed_section(res), _improvements_table(res),
        "<h2>What is at stake</h2>", fig_html["stakes"],
        "<h2>Partial versus general equilibrium</h2>", _ge_section(res),
        "<h2>Linkage</h2>", lk, fig_html["linkage"],
        "<h2>Two-level game: ratification at home</h2>", _ratification_section(res),
        "<h2>Simulated negotiations</h2>", _dynamics_section(res),
        "<h2>Sensitivity</h2>", fig_html["tornado"], _sweep_table(res),
        "<h2>Timeline</h2>", fig_html["timeline"], fig_html["replay"],
        _replay_table(res) if res.replay else "",
        "<h2>Sources and assumptions</h2>", _sources_section(res),
        "</main></body></html>",
    ]
    return "".join(parts)
