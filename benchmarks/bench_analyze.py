"""Wall time of `tradetalks analyze` on the built-in scenario, end to end, as a user runs it.

Target (issue #2): under 3 s wall on a 2-core machine once installed. Runs the installed console script in a fresh
process each time (imports, loading, economics, frontier, ZOPA, report), prints each run, the median and the
ratio to the 3 s budget. Not a pytest test: machines are noisy.

    .venv/bin/python benchmarks/bench_analyze.py [--runs 5] [--scenario korus-2025]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 3.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scenario", default="korus-2025")
    args = ap.parse_args()
    exe = Path(sys.executable).with_name("tradetalks")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "tradetalks"]
    times = []
    with tempfile.TemporaryDirectory() as out:
        for k in range(args.runs):
            t0 = time.perf_counter()
            subprocess.run([*cmd, "analyze", args.scenario, "--out", out], check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
            print(f"run {k + 1}: {times[-1]:.2f} s")
    med = statistics.median(times)
    print(f"tradetalks analyze {args.scenario}: median {med:.2f} s over {args.runs} runs; "
          f"budget {BUDGET_S:.1f} s; ratio budget/actual = {BUDGET_S / med:.2f}x "
          f"({'within' if med < BUDGET_S else 'OVER'} target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
