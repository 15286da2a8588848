"""Benchmark the Monte Carlo study (issue #7 §8): draws per second on one and two workers, and memory.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_uncertainty.py --draws 10000 --full-draws 10000
    PYTHONPATH=src .venv/bin/python benchmarks/bench_uncertainty.py --draws 0 --full-draws 0 --memory-draws 100000

Budget (a 2-core machine): 10,000 full draws of korus-2025 (facts → PE → valuation → utilities → the four
bargaining solutions → ZOPA → real-deal comparison) in under 10 s on two workers, cluster start-up included;
speed-up of two workers over one ≥ 1.7×; peak memory under 1 GB for 100,000 draws.

Each path (fast: Nash and the deal's ZOPA share; full: all four solutions and the deal against the frontier) is
timed three ways, best of ``--repeats``:

- one worker: :func:`~tradetalks.studies.uncertainty.uncertainty` with ``workers=1`` (in this process);
- two workers, cold: ``workers=2``, the whole call, starting and stopping the local cluster (what a CLI run pays);
- two workers, warm: the same study on an already running 2-worker cluster (``scheduler=`` its address), after a
  small warm-up study there; the cluster's start is timed on its own.

The speed-up is reported both ways (warm: throughput of the two workers; cold: including the start). CPU seconds
of this process and of the worker processes (``RUSAGE_CHILDREN`` once the cold run's cluster has stopped) are
printed with each cold run, and the load average before each path: on a shared machine a wall time means little
without them (Linux autogroup scheduling shares the cores between sessions, so while other sessions are busy two
workers get less than two cores). Times include compiling the scenario and the pilot run; the Sobol design and
the tornado are off (``--sobol N`` times a design on its own).

Ranges: the scenario's own uncertain facts when it has any; otherwise every fact used by a formula gets a uniform
±``--spread`` range around its value — a stress test of the machinery, not a finding.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import resource
import sys
import time
import tracemalloc

from tradetalks.bargain.solutions import SOLUTION_NAMES
from tradetalks.executor import Executor
from tradetalks.scenario import load_scenario
from tradetalks.scenario.checks import quantities
from tradetalks.scenario.expressions import names_in
from tradetalks.scenario.loader import LoadedScenario
from tradetalks.scenario.uncertainty_checks import is_uncertain
from tradetalks.studies.uncertainty import uncertainty

BUDGET_SECONDS = 10.0
BUDGET_SPEEDUP = 1.7
BUDGET_MEMORY_MB = 1024.0


def with_ranges(loaded: LoadedScenario, spread: float) -> tuple[LoadedScenario, str]:
    """The scenario itself if it has uncertain facts, else a copy with a ±spread uniform range on every used fact."""
    scn = loaded.scenario
    if any(is_uncertain(f) for f in scn.facts.values()):
        return loaded, "the scenario's own ranges"
    used = {n for _, q in quantities(scn) for n in names_in(q)}
    facts = {}
    for fid, f in scn.facts.items():
        if fid in used and f.value != 0:
            lo, hi = sorted((f.value * (1 - spread), f.value * (1 + spread)))
            f = f.model_copy(update={"range": (lo, hi), "spread_assumption": "benchmark stress test"})
        facts[fid] = f
    return dataclasses.replace(loaded, scenario=scn.model_copy(update={"facts": facts})), \
        f"±{spread:.0%} uniform on {sum(1 for f in facts.values() if f.range)} used facts (stress test)"


def run(loaded: LoadedScenario, draws: int, workers: int, sobol: int, fast: bool,
        scheduler: str | None = None) -> tuple[float, float, object]:
    """Wall-clock and CPU seconds (this process) of one study, and its result."""
    t0, c0 = time.perf_counter(), time.process_time()
    res = uncertainty(loaded, n_draws=draws, workers=workers, sobol_base=sobol, tornado=False, scheduler=scheduler,
                      solutions=("nash",) if fast else SOLUTION_NAMES)
    return time.perf_counter() - t0, time.process_time() - c0, res


def children_cpu() -> float:
    """CPU seconds of this process's finished and reaped child processes (the local cluster's workers)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def load() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def bench_path(loaded: LoadedScenario, draws: int, fast: bool, repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` wall times of one path on 1 worker, 2 workers cold and 2 workers warm (see above)."""
    name = "fast path (Nash, deal's ZOPA share)" if fast else "full path (four solutions, deal vs frontier)"
    print(f"\n{name}, {draws:,} draws; {load()}")
    one, cold, warm, start = math.inf, math.inf, math.inf, math.inf
    for _ in range(repeats):
        secs, cpu, res = run(loaded, draws, 1, 0, fast)
        one = min(one, secs)
        print(f"  1 worker (in process): {secs:.2f} s = {draws / secs:,.0f} draws/s; CPU {cpu:.2f} s "
              f"= {cpu / draws * 1e3:.2f} ms/draw")
        c0 = children_cpu()
        secs, cpu, res2 = run(loaded, draws, 2, 0, fast)
        cold = min(cold, secs)
        wcpu = children_cpu() - c0
        print(f"  2 workers, cold (cluster start and stop included): {secs:.2f} s = {draws / secs:,.0f} draws/s; "
              f"CPU this process {cpu:.2f} s, workers {wcpu:.2f} s = {wcpu / draws * 1e3:.2f} ms/draw")
        same = res.headline == res2.headline  # type: ignore[attr-defined]
        with Executor(workers=2) as ex:
            t0 = time.perf_counter()
            ex.start()
            started = time.perf_counter() - t0
            start = min(start, started)
            run(loaded, 500, 2, 0, fast, scheduler=ex.address)  # workers import and unpickle once
            secs, cpu, _ = run(loaded, draws, 2, 0, fast, scheduler=ex.address)
        warm = min(warm, secs)
        print(f"  2 workers, warm (the cluster started in {started:.2f} s before): "
              f"{secs:.2f} s = {draws / secs:,.0f} draws/s; same result on 1 and 2 workers: {same}")
    print(f"  headline: {res.headline}")  # type: ignore[attr-defined]
    print(f"  best of {repeats}: 1 worker {draws / one:,.0f} draws/s; 2 workers warm {draws / warm:,.0f} draws/s "
          f"(speed-up {one / warm:.2f}x, budget ≥ {BUDGET_SPEEDUP}x); 2 workers cold {cold:.2f} s incl. start "
          f"(speed-up {one / cold:.2f}x; cluster start alone {start:.2f} s); "
          f"{'within' if cold * 10_000 / draws < BUDGET_SECONDS else 'OVER'} the {BUDGET_SECONDS:.0f} s budget "
          f"for 10,000 draws" + ("" if draws == 10_000 else f" (scaled: {cold * 10_000 / draws:.1f} s)"))
    return {"one": one, "cold": cold, "warm": warm, "start": start}


def anchor(loaded: LoadedScenario, draws: int, seed: int = 1) -> float:
    """Seconds per draw the one-scenario-per-draw way: load with --set overrides, build_model, frontier, Nash."""
    import numpy as np

    from tradetalks.bargain import solutions as sol
    from tradetalks.bargain.frontier import pareto_frontier
    from tradetalks.model import build_model
    from tradetalks.studies.uncertainty_draws import uncertain_inputs

    ids = list(loaded.scenario.facts)
    sampler, _, _ = uncertain_inputs(loaded, ids)
    x = sampler.draw(np.random.default_rng(seed), draws)
    t0 = time.perf_counter()
    for d in range(draws):
        facts = dict(loaded.facts) | {f: float(x[d, j]) for j, f in enumerate(ids)}
        model = build_model(dataclasses.replace(loaded, facts=facts))
        sol.nash(pareto_frontier(model.utilities), np.zeros(2), powers=tuple(model.cs.bargaining_powers))
    return (time.perf_counter() - t0) / draws


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="korus-2025")
    ap.add_argument("--draws", type=int, default=10_000, help="draws of the fast-path runs (0 skips them)")
    ap.add_argument("--full-draws", type=int, default=10_000, help="draws of the full-path runs (0 skips them)")
    ap.add_argument("--repeats", type=int, default=1, help="runs of each timing; the best is reported")
    ap.add_argument("--spread", type=float, default=0.2)
    ap.add_argument("--sobol", type=int, default=0, help="also time a Sobol design with this base N")
    ap.add_argument("--memory-draws", type=int, default=0, help="full draws of the memory run (100000 for the "
                                                                "budget; on 1 worker, in this process)")
    args = ap.parse_args()

    loaded, how = with_ranges(load_scenario(args.scenario), args.spread)
    print(f"scenario {args.scenario}: {how}; {os.cpu_count()} CPUs; {load()}")
    uncertainty(loaded, n_draws=50, sobol_base=0, tornado=False, pilot=0)  # warm imports and caches
    per_draw = anchor(loaded, 50)
    print(f"anchor, one scenario object per draw (build_model + frontier + Nash): {per_draw * 1e3:.1f} ms/draw")
    if args.draws:
        fast = bench_path(loaded, args.draws, True, args.repeats)
        print(f"  batched fast path against the anchor on 1 worker: {per_draw / (fast['one'] / args.draws):.0f}x "
              "faster")
    if args.full_draws:
        bench_path(loaded, args.full_draws, False, args.repeats)
    if args.sobol:
        secs, _, res = run(loaded, 1, 1, args.sobol, fast=True)
        ev = res.sobol.evaluations  # type: ignore[attr-defined]
        print(f"Sobol design N={args.sobol}: {ev:,} runs (Nash only) in {secs:.2f} s = {ev / secs:,.0f} runs/s")
    if args.memory_draws:
        tracemalloc.start()
        secs, _, _ = run(loaded, args.memory_draws, 1, 0, fast=False)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\n{args.memory_draws:,} full draws on 1 worker: {secs:.1f} s; peak traced memory "
              f"{peak / 2**20:,.0f} MB, max RSS {rss:,.0f} MB (budget {BUDGET_MEMORY_MB:,.0f} MB); {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
