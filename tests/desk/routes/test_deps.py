"""Every staff route declares its role: enumerate the app's routes (and the OpenAPI schema) and
check that each refuses no session and the wrong role, and lets the right role through."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.websockets import WebSocketDisconnect

from desk.roles import Role
from desk.routes.deps import RoleGuard
from desk.staff import DEMO_PASSWORD
from tests.desk.conftest import AGENT, CONSOLE, sign_in

# Routes anyone may call: the widget's pages and socket, health, the public help centre,
# sign-in itself, the API docs, and the action server's handoffs (its own service token).
PUBLIC = {
    "/",
    "/favicon.ico",
    "/widget.js",
    "/help",
    "/help/",
    "/help/{article_id}",
    "/console/login",
    "/console/logout",
    "/healthz",
    "/readyz",
    "/api/handoffs",
    "/ws/widget",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/static",
}
SOCKETS = {"/ws/console": Role.AGENT}  # sockets check their role on connect (routes/sockets.py)
EDITOR = ("editor@kestrel.example", "Eli Editor", DEMO_PASSWORD)
ADMIN = ("admin@kestrel.example", "Ada Admin", DEMO_PASSWORD)
MANAGER = ("manager@kestrel.example", "Mia Manager", DEMO_PASSWORD)
HOLDERS = {Role.AGENT: AGENT, Role.EDITOR: EDITOR, Role.ADMIN: ADMIN, Role.MANAGER: MANAGER}


def guard_of(route: APIRoute) -> RoleGuard | None:
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if isinstance(dependency.call, RoleGuard):
            return dependency.call
        pending.extend(dependency.dependencies)
    return None


def all_routes(routes: list[Any]) -> list[Any]:
    """The app's routes with included routers flattened (FastAPI 0.165 keeps them nested; our
    routers carry their prefix themselves)."""
    flat = []
    for route in routes:
        included = getattr(route, "original_router", None)
        flat.extend(all_routes(included.routes) if included is not None else [route])
    return flat


def staff_routes(client: TestClient) -> list[tuple[APIRoute, RoleGuard]]:
    found = []
    for route in all_routes(client.app.routes):  # type: ignore[attr-defined]
        if isinstance(route, APIRoute):
            guard = guard_of(route)
            if guard is None:
                assert route.path in PUBLIC, f"{route.path} declares no role and is not public"
            else:
                found.append((route, guard))
        elif isinstance(route, (APIWebSocketRoute, WebSocketRoute)):
            assert route.path in PUBLIC or route.path in SOCKETS, f"socket {route.path} is unaccounted for"
        elif isinstance(route, Mount):
            assert route.path in PUBLIC, f"mount {route.path} is unaccounted for"
        elif isinstance(route, Route):
            assert route.path in PUBLIC, f"{route.path} declares no role and is not public"
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def call(client: TestClient, method: str, path: str, cookie: dict[str, str] | None) -> Any:
    headers = {**CONSOLE, **(cookie or {})}
    client.cookies.clear()
    return client.request(method, concrete(path), headers=headers, json={}, follow_redirects=False)


def test_the_schema_lists_only_routes_the_app_has(client: TestClient):
    app_paths = {r.path for r in all_routes(client.app.routes)}  # type: ignore[attr-defined]
    schema = client.get("/openapi.json").json()
    assert set(schema["paths"]) <= app_paths
    assert staff_routes(client), "no staff routes found"


def test_every_staff_route_refuses_no_session_and_the_wrong_role(client: TestClient):
    cookies = {role: sign_in(client, who) for role, who in HOLDERS.items()}
    checked = 0
    for route, guard in staff_routes(client):
        for method in sorted(route.methods - {"HEAD"}):
            anonymous = call(client, method, route.path, None)
            if guard.page:
                assert anonymous.status_code == 303, (method, route.path)
                assert anonymous.headers["location"] == "/console/login"
            else:
                assert anonymous.status_code == 401, (method, route.path, anonymous.text)
            if not guard.roles:
                continue
            for role, cookie in cookies.items():
                response = call(client, method, route.path, cookie)
                if role in guard.roles:
                    assert response.status_code not in (401, 403), (method, route.path, role)
                else:
                    assert response.status_code == 403, (method, route.path, role, response.text)
            checked += 1
    assert checked >= 15


@pytest.mark.parametrize("who", [None, EDITOR, ADMIN])
def test_the_console_socket_needs_the_agent_role(client: TestClient, who: Any):
    headers = sign_in(client, who) if who else {}
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/ws/console", headers=headers) as ws,
    ):
        ws.receive_json()
    assert closed.value.code == 4401


def test_a_person_with_several_roles_opens_each_area(client: TestClient):
    both = ("lee@kestrel.example", "Lee Park", "two-roles-pass")
    admin = sign_in(client, ADMIN)
    created = client.post(
        "/api/staff",
        json={"email": both[0], "name": both[1], "password": both[2], "roles": ["agent", "admin"]},
        headers={**CONSOLE, **admin},
    )
    assert created.status_code == 201, created.text
    cookie = sign_in(client, both)
    assert client.get("/console", headers=cookie, follow_redirects=False).status_code == 200
    assert client.get("/admin/staff", headers=cookie, follow_redirects=False).status_code == 200
    assert client.get("/api/console/me", headers=cookie).json()["roles"] == ["admin", "agent"]
