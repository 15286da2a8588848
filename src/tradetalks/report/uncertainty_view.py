"""Terminal view of a Monte Carlo run (:class:`~tradetalks.studies.uncertainty_results.UncertaintyResult`).

Shows, in order: the one-sentence headline, probability bars per issue (how often each option is in the Nash
package), intervals on each side's gain under each solution, the real deal across the draws, the robust packages
and the decisive assumptions (Sobol total indices, with the tornado as a second view). It computes nothing.
"""

from __future__ import annotations

import math

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradetalks.report.format import Labels
from tradetalks.report.how_sure import (
    ROBUST_NAMES,
    SOLUTION_NAMES,
    bn1,
    input_label,
    interval_text,
    pct,
    readable_headline,
)
from tradetalks.studies.uncertainty_results import UncertaintyResult

#: width of a probability bar, in characters
BAR_WIDTH = 20
#: Sobol rows shown per output
SOBOL_ROWS = 8
#: options in fewer than this share of the draws (and not the point Nash option) are left out of the bars
MIN_SHARE_SHOWN = 0.005


def _bar(share: float) -> str:
    full = round(share * BAR_WIDTH)
    return "█" * full + "·" * (BAR_WIDTH - full)


def _index(x: float, conf: float) -> str:
    """A Sobol index with its 95 % half-width, to the digits the half-width supports (0.1 or 0.01)."""
    if not math.isfinite(x):
        return "–"
    digits = 1 if not math.isfinite(conf) or conf >= 0.1 else 2
    return f"{x:.{digits}f} ± {conf:.{digits}f}"


def print_uncertainty(r: UncertaintyResult, console: Console, *, labels: Labels | None = None) -> None:
    """Print a Monte Carlo result: shares of the draws as whole percentages, money in weighted USD bn a year
    against the no-deal outcome as median (5 % to 95 %) with one decimal; issues and options by ``labels`` (the
    scenario's names; ids without them)."""
    lab = labels or Labels(issues={}, options={})
    inputs = {i.id: i for i in r.inputs}
    console.print(f"[bold]How sure are we[/bold] — {escape(r.scenario)}: {r.n_draws:,} draws, seed {r.seed}, "
                  f"{len(r.inputs)} uncertain inputs, {r.seconds:.0f} s on {r.workers} worker(s).")
    console.print(escape(readable_headline(r)))
    t = Table(title="How often each option is in the Nash package (share of draws)", title_justify="left")
    for col in ("issue", "option", "share", ""):
        t.add_column(col, justify="right" if col == "share" else "left")
    for iss in r.issues:
        rows = sorted(iss.shares.items(), key=lambda kv: (kv[0] != iss.base_option, -kv[1]))
        rows = [(o, x) for o, x in rows if x >= MIN_SHARE_SHOWN or o == iss.base_option]
        for k, (opt, share) in enumerate(rows):
            mark = " (point Nash)" if opt == iss.base_option else ""
            t.add_row(escape(lab.issue(iss.issue)) if k == 0 else "", escape(lab.option(iss.issue, opt)) + mark,
                      pct(share), _bar(share), end_section=k == len(rows) - 1)
    console.print(t)
    g = Table(title="Gain over no deal, weighted USD bn/yr: median (5 % to 95 %)", title_justify="left")
    g.add_column("package")
    for p in r.parties:
        g.add_column(p, justify="right")
    g.add_column("share of draws")
    for name, spread in r.solutions.items():
        g.add_row(SOLUTION_NAMES.get(name, name), *[interval_text(spread.gains[p]) for p in r.parties],
                  f"same package as at the point values: {pct(spread.same_package_share)}")
    for rob in r.robust:
        g.add_row(ROBUST_NAMES.get(rob.criterion, rob.criterion), *[interval_text(rob.gains[p]) for p in r.parties],
                  f"beats both no-deals: {pct(rob.beats_batnas_share)}; Nash: {pct(rob.nash_share)}")
    if r.observed is not None:
        on = r.observed.on_frontier_share
        g.add_row("Real deal", *[interval_text(r.observed.utilities[p]) for p in r.parties],
                  f"in ZOPA: {pct(r.observed.in_zopa_share)}" + ("" if on is None else f"; on frontier: {pct(on)}"))
    console.print(g)
    nash = r.solutions.get("nash")
    point = nash.base_package if nash is not None else None
    for rob in r.robust:
        if point is None:
            continue
        diff = [f"{lab.issue(i)}: {lab.option(i, o)}" for i, o in rob.package.items() if point.get(i) != o]
        console.print(f"{ROBUST_NAMES.get(rob.criterion, rob.criterion)}: "
                      + (escape("; ".join(diff)) if diff else "the Nash package at the point values") + ".")
    if r.observed is not None and r.observed.left_on_table is not None:
        lt = r.observed.left_on_table
        console.print(f"Left on the table by the real deal: median {bn1(lt.p50)}, mean {bn1(lt.mean)}, 5 % to 95 % "
                      f"{bn1(lt.p05)} to {bn1(lt.p95)} USD bn/yr (weighted).")
    if r.sobol is not None:
        sob = Table(title=f"What decides it: Sobol indices, ± 95 % half-width ({r.sobol.evaluations:,} runs)",
                    title_justify="left")
        for col in ("output", "input", "total", "first order"):
            sob.add_column(col, justify="right" if col in ("total", "first order") else "left")
        names = {"nash_changes": "Nash package changes"}
        for out, rows_ in r.sobol.outputs.items():
            shown = rows_[:SOBOL_ROWS]
            for k, row in enumerate(shown):
                name = names.get(out, f"{out[5:]} Nash gain" if out.startswith("gain:") else out)
                sob.add_row(name if k == 0 else "", escape(input_label(inputs.get(row.input), row.input)),
                            _index(row.total, row.total_conf), _index(row.first_order, row.first_order_conf),
                            end_section=k == len(shown) - 1)
        console.print(sob)
    if r.tornado:
        flips = [str(row["id"]) for row in r.tornado if row.get("flips")]
        console.print("One at a time over the same ranges (tornado): "
                      + (f"{escape(', '.join(flips))} flip the Nash package." if flips else "no single input flips "
                         "the Nash package."))
    for note in r.notes:
        console.print(f"[dim]{escape(note)}[/dim]")
