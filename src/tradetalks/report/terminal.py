"""Terminal summary (rich) of an :class:`~tradetalks.studies.analyze_results.AnalysisResult`: a view, no
computation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradetalks.report.format import Labels, count_with_interval, money, option_label, quantity
from tradetalks.report.how_sure import readable_headline
from tradetalks.studies.analyze_results import AnalysisResult

if TYPE_CHECKING:  # only in annotations: plain `tradetalks analyze` does not import the module
    from tradetalks.studies.compare import ResultDiff


def _package_cell(package: dict[str, str], batna: dict[str, str], labels: Labels) -> str:
    """Every issue settled differently from no deal, one per line, by label (none hidden)."""
    return escape("\n".join(labels.changes(package, batna))) or "(no deal)"


def print_summary(res: AnalysisResult, console: Console) -> None:
    """Print the headline tables: stakes, solutions, ZOPA, linkage, the real deal, and what --dynamics added."""
    parties = res.party_ids
    sc = res.scenario
    console.print(f"[bold]{escape(sc.title)}[/bold] (as of {sc.as_of}; economics: {res.econ_model})")
    console.print(f"{len(res.issues)} issues, {res.frontier.n_packages:,} packages, "
                  f"{res.frontier.n_points} on the Pareto frontier. Utilities: {res.units['utilities']}.")
    _stakes(res, console, parties)
    _solutions(res, console, parties)
    if res.uncertainty is not None:  # how robust the headline is, in one sentence, right under it
        console.print(f"[bold]How sure:[/bold] {escape(readable_headline(res.uncertainty))}")
    z = res.zopa
    count = count_with_interval(z.count, z.ci95, exact=z.method == "exact")
    console.print(f"ZOPA: {count} of {z.total_packages:,} packages are better than no deal for both sides"
                  f" ({z.method}).")
    for lk in res.linkage:
        console.print(f"Linkage '{escape(lk.name)}': Nash joint gain changes by {money(lk.surplus['joint'])} ("
                      + ", ".join(f"{p} {money(lk.surplus[p])}" for p in parties) + ")"
                      + (" — linkage makes an empty ZOPA non-empty." if lk.turns_empty_zopa_nonempty else "."))
    if res.observed is not None:
        _observed(res, console, parties)
    else:
        console.print("No observed-outcome file: the real deal is not compared with the model (add `observed: FILE` "
                      "to the scenario or pass --observed FILE).")
    if res.ge_opinion is not None:
        _ge(res, console, parties)
    if res.simulation is not None:
        print_simulation(res.simulation, console, labels=Labels.from_issues(res.issues), offers=False)
    if res.tournament is not None:
        print_tournament(res.tournament.by_strategy(), console)
    if res.sensitivity is not None:
        print_sensitivity(res.sensitivity, console, top=10)


def print_diff(diff: ResultDiff, labels: Labels, console: Console) -> None:
    """What ``--set`` changed: the inputs, then how the headline results moved against the unmodified scenario."""
    t = Table(title="Changed inputs (--set)")
    for col in ("fact", "was", "now"):
        t.add_column(col)
    for c in diff.inputs:
        t.add_row(c.id, quantity(c.before, c.unit), quantity(c.after, c.unit))
    console.print(t)
    if not diff.anything_moved:
        console.print("Nothing in the headline results moved.")
        return
    r = Table(title="What moved against the unmodified scenario (USD/yr, weighted)")
    for col in ("result", "before", "after", "package changes"):
        r.add_column(col)
    for s in diff.solutions:
        def pair(u: dict[str, float] | None) -> str:
            return "none" if u is None else ", ".join(f"{p} {money(v)}" for p, v in u.items())
        moves = "\n".join(f"{labels.issue(m.issue)}: {labels.option(m.issue, m.before) if m.before else '—'} → "
                          f"{labels.option(m.issue, m.after) if m.after else '—'}" for m in s.moves)
        r.add_row(s.name, pair(s.before), pair(s.after), escape(moves) or "same package")
    r.add_row("ZOPA (packages)", f"{diff.zopa[0]:,.0f}", f"{diff.zopa[1]:,.0f}", "")
    if diff.observed is not None:
        b, a = diff.observed
        r.add_row("real deal", ", ".join(f"{p} {money(v)}" for p, v in b.items()),
                  ", ".join(f"{p} {money(v)}" for p, v in a.items()), "")
    console.print(r)


def _ge(res: AnalysisResult, console: Console, parties: list[str]) -> None:
    ge = res.ge_opinion
    assert ge is not None
    ms = ge.multisector
    t = Table(title="Tariff levers: partial equilibrium vs general equilibrium (structural gravity, "
                    f"{ge.year} data, σ = {ge.sigma:g}"
                    + (f"; 40 sectors: Caliendo & Parro, {ms.base_year}" if ms else "") + ")")
    t.add_column("package")
    for p in parties:
        t.add_column(f"{p} PE", justify="right")
        t.add_column(f"{p} GE 1-sector", justify="right")
        if ms:
            t.add_column(f"{p} GE 40-sector", justify="right")
    for pk in ge.packages:
        if pk.name in ("batna",):
            continue
        by = {c.party: c for c in pk.comparison}
        t.add_row(pk.name, *(cell for p in parties for cell in (
            money(by[p].pe_payoff), f"{by[p].ge_welfare:+.3f} %",
            *([] if not ms else ["—" if by[p].ge_multisector_welfare is None
                                 else f"{by[p].ge_multisector_welfare:+.3f} %"]))))
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
            t.add_row(escape(iss.name) if k == 0 else "", escape(option_label(op)),
                      *(money(op.utilities[p]) for p in parties))
    console.print(t)
    console.print("† not possible alone: a constraint of the scenario ties it to another issue's option "
                  "(its value is shown with the other issues at no deal)")


def _solutions(res: AnalysisResult, console: Console, parties: list[str]) -> None:
    t = Table(title="Bargaining solutions (utility gain over no deal)")
    t.add_column("solution")
    for p in parties:
        t.add_column(p, justify="right")
    t.add_column("package (every issue settled differently from no deal)")
    labels = Labels.from_issues(res.issues)
    for name, s in res.solutions.items():
        if s is None:
            t.add_row(name, "—", "—", "no package is better than no deal for both")
        else:
            label = name if s.powers is None else f"{name} (powers {'/'.join(f'{s.powers[p]:.2f}' for p in parties)})"
            t.add_row(label, *(money(s.utilities[p]) for p in parties),
                      _package_cell(s.package, res.batna.package, labels), end_section=True)
    if res.observed is not None:
        o = res.observed
        t.add_row(f"real deal (vs no deal of {res.scenario.as_of})", *(money(o.utilities[p]) for p in parties),
                  _package_cell(o.package, res.batna.package, labels), end_section=True)
        for view in (o.vs_dated_batna, o.vs_latest):
            if view is not None and view.utilities != o.utilities:
                t.add_row(f"real deal (vs no deal of {view.date})", *(money(view.utilities[p]) for p in parties),
                          _package_cell(view.package, view.batna_package, labels), end_section=True)
    console.print(t)


def _observed(res: AnalysisResult, console: Console, parties: list[str]) -> None:
    o = res.observed
    assert o is not None
    where = "on the Pareto frontier" if o.on_frontier else (
        f"inside the frontier: both sides could each gain {money(o.distance_to_frontier)} more; "
        f"up to {money(o.left_on_table)} a year left on the table")
    console.print(f"Real deal ({o.date}): {where}.")
    labels = Labels.from_issues(res.issues)
    for view in (o.vs_dated_batna, o.vs_latest):
        if view is not None and view.utilities != o.utilities:
            moved = ", ".join(f"{labels.issue(i)} → {labels.option(i, op)}" for i, op in view.batna_changes.items()) \
                or "no option changes"
            revised = ", ".join(f"{f} = {v:g}" for f, v in view.facts_revised.items()) or "none"
            console.print(escape(f"  Against the no-deal path of {view.date} ({moved}; facts revised: {revised}): "
                                 + ", ".join(f"{p} {money(view.utilities[p])}" for p in parties) + "."))
    if o.changes:
        console.print("  Best Pareto improvement: " + escape("; ".join(
            f"{labels.issue(c.issue)}: {labels.option(c.issue, c.from_option)} → {labels.option(c.issue, c.to_option)}"
            for c in o.changes)))


def _pair_bn(u: dict[str, float] | None, parties: list[str]) -> str:
    return "—" if u is None else " / ".join(f"{u[p] / 1e9:,.1f}" for p in parties)


def print_replay(steps: list[Any], parties: list[str], console: Console) -> None:
    """Table of the replay: each date's no-deal outcome, ZOPA, Nash prediction and what really stood."""
    both = "/".join(parties)
    t = Table(title=f"Replay of the timeline ({both} utilities, $bn/yr, vs the scenario's BATNA)")
    t.add_column("date", no_wrap=True)
    t.add_column("event", ratio=1, overflow="fold")
    t.add_column("ZOPA (packages)", justify="right", no_wrap=True)
    for col in ("no deal", "Nash", "stood"):
        t.add_column(col, justify="right", no_wrap=True)
    for s in steps:
        zopa = "empty" if not s.zopa_nonempty else "non-empty" if s.zopa_count is None else \
            quantity(s.zopa_count, "packages")
        t.add_row(s.date, escape(s.label), zopa,
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
            t.add_row(escape(c.issue_name), escape(c.from_label), escape(c.to_label))
        console.print(t)
        if r.losers:
            lose = Table(title="Stakeholders who lose (USD/yr, unweighted)")
            for col in ("stakeholder", "party", "change"):
                lose.add_column(col, justify="right" if col == "change" else "left")
            for st in r.losers:
                lose.add_row(escape(st.name), st.party, money(st.change))
            console.print(lose)


def print_frame(df: Any, title: str, console: Console) -> None:
    """A pandas table as a rich table (numbers to 3 significant digits)."""
    t = Table(title=title)
    for col in df.columns:
        t.add_column(str(col), justify="right" if df[col].dtype.kind in "fiu" else "left")
    for row in df.itertuples(index=False):
        t.add_row(*(f"{v:,.3g}" if isinstance(v, float) else str(v) for v in row))
    console.print(t)


def print_simulation(res: Any, console: Console, *, labels: Labels | None = None, offers: bool = True) -> None:
    """One simulated negotiation: outcome, the agreed package (by label), utilities, distance to Nash, the offers."""
    p0, p1 = res.parties
    how = "agreement" if res.agreed else f"breakdown ({res.end.replace('_', ' ')})"
    console.print(f"Simulated negotiation: [bold]{res.strategies[p0]}[/bold] ({p0}) vs "
                  f"[bold]{res.strategies[p1]}[/bold] ({p1}), {res.first_proposer} first: {how} in round "
                  f"{res.rounds} on {res.date}.")
    console.print("  utilities: " + ", ".join(f"{p} {money(res.utilities[p])}" for p in res.parties)
                  + "; no deal then: " + ", ".join(f"{p} {money(res.batna[p])}" for p in res.parties)
                  + (f"; distance to Nash {money(res.nash_distance)}" if res.nash_distance is not None else ""))
    if labels is not None:
        what = "agreed package" if res.agreed else "no-deal package in force"
        changed = [f"{labels.issue(i)}: {labels.option(i, o)}" for i, o in res.package.items()]
        console.print(f"  {what}: " + escape("; ".join(changed)))
    if offers and res.offers:
        frame = res.to_frame().drop(columns=["package"], errors="ignore")
        for col in [c for c in frame.columns if str(c).startswith("u_")]:
            frame[col] = frame[col].map(money)
        if "accepted" in frame.columns:
            frame["accepted"] = frame["accepted"].map(lambda v: "yes" if v else "no")
        frame = frame.rename(columns={c: f"utility {str(c)[2:]}" for c in frame.columns if str(c).startswith("u_")})
        print_frame(frame, "Offers (utilities against the scenario's BATNA)", console)
    for note in res.notes:
        console.print(f"  note: {escape(note)}")


_TOURNAMENT_HEADERS = {"strategy": "strategy", "agreement_rate": "agreements", "mean_rounds": "mean rounds",
                       "nash_distance": "distance to Nash"}


def print_tournament(by_strategy: Any, console: Console) -> None:
    """Per-strategy tournament table: money in $, rates in %, headers in words."""
    frame = by_strategy.copy()
    for col in [c for c in frame.columns if str(c).startswith("u_") or "distance" in str(c)]:
        frame[col] = frame[col].map(money)
    for col in [c for c in frame.columns if str(c).endswith("_rate")]:
        frame[col] = frame[col].map(lambda v: f"{v:.0%}")
    names = {c: _TOURNAMENT_HEADERS.get(str(c), str(c).replace("u_", "utility ").replace("_as_", " as ")
                                        .replace("_", " ")) for c in frame.columns}
    print_frame(frame.rename(columns=names), "Tournament: per strategy over both roles (utilities against the "
                "scenario's BATNA)", console)


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


def print_sensitivity(sens: Any, console: Console, *, top: int = 25, labels: Labels | None = None) -> None:
    """Tornado table (largest swing first, parameters by name with their unit) and the weight sweep per issue."""
    t = Table(title=f"Tornado: the Nash point under ±{sens.delta:.0%} of each parameter (top {top} by swing; "
                    "⚑ = the package changes)")
    parties = list(sens.base.utilities)
    for col in ("parameter", "value", *(f"swing {p}" for p in parties), "issues that change"):
        t.add_column(col, justify="right" if col.startswith("swing") or col == "value" else "left")
    for r in sens.tornado[:top]:
        unit = r.label.rsplit("(", 1)[-1].rstrip(")") if r.label.endswith(")") else ""
        t.add_row(("⚑ " if r.flips else "") + escape(r.label or r.id), quantity(r.base_value, unit),
                  *(money(r.swing[p]) for p in parties),
                  escape(", ".join(labels.issue(i) if labels else i for i in r.flipped_issues))
                  or ("no agreement at one end" if r.flips else "—"))
    console.print(t)
    sw = sens.sweep
    if sw is not None:
        console.print(f"Weight sweep: {sw.n_draws:,} draws in {sw.seconds:.1f} s; the whole Nash package "
                      f"survives in {sw.same_package_share:.1%} of draws.")
        w = Table(title="Share of draws keeping each issue's Nash option")
        for col in ("issue", "Nash option", "share"):
            w.add_column(col, justify="right" if col == "share" else "left")
        for i in sw.issues:
            w.add_row(escape(labels.issue(i.issue) if labels else i.issue),
                      escape(labels.option(i.issue, i.base_option) if labels else i.base_option),
                      f"{i.base_share:.0%}")
        console.print(w)
