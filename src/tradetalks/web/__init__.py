"""The dashboard (issue #10 §3): HTML pages and their static files, served by the same app as the API.

Nothing is loaded from elsewhere (no CDN): plotly.js comes from the installed ``plotly`` package, our scripts and
styles from ``web/static``. Pages are Jinja2 templates (autoescaped) that fetch their data from ``/api`` with the
token the user gave (see ``static/app.js``); a page never holds numbers the API would not give the same token.

Each page module adds its routes to :data:`router`; :func:`tradetalks.api.create_app` includes it.
"""

from __future__ import annotations

from tradetalks.web.pages import router

__all__ = ["router"]
