r"""Monte Carlo through the whole analysis: how sure is the answer, and what decides it.

Every fact with a ``range`` or ``dist`` (scenario format, "Uncertainty") is drawn; each draw runs facts →
partial equilibrium → valuation → utilities → bargaining solutions → ZOPA → comparison of the real deal with the
frontier, exactly as :func:`tradetalks.studies.analyze.analyze` does for the point values, but in vectorised
batches (:mod:`tradetalks.econ.batch`, :mod:`tradetalks.bargain.batch`): no scenario object and no frontier per
draw. Chunk results are folded in as they arrive: counts for every share (options, packages, the deal's standing),
and only the per-draw numbers that quantiles need (solutions' gains, the deal's utilities and gaps, the robust
candidates' utilities), so memory grows by well under a kilobyte a draw whatever the size of the frontier.

Drawing. Each uncertain input (a fact, or a ``draw_with`` group) gets one uniform quantile :math:`q` per draw; a
fact takes its distribution's quantile function at :math:`q` (a ``range`` given with ``normal``/``lognormal``
truncates it: :math:`F^{-1}(F(lo) + q (F(hi) - F(lo)))`), so a group is drawn comonotonically. Facts without a
range stay at their value, and so do facts the user overrode with ``--set``.

Seeds. The draws are split into chunks before they run, each chunk with its own generator spawned from the one
seed (:func:`tradetalks.executor.plan_chunks`), and results are gathered in chunk order: the same seed and chunk
size give identical results on any number of workers.

What decides the answer. Sobol indices (Saltelli, 2002; Saltelli et al., 2010) of each side's Nash gain and of
"the Nash package changes", estimated by SALib on a Saltelli design over the same inputs; the one-at-a-time tornado
of :mod:`tradetalks.studies.sensitivity` over the same ranges is kept as a second view.

Example
-------
>>> from tradetalks.scenario import load_scenario
>>> r = uncertainty(load_scenario("tests/data/toy-uncertain.yaml"), n_draws=200, sobol_base=0, tornado=False)
>>> r.n_draws, 0 <= r.base_nash_share <= 1
(200, True)

References
----------
Saltelli, A. (2002). Making best use of model evaluations to compute sensitivity indices. *Computer Physics
Communications* 145(2), 280-297. https://doi.org/10.1016/S0010-4655(02)00280-1

Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M. and Tarantola, S. (2010). Variance based
sensitivity analysis of model output. *Computer Physics Communications* 181(2), 259-270.
https://doi.org/10.1016/j.cpc.2009.09.018

Herman, J. and Usher, W. (2017). SALib: an open-source Python library for sensitivity analysis. *Journal of Open
Source Software* 2(9), 97. https://doi.org/10.21105/joss.00097
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tradetalks.bargain import solutions as sol
from tradetalks.bargain.batch import BatchSolution, batch_solutions, group_order
from tradetalks.bargain.frontier import pareto_frontier
from tradetalks.econ.batch import BatchValuation, compile_batch
from tradetalks.errors import TradetalksError
from tradetalks.executor import Chunk, Executor, plan_chunks
from tradetalks.model import Model, build_model, decode_package, package_choice
from tradetalks.options import SolutionName
from tradetalks.scenario.loader import LoadedScenario
from tradetalks.studies.uncertainty_draws import FactSampler, uncertain_inputs
from tradetalks.studies.uncertainty_results import (
    Interval,
    IssueShares,
    ObservedSpread,
    RobustPackage,
    SobolIndex,
    SobolResult,
    SolutionSpread,
    UncertainInput,
    UncertaintyResult,
)

__all__ = ["DEFAULT_CHUNK", "DEFAULT_DRAWS", "DEFAULT_SEED", "DEFAULT_SOBOL_BASE", "uncertainty"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

DEFAULT_DRAWS = 2_000
DEFAULT_SEED = 20250424
#: draws per chunk (a unit of work on a worker; the result depends on it, not on the number of workers)
DEFAULT_CHUNK = 250
#: N of the Saltelli design (power of 2); the model runs N (k + 2) times for k uncertain inputs
DEFAULT_SOBOL_BASE = 128
#: draws of the pilot run whose Nash packages are the robust-package candidates
PILOT_DRAWS = 128
#: most packages compared for robustness
MAX_CANDIDATES = 32
#: the one-at-a-time tornado rows kept in the result
TORNADO_ROWS = 10

SOLUTIONS: tuple[SolutionName, ...] = ("nash", "kalai_smorodinsky", "egalitarian", "utilitarian")
#: the fast path: Nash only
NASH_ONLY: tuple[SolutionName, ...] = ("nash",)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class _Payload:
    """What a worker needs (picklable): the compiled scenario, the sampler and the packages to follow."""

    valuation: BatchValuation
    sampler: FactSampler
    #: (C, G) rows of the candidate packages
    candidates: IntArray
    #: (G,) rows of the Nash package at the point values (-1: none)
    base_nash: IntArray
    #: (G,) rows of the real deal when it is a package of the groups, else None
    deal_rows: IntArray | None
    has_deal: bool
    #: the bargaining solutions to compute per draw
    which: tuple[SolutionName, ...] = SOLUTIONS
    #: (G,) the model's group at each position of the compiled tables (widest first, see :func:`group_order`);
    #: everything else in the payload, and every row a chunk returns, is in the model's group order
    order: IntArray | None = None

    @property
    def positions(self) -> IntArray:
        """(G,) position in the compiled tables of each of the model's groups."""
        g = self.base_nash.size
        return np.arange(g) if self.order is None else np.argsort(self.order)

    def model_tables(self, tables: Sequence[FloatArray]) -> list[FloatArray]:
        """Compiled tables listed in the model's group order (sums over them run as the frontier's do)."""
        return [tables[p] for p in self.positions]

    def searched(self, rows: IntArray) -> IntArray:
        """(..., G) rows in the model's group order → in the compiled tables' order."""
        return rows if self.order is None else rows[..., self.order]

    def in_model_order(self, rows: IntArray) -> IntArray:
        """(..., G) rows in the compiled tables' order → in the model's group order."""
        return rows if self.order is None else rows[..., self.positions]


@dataclass(frozen=True)
class _ChunkOut:
    """Per-draw numbers of one chunk (D = chunk size)."""

    utilities: FloatArray  # (4, D, 2) per solution, NaN where none
    found: NDArray[np.bool_]  # (4, D)
    rows: NDArray[np.int32]  # (4, D, G) per solution, -1 where none
    deal: FloatArray  # (D, 2) NaN without a deal
    on_frontier: NDArray[np.bool_]  # (D,)
    left: FloatArray  # (D,)
    distance: FloatArray  # (D,)
    candidates: FloatArray  # (D, C, 2)
    powers: FloatArray  # (D, 2)


def _group_sum(parts: FloatArray) -> FloatArray:
    """(D, G, 2) → (D, 2), summed over groups left to right like the frontier's sums."""
    out = parts[:, 0]
    for g in range(1, parts.shape[1]):
        out = out + parts[:, g]
    return np.asarray(out)


def _package_utilities(tables: Sequence[FloatArray], rows: IntArray) -> FloatArray:
    """(D, C, 2) utilities of packages ``rows`` (C, G) in every draw."""
    out = tables[0][:, rows[:, 0]]
    for g in range(1, len(tables)):
        out = out + tables[g][:, rows[:, g]]
    return np.asarray(out)


def _in_model_order(payload: _Payload, model_tables: Sequence[FloatArray], s: BatchSolution
                    ) -> tuple[IntArray, FloatArray]:
    """A solution's rows in the model's group order and its utilities summed in that order (NaN where none)."""
    rows = payload.in_model_order(s.choices)
    u = np.full_like(s.utilities, np.nan)
    idx = np.flatnonzero(s.found)
    if idx.size:
        picked = rows[idx]
        total = model_tables[0][idx, picked[:, 0]]
        for g in range(1, len(model_tables)):
            total = total + model_tables[g][idx, picked[:, g]]
        u[idx] = total
    return rows, u


def _evaluate(payload: _Payload, facts: FloatArray) -> _ChunkOut:
    bt = payload.valuation.evaluate(facts)
    tables = bt.utilities
    model_tables = payload.model_tables(tables)
    deal = _group_sum(bt.extra[0]) if payload.has_deal else None  # summed as the searched tables are
    full = set(payload.which) == set(SOLUTIONS)
    res = batch_solutions(tables, bt.powers, deal if full else None,
                          None if payload.deal_rows is None else payload.searched(payload.deal_rows),
                          which=payload.which, nash_seed=_seed(payload))
    sols: list[BatchSolution] = [res.nash, res.kalai_smorodinsky, res.egalitarian, res.utilitarian]
    model = [_in_model_order(payload, model_tables, s) for s in sols]
    n = facts.shape[0]
    cmp = res.comparison
    return _ChunkOut(
        utilities=np.stack([u for _, u in model]), found=np.stack([s.found for s in sols]),
        rows=np.stack([r for r, _ in model]).astype(np.int32),
        deal=_group_sum(bt.extra[0][:, payload.positions]) if payload.has_deal else np.full((n, 2), np.nan),
        on_frontier=cmp.on_frontier if cmp is not None else np.zeros(n, dtype=bool),  # unused on the fast path
        left=cmp.left_on_table if cmp is not None else np.full(n, np.nan),
        distance=cmp.distance if cmp is not None and cmp.distance is not None else np.full(n, np.nan),
        candidates=_package_utilities(model_tables, payload.candidates), powers=bt.powers)


def _main_chunk(chunk: Chunk, *, payload: _Payload) -> _ChunkOut:
    """One chunk of Monte Carlo draws (runs on a worker)."""
    return _evaluate(payload, payload.sampler.draw(chunk.rng(), chunk.size))


def _seed(payload: _Payload) -> IntArray | None:
    return payload.searched(payload.base_nash) if (payload.base_nash >= 0).all() else None


def _nash_only(payload: _Payload, facts: FloatArray) -> tuple[FloatArray, IntArray]:
    bt = payload.valuation.evaluate(facts)
    res = batch_solutions(bt.utilities, bt.powers, which=NASH_ONLY, nash_seed=_seed(payload)).nash
    rows, u = _in_model_order(payload, payload.model_tables(bt.utilities), res)
    return u, rows


def _sobol_chunk(item: tuple[Chunk, FloatArray], *, payload: _Payload) -> tuple[FloatArray, IntArray]:
    """Nash utilities and rows for a slice of the Saltelli design (runs on a worker)."""
    return _nash_only(payload, payload.sampler.facts(item[1]))


def _interval(x: FloatArray) -> Interval:
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return Interval(math.nan, math.nan, math.nan, math.nan)
    q = np.quantile(x, [0.05, 0.5, 0.95])
    return Interval(float(x.mean()), float(q[0]), float(q[1]), float(q[2]))


def _issue_options(model: Model, rows: IntArray) -> IntArray:
    """(D, I) option index of every issue from group rows (D, G); -1 where rows are -1."""
    cs = model.cs
    out = np.full((rows.shape[0], len(cs.issues)), -1, dtype=np.int64)
    ok = (rows >= 0).all(axis=1)
    for g, grp in enumerate(model.groups):
        picked = grp.combos[np.where(ok, rows[:, g], 0)]
        for pos, i in enumerate(grp.issues):
            out[ok, i] = picked[ok, pos]
    return out


def _base_solutions(model: Model) -> dict[str, IntArray | None]:
    f = pareto_frontier(model.utilities)
    d = np.zeros(2)
    found = {"nash": sol.nash(f, d, powers=(float(model.cs.bargaining_powers[0]),
                                            float(model.cs.bargaining_powers[1]))),
             "kalai_smorodinsky": sol.kalai_smorodinsky(f, d), "egalitarian": sol.egalitarian(f, d),
             "utilitarian": sol.utilitarian(f, d)}
    return {k: None if s is None else np.asarray(s.choices, dtype=np.int64) for k, s in found.items()}


def _deal_rows(model: Model, choice: Sequence[int]) -> IntArray | None:
    rows = []
    for g in model.groups:
        hit = np.flatnonzero((g.combos == [choice[i] for i in g.issues]).all(axis=1))
        if hit.size == 0:
            return None
        rows.append(int(hit[0]))
    return np.asarray(rows, dtype=np.int64)


def _candidates(model: Model, payload: _Payload, base: dict[str, IntArray | None], seed: int,
                pilot: int) -> IntArray:
    """Robust-package candidates: the point solutions, the real deal if feasible, the pilot's Nash packages."""
    cands: list[tuple[int, ...]] = [tuple(int(x) for x in r) for r in base.values() if r is not None]
    if payload.deal_rows is not None:
        cands.append(tuple(int(x) for x in payload.deal_rows))
    if pilot > 0:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**32 - 1,)))
        _, rows = _nash_only(payload, payload.sampler.draw(rng, pilot))
        counts = Counter(tuple(int(x) for x in r) for r in rows if (r >= 0).all())
        cands.extend(p for p, _ in counts.most_common())
    unique = list(dict.fromkeys(cands))[:MAX_CANDIDATES]
    if not unique:
        unique = [tuple(g.batna_row for g in model.groups)]
    return np.asarray(unique, dtype=np.int64)


def _sobol(ex: Executor, payload: _Payload, inputs: list[UncertainInput], base_rows: IntArray | None,
           parties: Sequence[str], n_base: int, seed: int, chunk_size: int) -> SobolResult:
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": len(inputs), "names": [i.id for i in inputs], "bounds": [[0.0, 1.0]] * len(inputs)}
    design = sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)
    chunks = plan_chunks(design.shape[0], chunk_size=chunk_size, seed=seed)
    items = [(c, design[c.start:c.stop]) for c in chunks]
    outs = list(ex.map(functools.partial(_sobol_chunk, payload=payload), items))
    util = np.concatenate([o[0] for o in outs])
    rows = np.concatenate([o[1] for o in outs])
    changed = np.ones(rows.shape[0]) if base_rows is None else (rows != base_rows).any(axis=1).astype(float)
    outputs = {f"gain:{parties[0]}": np.nan_to_num(util[:, 0]), f"gain:{parties[1]}": np.nan_to_num(util[:, 1]),
               "nash_changes": changed}
    result: dict[str, list[SobolIndex]] = {}
    for name, y in outputs.items():
        if np.ptp(y) == 0:
            idx = [SobolIndex(i.id, i.facts, math.nan, math.nan, math.nan, math.nan) for i in inputs]
        else:
            si = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
            idx = [SobolIndex(i.id, i.facts, float(si["S1"][k]), float(si["S1_conf"][k]), float(si["ST"][k]),
                              float(si["ST_conf"][k])) for k, i in enumerate(inputs)]
        result[name] = sorted(idx, key=lambda s: -s.total if math.isfinite(s.total) else 0.0)
    return SobolResult(base_samples=n_base, evaluations=int(design.shape[0]), seed=seed, outputs=result)


def _tornado(loaded: LoadedScenario, model: Model, inputs: list[UncertainInput]) -> list[dict[str, object]]:
    from tradetalks.studies.sensitivity import sensitivity

    bounds = {fid: (lo, hi) for i in inputs for fid, lo, hi in zip(i.facts, i.low, i.high, strict=True)}
    try:
        res = sensitivity(loaded, model, bounds=bounds, n_draws=0)
    except TradetalksError:
        return []
    rows = [r for r in res.tornado if r.id in bounds][:TORNADO_ROWS]
    return [{"id": r.id, "kind": r.kind, "low": r.low.value, "high": r.high.value, "swing": r.swing,
             "flips": r.flips, "flipped_issues": r.flipped_issues} for r in rows]


def _prepare(loaded: LoadedScenario, model: Model, which: tuple[SolutionName, ...], seed: int, pilot: int
             ) -> tuple[_Payload, list[UncertainInput], list[str], dict[str, IntArray | None], dict[str, str] | None]:
    """Everything the chunks need: the compiled scenario, the sampler, the solutions at the point values, the
    real deal and the robust-package candidates (after the pilot run)."""
    scn = loaded.scenario
    fact_ids = list(scn.facts)
    sampler, inputs, held = uncertain_inputs(loaded, fact_ids)
    if not inputs:
        raise TradetalksError(f"scenario {scn.id!r} has no uncertain fact to draw"
                              + (f" (held fixed by --set: {', '.join(held)})" if held else "") + ".",
                              fix="give facts a `range` or `dist` with a `spread_source`/`spread_assumption` (see "
                                  "docs/scenario-format.md, Uncertainty)")
    deal_choice = None
    deal_pkg: dict[str, str] | None = None
    if loaded.observed is not None:
        deal_pkg = {iid: c.option for iid, c in loaded.observed.package.items()}
        deal_choice = package_choice(model, deal_pkg)
    order = group_order([np.asarray(u, dtype=np.float64)[None] for u in model.utilities])
    groups = [(model.groups[g].issues, model.groups[g].combos) for g in order]
    valuation = compile_batch(scn, fact_ids, groups, extra=[deal_choice] if deal_choice is not None else [])
    base = _base_solutions(model)
    payload = _Payload(valuation=valuation, sampler=sampler, candidates=np.zeros((0, len(groups)), dtype=np.int64),
                       base_nash=base["nash"] if base["nash"] is not None else np.full(len(groups), -1),
                       deal_rows=_deal_rows(model, deal_choice) if deal_choice is not None else None,
                       has_deal=deal_choice is not None, which=which, order=order)
    payload = dataclasses.replace(payload, candidates=_candidates(model, payload, base, seed, pilot))
    return payload, inputs, held, base, deal_pkg


def uncertainty(loaded: LoadedScenario, *, n_draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED,
                workers: int = 1, scheduler: str | None = None, chunk_size: int = DEFAULT_CHUNK,
                sobol_base: int = DEFAULT_SOBOL_BASE, tornado: bool = True, pilot: int = PILOT_DRAWS,
                solutions: Sequence[SolutionName] = SOLUTIONS, progress: Progress | None = None,
                model: Model | None = None) -> UncertaintyResult:
    """Monte Carlo of the whole analysis over the scenario's uncertain facts (module docstring).

    Parameters
    ----------
    loaded
        From :func:`tradetalks.scenario.load_scenario`; facts overridden there are held at the override.
    n_draws
        Monte Carlo draws (≥ 1).
    seed
        The one seed; with ``chunk_size`` it fixes the result.
    workers, scheduler
        Passed to :class:`tradetalks.executor.Executor` (1: in this process).
    chunk_size
        Draws per chunk.
    sobol_base
        N of the Saltelli design for the Sobol indices (a power of 2; 0 skips them).
    tornado
        Also run the one-at-a-time tornado over the same ranges.
    pilot
        Draws of the pilot run that proposes robust-package candidates (0: only the point solutions and the deal).
    solutions
        Bargaining solutions computed per draw (Nash always). With fewer than all four (e.g. ``("nash",)``, the
        fast path: about a third of the time) the real deal is not held against each draw's frontier: its
        utilities and ZOPA share are reported, ``on_frontier_share``, ``left_on_table`` and ``distance`` are None.
    progress
        Called with (chunks done, chunks in all) of each phase.
    model
        :func:`tradetalks.model.build_model` of ``loaded`` if already built.

    Raises
    ------
    TradetalksError
        If no fact is uncertain, or the options are out of range.
    """
    if n_draws < 1 or chunk_size < 1:
        raise TradetalksError("n_draws and chunk_size must be at least 1.", received=(n_draws, chunk_size),
                              fix="use e.g. --draws 2000")
    which = tuple(dict.fromkeys(("nash", *solutions)))
    if set(which) - set(SOLUTIONS):
        raise TradetalksError(f"unknown solution(s) {sorted(set(which) - set(SOLUTIONS))}.", received=solutions,
                              fix=f"use some of {', '.join(SOLUTIONS)}")
    if sobol_base < 0 or (sobol_base and sobol_base & (sobol_base - 1)):
        raise TradetalksError("the Sobol base sample must be 0 (skip) or a power of 2.", received=sobol_base,
                              fix="use e.g. 64, 128 or 256")
    t0 = time.perf_counter()
    model = model or build_model(loaded)
    payload, inputs, held, base, deal_pkg = _prepare(loaded, model, which, seed, pilot)
    cands = payload.candidates
    chunks = plan_chunks(n_draws, chunk_size=chunk_size, seed=seed)
    with Executor(workers=workers, scheduler=scheduler) as ex:
        tally = _Tally(model, base, cands)
        for out in ex.map(functools.partial(_main_chunk, payload=payload), chunks, progress=progress):
            tally.add(out)
        sob = None
        if sobol_base:
            sob = _sobol(ex, payload, inputs, base["nash"], model.cs.parties, sobol_base, seed, chunk_size)
    tor = _tornado(loaded, model, inputs) if tornado else []
    return _summarise(loaded, model, tally, inputs, held, deal_pkg, sob, tor, which, n_draws=n_draws, seed=seed,
                      chunk_size=chunk_size, workers=workers, seconds=time.perf_counter() - t0)


class _Tally:
    """Folds chunk results in as they arrive: counts for every share, and only the per-draw numbers that
    quantiles need (solution gains, the deal's utilities and gaps, the candidates' utilities) — about
    16 (2 C + 7) bytes a draw for C candidates; no chunk result, table or frontier is kept."""

    def __init__(self, model: Model, base: dict[str, IntArray | None], cands: IntArray) -> None:
        self.model, self.base, self.cands = model, base, cands
        self.n = 0
        self.options = [np.zeros(len(opts), dtype=np.int64) for opts in model.cs.issues]
        self.packages: Counter[tuple[int, ...]] = Counter()
        self.found = np.zeros(len(SOLUTIONS), dtype=np.int64)
        self.same = np.zeros(len(SOLUTIONS), dtype=np.int64)
        self.gains: list[list[FloatArray]] = [[] for _ in SOLUTIONS]
        self.deal: list[FloatArray] = []
        self.on_frontier = 0
        self.left: list[FloatArray] = []
        self.distance: list[FloatArray] = []
        c = cands.shape[0]
        self.beats, self.product, self.is_nash = np.zeros(c), np.zeros(c), np.zeros(c)
        self.cand_u: list[FloatArray] = []

    def add(self, o: _ChunkOut) -> None:
        self.n += o.found.shape[1]
        agree = o.found[0]
        nash_rows = o.rows[0].astype(np.int64)
        options = _issue_options(self.model, nash_rows)[agree]
        for i, counts in enumerate(self.options):
            counts += np.bincount(options[:, i], minlength=counts.size)
        self.packages.update(tuple(int(x) for x in r) for r in nash_rows[agree])
        for k, name in enumerate(SOLUTIONS):
            self.found[k] += int(o.found[k].sum())
            b = self.base[name]
            if b is not None:
                self.same[k] += int((o.rows[k] == b).all(axis=1).sum())
            self.gains[k].append(o.utilities[k, o.found[k]])
        self.deal.append(o.deal)
        self.on_frontier += int(o.on_frontier.sum())
        self.left.append(o.left)
        self.distance.append(o.distance)
        u = o.candidates
        beats = (u > 0).all(axis=2)
        self.beats += beats.sum(axis=0)
        self.product += np.where(beats, np.prod(np.abs(u) ** o.powers[:, None, :], axis=2), 0.0).sum(axis=0)
        self.is_nash += np.array([(nash_rows == c).all(axis=1).sum() for c in self.cands])
        self.cand_u.append(u)


def _summarise(loaded: LoadedScenario, model: Model, tally: _Tally, inputs: list[UncertainInput],
               held: list[str], deal_pkg: dict[str, str] | None, sob: SobolResult | None,
               tor: list[dict[str, object]], which: tuple[SolutionName, ...], *, n_draws: int, seed: int,
               chunk_size: int, workers: int, seconds: float) -> UncertaintyResult:
    parties = list(model.cs.parties)
    n, base = tally.n, tally.base
    agree = int(tally.found[0])
    issues = []
    base_pkg = None if base["nash"] is None else decode_package(model, base["nash"])
    for i, iss in enumerate(loaded.scenario.issues):
        shares = {op.id: float(tally.options[i][o] / agree) if agree else 0.0 for o, op in enumerate(iss.options)}
        base_opt = None if base_pkg is None else base_pkg[iss.id]
        issues.append(IssueShares(issue=iss.id, name=iss.name, base_option=base_opt,
                                  base_share=shares.get(base_opt, 0.0) if base_opt else 0.0, shares=shares))
    modal, modal_n = tally.packages.most_common(1)[0] if tally.packages else (None, 0)
    solutions: dict[str, SolutionSpread] = {}
    for k, name in enumerate(SOLUTIONS):
        if name not in which:
            continue
        b = base[name]
        gains = np.concatenate(tally.gains[k])
        solutions[name] = SolutionSpread(
            name=name, base_package=None if b is None else decode_package(model, b),
            found_share=float(tally.found[k] / n), same_package_share=float(tally.same[k] / n),
            gains={p: _interval(gains[:, j]) for j, p in enumerate(parties)})
    observed = None
    if deal_pkg is not None:
        deal = np.concatenate(tally.deal)
        full = set(which) == set(SOLUTIONS)
        observed = ObservedSpread(
            package=deal_pkg, in_zopa_share=float((deal > 0).all(axis=1).mean()),
            on_frontier_share=float(tally.on_frontier / n) if full else None,
            utilities={p: _interval(deal[:, j]) for j, p in enumerate(parties)},
            left_on_table=_interval(np.concatenate(tally.left)) if full else None,
            distance=_interval(np.concatenate(tally.distance)) if full else None)
    notes = [f"{len(inputs)} uncertain inputs; every other fact at its value."]
    if held:
        notes.append(f"held at their --set values instead of drawn: {', '.join(held)}.")
    none_share = 1 - agree / n
    base_share = solutions["nash"].same_package_share
    return UncertaintyResult(
        scenario=loaded.scenario.id, parties=parties, n_draws=n_draws, seed=seed, chunk_size=chunk_size,
        workers=workers, seconds=seconds, inputs=inputs, held_fixed=held, no_agreement_share=none_share,
        issues=issues, base_nash_share=base_share,
        modal_package=None if modal is None else decode_package(model, modal), modal_share=modal_n / n,
        solutions=solutions, observed=observed, robust=_robust(model, tally, parties), sobol=sob, tornado=tor,
        headline=_headline(base_share, modal_n / n, none_share, observed, sob, n_draws), notes=notes)


def _robust(model: Model, tally: _Tally, parties: list[str]) -> list[RobustPackage]:
    n = tally.n
    p_beat, product = tally.beats / n, tally.product / n
    by_beat = int(np.lexsort((-product, -p_beat))[0])
    by_product = int(np.argmax(product))
    u = np.concatenate(tally.cand_u)  # (D, C, 2)
    out = []
    for crit, k in (("beats_batnas", by_beat), ("expected_nash_product", by_product)):
        out.append(RobustPackage(criterion=crit, package=decode_package(model, tally.cands[k]),
                                 beats_batnas_share=float(p_beat[k]), expected_nash_product=float(product[k]),
                                 nash_share=float(tally.is_nash[k] / n),
                                 gains={p: _interval(u[:, k, j]) for j, p in enumerate(parties)},
                                 candidates=int(tally.cands.shape[0])))
    return out


def _headline(base_share: float, modal_share: float, none_share: float, observed: ObservedSpread | None,
              sob: SobolResult | None, n: int) -> str:
    parts = [f"Nash picks its point-estimate package in {base_share:.0%} of {n:,} draws "
             f"(the most frequent package in {modal_share:.0%}"
             + (f", no agreement in {none_share:.0%}" if none_share > 0 else "") + ")"]
    if observed is not None:
        parts.append(f"the real deal beats both no-deal outcomes in {observed.in_zopa_share:.0%}"
                     + ("" if observed.on_frontier_share is None else
                        f" and is on the frontier in {observed.on_frontier_share:.0%}"))
    if sob is not None:
        top = sob.outputs.get("nash_changes", [])
        if top and math.isfinite(top[0].total):
            parts.append(f"what decides the package most is {top[0].input} (total Sobol index {top[0].total:.2f})")
    return "; ".join(parts) + "."

