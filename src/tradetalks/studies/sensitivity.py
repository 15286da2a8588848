"""Sensitivity of the predicted package: a tornado over weights and facts, and a sweep over weight vectors.

Tornado: each stakeholder's political weight and each fact used as a direct valuation (an option's ``payoffs``) or
as an elasticity (a market's demand, Armington or supply elasticity) is moved down and up by ``delta`` (25 % by
default, or to given low/high bounds), one at a time; for each the Nash package (the scenario's bargaining powers,
BATNA as disagreement point) and its utilities are recomputed. A row *flips* the prediction when the package
changes at either end; rows are sorted by the swing of the Nash utilities. Weights only rescale utility tables
(``payoffs @ W``); facts re-run the partial-equilibrium valuation of the issue groups that use them.

Sweep: ``n_draws`` weight vectors, each weight times an independent log-normal factor :math:`e^{\\sigma z}`
around the scenario's weights, seeded; for each the Nash package
(:func:`~tradetalks.bargain.sensitivity.sweep_weights`, in tasks of :data:`SWEEP_CHUNK` draws run by
:class:`~tradetalks.executor.Executor`); reported as how often each issue's option is predicted. All draws come from
one generator seeded with ``seed``, so the sweep does not depend on the number of workers.

Example
-------
>>> from tradetalks.scenario import load_scenario
>>> s = sensitivity(load_scenario("tests/data/toy.yaml"), n_draws=200)
>>> s.base.package
{'widget_tariff': 't0', 'transfer': 'more'}
>>> s.sweep.n_draws, [r.id for r in s.tornado][:2]
(200, ['a_exporters', 'a_treasury'])

References
----------
Grossman, G. M. and Helpman, E. (1994). Protection for sale. *American Economic Review* 84(4), 833-850.
https://www.jstor.org/stable/2118033

Nash, J. F. (1950). The bargaining problem. *Econometrica* 18(2), 155-162. https://doi.org/10.2307/1907266
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from tradetalks.bargain import solutions as sol
from tradetalks.bargain.frontier import pareto_frontier
from tradetalks.bargain.sensitivity import DEFAULT_CHUNK, NashBatch, batch_nash, sweep_weights, weight_draws
from tradetalks.econ.valuation import compile_scenario, issue_markets, stakeholder_payoffs
from tradetalks.errors import TradetalksError
from tradetalks.executor import Executor
from tradetalks.jsonable import jsonable
from tradetalks.model import Model, build_model, decode_package
from tradetalks.options import ParameterKind
from tradetalks.scenario.expressions import names_in
from tradetalks.scenario.loader import LoadedScenario
from tradetalks.scenario.schema import Scenario
from tradetalks.studies.notebook_view import NotebookView

__all__ = ["DEFAULT_DELTA", "DEFAULT_N_DRAWS", "DEFAULT_SEED", "DEFAULT_SIGMA", "ParameterKind",
           "SensitivityResult", "sensitivity"]


DEFAULT_DELTA = 0.25
DEFAULT_N_DRAWS = 10_000
#: weight draws per executor task (solved in vectorised batches of DEFAULT_CHUNK; results do not depend on either)
SWEEP_CHUNK = 5 * DEFAULT_CHUNK
#: log-normal spread of the weight draws (σ = 0.25: a weight is within ×/÷ 1.63 of its value in 95 % of draws)
DEFAULT_SIGMA = 0.25
DEFAULT_SEED = 20250424


@dataclass(frozen=True)
class TornadoSide:
    """The Nash solution with one parameter at one end: its value, utilities and the issues that changed."""

    value: float
    utilities: dict[str, float] | None
    changes: list[dict[str, str]]


@dataclass(frozen=True)
class TornadoRow:
    """One parameter moved down and up. ``swing``: per party, high-end minus low-end Nash utility (USD/yr,
    weighted); ``flips``: the Nash package differs from the base at either end; ``flipped_issues``: which."""

    kind: ParameterKind
    id: str
    label: str
    base_value: float
    low: TornadoSide
    high: TornadoSide
    swing: dict[str, float]
    flips: bool
    flipped_issues: list[str]

    @property
    def size(self) -> float:
        """Joint swing |Δu_0| + |Δu_1|, the sort key of the tornado."""
        return float(sum(abs(v) for v in self.swing.values()))


@dataclass(frozen=True)
class IssueRobustness:
    """How often each option of one issue is in the Nash package across the sweep's draws."""

    issue: str
    base_option: str
    base_share: float
    shares: dict[str, float]


@dataclass(frozen=True)
class WeightSweep:
    n_draws: int
    sigma: float
    seed: int
    workers: int
    seconds: float
    same_package_share: float
    no_agreement_share: float
    issues: list[IssueRobustness]
    utilities: dict[str, dict[str, float]]


@dataclass(frozen=True)
class BaseSolution:
    package: dict[str, str]
    utilities: dict[str, float]
    powers: dict[str, float]


@dataclass(frozen=True)
class SensitivityResult(NotebookView):
    """Tornado and weight sweep of a scenario's Nash prediction (utilities in weighted USD/yr vs the BATNA)."""

    scenario: str
    base: BaseSolution
    delta: float
    tornado: list[TornadoRow]
    sweep: WeightSweep | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (floats rounded to 6 significant digits)."""
        return dict(jsonable(dataclasses.asdict(self)))

    def to_frame(self) -> pd.DataFrame:
        """The tornado table: one row per parameter, largest swing first."""
        rows = [{"kind": r.kind, "id": r.id, "label": r.label, "base": r.base_value, "low": r.low.value,
                 "high": r.high.value, **{f"swing_{p}": v for p, v in r.swing.items()}, "flips": r.flips,
                 "flipped_issues": ", ".join(r.flipped_issues)} for r in self.tornado]
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        flips = [r.id for r in self.tornado if r.flips]
        sweep = "no sweep" if self.sweep is None else (
            f"{self.sweep.n_draws:,} draws in {self.sweep.seconds:.2f} s, same package in "
            f"{self.sweep.same_package_share:.1%}")
        return (f"SensitivityResult({self.scenario!r}: {len(self.tornado)} parameters ±{self.delta:.0%}, "
                f"{len(flips)} flip the Nash package ({', '.join(flips[:5])}{', …' if len(flips) > 5 else ''}); "
                f"{sweep})")


def _fact_kinds(scn: Scenario) -> dict[str, ParameterKind]:
    """Facts used as elasticities (markets) or direct valuations (option payoffs), in scenario order."""
    kinds: dict[str, ParameterKind] = {}
    for mk in scn.markets:
        qs = [mk.demand_elasticity, mk.armington_elasticity] + [s.supply_elasticity for s in mk.suppliers
                                                                if s.supply_elasticity is not None]
        for q in qs:
            for name in sorted(names_in(q)):
                kinds.setdefault(name, "elasticity")
    for iss in scn.issues:
        for op in iss.options:
            for q in op.payoffs.values():
                for name in sorted(names_in(q)):
                    kinds.setdefault(name, "valuation")
    return {f: kinds[f] for f in scn.facts if f in kinds}


def _groups_using(model: Model, scn: Scenario, fact: str) -> list[int]:
    """Issue groups whose payoffs depend on ``fact``: an option of theirs names it (payoffs or lever settings), or
    they set levers in a market that names it anywhere (values, tariffs, elasticities)."""
    if scn.valuation is not None and fact in _names(scn.valuation):
        # the time basis (discount rate, horizon, durations, probabilities) scales every market flow and every
        # flow()/lump() payoff, so every group is re-valued
        return list(range(len(model.groups)))
    markets = {k for k, mk in enumerate(scn.markets) if fact in _names(mk)}
    issues = {i for i, iss in enumerate(scn.issues)
              if fact in _names(iss) or issue_markets(model.cs, i) & markets}
    return [g for g, grp in enumerate(model.groups) if issues & set(grp.issues)]


def _names(node: object) -> set[str]:
    """Fact ids named by any quantity (string expression) inside a scenario model."""
    if isinstance(node, str):
        try:
            return names_in(node)
        except ValueError:  # a plain label, not an expression
            return set()
    if isinstance(node, dict):
        return set().union(*(_names(v) for v in node.values()))
    if isinstance(node, list | tuple):
        return set().union(*(_names(v) for v in node))
    if isinstance(node, BaseModel):
        return set().union(*(_names(getattr(node, f)) for f in type(node).model_fields))
    return set()


def _utilities_with(loaded: LoadedScenario, model: Model, fact: str, value: float) -> list[np.ndarray]:
    """Per-group utility tables with one fact changed (only the groups that use it are re-valued)."""
    cs = compile_scenario(loaded.scenario, {**loaded.facts, fact: value})
    payoffs = list(model.payoffs)
    for g in _groups_using(model, loaded.scenario, fact):
        grp = model.groups[g]
        payoffs[g] = np.array([stakeholder_payoffs(cs, row, grp.issues) for row in grp.combos])
    return [p @ cs.weight_matrix for p in payoffs]


def _ends(base: float, delta: float, bounds: Mapping[str, tuple[float, float]], key: str) -> tuple[float, float]:
    if key in bounds:
        return float(bounds[key][0]), float(bounds[key][1])
    return base * (1 - delta), base * (1 + delta)


#: (kind, id, label, base value, low value, high value, low utility tables, high utility tables)
_Perturbation = tuple[ParameterKind, str, str, float, float, float, list[np.ndarray], list[np.ndarray]]


def _perturbations(loaded: LoadedScenario, model: Model, delta: float,
                   bounds: Mapping[str, tuple[float, float]]) -> list[_Perturbation]:
    """(kind, id, label, base, low, high, low utility tables, high utility tables) of every tornado parameter."""
    cs, scn = model.cs, loaded.scenario
    names = {st.id: st.name for party in scn.parties for st in party.stakeholders}
    out: list[_Perturbation] = []
    for s, sid in enumerate(cs.stakeholders):
        lo, hi = _ends(float(cs.weights[s]), delta, bounds, sid)
        tables = []
        for w in (lo, hi):
            wm = cs.weight_matrix.copy()
            wm[s, cs.stakeholder_party[s]] = w
            tables.append([p @ wm for p in model.payoffs])
        out.append(("weight", sid, f"weight of {names[sid]}", float(cs.weights[s]), lo, hi, tables[0], tables[1]))
    for fid, kind in _fact_kinds(scn).items():
        base = float(loaded.facts[fid])
        lo, hi = _ends(base, delta, bounds, fid)
        out.append((kind, fid, f"{fid} ({scn.facts[fid].unit})", base, lo, hi,
                    _utilities_with(loaded, model, fid, lo), _utilities_with(loaded, model, fid, hi)))
    return out


def _nash_many(model: Model, table_sets: list[list[np.ndarray]], seed_rows: np.ndarray) -> NashBatch:
    """Nash package for each set of per-group utility tables, in one vectorised batch."""
    tables = [np.stack([ts[g] for ts in table_sets]) for g in range(len(model.groups))]
    return batch_nash(tables, (0.0, 0.0), _powers(model), seed_rows=seed_rows)


def _powers(model: Model) -> tuple[float, float]:
    return float(model.cs.bargaining_powers[0]), float(model.cs.bargaining_powers[1])


def _side(model: Model, batch: NashBatch, k: int, value: float, base: dict[str, str]) -> TornadoSide:
    if not batch.found[k]:
        return TornadoSide(value=value, utilities=None, changes=[])
    pkg = decode_package(model, batch.choices[k])
    cs = model.cs
    return TornadoSide(value=value, utilities={cs.parties[p]: float(batch.utilities[k, p]) for p in (0, 1)},
                       changes=[{"issue": i, "from_option": base[i], "to_option": o} for i, o in pkg.items()
                                if o != base[i]])


def _tornado(loaded: LoadedScenario, model: Model, delta: float, bounds: Mapping[str, tuple[float, float]],
             base: BaseSolution, seed_rows: np.ndarray) -> list[TornadoRow]:
    params = _perturbations(loaded, model, delta, bounds)
    batch = _nash_many(model, [p[6] for p in params] + [p[7] for p in params], seed_rows)
    rows = []
    for k, (kind, pid, label, value, lo, hi, _, _) in enumerate(params):
        low = _side(model, batch, k, lo, base.package)
        high = _side(model, batch, len(params) + k, hi, base.package)
        swing = {p: (high.utilities[p] if high.utilities else 0.0) - (low.utilities[p] if low.utilities else 0.0)
                 for p in base.utilities}
        flipped = sorted({c["issue"] for side in (low, high) for c in side.changes})
        flips = bool(flipped) or low.utilities is None or high.utilities is None
        rows.append(TornadoRow(kind=kind, id=pid, label=label, base_value=value, low=low, high=high, swing=swing,
                               flips=flips, flipped_issues=flipped))
    return sorted(rows, key=lambda r: (-r.size, r.id))


def _robustness(model: Model, batch: NashBatch, base: dict[str, str]) -> list[IssueRobustness]:
    cs = model.cs
    counts: dict[str, dict[str, int]] = {iid: {} for iid in cs.issue_ids}
    found = batch.choices[batch.found]
    for g, grp in enumerate(model.groups):
        rows, n = np.unique(found[:, g], return_counts=True)
        for row, c in zip(rows, n, strict=True):
            for i, o in zip(grp.issues, grp.combos[int(row)], strict=True):
                opt = cs.issues[i][int(o)].id
                counts[cs.issue_ids[i]][opt] = counts[cs.issue_ids[i]].get(opt, 0) + int(c)
    total = max(int(batch.found.size), 1)
    return [IssueRobustness(issue=iid, base_option=base[iid], base_share=counts[iid].get(base[iid], 0) / total,
                            shares={o: c / total for o, c in sorted(counts[iid].items(), key=lambda kv: -kv[1])})
            for iid in cs.issue_ids]


def _nash_chunk(payoffs: list[np.ndarray], party: np.ndarray, powers: tuple[float, float], seed_rows: np.ndarray,
                weights: np.ndarray) -> NashBatch:
    """The Nash package of each weight vector of one chunk (runs on a worker: everything is in its arguments)."""
    return sweep_weights(payoffs, party, weights, powers, seed_rows=seed_rows)


def _sweep(model: Model, n_draws: int, sigma: float, seed: int, workers: int, scheduler: str | None,
           base_rows: np.ndarray, base: BaseSolution, progress: Callable[[int], None] | None) -> WeightSweep:
    cs = model.cs
    draws = weight_draws(cs.weights, n_draws, sigma, np.random.default_rng(seed))
    start = time.perf_counter()
    size = SWEEP_CHUNK
    run = partial(_nash_chunk, list(model.payoffs), np.asarray(cs.stakeholder_party), _powers(model), base_rows)
    with Executor(workers=workers, scheduler=scheduler) as ex:
        parts = list(ex.map(run, [draws[k:k + size] for k in range(0, n_draws, size)],
                            progress=None if progress is None else lambda done, _n: progress(min(n_draws,
                                                                                                   done * size))))
    batch = NashBatch(choices=np.concatenate([b.choices for b in parts]),
                      utilities=np.concatenate([b.utilities for b in parts]),
                      found=np.concatenate([b.found for b in parts]))
    seconds = time.perf_counter() - start
    same = float((batch.choices == base_rows).all(axis=1).mean())
    u = batch.utilities[batch.found]
    quant = {cs.parties[p]: {f"p{q}": float(np.quantile(u[:, p], q / 100)) if len(u) else float("nan")
                             for q in (5, 50, 95)} for p in (0, 1)}
    return WeightSweep(n_draws=n_draws, sigma=sigma, seed=seed, workers=workers, seconds=seconds,
                       same_package_share=same, no_agreement_share=float(1 - batch.found.mean()),
                       issues=_robustness(model, batch, base.package), utilities=quant)


def sensitivity(loaded: LoadedScenario, model: Model | None = None, *, delta: float = DEFAULT_DELTA,
                bounds: Mapping[str, tuple[float, float]] | None = None, n_draws: int = DEFAULT_N_DRAWS,
                sigma: float = DEFAULT_SIGMA, seed: int = DEFAULT_SEED, workers: int = 1,
                scheduler: str | None = None, progress: bool = False) -> SensitivityResult:
    """Tornado of the Nash prediction over weights and facts, and a seeded sweep over weight vectors.

    Parameters
    ----------
    loaded
        From :func:`tradetalks.scenario.load_scenario`.
    model
        :func:`tradetalks.model.build_model` of ``loaded`` if already built.
    delta
        Relative move of each parameter down and up (0.25: ±25 %).
    bounds
        Optional ``{stakeholder or fact id: (low, high)}`` replacing ``±delta`` for those parameters.
    n_draws, sigma, seed
        Weight sweep: draws (0 skips it), log-normal spread, seed of the ``numpy.random.Generator``.
    workers
        Worker processes for the sweep: 1 runs in this process, 2 or more on a local Dask cluster (2 on a 2-core
        machine); see :class:`~tradetalks.executor.Executor`. The result does not depend on it.
    scheduler
        Address of an existing Dask scheduler for the sweep (overrides ``workers``; ``None`` reads
        ``TRADETALKS_SCHEDULER``).
    progress
        Show a rich progress bar on stderr during the sweep.
    """
    if not 0 <= delta < 1:
        raise TradetalksError("delta must be a share in [0, 1).", received=delta, fix="use e.g. 0.25 for ±25 %")
    model = model or build_model(loaded)
    cs = model.cs
    found = sol.nash(pareto_frontier(model.utilities), np.zeros(2), powers=_powers(model))
    if found is None:
        raise TradetalksError("The ZOPA is empty at the scenario's values: there is no Nash package to perturb.",
                              fix="check the BATNA and the options (`tradetalks analyze` shows the ZOPA)")
    base = BaseSolution(package=decode_package(model, found.choices),
                        utilities={cs.parties[p]: float(found.utilities[p]) for p in (0, 1)},
                        powers={cs.parties[p]: _powers(model)[p] for p in (0, 1)})
    rows = np.asarray(found.choices, dtype=np.int64)
    tornado = _tornado(loaded, model, delta, bounds or {}, base, rows)
    sweep = None
    if n_draws > 0:
        sweep = _with_progress(lambda cb: _sweep(model, n_draws, sigma, seed, workers, scheduler, rows, base, cb),
                               n_draws, progress)
    return SensitivityResult(scenario=loaded.scenario.id, base=base, delta=delta, tornado=tornado, sweep=sweep)


def _with_progress(run: Callable[[Callable[[int], None] | None], WeightSweep], total: int,
                   show: bool) -> WeightSweep:
    if not show:
        return run(None)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Nash package per weight draw", total=total)
        return run(lambda done: bar.update(task, completed=done))
