"""Dashboard page: editor (to be built)."""

from __future__ import annotations
