"""The staff session cookie: its flags, its lifetime, and a session refused once it has expired."""

from __future__ import annotations

from datetime import timedelta
from http.cookies import Morsel, SimpleCookie

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from desk.app import create_app
from desk.config import Settings
from desk.store import now
from tests.desk.conftest import AGENT, kb_handler, sign_in


def session_cookie(settings: Settings) -> Morsel[str]:
    app = create_app(
        settings,
        rasa_transport=httpx.MockTransport(lambda _: httpx.Response(200, json=[])),
        kb_transport=httpx.MockTransport(kb_handler),
    )
    with TestClient(app) as client:
        response = client.post(
            "/console/login",
            content=f"email={AGENT[0]}&password={AGENT[2]}",
            headers={"content-type": "application/x-www-form-urlencoded"},
            follow_redirects=False,
        )
    assert response.status_code == 303, response.text
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(response.headers["set-cookie"])
    return cookie["kestrel_desk_session"]


@pytest.mark.parametrize(
    ("public_url", "secure"), [("http://localhost:8000", False), ("https://desk.example", True)]
)
def test_the_session_cookie_is_httponly_strict_site_wide_and_lasts_the_session_hours(
    settings: Settings, public_url: str, secure: bool
):
    cookie = session_cookie(settings.model_copy(update={"public_url": public_url, "session_hours": 2.5}))
    assert cookie["httponly"] is True
    assert cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/"
    assert cookie["max-age"] == str(int(2.5 * 3600))
    assert bool(cookie["secure"]) is secure


def test_an_expired_session_is_refused(client: TestClient):
    cookie = sign_in(client)
    store = client.app.state.desk.store  # type: ignore[attr-defined]
    hours = client.app.state.sessions.hours  # type: ignore[attr-defined]
    signed_in_at = now()
    store.clock = lambda: signed_in_at + timedelta(hours=hours, minutes=-1)
    assert client.get("/api/console/me", headers=cookie).status_code == 200
    store.clock = lambda: signed_in_at + timedelta(hours=hours, seconds=1)
    assert client.get("/api/console/me", headers=cookie).status_code == 401
    page = client.get("/console", headers=cookie, follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/console/login")
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/ws/console", headers=cookie) as ws,
    ):
        ws.receive_json()
    assert closed.value.code == 4401
