"""The book's iterative procedure (``book_loop_counterfactual``, ``solver: book-loop``): API, spec, CLI, replication.

Synthetic tests always run; the replications of the book's published tables ("trade without borders" through the
CLI, NAFTA through the spec machinery) read ``../shared/data/agtpa`` and skip with a reason where it is absent.
Run with ``-s`` to see the largest deviation per column for the book loop and the exact solver.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import BOOK_DATA, skip_or_fail
from tests.test_gravity_spec import SPEC, write_flows
from tradetalks.cli import app
from tradetalks.econ.gravity.book_loop import book_loop_counterfactual
from tradetalks.econ.gravity.results import COUNTRY_FIELDS, Counterfactual, SolverDiagnostics
from tradetalks.econ.gravity.run import GravityRun, run_file, run_spec
from tradetalks.econ.gravity.solver import solve_counterfactual, structural_baseline
from tradetalks.econ.gravity.spec import SpecFile, load_spec
from tradetalks.errors import ConvergenceError, DataError, SpecError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "gravity"
BOOK = BOOK_DATA
REFERENCE = BOOK / "reference"
needs_book = pytest.mark.needs_data(REFERENCE, reason=f"the book's data are absent ({BOOK}; not "
                                "committed — see ../shared/data/agtpa/README.md and docs/gravity.md)")

#: the issue's bar: real GDP within 0.1 percentage point of the published table for every country
RGDP_PP = 0.1
#: the book loop reproduces the published % changes to the published coefficients' rounding (largest on HKG's
#: +1,457 % exports in trade without borders); with coefficients estimated in the same run, closer still
BOOK_LOOP_PP = 0.002
#: NAFTA's published price column is (1 − p̂)·100 (p̂ the counterfactual price change), not the inverted change
NAFTA_PRICE_PP = 1e-3
#: the book loop's equilibrium residuals are of the order of its stop (0.01), far above the exact solver's
BOOK_LOOP_MIN_RESIDUAL = 1e-4
EXACT_RESIDUAL = 1e-12

#: published column → our country-table column
COLUMNS = {"change_Xi_FULL": "exports", "change_price_FULL": "factory_gate_price", "change_IMR_FULL": "imr",
           "change_rGDP_FULL": "real_gdp"}


def _economy(n: int = 6, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Data-like trade with noise around gravity, baseline φ and φ after removing a border on half the pairs."""
    rng = np.random.default_rng(seed)
    dist = rng.uniform(1, 10, (n, n))
    dist = (dist + dist.T) / 2
    np.fill_diagonal(dist, 0.5)
    border = 1.0 - np.eye(n)
    phi0 = np.exp(-0.8 * np.log(dist) - 2.0 * border)
    size = rng.uniform(1, 10, n)
    trade = np.outer(size, size) * phi0 * rng.lognormal(0.0, 0.3, (n, n)) * 100
    lift = np.triu(rng.uniform(size=(n, n)) < 0.5, 1)
    phi1 = phi0 * np.exp(2.0 * (lift | lift.T))
    return trade, phi0, phi1


# ------------------------------------------------------------------------------------------------ the API


def test_returns_the_solvers_result_type_with_its_own_diagnostics() -> None:
    X, phi0, phi1 = _economy()
    cf = book_loop_counterfactual(X, phi0, phi1, 5.0, reference=0, countries=list("ABCDEF"))
    assert isinstance(cf, Counterfactual)
    assert cf.kind == "full" and cf.deficits == "ratio" and cf.countries == tuple("ABCDEF")
    assert all(np.isfinite(getattr(cf, f)).all() for f in COUNTRY_FIELDS)
    diag = cf.diagnostics
    assert diag.method == "book-loop" and diag.converged and diag.tolerance == 0.01 and diag.iterations >= 2
    assert set(diag.stop_rule) == {"stop", "sd_price_change", "max_price_change"}
    assert diag.stop_rule["sd_price_change"] <= 0.01 and diag.stop_rule["max_price_change"] <= 0.01
    assert set(diag.residuals) == {"market_clearing", "budget", "normalisation", "equilibrium_market_clearing"}
    assert diag.market_clearing.shape == (6,)
    assert cf.imr[0] == pytest.approx(0.0, abs=1e-12)                                     # the numeraire
    assert "book-loop" in repr(cf) and "stop=" in str(diag)
    frame = cf.to_frame()
    assert list(frame.columns[1:]) == list(COUNTRY_FIELDS)


def test_only_the_row_and_column_sums_of_the_baseline_enter() -> None:
    X, phi0, phi1 = _economy()
    fitted = structural_baseline(X.sum(1), X.sum(0), phi0, reference=0).trade
    a = book_loop_counterfactual(X, phi0, phi1, 5.0, reference=0)
    b = book_loop_counterfactual(fitted, phi0, phi1, 5.0, reference=0)
    np.testing.assert_allclose(a.real_gdp, b.real_gdp, atol=1e-9)
    np.testing.assert_allclose(a.trade_baseline, fitted, rtol=1e-10)


def test_no_change_in_costs_changes_nothing() -> None:
    X, phi0, _ = _economy()
    cf = book_loop_counterfactual(X, phi0, phi0, 5.0, reference=2)
    for name in COUNTRY_FIELDS:
        np.testing.assert_allclose(getattr(cf, name), 0.0, atol=1e-8, err_msg=name)
    assert cf.diagnostics.max_residual < 1e-10


def test_close_to_the_exact_equilibrium_but_not_at_it() -> None:
    X, phi0, phi1 = _economy()
    base = structural_baseline(X.sum(1), X.sum(0), phi0, reference=0)
    exact = solve_counterfactual(base.trade, phi1 / phi0, 5.0, reference=0)
    loop = book_loop_counterfactual(X, phi0, phi1, 5.0, reference=0)
    gap = float(np.max(np.abs(loop.real_gdp - exact.real_gdp)))
    print(f"\nsynthetic: max |book loop - exact| real GDP {gap:.3f} pp; residuals loop "
          f"{dict(loop.diagnostics.residuals)}, exact {dict(exact.diagnostics.residuals)}")
    assert gap < 1.0                                                          # pp, on changes of several %
    assert loop.diagnostics.max_residual > BOOK_LOOP_MIN_RESIDUAL > EXACT_RESIDUAL > exact.diagnostics.max_residual
    # the exact solver's equilibrium at the loop's own prices would clear markets; the loop's prices do not
    assert loop.diagnostics.residuals["equilibrium_market_clearing"] > BOOK_LOOP_MIN_RESIDUAL


def test_raises_when_the_stop_rule_is_not_met_in_max_iter() -> None:
    X, phi0, phi1 = _economy()
    with pytest.raises(ConvergenceError) as info:
        book_loop_counterfactual(X, phi0, phi1, 5.0, reference=0, stop=1e-12, max_iter=2)
    diag = info.value.diagnostics
    assert isinstance(diag, SolverDiagnostics)
    assert diag.method == "book-loop" and not diag.converged and diag.iterations == 2
    assert diag.stop_rule["max_price_change"] > 1e-12


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"stop": 0.0}, "stop"),
        ({"max_iter": 0}, "max_iter"),
        ({"phi_counterfactual": "zero"}, "positive"),
        ({"baseline_trade": "no-domestic"}, "Intranational"),
        ({"sigma": 1.0}, "greater than 1"),
    ],
)
def test_bad_inputs_are_data_errors(change: dict[str, object], match: str) -> None:
    X, phi0, phi1 = _economy()
    kwargs: dict[str, object] = {"baseline_trade": X, "phi_baseline": phi0, "phi_counterfactual": phi1,
                                 "sigma": 5.0, "reference": 0}
    kwargs.update(change)
    if change.get("phi_counterfactual") == "zero":
        bad = phi1.copy()
        bad[0, 1] = 0.0
        kwargs["phi_counterfactual"] = bad
    if change.get("baseline_trade") == "no-domestic":
        bad = X.copy()
        bad[1, 1] = 0.0
        kwargs["baseline_trade"] = bad
    with pytest.raises(DataError, match=match):
        book_loop_counterfactual(**kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------ spec files


def _spec(tmp_path: Path, counterfactual: str) -> Path:
    write_flows(tmp_path)
    body = textwrap.indent(textwrap.dedent(counterfactual), "  ")
    text = textwrap.dedent(SPEC).split("counterfactual:")[0] + "counterfactual:\n" + body
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_spec_solver_book_loop_runs_the_books_procedure(tmp_path: Path) -> None:
    path = _spec(tmp_path, """\
      kind: full
      solver: book-loop
      edits:
        - {set: RTA, value: 1, exporters: [AAA, CCC], importers: [AAA, CCC]}
    """)
    assert load_spec(path).spec.counterfactual.solver == "book-loop"  # type: ignore[union-attr]
    run = run_file(path)
    diag = run.to_dict()["scenarios"][0]["diagnostics"]
    assert diag["method"] == "book-loop" and diag["converged"]
    assert diag["stop_rule"]["max_price_change"] <= 0.01
    assert "equilibrium_market_clearing" in diag["residuals"]
    default = run_file(_spec(tmp_path, """\
      kind: full
      edits:
        - {set: RTA, value: 1, exporters: [AAA, CCC], importers: [AAA, CCC]}
    """))
    assert default.scenarios[0].counterfactual.diagnostics.method == "newton-log"      # the default stays exact
    assert "stop_rule" not in default.to_dict()["scenarios"][0]["diagnostics"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("kind: conditional\nsolver: book-loop\nedits:\n  - {set: RTA, value: 1}\n", "full endowment"),
        ("kind: full\nsolver: book-loop\nedits:\n  - {tariff: 0.1, exporters: [AAA], importers: [BBB]}\n",
         "tariff"),
        ("kind: full\nsolver: gauss-seidel\nedits:\n  - {set: RTA, value: 1}\n", "newton"),
    ],
)
def test_spec_rejects_what_the_book_loop_cannot_do(tmp_path: Path, body: str, message: str) -> None:
    path = _spec(tmp_path, body)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    text = str(info.value)
    assert "solver" in text and message in text and "spec.yaml:" in text


# ------------------------------------------------------------------------------------------------ the book's tables


def _deviations(table: pd.DataFrame, published: pd.DataFrame, scenario: str) -> dict[str, tuple[float, str]]:
    ours = table.loc[scenario]
    out = {}
    for column, field in COLUMNS.items():
        diff = (ours[field] - published.loc[ours.index, column]).abs()
        out[column] = (round(float(diff.max()), 6), str(diff.idxmax()))
    return out


@needs_book
def test_trade_without_borders_book_spec_through_the_cli(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    spec = EXAMPLES / "trade-without-borders-book.yaml"
    result = CliRunner().invoke(app, ["gravity", "run", str(spec), "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    published = pd.read_csv(REFERENCE / "ch2_app1_trade_without_borders_published.csv").set_index("country")
    table = pd.read_csv(tmp_path / "countries.csv").set_index(["scenario", "country"])
    book, exact = _deviations(table, published, "no-borders"), _deviations(table, published, "no-borders-exact")
    cdl = (table.loc["no-borders-conditional", "exports"] - published["change_Xi_CDL"]).abs().max()
    diags = {s["name"]: s["diagnostics"] for s in payload["scenarios"]}
    print(f"\ntrade without borders, max |ours - published| (pp, country):\n  book loop {book}\n  exact     {exact}"
          f"\n  conditional exports {cdl:.2e}\n  residuals: book loop {diags['no-borders']['residuals']}, "
          f"exact {diags['no-borders-exact']['residuals']}")
    record_property("book_loop_max_abs_deviation_pp", book)
    record_property("newton_max_abs_deviation_pp", exact)

    assert book["change_rGDP_FULL"][0] <= RGDP_PP                                  # every country, the bar
    assert all(dev <= BOOK_LOOP_PP for dev, _ in book.values())
    assert cdl <= BOOK_LOOP_PP
    assert exact["change_rGDP_FULL"][0] > RGDP_PP                                  # why the book loop exists
    assert diags["no-borders"]["method"] == "book-loop" and diags["no-borders-exact"]["method"] == "newton-log"
    assert diags["no-borders"]["stop_rule"]["max_price_change"] <= 0.01
    assert diags["no-borders"]["max_residual"] > BOOK_LOOP_MIN_RESIDUAL > EXACT_RESIDUAL
    assert diags["no-borders-exact"]["max_residual"] < EXACT_RESIDUAL


@pytest.fixture(scope="module")
def nafta_both() -> GravityRun:
    """The NAFTA example with its full-GE scenario solved by the book loop, plus an exact copy of it."""
    if not REFERENCE.exists():
        skip_or_fail(f"the book's data are absent ({BOOK}); see docs/gravity.md to get them")
    sf = load_spec(EXAMPLES / "nafta.yaml")
    scenarios = list(sf.spec.scenarios or [])
    full = next(s for s in scenarios if s.kind == "full")
    scenarios = [full.model_copy(update={"solver": "book-loop"}), full.model_copy(update={"name": "exact"})]
    return run_spec(SpecFile(sf.spec.model_copy(update={"scenarios": scenarios}), sf.path, sf.loaded))


def test_nafta_with_the_book_loop(nafta_both: GravityRun, record_property: Callable[[str, object], None]) -> None:
    published = pd.read_csv(REFERENCE / "ch2_app2_nafta_published.csv").set_index("country")
    table = nafta_both.country_table().set_index(["scenario", "country"])
    name = next(s.name for s in nafta_both.scenarios if s.counterfactual.diagnostics.method == "book-loop")
    book, exact = _deviations(table, published, name), _deviations(table, published, "exact")
    # the published price column is (1 − p̂)·100 with p̂ the counterfactual change; ours is the effect of NAFTA,
    # (1/p̂ − 1)·100: compare like with like
    effect = table.loc[name, "factory_gate_price"]
    p_hat = 100.0 / (100.0 + effect)
    price = float(((1.0 - p_hat) * 100.0 - published.loc[effect.index, "change_price_FULL"]).abs().max())
    residuals = {s.name: dict(s.counterfactual.diagnostics.residuals) for s in nafta_both.scenarios}
    print(f"\nNAFTA, max |ours - published| (pp, country):\n  book loop {book}\n  exact     {exact}\n"
          f"  book loop price as (1 - p̂)·100: {price:.2e}\n  residuals: {residuals}")
    record_property("nafta_book_loop_max_abs_deviation_pp", book)

    assert book["change_rGDP_FULL"][0] <= exact["change_rGDP_FULL"][0] < RGDP_PP
    for column in ("change_Xi_FULL", "change_IMR_FULL", "change_rGDP_FULL"):
        assert book[column][0] <= BOOK_LOOP_PP, column
    assert price <= NAFTA_PRICE_PP
    assert residuals[name]["equilibrium_market_clearing"] > BOOK_LOOP_MIN_RESIDUAL
    assert max(residuals["exact"].values()) < EXACT_RESIDUAL
