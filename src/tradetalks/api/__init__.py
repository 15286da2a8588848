"""The web service (issue #10 §1): FastAPI on the library, runs and scenarios in :mod:`tradetalks.store`.

Start it with ``tradetalks serve`` or build an app with :func:`create_app` (needs ``pip install 'tradetalks[serve]'``).
"""

from tradetalks.api.app import create_app
from tradetalks.api.settings import Settings

__all__ = ["Settings", "create_app"]
