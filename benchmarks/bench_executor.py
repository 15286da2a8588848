"""The executor: speed-up of a local Dask cluster of 2 worker processes over 1 process, and its start-up cost.

Two jobs, each run serially (``workers=1``) and on ``Executor(workers=2)``, checked equal bit for bit:

1. a CPU-bound toy (pure-Python arithmetic seeded per chunk: no I/O, no BLAS threads), the executor's best case;
2. the tournament worst case of ``bench_simulate.py`` on korus-2025 (hard-liners, every negotiation plays all 100
   rounds, no hard deadline), through ``tournament(..., workers=N)``.

Times: wall clock of the job alone on an already running cluster (the steady-state speed-up), and of the whole
call with the cluster's start and shutdown (what a one-off CLI command pays). CPU time of this process is printed
too: on a shared machine a wall time means little without it. Not a test: machines are noisy.

    .venv/bin/python benchmarks/bench_executor.py [--toy-chunks 40] [--repeats 16]
"""

from __future__ import annotations

import argparse
import math
import os
import time
from functools import partial

import numpy as np

from tradetalks.executor import Chunk, Executor, plan_chunks
from tradetalks.scenario import load_scenario
from tradetalks.studies.simulate import prepare, tournament

HARDLINERS = ["boulware:floor=0.9", "linear:floor=0.9", "frequency_model:floor=0.9", "bayesian_model:floor=0.9"]
#: iterations of the toy's inner loop per item (about 70 ms of one core per item on the project VM)
TOY_LOOP = 1_000_000


def toy(loop: int, chunk: Chunk) -> tuple[float, float]:
    """CPU-bound work of one chunk: a seeded pure-Python sum, and the CPU seconds it took where it ran."""
    cpu = time.process_time()
    x = float(chunk.rng().random())
    total = 0.0
    for _ in range(chunk.size):
        for k in range(loop):
            total += math.sin(x + k * 1e-3)
    return total, time.process_time() - cpu


def timed(label: str, run: object) -> tuple[float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = run()  # type: ignore[operator]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"  {label}: {wall:.2f} s wall ({cpu:.2f} s CPU in this process)")
    return wall, out


def part_toy(n_chunks: int) -> None:
    chunks = plan_chunks(n_chunks, chunk_size=1, seed=1)
    fn = partial(toy, TOY_LOOP)
    print(f"\n== 1. CPU-bound toy: {n_chunks} chunks of {TOY_LOOP:,} sin() calls ==")
    t1, serial = timed("1 process", lambda: list(Executor(workers=1).map(fn, chunks)))
    whole = time.perf_counter()
    with Executor(workers=2) as ex:
        timed("start a 2-worker LocalCluster", ex.start)
        t2, dask = timed("2 workers (cluster running)", lambda: list(ex.map(fn, chunks)))
    whole = time.perf_counter() - whole
    assert [v for v, _ in serial] == [v for v, _ in dask], "the toy's results differ between 1 and 2 workers"  # type: ignore[attr-defined]
    cpu1, cpu2 = sum(c for _, c in serial), sum(c for _, c in dask)  # type: ignore[attr-defined]
    print(f"  CPU the tasks got: {cpu1:.2f} s in {t1:.2f} s on 1 process ({cpu1 / t1:.2f} cores), {cpu2:.2f} s in "
          f"{t2:.2f} s on 2 workers ({cpu2 / t2:.2f} cores): on an idle machine these are 1 and 2")
    print(f"  speed-up 2 vs 1: {t1 / t2:.2f}x with the cluster running; {t1 / whole:.2f}x including start and "
          f"shutdown ({whole:.2f} s); results identical")


def part_tournament(repeats: int) -> None:
    loaded = load_scenario("korus-2025")
    free = prepare(loaded, rounds=100, hard_deadlines=False)
    n = len(HARDLINERS) ** 2 * 2 * repeats
    print(f"\n== 2. tournament worst case on korus-2025: {n:,} negotiations of 100 rounds ==")
    t1, a = timed("workers=1", lambda: tournament(loaded, HARDLINERS, repeats=repeats, workers=1, setup=free))
    t2, b = timed("workers=2 (cluster start and shutdown included)",
                  lambda: tournament(loaded, HARDLINERS, repeats=repeats, workers=2, setup=free))
    with Executor(workers=2) as ex:
        address = ex.start().address
        t3, c = timed("on that running 2-worker cluster (scheduler=its address)",
                      lambda: tournament(loaded, HARDLINERS, repeats=repeats, scheduler=address, setup=free))
    assert a.runs.equals(b.runs) and a.runs.equals(c.runs), "the tournament differs between 1 and 2 workers"  # type: ignore[attr-defined]
    print(f"  speed-up 2 vs 1: {t1 / t3:.2f}x with the cluster running; {t1 / t2:.2f}x including its start and "
          f"shutdown; results identical")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--toy-chunks", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=16, help="tournament repeats per pairing and first proposer")
    args = ap.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} at start; numpy {np.__version__}")
    part_toy(args.toy_chunks)
    part_tournament(args.repeats)


if __name__ == "__main__":
    main()
