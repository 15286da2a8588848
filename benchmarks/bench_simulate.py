"""Benchmark simulated negotiations on the built-in scenario against the 10 s budget, with NegMAS as the anchor.

Target (issue #4 §9): 1,000 simulated negotiations of up to 100 rounds each on korus-2025 in under 10 s on 2 cores,
with a progress bar. Each case below plays 1,024 negotiations (every ordered pair of strategies × both first
proposers × repeats) with ``tournament(..., workers=N, progress=True)`` (``--workers``, default 1; with 2 or more
each case also pays the start of a local Dask cluster, see ``bench_executor.py`` for the speed-up alone):

1. korus-2025 as it is: the 8 strategies, talks end by the hard deadline of 1 August 2025 (15 rounds at most);
2. the same without the hard deadline: the round limit of 100 ends the talks;
3. the worst case: every negotiation plays all 100 rounds (hard-liners whose floors never meet, half of them
   opponent-modelling agents, the slowest per round).

Anchor, measured in the same run: NegMAS's ``SAOMechanism`` with its ``BoulwareTBNegotiator``,
``LinearTBNegotiator`` and ``ConcederTBNegotiator`` on the same offers (one issue whose values are the 1,938
packages of the exact frontier, with the parties' utilities and the BATNA as reserved value), 100 offers (one per
step), against our same three time-dependent strategies without deadline, both in one process. NegMAS is
AGPL-licensed: it runs only in a subprocess with the interpreter of ``benchmarks/.anchor-venv`` (git-ignored;
skipped with a hint when absent).

    .venv/bin/python benchmarks/bench_simulate.py [--repeats-anchor 90] [--seed 0] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from tradetalks.scenario import load_scenario
from tradetalks.studies.simulate import prepare, tournament

BUDGET_S = 10.0
HERE = Path(__file__).resolve().parent
ANCHOR_PYTHON = HERE / ".anchor-venv" / "bin" / "python"
ANCHOR_SETUP = "python3 -m venv benchmarks/.anchor-venv && benchmarks/.anchor-venv/bin/pip install negmas"
TIME_DEPENDENT = ["boulware", "linear", "conceder"]
HARDLINERS = ["boulware:floor=0.9", "linear:floor=0.9", "frequency_model:floor=0.9", "bayesian_model:floor=0.9"]

# Runs inside the anchor venv: n negotiations cycling through the 9 ordered pairs of NegMAS's time-based agents.
NEGMAS_SCRIPT = r"""
import json, sys, time
import numpy as np
import negmas
from negmas import BoulwareTBNegotiator, ConcederTBNegotiator, LinearTBNegotiator, make_issue
from negmas.preferences import LinearAdditiveUtilityFunction
from negmas.sao import SAOMechanism

U = np.load(sys.argv[1])
n, steps = int(sys.argv[2]), int(sys.argv[3])
issues = [make_issue(len(U), "package")]
ufuns = [LinearAdditiveUtilityFunction(values=[{o: float(U[o, p]) for o in range(len(U))}], issues=issues,
                                       reserved_value=0.0) for p in range(2)]
kinds = [BoulwareTBNegotiator, LinearTBNegotiator, ConcederTBNegotiator]
pairs = [(a, b) for a in kinds for b in kinds]
agreed, steps_taken = 0, []
start = time.perf_counter()
for k in range(n):
    a, b = pairs[k % len(pairs)]
    m = SAOMechanism(issues=issues, n_steps=steps, one_offer_per_step=True)
    m.add(a(name="KOR", ufun=ufuns[0]))
    m.add(b(name="USA", ufun=ufuns[1]))
    state = m.run()
    if state.agreement is not None:
        agreed += 1
        steps_taken.append(state.step)
print(json.dumps({"version": negmas.__version__, "seconds": time.perf_counter() - start, "n": n,
                  "agreed": agreed, "mean_step": float(np.mean(steps_taken)) if steps_taken else None}))
"""


def run_negmas(frontier: np.ndarray, n: int) -> dict | None:
    if not ANCHOR_PYTHON.exists():
        print(f"  NegMAS anchor skipped: {ANCHOR_PYTHON} not found. Create it with:\n    {ANCHOR_SETUP}")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "frontier.npy"
        np.save(path, frontier)
        done = subprocess.run([str(ANCHOR_PYTHON), "-c", NEGMAS_SCRIPT, str(path), str(n), "100"],
                              capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"  NegMAS anchor failed:\n{done.stderr[-2000:]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def case(title: str, loaded: object, setup: object, strategies: list[str] | None, repeats: int,
         seed: int, workers: int) -> float:
    start = time.perf_counter()
    res = tournament(loaded, strategies, repeats=repeats, seed=seed, workers=workers,  # type: ignore[arg-type]
                     progress=True, setup=setup)  # type: ignore[arg-type]
    took = time.perf_counter() - start
    runs = res.runs
    rounds = int(runs["rounds"].sum())
    print(f"{title}: {len(runs):,} negotiations, {rounds:,} rounds played (max {runs['rounds'].max()}), "
          f"agreement rate {runs['agreed'].mean():.1%}: {took:.2f} s "
          f"({took / len(runs) * 1e3:.2f} ms each, {rounds / took:,.0f} rounds/s); "
          f"budget {BUDGET_S:.0f} s, ratio {BUDGET_S / took:.1f}x ({'within' if took < BUDGET_S else 'OVER'})")
    return took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats-anchor", type=int, default=90, help="NegMAS negotiations (cycling the 9 pairs)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1,
                    help="1: in this process; 2+: a local Dask cluster, started (and timed) in each case")
    args = ap.parse_args()
    loaded = load_scenario("korus-2025")
    t0 = time.perf_counter()
    setup = prepare(loaded, rounds=100, seed=args.seed)
    t_prep = time.perf_counter() - t0
    free = prepare(loaded, rounds=100, seed=args.seed, model=setup.model, hard_deadlines=False)
    print(f"prepare korus-2025 (valuation, frontier, win-set frontiers, pool of "
          f"{setup.arena.utilities.shape[0]:,} packages, BATNA/Nash per round): {t_prep:.2f} s")
    print(f"tournaments on {args.workers} worker(s)" + (" (each case starts and stops its own Dask cluster)"
                                                         if args.workers > 1 else " (in this process)"))
    took = [case("1. korus-2025 as is (hard deadline 1 Aug 2025)", loaded, setup, None, 8, args.seed, args.workers),
            case("2. no hard deadline, up to 100 rounds", loaded, free, None, 8, args.seed, args.workers),
            case("3. worst case, all 100 rounds", loaded, free, HARDLINERS, 32, args.seed, args.workers)]
    print(f"prepare + worst case: {t_prep + took[2]:.2f} s against the {BUDGET_S:.0f} s budget")

    print("\nAnchor: NegMAS SAOMechanism, time-based agents, same 1,938 frontier packages, 100 offers, one process")
    ours = tournament(loaded, TIME_DEPENDENT, repeats=5, seed=args.seed, workers=1, noise=0.0, setup=free)
    start = time.perf_counter()
    ours = tournament(loaded, TIME_DEPENDENT, repeats=5, seed=args.seed, workers=1, noise=0.0, setup=free)
    t_ours = (time.perf_counter() - start) / len(ours.runs)
    print(f"  tradetalks: {len(ours.runs)} negotiations, {t_ours * 1e3:.3f} ms each, agreement rate "
          f"{ours.runs['agreed'].mean():.0%}, mean round of agreement {ours.runs['rounds'].mean():.1f}")
    front = setup.arena.utilities[setup.arena.frontier]
    anchor = run_negmas(front, args.repeats_anchor)
    if anchor is not None:
        t_neg = anchor["seconds"] / anchor["n"]
        print(f"  NegMAS {anchor['version']}: {anchor['n']} negotiations, {t_neg * 1e3:.2f} ms each, agreement rate "
              f"{anchor['agreed'] / anchor['n']:.0%}, mean step of agreement {anchor['mean_step']:.1f}")
        print(f"  ratio NegMAS / tradetalks per negotiation: {t_neg / t_ours:,.0f}x")
    return 0 if max(took) < BUDGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
