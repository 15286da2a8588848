"""The service as a real process (uvicorn on 127.0.0.1, a free port): SIGKILL in the middle of a run, and parallel
clients writing at once. Each server is started by ``tradetalks serve`` and stopped by the test, bounded in time."""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import under_ci
from tests.pg_server import free_port
from tests.web_fixtures import ADMIN_TOKEN
from tradetalks.scenario.loader import BUILTIN_DIR

#: the service extra (`pip install 'tradetalks[serve]'`, part of `make test`): locally its absence skips these tests,
#: under CI the import below fails the run
if not under_ci() and any(importlib.util.find_spec(m) is None for m in ("fastapi", "httpx")):
    pytest.skip("the service extra is not installed (pip install 'tradetalks[serve]')", allow_module_level=True)

import httpx

SRC = Path(__file__).resolve().parents[1] / "src"
DATA = Path(__file__).parent / "data"
TOY = (DATA / "toy.yaml").read_text(encoding="utf-8")
KORUS = (BUILTIN_DIR / "korus-2025.yaml").read_text(encoding="utf-8")
#: seconds for a server to answer its health check after start
START_TIMEOUT = 60.0
#: seconds a test waits for runs at most
RUN_TIMEOUT = 120.0
#: parallel clients, and the scenarios and runs each of them writes
CLIENTS, SCENARIOS_EACH, RUNS_EACH = 4, 3, 2
#: what every client of these servers sends (the admin token: who may do what is tests/test_auth.py's)
ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}


@contextmanager
def server(db: Path, log: Path, admin_token: str | None = ADMIN_TOKEN) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``tradetalks serve`` on a free loopback port with ``admin_token`` (``None``: the server makes one); yields its
    base URL and process; stopped at the end."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    env.pop("TRADETALKS_ADMIN_TOKEN", None)
    if admin_token is not None:
        env["TRADETALKS_ADMIN_TOKEN"] = admin_token
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "tradetalks", "serve", "--port", str(port), "--db",
                                 f"sqlite:///{db}"], env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"server did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)


def wait_run(http: Any, base: str, run_id: str, until: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        run = http.get(f"{base}/api/runs/{run_id}").json()
        if run["status"] in until:
            return dict(run)
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not reach {until} within {RUN_TIMEOUT} s")


def test_serve_refuses_an_unknown_database_url(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    res = subprocess.run([sys.executable, "-m", "tradetalks", "serve", "--db", "nosuchdb://x/y"], env=env,
                         capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 1, res.stderr
    assert "cannot open the database" in res.stderr and "sqlite:///" in res.stderr


def test_serve_prints_the_dashboard_address_with_a_new_admin_token(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with server(tmp_path / "service.db", log, admin_token=None) as (base, _proc):
        printed = re.search(r"dashboard: (http://127\.0\.0\.1:\d+/)\?token=(\S+)", log.read_text())
        assert printed is not None and printed.group(1) == f"{base}/", log.read_text()
        token = printed.group(2)
        assert len(token) >= 40
        assert httpx.get(printed.group(0).removeprefix("dashboard: "), timeout=30).status_code == 200
        r = httpx.post(f"{base}/api/scenarios", content=TOY.encode(), timeout=30,
                       headers={"content-type": "application/yaml", "authorization": f"Bearer {token}"})
        assert r.status_code == 201, r.text
        assert httpx.post(f"{base}/api/scenarios", content=TOY.encode(), timeout=30).status_code == 401
        published = httpx.get(f"{base}/api/scenarios", timeout=30).json()["scenarios"]
        assert [(s["id"], s["published"]) for s in published] == [("korus-2025", True)]
    text = log.read_text()
    assert text.count(token) == 1  # printed once; the access log shows the opened address as token=REDACTED
    assert "?token=REDACTED" in text


def test_serve_takes_the_admin_token_from_a_file_and_refuses_a_short_one(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    short = tmp_path / "short.token"
    short.write_text("abc\n", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "tradetalks", "serve", "--admin-token-file", str(short)], env=env,
                         capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 1 and "at least 16 characters" in res.stderr, res.stderr


@pytest.mark.slow
def test_sigkill_mid_run_leaves_a_consistent_store_and_a_clean_restart(tmp_path: Path) -> None:
    db, log = tmp_path / "service.db", tmp_path / "server.log"
    with server(db, log) as (base, proc), httpx.Client(timeout=30, headers=ADMIN) as http:
        sid = http.post(f"{base}/api/scenarios", content=KORUS.encode(),
                        headers={"content-type": "application/yaml"}).json()["id"]
        toy = http.post(f"{base}/api/scenarios", content=TOY.encode(),
                        headers={"content-type": "application/yaml"}).json()["id"]
        done = http.post(f"{base}/api/runs", json={"scenario": toy, "kind": "analyze"}).json()["id"]
        wait_run(http, base, done, {"succeeded"})
        rid = http.post(f"{base}/api/runs", json={"scenario": sid, "kind": "uncertainty",
                                                  "options": {"draws": 20_000}}).json()["id"]
        running = wait_run(http, base, rid, {"running", "succeeded", "failed"})
        assert running["status"] == "running", running
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=20)
    assert "(admin token from TRADETALKS_ADMIN_TOKEN)" in log.read_text() and ADMIN_TOKEN not in log.read_text()
    with sqlite3.connect(db) as conn:  # the file is sound and holds what was committed
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT status FROM runs WHERE id = ?", (rid,)).fetchone() == ("running",)
        assert conn.execute("SELECT count(*) FROM scenarios").fetchone() == (3,)  # with the built-in korus-2025
    with server(db, log) as (base, _proc), httpx.Client(timeout=30, headers=ADMIN) as http:
        assert http.get(f"{base}/api/health").json()["interrupted_at_start"] == 1
        run = http.get(f"{base}/api/runs/{rid}").json()
        assert (run["status"], run["message"], run["error"]["code"]) == ("failed", "interrupted", "interrupted")
        assert run["results"] is None and run["finished_at"]
        kept = http.get(f"{base}/api/runs/{done}").json()
        assert kept["status"] == "succeeded" and kept["results"]["solutions"]["nash"]
        again = http.post(f"{base}/api/runs", json={"scenario": toy, "kind": "analyze"}).json()["id"]
        assert wait_run(http, base, again, {"succeeded", "failed"})["status"] == "succeeded"


@pytest.mark.slow
def test_parallel_clients_lose_and_corrupt_nothing(tmp_path: Path) -> None:
    made: list[tuple[str, str]] = []
    run_ids: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client(base: str, c: int) -> None:
        try:
            with httpx.Client(timeout=60, headers=ADMIN) as http:
                for i in range(SCENARIOS_EACH):
                    body = TOY.replace("title: Toy negotiation", f"title: Toy {c}-{i}")
                    r = http.post(f"{base}/api/scenarios", content=body.encode(),
                                  headers={"content-type": "application/yaml"})
                    assert r.status_code == 201, r.text
                    sid = r.json()["id"]
                    v2 = body + f"# edited by client {c}\n"
                    assert http.put(f"{base}/api/scenarios/{sid}", content=v2.encode()).json()["version"] == 2
                    for j in range(RUNS_EACH):
                        while True:  # a full pool answers 429: wait and try again
                            r = http.post(f"{base}/api/runs", json={
                                "scenario": sid, "options": {"overrides": {"w_exp": 1.0 + c + i / 10 + j / 100}}})
                            if r.status_code != 429:
                                break
                            time.sleep(0.05)
                        assert r.status_code == 202, r.text
                        with lock:
                            run_ids.append(r.json()["id"])
                    with lock:
                        made.append((sid, v2))
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    with server(tmp_path / "service.db", tmp_path / "server.log") as (base, _proc):
        threads = [threading.Thread(target=client, args=(base, c)) for c in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=RUN_TIMEOUT)
        assert not errors, errors[:3]
        with httpx.Client(timeout=30, headers=ADMIN) as http:
            listed = [s for s in http.get(f"{base}/api/scenarios").json()["scenarios"] if s["id"] != "korus-2025"]
            assert len(listed) == len(made) == CLIENTS * SCENARIOS_EACH
            for sid, v2 in made:
                assert http.get(f"{base}/api/scenarios/{sid}").json()["yaml"] == v2
            assert len(set(run_ids)) == CLIENTS * SCENARIOS_EACH * RUNS_EACH
            for rid in run_ids:
                run = wait_run(http, base, rid, {"succeeded", "failed", "cancelled"})
                assert run["status"] == "succeeded", run["error"]
                w = run["options"]["overrides"]["w_exp"]
                assert [s["value"] for s in run["results"]["sources"] if s["id"] == "w_exp"] == [pytest.approx(w)]
            assert len(http.get(f"{base}/api/runs", params={"limit": 1000}).json()["runs"]) == len(run_ids)
