"""A gravity run, end to end: spec → data → trade costs (given or PPML) → baseline → counterfactuals → tables.

This module orchestrates; the numbers come from :mod:`~tradetalks.econ.gravity.estimate` (PPML),
:mod:`~tradetalks.econ.gravity.solver` (structural GE) and plain array code here that turns a spec's edits into
changes of trade costs and tariffs. The steps follow Yotov et al. (2016), ch. 2:

1. trade costs t_ij^(1−σ) = exp(Σ_k β_k x_k,ij [+ γ_ij]) of the baseline year, with β given in the spec or
   estimated by PPML in the same run, and pair effects γ_ij (when estimated with pair fixed effects) filled by a
   second-stage regression where a pair has none (step I.b of the book's NAFTA application);
2. the baseline: multilateral resistances and model-implied trade for the year's output and expenditure;
3. each counterfactual: edits of cost variables and tariffs, solved in conditional or full endowment GE —
   exactly (``solver: newton``) or, to replicate the book's published tables, by the book's own loop
   (``solver: book-loop``, :mod:`~tradetalks.econ.gravity.book_loop`).

References
----------
Yotov, Y. V., Piermartini, R., Monteiro, J.-A. & Larch, M. (2016). *An Advanced Guide to Trade Policy Analysis:
The Structural Gravity Model*. WTO/UNCTAD. https://doi.org/10.30875/abc0167e-en
Anderson, J. E. & van Wincoop, E. (2003). Gravity with gravitas. *American Economic Review* 93(1), 170–192.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradetalks.econ.gravity.data import (
    EXPORTER,
    IMPORTER,
    TRADE,
    YEAR,
    CrossSection,
    FlowColumns,
    add_cost_variables,
    add_pair_dummy,
    canonical_flows,
    check_reference,
    check_sigma,
    cross_section,
    pair_matrix,
    read_table,
    unknown_country_fix,
)
from tradetalks.econ.gravity.estimate import PairEffectFill, PPMLResult, fill_pair_effects, ppml
from tradetalks.econ.gravity.spec import Counterfactual as ScenarioSpec
from tradetalks.econ.gravity.spec import Estimate, SetEdit, SpecFile, load_spec
from tradetalks.errors import DataError, Problem
from tradetalks.options import GEKind

#: a callback that shows what the run is doing (e.g. a rich status line)
Progress = Callable[[str], None]
#: label of the shared pair effect of all intranational flows
INTRANATIONAL_PAIR = "(intranational)"


@dataclass(frozen=True)
class TradeCostModel:
    """Baseline trade costs φ_ij = t_ij^(1−σ) and where their pieces come from.

    Attributes
    ----------
    coefficients
        ``term``, ``estimate``, ``std_error`` (NaN when given), ``source`` (``given`` or ``estimated``).
    log_phi
        log φ_ij of the baseline year, shape (n, n), exporters in rows.
    variables
        Baseline-year value of every variable with a coefficient, each (n, n).
    estimation
        The PPML estimation, when coefficients were estimated.
    fill
        The second-stage fill of missing pair effects, when one was needed.
    """

    coefficients: pd.DataFrame
    log_phi: np.ndarray = field(repr=False)
    variables: Mapping[str, np.ndarray] = field(repr=False)
    estimation: PPMLResult | None = None
    fill: PairEffectFill | None = None

    def beta(self) -> dict[str, float]:
        """Coefficient by variable name."""
        return dict(zip(self.coefficients["term"], self.coefficients["estimate"].astype(float), strict=True))


@dataclass(frozen=True)
class ScenarioResult:
    """One solved counterfactual and its tables (changes in the direction of ``effect``)."""

    name: str
    kind: str
    effect: str
    edits: tuple[dict[str, Any], ...]
    counterfactual: Any = field(repr=False)
    countries: pd.DataFrame = field(repr=False)
    bilateral: pd.DataFrame = field(repr=False)
    #: what the changes mean (``effect``) and how the factory-gate price change is computed (``price``), in words
    notes: Mapping[str, str] = field(default_factory=dict, repr=False)


def describe_edits(edits: Sequence[Mapping[str, Any]]) -> str:
    """The edits of a scenario in words, e.g. ``RTA = 0 on CAN, MEX, USA → CAN, MEX, USA``."""
    parts = []
    for e in edits:
        where = (f"{', '.join(e.get('exporters') or ['all'])} → {', '.join(e.get('importers') or ['all'])}"
                 + (" (domestic flows included)" if e.get("include_domestic") else ""))
        parts.append(f"{e['set']} = {e['value']:g} on {where}" if "set" in e
                     else f"a tariff of {100 * e['tariff']:g} % on {where}")
    return "; ".join(parts)


def scenario_notes(name: str, effect: str, edits: Sequence[Mapping[str, Any]], reference: str,
                   prices: pd.Series | None = None) -> dict[str, str]:
    """What a scenario's % changes mean (``effect``) and the price convention (``price``), for people.

    With ``effect: of-baseline`` a scenario that removes a policy (e.g. ``no-nafta``: RTA = 0 among CAN, MEX, USA)
    reports the effect *of* that policy: the baseline, with it, against the counterfactual without it.
    ``prices`` (% changes of the factory-gate price by country, in the direction of ``effect``) lets the note
    state the largest gap between our price convention and the book's in this scenario.
    """
    what = describe_edits(edits)
    gap = ""
    if effect == "of-baseline" and prices is not None and len(prices):
        p_hat = 100.0 / (100.0 + prices.astype(float))
        diff = (100.0 * (1.0 / p_hat - 1.0) - 100.0 * (1.0 - p_hat)).abs()
        gap = f"; in this scenario at most {diff.max():.3g} pp ({diff.idxmax()})"
    if effect == "of-baseline":
        meaning = (f"Rows of {name!r} are the effect OF what its edits remove ({what}): % changes of the baseline, "
                   "with it, against the counterfactual without it, 100·(v_baseline / v_counterfactual − 1); positive "
                   "means higher with it. For a scenario that removes NAFTA (the book's no-nafta), the effect of "
                   "NAFTA.")
        price = (f"factory_gate_price = 100·(p_baseline / p_counterfactual − 1) = 100·(1/p̂ − 1), with p̂ = "
                 f"p_counterfactual / p_baseline and {reference}'s consumer price index P = 1 in both equilibria. "
                 "The book (Yotov et al. 2016, ch. 2, app. 2, NAFTA) publishes (1 − p̂)·100 instead, a first-order "
                 f"approximation that differs from ours by 100·(p̂ − 1)²/p̂ (0.04 pp for CAN in the book's NAFTA{gap})"
                 "; to compare, p̂ = 100 / (100 + factory_gate_price). The book's other columns are computed as "
                 "ours.")
    else:
        meaning = (f"% changes of the counterfactual {name!r} ({what}) against the baseline: the effect of the "
                   "edits. Each change is 100·(v_counterfactual / v_baseline − 1).")
        price = (f"factory_gate_price = 100·(p̂ − 1), p̂ = p_counterfactual / p_baseline, with {reference}'s "
                 "consumer price index P = 1 in both equilibria; the book's published tables (Yotov et al. 2016, "
                 "ch. 2, app. 1) use the same formula for a counterfactual's effect.")
    if prices is None:
        price = "factory_gate_price is 0: prices do not change in conditional GE (output and expenditure fixed)."
    return {"effect": meaning, "price": price}


@dataclass(frozen=True)
class GravityRun:
    """Everything a gravity spec run produced (see ``docs/gravity.md`` for the table columns)."""

    spec_file: str
    data_file: str
    title: str | None
    year: int
    sigma: float
    reference: str
    data: CrossSection = field(repr=False)
    costs: TradeCostModel = field(repr=False)
    baseline: Any = field(repr=False)
    scenarios: tuple[ScenarioResult, ...] = field(repr=False)
    seconds: Mapping[str, float] = field(default_factory=dict, repr=False)

    def country_table(self) -> pd.DataFrame:
        """Per scenario × country table (all scenarios stacked)."""
        return pd.concat([s.countries for s in self.scenarios], ignore_index=True)

    def bilateral_table(self) -> pd.DataFrame:
        """Per scenario × exporter × importer table (all scenarios stacked)."""
        return pd.concat([s.bilateral for s in self.scenarios], ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """The results JSON (country tables included, bilateral tables in their own files)."""
        est, fill = self.costs.estimation, self.costs.fill
        return {
            "spec": self.spec_file, "data": self.data_file, "title": self.title, "year": self.year,
            "sigma": self.sigma, "reference": self.reference, "countries": list(self.data.countries),
            "coefficients": _records(self.costs.coefficients),
            "estimation": _estimation_dict(est) if est else None,
            "fill": {**_estimation_dict(fill.regression), "filled_pairs": len(fill.filled)} if fill else None,
            "baseline": {"diagnostics": _diagnostics_dict(self.baseline.diagnostics)},
            "data_balance": {"method": self.data.balance, "scale": self.data.balance_scale,
                             "output_total": float(self.data.output.sum()),
                             "expenditure_total": float(self.data.expenditure.sum())},
            "scenarios": [{"name": s.name, "kind": s.kind, "effect": s.effect, "edits": list(s.edits),
                           "notes": dict(s.notes),
                           "diagnostics": _diagnostics_dict(s.counterfactual.diagnostics),
                           "countries": _records(s.countries.drop(columns=["scenario"]))} for s in self.scenarios],
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }

    def __repr__(self) -> str:
        names = ", ".join(s.name for s in self.scenarios)
        return (f"GravityRun({self.title or self.spec_file!r}, year={self.year}, n={len(self.data.countries)}, "
                f"σ={self.sigma:g}, reference={self.reference}, scenarios: {names})")


def run_file(path: str | Path, progress: Progress | None = None) -> GravityRun:
    """Load a spec file (see :func:`~tradetalks.econ.gravity.spec.load_spec`) and run it."""
    return run_spec(load_spec(path), progress)


def run_spec(sf: SpecFile, progress: Progress | None = None) -> GravityRun:
    """Run a validated spec: data, trade costs, baseline and every counterfactual.

    Raises
    ------
    DataError
        The data are unusable, or the spec names years or countries the data lack (every such problem at once,
        each with the spec's file, line and field).
    ConvergenceError
        PPML or a GE solve did not converge.
    """
    from tradetalks.econ.gravity.solver import structural_baseline

    say = progress or (lambda _msg: None)
    spec, seconds = sf.spec, {}
    t0 = time.perf_counter()
    say(f"reading {sf.data_path.name}")
    flows = _load(sf)
    check_sigma(spec.sigma)
    _check_against_data(sf, flows)
    data = cross_section(flows, spec.year, spec.data.balance)
    ref = check_reference(spec.reference, data.countries)
    seconds["data"] = time.perf_counter() - t0
    costs = _trade_costs(sf, flows, data, say, seconds)
    t1 = time.perf_counter()
    say("solving the baseline")
    baseline = structural_baseline(data.output, data.expenditure, np.exp(costs.log_phi), reference=ref,
                                   countries=data.countries)
    scenarios = []
    for _, cf in spec.counterfactuals():
        say(f"solving scenario {cf.name} ({cf.kind} GE)")
        scenarios.append(_solve_scenario(cf, costs, baseline, data, spec.sigma, ref))
    seconds["general_equilibrium"] = time.perf_counter() - t1
    seconds["total"] = time.perf_counter() - t0
    return GravityRun(spec_file=str(sf.path), data_file=str(sf.data_path), title=spec.title, year=spec.year,
                      sigma=spec.sigma, reference=spec.reference, data=data, costs=costs, baseline=baseline,
                      scenarios=tuple(scenarios), seconds=seconds)


def _load(sf: SpecFile) -> pd.DataFrame:
    """Read the data, check every column the spec needs (all misses at once), add the dummies and variables."""
    spec = sf.spec
    variables = spec.trade_costs.variables
    frame = read_table(sf.data_path, spec.data.format, spec.data.sep)
    _check_columns(sf, list(frame.columns))
    sources = [v.column or v.name for v in variables
               if v.transform != "international" and (v.column or v.name) not in spec.dummies]
    flows = canonical_flows(frame, FlowColumns(**spec.data.columns.model_dump()), sources, sf.data_path.name)
    if YEAR not in flows.columns:
        flows[YEAR] = spec.year
    countries = sorted(set(flows[EXPORTER]) | set(flows[IMPORTER]))
    for name, dummy in spec.dummies.items():
        flows = add_pair_dummy(flows, name, dummy.ordered_pairs(countries), dummy.from_year, dummy.to_year)
    return add_cost_variables(flows, [(v.name, v.column, v.transform) for v in variables])


def _check_columns(sf: SpecFile, available: Sequence[str]) -> None:
    """Core columns (``data.columns``) and trade-cost variables' columns must exist; dummies must not clash."""
    spec, have, problems = sf.spec, set(available), []
    shown = ", ".join(map(str, list(available)[:30])) + (", …" if len(available) > 30 else "")
    for key, column in spec.data.columns.model_dump().items():
        if column is not None and column not in have:
            problems.append(sf.problem(("data", "columns", key), f"the data file has no column {column!r} for "
                                       f"{key}.", f"name the {key} column under data.columns; available: {shown}"))
    for k, v in enumerate(spec.trade_costs.variables):
        source = v.column or v.name
        if v.transform == "international" or source in have or source in spec.dummies:
            continue
        field_ = "column" if v.column else "name"
        problems.append(sf.problem(("trade_costs", "variables", k, field_),
                                   f"the trade-cost variable {v.name!r} needs the column {source!r}, which the data "
                                   f"lack (available: {shown}).",
                                   "write `column:` naming one of the available columns, define a pair dummy of that "
                                   f"name under `dummies:` (e.g. `dummies: {{{source}: {{members: [CAN, MEX, USA]}}}}`"
                                   "), or add the column to the file"))
    problems += [sf.problem(("dummies", name), f"the dummy {name!r} has the name of a column of the data.",
                            "rename the dummy, or use the data's column and remove the dummy")
                 for name in spec.dummies if name in have]
    if problems:
        raise spec_data_error(sf, problems)


def spec_data_error(sf: SpecFile, problems: Sequence[Problem]) -> DataError:
    """One :class:`DataError` listing every spec-versus-data problem with its file, line and field."""
    body = "\n".join(f"  - {p}" for p in problems)
    return DataError(f"the spec {sf.loaded.file} does not match its data ({len(problems)} problem"
                     f"{'s' if len(problems) != 1 else ''}):\n{body}",
                     fix="correct each field listed above and run again.")


def _check_against_data(sf: SpecFile, flows: pd.DataFrame) -> None:
    """Years and countries the spec names must exist in the data: collect every miss, raise once."""
    spec, problems = sf.spec, []
    years = sorted(int(y) for y in flows[YEAR].unique())
    if spec.year not in years:
        problems.append(sf.problem(("year",), f"the data have no year {spec.year}.", f"use one of {years}"))
        countries: list[str] = sorted(set(flows[EXPORTER]) | set(flows[IMPORTER]))
    else:
        rows = flows[flows[YEAR] == spec.year]
        countries = sorted(set(rows[EXPORTER]) | set(rows[IMPORTER]))
    if spec.reference not in countries:
        problems.append(sf.problem(("reference",), f"the reference importer {spec.reference!r} is not in the data.",
                                   unknown_country_fix([spec.reference], countries)))
    est = spec.trade_costs.estimate
    for k, y in enumerate((est.years or []) if est else []):
        if y not in years:
            problems.append(sf.problem(("trade_costs", "estimate", "years", k), f"the data have no year {y}.",
                                       f"use years of the data ({years[0]}–{years[-1]})"))
    for where, cf in spec.counterfactuals():
        for k, edit in enumerate(cf.edits):
            for key in ("exporters", "importers"):
                for m, code in enumerate(getattr(edit, key) or []):
                    if code not in countries:
                        problems.append(sf.problem((*where, "edits", k, key, m),
                                                   f"the counterfactual names the unknown country {code!r}.",
                                                   unknown_country_fix([code], countries)))
    for name, dummy in spec.dummies.items():
        for path, code in dummy.codes():
            if code not in countries:
                problems.append(sf.problem(("dummies", name, *path), f"the dummy {name!r} names the unknown "
                                           f"country {code!r}.", unknown_country_fix([code], countries)))
    if problems:
        raise spec_data_error(sf, problems)


def _trade_costs(sf: SpecFile, flows: pd.DataFrame, data: CrossSection, say: Progress,
                 seconds: dict[str, float]) -> TradeCostModel:
    """Coefficients (given and/or estimated), baseline-year variables and log φ, pair effects included."""
    tc, year = sf.spec.trade_costs, sf.spec.year
    given = dict(tc.coefficients)
    rows = flows[flows[YEAR] == year]
    estimation = fill = None
    t0 = time.perf_counter()
    if tc.estimate is not None:
        estimation = _estimate(flows, tc.estimate, year, given, say)
        seconds["estimation"] = time.perf_counter() - t0
    beta = {**given, **(estimation.coefficients.to_dict() if estimation else {})}
    variables = {name: _baseline_matrix(rows, name, data.countries) for name in beta}
    log_phi = sum((b * variables[name] for name, b in beta.items()), np.zeros((len(data.countries),) * 2))
    if tc.estimate is not None and "pair" in tc.estimate.fixed_effects:
        assert estimation is not None
        say("filling missing pair effects")
        pair_log, fill = _baseline_pair_effects(rows, estimation, tc.estimate, data.countries)
        log_phi = log_phi + pair_log
        seconds["pair_effects"] = time.perf_counter() - t0 - seconds.get("estimation", 0.0)
    table = pd.DataFrame({
        "term": list(beta), "estimate": [float(b) for b in beta.values()],
        "std_error": [float(estimation.std_errors[k]) if estimation is not None and k in estimation.std_errors
                      else float("nan") for k in beta],
        "source": ["given" if k in given else "estimated" for k in beta],
    })
    return TradeCostModel(table, log_phi, variables, estimation, fill)


def _baseline_matrix(rows: pd.DataFrame, name: str, countries: tuple[str, ...]) -> np.ndarray:
    matrix = pair_matrix(rows, name, countries)
    bad = np.argwhere(~np.isfinite(matrix))
    if bad.size:
        ex = [f"{countries[i]}→{countries[j]}" for i, j in bad[:5]]
        raise DataError(f"the trade-cost variable {name} has {len(bad)} missing value(s) in the baseline year.",
                        received=ex, fix=f"fill in {name} for every pair of the baseline year.")
    return matrix


def _pair_key(frame: pd.DataFrame, est: Estimate) -> pd.Series:
    exp, imp = frame[EXPORTER].astype(str), frame[IMPORTER].astype(str)
    if est.pair == "symmetric":
        first, second = exp.where(exp <= imp, imp), imp.where(exp <= imp, exp)
    else:
        first, second = exp, imp
    key = first + "|" + second
    return key.where(exp != imp, INTRANATIONAL_PAIR) if est.intranational == "shared" else key


def _estimation_panel(flows: pd.DataFrame, est: Estimate, year: int, given: Mapping[str, float]) -> pd.DataFrame:
    years = est.years or [year]
    panel = flows[flows[YEAR].isin(years)]
    if est.sample == "international":
        panel = panel[panel[EXPORTER] != panel[IMPORTER]]
    panel = panel.copy()
    stamp = panel[YEAR].astype(str)
    panel["exporter-year"] = panel[EXPORTER] + "|" + stamp
    panel["importer-year"] = panel[IMPORTER] + "|" + stamp
    panel["pair"] = _pair_key(panel, est)
    if given:
        panel["__offset"] = sum(b * panel[name].to_numpy(dtype=float) for name, b in given.items())
    return panel


def _estimate(flows: pd.DataFrame, est: Estimate, year: int, given: Mapping[str, float],
              say: Progress) -> PPMLResult:
    panel = _estimation_panel(flows, est, year, given)
    say(f"estimating PPML on {len(panel):,} observations ({' + '.join(est.fixed_effects)} fixed effects)")
    result = ppml(panel, dependent=TRADE, regressors=est.variables, fixed_effects=list(est.fixed_effects),
                  offset="__offset" if given else None, cluster=None if est.cluster == "none" else est.cluster,
                  id_columns=[EXPORTER, IMPORTER, YEAR])
    if result.collinear:
        raise DataError(f"the variable(s) {list(result.collinear)} cannot be estimated: they are collinear with "
                        "the fixed effects or other variables in the estimation sample.",
                        received=result.formula,
                        fix="remove them from estimate.variables (e.g. distance is absorbed by pair fixed effects; "
                            "use it in fill_missing_pairs instead) or give their coefficients.")
    return result


def _baseline_pair_effects(rows: pd.DataFrame, estimation: PPMLResult, est: Estimate,
                           countries: tuple[str, ...]) -> tuple[np.ndarray, PairEffectFill | None]:
    frame = rows.assign(__pair_effect=_pair_key(rows, est).map(estimation.fixed_effects["pair"]).to_numpy())
    missing = frame["__pair_effect"].isna()
    fill = None
    if (missing & (frame[EXPORTER] == frame[IMPORTER])).any():
        raise DataError("intranational pairs have no estimated pair effect, so the baseline has no domestic "
                        "trade costs.", received=f"estimate.sample: {est.sample}",
                        fix="estimate on `sample: all` (intranational flows included) when using pair effects.")
    if missing.any():
        if est.fill_missing_pairs is None:
            ex = [f"{e}→{i}" for e, i in frame.loc[missing, [EXPORTER, IMPORTER]].head(5).itertuples(index=False)]
            raise DataError(f"{int(missing.sum())} pair(s) of the baseline year have no estimated pair effect "
                            "(their flows are zero in every year of the panel).", received=ex,
                            fix="add `fill_missing_pairs: {variables: [ln_DIST, CNTG, LANG, CLNY]}` under "
                                "estimate to predict them from gravity variables, or drop these countries.")
        fill = fill_pair_effects(frame, pair_effect="__pair_effect", variables=est.fill_missing_pairs.variables)
        frame["__pair_effect"] = fill.values
    return pair_matrix(frame, "__pair_effect", countries), fill


def scenario_inputs(cf: ScenarioSpec, costs: TradeCostModel, countries: Sequence[str]) -> dict[str, np.ndarray]:
    """Changes of trade costs and the new tariffs of a counterfactual's edits, applied in order.

    Returns
    -------
    dict
        ``phi_hat`` (n, n): φ'/φ = exp(Σ_k β_k (x'_k − x_k)); ``tariff`` (n, n): ad-valorem tariffs of the
        counterfactual (0 where no edit sets one; never on intranational flows).
    """
    n, index = len(countries), {c: i for i, c in enumerate(countries)}
    beta = costs.beta()
    current = {k: v.copy() for k, v in costs.variables.items()}
    tariff = np.zeros((n, n))
    for edit in cf.edits:
        domestic = isinstance(edit, SetEdit) and edit.include_domestic
        mask = _pair_mask(index, edit.exporters, edit.importers, domestic)
        if isinstance(edit, SetEdit):
            current[edit.set][mask] = edit.value
        else:
            tariff[mask] = edit.tariff
    log_hat = sum((beta[k] * (current[k] - costs.variables[k]) for k in current), np.zeros((n, n)))
    return {"phi_hat": np.exp(log_hat), "tariff": tariff}


def _pair_mask(index: Mapping[str, int], exporters: Sequence[str] | None, importers: Sequence[str] | None,
               include_domestic: bool) -> np.ndarray:
    n = len(index)
    rows = np.zeros(n, bool)
    cols = np.zeros(n, bool)
    rows[[index[c] for c in exporters] if exporters else slice(None)] = True
    cols[[index[c] for c in importers] if importers else slice(None)] = True
    mask = np.outer(rows, cols)
    if not include_domestic:
        np.fill_diagonal(mask, False)
    return mask


def _solve_scenario(cf: ScenarioSpec, costs: TradeCostModel, baseline: Any, data: CrossSection, sigma: float,
                    ref: int) -> ScenarioResult:
    from tradetalks.econ.gravity.book_loop import book_loop_counterfactual
    from tradetalks.econ.gravity.solver import solve_counterfactual

    inputs = scenario_inputs(cf, costs, data.countries)
    tariffs = inputs["tariff"] if inputs["tariff"].any() else None
    if cf.solver == "book-loop":  # full GE without tariffs (checked in the spec)
        result = book_loop_counterfactual(baseline.trade, baseline.phi, baseline.phi * inputs["phi_hat"], sigma,
                                          reference=ref, countries=data.countries)
    else:
        result = solve_counterfactual(baseline.trade, inputs["phi_hat"], sigma, reference=ref, kind=cf.kind,
                                      tariff_base=None if tariffs is None else np.zeros_like(tariffs),
                                      tariff_new=tariffs, countries=data.countries)
    countries = _country_frame(result, cf)
    bilateral = _bilateral_frame(result, cf, inputs)
    edits = tuple(e.model_dump(exclude_none=True) for e in cf.edits)
    prices = countries.set_index("country")["factory_gate_price"] if cf.kind == "full" else None
    notes = scenario_notes(cf.name, cf.effect, edits, data.countries[ref], prices)
    return ScenarioResult(cf.name, cf.kind, cf.effect, edits, result, countries, bilateral, notes)


#: per-country fields kept for every σ draw (% changes, in the direction of each scenario's ``effect``)
DRAW_FIELDS: tuple[str, ...] = ("real_gdp", "welfare", "exports")
#: σ draws solved per task (one task = one call of the mapper's function)
DRAW_CHUNK = 25
#: most σ draws in one call (memory: draws × scenarios × countries × 3 floats)
MAX_DRAWS = 100_000
#: maps a function over items and returns the results in item order: the builtin :func:`map` (serial) or
#: ``tradetalks.executor.Executor.map`` (Dask); the caller passes it in, so this module never imports the executor
Mapper = Callable[[Callable[[Any], Any], Sequence[Any]], Iterable[Any]]


@dataclass(frozen=True)
class SigmaDraws:
    """Every counterfactual of a run re-solved for σ drawn uniformly on ``[low, high]``.

    The trade costs φ and their changes φ'/φ are those of the run (σ does not enter them); σ moves the GE price
    responses, and with tariffs the tariff-inclusive costs t^(1−σ). Draws come from one
    :class:`numpy.random.Generator` seeded with ``seed``, so the result does not depend on how they are run.

    Attributes
    ----------
    sigmas
        The drawn σ, shape (D,).
    values
        Shape (D, S, n, F): draw × scenario (run order) × country × field of :data:`DRAW_FIELDS`, % changes.
    scenarios, countries
        Names of axes 1 and 2.
    low, high, seed
        The draw's support and seed.
    """

    sigmas: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)
    scenarios: tuple[str, ...]
    countries: tuple[str, ...] = field(repr=False)
    low: float
    high: float
    seed: int

    def to_frame(self, quantiles: Sequence[float] = (5.0, 50.0, 95.0)) -> pd.DataFrame:
        """One row per scenario × country × field: the mean and the given percentiles over the draws."""
        q = np.percentile(self.values, list(quantiles), axis=0)  # (Q, S, n, F)
        mean = self.values.mean(axis=0)
        s, n, f = np.meshgrid(np.arange(len(self.scenarios)), np.arange(len(self.countries)),
                              np.arange(len(DRAW_FIELDS)), indexing="ij")
        frame = pd.DataFrame({"scenario": np.array(self.scenarios)[s.ravel()],
                              "country": np.array(self.countries)[n.ravel()],
                              "field": np.array(DRAW_FIELDS)[f.ravel()], "mean": mean.ravel()})
        for k, level in enumerate(quantiles):
            frame[f"p{level:g}"] = q[k].ravel()
        frame.attrs["units"] = "% change; over draws of sigma"
        return frame

    def __repr__(self) -> str:
        return (f"SigmaDraws({len(self.sigmas)} draws of σ on [{self.low:g}, {self.high:g}], seed {self.seed}, "
                f"scenarios: {', '.join(self.scenarios)})")


@dataclass(frozen=True)
class _DrawInputs:
    """What a task needs to re-solve every counterfactual for other σ (arrays only: cheap to send to workers)."""

    trade: np.ndarray
    phi: np.ndarray
    reference: int
    countries: tuple[str, ...]
    #: per scenario: kind, effect, solver, φ'/φ (n, n), new tariffs (n, n) or None
    scenarios: tuple[tuple[GEKind, str, str, np.ndarray, np.ndarray | None], ...]


def _solve_sigmas(inputs: _DrawInputs, sigmas: np.ndarray) -> np.ndarray:
    """Shape (len(sigmas), S, n, F): every scenario solved at each σ (runs on a worker: all is in the arguments)."""
    from tradetalks.econ.gravity.book_loop import book_loop_counterfactual
    from tradetalks.econ.gravity.solver import solve_counterfactual

    out = np.empty((len(sigmas), len(inputs.scenarios), len(inputs.countries), len(DRAW_FIELDS)))
    for d, sigma in enumerate(sigmas):
        for k, (kind, effect, solver, phi_hat, tariff) in enumerate(inputs.scenarios):
            if solver == "book-loop":
                res = book_loop_counterfactual(inputs.trade, inputs.phi, inputs.phi * phi_hat, float(sigma),
                                               reference=inputs.reference, countries=inputs.countries)
            else:
                res = solve_counterfactual(inputs.trade, phi_hat, float(sigma), reference=inputs.reference,
                                           kind=kind, tariff_base=None if tariff is None else np.zeros_like(tariff),
                                           tariff_new=tariff, countries=inputs.countries)
            for f, name in enumerate(DRAW_FIELDS):
                value = np.asarray(getattr(res, name), dtype=float)
                out[d, k, :, f] = _invert_change(value) if effect == "of-baseline" else value
    return out


def sigma_draws(sf: SpecFile, run: GravityRun, n_draws: int, low: float, high: float, *, seed: int = 0,
                mapper: Mapper = map) -> SigmaDraws:
    """Re-solve every counterfactual of ``run`` for ``n_draws`` values of σ ~ Uniform[low, high].

    Parameters
    ----------
    sf, run
        The spec and its run (:func:`run_spec`): trade costs, baseline and counterfactual edits are reused.
    n_draws
        Number of σ draws (1 … :data:`MAX_DRAWS`).
    low, high
        Support of σ, both > 1.
    seed
        Seed of the draws.
    mapper
        How tasks of :data:`DRAW_CHUNK` draws are run: :func:`map` in this process, or an executor's ``map``
        (``functools.partial(Executor(...).map, progress=...)``).

    Raises
    ------
    DataError
        σ bounds not > 1 or in the wrong order, or a number of draws outside 1 … :data:`MAX_DRAWS`.
    """
    low, high = check_sigma(low), check_sigma(high)
    if low > high or not 1 <= n_draws <= MAX_DRAWS:
        raise DataError("σ draws need low <= high and between 1 and "
                        f"{MAX_DRAWS:,} draws.", received={"draws": n_draws, "low": low, "high": high},
                        fix="e.g. --sigma-draws 1000 --sigma-range 5 9.")
    sigmas = np.random.default_rng(seed).uniform(low, high, n_draws)
    ref = run.data.countries.index(run.reference)
    scen = []
    for _, cf in sf.spec.counterfactuals():
        inputs = scenario_inputs(cf, run.costs, run.data.countries)
        tariff = inputs["tariff"] if inputs["tariff"].any() else None
        scen.append((cf.kind, cf.effect, cf.solver, inputs["phi_hat"], tariff))
    payload = _DrawInputs(trade=np.asarray(run.baseline.trade), phi=np.asarray(run.baseline.phi), reference=ref,
                          countries=tuple(run.data.countries), scenarios=tuple(scen))
    tasks = [sigmas[k:k + DRAW_CHUNK] for k in range(0, n_draws, DRAW_CHUNK)]
    values = np.concatenate(list(mapper(partial(_solve_sigmas, payload), tasks)), axis=0)
    return SigmaDraws(sigmas=sigmas, values=values, scenarios=tuple(s.name for s in run.scenarios),
                      countries=tuple(run.data.countries), low=low, high=high, seed=seed)


def _invert_change(pct: np.ndarray | pd.Series) -> np.ndarray:
    """A % change from a to b turned into the % change from b to a: 100 · (100 / (100 + x) − 1)."""
    x = np.asarray(pct, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * (100.0 / (100.0 + x) - 1.0)


def _country_frame(result: Any, cf: ScenarioSpec) -> pd.DataFrame:
    from tradetalks.econ.gravity.results import COUNTRY_FIELDS

    frame = result.to_frame().reset_index()
    if cf.effect == "of-baseline":
        for col in COUNTRY_FIELDS:
            frame[col] = _invert_change(frame[col])
    frame.insert(0, "scenario", cf.name)
    frame.insert(1, "kind", cf.kind)
    frame.insert(2, "effect", cf.effect)
    return frame


def _bilateral_frame(result: Any, cf: ScenarioSpec, inputs: Mapping[str, np.ndarray]) -> pd.DataFrame:
    frame = result.bilateral_frame().reset_index()
    frame["cost_change"] = 100.0 * (inputs["phi_hat"].reshape(-1) - 1.0)
    frame["tariff"] = inputs["tariff"].reshape(-1)
    if cf.effect == "of-baseline":
        frame["change"] = _invert_change(frame["change"])
    frame.insert(0, "scenario", cf.name)
    frame.insert(1, "effect", cf.effect)
    return frame


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    clean = frame.astype(object).where(frame.notna(), None)
    return [{k: _plain(v) for k, v in row.items()} for row in clean.to_dict("records")]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _estimation_dict(est: PPMLResult) -> dict[str, Any]:
    return {"formula": est.formula, "n_obs": est.n_obs, "n_input": est.n_input, "vcov": est.vcov,
            "dropped": est.dropped.counts(), "collinear": list(est.collinear),
            "fixef_max_error": _plain(est.fixef_max_error), "table": _records(est.to_frame())}


def _diagnostics_dict(diag: Any) -> dict[str, Any]:
    out = {"method": diag.method, "iterations": int(diag.iterations), "converged": bool(diag.converged),
           "tolerance": float(diag.tolerance), "max_residual": float(diag.max_residual),
           "residuals": {k: float(v) for k, v in diag.residuals.items()}}
    if getattr(diag, "stop_rule", None):
        out["stop_rule"] = {k: float(v) for k, v in diag.stop_rule.items()}
    return out


def write_outputs(run: GravityRun, out_dir: str | Path) -> list[Path]:
    """Write the run's tables and results JSON to ``out_dir``, each file atomically (temp file + ``os.replace``).

    Files: ``results.json``, ``countries.csv``/``.json``, ``bilateral.csv``/``.json``, ``coefficients.csv`` and,
    when coefficients were estimated, ``dropped.csv`` (every observation left out of the estimation, with why).
    """
    from tradetalks.outputs import write_atomic

    out = Path(out_dir)
    countries, bilateral = run.country_table(), run.bilateral_table()
    files = {
        "results.json": _dumps(run.to_dict()),
        "countries.csv": countries.to_csv(index=False),
        "countries.json": _dumps(_records(countries)),
        "bilateral.csv": bilateral.to_csv(index=False),
        "bilateral.json": _dumps(_records(bilateral)),
        "coefficients.csv": run.costs.coefficients.to_csv(index=False),
    }
    if run.costs.estimation is not None:
        files["dropped.csv"] = run.costs.estimation.dropped.to_frame().to_csv(index=False)
    return [write_atomic(out / name, text) for name, text in files.items()]


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False, default=_plain) + "\n"
