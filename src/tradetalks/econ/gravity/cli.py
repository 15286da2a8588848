"""``tradetalks gravity``: run a gravity spec file, and find the book's data.

The main CLI mounts this sub-app with ``app.add_typer(gravity_app, name="gravity")``. Commands validate, call
:func:`tradetalks.econ.gravity.run.run_file`, write the tables and show a summary; they compute nothing
themselves. Errors print one message (file, line, field and fix for spec problems) and exit with code 2 for bad
input (spec file, missing file) and 1 for anything else; with ``--json`` the JSON error envelope goes to stdout.
Heavy modules (pandas, pyfixest) are imported inside the commands so that ``tradetalks --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradetalks.errors import InputFileError, NotFoundError, TradetalksError

if TYPE_CHECKING:
    from tradetalks.econ.gravity.run import GravityRun, ScenarioResult, SigmaDraws

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  help="Structural gravity: PPML estimation and general-equilibrium counterfactuals from a spec file.")

DEFAULT_OUT = Path("tradetalks-out") / "gravity"
#: where the book and its data are published (documented in docs/gravity.md; never fetched in tests)
BOOK_URL = "https://www.wto.org/english/res_e/publications_e/advancedguide2016_e.htm"
MIRROR_URL = "https://github.com/pachadotdev/tradepolicy"
#: columns of the table summarised per scenario
_SUMMARY = (("exports", "exports"), ("imports", "imports"), ("factory_gate_price", "price p"),
            ("imr", "IMR P"), ("real_gdp", "real GDP"), ("welfare", "welfare"))


def _fail(exc: TradetalksError, as_json: bool) -> None:
    if as_json:
        print(json.dumps(exc.to_dict(), ensure_ascii=False, indent=2))
    Console(stderr=True).print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False, markup=True,
                               soft_wrap=True)
    raise typer.Exit(code=2 if isinstance(exc, InputFileError | NotFoundError) else 1)


@app.command()
def run(
    spec: Annotated[Path, typer.Argument(help="Gravity spec YAML file (format: docs/gravity.md).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the CSV and JSON tables.")] = DEFAULT_OUT,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results JSON to stdout.")] = False,
    sigma_draws: Annotated[int, typer.Option(min=0, max=100_000, help="Also re-solve every counterfactual for this "
                                             "many draws of σ (uniform on --sigma-range); writes sigma_draws.csv."
                                             )] = 0,
    sigma_range: Annotated[tuple[float, float], typer.Option(help="Support of the σ draws: LOW HIGH (both > 1).")
                           ] = (5.0, 9.0),
    seed: Annotated[int, typer.Option(help="Seed of the σ draws (results do not depend on --workers).")] = 0,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes for the σ draws (local Dask "
                                                              "cluster; 1: in this process).")] = 2,
    scheduler: Annotated[str | None, typer.Option(
        help="Run the σ draws on an existing Dask cluster at this address (tcp://HOST:PORT); default: "
             "$TRADETALKS_SCHEDULER if set.")] = None,
) -> None:
    """Estimate trade costs (PPML), solve the baseline and every counterfactual of SPEC, write the tables."""
    from functools import partial

    from tradetalks.econ.gravity.run import run_spec, write_outputs
    from tradetalks.econ.gravity.run import sigma_draws as run_draws
    from tradetalks.econ.gravity.spec import load_spec
    from tradetalks.outputs import write_atomic

    err = Console(stderr=True)
    draws = None
    try:
        with err.status("gravity: starting…") as status:
            sf = load_spec(spec)
            result = run_spec(sf, progress=lambda msg: status.update(f"gravity: {msg}…"))
            status.update("gravity: writing tables…")
            files = write_outputs(result, out)
            if sigma_draws:
                from tradetalks.executor import Executor  # the CLI picks where draws run; run.py only maps

                status.update(f"gravity: {sigma_draws:,} draws of σ…")
                with Executor(workers=workers, scheduler=scheduler) as ex:
                    mapper = partial(ex.map, progress=lambda done, total: status.update(
                        f"gravity: σ draws, task {done}/{total}…"))
                    draws = run_draws(sf, result, sigma_draws, *sigma_range, seed=seed, mapper=mapper)
                files.append(write_atomic(out / "sigma_draws.csv", draws.to_frame().to_csv(index=False)))
    except TradetalksError as exc:
        _fail(exc, as_json)
        return
    if as_json:
        payload = result.to_dict()
        if draws is not None:
            payload["sigma_draws"] = {"draws": len(draws.sigmas), "low": draws.low, "high": draws.high,
                                      "seed": draws.seed, "file": "sigma_draws.csv"}
        print(json.dumps(payload, ensure_ascii=False, indent=1, allow_nan=False))
        return
    _print_summary(result, Console())
    if draws is not None:
        for scenario in result.scenarios:
            Console().print(_draws_table(scenario, draws))
    Console().print(f"Wrote {', '.join(f.name for f in files)} to {out}/ "
                    f"in {result.seconds.get('total', 0.0):.1f} s.", highlight=False)


def _draws_table(scenario: ScenarioResult, draws: SigmaDraws) -> Table:
    frame = draws.to_frame()
    rows = frame[(frame.scenario == scenario.name) & (frame.field == "real_gdp")].set_index("country")
    table = Table(title=f"Scenario {scenario.name}: real GDP, % change over {len(draws.sigmas):,} draws of "
                        f"σ on [{draws.low:g}, {draws.high:g}]", caption="all countries and fields in sigma_draws.csv")
    for col in ("country", "p5", "median", "p95"):
        table.add_column(col, justify="left" if col == "country" else "right")
    for country in _shown_countries(scenario):
        table.add_row(country, *(f"{rows.at[country, c]:+.3f}" for c in ("p5", "p50", "p95")))
    return table


def _print_summary(result: GravityRun, console: Console) -> None:
    console.print(f"[bold]{result.title or result.spec_file}[/bold] — baseline {result.year}, "
                  f"{len(result.data.countries)} countries, σ = {result.sigma:g}, reference {result.reference}",
                  highlight=False)
    console.print(_coefficient_table(result))
    est = result.costs.estimation
    if est is not None:
        dropped = ", ".join(f"{k} {v}" for k, v in est.dropped.counts().items()) or "none"
        fill = result.costs.fill
        console.print(f"PPML {est.formula}; N = {est.n_obs:,} of {est.n_input:,}; dropped: {dropped} (dropped.csv); "
                      f"{est.vcov}" + (f"; {len(fill.filled)} missing pair effects filled by a second stage"
                                        if fill is not None else ""), highlight=False)
    if result.data.balance != "none":
        console.print(f"Output and expenditure balanced by {result.data.balance}: every "
                      f"{'E_j' if result.data.balance == 'rescale_expenditure' else 'Y_i'} × "
                      f"{result.data.balance_scale:.6g} (data.balance).", highlight=False)
    for scenario in result.scenarios:
        console.print(_scenario_table(scenario))
        for key in ("effect", "price"):
            if key in scenario.notes:
                console.print(f"  {scenario.notes[key]}", highlight=False, markup=False)


def _coefficient_table(result: GravityRun) -> Table:
    table = Table(title="Trade-cost coefficients")
    for col in ("term", "estimate", "std. error", "source"):
        table.add_column(col, justify="left" if col in ("term", "source") else "right")
    for row in result.costs.coefficients.itertuples(index=False):
        se = "" if row.std_error != row.std_error else f"{row.std_error:.4f}"
        table.add_row(str(row.term), f"{row.estimate:.4f}", se, str(row.source))
    return table


def _shown_countries(scenario: ScenarioResult, limit: int = 6) -> list[str]:
    """Countries named in the edits, then the ``limit`` largest real-GDP changes among the others."""
    named = list(dict.fromkeys(c for e in scenario.edits for key in ("exporters", "importers")
                               for c in e.get(key) or []))
    ranked = scenario.countries.set_index("country")["real_gdp"].abs().sort_values(ascending=False).index
    return named + [c for c in ranked if c not in named][:limit]


def _scenario_table(scenario: ScenarioResult) -> Table:
    frame = scenario.countries.set_index("country")
    direction = ("baseline against counterfactual" if scenario.effect == "of-baseline"
                 else "counterfactual against baseline")
    diag = scenario.counterfactual.diagnostics
    table = Table(title=f"Scenario {scenario.name} ({scenario.kind} GE): % changes, {direction}",
                  caption=f"solver {diag.method}, {diag.iterations} iterations, max residual {diag.max_residual:.1e};"
                          " all countries in countries.csv")
    table.add_column("country")
    for _, label in _SUMMARY:
        table.add_column(label, justify="right")
    for country in _shown_countries(scenario):
        table.add_row(country, *(f"{frame.at[country, col]:+.3f}" for col, _ in _SUMMARY))
    return table


@app.command("download-data")
def download_data(
    directory: Annotated[
        Path | None,
        typer.Argument(
            help="Data directory to keep the data sets in (default: --data-dir, else $TRADETALKS_DATA_DIR, else "
            "the user data directory)."
        ),
    ] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data directory (the same as DIRECTORY).")] = None,
) -> None:
    """Explain where to get the data of Yotov et al. (2016) and Caliendo & Parro (2015), and where they go."""
    from tradetalks.datadir import ENV_VAR, resolve_data_dir

    root, origin = resolve_data_dir(directory if directory is not None else data_dir)
    console = Console()
    console.print(
        "[bold]The data of 'An Advanced Guide to Trade Policy Analysis: The Structural Gravity Model'[/bold]\n"
        "(Yotov, Piermartini, Monteiro & Larch, WTO/UNCTAD 2016) are published with the book, free of charge:\n"
        f"  book page:      {BOOK_URL}\n"
        f"  public mirror:  {MIRROR_URL}  (folder 00-application-files/)\n\n"
        f"tradetalks does not download them for you. Save the Chapter 2 data set (Stata .dta, or a CSV export of it) "
        f"in\n  {root / 'agtpa'}\n"
        "and name it in a spec's data.file (relative to the spec). Columns used by the examples: exporter, importer, "
        "year, trade (intranational flows included), DIST, CNTG, LANG, CLNY, RTA. Example specs: "
        "examples/gravity/*.yaml; format: docs/gravity.md.\n\n"
        "[bold]Caliendo & Parro (2015)[/bold], 'Estimates of the Trade and Welfare Effects of NAFTA', Review of "
        "Economic Studies 82(1): the input files of the authors' replication package (RES supplementary data, "
        f"folder Counterfactuals) go in\n  {root / 'cp2015'}/cp2015_original/\n"
        "with countries.csv and sectors.csv beside that folder (docs/gravity.md, 'Data directory').\n\n"
        f"This data directory comes from the {origin}. `tradetalks analyze --econ ge` looks in --data-dir DIR, "
        f"else ${ENV_VAR}, else the user data directory.",
        highlight=False,
        soft_wrap=True,
    )
