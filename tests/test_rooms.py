"""Confidential mediator rooms (tradetalks.api.rooms, tradetalks.store.rooms): tokens and roles, private inputs,
the mediator's package by the owner's rule on the joint frontier, post-settlement improvements, publishing,
token rotation, and what a delegate can never read, infer from an error, or change, nor a viewer write."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import under_ci
from tests.web_fixtures import ADMIN_TOKEN

if not under_ci() and any(importlib.util.find_spec(m) is None for m in ("fastapi", "httpx")):
    pytest.skip("the service extra is not installed (pip install 'tradetalks[serve]')", allow_module_level=True)

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.test_store import postgres_url, store  # noqa: F401  (fixtures: the store on SQLite and PostgreSQL)
from tradetalks.api import Settings, create_app
from tradetalks.api.evaluate import warm_model
from tradetalks.api.rooms import MEDIATOR_RULES, private_facts
from tradetalks.bargain.improve import improve_deal
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
    r = client.post("/api/rooms", json={"scenario_id": scenario_id or new_scenario(client)},
                    headers=bearer(ADMIN_TOKEN))
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
    assert_envelope(client.post("/api/rooms", json={"scenario_id": "nope"}, headers=bearer(ADMIN_TOKEN)), 404,
                    "not_found")


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


# -- the owner's rule, post-settlement improvements, publishing, tokens (migration 0003b) -----------------------------

#: the scenario's BATNA package: both sides at utility 0, strictly dominated on the joint frontier
BATNA = {"widget_tariff": "t25", "transfer": "none"}
A_INPUT, B_INPUTS = {"w_exp": 3.0}, {"w_prod": B_SECRET}


def joint_room(client: TestClient) -> tuple[str, dict[str, Any], dict[str, dict[str, str]]]:
    """A room where both delegates entered inputs (Beta's is the secret); headers of every role."""
    room = new_room(client)
    rid, toks = room["id"], room["tokens"]
    h = {"owner": bearer(toks["owner"]), "viewer": bearer(toks["viewer"]), "A": bearer(toks["delegates"]["A"]),
         "B": bearer(toks["delegates"]["B"])}
    assert client.put(f"/api/rooms/{rid}/inputs", json={"overrides": A_INPUT}, headers=h["A"]).status_code == 200
    assert client.put(f"/api/rooms/{rid}/inputs", json={"overrides": B_INPUTS}, headers=h["B"]).status_code == 200
    return rid, toks, h


def b_numbers(packages: list[dict[str, str]]) -> list[str]:
    """Beta's utilities of ``packages`` (joint inputs) written as an API or a page could write them."""
    joint = _library(A_INPUT | B_INPUTS)
    out = [str(B_SECRET), "3.1416"]
    for pk in packages:
        b = float(package_value(joint.model, pk)[1][1])
        if abs(b) > 1.0:  # 0 (the BATNA) is everyone's number
            out += [repr(b), f"{b:.6g}", f"{b:.4g}", str(round(b)), f"{b / 1e9:.3f}", f"{b / 1e6:.1f}"]
    return out


def agree(client: TestClient, rid: str, h: dict[str, dict[str, str]], package: dict[str, str]) -> int:
    n = client.post(f"/api/rooms/{rid}/proposals", json={"package": package}, headers=h["owner"]).json()["number"]
    assert client.post(f"/api/rooms/{rid}/proposals/{n}/accept", headers=h["A"]).status_code == 200
    assert client.post(f"/api/rooms/{rid}/proposals/{n}/accept", headers=h["B"]).json()["status"] == "agreed"
    return int(n)


@pytest.mark.parametrize("rule", MEDIATOR_RULES)
def test_the_owner_chooses_the_rule_and_the_history_records_it(client: TestClient, rule: str) -> None:
    rid, _, h = joint_room(client)
    r = client.post(f"/api/rooms/{rid}/proposals", json={"rule": rule}, headers=h["owner"])
    assert r.status_code == 201, r.text
    expected = _library(A_INPUT | B_INPUTS).solutions[rule]
    assert expected is not None
    assert r.json()["package"] == expected["package"]
    view = client.get(f"/api/rooms/{rid}/view", headers=h["viewer"]).json()
    assert [(p["tabled_by"], p["rule"], p["kind"]) for p in view["history"]] == [("mediator", rule, "proposal")]
    owner = client.get(f"/api/rooms/{rid}/view", headers=h["owner"]).json()
    assert owner["rules"][rule] is True and "utility" not in json.dumps(owner)


def test_a_rule_and_a_package_together_or_an_unknown_or_unavailable_rule_are_refused(client: TestClient) -> None:
    rid, _, h = joint_room(client)
    url = f"/api/rooms/{rid}/proposals"
    both = client.post(url, json={"rule": "nash", "package": BATNA}, headers=h["owner"])
    assert assert_envelope(both, 422, "invalid_request")["problems"][0]["path"] == "rule"
    assert_envelope(client.post(url, json={"rule": "dictator"}, headers=h["owner"]), 422, "invalid_request")
    # without discount rates there is no Rubinstein split: the rule is refused and the valid ones listed
    no_rates = ROOM_YAML.replace("    discount_rate: r_a\n", "").replace("    discount_rate: r_b\n", "")
    sid = client.post("/api/scenarios", content=no_rates.encode(),
                      headers={"content-type": "application/yaml", **bearer(ADMIN_TOKEN)}).json()["id"]
    other = new_room(client, sid)
    r = client.post(f"/api/rooms/{other['id']}/proposals", json={"rule": "nash_rubinstein"},
                    headers=bearer(other["tokens"]["owner"]))
    err = assert_envelope(r, 422, "invalid_request")
    assert "nash_rubinstein" not in err["problems"][0]["fix"] and "kalai_smorodinsky" in err["problems"][0]["fix"]


def test_after_an_agreement_the_mediator_proposes_a_pareto_improvement_both_must_accept(client: TestClient) -> None:
    rid, _, h = joint_room(client)
    url = f"/api/rooms/{rid}/improvements"
    assert_envelope(client.post(url, json={}, headers=h["owner"]), 409, "conflict")  # nothing agreed yet
    agreed = agree(client, rid, h, BATNA)
    for role in ("viewer", "A", "B"):
        assert_envelope(client.post(url, json={}, headers=h[role]), 403, "forbidden")
    r = client.post(url, json={"rule": "nash"}, headers=h["owner"])
    assert r.status_code == 201, r.text
    imp = r.json()
    assert (imp["kind"], imp["rule"], imp["tabled_by"], imp["status"]) == ("improvement", "nash", "mediator", "open")
    joint = _library(A_INPUT | B_INPUTS)
    deal = package_value(joint.model, BATNA)[1]
    lib = improve_deal(joint.frontier, deal, "nash")
    assert lib.gains is not None and (lib.gains > 0).all()  # strictly better for both in this room
    new = package_value(joint.model, imp["package"])[1]
    assert new == pytest.approx(lib.utilities, rel=REL_TOL) and (new > deal).all()
    # each delegate sees its own gain only
    va = client.get(f"/api/rooms/{rid}/view", headers=h["A"])
    body = va.json()
    assert body["current"]["kind"] == "improvement"
    assert body["current"]["gain"] == pytest.approx(float(new[0] - deal[0]), rel=REL_TOL)
    assert body["agreement"]["number"] == agreed and body["agreement"]["package"] == BATNA
    assert not any(x in va.text for x in b_numbers([imp["package"], BATNA]))
    # the agreement stands until both accept; then the improvement replaces it
    first = client.post(f"/api/rooms/{rid}/proposals/{imp['number']}/accept", headers=h["A"]).json()
    assert first["status"] == "open" and first["room_status"] == "agreed"
    assert client.post(f"/api/rooms/{rid}/proposals/{imp['number']}/accept", headers=h["B"]).json()["status"] \
        == "agreed"
    history = client.get(f"/api/rooms/{rid}/view", headers=h["viewer"]).json()["history"]
    assert [(p["kind"], p["status"]) for p in history] == [("proposal", "replaced"), ("improvement", "agreed")]
    # the new agreement is on the joint frontier: nothing better for both is left
    assert_envelope(client.post(url, json={}, headers=h["owner"]), 409, "conflict")
    assert_envelope(client.post(f"/api/rooms/{rid}/proposals", json={}, headers=h["owner"]), 409, "conflict")


def test_a_rejected_improvement_leaves_the_agreement_standing(client: TestClient) -> None:
    rid, _, h = joint_room(client)
    agree(client, rid, h, BATNA)
    imp = client.post(f"/api/rooms/{rid}/improvements", json={"rule": "equal_gains"}, headers=h["owner"]).json()
    assert client.post(f"/api/rooms/{rid}/proposals/{imp['number']}/reject", headers=h["B"]).json()["status"] \
        == "rejected"
    view = client.get(f"/api/rooms/{rid}/view", headers=h["B"]).json()
    assert view["status"] == "agreed" and view["agreement"]["package"] == BATNA
    assert [p["status"] for p in view["history"]] == ["agreed", "rejected"]


def test_a_published_room_is_readable_without_a_token_and_shows_no_utilities_or_inputs(client: TestClient) -> None:
    rid, _, h = joint_room(client)
    client.post(f"/api/rooms/{rid}/proposals", json={"rule": "kalai_smorodinsky"}, headers=h["owner"])
    url = f"/api/rooms/{rid}/view"
    closed, missing = client.get(url), client.get("/api/rooms/0000000000000000/view")
    assert_envelope(closed, 401, "unauthorized")
    assert closed.json() == missing.json()  # an unpublished room looks like none at all
    for role in ("viewer", "A", "B"):
        assert_envelope(client.post(f"/api/rooms/{rid}/publish", headers=h[role]), 403, "forbidden")
    r = client.post(f"/api/rooms/{rid}/publish", headers=h["owner"])
    assert r.status_code == 200 and r.json()["published"] is True
    public = client.get(url)
    assert public.status_code == 200, public.text
    body = public.json()
    assert body["role"] == "public" and body["published"] is True and len(body["history"]) == 1
    assert body["history"][0]["rule"] == "kalai_smorodinsky"
    assert not {"my_inputs", "inputs_entered", "current", "mediator", "rules"} & set(body)
    assert "utilit" not in public.text and "w_exp" not in public.text
    assert not any(x in public.text for x in b_numbers([body["history"][0]["package"]]))
    # reading is open, writing is not
    assert_envelope(client.post(f"/api/rooms/{rid}/proposals", json={}), 401, "unauthorized")
    assert_envelope(client.post(f"/api/rooms/{rid}/unpublish"), 401, "unauthorized")
    # a token sent is still checked (a wrong one is refused even on a published room)
    assert_envelope(client.get(url, headers=bearer("x.y")), 401, "unauthorized")
    assert client.post(f"/api/rooms/{rid}/unpublish", headers=h["owner"]).json()["published"] is False
    assert client.get(url).json() == missing.json()


def test_tokens_rotate_and_revoke_and_old_ones_stop_working(client: TestClient) -> None:
    rid, _, h = joint_room(client)
    rot = f"/api/rooms/{rid}/tokens/rotate"
    view = f"/api/rooms/{rid}/view"
    # a delegate rotates its own token, and only its own
    assert_envelope(client.post(rot, json={"role": "delegate", "party": "B"}, headers=h["A"]), 403, "forbidden")
    assert_envelope(client.post(rot, json={"role": "owner"}, headers=h["A"]), 403, "forbidden")
    assert_envelope(client.post(rot, json={}, headers=h["viewer"]), 403, "forbidden")
    new_a = client.post(rot, json={}, headers=h["A"])
    assert new_a.status_code == 200 and (new_a.json()["role"], new_a.json()["party"]) == ("delegate", "A")
    assert_envelope(client.get(view, headers=h["A"]), 401, "unauthorized")
    me = client.get(view, headers=bearer(new_a.json()["token"])).json()
    assert me["party"] == "A" and me["my_inputs"] == A_INPUT  # the inputs stay with the party, not the token
    # the owner rotates any role's token, its own included
    new_b = client.post(rot, json={"role": "delegate", "party": "B"}, headers=h["owner"]).json()["token"]
    assert_envelope(client.get(view, headers=h["B"]), 401, "unauthorized")
    assert client.get(view, headers=bearer(new_b)).json()["party"] == "B"
    bad_party = client.post(rot, json={"role": "delegate", "party": "Z"}, headers=h["owner"])
    assert assert_envelope(bad_party, 422, "invalid_request")["problems"][0]["path"] == "party"
    new_owner = client.post(rot, json={}, headers=h["owner"]).json()["token"]
    assert_envelope(client.get(view, headers=h["owner"]), 401, "unauthorized")
    owner = bearer(new_owner)
    # revoking: the viewer's token stops working; the slot gets a new one only by rotation; the owner's is not revoked
    rev = f"/api/rooms/{rid}/tokens/revoke"
    assert_envelope(client.post(rev, json={"role": "viewer"}, headers=bearer(new_b)), 403, "forbidden")
    assert client.post(rev, json={"role": "viewer"}, headers=owner).json()["revoked"] == 1
    assert_envelope(client.get(view, headers=h["viewer"]), 401, "unauthorized")
    assert_envelope(client.post(rev, json={"role": "owner"}, headers=owner), 422, "invalid_request")
    assert_envelope(client.post(rev, json={}, headers=owner), 422, "invalid_request")
    viewer = client.post(rot, json={"role": "viewer"}, headers=owner).json()["token"]
    assert client.get(view, headers=bearer(viewer)).json()["role"] == "viewer"
    # the store keeps every token's salted hash, the revoked ones marked
    db = client.app.state.service.store  # type: ignore[attr-defined]
    with db.engine.connect() as conn:
        rows = conn.execute(select(room_tokens).where(room_tokens.c.room_id == rid)).mappings().all()
    assert sum(r["revoked_at"] is None for r in rows) == 4 and len(rows) == 8
    assert not any(t.partition(".")[2] in json.dumps([dict(r) for r in rows], default=str)
                   for t in (new_b, new_owner, viewer))


def test_the_admin_token_acts_as_the_owner_of_every_room(client: TestClient) -> None:
    rid, _, _ = joint_room(client)
    admin = bearer(ADMIN_TOKEN)
    assert client.post(f"/api/rooms/{rid}/proposals", json={"rule": "utilitarian"}, headers=admin).status_code == 201
    assert client.get(f"/api/rooms/{rid}/view", headers=admin).json()["role"] == "owner"
    assert_envelope(client.put(f"/api/rooms/{rid}/inputs", json={"overrides": {}}, headers=admin), 403, "forbidden")
    assert_envelope(client.get("/api/rooms/0000000000000000/view", headers=admin), 404, "not_found")


#: every room endpoint after creation: (method, path under /api/rooms/{id}, JSON body)
ENDPOINTS: list[tuple[str, str, Any]] = [
    ("PUT", "/inputs", {"overrides": {"w_exp": 2.0}}),
    ("PUT", "/inputs", {"overrides": {"w_prod": 1.0}}),
    ("POST", "/proposals", {}),
    ("POST", "/proposals", {"rule": "egalitarian"}),
    ("POST", "/proposals", {"package": BATNA}),
    ("POST", "/improvements", {}),
    ("POST", "/proposals/1/accept", None),
    ("POST", "/proposals/1/reject", None),
    ("POST", "/proposals/2/accept", None),
    ("POST", "/publish", None),
    ("POST", "/unpublish", None),
    ("POST", "/tokens/rotate", {"role": "delegate", "party": "B"}),
    ("POST", "/tokens/rotate", {"role": "viewer"}),
    ("POST", "/tokens/revoke", {"role": "delegate", "party": "B"}),
    ("POST", "/tokens/revoke", {"role": "viewer"}),
    ("GET", "/view", None),
]
WRITES = [e for e in ENDPOINTS if e[0] != "GET"]


@pytest.mark.parametrize("state", ["open", "agreed"])
def test_no_endpoint_lets_a_delegate_read_infer_or_change_the_other_sides_inputs_or_utilities(
        client: TestClient, state: str) -> None:
    rid, _, h = joint_room(client)
    tabled = client.post(f"/api/rooms/{rid}/proposals", json={}, headers=h["owner"]).json()
    packages = [tabled["package"], BATNA]
    if state == "agreed":
        agree(client, rid, h, BATNA)
        imp = client.post(f"/api/rooms/{rid}/improvements", json={}, headers=h["owner"]).json()
        packages.append(imp["package"])
    secrets_of_b = b_numbers(packages)
    seen: list[str] = []
    for method, path, body in ENDPOINTS:
        r = client.request(method, f"/api/rooms/{rid}{path}", json=body, headers=h["A"])
        assert r.status_code < 500, (path, r.text)
        seen.append(f"{method} {path} -> {r.status_code}: {r.text}")
        if r.status_code >= 400:
            assert set(r.json()["error"]) == ENVELOPE_KEYS
        if "w_prod" not in json.dumps(body):  # the name of Beta's private fact only comes back when A sent it
            assert "w_prod" not in r.text, (path, r.text)
    leaks = [(s, x) for s in seen for x in secrets_of_b if x in s.partition(": ")[2]]
    assert not leaks, leaks
    # Beta's inputs and token survived everything Alpha's delegate tried
    view_b = client.get(f"/api/rooms/{rid}/view", headers=h["B"])
    assert view_b.status_code == 200 and view_b.json()["my_inputs"] == B_INPUTS
    # and Beta's own utility of the tabled package is what its own inputs give, untouched by Alpha
    if state == "open":
        b_util = float(package_value(_library(A_INPUT | B_INPUTS).model, view_b.json()["current"]["package"])[1][1])
        assert view_b.json()["current"]["utility"] == pytest.approx(b_util, rel=REL_TOL)


def test_a_viewer_writes_nothing(client: TestClient) -> None:
    rid, _, h = joint_room(client)
    client.post(f"/api/rooms/{rid}/proposals", json={}, headers=h["owner"])
    before = client.get(f"/api/rooms/{rid}/view", headers=h["owner"]).json()
    for method, path, body in WRITES:
        r = client.request(method, f"/api/rooms/{rid}{path}", json=body, headers=h["viewer"])
        assert_envelope(r, 403, "forbidden")
        assert client.get(f"/api/rooms/{rid}/view", headers=h["owner"]).json() == before, path
    assert client.get(f"/api/rooms/{rid}/view", headers=h["viewer"]).status_code == 200  # its token still works
    for role in ("A", "B"):  # and the delegates' own inputs are as they set them
        mine = client.get(f"/api/rooms/{rid}/view", headers=h[role]).json()["my_inputs"]
        assert mine == (A_INPUT if role == "A" else B_INPUTS)


def test_store_publish_rotate_revoke_and_improvements(store: Store) -> None:  # noqa: F811
    from tradetalks.store.rooms import RoomStateError, RoomStore

    s = store.create_scenario("toy", ROOM_YAML)
    rooms = RoomStore(store)
    room, tokens = rooms.create_room(s.id, s.version, ["A", "B"])
    assert not room.published and rooms.set_published(room.id, True).published
    assert not rooms.set_published(room.id, False).published
    new = rooms.rotate_token(room.id, "delegate", "A")
    assert rooms.authenticate(tokens["delegate:A"]) is None
    grant = rooms.authenticate(new)
    assert grant is not None and grant.party == "A"
    assert rooms.revoke_token(room.id, "viewer", None) == 1 and rooms.authenticate(tokens["viewer"]) is None
    assert rooms.revoke_token(room.id, "viewer", None) == 0
    with pytest.raises(RoomStateError):
        rooms.table_proposal(room.id, {"transfer": "some"}, "mediator", kind="improvement", rule="nash")
    first = rooms.table_proposal(room.id, {"transfer": "none"}, "owner")
    rooms.decide(room.id, first.number, "A", "accept", ["A", "B"])
    rooms.decide(room.id, first.number, "B", "accept", ["A", "B"])
    with pytest.raises(RoomStateError):
        rooms.table_proposal(room.id, {"transfer": "some"}, "owner")
    imp = rooms.table_proposal(room.id, {"transfer": "some"}, "mediator", kind="improvement", rule="nash")
    assert (imp.kind, imp.rule) == ("improvement", "nash")
    rooms.decide(room.id, imp.number, "A", "accept", ["A", "B"])
    assert rooms.decide(room.id, imp.number, "B", "accept", ["A", "B"]).status == "agreed"
    assert [(p.kind, p.status) for p in rooms.proposals(room.id)] == [("proposal", "replaced"),
                                                                     ("improvement", "agreed")]
    agreed = rooms.agreement(room.id)
    assert agreed is not None and agreed.number == imp.number and agreed.rule == "nash"


def test_when_both_sides_inputs_clash_each_delegate_still_sees_its_own_inputs_and_may_revise(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import tradetalks.api.rooms as api_rooms
    from tradetalks.errors import ScenarioError

    real = api_rooms.load_scenario_text

    def clash(text: str, file: str, overrides: dict[str, float] | None = None) -> Any:
        if overrides is not None and {"w_exp", "w_prod"} <= set(overrides):  # valid alone, not together
            raise ScenarioError(file, [])
        return real(text, file, overrides=overrides)

    monkeypatch.setattr(api_rooms, "load_scenario_text", clash)
    rid, _, h = joint_room(client)
    for role, mine in (("A", A_INPUT), ("B", B_INPUTS)):
        r = client.get(f"/api/rooms/{rid}/view", headers=h[role])
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["my_inputs"] == mine and body["joint_problem"] and body["current"] is None
        assert "w_prod" not in r.text if role == "A" else "w_exp" not in r.text
        assert str(B_SECRET) not in r.text if role == "A" else "3.0" not in json.dumps(body["joint_problem"])
    assert_envelope(client.post(f"/api/rooms/{rid}/proposals", json={}, headers=h["owner"]), 409, "conflict")
    assert not any(client.get(f"/api/rooms/{rid}/view", headers=h["owner"]).json()["rules"].values())
    # Alpha withdraws its input: the room computes again
    assert client.put(f"/api/rooms/{rid}/inputs", json={"overrides": {}}, headers=h["A"]).status_code == 200
    assert client.get(f"/api/rooms/{rid}/view", headers=h["A"]).json()["joint_problem"] is None


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(w_exp=st.floats(0.2, 5.0), w_prod=st.floats(0.2, 5.0),
       agreed=st.sampled_from([{"widget_tariff": t, "transfer": x} for t in ("t25", "t15", "t0")
                               for x in ("none", "some", "more")]),
       rule=st.sampled_from(["nash", "equal_gains", "proportional", "utilitarian"]))
def test_an_improvement_is_strictly_better_for_both_and_offered_whenever_one_exists(
        w_exp: float, w_prod: float, agreed: dict[str, str], rule: Any) -> None:
    from tradetalks.api.rooms import IMPROVEMENT_RTOL, _pareto_improvement

    joint = _library({"w_exp": w_exp, "w_prod": w_prod})
    deal = package_value(joint.model, agreed)[1]
    found = _pareto_improvement(joint, agreed, rule)
    pts = joint.frontier.utilities
    tol = IMPROVEMENT_RTOL * max(1.0, float(abs(pts).max()))
    exists = bool(((pts - deal) > tol).all(axis=1).any())
    assert (found is not None) == exists
    if found is not None:
        new = package_value(joint.model, found)[1]
        assert (new - deal > tol).all()
        # and it is a frontier point: nothing is better for both than the improvement itself
        assert not ((pts - new) > tol).all(axis=1).any()


def test_migration_0003b_goes_down_and_up_again_keeping_the_rooms(store: Store) -> None:  # noqa: F811
    from alembic import command

    from tradetalks.store.db import _alembic_config, current_revision
    from tradetalks.store.rooms import RoomStore

    s = store.create_scenario("toy", ROOM_YAML)
    room, tokens = RoomStore(store).create_room(s.id, s.version, ["A", "B"])
    with store.engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0003_scenario_auth")
    assert current_revision(store.engine) == "0003_scenario_auth"
    with store.engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")
    assert current_revision(store.engine) == "0003b_rooms_publish"
    rooms = RoomStore(store)
    assert not rooms.get_room(room.id).published
    grant = rooms.authenticate(tokens["owner"])
    assert grant is not None and grant.role == "owner"


def test_opening_a_room_needs_the_scenarios_owner_token_or_the_admins(client: TestClient) -> None:
    r = client.post("/api/scenarios", content=ROOM_YAML.encode(),
                    headers={"content-type": "application/yaml", **bearer(ADMIN_TOKEN)})
    sid, scenario_owner = r.json()["id"], r.json()["token"]
    viewer = client.post(f"/api/scenarios/{sid}/tokens", json={"role": "viewer"}, headers=bearer(scenario_owner))
    assert viewer.status_code == 201, viewer.text
    other = new_room(client, sid)
    url, body = "/api/rooms", {"scenario_id": sid}
    assert_envelope(client.post(url, json=body), 401, "unauthorized")
    assert_envelope(client.post(url, json=body, headers=bearer("x.y")), 401, "unauthorized")
    for tok in (other["tokens"]["owner"], viewer.json()["token"]):  # a room's owner, the scenario's viewer
        assert_envelope(client.post(url, json=body, headers=bearer(tok)), 403, "forbidden")
    # checked before the scenario is looked up: no answer tells a stranger what exists
    missing = client.post(url, json={"scenario_id": "nope"})
    assert missing.json()["error"]["code"] == "unauthorized" and "nope" not in missing.json()["error"]["fix"]
    room = client.post(url, json=body, headers=bearer(scenario_owner))
    assert room.status_code == 201, room.text
    # the scenario's owner token is valid but grants nothing inside the room: its owner token does
    assert_envelope(client.get(f"/api/rooms/{room.json()['id']}/view", headers=bearer(scenario_owner)), 403,
                    "forbidden")
    assert client.get(f"/api/rooms/{room.json()['id']}/view",
                      headers=bearer(room.json()["tokens"]["owner"])).json()["role"] == "owner"
