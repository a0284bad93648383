"""An agent at the console, for the traffic simulator and the soak (tools/soak): signed in over
HTTP, online through the console socket (reopened whenever the desk comes back), and working the
queue through the console API (docs/contracts/console.md). `DeskAgent` claims each handed-over
conversation or ticket, replies and resolves at once (the soak's agent); the simulator's agents
(desk/simulate/team.py) override `wanted` and `_handle`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

log = logging.getLogger(__name__)

COOKIE = "kestrel_desk_session"
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class AgentLogin:
    email: str
    name: str
    password: str

    def setting(self) -> str:
        """This agent in DESK_AGENTS' form."""
        return f"{self.email}:{self.name}:{self.password}"


class DeskAgent:
    def __init__(self, desk_url: str, login: AgentLogin) -> None:
        self.desk_url = desk_url
        self.login = login
        self.http = httpx.AsyncClient(
            base_url=desk_url, timeout=30, headers={"X-Requested-With": "kestrel-console"}
        )
        self.resolved: list[str] = []  # handoff ids this agent closed
        self.replies = self.conflicts = self.failures = self.sign_ins = 0
        self.online = False  # the console socket is open (the desk has sent its first frame)
        self._nudge = asyncio.Event()
        self._stop = asyncio.Event()

    async def run(self) -> None:
        """Work until `stop`: online through the console socket, answering the queue."""
        presence = asyncio.create_task(self._stay_online())
        try:
            while not self._stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._nudge.wait(), POLL_SECONDS)
                self._nudge.clear()
                try:
                    await self._work_queue()
                except (httpx.HTTPError, AgentSignedOut):
                    self.failures += 1  # the desk is down or restarting: try again shortly
        finally:
            presence.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await presence
            await self.http.aclose()

    def stop(self) -> None:
        self._stop.set()
        self._nudge.set()

    async def _sign_in(self) -> str:
        self.http.cookies.clear()
        response = await self.http.post(
            "/console/login", data={"email": self.login.email, "password": self.login.password}
        )
        cookie = self.http.cookies.get(COOKIE)
        if response.status_code != 303 or not cookie:
            raise AgentSignedOut(f"sign-in refused: {response.status_code}")
        self.sign_ins += 1
        return cookie

    async def _stay_online(self) -> None:
        """Keep a console socket open: only agents with one count as online (else handoffs
        become tickets); every frame nudges the work loop."""
        ws_url = self.desk_url.replace("http", "ws", 1) + "/ws/console"
        while True:
            try:
                cookie = self.http.cookies.get(COOKIE) or await self._sign_in()
                async with connect(
                    ws_url, additional_headers={"Cookie": f"{COOKIE}={cookie}"}, open_timeout=20
                ) as ws:
                    async for _frame in ws:
                        self.online = True
                        self._nudge.set()
            except (OSError, TimeoutError, WebSocketException, httpx.HTTPError, AgentSignedOut):
                pass
            self.online = False
            await asyncio.sleep(0.5)

    async def _work_queue(self) -> None:
        if not self.http.cookies.get(COOKIE):
            await self._sign_in()
        view = await self.call("GET", "/api/console/queue")
        for summary in [*view["mine"], *view["queued"], *view["tickets"]]:
            if self._stop.is_set():
                return
            if self.wanted(summary):
                await self._handle(summary)

    def wanted(self, summary: dict[str, Any]) -> bool:
        """Whether to work on this conversation (every one, unless a subclass says otherwise)."""
        return True

    async def _handle(self, summary: dict[str, Any]) -> None:
        path = f"/api/console/conversations/{summary['conversation_id']}"
        try:
            if summary["status"] != "assigned":
                await self.call("POST", f"{path}/claim")
            await self.call(
                "POST",
                f"{path}/messages",
                {"text": f"Hello, {self.login.name} here. I've looked into this and sorted it out."},
            )
            self.replies += 1
            await self.call("POST", f"{path}/resolve", {"outcome": "resolved"})
            self.resolved.append(summary["handoff_id"])
        except Conflict:
            self.conflicts += 1  # another agent was quicker, or the customer's state moved on

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One console API call: AgentSignedOut on 401, Conflict on 404 or 409."""
        response = await self.http.request(method, path, json=body if method == "POST" else None)
        if response.status_code == 401:
            self.http.cookies.clear()
            raise AgentSignedOut("the session ended")
        if response.status_code in (404, 409):
            raise Conflict(response.text)
        response.raise_for_status()
        return response.json()


class AgentSignedOut(Exception):
    pass


class Conflict(Exception):
    pass
