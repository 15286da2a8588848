"""Dashboard page: the scenario editor (``/editor`` for a new scenario, ``/editor/{scenario_id}`` to edit one).

The page is a YAML text editor with line numbers; saving sends the text to ``POST /api/scenarios`` (new) or
``PUT /api/scenarios/{id}`` and shows each problem of the error envelope at its line (``static/editor.js``).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from tradetalks.web.pages import render, router


@router.get("/editor", response_class=HTMLResponse)
def new_scenario(request: Request) -> HTMLResponse:
    """The editor with an empty text: saving creates a scenario."""
    return render(request, "editor.html", scenario_id=None)


@router.get("/editor/{scenario_id}", response_class=HTMLResponse)
def edit_scenario(request: Request, scenario_id: str) -> HTMLResponse:
    """The editor on a stored scenario (its current version is loaded by the page): saving stores a new version."""
    return render(request, "editor.html", scenario_id=scenario_id)
