"""Dashboard page: board (to be built)."""

from __future__ import annotations
