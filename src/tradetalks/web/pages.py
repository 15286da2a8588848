"""The dashboard's routes: pages (``/``, ...) and static files (``/static/...``).

Page modules register on :data:`router` through :func:`page`; each renders one template of ``web/templates``
that extends ``base.html``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from tradetalks.errors import NotFoundError

router = APIRouter(include_in_schema=False)

#: the dashboard's own files (scripts, styles) beside this module
STATIC_DIR = Path(__file__).parent / "static"
#: what a page may load: only this server's scripts, styles (plotly sets inline styles) and images; it may call
#: only this server; nothing may frame it
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
          ".png": "image/png"}


@lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                       autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def render(request: Request, template: str, **context: Any) -> HTMLResponse:
    """``template`` rendered with ``context`` (plus ``version`` and ``page``), sent with the page CSP."""
    from tradetalks import __version__

    html = _environment().get_template(template).render(version=__version__, page=template.removesuffix(".html"),
                                                        **context)
    return HTMLResponse(html, headers={"content-security-policy": PAGE_CSP})


def plotly_js() -> Path:
    """plotly.js as shipped by the installed ``plotly`` package (served as ``/static/plotly.min.js``)."""
    return Path(str(files("plotly") / "package_data" / "plotly.min.js"))


@router.get("/static/{name}")
def static(name: str) -> Response:
    """One file of ``web/static`` (flat: no sub-folders, no path from the request reaches the filesystem)."""
    if name == "plotly.min.js":
        path = plotly_js()
    else:
        known = {p.name: p for p in STATIC_DIR.iterdir() if p.is_file()}
        if name not in known:
            raise NotFoundError(f"no static file {name!r}.", fix="see /static/ names in a page's source")
        path = known[name]
    return FileResponse(path, media_type=_TYPES.get(path.suffix, "application/octet-stream"),
                        headers={"cache-control": "public, max-age=3600"})


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The dashboard's start page: the scenarios held, each linked to its board."""
    return render(request, "home.html")


# page modules register their routes on ``router`` when imported
from tradetalks.web import board, editor, room, runs  # noqa: E402,F401
