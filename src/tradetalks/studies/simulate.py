"""Simulated negotiations: one alternating-offers negotiation, or a tournament of strategies, on a scenario.

scenario → :func:`prepare` (valuation, exact frontier, package pool, BATNA and Nash solution at every round's date,
ratifiers, opponent hypotheses: :class:`Setup`) → :func:`simulate` (one negotiation, with its offers) or
:func:`tournament` (every ordered pair of strategies × both first proposers × repeats, run by
:class:`~tradetalks.executor.Executor`: in this process, or on Dask worker processes) → frozen
:class:`SimulationResult` / :class:`TournamentResult`.

The protocol and strategies are in :mod:`tradetalks.bargain.protocol` and :mod:`tradetalks.bargain.strategies`;
the model is described in ``docs/models/protocols.md``.

Example
-------
>>> from tradetalks.scenario import load_scenario
>>> from tradetalks.studies.simulate import simulate
>>> r = simulate(load_scenario("tests/data/toy.yaml"), "linear", "linear")
>>> r.agreed, r.rounds, r.package
(True, 1, {'widget_tariff': 't0', 'transfer': 'more'})
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from tradetalks.bargain.arena import Arena, make_arena
from tradetalks.bargain.protocol import Outcome, negotiate
from tradetalks.bargain.ratifiers import RatificationRule, ratifier_tables
from tradetalks.bargain.strategies import STRATEGY_NAMES, Strategy, parse_strategy
from tradetalks.bargain.timing import batna_options_at
from tradetalks.errors import TradetalksError
from tradetalks.executor import Executor
from tradetalks.model import Model, build_model, decode_package, package_value
from tradetalks.scenario.expressions import evaluate
from tradetalks.scenario.loader import LoadedScenario
from tradetalks.scenario.schema import Party
from tradetalks.studies.simulation_results import END_REASONS, OfferRecord, SimulationResult, TournamentResult, pair

__all__ = [
    "DEFAULT_ROUND_DAYS",
    "HYPOTHESES",
    "HYPOTHESIS_SPREAD",
    "OfferRecord",
    "Setup",
    "SimulationResult",
    "TournamentResult",
    "prepare",
    "simulate",
    "tournament",
]

#: round length when the scenario has no ``dynamics`` (days)
DEFAULT_ROUND_DAYS = 7
#: hypotheses about each side's political weights in the Bayesian opponent model (the first is the scenario's)
HYPOTHESES = 5
#: log-normal spread of the other hypotheses' weights around the scenario's, w · exp(0.5 z), z ~ N(0, 1)
HYPOTHESIS_SPREAD = 0.5
#: jitter of the aspirations in a tournament (share of each agent's range), so repeats differ
TOURNAMENT_NOISE = 0.02


@dataclass(frozen=True, eq=False)
class Setup:
    """A scenario made ready for simulation: the arena and what is needed to read its numbers back.

    Attributes
    ----------
    arena
        Package pool, menus, BATNA and Nash solution per round (:func:`tradetalks.bargain.arena.make_arena`).
    model
        The valued scenario (:func:`tradetalks.model.build_model`).
    scenario, parties
        Scenario id and the two party ids (party 0, party 1).
    start, round_days
        Date of round 1 and days between rounds.
    rates
        Annual discount rates of the two parties.
    deadlines
        ``(date, title, hard)`` of every deadline, by date.
    batna_path
        ``(date, issue, option)``: changes of the no-deal outcome.
    notes
        Defaults that were applied (missing discount rates, dynamics or ratifiers).
    """

    arena: Arena
    model: Model
    scenario: str
    parties: tuple[str, str]
    start: dt.date
    round_days: int
    rates: tuple[float, float]
    deadlines: list[tuple[dt.date, str, bool]]
    batna_path: list[tuple[dt.date, str, str]]
    base_batna: dict[str, str]
    notes: list[str]

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=int(day))

    def package(self, pool_index: int) -> dict[str, str]:
        """{issue: option} of a pool package."""
        return decode_package(self.model, self.arena.choices[pool_index])

    def no_deal(self, day: int) -> dict[str, str]:
        """The no-deal package in force ``day`` days after the start."""
        return batna_options_at(self.base_batna, self.batna_path, self.date(day))

    def __repr__(self) -> str:
        return (f"Setup({self.scenario}: {self.parties[0]} vs {self.parties[1]} from {self.start}, "
                f"{self.round_days}-day rounds, rates {self.rates}; {self.arena!r})")


def _rates(parties: Sequence[Party], facts: dict[str, float], notes: list[str]) -> tuple[float, float]:
    out = []
    for p in parties:
        if p.discount_rate is None:
            notes.append(f"{p.id} has no discount_rate: treated as 0 (no discounting, infinitely patient).")
            out.append(0.0)
        else:
            out.append(evaluate(p.discount_rate, facts))
    return out[0], out[1]


def _ratification_rule(loaded: LoadedScenario, model: Model, party: int) -> RatificationRule | None:
    """The party's ratifiers as arrays (``None`` without a ``ratification`` block)."""
    rat = loaded.scenario.parties[party].ratification
    if rat is None:
        return None
    facts, index = loaded.facts, {s: k for k, s in enumerate(model.cs.stakeholders)}
    cares = np.zeros((len(index), len(rat.ratifiers)))
    for j, r in enumerate(rat.ratifiers):
        for sid, q in r.cares_about.items():
            cares[index[sid], j] = evaluate(q, facts)
    return RatificationRule(tables=tuple(ratifier_tables(model.payoffs, cares)),
                            thresholds=np.array([evaluate(r.threshold, facts) for r in rat.ratifiers]),
                            veto=np.array([r.veto for r in rat.ratifiers], dtype=bool),
                            votes=np.array([evaluate(r.votes, facts) for r in rat.ratifiers]),
                            quota=evaluate(rat.quota, facts))


def _hypotheses(model: Model, party: int, k: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Per group (m_g, k): the party's utility under its scenario weights and k - 1 log-normal perturbations."""
    cs = model.cs
    mine = cs.stakeholder_party == party
    w = np.zeros((len(cs.stakeholders), k))
    w[mine, 0] = cs.weights[mine]
    w[mine, 1:] = cs.weights[mine, None] * np.exp(HYPOTHESIS_SPREAD * rng.standard_normal((int(mine.sum()), k - 1)))
    return [p @ w for p in model.payoffs]


def _timeline(loaded: LoadedScenario, notes: list[str]) -> tuple[dt.date, int, list[Any], list[Any]]:
    dyn = loaded.scenario.dynamics
    if dyn is None:
        notes.append(f"the scenario has no dynamics: talks start on as_of ({loaded.scenario.as_of}) with "
                     f"{DEFAULT_ROUND_DAYS}-day rounds, a constant BATNA and no deadline.")
        return loaded.scenario.as_of, DEFAULT_ROUND_DAYS, [], []
    path = sorted((c.date, c.issue, c.option) for c in dyn.batna_path)
    deadlines = sorted((d.date, d.title, d.hard) for d in dyn.deadlines)
    return dyn.start, dyn.round_days, path, deadlines


def prepare(loaded: LoadedScenario, *, rounds: int = 100, model: Model | None = None,
            hypotheses: int = HYPOTHESES, seed: int = 0, hard_deadlines: bool = True) -> Setup:
    """Value the scenario and precompute everything a negotiation needs (once per scenario and round limit).

    Parameters
    ----------
    loaded
        From :func:`tradetalks.scenario.load_scenario`.
    rounds
        Round limit R.
    model
        A model already built from ``loaded`` (skips the valuation).
    hypotheses
        Weight hypotheses per side for the Bayesian opponent model (>= 1; the first is the scenario's weights).
    seed
        Seed of the hypotheses' perturbations.
    hard_deadlines
        False: hard deadlines do not end the talks (a counterfactual; only the round limit does).
    """
    if rounds < 1 or hypotheses < 1:
        raise TradetalksError("rounds and hypotheses must be at least 1.", received=(rounds, hypotheses),
                              fix="use e.g. rounds=100, hypotheses=5.")
    scn, notes = loaded.scenario, list[str]()
    model = model or build_model(loaded)
    start, round_days, path, deadlines = _timeline(loaded, notes)
    base = {iss.id: iss.batna for iss in scn.issues}
    cache: dict[tuple[tuple[str, str], ...], np.ndarray] = {}

    def batna_at(day: int) -> np.ndarray:
        opts = batna_options_at(base, path, start + dt.timedelta(days=day))
        key = tuple(sorted(opts.items()))
        if key not in cache:
            cache[key] = package_value(model, opts)[1]
        return cache[key]

    d = np.array([batna_at(t * round_days) for t in range(rounds + 1)])
    hard = [when for when, _, is_hard in deadlines if is_hard and hard_deadlines]
    if not hard_deadlines and any(h for *_, h in deadlines):
        notes.append("hard deadlines ignored (counterfactual): only the round limit ends the talks.")
    deadline = None if not hard else ((hard[0] - start).days, batna_at((hard[0] - start).days))
    rates = _rates(scn.parties, loaded.facts, notes)
    ratification = [_ratification_rule(loaded, model, p) for p in (0, 1)]
    notes += [f"{scn.parties[p].id} has no ratifiers: ratifier_aware plays as a time-dependent tactic."
              for p in (0, 1) if ratification[p] is None]
    rng = np.random.default_rng(seed)
    hyps = [_hypotheses(model, p, hypotheses, rng) for p in (0, 1)]
    arena = make_arena(model.utilities, d, rounds=rounds, round_days=round_days, deadline=deadline, rates=rates,
                       powers=(float(model.cs.bargaining_powers[0]), float(model.cs.bargaining_powers[1])),
                       ratification=ratification, hypotheses=hyps, group_options=[g.combos for g in model.groups])
    return Setup(arena=arena, model=model, scenario=scn.id, parties=model.cs.parties, start=start,
                 round_days=round_days, rates=rates, deadlines=deadlines, batna_path=path, base_batna=base,
                 notes=notes)


def _as_strategy(s: Strategy | str) -> Strategy:
    return s if isinstance(s, Strategy) else parse_strategy(s)


def _first(setup: Setup, first: int | str) -> int:
    if first in (0, 1):
        return int(first)
    if first in setup.parties:
        return setup.parties.index(str(first))
    raise TradetalksError(f"unknown first proposer {first!r}.",
                          fix=f"use 0, 1 or a party id: {', '.join(setup.parties)}")


def _result(setup: Setup, out: Outcome, strategies: Sequence[Strategy], first: int, seed: int) -> SimulationResult:
    parties = setup.parties
    offers = [OfferRecord(round=o.round + 1, date=setup.date(int(setup.arena.days[o.round])),
                          proposer=parties[o.proposer], accepted=o.accepted,
                          package=setup.package(o.package) if o.package >= 0 else None,
                          utilities=pair(parties, setup.arena.utilities[o.package]) if o.package >= 0 else None)
              for o in out.offers]
    has_nash = bool(np.isfinite(out.nash).all())
    return SimulationResult(
        scenario=setup.scenario, parties=parties, strategies={parties[p]: strategies[p].label for p in (0, 1)},
        first_proposer=parties[first], seed=seed, rounds_limit=setup.arena.rounds, agreed=out.agreed, end=out.end,
        rounds=out.rounds, date=setup.date(out.day),
        package=setup.package(out.package) if out.agreed else setup.no_deal(out.day),
        utilities=pair(parties, out.utilities), discounted=pair(parties, out.discounted),
        batna=pair(parties, out.batna), nash=pair(parties, out.nash) if has_nash else None,
        nash_distance=out.nash_distance if has_nash else None, offers=offers, notes=list(setup.notes))


def simulate(loaded: LoadedScenario, a: Strategy | str, b: Strategy | str, *, first: int | str = 0,
             rounds: int = 100, seed: int = 0, model: Model | None = None, setup: Setup | None = None,
             record: bool = True) -> SimulationResult:
    """Simulate one alternating-offers negotiation on a scenario.

    Parameters
    ----------
    loaded
        The scenario.
    a, b
        Strategies of party 0 and party 1 (objects, or specs such as ``"boulware:e=0.1"``).
    first
        Who proposes in round 1: 0, 1 or a party id.
    rounds
        Round limit R.
    seed
        Seed of stochastic strategies and of the opponent hypotheses.
    model, setup
        Reuse a built model, or a whole :func:`prepare` d setup (then ``rounds`` and ``model`` are taken from it).
    record
        Keep every offer in :attr:`SimulationResult.offers`.

    Raises
    ------
    TradetalksError
        On an unknown strategy or parameter, or an unknown first proposer.
    """
    strategies = (_as_strategy(a), _as_strategy(b))
    setup = setup or prepare(loaded, rounds=rounds, model=model, seed=seed)
    who = _first(setup, first)
    out = negotiate(setup.arena, strategies, first=who, rng=np.random.default_rng(seed), record=record)
    return _result(setup, out, strategies, who, seed)


def _run_jobs(arena: Arena, strategies: Sequence[Strategy], seed: int,
              jobs: Sequence[tuple[int, int, int, int]]) -> np.ndarray:
    """Play negotiations ``(k, i, j, first)``: strategy i (party 0) vs j (party 1), negotiation k drawing from
    ``default_rng([seed, k])``. One row each: k, end code, rounds, day, utilities (2), discounted (2), distance to
    Nash, BATNA on that day (2). Everything it needs is in its arguments (it runs on worker processes)."""
    rows = []
    for k, i, j, first in jobs:
        out = negotiate(arena, (strategies[i], strategies[j]), first=first, rng=np.random.default_rng([seed, k]))
        rows.append([k, END_REASONS.index(out.end), out.rounds, out.day, *out.utilities, *out.discounted,
                     out.nash_distance, *out.batna])
    return np.array(rows, dtype=np.float64).reshape(len(rows), 11)


def _play(arena: Arena, strategies: Sequence[Strategy], jobs: list[tuple[int, int, int, int]], seed: int,
          workers: int, scheduler: str | None, progress: bool) -> np.ndarray:
    """Every job's row, on :class:`~tradetalks.executor.Executor` (in this process for one worker). Each job seeds
    its own generator, so rows do not depend on the chunking or the number of workers."""
    # in this process: 16 chunks (a smooth progress bar); on workers: 4 per worker, long enough (about 0.1 s and
    # more) that Dask's per-task cost stays small
    chunk = max(1, math.ceil(len(jobs) / (16 if workers <= 1 and scheduler is None else 4 * workers)))
    chunks = [jobs[k:k + chunk] for k in range(0, len(jobs), chunk)]
    run = partial(_run_jobs, arena, list(strategies), seed)
    bar = _progress_bar(progress)
    with bar, Executor(workers=workers, scheduler=scheduler) as ex:
        task = bar.add_task("negotiations", total=len(jobs))
        parts = list(ex.map(run, chunks, progress=lambda done, _n: bar.update(
            task, completed=min(len(jobs), done * chunk))))
    return np.vstack(parts)


def _progress_bar(show: bool) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    return Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True), disable=not show)


def _frames(setup: Setup, labels: list[str], jobs: list[tuple[int, int, int, int]],
            rows: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    p0, p1 = setup.parties
    rows = rows[np.argsort(rows[:, 0])]
    job = np.array(jobs)
    runs = pd.DataFrame({
        f"strategy_{p0}": [labels[i] for i in job[:, 1]], f"strategy_{p1}": [labels[j] for j in job[:, 2]],
        "first": [setup.parties[f] for f in job[:, 3]], "agreed": rows[:, 1] == 0,
        "end": [END_REASONS[int(e)] for e in rows[:, 1]], "rounds": rows[:, 2].astype(int),
        "date": [setup.date(int(d)) for d in rows[:, 3]], f"u_{p0}": rows[:, 4], f"u_{p1}": rows[:, 5],
        f"disc_{p0}": rows[:, 6], f"disc_{p1}": rows[:, 7], "nash_distance": rows[:, 8],
        f"batna_{p0}": rows[:, 9], f"batna_{p1}": rows[:, 10]})
    keys = [f"strategy_{p0}", f"strategy_{p1}", "first"]
    g = runs.assign(agreed_rounds=runs["rounds"].where(runs["agreed"])).groupby(keys, sort=False)
    table = g.agg(n=("agreed", "size"), agreement_rate=("agreed", "mean"), mean_rounds=("agreed_rounds", "mean"),
                  **{c: (c, "mean") for c in (f"u_{p0}", f"u_{p1}", f"disc_{p0}", f"disc_{p1}", "nash_distance")})
    return table.reset_index(), runs


def tournament(loaded: LoadedScenario, strategies: Sequence[Strategy | str] | None = None, *, repeats: int = 4,
               rounds: int = 100, seed: int = 0, workers: int = 1, scheduler: str | None = None,
               progress: bool = False,
               noise: float = TOURNAMENT_NOISE, model: Model | None = None,
               setup: Setup | None = None) -> TournamentResult:
    """Play every ordered pair of strategies (party 0 × party 1) with each first proposer, ``repeats`` times.

    Parameters
    ----------
    loaded
        The scenario.
    strategies
        Strategy objects or specs (default: every name in :data:`~tradetalks.bargain.strategies.STRATEGY_NAMES`).
    repeats
        Negotiations per (pair, first proposer); they differ through the seeded aspiration jitter.
    rounds
        Round limit of each negotiation.
    seed
        Base seed: results are identical for a given seed, whatever ``workers``.
    workers
        Worker processes of a local Dask cluster (1: in this process; see :class:`~tradetalks.executor.Executor`).
        A cluster takes seconds to start: use 2 or more for tournaments that run longer than that.
    scheduler
        Address of an existing Dask scheduler (overrides ``workers``; ``None`` reads ``TRADETALKS_SCHEDULER``).
    progress
        Show a rich progress bar on stderr.
    noise
        Aspiration jitter for strategies given by name (share of the range); objects keep their own.
    model, setup
        Reuse a built model or a :func:`prepare` d setup.

    Returns
    -------
    TournamentResult
        ``len(strategies)² × 2 × repeats`` negotiations.
    """
    if repeats < 1 or workers < 1:
        raise TradetalksError("repeats and workers must be at least 1.", received=(repeats, workers),
                              fix="use e.g. repeats=4, workers=2.")
    specs = list(STRATEGY_NAMES) if strategies is None else list(strategies)
    objs = [s if isinstance(s, Strategy) else parse_strategy(f"{s}{',' if ':' in s else ':'}noise={noise}")
            if noise else parse_strategy(s) for s in specs]
    labels = [s.label for s in objs]
    if len(set(labels)) != len(labels) or not objs:
        raise TradetalksError("a tournament needs distinct strategies.", received=labels,
                              fix="list each strategy (name and parameters) once.")
    setup = setup or prepare(loaded, rounds=rounds, model=model, seed=seed)
    n = len(objs)
    jobs = [(k, i, j, f) for k, (i, j, f, _) in enumerate(
        (i, j, f, r) for i in range(n) for j in range(n) for f in (0, 1) for r in range(repeats))]
    rows = _play(setup.arena, objs, jobs, seed, workers, scheduler, progress)
    table, runs = _frames(setup, labels, jobs, rows)
    return TournamentResult(scenario=setup.scenario, parties=setup.parties, strategies=labels,
                            rounds_limit=setup.arena.rounds, repeats=repeats, seed=seed, noise=noise, table=table,
                            runs=runs, notes=list(setup.notes))
