"""What authentication adds to a request: ``authenticate`` + ``require_scenario`` (tradetalks.api.auth), in-process
on a temporary SQLite store, 2,000 times per kind of caller; median and p95 in microseconds.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_auth.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from tradetalks.api.auth import authenticate, require_scenario
from tradetalks.api.service import Service
from tradetalks.api.settings import Settings

ADMIN = "bench-admin-token-0123456789abcdef"
REPEATS = 2000

with tempfile.TemporaryDirectory() as d:
    svc = Service.start(Settings(db_url=f"sqlite:///{Path(d) / 'a.db'}", admin_token=ADMIN))
    rec, owner = svc.store.create_owned_scenario("toy", "id: toy\n")
    cases = {"anonymous, published korus-2025": (None, "korus-2025"), "admin": (f"Bearer {ADMIN}", rec.id),
             "owner token": (f"Bearer {owner}", rec.id)}
    for name, (header, sid) in cases.items():
        times = []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            require_scenario(svc, authenticate(svc, header), sid, "read")
            times.append(time.perf_counter() - t0)
        times.sort()
        print(f"{name}: median {statistics.median(times) * 1e6:.0f} us, "
              f"p95 {times[int(0.95 * len(times))] * 1e6:.0f} us")
    svc.close()
