"""Staff accounts: the CLI, the admin API, and access taken away at once (sessions and sockets)."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from desk.__main__ import main
from desk.config import Settings
from desk.roles import Role
from desk.staff import parse_agent_spec
from desk.store import Store
from tests.desk.conftest import AGENT, CONSOLE, OTHER_AGENT, sign_in
from tests.desk.engines import database_env
from tests.desk.routes.test_deps import ADMIN


def read_until_closed(ws: Any) -> None:
    for _ in range(20):
        ws.receive_json()


def cli(monkeypatch: pytest.MonkeyPatch, db: str | Path, *args: str, stdin: str = "") -> int:
    for name, value in database_env(str(db)).items():  # a SQLite file or a PostgreSQL URL
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(list(args))


def test_the_cli_adds_lists_and_changes_staff(
    database_target: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    db = database_target
    add = ("add-staff", "kim@kestrel.example", "Kim Lee", "--role", "agent", "--role", "editor")
    assert cli(monkeypatch, db, *add, "--password-stdin", stdin="first-secret\n") == 0
    assert cli(monkeypatch, db, *add, "--password-stdin", stdin="first-secret\n") == 2
    assert "already has an account" in capsys.readouterr().err
    bad_role = ("add-staff", "x@kestrel.example", "X", "--role", "boss", "--password-stdin")
    assert cli(monkeypatch, db, *bad_role, stdin="long-enough\n") == 2
    assert "unknown role 'boss'" in capsys.readouterr().err
    assert (
        cli(monkeypatch, db, "set-password", "kim@kestrel.example", "--password-stdin", stdin="short\n") == 2
    )
    assert "at least 8" in capsys.readouterr().err
    assert cli(monkeypatch, db, "set-roles", "kim@kestrel.example", "--role", "manager") == 0
    assert cli(monkeypatch, db, "disable", "kim@kestrel.example") == 0
    assert cli(monkeypatch, db, "disable", "nobody@kestrel.example") == 2
    capsys.readouterr()
    assert cli(monkeypatch, db, "list-staff") == 0
    assert "kim@kestrel.example  Kim Lee  [manager] (disabled)" in capsys.readouterr().out
    store = Store(db)
    member = store.staff_by_email("kim@kestrel.example")
    assert member is not None
    assert member.disabled
    assert member.roles == {Role.MANAGER}
    assert "first-secret" not in member.password_hash
    store.close()


def test_a_disabled_person_cannot_sign_in(client: TestClient):
    admin = sign_in(client, ADMIN)
    agent = client.app.state.desk.store.staff_by_email(OTHER_AGENT[0])  # type: ignore[attr-defined]
    response = client.patch(f"/api/staff/{agent.id}", json={"disabled": True}, headers={**CONSOLE, **admin})
    assert response.json()["disabled"] is True
    refused = client.post(
        "/console/login",
        content=f"email={OTHER_AGENT[0]}&password={OTHER_AGENT[2]}",
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert refused.status_code == 401
    assert "Wrong email or password" in refused.text


def test_disabling_ends_sessions_and_closes_the_console_at_once(client: TestClient):
    agent_cookie = sign_in(client, AGENT)
    admin = sign_in(client, ADMIN)
    agent = client.app.state.desk.store.staff_by_email(AGENT[0])  # type: ignore[attr-defined]
    with client.websocket_connect("/ws/console", headers=agent_cookie) as ws:
        assert ws.receive_json()["type"] == "queue"
        client.cookies.clear()
        response = client.patch(
            f"/api/staff/{agent.id}", json={"disabled": True}, headers={**CONSOLE, **admin}
        )
        assert response.status_code == 200, response.text
        with pytest.raises(WebSocketDisconnect):
            read_until_closed(ws)
    client.cookies.clear()
    assert client.get("/api/console/queue", headers=agent_cookie).status_code == 401


def test_a_new_password_ends_the_old_sessions(client: TestClient):
    agent_cookie = sign_in(client, AGENT)
    admin = sign_in(client, ADMIN)
    agent = client.app.state.desk.store.staff_by_email(AGENT[0])  # type: ignore[attr-defined]
    client.cookies.clear()
    short = client.post(
        f"/api/staff/{agent.id}/password", json={"password": "x"}, headers={**CONSOLE, **admin}
    )
    assert short.status_code == 422
    assert "password" in short.json()["error"]["message"]
    client.cookies.clear()
    ok = client.post(
        f"/api/staff/{agent.id}/password", json={"password": "a-brand-new-one"}, headers={**CONSOLE, **admin}
    )
    assert ok.status_code == 200
    client.cookies.clear()
    assert client.get("/api/console/queue", headers=agent_cookie).status_code == 401
    sign_in(client, (AGENT[0], AGENT[1], "a-brand-new-one"))


def test_an_admin_cannot_lock_themselves_out(client: TestClient):
    admin = sign_in(client, ADMIN)
    me = client.get("/api/staff", headers=admin).json()["staff"]
    admin_id = next(m["id"] for m in me if m["email"] == ADMIN[0])
    for change in ({"disabled": True}, {"roles": ["agent"]}):
        client.cookies.clear()
        response = client.patch(f"/api/staff/{admin_id}", json=change, headers={**CONSOLE, **admin})
        assert response.status_code == 422


def test_unknown_roles_and_people_are_clear_errors(client: TestClient):
    admin = sign_in(client, ADMIN)
    bad = client.post(
        "/api/staff",
        json={"email": "a@kestrel.example", "name": "A", "password": "long-enough", "roles": ["boss"]},
        headers={**CONSOLE, **admin},
    )
    assert bad.status_code == 422
    assert "roles" in bad.json()["error"]["message"]
    client.cookies.clear()
    missing = client.patch("/api/staff/999", json={"disabled": True}, headers={**CONSOLE, **admin})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "staff_not_found"


def test_a_cli_disable_closes_an_open_console_within_the_check_interval(
    settings: Settings, client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    agent_cookie = sign_in(client, AGENT)
    settings.session_check_seconds = 0.1  # the app holds this object
    with client.websocket_connect("/ws/console", headers=agent_cookie) as ws:
        assert ws.receive_json()["type"] == "queue"
        assert cli(monkeypatch, settings.database_path, "disable", AGENT[0]) == 0  # another process's view
        started = time.monotonic()
        with pytest.raises(WebSocketDisconnect):
            read_until_closed(ws)
        assert time.monotonic() - started < 5


def test_the_admin_page_is_for_admins(client: TestClient):
    page = client.get("/admin/staff", headers=sign_in(client, ADMIN))
    assert page.status_code == 200
    assert "/static/admin.js" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    client.cookies.clear()
    refused = client.get("/admin/staff", headers=sign_in(client, AGENT))
    assert refused.status_code == 403
    assert "admin role" in refused.text


def test_agent_specs_need_email_name_and_password():
    assert parse_agent_spec("a@b.example:Ann Lee:pa:ss:word") == ("a@b.example", "Ann Lee", "pa:ss:word")
    with pytest.raises(ValueError, match="email:Full Name:password"):
        parse_agent_spec("no-email:Name:pw")


def test_ensure_staff_takes_an_account_another_replica_created_meanwhile(tmp_path: Path):
    """Two desks starting together on one database both find no demo account; the second to
    insert brings the first one's account up to date instead of failing its start."""
    from desk.staff import ensure_staff

    store = Store(tmp_path / "desk.sqlite3")
    ensure_staff(store, "ana@kestrel.example", "Ana", "first-secret", frozenset({Role.AGENT}))

    class SeenBeforeTheOtherInserted:
        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

        def staff_by_email(self, email: str) -> Any:
            self.staff_by_email = store.staff_by_email  # type: ignore[method-assign]
            return None

    late = SeenBeforeTheOtherInserted()
    ensure_staff(late, "ana@kestrel.example", "Ana", "first-secret", frozenset({Role.EDITOR}))
    member = store.staff_by_email("ana@kestrel.example")
    assert member is not None
    assert member.roles == {Role.AGENT, Role.EDITOR}
    store.close()
