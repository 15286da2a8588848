"""Who may do what with scenarios and runs (tradetalks.api.auth, issue #10 §5): every write without a token, with a
viewer token and with another scenario's token is refused and changes nothing; a token of another scenario gets the
same answer as for a scenario that does not exist; published reads need no token; owner tokens rotate and viewer
tokens are revoked; tokens are kept as salted hashes; the built-in scenario is stored at start-up."""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from tests.conftest import under_ci

if not under_ci() and any(importlib.util.find_spec(m) is None for m in ("fastapi", "httpx")):
    pytest.skip("the service extra is not installed (pip install 'tradetalks[serve]')", allow_module_level=True)

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.test_store import postgres_url, store  # noqa: F401  (fixtures: the store on SQLite and PostgreSQL)
from tests.web_fixtures import ADMIN_TOKEN
from tradetalks.api import Settings, create_app
from tradetalks.api.auth import ADMIN_TOKEN_ENV, RedactTokens, admin_token_from
from tradetalks.errors import TradetalksError
from tradetalks.scenario.loader import BUILTIN_DIR
from tradetalks.store import Store
from tradetalks.store.tables import scenario_tokens
from tradetalks.store.tokens import token_digest

DATA = Path(__file__).parent / "data"
TOY = (DATA / "toy.yaml").read_text(encoding="utf-8")
ENVELOPE_KEYS = {"code", "message", "fix", "problems"}
#: ids that name nothing in any store of these tests
UNKNOWN = {"sid": "00000000deadbeef", "rid": "00000000feedface", "tid": "00000000cafebabe"}
BUILTIN = "korus-2025"


def bearer(token: str | None) -> dict[str, str]:
    return {} if token is None else {"authorization": f"Bearer {token}"}


ADMIN = bearer(ADMIN_TOKEN)


@dataclass(frozen=True)
class Call:
    """One endpoint: method, path (``{sid}``, ``{rid}``, ``{tid}`` filled in), body and what it needs."""

    method: str
    path: str
    need: Literal["read", "owner", "admin"]
    body: Any = None

    def send(self, client: TestClient, ids: dict[str, str], token: str | None) -> Any:
        body = json.loads(json.dumps(self.body).replace("{sid}", ids["sid"])) if self.body is not None else None
        url = self.path.format(**ids)
        if isinstance(body, str):
            return client.request(self.method, url, content=body.encode(),
                                  headers={"content-type": "application/yaml", **bearer(token)})
        return client.request(self.method, url, json=body, headers=bearer(token))

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


#: every endpoint that writes (scenario versions, deletion, publication, tokens, runs)
WRITES = [
    Call("POST", "/api/scenarios", "admin", TOY),
    Call("PUT", "/api/scenarios/{sid}", "owner", TOY + "# v2\n"),
    Call("DELETE", "/api/scenarios/{sid}", "owner"),
    Call("POST", "/api/scenarios/{sid}/publish", "owner"),
    Call("POST", "/api/scenarios/{sid}/unpublish", "owner"),
    Call("GET", "/api/scenarios/{sid}/tokens", "owner"),
    Call("POST", "/api/scenarios/{sid}/tokens", "owner", {"label": "a reader"}),
    Call("DELETE", "/api/scenarios/{sid}/tokens/{tid}", "owner"),
    Call("POST", "/api/scenarios/{sid}/tokens/rotate", "owner"),
    Call("POST", "/api/runs", "owner", {"scenario": "{sid}"}),
    Call("POST", "/api/runs/{rid}/cancel", "owner"),
]
#: every endpoint that reads one scenario or run
READS = [
    Call("GET", "/api/scenarios/{sid}", "read"),
    Call("POST", "/api/scenarios/{sid}/evaluate", "read", {}),
    Call("GET", "/api/runs?scenario={sid}", "read"),
    Call("GET", "/api/runs/{rid}", "read"),
    Call("GET", "/api/runs/{rid}/events", "read"),
    Call("GET", "/api/runs/compare?a={rid}&b={rid}", "read"),
]
SCOPED = [c for c in WRITES + READS if c.need != "admin"]


def assert_envelope(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) == ENVELOPE_KEYS and err["code"] == code and err["message"], err
    return dict(err)


def without_ids(r: Any, ids: dict[str, str]) -> tuple[int, str]:
    """Status and body of an answer with the ids the request named replaced by placeholders."""
    text = r.text
    for key, value in ids.items():
        text = text.replace(value, f"<{key}>")
    return r.status_code, text


def wait_finished(client: TestClient, run_id: str) -> dict[str, Any]:
    for _ in range(600):
        run = client.get(f"/api/runs/{run_id}", headers=ADMIN).json()
        if run["status"] in ("succeeded", "failed", "cancelled"):
            return dict(run)
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} did not finish")


@dataclass(frozen=True)
class World:
    """An app holding the built-in scenario and two uploaded ones, S and T (the toy), each with an owner and a viewer
    token; S has a finished analysis run."""

    client: TestClient
    sid: str
    rid: str
    owner: str
    viewer: str
    viewer_id: str
    other_owner: str
    other_viewer: str

    @property
    def ids(self) -> dict[str, str]:
        return {"sid": self.sid, "rid": self.rid, "tid": self.viewer_id}

    def state(self) -> dict[str, Any]:
        """Everything a refused request must leave unchanged, read with the admin token."""
        c = self.client
        return {"scenario": c.get(f"/api/scenarios/{self.sid}", headers=ADMIN).json(),
                "tokens": c.get(f"/api/scenarios/{self.sid}/tokens", headers=ADMIN).json(),
                "scenarios": c.get("/api/scenarios", headers=ADMIN).json(),
                "runs": c.get("/api/runs", headers=ADMIN).json()}


def make_world(client: TestClient) -> World:
    made = []
    for _ in range(2):
        r = client.post("/api/scenarios", content=TOY.encode(), headers={"content-type": "application/yaml", **ADMIN})
        assert r.status_code == 201, r.text
        sid, owner = r.json()["id"], r.json()["token"]
        v = client.post(f"/api/scenarios/{sid}/tokens", json={"label": "reader"}, headers=bearer(owner))
        assert v.status_code == 201, v.text
        made.append((sid, owner, v.json()["token"], v.json()["id"]))
    (sid, owner, viewer, viewer_id), (_, other_owner, other_viewer, _) = made
    r = client.post("/api/runs", json={"scenario": sid}, headers=bearer(owner))
    assert r.status_code == 202, r.text
    rid = r.json()["id"]
    assert wait_finished(client, rid)["status"] == "succeeded"
    return World(client, sid, rid, owner, viewer, viewer_id, other_owner, other_viewer)


def new_app(db: Path, **settings: Any) -> TestClient:
    settings = {"admin_token": ADMIN_TOKEN, "run_workers": 1, **settings}
    return TestClient(create_app(Settings(db_url=f"sqlite:///{db}", **settings)), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for the refusals (which change nothing, as each test checks)."""
    with new_app(tmp_path_factory.mktemp("auth") / "auth.db") as client:
        yield make_world(client)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[World]:
    """A world of its own, for tests that change it."""
    with new_app(tmp_path / "auth.db") as client:
        yield make_world(client)


# -- refusals -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("call", WRITES, ids=str)
def test_a_write_without_a_token_is_401_and_changes_nothing(world: World, call: Call) -> None:
    before = world.state()
    err = assert_envelope(call.send(world.client, world.ids, None), 401, "unauthorized")
    assert "token" in err["message"] and "Authorization: Bearer" in (err["fix"] or "")
    assert world.state() == before


@pytest.mark.parametrize("call", WRITES, ids=str)
def test_a_write_with_a_viewer_token_is_403_and_changes_nothing(world: World, call: Call) -> None:
    before = world.state()
    err = assert_envelope(call.send(world.client, world.ids, world.viewer), 403, "forbidden")
    assert "owner" in err["message"] or "admin" in err["message"]
    assert world.state() == before


@pytest.mark.parametrize("call", SCOPED, ids=str)
@pytest.mark.parametrize("role", ["owner", "viewer"])
def test_another_scenarios_token_is_answered_as_for_an_unknown_scenario(world: World, call: Call, role: str) -> None:
    token = world.other_owner if role == "owner" else world.other_viewer
    before = world.state()
    r = call.send(world.client, world.ids, token)
    assert_envelope(r, 403, "forbidden")
    unknown = call.send(world.client, UNKNOWN, token)
    assert without_ids(r, world.ids) == without_ids(unknown, UNKNOWN)  # nothing tells that S or its run exists
    assert world.state() == before
    stored = world.state()["scenario"]
    assert stored["sha256"] not in r.text and "Toy negotiation" not in r.text


@pytest.mark.parametrize("call", READS, ids=str)
def test_an_unpublished_read_without_a_token_is_answered_as_for_an_unknown_scenario(world: World,
                                                                                    call: Call) -> None:
    r = call.send(world.client, world.ids, None)
    assert_envelope(r, 401, "unauthorized")
    assert without_ids(r, world.ids) == without_ids(call.send(world.client, UNKNOWN, None), UNKNOWN)


@pytest.mark.parametrize("call", READS, ids=str)
@pytest.mark.parametrize("who", ["owner", "viewer", "admin"])
def test_the_scenarios_tokens_and_the_admin_read(world: World, call: Call, who: str) -> None:
    token = {"owner": world.owner, "viewer": world.viewer, "admin": ADMIN_TOKEN}[who]
    r = call.send(world.client, world.ids, token)
    assert r.status_code == 200, r.text


def test_only_the_admin_learns_that_a_scenario_or_run_does_not_exist(world: World) -> None:
    for call in SCOPED:
        r = call.send(world.client, UNKNOWN, ADMIN_TOKEN)
        if call.path.startswith("/api/runs?"):
            assert r.status_code == 200 and r.json()["runs"] == [], call  # an empty list for the admin
        else:
            assert_envelope(r, 404, "not_found")


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer 00000000deadbeef.wrong", f"Basic {ADMIN_TOKEN}",
                                    "Bearer ", f"Bearer {ADMIN_TOKEN}x"])
def test_a_token_that_is_not_valid_is_401_even_on_a_published_read(world: World, header: str) -> None:
    for url in (f"/api/scenarios/{BUILTIN}", "/api/scenarios"):
        assert_envelope(world.client.get(url, headers={"authorization": header}), 401, "unauthorized")


def test_a_room_token_grants_nothing_on_scenarios(world: World) -> None:
    r = world.client.post("/api/rooms", json={"scenario_id": world.sid}, headers=ADMIN)
    assert r.status_code == 201, r.text
    room_owner = r.json()["tokens"]["owner"]
    unknown = Call("GET", "/api/scenarios/{sid}", "read").send(world.client, UNKNOWN, room_owner)
    known = Call("GET", "/api/scenarios/{sid}", "read").send(world.client, world.ids, room_owner)
    assert_envelope(known, 403, "forbidden")
    assert without_ids(known, world.ids) == without_ids(unknown, UNKNOWN)
    assert world.client.get(f"/api/scenarios/{BUILTIN}", headers=bearer(room_owner)).status_code == 200


# -- what the owner and the admin may do ----------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["owner", "admin"])
def test_the_owner_and_the_admin_write(fresh: World, who: str) -> None:
    c, sid = fresh.client, fresh.sid
    h = bearer(fresh.owner if who == "owner" else ADMIN_TOKEN)
    assert c.put(f"/api/scenarios/{sid}", content=(TOY + "# v2\n").encode(), headers=h).json()["version"] == 2
    r = c.post("/api/runs", json={"scenario": sid}, headers=h)
    assert r.status_code == 202 and wait_finished(c, r.json()["id"])["status"] == "succeeded"
    assert c.post(f"/api/runs/{r.json()['id']}/cancel", headers=h).status_code == 200
    made = c.post(f"/api/scenarios/{sid}/tokens", json={"label": "another reader"}, headers=h)
    assert made.status_code == 201 and made.json()["role"] == "viewer" and made.json()["token"]
    listed = c.get(f"/api/scenarios/{sid}/tokens", headers=h).json()["tokens"]
    assert [(t["role"], t["label"]) for t in listed] == [("owner", None), ("viewer", "reader"),
                                                         ("viewer", "another reader")]
    assert all("token" not in t and "digest" not in t and "salt" not in t for t in listed)
    assert c.delete(f"/api/scenarios/{sid}", headers=h).status_code == 204
    assert_envelope(c.get(f"/api/scenarios/{sid}", headers=h), 404, "not_found")
    assert c.get(f"/api/runs/{fresh.rid}", headers=h).status_code == 200  # runs stay readable after deletion


def test_creating_a_scenario_needs_the_admin_and_returns_the_owner_token_once(fresh: World) -> None:
    c = fresh.client
    for token in (fresh.owner, fresh.viewer):
        assert_envelope(c.post("/api/scenarios", content=TOY.encode(), headers=bearer(token)), 403, "forbidden")
    r = c.post("/api/scenarios", content=TOY.encode(), headers=ADMIN)
    assert r.status_code == 201 and not r.json()["published"]
    sid, token = r.json()["id"], r.json()["token"]
    assert "token" not in c.get(f"/api/scenarios/{sid}", headers=bearer(token)).json()
    assert token not in json.dumps(c.get(f"/api/scenarios/{sid}/tokens", headers=bearer(token)).json())


def test_published_reads_need_no_token_and_unpublishing_closes_them(fresh: World) -> None:
    c, ids = fresh.client, fresh.ids
    assert_envelope(c.post(f"/api/scenarios/{fresh.sid}/publish", headers=bearer(fresh.viewer)), 403, "forbidden")
    assert c.post(f"/api/scenarios/{fresh.sid}/publish", headers=bearer(fresh.owner)).json()["published"] is True
    for call in READS:
        r = call.send(c, ids, None)
        assert r.status_code == 200, (str(call), r.text)
        assert call.send(c, ids, fresh.other_viewer).status_code == 200  # a token never gives less than none
    listed = {s["id"] for s in c.get("/api/scenarios").json()["scenarios"]}
    assert listed == {fresh.sid, BUILTIN}
    assert [r["id"] for r in c.get("/api/runs").json()["runs"]] == [fresh.rid]
    for call in WRITES:  # published is read-only without a token
        assert_envelope(call.send(c, ids, None), 401, "unauthorized")
        assert_envelope(call.send(c, ids, fresh.other_owner), 403, "forbidden")
    assert c.post(f"/api/scenarios/{fresh.sid}/unpublish", headers=bearer(fresh.owner)).json()["published"] is False
    for call in READS:
        assert_envelope(call.send(c, ids, None), 401, "unauthorized")
    assert {s["id"] for s in c.get("/api/scenarios").json()["scenarios"]} == {BUILTIN}
    assert c.get("/api/runs").json()["runs"] == []


def test_lists_show_what_the_caller_may_read(world: World) -> None:
    c = world.client

    def scenarios(token: str | None) -> set[str]:
        return {s["id"] for s in c.get("/api/scenarios", headers=bearer(token)).json()["scenarios"]}

    def runs(token: str | None) -> list[str]:
        return [r["id"] for r in c.get("/api/runs", headers=bearer(token)).json()["runs"]]

    assert scenarios(None) == {BUILTIN}
    assert scenarios(world.owner) == scenarios(world.viewer) == {BUILTIN, world.sid}
    assert world.sid not in scenarios(world.other_owner)
    assert len(scenarios(ADMIN_TOKEN)) == 3
    assert runs(None) == runs(world.other_owner) == []
    assert runs(world.viewer) == runs(ADMIN_TOKEN) == [world.rid]


# -- rotation and revocation ----------------------------------------------------------------------------------------
def test_the_owner_rotates_its_token_and_the_old_one_stops_working(fresh: World) -> None:
    c, sid = fresh.client, fresh.sid
    r = c.post(f"/api/scenarios/{sid}/tokens/rotate", headers=bearer(fresh.owner))
    assert r.status_code == 201 and r.json()["role"] == "owner"
    new = r.json()["token"]
    assert new != fresh.owner
    assert_envelope(c.get(f"/api/scenarios/{sid}", headers=bearer(fresh.owner)), 401, "unauthorized")
    assert c.put(f"/api/scenarios/{sid}", content=TOY.encode() + b"# v2\n", headers=bearer(new)).status_code == 200
    assert c.get(f"/api/scenarios/{sid}", headers=bearer(fresh.viewer)).status_code == 200  # viewers unaffected
    owners = [t for t in c.get(f"/api/scenarios/{sid}/tokens", headers=bearer(new)).json()["tokens"]
              if t["role"] == "owner"]
    assert [t["revoked_at"] is not None for t in owners] == [True, False]
    # the admin hands out a new owner token (e.g. one that was lost): every earlier owner token stops working
    handed = c.post(f"/api/scenarios/{sid}/tokens/rotate", headers=ADMIN).json()["token"]
    assert_envelope(c.get(f"/api/scenarios/{sid}", headers=bearer(new)), 401, "unauthorized")
    assert c.post(f"/api/scenarios/{sid}/publish", headers=bearer(handed)).status_code == 200


def test_the_owner_revokes_a_viewer_token(fresh: World) -> None:
    c, sid = fresh.client, fresh.sid
    assert c.get(f"/api/scenarios/{sid}", headers=bearer(fresh.viewer)).status_code == 200
    r = c.delete(f"/api/scenarios/{sid}/tokens/{fresh.viewer_id}", headers=bearer(fresh.owner))
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert_envelope(c.get(f"/api/scenarios/{sid}", headers=bearer(fresh.viewer)), 401, "unauthorized")
    assert c.delete(f"/api/scenarios/{sid}/tokens/{fresh.viewer_id}", headers=bearer(fresh.owner)).json() == r.json()
    owner_id = next(t["id"] for t in c.get(f"/api/scenarios/{sid}/tokens", headers=ADMIN).json()["tokens"]
                    if t["role"] == "owner")
    err = assert_envelope(c.delete(f"/api/scenarios/{sid}/tokens/{owner_id}", headers=bearer(fresh.owner)), 404,
                          "not_found")
    assert "viewer" in err["message"]  # the owner token is rotated, not revoked
    assert c.get(f"/api/scenarios/{sid}", headers=bearer(fresh.owner)).status_code == 200


# -- at rest --------------------------------------------------------------------------------------------------------
def test_tokens_are_kept_as_salted_hashes_only(fresh: World, tmp_path: Path) -> None:
    svc = fresh.client.app.state.service  # type: ignore[attr-defined]
    with svc.store.engine.connect() as conn:
        rows = conn.execute(select(scenario_tokens)).mappings().all()
    by_id = {r["id"]: r for r in rows}
    for token in (fresh.owner, fresh.viewer, fresh.other_owner, fresh.other_viewer):
        tid, _, secret = token.partition(".")
        assert by_id[tid]["digest"] == token_digest(by_id[tid]["salt"], secret)
    assert len({r["salt"] for r in rows}) == len(rows)
    assert svc.admin_fingerprint != ADMIN_TOKEN and ADMIN_TOKEN not in repr(svc.settings)
    svc.store.engine.dispose()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("auth.db*"))
    for secret in (ADMIN_TOKEN, *(t.partition(".")[2] for t in (fresh.owner, fresh.viewer))):
        assert secret.encode() not in stored


def test_a_short_admin_token_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(TradetalksError, match="at least 16 characters"), new_app(tmp_path / "a.db",
                                                                                 admin_token="short"):
        pass


def test_without_an_admin_token_nothing_is_admin(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(db_url=f"sqlite:///{tmp_path / 'n.db'}")),
                    raise_server_exceptions=False) as c:
        assert_envelope(c.post("/api/scenarios", content=TOY.encode(), headers=ADMIN), 401, "unauthorized")
        assert c.get(f"/api/scenarios/{BUILTIN}").status_code == 200


# -- the built-in scenario ------------------------------------------------------------------------------------------
def test_the_builtin_is_stored_at_start_published_and_owned_by_the_admin(fresh: World, tmp_path: Path) -> None:
    c = fresh.client
    got = c.get(f"/api/scenarios/{BUILTIN}")
    assert got.status_code == 200 and got.json()["published"] is True
    assert got.json()["yaml"] == (BUILTIN_DIR / f"{BUILTIN}.yaml").read_text(encoding="utf-8")
    assert c.post(f"/api/scenarios/{BUILTIN}/evaluate", json={}).status_code == 200
    assert c.get(f"/api/scenarios/{BUILTIN}/tokens", headers=ADMIN).json()["tokens"] == []
    for token in (None, fresh.owner, fresh.viewer):
        r = c.post("/api/runs", json={"scenario": BUILTIN}, headers=bearer(token))
        assert r.status_code == (401 if token is None else 403), r.text
        assert c.post(f"/api/scenarios/{BUILTIN}/unpublish", headers=bearer(token)).status_code in (401, 403)
    with new_app(tmp_path / "auth.db") as again:  # a restart stores nothing twice
        assert again.get(f"/api/scenarios/{BUILTIN}").json()["version"] == 1
        assert again.delete(f"/api/scenarios/{BUILTIN}", headers=ADMIN).status_code == 204
    with new_app(tmp_path / "auth.db") as after:  # the admin deleted it: it stays deleted
        assert_envelope(after.get(f"/api/scenarios/{BUILTIN}", headers=ADMIN), 404, "not_found")
    (tmp_path / "none").mkdir()
    with new_app(tmp_path / "none" / "n.db", seed_builtins=False) as bare:
        assert bare.get("/api/scenarios").json()["scenarios"] == []


# -- the store, on SQLite and PostgreSQL ----------------------------------------------------------------------------
def test_scenario_tokens_in_the_store(store: Store) -> None:  # noqa: F811
    s, owner = store.create_owned_scenario("toy", "id: toy\n")
    grant = store.authenticate_scenario_token(owner)
    assert grant is not None and (grant.scenario_id, grant.role) == (s.id, "owner")
    rec, viewer = store.issue_scenario_token(s.id, "viewer", "a reader")
    assert store.authenticate_scenario_token(viewer) == type(grant)(rec.id, s.id, "viewer")
    tid = owner.partition(".")[0]
    for bad in ("", "nodot", f"{tid}.wrong", f"{tid}.", f".{owner.partition('.')[2]}"):
        assert store.authenticate_scenario_token(bad) is None
    store.revoke_scenario_token(s.id, rec.id)
    assert store.authenticate_scenario_token(viewer) is None
    with pytest.raises(TradetalksError, match="no viewer token"):
        store.revoke_scenario_token(s.id, tid)
    new_rec, new = store.rotate_owner_token(s.id, tid)
    assert store.authenticate_scenario_token(owner) is None
    assert store.authenticate_scenario_token(new) is not None and new_rec.role == "owner"
    assert [t.revoked_at is not None for t in store.scenario_tokens(s.id)] == [True, True, False]
    assert not store.is_published(s.id) and not store.is_published("nope")
    assert store.set_published(s.id, True).published and store.is_published(s.id)
    run = store.create_run(s.id, 1, "analyze", {})
    hidden = store.create_scenario("hidden", "id: hidden\n")
    store.create_run(hidden.id, 1, "analyze", {})
    assert [x["id"] for x in store.list_scenarios(published_only=True)] == [s.id]
    assert {x["id"] for x in store.list_scenarios(published_only=True, plus=hidden.id)} == {s.id, hidden.id}
    assert [r.id for r in store.list_runs(published_only=True)] == [run.id]
    assert len(store.list_runs()) == 2 and store.run_scenario(run.id) == s.id and store.run_scenario("x") is None


def test_migration_0003_keeps_earlier_scenarios_unpublished_and_admin_only(store: Store) -> None:  # noqa: F811
    """Upgrading a store that holds scenarios: they become unpublished, with no token (only the admin reaches them);
    the downgrade removes what the migration added."""
    from alembic import command
    from sqlalchemy import inspect, text

    from tradetalks.store.db import _alembic_config

    with store.engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0002_rooms")
    assert "scenario_tokens" not in inspect(store.engine).get_table_names()
    assert "published" not in {c["name"] for c in inspect(store.engine).get_columns("scenarios")}
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO scenarios (id, name, current_version, created_at, updated_at) "
                          "VALUES ('old', 'old', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO scenario_versions (scenario_id, version, yaml, sha256, created_at) "
                          "VALUES ('old', 1, 'id: old', 'x', CURRENT_TIMESTAMP)"))
    upgraded = Store(engine=store.engine)
    assert upgraded.get_scenario("old").published is False and upgraded.scenario_tokens("old") == []
    assert upgraded.list_scenarios(published_only=True) == []


def test_seeding_in_the_store(store: Store) -> None:  # noqa: F811
    assert store.seed_scenario("builtin", "builtin", "id: builtin\n") == "created"
    assert store.seed_scenario("builtin", "builtin", "id: builtin\n") == "unchanged"
    assert store.seed_scenario("builtin", "builtin", "id: builtin\n# v2\n") == "updated"
    assert store.seed_scenario("builtin", "builtin", "id: builtin\n") == "unchanged"  # an earlier version is known
    rec = store.get_scenario("builtin")
    assert (rec.version, rec.published, store.scenario_tokens("builtin")) == (2, True, [])
    store.delete_scenario("builtin")
    assert store.seed_scenario("builtin", "builtin", "id: builtin\n# v3\n") == "deleted"


# -- the admin token of `tradetalks serve` --------------------------------------------------------------------------
def test_admin_token_from_a_file_the_environment_or_made(tmp_path: Path) -> None:
    f = tmp_path / "admin.token"
    f.write_text(" from-the-file-0123456789\n", encoding="utf-8")
    assert admin_token_from(f, {ADMIN_TOKEN_ENV: "ignored"}) == ("from-the-file-0123456789", str(f))
    assert admin_token_from(None, {ADMIN_TOKEN_ENV: "from-the-env-0123456789"}) == ("from-the-env-0123456789",
                                                                                     ADMIN_TOKEN_ENV)
    made, source = admin_token_from(None, {ADMIN_TOKEN_ENV: "  "})
    assert source is None and len(made) >= 40 and made != admin_token_from(None, {})[0]
    f.write_text("\n", encoding="utf-8")
    with pytest.raises(TradetalksError, match="is empty"):
        admin_token_from(f, {})
    with pytest.raises(TradetalksError, match="cannot read"):
        admin_token_from(tmp_path / "missing", {})


def test_tokens_in_logged_addresses_are_redacted() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/?token=abc.def&x=1", "1.1", 200), None)
    assert RedactTokens().filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "GET /?token=REDACTED&x=1 HTTP/1.1" 200'
    assert not re.search("abc", record.getMessage())
