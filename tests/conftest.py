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
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest
from hypothesis import settings

#: the live service and Playwright browser fixtures of the dashboard tests
pytest_plugins = ["tests.web_fixtures"]



def pytest_configure(config: pytest.Config) -> None:
    """Compiled report templates go to a folder of this run, not the user's cache (``TRADETALKS_CACHE_DIR``)."""
    import tempfile

    os.environ.setdefault("TRADETALKS_CACHE_DIR", tempfile.mkdtemp(prefix="tradetalks-test-cache-"))


settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")


#: the shared data sets next to the repository (../shared/data), read in place; tests get them only through the
#: ``shared_data`` fixture, library code never looks there
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
#: the book's data (Yotov et al. 2016) and Caliendo & Parro's (2015), for tests that read files directly
BOOK_DATA = SHARED_DATA / "agtpa"
CP2015_DATA = SHARED_DATA / "cp2015"
#: a file that must be present for each data set to count as there
_MARKERS = {"agtpa": "ch2_app2_rta_effects.csv.gz", "cp2015": "cp2015_original/xbilat1993.txt"}


@pytest.fixture(scope="session")
def shared_data() -> Callable[[str], Path]:
    """``shared_data("agtpa")`` or ``shared_data("cp2015")``: the folder of that shared data set.

    A missing data set skips the test locally and fails it under ``CI=true`` (CI must not pass having checked
    nothing).
    """

    def need(name: str) -> Path:
        folder = SHARED_DATA / name
        if not (folder / _MARKERS[name]).is_file():
            skip_or_fail(f"shared data set {name!r} not found in {folder}")
        return folder

    return need


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
