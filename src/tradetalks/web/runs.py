"""Dashboard pages: run history (``/runs``) and the side-by-side comparison of two runs (``/runs/compare``).

The data come from ``GET /api/runs`` and ``GET /api/runs/compare`` (``static/runs.js``, ``static/compare.js``);
the downloads from ``/api/runs/{id}/download/...`` (:mod:`tradetalks.api.downloads`).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from tradetalks.web.pages import render, router


@router.get("/runs", response_class=HTMLResponse)
def run_history(request: Request) -> HTMLResponse:
    """Every run, newest first, with a filter by scenario and status."""
    return render(request, "runs.html")


@router.get("/runs/compare", response_class=HTMLResponse)
def compare_runs(request: Request) -> HTMLResponse:
    """Two runs side by side (``?a=RUN&b=RUN``, read by the page): inputs that changed, results that moved."""
    return render(request, "compare.html")
