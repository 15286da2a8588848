"""Dashboard page: runs (to be built)."""

from __future__ import annotations
