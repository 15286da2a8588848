"""The dashboard's shell: pages and static files served by the app, no CDN, the page CSP, a browser smoke test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from tests.web_fixtures import ADMIN_TOKEN
from tradetalks.api import Settings, create_app
from tradetalks.web.pages import PAGE_CSP, STATIC_DIR


@pytest.fixture
def client(tmp_path: Path) -> Any:
    with TestClient(create_app(Settings(db_url=f"sqlite:///{tmp_path / 's.db'}", admin_token=ADMIN_TOKEN))) as c:
        yield c


def test_home_page_is_html_with_the_page_policy_and_loads_nothing_from_elsewhere(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == PAGE_CSP
    assert "http://" not in r.text and "https://" not in r.text  # no CDN, no remote font


def test_static_files_and_plotly_are_served_from_the_package(client: TestClient) -> None:
    for f in STATIC_DIR.iterdir():
        r = client.get(f"/static/{f.name}")
        assert r.status_code == 200, f.name
        assert r.content == f.read_bytes()
    r = client.get("/static/plotly.min.js")
    assert r.status_code == 200 and len(r.content) > 1_000_000 and b"plotly" in r.content[:2000].lower()


@pytest.mark.parametrize("name", ["../settings.py", "..%2Fpages.py", "nothing.js"])
def test_static_refuses_unknown_names_and_paths(client: TestClient, name: str) -> None:
    r = client.get(f"/static/{name}")
    assert r.status_code == 404
    assert "error" in r.json()


@pytest.mark.browser
def test_home_page_lists_a_stored_scenario_in_a_browser(live_server: Any, page: Any) -> None:
    import httpx

    from tests.web_fixtures import KORUS_YAML

    r = httpx.post(f"{live_server.url}/api/scenarios", content=KORUS_YAML.read_text(encoding="utf-8"),
                   headers={"content-type": "application/yaml", "authorization": f"Bearer {ADMIN_TOKEN}"})
    assert r.status_code == 201, r.text
    page.goto(live_server.at("/"))
    link = page.locator("#scenario-list a").first
    link.wait_for()
    assert "korus" in link.inner_text().lower()
    assert "token=" not in page.url  # the token left the address bar
