"""Terminal view of a scenario (``tradetalks scenario show``): parties, agenda, facts and their sources."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tradetalks.scenario.loader import LoadedScenario


def print_scenario(loaded: LoadedScenario, console: Console) -> None:
    scn = loaded.scenario
    console.print(f"[bold]{scn.title}[/bold] ({scn.id}, as of {scn.as_of}) — {loaded.file}")
    console.print(scn.description)
    for party in scn.parties:
        console.print(f"\n[bold]{party.name}[/bold] ({party.id})")
        for d in party.delegations:
            names = "; ".join(f"{m.name} ({m.title})" for m in d.members)
            console.print(f"  from {d.since} — {d.label}: {names}")
        console.print("  stakeholders: " + ", ".join(f"{s.id} (weight {s.weight})" for s in party.stakeholders))
    t = Table(title="Agenda")
    for col in ("issue", "category", "options (no-deal option marked *)"):
        t.add_column(col)
    for iss in scn.issues:
        t.add_row(iss.name, iss.category,
                  ", ".join(("*" if op.id == iss.batna else "") + op.label for op in iss.options))
    console.print(t)
    if scn.constraints:
        c = Table(title="Constraints between options")
        for col in ("if", "then", "reason"):
            c.add_column(col)
        for con in scn.constraints:
            verb = "must be one of" if con.kind == "requires" else "must not be one of"
            c.add_row(f"{con.if_.issue} ∈ {', '.join(con.if_.options)}",
                      f"{con.then.issue} {verb} {', '.join(con.then.options)}", con.reason)
        console.print(c)
    f = Table(title=f"Facts ({len(scn.facts)})")
    for col in ("id", "value", "unit", "source or [assumption]"):
        f.add_column(col)
    for fid, fact in scn.facts.items():
        prov = fact.source or f"[yellow][assumption][/yellow] {fact.assumption}"
        f.add_row(fid, f"{loaded.facts[fid]:,.6g}", fact.unit, prov)
    console.print(f)
    if loaded.observed is not None:
        console.print(f"Observed outcome: {loaded.observed.title} ({loaded.observed_file})")
