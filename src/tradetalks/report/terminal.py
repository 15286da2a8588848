"""Terminal summary (rich) of an :class:`~tradetalks.studies.analyze_results.AnalysisResult`: a view, no
computation."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradetalks.report.format import money, option_label
from tradetalks.studies.analyze_results import AnalysisResult


def _changed(package: dict[str, str], batna: dict[str, str]) -> str:
    diff = [f"{i}={o}" for i, o in package.items() if batna.get(i) != o]
    return ", ".join(diff) if diff else "(no deal)"


def print_summary(res: AnalysisResult, console: Console) -> None:
    """Print the headline tables: stakes, solutions, ZOPA, linkage, observed deal."""
    parties = res.party_ids
    sc = res.scenario
    console.print(f"[bold]{escape(sc.title)}[/bold] (as of {sc.as_of}; economics: {res.econ_model})")
    console.print(f"{len(res.issues)} issues, {res.frontier.n_packages:,} packages, "
                  f"{res.frontier.n_points} on the Pareto frontier. Utilities: {res.units['utilities']}.")
    _stakes(res, console, parties)
    _solutions(res, console, parties)
    z = res.zopa
    count = f"{z.count:,}" if z.method == "exact" else \
        f"≈{z.count:,.0f} (95% CI {z.ci95[0]:,.0f}–{z.ci95[1]:,.0f})" if z.ci95 else f"≈{z.count:,.0f}"
    console.print(f"ZOPA: {count} of {z.total_packages:,} packages are better than no deal for both sides"
                  f" ({z.method}).")
    for lk in res.linkage:
        console.print(f"Linkage '{lk.name}': Nash joint gain changes by {money(lk.surplus['joint'])} ("
                      + ", ".join(f"{p} {money(lk.surplus[p])}" for p in parties) + ")"
                      + (" — linkage makes an empty ZOPA non-empty." if lk.turns_empty_zopa_nonempty else "."))
    if res.observed is not None:
        _observed(res, console, parties)
    if res.ge_opinion is not None:
        _ge(res, console, parties)


def _ge(res: AnalysisResult, console: Console, parties: list[str]) -> None:
    ge = res.ge_opinion
    assert ge is not None
    t = Table(title="Tariff levers: partial equilibrium vs general equilibrium (structural gravity, "
                    f"{ge.year} data, σ = {ge.sigma:g})")
    t.add_column("package")
    for p in parties:
        t.add_column(f"{p} PE", justify="right")
        t.add_column(f"{p} GE", justify="right")
    for pk in ge.packages:
        if pk.name in ("batna",):
            continue
        by = {c.party: c for c in pk.comparison}
        t.add_row(pk.name, *(cell for p in parties for cell in (
            money(by[p].pe_payoff), f"{by[p].ge_welfare:+.3f} %")))
    console.print(t)
    obs = next((pk for pk in ge.packages if pk.name == "observed"), None)
    if obs is not None:
        for line in obs.differences:
            console.print(f"  • {line}", highlight=False)


def _stakes(res: AnalysisResult, console: Console, parties: list[str]) -> None:
    t = Table(title="What is at stake (each option vs no deal, other issues at no deal)", show_lines=False)
    t.add_column("issue")
    t.add_column("option")
    for p in parties:
        t.add_column(p, justify="right")
    for iss in res.issues:
        for k, op in enumerate(iss.options):
            t.add_row(iss.name if k == 0 else "", option_label(op), *(money(op.utilities[p]) for p in parties))
    console.print(t)
    console.print("† not possible alone: a constraint of the scenario ties it to another issue's option "
                  "(its value is shown with the other issues at no deal)")


def _solutions(res: AnalysisResult, console: Console, parties: list[str]) -> None:
    t = Table(title="Bargaining solutions (utility gain over no deal)")
    t.add_column("solution")
    for p in parties:
        t.add_column(p, justify="right")
    t.add_column("package (changes from no deal)")
    for name, s in res.solutions.items():
        if s is None:
            t.add_row(name, "—", "—", "no package is better than no deal for both")
        else:
            t.add_row(name, *(money(s.utilities[p]) for p in parties), _changed(s.package, res.batna.package))
    if res.observed is not None:
        o = res.observed
        t.add_row("observed deal", *(money(o.utilities[p]) for p in parties), _changed(o.package, res.batna.package))
    console.print(t)


def _observed(res: AnalysisResult, console: Console, parties: list[str]) -> None:
    o = res.observed
    assert o is not None
    where = "on the Pareto frontier" if o.on_frontier else (
        f"inside the frontier: both sides could each gain {money(o.distance_to_frontier)} more; "
        f"up to {money(o.left_on_table)} a year left on the table")
    console.print(f"Observed deal ({o.date}): {where}.")
    if o.changes:
        console.print("  Best Pareto improvement: " + "; ".join(f"{c.issue}: {c.from_option} → {c.to_option}"
                                                               for c in o.changes))


def _pair_bn(u: dict[str, float] | None, parties: list[str]) -> str:
    return "—" if u is None else " / ".join(f"{u[p] / 1e9:,.1f}" for p in parties)


def print_replay(steps: list[Any], parties: list[str], console: Console) -> None:
    """Table of the replay: each date's no-deal outcome, ZOPA, Nash prediction and what really stood."""
    both = "/".join(parties)
    t = Table(title=f"Replay of the timeline ({both} utilities, $bn/yr, vs the scenario's BATNA)")
    t.add_column("date", no_wrap=True)
    t.add_column("event", max_width=34, overflow="ellipsis", no_wrap=True)
    t.add_column("ZOPA", justify="right", no_wrap=True)
    for col in ("no deal", "Nash", "stood"):
        t.add_column(col, justify="right", no_wrap=True)
    for s in steps:
        t.add_row(s.date, s.label, f"{s.zopa_count:,}" if s.zopa_nonempty else "empty",
                  _pair_bn(s.batna_utilities, parties), _pair_bn(s.nash_utilities, parties),
                  _pair_bn(s.stood_utilities, parties) + (" *" if s.stood_is_agreement else ""))
    console.print(t)
    console.print("* an agreement had been reached by this date")


def print_improvements(results: list[Any], console: Console) -> None:
    """Each rule's Pareto improvement of a deal: gains and the package changes to make."""
    for r in results:
        parties = list(r.deal_utilities)
        console.print(f"[bold]{r.rule}[/bold]: deal ({r.deal_source}) at "
                      + ", ".join(f"{p} {money(r.deal_utilities[p])}" for p in parties))
        if r.gains is None:
            console.print("  on the Pareto frontier: no change makes both sides better off.")
            continue
        console.print("  gains: " + ", ".join(f"{p} +{money(r.gains[p])}" for p in parties))
        t = Table(show_header=True)
        for col in ("issue", "from", "to"):
            t.add_column(col)
        for c in r.changes:
            t.add_row(c.issue_name, c.from_label, c.to_label)
        console.print(t)
        if r.losers:
            console.print("  stakeholders who lose: " + ", ".join(f"{s.name} ({money(s.change)})" for s in r.losers))


def print_frame(df: Any, title: str, console: Console) -> None:
    """A pandas table as a rich table (numbers to 3 significant digits)."""
    t = Table(title=title)
    for col in df.columns:
        t.add_column(str(col), justify="right" if df[col].dtype.kind in "fiu" else "left")
    for row in df.itertuples(index=False):
        t.add_row(*(f"{v:,.3g}" if isinstance(v, float) else str(v) for v in row))
    console.print(t)


def print_simulation(res: Any, console: Console) -> None:
    """One simulated negotiation: outcome, utilities, distance to Nash and the offers."""
    p0, p1 = res.parties
    how = "agreement" if res.agreed else f"breakdown ({res.end.replace('_', ' ')})"
    console.print(f"[bold]{res.strategies[p0]}[/bold] ({p0}) vs [bold]{res.strategies[p1]}[/bold] ({p1}), "
                  f"{res.first_proposer} first: {how} in round {res.rounds} on {res.date}.")
    console.print("  utilities: " + ", ".join(f"{p} {money(res.utilities[p])}" for p in res.parties)
                  + "; no deal then: " + ", ".join(f"{p} {money(res.batna[p])}" for p in res.parties)
                  + (f"; distance to Nash {money(res.nash_distance)}" if res.nash_distance is not None else ""))
    if res.offers:
        frame = res.to_frame().drop(columns=["package"], errors="ignore")
        for col in [c for c in frame.columns if str(c).startswith("u_")]:
            frame[col] = frame[col].map(money)
        print_frame(frame, "Offers (utilities against the scenario's BATNA)", console)
    for note in res.notes:
        console.print(f"  note: {note}")


def print_tournament(by_strategy: Any, console: Console) -> None:
    """Per-strategy tournament table, money columns in $."""
    frame = by_strategy.copy()
    for col in [c for c in frame.columns if str(c).startswith("u_") or "distance" in str(c)]:
        frame[col] = frame[col].map(money)
    print_frame(frame, "Tournament: per strategy over both roles (utilities against the scenario's BATNA)", console)


def print_ratification(rat: dict[str, Any], console: Console) -> None:
    """Win-sets, predictions with and without ratification, and who rejects the checked packages."""
    if not rat["has_ratifiers"]:
        console.print("The scenario names no domestic ratifiers: every package is ratifiable.")
        return
    for ws in rat["parties"]:
        size = ws["size"]
        console.print(f"[bold]{ws['party']}[/bold] win-set {'non-empty' if ws['nonempty'] else 'EMPTY'}: "
                      f"{size['share']:.1%} of packages ({size['method']}). Rule: {ws['rule']}")
    ov = rat["overlap"]
    console.print(f"Overlap: {'non-empty' if ov['nonempty'] else 'EMPTY'}; better than no deal for both: "
                  f"{ov['zopa_size']['count']:,} packages ({ov['zopa_size']['method']}).")
    for a in rat["agreements"]:
        un, ra = a["unconstrained"], a["ratified"]
        fmt = lambda v: "—" if v is None else ", ".join(f"{p} {money(u)}" for p, u in v["utilities"].items())  # noqa: E731
        console.print(f"{a['solution']}: free {fmt(un)}; under ratification {fmt(ra)}"
                      + (f"; changes: {', '.join(c['issue'] for c in a['changes'])}" if a["changes"] else ""))
    for c in rat["checks"]:
        console.print(f"[bold]{c['label']}[/bold]: {'ratifiable' if c['ratifiable'] else 'NOT ratifiable'}")
        for pv in c["parties"]:
            for v in pv["ratifiers"]:
                if not v["accepts"]:
                    extra = (f"; accepts if its threshold is lowered by {money(abs(v['threshold_change']))}"
                             if v.get("threshold_change") is not None else "")
                    console.print(f"  {v['name']} ({pv['party']}) rejects, short by {money(v['shortfall'])}{extra}")
    for note in rat["notes"]:
        console.print(f"  note: {note}")


def print_sensitivity(sens: dict[str, Any], frame: Any, console: Console) -> None:
    """Tornado table (largest swing first) and the weight sweep's robustness per issue."""
    shown = frame.head(25).copy()
    for col in [c for c in shown.columns if str(c).startswith("swing_")]:
        shown[col] = shown[col].map(money)
    shown = shown.drop(columns=["label"], errors="ignore")
    print_frame(shown, f"Tornado: the Nash prediction under ±{sens['delta']:.0%} (top 25 by swing)", console)
    sw = sens.get("sweep")
    if sw:
        console.print(f"Weight sweep: {sw['n_draws']:,} draws in {sw['seconds']:.1f} s; the whole Nash package "
                      f"survives in {sw['same_package_share']:.1%} of draws.")
        t = Table(title="Share of draws keeping each issue's Nash option")
        for col in ("issue", "Nash option", "share"):
            t.add_column(col)
        for i in sw["issues"]:
            t.add_row(i["issue"], i["base_option"], f"{i['base_share']:.0%}")
        console.print(t)
