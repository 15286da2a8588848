"""Whole-process time of `tradetalks analyze korus-2025` and `tradetalks --help`, this checkout against a baseline.

Targets (issue #8): the whole `analyze` command under 1.0 s wall, `--help` under 0.15 s, on a 2-core machine.
Each command runs in a fresh process (imports, loading, the analysis, results.json, the CSVs and the HTML report),
alternating this checkout (A) and the baseline (B) run by run so that a drift of the machine's speed hits both,
after one warm-up run of each. The baseline is a git revision (default: main) exported with `git archive` into a
temporary folder (the repository is only read), or a checkout given with --baseline-path. Both run with the same
interpreter as `python -m tradetalks` with their own `src/` first on the path. Compiled bytecode (.pyc) goes to a
temporary PYTHONPYCACHEPREFIX, written by the warm-up run even when the caller's environment sets
PYTHONDONTWRITEBYTECODE (as an installed package has its .pyc files; `--no-pyc` compiles the checkouts' modules
from source in every run instead, the installed libraries still coming from their own .pyc files). Printed per
command: median, min and max of wall and CPU (user + system) seconds, the median ratio A/B pair by pair, the target
and the load average before and after. Not a pytest test: shared machines are noisy; quote medians, and CPU time
when the machine is busy.

    .venv/bin/python benchmarks/bench_analyze.py                  # --runs 7 --baseline main
    .venv/bin/python benchmarks/bench_analyze.py --baseline-path ../other-checkout
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: issue #8's targets, seconds of wall time for the whole process
TARGETS = {"analyze": 1.0, "help": 0.15}


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float


#: environment of every timed process (set by main(): the bytecode cache)
ENV: dict[str, str] = dict(os.environ)


def run_once(src: Path, args: Sequence[str], cwd: Path) -> Run:
    """One fresh process ``python -m tradetalks ARGS`` with ``src`` first on the path: wall and CPU seconds."""
    env = {**ENV, "PYTHONPATH": str(src)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "tradetalks", *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{src}: tradetalks {' '.join(args)} failed ({proc.returncode}):\n{err[-2000:]}")
    return Run(wall=wall, cpu=usage.ru_utime + usage.ru_stime)


def _load() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def compare(name: str, args: Sequence[str], a_src: Path, b_src: Path, runs: int, cwd: Path) -> None:
    load_before = _load()
    run_once(a_src, args, cwd)  # warm-up: file caches, .pyc files
    run_once(b_src, args, cwd)
    a: list[Run] = []
    b: list[Run] = []
    for _ in range(runs):
        a.append(run_once(a_src, args, cwd))
        b.append(run_once(b_src, args, cwd))
    print(f"\n`tradetalks {' '.join(args)}` ({runs} runs each, alternating; target {TARGETS[name]:.2f} s wall)")
    print(f"  load average before {load_before}, after {_load()}")
    for label, rs in (("A this checkout", a), ("B baseline     ", b)):
        for what in ("wall", "cpu"):
            v = [getattr(r, what) for r in rs]
            print(f"  {label} {what:4s} s  median {statistics.median(v):6.3f}  min {min(v):6.3f}  max {max(v):6.3f}")
    for what in ("wall", "cpu"):
        ratio = statistics.median(getattr(x, what) / getattr(y, what) for x, y in zip(a, b, strict=True))
        print(f"  A/B {what} (median of pairs) {ratio:.3f}")
    med = statistics.median(r.wall for r in a)
    print(f"  A: {'within' if med < TARGETS[name] else 'OVER'} the {TARGETS[name]:.2f} s target "
          f"(median wall {med:.3f} s)")


def export(rev: str, into: Path) -> Path:
    """``git archive REV`` of this repository unpacked into ``into``; returns its ``src``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--scenario", default="korus-2025")
    ap.add_argument("--baseline", default="main", help="git revision to compare against (default: main)")
    ap.add_argument("--baseline-path", type=Path, default=None, help="a checkout to compare against instead")
    ap.add_argument("--no-pyc", action="store_true",
                    help="compile the checkouts' modules from source in every run (PYTHONDONTWRITEBYTECODE=1)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ENV.pop("PYTHONDONTWRITEBYTECODE", None)
        ENV.pop("PYTHONPYCACHEPREFIX", None)
        if args.no_pyc:  # the libraries' own __pycache__ is still read (a prefix would hide it)
            ENV["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            ENV["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        if args.baseline_path is not None:
            b_src, label = args.baseline_path.resolve() / "src", str(args.baseline_path)
        else:
            (work / "baseline").mkdir()
            b_src, label = export(args.baseline, work / "baseline"), f"git revision {args.baseline}"
        print(f"A: this checkout ({ROOT}); B: {label}; {sys.executable}; "
              f"{'checkouts compiled from source' if args.no_pyc else '.pyc cached after the warm-up'}")
        compare("analyze", ["analyze", args.scenario, "--out", str(work / "out")], ROOT / "src", b_src, args.runs,
                work)
        compare("help", ["--help"], ROOT / "src", b_src, args.runs, work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
