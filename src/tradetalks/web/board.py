"""Dashboard page: the negotiation board of one scenario (``/board/{scenario_id}``).

The page is a shell; ``static/board.js`` fills it from ``GET /api/scenarios/{id}/board`` and evaluates each package
with ``POST /api/scenarios/{id}/evaluate`` and ``POST /api/scenarios/{id}/board/check`` (every number comes from the
server's model; the page only formats).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from tradetalks.web.pages import render, router


@router.get("/board/{scenario_id}", response_class=HTMLResponse)
def board(request: Request, scenario_id: str) -> HTMLResponse:
    """The board: the agenda to pick options on, both sides' utilities, the frontier chart, the timeline."""
    return render(request, "board.html", scenario_id=scenario_id)
