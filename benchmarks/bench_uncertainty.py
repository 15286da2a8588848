"""Benchmark the Monte Carlo study (issue #7 §8): draws per second on one and two workers, and memory.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_uncertainty.py            # 10,000 draws, 1 and 2 workers
    PYTHONPATH=src .venv/bin/python benchmarks/bench_uncertainty.py --memory-draws 100000

Budget (a 2-core machine): 10,000 full draws of korus-2025 (facts → PE → valuation → utilities → the four
bargaining solutions → ZOPA → real-deal comparison) in under 10 s on two workers, cluster start-up included;
speed-up of two workers over one ≥ 1.7×; peak memory under 1 GB for 100,000 draws.

Ranges: the scenario's own uncertain facts when it has any; otherwise (korus-2025 before its ranges are written)
every fact used by a formula gets a uniform ±``--spread`` range around its value — a stress test of the machinery,
not a finding. The Sobol design and the tornado are off here (they are timed by their own runs: ``--sobol``).

Times are wall clock (``time.perf_counter``) of the whole :func:`~tradetalks.studies.uncertainty.uncertainty` call,
including compiling the scenario, the pilot run and starting/stopping the executor's cluster. Memory is the peak of
``tracemalloc`` (Python allocations, numpy included) and the process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sys
import time
import tracemalloc

from tradetalks.bargain.solutions import SOLUTION_NAMES
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


def run(loaded: LoadedScenario, draws: int, workers: int, sobol: int, fast: bool) -> tuple[float, float, object]:
    """Wall-clock and CPU seconds (this process) of one study, and its result."""
    t0, c0 = time.perf_counter(), time.process_time()
    res = uncertainty(loaded, n_draws=draws, workers=workers, sobol_base=sobol, tornado=False,
                      solutions=("nash",) if fast else SOLUTION_NAMES)
    return time.perf_counter() - t0, time.process_time() - c0, res


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
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--full-draws", type=int, default=2_000, help="draws of the all-solutions run (0 skips it)")
    ap.add_argument("--spread", type=float, default=0.2)
    ap.add_argument("--sobol", type=int, default=0, help="also time a Sobol design with this base N")
    ap.add_argument("--memory-draws", type=int, default=0, help="draws of the memory run (100000 for the budget)")
    args = ap.parse_args()

    loaded, how = with_ranges(load_scenario(args.scenario), args.spread)
    print(f"scenario {args.scenario}: {how}")
    uncertainty(loaded, n_draws=50, sobol_base=0, tornado=False, pilot=0)  # warm imports and caches
    per_draw = anchor(loaded, 50)
    print(f"anchor, one scenario object per draw (build_model + frontier + Nash): {per_draw * 1e3:.1f} ms/draw")
    print(f"load average (other processes share the cores): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    times, cpus = {}, {}
    for workers in (1, 2):
        secs, cpu, res = run(loaded, args.draws, workers, 0, fast=True)
        times[workers], cpus[workers] = secs, cpu
        print(f"fast path (Nash, real deal in the ZOPA), {args.draws:,} draws on {workers} "
              f"worker(s): {secs:.2f} s = {args.draws / secs:,.0f} draws/s; CPU in this process {cpu:.2f} s = "
              f"{cpu / args.draws * 1e3:.2f} ms/draw")
    print(f"  headline: {res.headline}")  # type: ignore[attr-defined]
    print(f"batched fast path against the anchor on 1 worker: {per_draw / (times[1] / args.draws):.0f}x faster")
    if cpus[2] > 0.8 * cpus[1]:
        print("note: with 2 workers the chunks ran in this process (a serial executor), so no speed-up is expected")
    speedup = times[1] / times[2]
    print(f"speed-up 2 vs 1 workers: {speedup:.2f}x (budget ≥ {BUDGET_SPEEDUP}x); 2 workers "
          f"{'within' if times[2] < BUDGET_SECONDS else 'OVER'} the {BUDGET_SECONDS:.0f} s budget for 10,000 draws"
          + ("" if args.draws == 10_000 else f" (scaled: {times[2] * 10_000 / args.draws:.1f} s)"))
    if args.full_draws:
        secs, cpu, res = run(loaded, args.full_draws, 2, 0, fast=False)
        print(f"all four solutions + deal distance, {args.full_draws:,} draws on 2 workers: {secs:.2f} s = "
              f"{args.full_draws / secs:,.0f} draws/s; CPU in this process {cpu / args.full_draws * 1e3:.2f} ms/draw")
    if args.sobol:
        secs, _, res = run(loaded, 1, 1, args.sobol, fast=True)
        ev = res.sobol.evaluations  # type: ignore[attr-defined]
        print(f"Sobol design N={args.sobol}: {ev:,} runs (Nash only) in {secs:.2f} s = {ev / secs:,.0f} runs/s")
    if args.memory_draws:
        tracemalloc.start()
        secs, _, _ = run(loaded, args.memory_draws, 1, 0, fast=True)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{args.memory_draws:,} draws on 1 worker: {secs:.1f} s; peak traced memory {peak / 2**20:,.0f} MB, "
              f"max RSS {rss:,.0f} MB (budget {BUDGET_MEMORY_MB:,.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
