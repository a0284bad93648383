"""The simulator's admin at the desk: signed in over HTTP (the demo admin in development), it
makes the simulated agents' accounts (docs/contracts/console.md, "Staff accounts") and, for a
backfill, asks for and binds the grants that play a conversation as of a past moment, moves a
conversation's clock on and runs the abandoned sweep (desk/routes/simulation.py)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import httpx

from desk.simulate.agents import COOKIE, AgentLogin
from desk.store import iso

HEADERS = {"X-Requested-With": "kestrel-console"}
AGENT_NAMES = (
    "Priya Shah",
    "Tom Becker",
    "Grace Okafor",
    "Luis Moreno",
    "Hannah Kowalski",
    "Sam Whitfield",
    "Aisha Rahman",
    "Owen Price",
)


class SimulationRefused(Exception):
    """The desk would not do what the simulator asked (signed out, not development, ...)."""


class DeskAdmin:
    def __init__(self, desk_url: str, email: str, password: str, *, timeout: float = 30) -> None:
        self.http = httpx.AsyncClient(base_url=desk_url, timeout=timeout, headers=HEADERS)
        self.email, self.password = email, password

    async def sign_in(self) -> None:
        response = await self.http.post(
            "/console/login", data={"email": self.email, "password": self.password}
        )
        if response.status_code != 303 or not self.http.cookies.get(COOKIE):
            raise SimulationRefused(f"the admin {self.email} could not sign in ({response.status_code})")

    async def aclose(self) -> None:
        await self.http.aclose()

    async def agents(self, count: int) -> list[AgentLogin]:
        """`count` agent accounts of the simulator's own (`sim-…@kestrel.example`), made or given a
        fresh password for this run."""
        existing = {s["email"]: s for s in (await self._call("GET", "/api/staff"))["staff"]}
        logins = []
        for i in range(count):
            name = AGENT_NAMES[i % len(AGENT_NAMES)] + ("" if i < len(AGENT_NAMES) else f" {i + 1}")
            email = f"sim-{name.lower().replace(' ', '-')}@kestrel.example"
            password = secrets.token_urlsafe(16)
            member = existing.get(email)
            if member is None:
                body = {"email": email, "name": name, "password": password, "roles": ["agent"]}
                await self._call("POST", "/api/staff", body)
            else:
                if member["disabled"] or "agent" not in member["roles"]:
                    roles = sorted({*member["roles"], "agent"})
                    await self._call(
                        "PATCH", f"/api/staff/{member['id']}", {"disabled": False, "roles": roles}
                    )
                await self._call("POST", f"/api/staff/{member['id']}/password", {"password": password})
            logins.append(AgentLogin(email, name, password))
        return logins

    async def grant(self, as_of: datetime) -> tuple[str, float]:
        """A grant to open a conversation as of `as_of`, and the desk's abandon window (seconds)."""
        answer = await self._call("POST", "/dev/simulation/grants", {"as_of": iso(as_of)})
        return str(answer["grant"]), float(answer["abandon_after_seconds"])

    async def bind(self, grant: str, conversation_id: str) -> None:
        await self._call("POST", f"/dev/simulation/conversations/{conversation_id}", {"grant": grant})

    async def advance(self, conversation_id: str, seconds: float) -> None:
        await self._call(
            "POST", f"/dev/simulation/conversations/{conversation_id}/advance", {"seconds": round(seconds, 3)}
        )

    async def sweep(self) -> int:
        return int((await self._call("POST", "/dev/simulation/sweep"))["abandoned"])

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = await self.http.request(method, path, json=body)
        if response.status_code == 404 and path.startswith("/dev/"):
            raise SimulationRefused(
                "this desk does not simulate past time (DESK_ENVIRONMENT is not development)"
            )
        if response.status_code >= 400:
            raise SimulationRefused(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json()
