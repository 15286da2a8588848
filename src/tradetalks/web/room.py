"""Dashboard pages of the confidential mediator (issue #10 §4): ``/rooms`` opens a room on a stored scenario and
shows its one-time links; ``/rooms/{room_id}`` is the room as its token's role sees it.

The pages hold no number themselves: ``static/room.js`` asks ``GET /api/rooms/{id}/view`` with the token of the
address (``?token=``, kept in the tab by ``static/app.js``), so a delegate's page shows exactly what the API gives
that delegate (its own inputs and utilities only), the owner's page the history and the owner's controls, and a
page without a token the history of a published room.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import HTMLResponse

from tradetalks.store.tables import ID_LENGTH
from tradetalks.web.pages import render, router

#: a room id in a page address (ids are URL-safe; anything else is not a room)
ROOM_ID_PATTERN = r"^[A-Za-z0-9_-]+$"


@router.get("/rooms", response_class=HTMLResponse)
def rooms_page(request: Request) -> HTMLResponse:
    """Open a room on a stored scenario; the owner's, viewer's and each delegate's link are shown once."""
    return render(request, "room.html", room_id=None)


@router.get("/rooms/{room_id}", response_class=HTMLResponse)
def room_page(request: Request,
              room_id: Annotated[str, Path(max_length=ID_LENGTH, pattern=ROOM_ID_PATTERN)]) -> HTMLResponse:
    """One room, as the token in the address (or the tab) sees it."""
    return render(request, "room.html", room_id=room_id)
