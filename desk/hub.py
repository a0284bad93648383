"""Live connections: the widgets of each conversation and the agents' consoles.

Each connection has a bounded outbound queue drained by its own task, so one slow browser never
holds up the others; a connection whose queue overflows is closed, and its widget resumes from
the last message id it has (nothing is lost: every message is stored before it is sent). A
widget's connection sends its conversation's messages in id order, once each (WidgetConnection).

With several replicas (DESK_REDIS_URL) a hub has a bus (desk/replicas/bus.py): every frame also
goes to the sockets the other replicas hold, and presence is the whole deployment's."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Protocol

from starlette.websockets import WebSocket

log = logging.getLogger(__name__)

QUEUE_LIMIT = 500


class Connection:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self._outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE_LIMIT)
        self._writer: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._writer = asyncio.create_task(self._drain())

    def send(self, frame: dict[str, Any]) -> None:
        try:
            self._outbox.put_nowait(frame)
        except asyncio.QueueFull:
            log.warning("closing a connection that stopped reading")
            self.stop()

    def stop(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self._outbox.put_nowait(None)
        if self._outbox.full() and self._writer is not None:
            self._writer.cancel()

    async def wait_stopped(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    async def _drain(self) -> None:
        try:
            while (frame := await self._outbox.get()) is not None:
                await self.websocket.send_json(frame)
        except Exception:
            log.debug("writer stopped", exc_info=True)
        finally:
            with contextlib.suppress(Exception):
                await self.websocket.close()


# The frames of a conversation's messages stored after one id and before another, oldest first.
Earlier = Callable[[int, int], list[dict[str, Any]]]


class WidgetConnection(Connection):
    """A widget's socket: its conversation's message frames go out in id order, once each.

    With replicas, each message is stored by whichever replica handled it and reaches the replica
    holding this socket either at once (its own) or through Redis (the others'), so one can come
    after a later one; and a widget that reconnects asks only for what came after the highest id
    it has, so a message overtaken and then cut off with the socket would never reach it. So
    before a message goes out, those stored before it that this socket has not sent are read
    from the store (`earlier`) and go first, and a message already sent is not sent again."""

    def __init__(self, websocket: WebSocket, earlier: Earlier, sent_id: int = 0) -> None:
        super().__init__(websocket)
        self._earlier = earlier
        self.sent_id = sent_id  # the widget has every message up to this id

    def replay(self, frames: list[dict[str, Any]]) -> None:
        """The history sent on connecting, as it is (at most the latest page: the widget pages
        back itself)."""
        for frame in frames:
            super().send(frame)
            self.sent_id = max(self.sent_id, int(frame["message"]["id"]))

    def send(self, frame: dict[str, Any]) -> None:
        message = frame.get("message") if frame.get("type") == "message" else None
        message_id = message.get("id") if isinstance(message, dict) else None
        if not isinstance(message_id, int):
            super().send(frame)
            return
        if message_id <= self.sent_id:
            return  # sent already: read ahead of its own frame, or in the history
        try:
            missed = self._earlier(self.sent_id, message_id)
        except Exception:  # the store failing must not lose this frame: send it as it came
            log.exception("messages before %d could not be read; sending it out of turn", message_id)
            missed = []
        for earlier in missed:
            super().send(earlier)
        self.sent_id = message_id
        super().send(frame)


class Bus(Protocol):
    """The hub's link to the hubs of the other replicas (desk/replicas/bus.py): frames for
    sockets held elsewhere, and who is connected elsewhere. A hub without one is on its own,
    as with a single process."""

    def publish(self, to: str, target: str | int | None, frame: dict[str, Any] | None) -> None: ...

    def joined(self, kind: str, member: str) -> None: ...

    def left(self, kind: str, member: str) -> None: ...

    def agents(self) -> set[int]: ...

    def conversation_connected(self, conversation_id: str) -> bool: ...

    async def start(self, hub: Hub) -> None: ...

    async def stop(self) -> None: ...


# What a frame is addressed to, on the bus (docs/contracts/scale-out.md).
TO_CONVERSATION, TO_AGENT, TO_AGENTS, CLOSE_AGENT = "conversation", "agent", "agents", "close_agent"
# Presence kinds: agents with a console open, conversations with a widget open.
AGENTS, CONVERSATIONS = "agents", "conversations"


class Hub:
    """This process's sockets; with a bus, every frame also reaches the sockets of the other
    replicas, and presence (`online_agents`, `customer_connected`) is the whole deployment's.
    `on_presence_elsewhere` is called when the agents online change on another replica (the
    desk passes its `presence_changed`, which this replica's console socket calls itself)."""

    def __init__(self, bus: Bus | None = None) -> None:
        self.bus = bus
        self.on_presence_elsewhere: Callable[[], None] | None = None
        self._widgets: dict[str, set[Connection]] = defaultdict(set)
        self._consoles: dict[int, set[Connection]] = defaultdict(set)

    async def start(self) -> None:
        if self.bus is not None:
            await self.bus.start(self)

    async def stop(self) -> None:
        if self.bus is not None:
            await self.bus.stop()

    def join_conversation(self, conversation_id: str, connection: Connection) -> None:
        first = conversation_id not in self._widgets
        self._widgets[conversation_id].add(connection)
        if first and self.bus is not None:
            self.bus.joined(CONVERSATIONS, conversation_id)

    def leave_conversation(self, conversation_id: str, connection: Connection) -> None:
        self._widgets[conversation_id].discard(connection)
        if not self._widgets[conversation_id]:
            del self._widgets[conversation_id]
            if self.bus is not None:
                self.bus.left(CONVERSATIONS, conversation_id)

    def join_console(self, agent_id: int, connection: Connection) -> None:
        first = agent_id not in self._consoles
        self._consoles[agent_id].add(connection)
        if first and self.bus is not None:
            self.bus.joined(AGENTS, str(agent_id))

    def leave_console(self, agent_id: int, connection: Connection) -> None:
        self._consoles[agent_id].discard(connection)
        if not self._consoles[agent_id]:
            del self._consoles[agent_id]
            if self.bus is not None:
                self.bus.left(AGENTS, str(agent_id))

    def to_conversation(self, conversation_id: str, frame: dict[str, Any]) -> None:
        self.deliver(TO_CONVERSATION, conversation_id, frame)
        if self.bus is not None:
            self.bus.publish(TO_CONVERSATION, conversation_id, frame)

    def to_agent(self, agent_id: int, frame: dict[str, Any]) -> None:
        self.deliver(TO_AGENT, agent_id, frame)
        if self.bus is not None:
            self.bus.publish(TO_AGENT, agent_id, frame)

    def to_agents(self, frame: dict[str, Any]) -> None:
        self.deliver(TO_AGENTS, None, frame)
        if self.bus is not None:
            self.bus.publish(TO_AGENTS, None, frame)

    def close_console(self, agent_id: int) -> None:
        """Close a person's console sockets, on every replica (their access was just taken away)."""
        self.deliver(CLOSE_AGENT, agent_id, None)
        if self.bus is not None:
            self.bus.publish(CLOSE_AGENT, agent_id, None)

    def deliver(self, to: str, target: str | int | None, frame: dict[str, Any] | None) -> None:
        """To this process's sockets only (the bus hands over what other replicas sent)."""
        if to == CLOSE_AGENT and isinstance(target, int):
            for connection in list(self._consoles.get(target, ())):
                connection.stop()
            return
        if frame is None:
            return
        if to == TO_CONVERSATION and isinstance(target, str):
            connections = list(self._widgets.get(target, ()))
        elif to == TO_AGENT and isinstance(target, int):
            connections = list(self._consoles.get(target, ()))
        elif to == TO_AGENTS:
            connections = [c for group in list(self._consoles.values()) for c in list(group)]
        else:
            log.warning("a frame for %r %r, which this desk does not know, was dropped", to, target)
            return
        for connection in connections:
            connection.send(frame)

    def online_agents(self) -> set[int]:
        here = set(self._consoles)
        return here | self.bus.agents() if self.bus is not None else here

    def customer_connected(self, conversation_id: str) -> bool:
        if self._widgets.get(conversation_id):
            return True
        return self.bus is not None and self.bus.conversation_connected(conversation_id)

    def holds(self, kind: str, member: str) -> bool:
        """Whether a socket of this process is an agent's console (`AGENTS`, member the agent
        id) or a conversation's widget (`CONVERSATIONS`)."""
        if kind == AGENTS:
            return member.isdigit() and int(member) in self._consoles
        return member in self._widgets

    def members(self, kind: str) -> list[str]:
        """Who this process holds sockets of (the bus refreshes them in Redis)."""
        return [str(a) for a in self._consoles] if kind == AGENTS else list(self._widgets)

    def presence_elsewhere_changed(self) -> None:
        if self.on_presence_elsewhere is not None:
            try:
                self.on_presence_elsewhere()
            except Exception:
                log.exception("reacting to agents coming or going on another replica failed")

    def close_all(self) -> None:
        for group in [*self._widgets.values(), *self._consoles.values()]:
            for connection in list(group):
                connection.stop()
