"""Terminal view of a Monte Carlo run (:class:`~tradetalks.studies.uncertainty_results.UncertaintyResult`).

Shows, in order: the one-sentence headline, probability bars per issue (how often each option is in the Nash
package), intervals on each side's gain under each solution, the real deal across the draws, the robust packages
and the decisive assumptions (Sobol total indices, with the tornado as a second view). It computes nothing.
"""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from tradetalks.studies.uncertainty_results import Interval, UncertaintyResult

#: width of a probability bar, in characters
BAR_WIDTH = 20
#: Sobol rows shown per output
SOBOL_ROWS = 8


def _bar(share: float) -> str:
    full = round(share * BAR_WIDTH)
    return "█" * full + "·" * (BAR_WIDTH - full)


def _bn(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x / 1e9:+.2f}"


def _interval(iv: Interval) -> str:
    return f"{_bn(iv.p50)} [{_bn(iv.p05)}, {_bn(iv.p95)}]"


def print_uncertainty(r: UncertaintyResult, console: Console) -> None:
    """Print a Monte Carlo result (money in weighted USD bn/yr against the BATNA; median [5 %, 95 %])."""
    console.print(f"[bold]How sure are we[/bold] — {r.scenario}: {r.n_draws:,} draws, seed {r.seed}, "
                  f"{len(r.inputs)} uncertain inputs, {r.seconds:.1f} s on {r.workers} worker(s).")
    console.print(r.headline)
    t = Table(title="How often each option is in the Nash package", title_justify="left")
    for col in ("issue", "option", "share", ""):
        t.add_column(col)
    for iss in r.issues:
        for k, (opt, share) in enumerate(sorted(iss.shares.items(), key=lambda kv: -kv[1])):
            if share == 0 and opt != iss.base_option:
                continue
            mark = " (point Nash)" if opt == iss.base_option else ""
            t.add_row(iss.issue if k == 0 else "", opt + mark, f"{share:.0%}", _bar(share))
    console.print(t)
    g = Table(title="Gains over the BATNA, USD bn/yr weighted: median [5 %, 95 %]", title_justify="left")
    g.add_column("solution")
    for p in r.parties:
        g.add_column(p)
    g.add_column("same package as at the point values")
    for name, spread in r.solutions.items():
        g.add_row(name, *[_interval(spread.gains[p]) for p in r.parties], f"{spread.same_package_share:.0%}")
    for rob in r.robust:
        g.add_row(f"robust ({rob.criterion})", *[_interval(rob.gains[p]) for p in r.parties],
                  f"beats both BATNAs in {rob.beats_batnas_share:.0%}")
    if r.observed is not None:
        on = r.observed.on_frontier_share
        g.add_row("real deal", *[_interval(r.observed.utilities[p]) for p in r.parties],
                  f"in ZOPA {r.observed.in_zopa_share:.0%}" + ("" if on is None else f", on frontier {on:.0%}"))
    console.print(g)
    if r.observed is not None and r.observed.left_on_table is not None:
        console.print(f"Left on the table by the real deal: {_interval(r.observed.left_on_table)} USD bn/yr.")
    if r.sobol is not None:
        sob = Table(title=f"What decides it: Sobol indices ({r.sobol.evaluations:,} runs)", title_justify="left")
        for col in ("output", "input", "total", "first order"):
            sob.add_column(col)
        for out, rows in r.sobol.outputs.items():
            for k, row in enumerate(rows[:SOBOL_ROWS]):
                sob.add_row(out if k == 0 else "", row.input, f"{row.total:.2f} ± {row.total_conf:.2f}",
                          f"{row.first_order:.2f} ± {row.first_order_conf:.2f}")
        console.print(sob)
    if r.tornado:
        flips = [str(row["id"]) for row in r.tornado if row.get("flips")]
        console.print("One at a time over the same ranges (tornado): "
                      + (f"{', '.join(flips)} flip the Nash package." if flips else "no single input flips the Nash "
                         "package."))
    for note in r.notes:
        console.print(f"[dim]{note}[/dim]")
