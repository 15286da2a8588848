"""The library can be called from several threads of one process (a server): no process-wide side effects.

Each check runs in a fresh interpreter, because pytest's own capture replaces stdout: a library that redirects
file descriptor 1 is caught only where fd 1 is the real stdout, as in a server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
#: lines the printer thread writes while the solver threads run
PRINTED_LINES = 400
#: a child interpreter must finish within this many seconds
CHILD_TIMEOUT_S = 300


def _run_child(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=CHILD_TIMEOUT_S, check=False)


#: The printer thread: writes numbered lines to stdout while ``work()`` runs in ``n`` threads, then one last line.
PRINTER = f"""
import sys, threading
def printer(stop):
    for k in range({PRINTED_LINES}):
        print(f"line {{k}}", flush=True)
        stop.wait(0.001)
def run_beside_printer(work, n):
    stop = threading.Event()
    p = threading.Thread(target=printer, args=(stop,))
    workers = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    p.start()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    p.join()
    print("after the threads", flush=True)
"""


def _check_stdout(out: str) -> None:
    lines = out.splitlines()
    printed = [ln for ln in lines if ln.startswith("line ")]
    assert printed == [f"line {k}" for k in range(PRINTED_LINES)], f"lost {PRINTED_LINES - len(printed)} lines"
    assert lines[-1] == "after the threads", "stdout no longer reaches the caller after the threads finished"


def test_milp_solves_from_four_threads_leave_stdout_alone() -> None:
    """4 threads solve ratification MILPs while another prints: every line arrives, stdout still works after."""
    res = _run_child(PRINTER + """
import numpy as np
from tradetalks.bargain.ratification_milp import RatificationProgram
from tradetalks.bargain.ratifiers import RatificationRule
results = {}
def work(i):
    rng = np.random.default_rng(7)
    u = [rng.integers(-9, 10, size=(6, 2)).astype(float) for _ in range(8)]
    rule = RatificationRule(tuple(t[:, 1:] for t in u), np.array([-3.0]), np.array([True]), np.ones(1), 0.5)
    prog = RatificationProgram(u, [None, rule])
    results[i] = [prog.best(p, np.full(2, -np.inf)).tolist() for p in (0, 1) for _ in range(10)]
run_beside_printer(work, 4)
assert len({repr(r) for r in results.values()}) == 1, results
""")
    assert res.returncode == 0, res.stderr
    _check_stdout(res.stdout)


@pytest.mark.slow
def test_analyze_from_eight_threads_gives_identical_results() -> None:
    """``analyze`` on korus-2025 from 8 threads at once: the same JSON from each, stdout intact."""
    res = _run_child(PRINTER + """
from tradetalks.scenario import load_scenario
from tradetalks.studies.analyze import analyze
out = {}
def work(i):
    out[i] = analyze(load_scenario("korus-2025")).to_json()
run_beside_printer(work, 8)
assert len(out) == 8 and len(set(out.values())) == 1, "threads disagree"
""")
    assert res.returncode == 0, res.stderr
    _check_stdout(res.stdout)


def test_the_cli_guard_sends_c_level_prints_to_stderr() -> None:
    """The console script's guard: writes to fd 1 (a C library's printf) go to stderr, Python's prints to stdout,
    and fd 1 is restored afterwards."""
    res = _run_child("""
import os, sys
from tradetalks.cli_stdout import c_stdout_to_stderr
with c_stdout_to_stderr():
    print("from python", flush=True)
    os.write(1, b"from C\\n")
print("restored", flush=True)
os.write(1, b"fd 1 again\\n")
""")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["from python", "restored", "fd 1 again"]
    assert res.stderr.splitlines() == ["from C"]
