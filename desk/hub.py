"""Live connections: the widgets of each conversation and the agents' consoles.

Each connection has a bounded outbound queue drained by its own task, so one slow browser never
holds up the others; a connection whose queue overflows is closed, and its widget resumes from
the last message id it has (nothing is lost: every message is stored before it is sent)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from typing import Any

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


class Hub:
    def __init__(self) -> None:
        self._widgets: dict[str, set[Connection]] = defaultdict(set)
        self._consoles: dict[int, set[Connection]] = defaultdict(set)

    def join_conversation(self, conversation_id: str, connection: Connection) -> None:
        self._widgets[conversation_id].add(connection)

    def leave_conversation(self, conversation_id: str, connection: Connection) -> None:
        self._widgets[conversation_id].discard(connection)
        if not self._widgets[conversation_id]:
            del self._widgets[conversation_id]

    def join_console(self, agent_id: int, connection: Connection) -> None:
        self._consoles[agent_id].add(connection)

    def leave_console(self, agent_id: int, connection: Connection) -> None:
        self._consoles[agent_id].discard(connection)
        if not self._consoles[agent_id]:
            del self._consoles[agent_id]

    def to_conversation(self, conversation_id: str, frame: dict[str, Any]) -> None:
        for connection in list(self._widgets.get(conversation_id, ())):
            connection.send(frame)

    def to_agent(self, agent_id: int, frame: dict[str, Any]) -> None:
        for connection in list(self._consoles.get(agent_id, ())):
            connection.send(frame)

    def to_agents(self, frame: dict[str, Any]) -> None:
        for connections in list(self._consoles.values()):
            for connection in list(connections):
                connection.send(frame)

    def close_console(self, agent_id: int) -> None:
        """Close a person's console sockets (their access was just taken away)."""
        for connection in list(self._consoles.get(agent_id, ())):
            connection.stop()

    def online_agents(self) -> set[int]:
        return set(self._consoles)

    def customer_connected(self, conversation_id: str) -> bool:
        return bool(self._widgets.get(conversation_id))

    def close_all(self) -> None:
        for group in [*self._widgets.values(), *self._consoles.values()]:
            for connection in list(group):
                connection.stop()
