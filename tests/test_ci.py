"""The CI cannot pass by accident: missing prerequisites fail under CI=true, an empty selection fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = '''
import pytest
from tests.conftest import skip_or_fail

def test_needs_something_absent():
    skip_or_fail("the probe's data are absent")

@pytest.mark.needs_data("/nonexistent/tradetalks/data.csv", reason="the probe's marked data are absent")
def test_marked_data_absent():
    pass
'''


def _pytest(tmp_path: Path, ci: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "src")])
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
                           "--rootdir", str(tmp_path), str(tmp_path / "test_probe.py"), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_missing_prerequisites_skip_locally(tmp_path: Path) -> None:
    res = _pytest(tmp_path, None, "-rs")
    assert res.returncode == 0, res.stdout
    assert "2 skipped" in res.stdout and "the probe's data are absent" in res.stdout


@pytest.mark.parametrize("ci", ["true", "TRUE"])
def test_missing_prerequisites_fail_under_ci(tmp_path: Path, ci: str) -> None:
    res = _pytest(tmp_path, ci)
    assert res.returncode == 1, res.stdout
    # the marked test fails in its setup, which pytest reports as an error: either way the run fails
    assert "1 failed" in res.stdout and "1 error" in res.stdout and "CI=true" in res.stdout


def test_an_empty_selection_fails(tmp_path: Path) -> None:
    res = _pytest(tmp_path, None, "-m", "no_such_marker_selected")
    assert res.returncode == 5, res.stdout  # pytest: no tests collected; nothing in make turns it into success
    makefile = (ROOT / "Makefile").read_text()
    assert "-eq 5" not in makefile, "the Makefile must not excuse a run that collected no tests"


def test_ci_runs_as_ci_with_strict_markers() -> None:
    assert "export CI=true" in (ROOT / ".ci" / "run").read_text()
    assert "--strict-markers" in (ROOT / "pyproject.toml").read_text()
    assert "lint-imports" in (ROOT / "Makefile").read_text()
