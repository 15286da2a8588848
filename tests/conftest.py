"""Test-suite settings.

Under CI (``CI=true``) hypothesis runs derandomised: the same examples every run, so a landing cannot fail on an
unlucky draw; locally it explores new examples each run (and keeps failing ones in .hypothesis/).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")


#: the shared data sets next to the repository (../shared/data), read in place; tests get them only through the
#: ``shared_data`` fixture, library code never looks there
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
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
            message = f"shared data set {name!r} not found in {folder}"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(message + " (CI=true: a missing data set is a failure)")
            pytest.skip(message)
        return folder

    return need
