"""A customer's chat widget as the traffic simulator and the soak (tools/soak) drive it:
desk/static/widget.js's behaviour over the widget protocol (docs/contracts/widget.md) with asyncio
websockets. It keeps its conversation token, keeps each message in an outbox until the desk
acknowledges it and sends it again, with the same client_id, after a reconnect, and says in its
hello the last message id it has (`after`). It also keeps what its drivers read: every message
by id, every ack, the state, the rating prompts, and when each turn was answered."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

Frame = dict[str, Any]
WITH_PERSON = frozenset({"queued", "agent", "ticket"})
REPLY_ROLES = frozenset({"bot", "agent", "system"})
ACK_DELAY = 0.1  # one ack for a burst of messages, as the widget sends it


class Kind(StrEnum):
    QUESTION = "question"
    FOLLOW_UP = "follow_up"
    PERSON = "person"  # typed: the assistant hands over
    BUTTON = "button"  # the widget's "Talk to a person" (a handoff_request frame)
    REPLY = "reply"  # a quick-reply button the assistant offered: its title and payload
    CHAT = "chat"


@dataclass(frozen=True)
class Line:
    kind: Kind
    text: str
    payload: str | None = None


@dataclass
class Turn:
    """One thing the customer said, from typing it to the first answer after it."""

    client_id: str
    line: Line
    typed_at: float
    ack_id: int | None = None
    answered_at: float | None = None
    answer: str | None = None  # the role of the first reply, or "state:<mode>", or "refused:<code>"
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def finish(self, answer: str, moment: float) -> None:
        if not self.done.is_set():
            self.answer, self.answered_at = answer, moment
            self.done.set()


class Widget:
    def __init__(
        self,
        desk_url: str,
        rng: random.Random,
        *,
        drop_rate: float = 0.0,
        title: str = "Soak test",
        simulation: str | None = None,
        customer_id: str | None = None,
    ) -> None:
        self.ws_url = desk_url.replace("http", "ws", 1) + "/ws/widget"
        if simulation is not None:  # a conversation played as of a past moment (desk/simulated_time.py)
            self.ws_url += f"?simulation={quote(simulation)}"
        self.page = desk_url + "/"
        self.title = title
        self.customer_id = customer_id  # a signed-in customer of the host page
        self.rng = rng
        self.drop_rate = drop_rate
        self.token: str | None = None
        self.conversation_id: str | None = None
        self.conversations_seen: set[str] = set()  # more than one: the token was lost
        self.mode = "bot"
        self.last_id = 0
        self.delivered: Counter[int] = Counter()  # message id -> message frames that carried it
        self.arrivals: list[int] = []  # the message frames' ids in the order they came (not older pages)
        self.roles: dict[int, str] = {}
        self.messages: dict[int, Frame] = {}
        self.prompts: list[Frame] = []  # frames asking the customer for something (a rating)
        self.acks: dict[str, int] = {}
        self.ack_conflicts: list[tuple[str, int, int]] = []
        self.outbox: dict[str, Frame] = {}
        self.turns: dict[str, Turn] = {}
        self.errors: list[Frame] = []
        self.connects = self.drops = self.resets = 0
        self._max_reply_id = 0
        self._fill_above: int | None = None  # after a reset: fetch older pages down to this id
        self._fill_asked = False
        self._ws: ClientConnection | None = None
        self._ready = False
        self._closing = asyncio.Event()
        self._changed = asyncio.Event()  # set on every frame: drivers wait for what they expect
        self._ack_task: asyncio.Task[None] | None = None

    # ---- connection -----------------------------------------------------------------------

    async def run(self) -> None:
        """Stay connected until `close`, reconnecting with the widget's backoff and jitter."""
        attempt = 0
        while not self._closing.is_set():
            with contextlib.suppress(OSError, TimeoutError, WebSocketException):
                async with connect(
                    self.ws_url, open_timeout=20, ping_interval=20, ping_timeout=60, compression=None
                ) as ws:
                    self._ws = ws
                    self.connects += 1
                    await ws.send(json.dumps(self._hello()))
                    async for raw in ws:
                        attempt = 0
                        await self._on_frame(json.loads(raw))
            self._ws, self._ready = None, False
            delay = min(10.0, 0.5 * 2**attempt) * self.rng.uniform(0.8, 1.2)
            attempt += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)

    async def close(self) -> None:
        self._closing.set()
        if self._ws is not None:
            await self._ws.close()

    async def drop(self) -> None:
        """The network drops the socket (the desk may or may not have had the last frame)."""
        if self._ws is not None:
            self.drops += 1
            await self._ws.close()

    def _hello(self) -> Frame:
        metadata = {"page": self.page, "title": self.title, "locale": "en-GB"}
        if self.customer_id is not None:
            metadata["customer_id"] = self.customer_id
        return {"type": "hello", "token": self.token, "after": self.last_id, "metadata": metadata}

    async def send(self, frame: Frame) -> None:
        """Any other frame (a rating, contact details), sent if connected."""
        await self._send(frame)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until `predicate` holds after some frame; whether it did within `timeout`."""
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 1.0))
        return True

    async def _send(self, frame: Frame) -> None:
        if self._ready and self._ws is not None:
            with contextlib.suppress(ConnectionClosed):
                await self._ws.send(json.dumps(frame))

    # ---- saying something -----------------------------------------------------------------

    async def say(self, line: Line) -> Turn:
        """Type `line` (or press the person button), keep it until acknowledged; now and then
        lose the connection just before or just after sending it."""
        client_id = uuid.uuid4().hex
        if line.kind == Kind.BUTTON and self.mode != "bot":
            line = Line(Kind.PERSON, "can I talk to a real person please")  # the button is hidden
        frame: Frame = (
            {"type": "handoff_request", "client_id": client_id}
            if line.kind == Kind.BUTTON
            else {"type": "message", "client_id": client_id, "text": line.text, "payload": line.payload}
        )
        turn = Turn(client_id, line, time.monotonic())
        self.turns[client_id] = turn
        self.outbox[client_id] = frame
        drop = self.rng.random() < self.drop_rate
        if drop and self.rng.random() < 0.5:
            await self.drop()  # offline while typing: it goes out after the reconnect
        await self._send(frame)
        if drop and self._ws is not None:
            await self.drop()  # the ack is lost: the resend must not store it twice
        return turn

    # ---- frames from the desk -------------------------------------------------------------

    async def _on_frame(self, frame: Frame) -> None:
        try:
            await self._dispatch(frame)
        finally:
            self._changed.set()

    async def _dispatch(self, frame: Frame) -> None:
        kind = frame.get("type")
        if kind == "welcome":
            await self._on_welcome(frame)
        elif kind == "message":
            await self._on_message(frame["message"])
        elif kind == "ack":
            if frame["client_id"] in self.acks and self.acks[frame["client_id"]] != frame["id"]:
                self.ack_conflicts.append((frame["client_id"], self.acks[frame["client_id"]], frame["id"]))
            self.acks.setdefault(frame["client_id"], frame["id"])
            self._confirm(frame["client_id"], frame["id"])
        elif kind == "older":
            await self._on_older(frame)
        elif kind == "state":
            self._on_state(frame["state"])
        elif kind == "error":
            self.errors.append(frame)
            client_id = frame.get("client_id")
            if client_id and self.outbox.pop(client_id, None) is not None:
                self.turns[client_id].finish(f"refused:{frame.get('code')}", time.monotonic())
        elif isinstance(kind, str) and kind.startswith("csat"):
            self.prompts.append(frame)

    async def _on_welcome(self, frame: Frame) -> None:
        self.conversation_id, self.token = frame["conversation_id"], frame["token"]
        self.conversations_seen.add(frame["conversation_id"])
        if frame.get("reset"):  # more than a page came while away: fetch the gap page by page
            self.resets += 1
            self._fill_above, self._fill_asked = self.last_id, False
        self._ready = True
        self._on_state(frame["state"])
        for pending in list(self.outbox.values()):  # the desk stores a client_id once
            await self._send(pending)

    async def _on_message(self, message: Frame) -> None:
        message_id, role = int(message["id"]), str(message["role"])
        self.delivered[message_id] += 1
        self.arrivals.append(message_id)
        self.roles[message_id] = role
        self.messages[message_id] = message
        if self._fill_above is not None and not self._fill_asked:  # the oldest of the page
            self._fill_asked = True
            await self._send({"type": "older", "before": message_id})
        self.last_id = max(self.last_id, message_id)
        self._schedule_ack()
        if role == "customer" and message.get("client_id"):
            self._confirm(str(message["client_id"]), message_id)  # its echo confirms it too
        elif role in REPLY_ROLES:
            self._max_reply_id = max(self._max_reply_id, message_id)
            for turn in self.turns.values():
                if turn.ack_id is not None and turn.ack_id < message_id:
                    turn.finish(role, time.monotonic())

    async def _on_older(self, frame: Frame) -> None:
        ids = []
        for message in frame["messages"]:
            message_id = int(message["id"])
            ids.append(message_id)
            if message_id not in self.delivered:  # asked for: not a duplicate when seen before
                self.delivered[message_id] = 1
                self.roles[message_id] = str(message["role"])
        if self._fill_above is not None and frame.get("has_older") and ids and min(ids) > self._fill_above:
            await self._send({"type": "older", "before": min(ids)})
        else:
            self._fill_above = None

    def _on_state(self, state: Frame) -> None:
        self.mode = str(state.get("mode", "bot"))
        if self.mode in WITH_PERSON:  # a pending "talk to a person" has been answered
            for client_id, frame in list(self.outbox.items()):
                if frame["type"] == "handoff_request":
                    del self.outbox[client_id]
                    self.turns[client_id].finish(f"state:{self.mode}", time.monotonic())

    def _confirm(self, client_id: str, message_id: int) -> None:
        self.outbox.pop(client_id, None)
        turn = self.turns.get(client_id)
        if turn is None or turn.ack_id is not None:
            return
        turn.ack_id = message_id
        if self._max_reply_id > message_id:  # answered before the ack (a replay after a reconnect)
            turn.finish(self.roles[self._max_reply_id], time.monotonic())

    def _schedule_ack(self) -> None:
        if self._ack_task is None or self._ack_task.done():
            self._ack_task = asyncio.create_task(self._ack_soon())

    async def _ack_soon(self) -> None:
        await asyncio.sleep(ACK_DELAY)
        await self._send({"type": "ack", "id": self.last_id})

    # ---- for the run ----------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._ready

    def open_turns(self) -> list[Turn]:
        return [t for t in self.turns.values() if not t.done.is_set()]

    def last_message(self, *roles: str) -> Frame | None:
        """The newest message from one of `roles` (any role when none is named)."""
        for message_id in sorted(self.messages, reverse=True):
            if not roles or self.messages[message_id]["role"] in roles:
                return self.messages[message_id]
        return None
