"""Command-line interface: ``tradetalks analyze`` and the scenario commands (typer + rich).

Commands validate input, call the same functions as the Python API, write outputs and show them; they compute
nothing themselves. Errors are printed as one clear message (with file, line, field and fix for input files) and
exit with code 2 for bad input, 1 for other failures.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from tradetalks.errors import InputFileError, NotFoundError, TradetalksError

if TYPE_CHECKING:
    from tradetalks.scenario import LoadedScenario
    from tradetalks.studies.analyze_results import AnalysisResult

# Every Typer app below sets rich_markup_mode=None: plain (click) help, not rich-rendered, so that
# `tradetalks --help` starts fast (issue #8: under 0.15 s; tests/test_lazy_imports.py).
app = typer.Typer(name="tradetalks", no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False,
                  rich_markup_mode=None,
                  help="Analyse and simulate bilateral trade negotiations (built-in: korus-2025).",
                  epilog="Exit codes: 0 success; 1 the request could not be carried out (a bad option value, an "
                         "output that cannot be written, a model that did not converge); 2 bad input (an invalid "
                         "scenario or spec file, a file or name that does not exist, a usage error).")
scenario_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                           help="Show, validate and export scenario files.")
app.add_typer(scenario_app, name="scenario")
export_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                         help="Export a scenario to other tools' formats.")
app.add_typer(export_app, name="export")
import_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                         help="Import other tools' formats as scenarios.")
app.add_typer(import_app, name="import")

#: a terminal gets its own width; piped output (files, CI logs) gets 120 columns instead of rich's 80
out_console = Console(width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True)

DEFAULT_SCENARIO = "korus-2025"
DEFAULT_OUT = Path("tradetalks-out")


def _fail(exc: TradetalksError, as_json: bool) -> NoReturn:
    if as_json:
        import json
        print(json.dumps(exc.to_dict(), ensure_ascii=False, indent=2))
    else:  # once: with --json the envelope on stdout is the message
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code=2 if isinstance(exc, InputFileError | NotFoundError) else 1)


def _parse_overrides(items: list[str] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items or []:
        key, sep, val = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip()] = float(val)
        except ValueError:
            raise TradetalksError(f"--set expects FACT=NUMBER, got {item!r}.",
                                  fix="write e.g. --set w_kor_farmers=2.5") from None
        if not math.isfinite(out[key.strip()]):
            raise TradetalksError(f"--set {key.strip()} must be a finite number, got {val!r}.",
                                  fix="give an ordinary number such as 2.5 or 1e9")
    return out


@app.command()
def analyze(
    scenario: Annotated[str, typer.Argument(help="Built-in name or path to a scenario YAML file.")] = DEFAULT_SCENARIO,
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for report.html, results.json, CSVs.")
                   ] = DEFAULT_OUT,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results JSON to stdout.")] = False,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a fact: FACT=NUMBER (repeatable).")] = None,
    observed: Annotated[Path | None, typer.Option(help="Observed-outcome file (default: the scenario's).")] = None,
    report: Annotated[bool, typer.Option(help="Write report.html.")] = True,
    report_js: Annotated[str, typer.Option(help="plotly.js in the report: inline (one self-contained file, ~6 MB) or "
                                                "file (plotly-VERSION.min.js written once beside the report and "
                                                "shared by reports in that folder; the report is ~1 MB).")
                         ] = "inline",
    econ: Annotated[str, typer.Option(help="Economics: pe (partial equilibrium) or ge (adds a structural-gravity "
                                           "general-equilibrium second opinion).")] = "pe",
    ge_data: Annotated[Path | None, typer.Option(
        "--data-dir", "--ge-data", help="Data directory for --econ ge, holding agtpa/ and cp2015/ (default: "
        "$TRADETALKS_DATA_DIR, else the user data directory).")] = None,
    dynamics: Annotated[bool, typer.Option("--dynamics", help="Also simulate negotiations (a run and a tournament) "
                                                              "and run the sensitivity analysis.")] = False,
    uncertainty: Annotated[int, typer.Option("--uncertainty", min=0, max=10_000_000, metavar="N",
                                             help="Also run N Monte Carlo draws of the uncertain facts (see "
                                                  "`tradetalks uncertainty`).")] = 0,
    inverse_n: Annotated[int, typer.Option("--inverse", min=0, max=1_000_000, metavar="N",
                                           help="Also infer what the real deal reveals from N prior draws (see "
                                                "`tradetalks inverse`).")] = 0,
) -> None:
    """Analyse a negotiation: stakes, frontier, bargaining solutions, ZOPA, linkage, the real deal."""
    from tradetalks.outputs import write_atomic_many
    from tradetalks.report.tables import all_tables
    from tradetalks.scenario import load_scenario
    from tradetalks.studies.analyze import analyze as run_analysis

    t0 = time.perf_counter()
    try:
        if econ not in ("pe", "ge"):
            raise TradetalksError(f"--econ must be pe or ge, got {econ!r}.", fix="use --econ pe or --econ ge")
        if report_js not in ("inline", "file"):
            raise TradetalksError(f"--report-js must be inline or file, got {report_js!r}.",
                                  fix="use --report-js inline or --report-js file")
        loaded = load_scenario(scenario, overrides=_parse_overrides(set_), observed=observed)
        with err_console.status("analysing…") as status:
            result = run_analysis(loaded, progress=lambda msg: status.update(f"analysing: {msg}…"),
                                  econ="ge" if econ == "ge" else "pe", ge_data_dir=ge_data, dynamics=dynamics,
                                  uncertainty_draws=uncertainty, inverse_draws=inverse_n)
            status.update("writing outputs…")
            results_json = result.to_json()
            written: dict[str | Path, str | bytes] = {out / "results.json": results_json}
            written |= {out / f"{name}.csv": table.to_csv(index=False) for name, table in all_tables(result).items()}
            if report:
                from tradetalks.report.html import plotlyjs_file, render_report_bytes
                if report_js == "file":
                    name, code = plotlyjs_file()
                    if not (out / name).exists():
                        written[out / name] = code
                written[out / "report.html"] = render_report_bytes(result, plotlyjs="file" if report_js == "file"
                                                                   else "inline")
            write_atomic_many(written)  # each file atomically; flushed to disk together
    except TradetalksError as exc:
        _fail(exc, as_json)
        return
    files = ["results.json", "stakes.csv", "frontier.csv", "solutions.csv", "sources.csv", "timeline.csv"]
    files += ["report.html"] if report else []
    if as_json:
        print(results_json)
        err_console.print(f"Wrote {', '.join(files)} to {out}/ (the JSON above is results.json).")
        return
    from tradetalks.report.terminal import print_summary
    print_summary(result, out_console)
    if result.inverse is not None:
        out_console.print(f"What the deal reveals: {result.inverse.headline}")
    if loaded.overrides:
        _show_override_effects(loaded, result)
    out_console.print(f"Wrote {', '.join(files)} to {out}/ in {time.perf_counter() - t0:.1f} s.")


def _show_override_effects(loaded: LoadedScenario, result: AnalysisResult) -> None:
    """Echo what --set changed and what moved against the scenario without the overrides (one more analysis)."""
    import dataclasses

    from tradetalks.report.format import Labels
    from tradetalks.report.terminal import print_diff
    from tradetalks.studies.analyze import analyze as run_analysis
    from tradetalks.studies.compare import compare_results

    base = dataclasses.replace(loaded, facts={k: loaded.scenario.facts[k].value if k in loaded.overrides else v
                                              for k, v in loaded.facts.items()}, overrides={})
    with err_console.status("analysing the scenario without --set, to show what moved…"):
        before = run_analysis(base)  # solutions, ZOPA and the real deal do not depend on the GE second opinion
    print_diff(compare_results(before, result), Labels.from_issues(result.issues), out_console)


def _load(scenario: str, set_: list[str] | None, as_json: bool) -> LoadedScenario:
    from tradetalks.scenario import load_scenario
    try:
        return load_scenario(scenario, overrides=_parse_overrides(set_))
    except TradetalksError as exc:
        _fail(exc, as_json)


def _print_json(data: object) -> None:
    import json
    print(json.dumps(data, ensure_ascii=False, indent=2))


R = TypeVar("R")


def _run(as_json: bool, compute: Callable[[], R], to_json: Callable[[R], object], show: Callable[[R], None]) -> None:
    """Compute, then print JSON or the terminal view; errors become one clear message and an exit code."""
    try:
        res = compute()
    except TradetalksError as exc:
        _fail(exc, as_json)
        return
    if as_json:
        _print_json(to_json(res))
    else:
        show(res)


ScenarioArg = Annotated[str, typer.Argument(help="Built-in name or path to a scenario YAML file.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON to stdout.")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override a fact: FACT=NUMBER (repeatable).")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="Run on an existing Dask cluster at this address (tcp://HOST:PORT) instead of local worker "
                        "processes; default: $TRADETALKS_SCHEDULER if set.")]


@app.command()
def replay(scenario: ScenarioArg = DEFAULT_SCENARIO, as_json: JsonOpt = False, set_: SetOpt = None) -> None:
    """Replay the real timeline: at each date the no-deal outcome, the ZOPA, the predicted deal, what stood."""
    from tradetalks.report.terminal import print_replay
    from tradetalks.studies.replay import replay as run_replay
    loaded = _load(scenario, set_, as_json)
    _run(as_json, lambda: run_replay(loaded), lambda r: r.to_dict(),
         lambda r: print_replay(r.steps, [p.id for p in loaded.scenario.parties], out_console))


@app.command()
def improve(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    deal: Annotated[list[str] | None, typer.Option(
        "--deal", help="The tentative agreement as ISSUE=OPTION (repeatable; issues left out stay at no deal). "
                       "Default: the observed deal.")] = None,
    rule: Annotated[str, typer.Option(help="Fairness rule: equal_gains, proportional, nash or utilitarian.")
                    ] = "equal_gains",
    all_rules: Annotated[bool, typer.Option("--all-rules", help="Show the improvement under every rule.")] = False,
    as_json: JsonOpt = False,
    set_: SetOpt = None,
) -> None:
    """Pareto improvements of a deal (default: the real one) under a fairness rule, as the changes to make."""
    from tradetalks.bargain.frontier import pareto_frontier
    from tradetalks.model import build_model
    from tradetalks.report.terminal import print_improvements
    from tradetalks.studies.improve import IMPROVEMENT_RULES, parse_package
    from tradetalks.studies.improve import improve as run_improve
    loaded = _load(scenario, set_, as_json)

    def compute() -> list[Any]:
        package = parse_package(deal) if deal else None
        model = build_model(loaded)
        frontier = pareto_frontier(model.utilities)
        rules = list(IMPROVEMENT_RULES) if all_rules else [rule]
        return [run_improve(loaded, package, r, model, frontier=frontier) for r in rules]  # type: ignore[arg-type]

    _run(as_json, compute, lambda rs: {r.rule: r.to_dict() for r in rs}, lambda rs: print_improvements(rs, out_console))


@export_app.command("genius")
def export_genius_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the XML files.")] = DEFAULT_OUT / "genius",
    set_: SetOpt = None,
    discount: Annotated[str, typer.Option(
        "--discount", help="session: each profile's discount_factor is the session factor (GENIUS reads it per "
                           "session); none: 1 in the profiles, the session and per-round factors only in the JSON "
                           "sidecar (NegMAS applies a profile's factor per step).")] = "session",
    issues: Annotated[str | None, typer.Option(
        "--issues", help="Comma-separated scenario issue ids to keep open; the others stay at their BATNA option.")
    ] = None,
    coarsen: Annotated[int | None, typer.Option(
        "--coarsen", help="Keep at most K values per GENIUS issue: the BATNA and the issue's Pareto-efficient values "
                          "(see docs/genius.md).", metavar="K")] = None,
    max_outcomes: Annotated[int | None, typer.Option(
        "--max-outcomes", help="Refuse a domain with more outcomes (default with --issues or --coarsen: 100,000, "
                               "what NegMAS's standard agents handle; otherwise no limit).")] = None,
) -> None:
    """Write the outcome space and both parties' utilities as GENIUS domain and profile XML files."""
    from tradetalks.interop.genius import NEGMAS_MAX_OUTCOMES, export_genius
    loaded = _load(scenario, set_, False)
    reduced = issues is not None or coarsen is not None
    limit = max_outcomes if max_outcomes is not None else (NEGMAS_MAX_OUTCOMES if reduced else None)
    try:
        if discount not in ("session", "none"):
            raise TradetalksError(f"--discount must be session or none, got {discount!r}.",
                                  fix="pass --discount session or --discount none")
        keep = None if issues is None else [i.strip() for i in issues.split(",") if i.strip()]
        exp = export_genius(loaded, out, discount="none" if discount == "none" else "session",
                            issues=keep, coarsen=coarsen, max_outcomes=limit)
    except TradetalksError as exc:
        _fail(exc, False)
        return
    out_console.print(f"Wrote {exp.domain}, {', '.join(str(p) for p in exp.profiles.values())} and {exp.sidecar}.")
    of = f" (of the scenario's {exp.n_full_outcomes:,} packages)" if exp.n_outcomes != exp.n_full_outcomes else ""
    out_console.print(f"  {len(exp.issues)} GENIUS issues, {exp.n_outcomes:,} outcomes{of}.")
    for party, tr in exp.transforms.items():
        factor = tr.discount.factor if discount == "session" else 1.0
        out_console.print(f"  {party}: tradetalks utility = {tr.offset:,.6g} + {tr.scale:,.6g} × GENIUS utility; "
                          f"reservation {tr.reservation:.4g}; discount_factor {factor:.6g}")
    if exp.n_outcomes > NEGMAS_MAX_OUTCOMES:
        out_console.print(f"[yellow]note:[/yellow] {exp.n_outcomes:,} outcomes: agents that enumerate every outcome "
                          "(NegMAS's AspirationNegotiator, Boulware, Conceder) will not cope; use --coarsen K and/or "
                          f"--issues to get at most {NEGMAS_MAX_OUTCOMES:,}, or agents that sample the space.")
    if discount == "session" and any(t.discount.factor != 1.0 for t in exp.transforms.values()):
        out_console.print("[yellow]note:[/yellow] NegMAS applies discount_factor per step, not per session; "
                          "--discount none writes 1 and keeps the factors in the sidecar.")


@import_app.command("genius")
def import_genius_cmd(
    directory: Annotated[Path, typer.Argument(help="Folder with one GENIUS domain XML file and two profiles.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Scenario YAML file to write (default: "
                                             "tradetalks-out/<domain>.yaml).")] = None,
    scale: Annotated[float, typer.Option("--scale", help="USD/yr per GENIUS utility unit in the scenario.")] = 1e9,
) -> None:
    """Turn a GENIUS domain and its two profiles into a scenario YAML (reservation values as the no-deal outcome)."""
    from tradetalks.interop.genius_import import import_genius
    from tradetalks.outputs import write_atomic
    from tradetalks.scenario import load_scenario
    try:
        imp = import_genius(directory, scale=scale)
        path = out if out is not None else DEFAULT_OUT / f"{imp.domain.stem}.yaml"
        write_atomic(path, imp.yaml_text)
        load_scenario(path, with_observed=False)
    except TradetalksError as exc:
        _fail(exc, False)
        return
    out_console.print(f"Wrote {path}: {imp.n_outcomes:,} GENIUS bids and the no-deal outcome, parties "
                      f"{', '.join(imp.profiles)}; it validates. Next: tradetalks analyze {path}")


@app.command()
def simulate(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    a: Annotated[str, typer.Option("--a", help="Strategy of the first party, e.g. linear or 'boulware:e=0.2'.")
                 ] = "linear",
    b: Annotated[str, typer.Option("--b", help="Strategy of the second party.")] = "linear",
    first: Annotated[str, typer.Option(help="Party id (or 0/1) that proposes in round 1.")] = "0",
    rounds: Annotated[int, typer.Option(min=1, max=10_000, help="Most rounds to play.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the stochastic strategies.")] = 0,
    hard_deadlines: Annotated[bool, typer.Option(help="Let hard deadlines end the talks.")] = True,
    as_json: JsonOpt = False,
    set_: SetOpt = None,
) -> None:
    """Simulate one alternating-offers negotiation (deadlines, time-varying no-deal outcome, discounting)."""
    from tradetalks.report.format import Labels
    from tradetalks.report.terminal import print_simulation
    from tradetalks.studies.simulate import prepare
    from tradetalks.studies.simulate import simulate as run_simulate
    loaded = _load(scenario, set_, as_json)

    def compute() -> Any:
        setup = prepare(loaded, rounds=rounds, seed=seed, hard_deadlines=hard_deadlines)
        return run_simulate(loaded, a, b, first=int(first) if first.isdigit() else first, rounds=rounds, seed=seed,
                            setup=setup)

    _run(as_json, compute, lambda r: r.to_dict(),
         lambda r: print_simulation(r, out_console, labels=Labels.from_scenario(loaded.scenario)))


@app.command()
def tournament(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    strategies: Annotated[str | None, typer.Option(help="Comma-separated strategies (default: all built-in).")
                          ] = None,
    repeats: Annotated[int, typer.Option(min=1, max=1000, help="Negotiations per pairing and first proposer.")] = 4,
    rounds: Annotated[int, typer.Option(min=1, max=10_000, help="Most rounds per negotiation.")] = 100,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes (1: in this process; 2+: a local Dask "
                                                              "cluster, worth its start-up for long tournaments).")
                       ] = 1,
    scheduler: SchedulerOpt = None,
    seed: Annotated[int, typer.Option(help="Seed (results do not depend on --workers).")] = 0,
    as_json: JsonOpt = False,
    set_: SetOpt = None,
) -> None:
    """Play every pair of strategies against each other: agreement rate, rounds, utilities, distance to Nash."""
    from tradetalks.report.terminal import print_tournament
    from tradetalks.studies.simulate import tournament as run_tournament
    loaded = _load(scenario, set_, as_json)
    names = [s.strip() for s in strategies.split(",")] if strategies else None
    _run(as_json, lambda: run_tournament(loaded, names, repeats=repeats, rounds=rounds, seed=seed, workers=workers,
                                         scheduler=scheduler, progress=not as_json),
         lambda r: r.to_dict(), lambda r: print_tournament(r.by_strategy(), out_console))


@app.command()
def ratify(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    deal: Annotated[list[str] | None, typer.Option(
        "--deal", help="Also check this package, as ISSUE=OPTION (repeatable): who rejects it and what it would "
                       "take.")] = None,
    as_json: JsonOpt = False,
    set_: SetOpt = None,
) -> None:
    """Two-level game: win-sets, their overlap, the deal with and without ratification, what it would take."""
    from tradetalks.model import build_model, package_feasible
    from tradetalks.report.terminal import print_ratification
    from tradetalks.studies.improve import parse_package
    from tradetalks.studies.ratify import ratify as run_ratify
    loaded = _load(scenario, set_, as_json)

    def show(res: Any) -> None:
        print_ratification(res.to_dict(), out_console)
        if deal and not package_feasible(build_model(loaded), parse_package(deal)):
            out_console.print("note: the given package (issues not named at no deal) breaks a constraint of the "
                              "scenario; see `tradetalks scenario show` for the constraints.")

    _run(as_json, lambda: run_ratify(loaded, package=parse_package(deal) if deal else None),
         lambda r: r.to_dict(), show)


@app.command()
def sensitivity(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    delta: Annotated[float, typer.Option(min=0.0, max=0.99, help="Relative perturbation of each weight and fact.")
                     ] = 0.25,
    draws: Annotated[int, typer.Option(min=0, max=1_000_000, help="Random weight vectors in the sweep.")] = 10_000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes for the sweep (local Dask cluster; "
                                                              "1: in this process).")] = 2,
    scheduler: SchedulerOpt = None,
    seed: Annotated[int, typer.Option(help="Seed of the weight sweep (results do not depend on --workers).")
                    ] = 20250424,
    as_json: JsonOpt = False,
    set_: SetOpt = None,
) -> None:
    """Which stakeholder weights and valuations flip the predicted (Nash) package: tornado and weight sweep."""
    from tradetalks.report.format import Labels
    from tradetalks.report.terminal import print_sensitivity
    from tradetalks.studies.sensitivity import sensitivity as run_sensitivity
    loaded = _load(scenario, set_, as_json)
    _run(as_json, lambda: run_sensitivity(loaded, delta=delta, n_draws=draws, workers=workers, seed=seed,
                                          scheduler=scheduler, progress=not as_json),
         lambda r: r.to_dict(),
         lambda r: print_sensitivity(r, out_console, labels=Labels.from_scenario(loaded.scenario)))


@app.command()
def inverse(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    draws: Annotated[int, typer.Option(min=1, max=1_000_000, help="Prior draws of the uncertain facts.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the prior draws.")] = 0,
    temperature: Annotated[float, typer.Option(min=1e-6, help="Logit temperature, log Nash-product units.")] = 0.1,
    estimate_temperature: Annotated[bool, typer.Option("--estimate-temperature",
                                                       help="Choose the temperature by marginal likelihood.")
                                    ] = False,
    param: Annotated[list[str] | None, typer.Option(
        "--param", metavar="FACT", help="Infer only this fact (repeatable; default: every uncertain fact that "
                                        "moves a payoff, weight or power).")] = None,
    workers: Annotated[int, typer.Option(min=1, max=256, help="Worker processes (1: in this process).")] = 1,
    scheduler: Annotated[str | None, typer.Option(help="Address of a running Dask scheduler (tcp://host:port).")
                         ] = None,
    top: Annotated[int, typer.Option(min=1, help="Parameters shown: those whose posterior moved most.")] = 15,
    as_json: JsonOpt = False,
    set_: SetOpt = None,
) -> None:
    """What the real deal reveals: a posterior over the uncertain facts (weights, powers, elasticities, valuations),
    or, when no draw explains the deal, what it would take."""
    from rich.table import Table

    from tradetalks.studies.inverse import infer

    def show(r: Any) -> None:
        title = (f"Inverse bargaining, {r.scenario}: {r.draws} draws of {r.inputs} inputs in {r.seconds:.1f} s "
                 f"({r.draws_per_second:.0f} draws/s), ESS {r.ess:.0f}")
        table = Table(title=title)
        for col in ("parameter", "unit", "prior 5-95 %", "posterior 5-50-95 %", "MAP", "shift"):
            table.add_column(col)
        shown = sorted(r.parameters[:-1], key=lambda p: -abs(p.shift) if p.shift == p.shift else 0.0)[:top]
        for p in [*shown, r.parameters[-1]]:
            table.add_row(p.id, p.unit, f"{p.prior_quantiles[0]:.3g}-{p.prior_quantiles[2]:.3g}",
                          "-".join(f"{q:.3g}" for q in p.posterior_quantiles), f"{p.map:.3g}", f"{p.shift:+.2f}")
        out_console.print(table)
        for line in r.findings:
            out_console.print(f"- {line}")

    loaded = _load(scenario, set_, as_json)
    _run(as_json, lambda: infer(loaded, draws=draws, seed=seed, parameters=param or None, workers=workers,
                                scheduler=scheduler, temperature=None if estimate_temperature else temperature),
         lambda r: r.to_dict(), show)


@app.command("uncertainty")
def uncertainty_cmd(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    draws: Annotated[int, typer.Option(min=1, max=10_000_000, help="Monte Carlo draws.")] = 2_000,
    scheduler: Annotated[str | None, typer.Option(help="Address of a running Dask scheduler (tcp://host:port).")
                         ] = None,
    workers: Annotated[int, typer.Option(min=1, max=256, help="Worker processes (1: in this process).")] = 1,
    seed: Annotated[int, typer.Option(help="The one seed (results do not depend on the number of workers).")
                    ] = 20250424,
    sobol: Annotated[int, typer.Option(min=0, max=65536, help="Base sample N of the Sobol design, a power of 2 "
                                                               "(0 skips the Sobol indices).")] = 128,
    fast: Annotated[bool, typer.Option("--fast", help="Nash only, and the real deal's ZOPA share without its "
                                                      "comparison with each draw's frontier (about three "
                                                      "times faster).")] = False,
    as_json: JsonOpt = False,
    set_: SetOpt = None,
) -> None:
    """How sure is the answer: Monte Carlo of the whole analysis over the facts' ranges, and what decides it."""
    from tradetalks.bargain.solutions import SOLUTION_NAMES, SolutionName
    from tradetalks.report.format import Labels
    from tradetalks.report.uncertainty_view import print_uncertainty
    from tradetalks.studies.uncertainty import uncertainty as run_uncertainty
    from tradetalks.studies.uncertainty_results import UncertaintyResult
    loaded = _load(scenario, set_, as_json)
    which: tuple[SolutionName, ...] = ("nash",) if fast else SOLUTION_NAMES

    def compute() -> UncertaintyResult:
        if as_json:
            return run_uncertainty(loaded, n_draws=draws, seed=seed, workers=workers, scheduler=scheduler,
                                   sobol_base=sobol, solutions=which)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
        with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err_console, transient=True) as bar:
            task = bar.add_task(f"{draws:,} draws (chunks)", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            return run_uncertainty(loaded, n_draws=draws, seed=seed, workers=workers, scheduler=scheduler,
                                   sobol_base=sobol, solutions=which, progress=tick)

    _run(as_json, compute, lambda r: r.to_dict(),
         lambda r: print_uncertainty(r, out_console, labels=Labels.from_scenario(loaded.scenario)))


@app.command("scenarios")
def list_scenarios() -> None:
    """List the built-in scenarios."""
    from rich.table import Table

    from tradetalks.scenario import builtin_names, load_scenario
    t = Table(title="Built-in scenarios")
    for col in ("name", "title", "as of", "issues"):
        t.add_column(col)
    for name in builtin_names():
        s = load_scenario(name, with_observed=False).scenario
        t.add_row(name, s.title, s.as_of.isoformat(), str(len(s.issues)))
    out_console.print(t)


@scenario_app.command("show")
def scenario_show(ref: Annotated[str, typer.Argument(help="Built-in name or path.")]) -> None:
    """Show a scenario: parties, issues and options, facts with their sources."""
    from tradetalks.report.scenario_view import print_scenario
    from tradetalks.scenario import load_scenario
    try:
        print_scenario(load_scenario(ref), out_console)
    except TradetalksError as exc:
        _fail(exc, False)


@scenario_app.command("validate")
def scenario_validate(path: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
                      observed: Annotated[Path | None, typer.Option(help="Also check this observed outcome.")] = None,
                      ) -> None:
    """Validate a scenario file; lists every problem with file, line, field and fix."""
    from tradetalks.scenario import load_scenario
    try:
        loaded = load_scenario(str(path), observed=observed)
    except TradetalksError as exc:
        _fail(exc, False)
        return
    s = loaded.scenario
    extra = f" and observed outcome {loaded.observed_file}" if loaded.observed_file else ""
    out_console.print(f"[green]ok[/green]: {path}{extra} — {len(s.issues)} issues, {len(s.facts)} facts, "
                      f"{len(s.markets)} markets.")


@scenario_app.command("export")
def scenario_export(name: Annotated[str, typer.Argument(help="Built-in name.")],
                    observed: Annotated[bool, typer.Option(help="Export the observed-outcome file instead.")] = False,
                    ) -> None:
    """Print a built-in scenario's YAML to stdout, to start your own from it."""
    from tradetalks.scenario.loader import OBSERVED_SUFFIX, resolve
    try:
        path = resolve(name)
    except TradetalksError as exc:
        _fail(exc, False)
        return
    if observed:
        path = path.with_name(path.name.removesuffix(".yaml") + OBSERVED_SUFFIX)
    elif path.with_name(path.name.removesuffix(".yaml") + OBSERVED_SUFFIX).exists():
        err_console.print(f"note: the observed outcome is a separate file: `tradetalks scenario export {name} "
                          f"--observed > NAME.observed.yaml` beside your copy (or `observed: FILE` in it) keeps the "
                          "comparison with the real deal.", highlight=False)
    sys.stdout.write(path.read_text(encoding="utf-8"))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default; 0.0.0.0 opens it to the "
                                            "network, in plain HTTP).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    db: Annotated[str | None, typer.Option(help="Database URL (sqlite:///FILE or postgresql://USER@HOST:PORT/DB); "
                                                "default a SQLite file in the user data directory.")] = None,
    admin_token_file: Annotated[Path | None, typer.Option(
        help="File holding the admin token (reads and writes everything). Default: the environment variable "
             "TRADETALKS_ADMIN_TOKEN, else a new random token, printed with the dashboard's address.")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes (uvicorn workers); each keeps its "
                                                              "own warm models and shares the database.")] = 1,
    scheduler: Annotated[str | None, typer.Option(
        help="Run heavy runs on an existing Dask cluster at this address (tcp://HOST:PORT); default: "
             "$TRADETALKS_SCHEDULER if set, else a local cluster started on the first heavy run.")] = None,
    executor_workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes of that local "
                                                                       "cluster.")] = 2,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data directory of the named data sets of "
                                                  "gravity runs (default: $TRADETALKS_DATA_DIR, else the user "
                                                  "data directory).")] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request (uvicorn's access log, to stderr); about "
                                                  "0.05 ms of CPU a request.")] = True,
) -> None:
    """Run the web service (FastAPI; OpenAPI description at /openapi.json); needs the package's `serve` extra.

    Prints the dashboard's address to stderr, with the admin token when it made one."""
    try:
        import uvicorn

        from tradetalks.api import Settings, create_app
    except ImportError as exc:
        _fail(TradetalksError(f"the service needs packages that are not installed ({exc.name}).",
                              fix="pip install 'tradetalks\\[serve]' (the `serve` extra)"), False)
        return
    from tradetalks.executor import resolve_scheduler
    from tradetalks.store.db import open_engine
    try:
        open_engine(db).dispose()  # an unknown URL or a missing driver is said here, before the server starts
    except TradetalksError as exc:
        _fail(exc, False)
    import os

    from tradetalks.api.auth import admin_token_from
    from tradetalks.api.service import check_admin_token
    try:
        token, source = admin_token_from(admin_token_file, os.environ)
        check_admin_token(token)
    except TradetalksError as exc:
        _fail(exc, False)
    if host not in ("127.0.0.1", "localhost", "::1"):
        err_console.print(f"warning: listening on {host}: published scenarios and their runs are readable by anyone "
                          "who can reach this address, and tokens cross the network in plain HTTP; put a TLS proxy "
                          "in front of it or keep it on loopback.", highlight=False)
    address = f"http://{f'[{host}]' if ':' in host else host}:{port}/"
    err_console.print(f"dashboard: {address}?token={token}" if source is None else
                      f"dashboard: {address} (admin token from {source})", highlight=False, soft_wrap=True)
    settings = Settings(db_url=db, admin_token=token, scheduler=resolve_scheduler(scheduler),
                        executor_workers=executor_workers, data_dir=data_dir)
    log_config = _redacting_log_config()  # the address above is logged when opened: every process redacts it
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=access_log,
                    log_config=log_config)
        return
    _serve_workers(settings, host, port, workers, access_log, log_config)


def _redacting_log_config() -> dict[str, Any]:
    """uvicorn's logging set-up with :class:`tradetalks.api.auth.RedactTokens` on the access log (a dictConfig,
    so that each worker process of ``--workers N`` installs the filter too)."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": "tradetalks.api.auth.RedactTokens"}
    config["handlers"]["access"].setdefault("filters", []).append("redact_tokens")
    return config


def _serve_workers(settings: Any, host: str, port: int, workers: int, access_log: bool,
                   log_config: dict[str, Any]) -> None:
    """uvicorn with ``workers`` processes, each building its app from the settings handed over in the environment.

    The store is migrated (and what a stopped server left behind is failed) once here, before the workers start,
    so that they do not race each other doing it. The settings (the admin token with them) reach the workers
    through this process's environment, readable only by its user.
    """
    import os

    import uvicorn

    from tradetalks.api.service import Service
    from tradetalks.api.settings import SETTINGS_ENV

    Service.start(settings).close()
    os.environ[SETTINGS_ENV] = settings.to_json()  # this command's own process: read by the workers it spawns
    uvicorn.run("tradetalks.api.settings:app_from_environment", factory=True, workers=workers, host=host, port=port,
                log_level="info", access_log=access_log, log_config=log_config)


def _mount_optional() -> None:
    try:
        from tradetalks.econ.gravity.cli import app as gravity_app
    except ImportError:  # the gravity engine is optional while it is being built
        return
    app.add_typer(gravity_app, name="gravity", help="Structural gravity: estimate and solve GE counterfactuals.")


_mount_optional()


def main() -> None:
    """Entry point of the ``tradetalks`` console script."""
    from tradetalks.cli_stdout import c_stdout_to_stderr
    with c_stdout_to_stderr():  # a C library's stray printf must not corrupt JSON printed to stdout
        app()


if __name__ == "__main__":  # pragma: no cover
    main()
