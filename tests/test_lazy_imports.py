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


def test_analyze_imports_nothing_heavy(tmp_path: Path) -> None:
    code = f"""
import sys
from tradetalks.cli import main
sys.argv = ["tradetalks", "analyze", "korus-2025", "--out", {str(tmp_path)!r}]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
print(sorted(m for m in {HEAVY!r} if m in sys.modules))
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                         check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "[]", res.stdout[-500:]
    assert (tmp_path / "report.html").exists() and (tmp_path / "stakes.csv").exists()


#: modules `tradetalks --help` must not import: rich-rendered help (markdown parser and typer's rich layer) doubles
#: the start-up time of the command people run first
HELP_HEAVY = ("typer.rich_utils", "rich.markdown", "numpy", "pydantic", "yaml")


def test_help_imports_nothing_heavy() -> None:
    code = f"""
import sys
from tradetalks.cli import main
sys.argv = ["tradetalks", "--help"]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
print(sorted(m for m in {HELP_HEAVY!r} if m in sys.modules))
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                         check=False)
    assert res.returncode == 0, res.stderr
    assert "Usage: tradetalks" in res.stdout
    assert res.stdout.strip().splitlines()[-1] == "[]", res.stdout[-500:]
