"""Terminal view of a scenario (``tradetalks scenario show``): parties, agenda, facts and their sources."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradetalks.scenario.loader import LoadedScenario


def print_scenario(loaded: LoadedScenario, console: Console) -> None:
    scn = loaded.scenario
    console.print(f"[bold]{escape(scn.title)}[/bold] ({scn.id}, as of {scn.as_of}) — {escape(loaded.file)}")
    console.print(escape(scn.description))
    for party in scn.parties:
        console.print(f"\n[bold]{escape(party.name)}[/bold] ({party.id})")
        for d in party.delegations:
            names = "; ".join(f"{m.name} ({m.title})" for m in d.members)
            console.print(f"  from {d.since} — {escape(d.label)}: {escape(names)}")
        console.print("  stakeholders: " + escape(", ".join(f"{s.id} (weight {s.weight})" for s in party.stakeholders)))
    t = Table(title="Agenda: option ids (used in --deal, --set and JSON) and labels; * marks the no-deal option")
    for col in ("issue", "category", "option id", "label"):
        t.add_column(col)
    for iss in scn.issues:
        for k, op in enumerate(iss.options):
            t.add_row(escape(f"{iss.name} ({iss.id})") if k == 0 else "", iss.category if k == 0 else "",
                      ("*" if op.id == iss.batna else "") + op.id, escape(op.label),
                      end_section=k == len(iss.options) - 1)
    console.print(t)
    if scn.constraints:
        c = Table(title="Constraints between options")
        for col in ("if", "then", "reason"):
            c.add_column(col)
        for con in scn.constraints:
            verb = "must be one of" if con.kind == "requires" else "must not be one of"
            c.add_row(escape(f"{con.if_.issue} ∈ {', '.join(con.if_.options)}"),
                      escape(f"{con.then.issue} {verb} {', '.join(con.then.options)}"), escape(con.reason))
        console.print(c)
    f = Table(title=f"Facts ({len(scn.facts)})")
    for col in ("id", "value", "range", "unit", escape("source or [assumption]")):
        f.add_column(col)
    for fid, fact in scn.facts.items():
        prov = escape(fact.source) if fact.source else f"[yellow]{escape('[assumption]')}[/yellow] " \
            + escape(fact.assumption or "")
        rng = "" if fact.range is None else f"{fact.range[0]:,.6g} – {fact.range[1]:,.6g}"
        f.add_row(fid, f"{loaded.facts[fid]:,.6g}", rng, escape(fact.unit), prov)
    console.print(f)
    if loaded.observed is not None:
        console.print(f"Observed outcome: {loaded.observed.title} ({loaded.observed_file})")
