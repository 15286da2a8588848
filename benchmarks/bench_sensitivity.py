"""Weight sweeps: the Nash package for 10,000 weight vectors on korus-2025, against the 10 s budget of issue #4.

Measures, in one run, on the built-in scenario (2.5e9 packages, 15 issue groups):

1. the anchor: the plain path, `pareto_frontier` + `nash` per draw, on a sample of draws (time per draw, and the
   10,000-draw time it implies);
2. `sweep_weights` (vectorised branch and bound) on 10,000 seeded log-normal draws, in 1 and in 2 processes,
   checked equal to the anchor on every sampled draw;
3. `sensitivity()` end to end (tornado over every weight and every valuation/elasticity fact ±25 %, plus the
   10,000-draw sweep on 2 processes), and `ratify()` for scale.

Prints each time against the budget and exits non-zero if the 2-process sweep misses it. Not a test: machines are
noisy.

    .venv/bin/python benchmarks/bench_sensitivity.py [--draws 10000] [--anchor-draws 300] [--seed 20250424]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from tradetalks.bargain.frontier import pareto_frontier
from tradetalks.bargain.sensitivity import sweep_weights, utility_batch, weight_draws
from tradetalks.bargain.solutions import nash
from tradetalks.executor import Executor
from tradetalks.model import build_model
from tradetalks.scenario import load_scenario
from tradetalks.studies.ratify import ratify
from tradetalks.studies.sensitivity import DEFAULT_SIGMA, sensitivity

BUDGET_S = 10.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--anchor-draws", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20250424)
    ap.add_argument("--scenario", default="korus-2025")
    args = ap.parse_args()

    t0 = time.perf_counter()
    loaded = load_scenario(args.scenario)
    model = build_model(loaded)
    cs = model.cs
    print(f"load + value {args.scenario}: {time.perf_counter() - t0:.2f} s "
          f"({len(model.groups)} groups, {pareto_frontier(model.utilities).n_packages:.3g} packages)")
    draws = weight_draws(cs.weights, args.draws, DEFAULT_SIGMA, np.random.default_rng(args.seed))
    base = nash(pareto_frontier(model.utilities), [0.0, 0.0], tuple(cs.bargaining_powers))
    seed_rows = None if base is None else base.choices

    sample = np.linspace(0, args.draws - 1, args.anchor_draws).round().astype(int)
    tables = utility_batch(model.payoffs, cs.stakeholder_party, draws[sample])
    t0 = time.perf_counter()
    anchor = [nash(pareto_frontier([t[k] for t in tables]), [0.0, 0.0], tuple(cs.bargaining_powers))
              for k in range(len(sample))]
    per_draw = (time.perf_counter() - t0) / len(sample)
    print(f"anchor, pareto_frontier + nash per draw: {per_draw * 1e3:.2f} ms/draw -> "
          f"{per_draw * args.draws:.1f} s for {args.draws:,} draws (1 process)")

    times = {}
    for workers in (1, 2):
        t0 = time.perf_counter()
        with Executor(workers=workers) as ex:
            got = sweep_weights(model.payoffs, cs.stakeholder_party, draws, tuple(cs.bargaining_powers),
                                seed_rows=seed_rows, mapper=ex.map)
        times[workers] = time.perf_counter() - t0
        same = all((a is None and not got.found[k]) or (a is not None and got.utilities[k].tolist()
                                                        == a.utilities.tolist()) for k, a in zip(sample, anchor,
                                                                                                 strict=True))
        print(f"sweep_weights, {args.draws:,} draws, {workers} process(es): {times[workers]:.2f} s "
              f"({times[workers] / args.draws * 1e3:.3f} ms/draw; {per_draw * args.draws / times[workers]:.0f}x "
              f"the anchor; budget/actual {BUDGET_S / times[workers]:.1f}x; equal to the anchor on "
              f"{len(sample)} draws: {same})")
        if not same:
            return 1

    t0 = time.perf_counter()
    res = sensitivity(loaded, model, n_draws=args.draws, seed=args.seed, workers=2)
    total = time.perf_counter() - t0
    flips = sum(r.flips for r in res.tornado)
    print(f"sensitivity() end to end (tornado of {len(res.tornado)} parameters, {flips} flip the package; "
          f"{args.draws:,}-draw sweep on 2 processes): {total:.2f} s; same package in "
          f"{res.sweep.same_package_share:.1%} of draws" if res.sweep else "")
    t0 = time.perf_counter()
    rat = ratify(loaded, model)
    print(f"ratify() on {args.scenario} (ratifiers: {rat.has_ratifiers}): {time.perf_counter() - t0:.2f} s")
    ok = times[2] < BUDGET_S
    print(f"budget {BUDGET_S:.0f} s for {args.draws:,} draws on 2 cores: {'within' if ok else 'OVER'} "
          f"({times[2]:.2f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
