"""A customer's widget connection and an agent's console, as plain protocol clients over the real
desk (docs/contracts/widget.md, console.md)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

Frame = dict[str, Any]


class Customer:
    def __init__(
        self, desk: str, token: str | None = None, after: int = 0, metadata: dict[str, str] | None = None
    ) -> None:
        self.desk = desk
        self.token = token
        self.metadata = metadata or {"page": f"{desk}/", "locale": "en-GB"}
        self.frames: list[Frame] = []
        self.socket: ClientConnection | None = None
        self.connect(after)

    def connect(self, after: int = 0) -> Frame:
        self.socket = connect(self.desk.replace("http", "ws", 1) + "/ws/widget", open_timeout=10, legacy=True)
        self.socket.send(
            json.dumps(
                {
                    "type": "hello",
                    "token": self.token,
                    "after": after,
                    "metadata": self.metadata,
                }
            )
        )
        welcome = self.wait(lambda f: f["type"] == "welcome")
        self.token = welcome["token"]
        self.conversation_id: str = welcome["conversation_id"]
        return welcome

    def drop(self) -> None:
        assert self.socket is not None
        self.socket.close()
        self.socket = None

    def say(self, text: str, payload: str | None = None) -> str:
        client_id = uuid.uuid4().hex
        self.send({"type": "message", "client_id": client_id, "text": text, "payload": payload})
        return client_id

    def send(self, frame: Frame) -> None:
        assert self.socket is not None
        self.socket.send(json.dumps(frame))

    def wait(self, predicate: Callable[[Frame], bool], timeout: float = 60) -> Frame:
        assert self.socket is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = json.loads(self.socket.recv(timeout=max(0.01, deadline - time.monotonic())))
            self.frames.append(frame)
            if predicate(frame):
                return frame
        raise TimeoutError("the expected frame did not come")

    def until_pong(self, timeout: float = 60) -> list[Frame]:
        """Every frame the desk sent before it answered a ping sent now: all it had for this
        socket by then (one socket's frames keep their order), with no wait for a silence."""
        start = len(self.frames)
        self.send({"type": "ping"})
        self.wait(lambda f: f["type"] == "pong", timeout)
        return self.frames[start:-1]

    def message_from(self, role: str, timeout: float = 60) -> Frame:
        return self.wait(lambda f: f["type"] == "message" and f["message"]["role"] == role, timeout)[
            "message"
        ]

    def state(self, mode: str, timeout: float = 60) -> Frame:
        return self.wait(lambda f: f["type"] == "state" and f["state"]["mode"] == mode, timeout)["state"]


class Agent:
    def __init__(self, desk: str, email: str, password: str) -> None:
        self.desk = desk
        self.http = httpx.Client(base_url=desk, timeout=30, headers={"X-Requested-With": "kestrel-console"})
        signed_in = self.http.post("/console/login", data={"email": email, "password": password})
        assert signed_in.status_code == 303, signed_in.text  # redirected to the console
        cookie = self.http.cookies.get("kestrel_desk_session")
        assert cookie, "sign-in did not set a session"
        self.socket = connect(
            desk.replace("http", "ws", 1) + "/ws/console",
            additional_headers={"Cookie": f"kestrel_desk_session={cookie}"},
            open_timeout=10,
            legacy=True,
        )

    def post(self, path: str, body: Frame | None = None) -> Frame:
        response = self.http.post(path, json=body or {})
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def get(self, path: str) -> Frame:
        response = self.http.get(path)
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def wait(self, predicate: Callable[[Frame], bool], timeout: float = 60) -> Frame:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = json.loads(self.socket.recv(timeout=max(0.01, deadline - time.monotonic())))
            if predicate(frame):
                return frame
        raise TimeoutError("the expected console frame did not come")

    def close(self) -> None:
        self.socket.close()
        self.http.close()


def event_types(desk: str, conversation_id: str) -> list[str]:
    """The conversation's event log as the demo manager reads it (GET /api/events). Events are
    stored with the message they record, so once a client has seen a message its events exist."""
    with httpx.Client(base_url=desk, timeout=30) as http:
        signed_in = http.post(
            "/console/login", data={"email": "manager@kestrel.example", "password": "kestrel-demo"}
        )
        assert signed_in.status_code == 303, signed_in.text
        page = http.get("/api/events", params={"conversation_id": conversation_id, "limit": 1000})
        page.raise_for_status()
        return [e["type"] for e in page.json()["events"]]
