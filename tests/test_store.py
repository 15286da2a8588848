"""The store (tradetalks.store) on SQLite and on a real PostgreSQL server the tests start and stop themselves."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail, under_ci

#: the service extra (`pip install 'tradetalks[serve]'`, part of `make test`): locally its absence skips these tests,
#: under CI the import below fails the run
if not under_ci() and any(importlib.util.find_spec(m) is None for m in ("sqlalchemy", "alembic")):
    pytest.skip("the service extra is not installed (pip install 'tradetalks[serve]')", allow_module_level=True)

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from tests.pg_server import pg_bin, postgres_server
from tradetalks.errors import NotFoundError
from tradetalks.store import INTERRUPTED, Store, content_hash
from tradetalks.store.db import _alembic_config, current_revision, open_engine

#: parallel writers in the concurrency test, and scenarios and runs each writes
WRITERS, SCENARIOS_EACH, RUNS_EACH = 6, 4, 4


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL server for the whole session (skips locally, fails under CI, when it is missing)."""
    bin_dir = pg_bin()
    if bin_dir is None:
        skip_or_fail("PostgreSQL (initdb, pg_ctl) not found: install Debian's postgresql "
                     "(scripts/ensure-postgresql.sh)")
    with postgres_server(bin_dir) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh, migrated store on each database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        base = request.getfixturevalue("postgres_url")
        name = f"t_{abs(hash(request.node.nodeid)) % 10**12}"
        admin = open_engine(base).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = base.rsplit("/", 1)[0] + f"/{name}"
    s = Store(url)
    yield s
    s.close()


def test_migration_creates_the_tables_and_records_the_revision(store: Store) -> None:
    names = set(inspect(store.engine).get_table_names())
    assert {"scenarios", "scenario_versions", "runs", "alembic_version"} <= names
    head = ScriptDirectory.from_config(_alembic_config(None)).get_current_head()
    assert current_revision(store.engine) == head and head is not None
    Store(engine=store.engine)  # migrating again is a no-op
    assert current_revision(store.engine) == head


def test_the_migrations_build_exactly_the_tables_of_the_code(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from tradetalks.store.tables import metadata

    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_sqlite_file_uses_wal(tmp_path: Path) -> None:
    s = Store(f"sqlite:///{tmp_path / 'w.db'}")
    with s.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    s.close()


def test_scenarios_are_versioned(store: Store) -> None:
    a = store.create_scenario("toy", "id: toy\n")
    assert (a.version, a.current_version, a.sha256) == (1, 1, content_hash("id: toy\n"))
    b = store.update_scenario(a.id, "toy", "id: toy\n# v2\n")
    assert (b.version, b.current_version) == (2, 2)
    assert store.get_scenario(a.id, 1).yaml == "id: toy\n"
    assert store.get_scenario(a.id).yaml == "id: toy\n# v2\n"
    assert [s["id"] for s in store.list_scenarios()] == [a.id]
    with pytest.raises(NotFoundError, match="no version 3"):
        store.get_scenario(a.id, 3)
    store.delete_scenario(a.id)
    assert store.list_scenarios() == []
    with pytest.raises(NotFoundError, match=a.id):
        store.get_scenario(a.id)
    with pytest.raises(NotFoundError):
        store.delete_scenario(a.id)
    with pytest.raises(NotFoundError):
        store.update_scenario(a.id, "toy", "x")


def test_run_lifecycle_and_results_round_trip(store: Store) -> None:
    s = store.create_scenario("toy", "id: toy\n")
    run = store.create_run(s.id, 1, "analyze", {"overrides": {"w": 2.0}})
    assert run.status == "queued" and not run.finished
    assert store.start_run(run.id)
    assert store.set_progress(run.id, 0.5, "half")
    assert store.get_run(run.id).progress == 0.5
    results = {"solutions": {"nash": {"utilities": {"A": 1.25e9, "B": -3.5}}}, "missing": None, "list": [1, 2]}
    done = store.finish_run(run.id, results)
    assert (done.status, done.progress, done.results) == ("succeeded", 1.0, results)
    assert done.finished_at is not None and done.started_at is not None
    assert not store.set_progress(run.id, 0.1, "late")  # a finished run never changes again
    assert store.cancel_run(run.id).status == "succeeded"
    assert store.list_runs()[0].results is None  # the list does not load results
    assert [r.id for r in store.list_runs(s.id)] == [run.id]


def test_cancel_then_fail_and_interrupted(store: Store) -> None:
    s = store.create_scenario("toy", "id: toy\n")
    queued = store.create_run(s.id, 1, "analyze", {})
    running = store.create_run(s.id, 1, "uncertainty", {"draws": 10})
    cancelled = store.create_run(s.id, 1, "analyze", {})
    failed = store.create_run(s.id, 1, "analyze", {})
    store.start_run(running.id)
    assert store.cancel_run(cancelled.id).status == "cancelled"
    assert not store.start_run(cancelled.id)  # a cancelled run is not started
    store.fail_run(failed.id, {"code": "x", "message": "boom", "fix": None, "problems": []})
    assert store.mark_interrupted() == 2
    for rid in (queued.id, running.id):
        r = store.get_run(rid)
        assert (r.status, r.message, r.error["code"]) == ("failed", INTERRUPTED, INTERRUPTED)  # type: ignore[index]
    assert store.get_run(failed.id).message == "boom"
    assert store.get_run(cancelled.id).status == "cancelled"
    with pytest.raises(NotFoundError):
        store.get_run("nope")


def test_a_run_must_name_a_stored_scenario_version(store: Store) -> None:
    s = store.create_scenario("toy", "id: toy\n")
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        store.create_run(s.id, 7, "analyze", {})
    assert store.count_runs() == 0


def test_parallel_writers_lose_and_corrupt_nothing(store: Store) -> None:
    errors: list[BaseException] = []
    made: list[tuple[str, str, str]] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        try:
            for i in range(SCENARIOS_EACH):
                body = f"id: s{w}_{i}\n# writer {w}\n"
                s = store.create_scenario(f"s{w}_{i}", body)
                s2 = store.update_scenario(s.id, f"s{w}_{i}", body + "# v2\n")
                for j in range(RUNS_EACH):
                    r = store.create_run(s.id, s2.version, "analyze", {"w": w, "i": i, "j": j})
                    store.start_run(r.id)
                    store.finish_run(r.id, {"w": w, "i": i, "j": j, "text": body})
                    with lock:
                        made.append((s.id, r.id, body))
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    assert store.count_scenarios() == WRITERS * SCENARIOS_EACH
    assert store.count_runs("succeeded") == WRITERS * SCENARIOS_EACH * RUNS_EACH == len(made)
    for sid, rid, body in made:
        scn = store.get_scenario(sid)
        assert (scn.version, scn.yaml, store.get_scenario(sid, 1).yaml) == (2, body + "# v2\n", body)
        run = store.get_run(rid)
        assert run.results is not None and run.results["text"] == body and run.scenario_version == 2
        assert run.options == {k: run.results[k] for k in ("w", "i", "j")}


@pytest.mark.postgres
def test_the_service_runs_on_postgresql(postgres_url: str) -> None:
    """The app end to end on PostgreSQL: a scenario, an analysis run stored in one transaction, read back."""
    from fastapi.testclient import TestClient

    from tests.web_fixtures import ADMIN_TOKEN
    from tradetalks.api import Settings, create_app

    toy = (Path(__file__).parent / "data" / "toy.yaml").read_text(encoding="utf-8")
    with TestClient(create_app(Settings(db_url=postgres_url, admin_token=ADMIN_TOKEN)),
                    headers={"authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
        assert client.get("/api/health").json()["database"] == "postgresql"
        sid = client.post("/api/scenarios", content=toy.encode()).json()["id"]
        rid = client.post("/api/runs", json={"scenario": sid}).json()["id"]
        for _ in range(1200):
            run = client.get(f"/api/runs/{rid}").json()
            if run["status"] not in ("queued", "running"):
                break
            threading.Event().wait(0.05)
        assert run["status"] == "succeeded", run["error"]
        assert run["results"]["solutions"]["nash"]["package"]
        assert client.post(f"/api/scenarios/{sid}/evaluate", json={}).json()["utilities"] == {"A": 0, "B": 0}
