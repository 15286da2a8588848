"""The HTML report: one self-contained, offline file (plotly.js embedded once, no CDN, no web fonts).

A view of an :class:`~tradetalks.studies.analyze_results.AnalysisResult`: it formats and plots numbers, it computes
none.
Sections: the frontier with the BATNA, solutions and the observed deal; the stakes per issue and option for both
sides; the linkage comparison; the timeline; the sources and assumptions.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from tradetalks.report.terminal import money, option_label
from tradetalks.studies.analyze_results import AnalysisResult

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
    p0, p1 = res.party_ids
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
    if rat is None or not rat.has_ratifiers:
        return
    pts = sorted(rat.overlap.frontier or [])
    if pts:
        fig.add_trace(go.Scatter(x=[a / BN for a, _ in pts], y=[b / BN for _, b in pts], mode="lines",
                                 line={"shape": "vh", "color": "#8e44ad", "dash": "dash"},
                                 name="Frontier of packages both can ratify (win-set overlap)"))
    p0, p1 = res.party_ids
    for ws in rat.parties:
        other = ws.best_for_other
        if other:
            fig.add_trace(go.Scatter(x=[other.utilities[p0] / BN], y=[other.utilities[p1] / BN],
                                     mode="markers",
                                     marker={"symbol": "line-ns-open", "size": 16, "line": {"width": 3}},
                                     name=f"Edge of {ws.party}'s win-set (most it can concede)"))


def _add_simulation_path(fig: go.Figure, res: AnalysisResult) -> None:
    sim = res.simulation
    if sim is None or not sim.offers:
        return
    p0, p1 = res.party_ids
    offers = [(o, o.utilities) for o in sim.offers if o.utilities]
    fig.add_trace(go.Scatter(x=[u[p0] / BN for _, u in offers], y=[u[p1] / BN for _, u in offers],
                             mode="lines+markers", line={"color": "#16a085", "width": 1},
                             marker={"size": 6, "color": "#16a085"},
                             text=[f"round {o.round} ({o.date}), {o.proposer} offers" for o, _ in offers],
                             hovertemplate="%{text}<br>%{x:.2f}, %{y:.2f} $bn/yr<extra></extra>",
                             name=f"Simulated offers ({', '.join(sim.strategies.values())})"))


def stakes_figure(res: AnalysisResult) -> go.Figure:
    """Each option's utility to both sides (other issues at the BATNA), grouped by issue."""
    labels: list[str] = []
    vals: dict[str, list[float]] = {p: [] for p in res.party_ids}
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
    p0, p1 = res.party_ids
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
    for k, p in enumerate(res.party_ids):
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


def tornado_figure(res: AnalysisResult) -> go.Figure | None:
    """Which weights and valuations move the Nash prediction most (± the tornado's perturbation)."""
    sens = res.sensitivity
    if sens is None or not sens.tornado:
        return None
    rows = sens.tornado[:20]
    labels = [("⚑ " if r.flips else "") + r.id for r in rows]
    fig = go.Figure()
    for k, p in enumerate(res.party_ids):
        fig.add_trace(go.Bar(y=labels, x=[r.swing[p] / BN for r in rows], orientation="h", name=p,
                             marker_color=PARTY_COLOURS[k % 2]))
    fig.update_layout(barmode="group", height=max(420, 26 * len(rows)), yaxis={"autorange": "reversed"},
                      title=f"Tornado: Nash utility swing for ±{sens.delta:.0%} (⚑ = the package changes)",
                      xaxis_title="swing, $bn/yr")
    return fig



def _package_lines(package: dict[str, str], batna: dict[str, str]) -> list[str]:
    return _hover(package, batna).split("<br>")


def _replay_view(res: AnalysisResult) -> dict[str, Any] | None:
    if not res.replay:
        return None
    parties = res.party_ids
    rows = [[s.date, s.label, s.kind, "yes" if s.zopa_nonempty else "no", f"{s.zopa_count:,}",
             *(money(s.nash_utilities[p]) if s.nash_utilities else "—" for p in parties),
             *(money(s.stood_utilities[p]) for p in parties)] for s in res.replay]
    return {"headers": ["date", "event", "kind", "ZOPA", "packages in ZOPA", *(f"Nash {p}" for p in parties),
                        *(f"stood {p}" for p in parties)], "rows": rows}


def _ge_view(res: AnalysisResult) -> dict[str, Any] | None:
    """PE payoffs beside the general-equilibrium second opinion, with the generated explanations."""
    ge = res.ge_opinion
    if ge is None:
        return None
    parties = res.party_ids
    rows = []
    for pk in ge.packages:
        by = {c.party: c for c in pk.comparison}
        rows.append([pk.name, *(cell for p in parties for cell in (
            money(by[p].pe_payoff), f"{by[p].ge_welfare:+.3f} % ({money(by[p].ge_usd)})"))])
    experiments = []
    for ex in ge.experiments:
        for pt in ex.parties:
            experiments.append([ex.description, pt.country, f"{pt.welfare:+.3f} %", f"{pt.exports:+.2f} %",
                                money(pt.usd)])
        experiments.append([ex.description, "third countries", "", "",
                            f"{money(ex.third_countries_usd)} ({ex.third_countries_losing} lose)"])
    return {"headers": ["package (tariff levers only)",
                        *(h for p in parties for h in (f"{p} PE payoff", f"{p} GE welfare"))],
            "rows": rows, "num": tuple(range(1, 1 + 2 * len(parties))),
            "why": [{"name": pk.name, "points": list(pk.differences)} for pk in ge.packages
                    if pk.name in ("observed", "nash")],
            "experiments": experiments, "notes": [ge.usd_basis, *ge.notes]}


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


def _sweep_view(res: AnalysisResult) -> dict[str, Any] | None:
    sens = res.sensitivity
    if sens is None or sens.sweep is None:
        return None
    sw = sens.sweep
    return {"intro": f"Weight sweep: {sw.n_draws:,} random weight vectors (log-normal, σ = {sw.sigma}); the "
                     f"whole Nash package survives in {sw.same_package_share:.1%} of draws. Per issue:",
            "rows": [[i.issue, i.base_option, f"{i.base_share:.0%}"] for i in sw.issues]}


def _solutions_view(res: AnalysisResult) -> dict[str, Any]:
    parties = res.party_ids
    rows: list[list[Any]] = []
    for name, s in res.solutions.items():
        if s is None:
            rows.append([name, "—", "—", "no package beats no deal for both sides"])
        else:
            rows.append([name, *(money(s.utilities[p]) for p in parties),
                         _package_lines(s.package, res.batna.package)])
    if res.observed:
        o = res.observed
        rows.append(["observed deal", *(money(o.utilities[p]) for p in parties),
                     _package_lines(o.package, res.batna.package)])
    return {"headers": ["solution", *parties, "package (changes from no deal)"], "rows": rows}


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
    return {"text": text, "changes": [[c.issue, c.from_option, c.to_option] for c in o.changes]}


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
             "value": f"{s.value:,.6g}" + (f" (overridden; was {s.original_value:g})" if s.overridden else "")}
            for s in res.sources]


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """The template environment (autoescaping every value; templates ship with the package)."""
    return Environment(loader=PackageLoader("tradetalks.report", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_report(res: AnalysisResult) -> str:
    """The whole report as one HTML string (about 4.5 MB with plotly.js embedded).

    Every value reaches the page through a Jinja2 template with autoescaping; only the plotly.js bundle, the
    stylesheet and the chart fragments plotly writes are inserted as markup.
    """
    sc = res.scenario
    figs = [("frontier", frontier_figure(res)), ("stakes", stakes_figure(res)), ("linkage", linkage_figure(res)),
            ("timeline", timeline_figure(res)), ("replay", replay_figure(res)), ("tornado", tornado_figure(res))]
    fig_html = {k: Markup(_fig_html(f, f"fig-{k}")) if f is not None else "" for k, f in figs}
    linkage = [f"{x.name}: joint Nash gain changes by {money(x.surplus['joint'])} a year when the linked issues are "
               f"on the table." for x in res.linkage]
    return _environment().get_template("report.html").render(
        sc=sc, css=Markup(CSS), plotlyjs=Markup(get_plotlyjs()), econ_model=res.econ_model,
        units=res.units["utilities"], n_packages=f"{res.frontier.n_packages:,}", n_frontier=res.frontier.n_points,
        version=res.tradetalks_version, figs=fig_html, solutions=_solutions_view(res), zopa=_zopa_text(res),
        observed=_observed_view(res), improvements=_improvements_view(res), ge=_ge_view(res), linkage=linkage,
        ratification=_ratification_view(res), dynamics=_dynamics_view(res), sweep=_sweep_view(res),
        replay=_replay_view(res), sources=_sources_view(res))
