"""The main job stays fast: `tradetalks analyze` does not import what it does not need (issue #8 §4).

Importing scipy.optimize, scipy.stats, pandas or plotly.graph_objects takes longer than the whole analysis of the
built-in scenario; each is used only by other commands or by Python users asking for a DataFrame.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
#: modules the analyze command must not import
HEAVY = ("scipy.optimize", "scipy.stats", "pandas", "plotly.graph_objects")


def run_cli(argv: list[str], watched: tuple[str, ...], timeout: int) -> tuple[str, list[str]]:
    """Run ``tradetalks ARGV`` in a fresh interpreter (this checkout's sources first); its stdout and which of
    ``watched`` modules it imported."""
    code = f"""
import sys
from tradetalks.cli import main
sys.argv = {["tradetalks", *argv]!r}
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
print(sorted(m for m in {watched!r} if m in sys.modules))
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=timeout,
                         check=False)
    assert res.returncode == 0, res.stderr
    imported = res.stdout.strip().splitlines()[-1]
    return res.stdout, [] if imported == "[]" else [imported]


def test_analyze_imports_nothing_heavy(tmp_path: Path) -> None:
    _, imported = run_cli(["analyze", "korus-2025", "--out", str(tmp_path)], HEAVY, 300)
    assert imported == []
    assert (tmp_path / "report.html").exists() and (tmp_path / "stakes.csv").exists()


#: modules `tradetalks --help` must not import: rich-rendered help (markdown parser and typer's rich layer) doubles
#: the start-up time of the command people run first
HELP_HEAVY = ("typer.rich_utils", "rich.markdown", "numpy", "pydantic", "yaml")


def test_help_imports_nothing_heavy() -> None:
    out, imported = run_cli(["--help"], HELP_HEAVY, 120)
    assert "Usage: tradetalks" in out
    assert imported == []
