"""Test-suite settings.

Under CI (``CI=true``) hypothesis runs derandomised: the same examples every run, so a landing cannot fail on an
unlucky draw; locally it explores new examples each run (and keeps failing ones in .hypothesis/).

Under CI a missing prerequisite (headless Chromium, the book's data in ``../shared``, an optional dependency that
``make test`` installs) is a failure, not a skip: a CI run that skipped the tests it exists for must not pass.
Locally such tests skip with the reason. Use :func:`skip_or_fail` in a test or fixture, or mark a test (or a
module, through ``pytestmark``) with ``pytest.mark.needs_data(path, ..., reason=...)``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")


def under_ci() -> bool:
    """True when the suite runs as CI (``CI=true``, set by ``.ci/run``)."""
    return os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the current test with ``reason``; under CI fail with it instead (a missing prerequisite is a fault)."""
    if under_ci():
        pytest.fail(f"{reason} (CI=true: a missing prerequisite fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Honour ``@pytest.mark.needs_data(path, ..., reason=...)``: skip-or-fail when a path does not exist."""
    for mark in item.iter_markers("needs_data"):
        missing = [str(p) for p in mark.args if not Path(p).exists()]
        if missing:
            skip_or_fail(f"{mark.kwargs.get('reason', 'data absent')} (missing: {', '.join(missing)})")
