"""Dashboard page: room (to be built)."""

from __future__ import annotations
