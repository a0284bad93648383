"""Simulated time, development only: conversations the traffic simulator plays "as of" a past
moment (`python -m desk.simulate --backfill-weeks W`), through the same code as live ones.

Why this design: a backfill must go through the real assistant, action server and knowledge
service, and the action server sends its handoffs to the running desk, so a second desk process
with a shifted clock would never see them. Instead the running desk keeps, for each simulated
conversation, an offset from the real time, and the store's clock (desk/store/database.py
`Clock`) reads the offset of the conversation the current task works for:

- a manager or admin asks for a grant "as of" a moment (`POST /dev/simulation/grants`);
- the simulator opens the widget socket with `?simulation=GRANT`: everything that socket does
  (the conversation's start, each message, the assistant turns it starts) happens at the
  grant's time;
- after the welcome it binds the grant to the conversation
  (`POST /dev/simulation/conversations/{id}`); from then on the console API for that
  conversation, the action server's handoff for it and the abandoned sweep use the same offset
  (`working_on`, set by `SimulatedTimeMiddleware`, the handoff route and the sweep);
- `POST /dev/simulation/conversations/{id}/advance` moves that conversation's clock forward
  (an agent's two minutes before replying, a customer's half hour of silence) without waiting.

An offset is never positive (nothing is stamped in the future). Offsets are kept in the desk's
database (`simulated_clocks`, desk/store/simulated_clocks.py), so every replica of a scaled desk
applies the same clock to a conversation whichever replica a request reaches, and a restart keeps
them. In production none of this exists:
the store's clock is the real one and the routes are not mounted."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from desk.errors import InvalidInput
from desk.store import Clock, SimulatedClockRecords, now

_working_on: ContextVar[str | None] = ContextVar("kestrel_working_on", default=None)
CONSOLE_CONVERSATION = "/api/console/conversations/"
MAX_KEYS = 100_000  # grants and conversations kept; a runaway simulator cannot exhaust memory


@contextmanager
def working_on(conversation_id: str | None) -> Iterator[None]:
    """Within this block the current task works for `conversation_id` (or a grant): a simulated
    conversation's clock applies. Outside a simulation it changes nothing."""
    token = _working_on.set(conversation_id)
    try:
        yield
    finally:
        _working_on.reset(token)


class MemoryOffsets:
    """Offsets in this process only: SimulatedTime's until the app's store is attached."""

    def __init__(self) -> None:
        self._deltas: dict[str, float] = {}

    def simulated_offset(self, key: str) -> float | None:
        return self._deltas.get(key)

    def set_simulated_offset(self, key: str, delta_seconds: float) -> None:
        self._deltas[key] = delta_seconds

    def simulated_offsets(self) -> int:
        return len(self._deltas)


class UnknownSimulation(InvalidInput):
    code = "unknown_simulation"


class SimulatedTime:
    """The offsets of the simulated conversations, and the clock that applies them."""

    def __init__(self, base: Clock = now, offsets: SimulatedClockRecords | None = None) -> None:
        self.base = base
        self._offsets: SimulatedClockRecords = offsets or MemoryOffsets()

    def attach(self, offsets: SimulatedClockRecords) -> None:
        """Keep offsets in the desk's store from now on (the app's lifespan, once it is open)."""
        self._offsets = offsets

    def _delta(self, key: str | None) -> timedelta | None:
        seconds = self._offsets.simulated_offset(key) if key is not None else None
        return timedelta(seconds=seconds) if seconds is not None else None

    def clock(self) -> datetime:
        delta = self._delta(_working_on.get())
        return self.base() + delta if delta is not None else self.base()

    def grant(self, as_of: datetime) -> str:
        """A grant for one conversation played from `as_of` (not in the future) on."""
        if as_of.tzinfo is None:
            raise InvalidInput("as_of needs a time zone (e.g. 2026-03-02T09:30:00Z)")
        delta = as_of - self.base()
        if delta > timedelta(0):
            raise InvalidInput("a simulated conversation cannot start in the future")
        if self._offsets.simulated_offsets() >= MAX_KEYS:
            raise InvalidInput("too many simulated conversations")
        grant = f"sim_{secrets.token_urlsafe(18)}"
        self._offsets.set_simulated_offset(grant, delta.total_seconds())
        return grant

    def known(self, key: str | None) -> bool:
        return self._delta(key) is not None

    def bind(self, grant: str, conversation_id: str) -> datetime:
        """The conversation opened with `grant` keeps its clock; the conversation's time now."""
        delta = self._delta(grant) if grant.startswith("sim_") else None
        if delta is None:
            raise UnknownSimulation("no such simulation grant")
        self._offsets.set_simulated_offset(conversation_id, delta.total_seconds())
        return self.base() + delta

    def advance(self, conversation_id: str, seconds: float) -> datetime:
        """Move a simulated conversation's clock forward (never past the real time); its time now."""
        delta = self._delta(conversation_id)
        if delta is None:
            raise UnknownSimulation("this conversation is not simulated")
        if seconds < 0:
            raise InvalidInput("time only moves forward")
        delta = min(delta + timedelta(seconds=seconds), timedelta(0))
        self._offsets.set_simulated_offset(conversation_id, delta.total_seconds())
        return self.base() + delta


class SimulatedTimeMiddleware:
    """Sets `working_on` for the requests that belong to one conversation: a widget socket opened
    with `?simulation=GRANT` and the console API's `/api/console/conversations/{id}/...`."""

    def __init__(self, app: ASGIApp, time: SimulatedTime) -> None:
        self.app = app
        self.time = time

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        with working_on(key):
            await self.app(scope, receive, send)

    def _key(self, scope: Scope) -> str | None:
        path = str(scope.get("path", ""))
        if scope["type"] == "websocket" and path == "/ws/widget":
            query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
            grant = next(iter(query.get("simulation", [])), None)
            return grant if self.time.known(grant) else None
        if scope["type"] == "http" and path.startswith(CONSOLE_CONVERSATION):
            conversation_id = path[len(CONSOLE_CONVERSATION) :].split("/", 1)[0]
            return conversation_id if self.time.known(conversation_id) else None
        return None
