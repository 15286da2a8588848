"""Confidential mediator rooms (tradetalks.api.rooms, tradetalks.store.rooms): tokens and roles, private inputs,
the joint frontier's Nash proposal, and what a delegate can never read, infer from an error, or change."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import under_ci
from tests.web_fixtures import ADMIN_TOKEN

if not under_ci() and any(importlib.util.find_spec(m) is None for m in ("fastapi", "httpx")):
    pytest.skip("the service extra is not installed (pip install 'tradetalks[serve]')", allow_module_level=True)

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.test_store import postgres_url, store  # noqa: F401  (fixtures: the store on SQLite and PostgreSQL)
from tradetalks.api import Settings, create_app
from tradetalks.api.evaluate import warm_model
from tradetalks.api.rooms import private_facts
from tradetalks.model import package_value
from tradetalks.scenario.loader import load_scenario_text
from tradetalks.store import Store
from tradetalks.store.rooms import token_digest
from tradetalks.store.tables import room_tokens

DATA = Path(__file__).parent / "data"
#: the toy scenario with a political weight of Beta's producers read from a fact, so each side has a private fact
ROOM_YAML = (DATA / "toy.yaml").read_text(encoding="utf-8").replace(
    "{id: b_producers, name: Beta producers, weight: 2}", "{id: b_producers, name: Beta producers, weight: w_prod}"
).replace("  aid: {value", "  w_prod: {value: 2.0, unit: weight, assumption: organised producers}\n  aid: {value")
#: utilities from the API against the library's: the API rounds to 6 significant digits
REL_TOL = 1e-5
#: a value of Beta's private input that must never appear in anything Alpha's delegate receives
B_SECRET = 3.14159
ENVELOPE_KEYS = {"code", "message", "fix", "problems"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'rooms.db'}", admin_token=ADMIN_TOKEN))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_scenario(client: TestClient) -> str:
    r = client.post("/api/scenarios", content=ROOM_YAML.encode(),
                    headers={"content-type": "application/yaml", **bearer(ADMIN_TOKEN)})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def new_room(client: TestClient, scenario_id: str | None = None) -> dict[str, Any]:
    r = client.post("/api/rooms", json={"scenario_id": scenario_id or new_scenario(client)})
    assert r.status_code == 201, r.text
    return dict(r.json())


def assert_envelope(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) == ENVELOPE_KEYS
    assert err["code"] == code
    return dict(err)


def test_private_facts_are_those_only_one_sides_weights_or_payoffs_use() -> None:
    scn = load_scenario_text(ROOM_YAML, "room.yaml").scenario
    private = private_facts(scn)
    assert private == {"A": {"w_exp"}, "B": {"w_prod"}}
    # aid pays both treasuries; elasticities feed both sides; discount rates set bargaining powers
    assert not {"aid", "eps", "sigma", "r_a", "r_b"} & (private["A"] | private["B"])


def test_create_room_gives_each_role_a_token_and_keeps_only_salted_hashes(client: TestClient) -> None:
    room = new_room(client)
    toks = room["tokens"]
    assert set(toks) == {"owner", "viewer", "delegates"} and set(toks["delegates"]) == {"A", "B"}
    assert room["private_facts"] == {"A": ["w_exp"], "B": ["w_prod"]}
    db = client.app.state.service.store  # type: ignore[attr-defined]
    with db.engine.connect() as conn:
        rows = conn.execute(select(room_tokens)).mappings().all()
    assert len(rows) == 4 and len({r["salt"] for r in rows}) == 4
    secrets = [t.partition(".")[2] for t in [toks["owner"], toks["viewer"], *toks["delegates"].values()]]
    stored = json.dumps([dict(r) for r in rows], default=str)
    assert not any(s in stored for s in secrets)
    by_id = {r["id"]: r for r in rows}
    tid, _, secret = toks["owner"].partition(".")
    assert by_id[tid]["digest"] == token_digest(by_id[tid]["salt"], secret)


def test_create_room_for_an_unknown_scenario_is_404(client: TestClient) -> None:
    assert_envelope(client.post("/api/rooms", json={"scenario_id": "nope"}), 404, "not_found")


def test_missing_bad_or_foreign_tokens_are_refused_without_telling_if_a_room_exists(client: TestClient) -> None:
    sid = new_scenario(client)
    room, other = new_room(client, sid), new_room(client, sid)
    url = f"/api/rooms/{room['id']}/view"
    assert_envelope(client.get(url), 401, "unauthorized")
    assert_envelope(client.get(url, headers={"Authorization": "Basic abc"}), 401, "unauthorized")
    assert_envelope(client.get(url, headers=bearer("nodot")), 401, "unauthorized")
    tid = room["tokens"]["owner"].partition(".")[0]
    assert_envelope(client.get(url, headers=bearer(f"{tid}.wrong-secret")), 401, "unauthorized")
    foreign = other["tokens"]["delegates"]["A"]
    exists = client.get(url, headers=bearer(foreign))
    missing = client.get("/api/rooms/0000000000000000/view", headers=bearer(foreign))
    assert_envelope(exists, 403, "forbidden")
    assert (missing.status_code, missing.json()) == (exists.status_code, exists.json())
    put = client.put(f"/api/rooms/{room['id']}/inputs", json={"overrides": {"w_exp": 9}}, headers=bearer(foreign))
    assert_envelope(put, 403, "forbidden")


def test_a_delegate_sets_only_its_own_private_facts_and_errors_reveal_nothing(client: TestClient) -> None:
    room = new_room(client)
    rid, toks = room["id"], room["tokens"]
    a, b = bearer(toks["delegates"]["A"]), bearer(toks["delegates"]["B"])
    url = f"/api/rooms/{rid}/inputs"
    r = client.put(url, json={"overrides": {"w_prod": B_SECRET}}, headers=b)
    assert r.status_code == 200, r.text
    assert client.put(url, json={"overrides": {"w_exp": 2.5}}, headers=a).status_code == 200
    other_side = client.put(url, json={"overrides": {"w_prod": 1.0}}, headers=a)
    unknown = client.put(url, json={"overrides": {"zz_unknown": 1.0}}, headers=a)
    shared = client.put(url, json={"overrides": {"aid": 1.0}}, headers=a)
    for resp in (other_side, unknown, shared):
        err = assert_envelope(resp, 422, "invalid_request")
        assert str(B_SECRET) not in resp.text and "3.14" not in resp.text
        assert err["problems"][0]["fix"] == "override only: w_exp"
    # the other side's fact is refused in the same words as a fact that does not exist
    assert other_side.text.replace("w_prod", "X") == unknown.text.replace("zz_unknown", "X")
    # and B's input is unchanged by A's attempt
    view_b = client.get(f"/api/rooms/{rid}/view", headers=b).json()
    assert view_b["my_inputs"] == {"w_prod": B_SECRET}


def test_owner_and_viewer_cannot_set_inputs(client: TestClient) -> None:
    room = new_room(client)
    url = f"/api/rooms/{room['id']}/inputs"
    for role in ("owner", "viewer"):
        r = client.put(url, json={"overrides": {"w_exp": 2.0}}, headers=bearer(room["tokens"][role]))
        assert_envelope(r, 403, "forbidden")


def test_own_inputs_that_break_the_scenario_are_refused_with_the_loader_problems(client: TestClient) -> None:
    room = new_room(client)
    r = client.put(f"/api/rooms/{room['id']}/inputs", json={"overrides": {"w_exp": 1e30}},
                   headers=bearer(room["tokens"]["delegates"]["A"]))
    err = assert_envelope(r, 422, "invalid_scenario")
    assert err["problems"][0]["path"] == "parties[0].stakeholders[0].weight"


def _library(overrides: dict[str, float]) -> Any:
    return warm_model(load_scenario_text(ROOM_YAML, "room.yaml", overrides=overrides))


def test_a_delegate_sees_its_own_utilities_on_the_joint_frontier_and_nothing_of_the_other_side(
        client: TestClient) -> None:
    room = new_room(client)
    rid, toks = room["id"], room["tokens"]
    a, b = bearer(toks["delegates"]["A"]), bearer(toks["delegates"]["B"])
    client.put(f"/api/rooms/{rid}/inputs", json={"overrides": {"w_exp": 3.0}}, headers=a)
    client.put(f"/api/rooms/{rid}/inputs", json={"overrides": {"w_prod": B_SECRET}}, headers=b)
    tabled = client.post(f"/api/rooms/{rid}/proposals", json={}, headers=bearer(toks["owner"]))
    assert tabled.status_code == 201, tabled.text
    assert tabled.json()["tabled_by"] == "mediator"
    joint = _library({"w_exp": 3.0, "w_prod": B_SECRET})
    nash = joint.solutions["nash"]
    assert tabled.json()["package"] == nash["package"]
    # both sides' inputs move the mediator's package: it is not the package of the scenario as written
    assert nash["package"] != _library({}).solutions["nash"]["package"]
    view = client.get(f"/api/rooms/{rid}/view", headers=a)
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["my_inputs"] == {"w_exp": 3.0}
    assert body["mediator"]["package"] == nash["package"]
    assert body["mediator"]["utility"] == pytest.approx(nash["utilities"]["A"], rel=REL_TOL)
    _, util = package_value(joint.model, body["current"]["package"])
    assert body["current"]["utility"] == pytest.approx(float(util[0]), rel=REL_TOL)
    text = view.text
    assert "w_prod" not in text and str(B_SECRET) not in text
    b_util = nash["utilities"]["B"]
    assert f"{b_util:.6g}" not in text and "utilities" not in text
    assert body["batna_utility"] == 0.0


def test_the_other_sides_inputs_never_move_my_utility_of_a_package(client: TestClient) -> None:
    room = new_room(client)
    rid, toks = room["id"], room["tokens"]
    a, b = bearer(toks["delegates"]["A"]), bearer(toks["delegates"]["B"])
    package = {"widget_tariff": "t0", "transfer": "some"}
    client.post(f"/api/rooms/{rid}/proposals", json={"package": package}, headers=bearer(toks["owner"]))
    before = client.get(f"/api/rooms/{rid}/view", headers=a).json()["current"]["utility"]
    client.put(f"/api/rooms/{rid}/inputs", json={"overrides": {"w_prod": 9.0}}, headers=b)
    after = client.get(f"/api/rooms/{rid}/view", headers=a).json()["current"]["utility"]
    assert after == before


def test_no_mediator_package_when_no_deal_beats_the_batna_for_both(client: TestClient) -> None:
    room = new_room(client)
    rid, toks = room["id"], room["tokens"]
    a = bearer(toks["delegates"]["A"])
    assert _library({"w_exp": 0.1}).solutions["nash"] is None
    client.put(f"/api/rooms/{rid}/inputs", json={"overrides": {"w_exp": 0.1}}, headers=a)
    assert_envelope(client.post(f"/api/rooms/{rid}/proposals", json={}, headers=bearer(toks["owner"])), 409,
                    "conflict")
    view = client.get(f"/api/rooms/{rid}/view", headers=a).json()
    assert view["mediator"] is None and view["current"] is None


def test_viewer_and_owner_see_the_history_but_no_utilities_or_inputs(client: TestClient) -> None:
    room = new_room(client)
    rid, toks = room["id"], room["tokens"]
    client.put(f"/api/rooms/{rid}/inputs", json={"overrides": {"w_prod": B_SECRET}},
               headers=bearer(toks["delegates"]["B"]))
    client.post(f"/api/rooms/{rid}/proposals", json={}, headers=bearer(toks["owner"]))
    for role in ("owner", "viewer"):
        r = client.get(f"/api/rooms/{rid}/view", headers=bearer(toks[role]))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["role"] == role and len(body["history"]) == 1 and body["inputs_entered"] == ["B"]
        assert "my_inputs" not in body and "mediator" not in body and str(B_SECRET) not in r.text


def test_only_the_owner_tables_proposals(client: TestClient) -> None:
    room = new_room(client)
    url = f"/api/rooms/{room['id']}/proposals"
    toks = room["tokens"]
    for tok in (toks["viewer"], toks["delegates"]["A"]):
        assert_envelope(client.post(url, json={}, headers=bearer(tok)), 403, "forbidden")
    bad = client.post(url, json={"package": {"widget_tariff": "t99"}}, headers=bearer(toks["owner"]))
    assert bad.status_code >= 400 and set(bad.json()["error"]) == ENVELOPE_KEYS


def test_both_accept_and_the_room_is_agreed_then_frozen(client: TestClient) -> None:
    room = new_room(client)
    rid, toks = room["id"], room["tokens"]
    a, b, owner = bearer(toks["delegates"]["A"]), bearer(toks["delegates"]["B"]), bearer(toks["owner"])
    n = client.post(f"/api/rooms/{rid}/proposals", json={}, headers=owner).json()["number"]
    for tok in (toks["viewer"], toks["owner"]):
        assert_envelope(client.post(f"/api/rooms/{rid}/proposals/{n}/accept", headers=bearer(tok)), 403, "forbidden")
    first = client.post(f"/api/rooms/{rid}/proposals/{n}/accept", headers=a)
    assert first.json()["status"] == "open" and first.json()["room_status"] == "open"
    second = client.post(f"/api/rooms/{rid}/proposals/{n}/accept", headers=b)
    assert second.json()["status"] == "agreed" and second.json()["room_status"] == "agreed"
    view = client.get(f"/api/rooms/{rid}/view", headers=bearer(toks["viewer"])).json()
    assert view["status"] == "agreed" and view["history"][0]["decisions"] == {"A": "accept", "B": "accept"}
    assert_envelope(client.put(f"/api/rooms/{rid}/inputs", json={"overrides": {}}, headers=a), 409, "conflict")
    assert_envelope(client.post(f"/api/rooms/{rid}/proposals", json={}, headers=owner), 409, "conflict")
    assert_envelope(client.post(f"/api/rooms/{rid}/proposals/{n}/reject", headers=b), 409, "conflict")


def test_a_rejection_closes_a_proposal_and_a_new_one_supersedes(client: TestClient) -> None:
    room = new_room(client)
    rid, toks = room["id"], room["tokens"]
    a, owner = bearer(toks["delegates"]["A"]), bearer(toks["owner"])
    one = client.post(f"/api/rooms/{rid}/proposals", json={"package": {"transfer": "more"}}, headers=owner).json()
    assert client.post(f"/api/rooms/{rid}/proposals/{one['number']}/reject", headers=a).json()["status"] == "rejected"
    assert_envelope(client.post(f"/api/rooms/{rid}/proposals/{one['number']}/accept", headers=a), 409, "conflict")
    two = client.post(f"/api/rooms/{rid}/proposals", json={"package": {"transfer": "some"}}, headers=owner).json()
    three = client.post(f"/api/rooms/{rid}/proposals", json={}, headers=owner).json()
    history = client.get(f"/api/rooms/{rid}/view", headers=a).json()["history"]
    assert [p["status"] for p in history] == ["rejected", "superseded", "open"]
    assert [p["number"] for p in history] == [one["number"], two["number"], three["number"]]
    assert_envelope(client.post(f"/api/rooms/{rid}/proposals/99/accept", headers=a), 404, "not_found")
    for bad in (0, 2**40):  # out of range of the column: refused before the database sees it
        assert_envelope(client.post(f"/api/rooms/{rid}/proposals/{bad}/accept", headers=a), 422, "invalid_request")
    assert_envelope(client.post(f"/api/rooms/{rid}/proposals/1/maybe", headers=a), 422, "invalid_request")
    nan = client.put(f"/api/rooms/{rid}/inputs", content=b'{"overrides": {"w_exp": NaN}}',
                     headers={**a, "content-type": "application/json"})
    assert nan.status_code == 422 and set(nan.json()["error"]) == ENVELOPE_KEYS


def test_store_rooms_on_sqlite_and_postgresql(store: Store) -> None:  # noqa: F811
    from tradetalks.store.rooms import RoomStateError, RoomStore

    s = store.create_scenario("toy", ROOM_YAML)
    rooms = RoomStore(store)
    room, tokens = rooms.create_room(s.id, s.version, ["A", "B"])
    grant = rooms.authenticate(tokens["delegate:B"])
    assert grant is not None and (grant.room_id, grant.role, grant.party) == (room.id, "delegate", "B")
    assert rooms.authenticate(tokens["owner"] + "x") is None
    assert rooms.authenticate("unknown.secret") is None
    rooms.set_inputs(room.id, "A", {"w_exp": 2.0})
    rooms.set_inputs(room.id, "A", {"w_exp": 3.0})
    rooms.set_inputs(room.id, "B", {"w_prod": 1.0})
    assert rooms.inputs(room.id) == {"A": {"w_exp": 3.0}, "B": {"w_prod": 1.0}}
    first = rooms.table_proposal(room.id, {"transfer": "some"}, "owner")
    second = rooms.table_proposal(room.id, {"transfer": "more"}, "mediator")
    assert (first.number, second.number) == (1, 2)
    with pytest.raises(RoomStateError):
        rooms.decide(room.id, 1, "A", "accept", ["A", "B"])
    assert rooms.decide(room.id, 2, "A", "accept", ["A", "B"]).status == "open"
    assert rooms.decide(room.id, 2, "B", "accept", ["A", "B"]).status == "agreed"
    assert rooms.get_room(room.id).status == "agreed"
    assert [p.status for p in rooms.proposals(room.id)] == ["superseded", "agreed"]
