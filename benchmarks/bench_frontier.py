"""Benchmark the exact Pareto frontier against brute force and against NegMAS (an anchor, never a dependency).

Run from the repository root::

    .venv/bin/python benchmarks/bench_frontier.py

What it measures, all in one run on the same machine:

1. ``pareto_frontier`` on 20 issues x 10 options (10^20 packages), random utilities: target < 100 ms.
2. On 6 issues x 10 options (10^6 packages): the frontier is checked identical to brute force (vectorised
   enumeration of every package + skyline), and timed against NegMAS's ``pareto_frontier`` on the same
   utilities (target >= 1000x). NegMAS is AGPL-licensed: it runs only in a subprocess with the interpreter of a
   separate virtual environment, ``benchmarks/.anchor-venv`` (git-ignored); the utilities travel in a temporary
   ``.npy`` file. Without that venv the NegMAS part is skipped with instructions to create it.
3. ``zopa`` on 10 issues x 10 options (10^10 packages): the exact meet-in-the-middle count (target about 1 s),
   against a 10^6-draw Monte Carlo estimate whose 95 % interval must contain it.

Times are the best of ``--repeats`` runs (wall clock, ``time.perf_counter``).
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tradetalks.bargain.frontier import pareto_frontier, skyline
from tradetalks.bargain.zopa import zopa

HERE = Path(__file__).resolve().parent
ANCHOR_PYTHON = HERE / ".anchor-venv" / "bin" / "python"
ANCHOR_SETUP = "python3 -m venv benchmarks/.anchor-venv && benchmarks/.anchor-venv/bin/pip install negmas"

#: Frontiers from different summation orders are compared with this absolute tolerance (utilities are O(1)).
MATCH_ATOL = 1e-9

# Runs inside the anchor venv. Builds NegMAS linear-additive utility functions from the same per-issue tables and
# times (a) NegMAS's end-to-end pareto_frontier(ufuns, issues) and (b) its skyline alone on pre-evaluated points.
NEGMAS_SCRIPT = r"""
import json, sys, time
import numpy as np
import negmas
from negmas import make_issue
from negmas.outcomes import make_os
from negmas.preferences import LinearAdditiveUtilityFunction, pareto_frontier
from negmas.preferences.ops import pareto_frontier_numpy

U = np.load(sys.argv[1])
repeats = int(sys.argv[2])
k, m, _ = U.shape
issues = [make_issue(m, f"issue{j}") for j in range(k)]
space = make_os(issues)
ufuns = [
    LinearAdditiveUtilityFunction(
        values=[{o: float(U[j, o, p]) for o in range(m)} for j in range(k)],
        outcome_space=space,
        reserved_value=float("-inf"),
    )
    for p in range(2)
]
best = float("inf")
for _ in range(repeats):
    t = time.perf_counter()
    front, _idx = pareto_frontier(ufuns, issues=issues)
    best = min(best, time.perf_counter() - t)
points = np.array([[u(o) for u in ufuns] for o in space.enumerate()], dtype=float)
best_np = float("inf")
for _ in range(repeats):
    t = time.perf_counter()
    idx = pareto_frontier_numpy(points)
    best_np = min(best_np, time.perf_counter() - t)
print(json.dumps({
    "version": negmas.__version__,
    "seconds_end_to_end": best,
    "seconds_skyline_only": best_np,
    "frontier": [list(p) for p in front],
}))
"""


def best_time(fn: Callable[[], object], repeats: int) -> float:
    """Best wall-clock time of ``repeats`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def brute_force_frontier(tables: np.ndarray) -> np.ndarray:
    """Enumerate every package (vectorised, summed left to right) and take the skyline."""
    sums = tables[0]
    for table in tables[1:]:
        sums = (sums[:, None, :] + table[None, :, :]).reshape(-1, 2)
    return sums[skyline(sums)]


def same_point_set(a: np.ndarray, b: np.ndarray, atol: float = 0.0) -> bool:
    if a.shape != b.shape:
        return False
    order_a = np.lexsort((a[:, 1], a[:, 0]))
    order_b = np.lexsort((b[:, 1], b[:, 0]))
    return bool(np.allclose(a[order_a], b[order_b], rtol=0.0, atol=atol))


def run_negmas(tables: np.ndarray, repeats: int) -> dict | None:
    if not ANCHOR_PYTHON.exists():
        print(f"  NegMAS anchor skipped: {ANCHOR_PYTHON} not found. Create it with:\n    {ANCHOR_SETUP}")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "utilities.npy"
        np.save(path, tables)
        done = subprocess.run(
            [str(ANCHOR_PYTHON), "-c", NEGMAS_SCRIPT, str(path), str(repeats)],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        print(f"  NegMAS anchor failed:\n{done.stderr[-2000:]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="repeats per timing; the best is reported")
    parser.add_argument("--negmas-repeats", type=int, default=2, help="repeats of the (slow) NegMAS timings")
    parser.add_argument("--seed", type=int, default=20250424)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    summary: list[str] = []

    print("1. pareto_frontier, 20 issues x 10 options = 10^20 packages")
    u0 = rng.uniform(0, 1, (20, 10))
    cases = {
        "independent uniform utilities": rng.uniform(0, 1, (20, 10, 2)),
        "opposed utilities (u1 = 1 - u0 + noise)": np.stack([u0, 1 - u0 + rng.normal(0, 0.05, (20, 10))], axis=-1),
    }
    for label, big in cases.items():
        issues = list(big)
        frontier = pareto_frontier(issues)
        seconds = best_time(functools.partial(pareto_frontier, issues), args.repeats)
        print(f"  {label}: {seconds * 1e3:.2f} ms, {frontier.n_points} frontier points (target < 100 ms)")
        summary.append(f"20x10 ({label.split(' (')[0]}): {seconds * 1e3:.2f} ms")

    print("2. 6 issues x 10 options = 10^6 packages, independent uniform utilities")
    tables = rng.uniform(0, 1, (6, 10, 2))
    frontier = pareto_frontier(list(tables))
    ours = best_time(lambda: pareto_frontier(list(tables)), args.repeats)
    brute = brute_force_frontier(tables)
    identical = same_point_set(frontier.utilities, brute)
    brute_seconds = best_time(lambda: brute_force_frontier(tables), args.repeats)
    print(f"  pareto_frontier: {ours * 1e3:.3f} ms, {frontier.n_points} points")
    print(f"  brute force (vectorised enumeration + skyline): {brute_seconds * 1e3:.1f} ms; identical: {identical}")
    summary.append(f"10^6: ours {ours * 1e3:.3f} ms; identical to brute force: {identical}")
    summary.append(f"10^6: vs own vectorised brute force {brute_seconds / ours:,.0f}x")
    anchor = run_negmas(tables, args.negmas_repeats)
    if anchor is not None:
        negmas_front = np.array(anchor["frontier"], dtype=float)
        matches = same_point_set(frontier.utilities, negmas_front, atol=MATCH_ATOL)
        e2e, sky = anchor["seconds_end_to_end"], anchor["seconds_skyline_only"]
        print(f"  NegMAS {anchor['version']} pareto_frontier(ufuns, issues): {e2e:.2f} s; same frontier: {matches}")
        print(f"  NegMAS pareto_frontier_numpy on pre-evaluated points (skyline only): {sky:.2f} s")
        summary.append(f"10^6: vs NegMAS pareto_frontier (end to end) {e2e / ours:,.0f}x (target >= 1000x)")
        summary.append(f"10^6: vs NegMAS skyline alone on pre-evaluated points {sky / ours:,.0f}x")
        identical = identical and matches
    print("3. zopa, exact count by meet in the middle, 10 issues x 10 options = 10^10 packages")
    tables = rng.uniform(-1, 1, (10, 10, 2))
    frontier = pareto_frontier(list(tables))
    exact = zopa(list(tables), [0.0, 0.0], frontier)
    zopa_seconds = best_time(lambda: zopa(list(tables), [0.0, 0.0], frontier), args.repeats)
    sampled = zopa(list(tables), [0.0, 0.0], frontier, max_exact_half=1, n_samples=1_000_000, seed=args.seed)
    sampled_seconds = best_time(
        lambda: zopa(list(tables), [0.0, 0.0], frontier, max_exact_half=1, n_samples=1_000_000), args.repeats
    )
    inside = sampled.ci95 is not None and sampled.ci95[0] <= exact.count <= sampled.ci95[1]
    print(f"  exact: {exact.count:,} packages in {zopa_seconds:.3f} s (target about 1 s)")
    print(f"  sampled, 10^6 draws: {sampled_seconds:.3f} s, 95% CI {sampled.ci95}, contains exact: {inside}")
    summary.append(
        f"ZOPA 10^10 exact: {zopa_seconds:.3f} s ({zopa_seconds / sampled_seconds:.2f}x the 10^6-draw estimate)"
    )

    print("\nSummary")
    for line in summary:
        print(f"  {line}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
