"""Test-suite settings.

Under CI (``CI=true``) hypothesis runs derandomised: the same examples every run, so a landing cannot fail on an
unlucky draw; locally it explores new examples each run (and keeps failing ones in .hypothesis/).
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")
