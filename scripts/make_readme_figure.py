"""Regenerate docs/img/report.png, the README's screenshot of the report on the built-in scenario.

    .venv/bin/python scripts/make_readme_figure.py

Runs the real analysis, renders report.html and photographs it in headless Chromium (Debian's `chromium`).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import screenshot  # noqa: E402
from tradetalks.report.html import render_report  # noqa: E402
from tradetalks.scenario import load_scenario  # noqa: E402
from tradetalks.studies.analyze import analyze  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        # the main job (`make run`): the analysis with 2,000 Monte Carlo draws, so the figure shows "How sure are we"
        page.write_text(render_report(analyze(load_scenario("korus-2025"), uncertainty_draws=2000)), encoding="utf-8")
        screenshot(page, ROOT / "docs" / "img" / "report.png", width=1200, height=1500)
    print("wrote docs/img/report.png")


if __name__ == "__main__":
    main()
