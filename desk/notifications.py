"""Live notifications: what the widgets and consoles are told when something changes. Every
frame is a model from desk/frames.py; this is the only place that builds them for the hub."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from desk.frames import (
    BOT_NAME,
    ConsoleMessage,
    CustomerTyping,
    HandoffArrived,
    MessageView,
    QueueChanged,
    StateChanged,
    Typing,
    WidgetMessage,
)
from desk.hub import Hub
from desk.queue import CUSTOMER_ROLES, Queue
from desk.state import WITH_PEOPLE
from desk.store import Conversation, Message, Store

STAFF_ROLES = ("agent", "note")
# Queue snapshots go out at most this often: a burst of changes (a customer flooding contact
# frames, twenty handoffs at once) costs every console one snapshot, not one per change.
QUEUE_COALESCE_SECONDS = 0.2

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, *, hub: Hub, queue: Queue, store: Store) -> None:
        self.hub = hub
        self.queue = queue
        self.store = store
        self._queue_due = False

    def message(self, conversation: Conversation, message: Message) -> None:
        """Customer-visible messages to the widgets; to the agents, everything while the
        conversation is with people, and staff messages always (once it is back with the
        assistant, the customer and the assistant are not streamed to every console)."""
        view = MessageView.of(message)
        if message.role in CUSTOMER_ROLES:
            self.hub.to_conversation(conversation.id, WidgetMessage(message=view).frame())
        if conversation.mode in WITH_PEOPLE or message.role in STAFF_ROLES:
            self.hub.to_agents(ConsoleMessage(conversation_id=conversation.id, message=view).frame())

    def state(self, conversation_id: str) -> None:
        conversation = self.store.conversation(conversation_id)
        if conversation is not None:
            self.hub.to_conversation(
                conversation_id, StateChanged(state=self.queue.state_of(conversation)).frame()
            )

    def handoff_arrived(self, summary: dict[str, Any]) -> None:
        self.hub.to_agents(HandoffArrived(summary=summary).frame())

    def queue_changed(self) -> None:
        """Schedule a queue snapshot for every console (and the new place of every queued
        customer), once for all the changes of the next `QUEUE_COALESCE_SECONDS`."""
        if self._queue_due:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # outside the event loop (the CLI, a unit test): at once
            self._send_queue()
            return
        self._queue_due = True
        loop.call_later(QUEUE_COALESCE_SECONDS, self._send_due_queue)

    def _send_due_queue(self) -> None:
        self._queue_due = False
        try:
            self._send_queue()
        except Exception:
            log.exception("sending the queue snapshot failed; the next change sends it again")

    def _send_queue(self) -> None:
        for agent_id, view in self.queue.views(self.hub.online_agents()).items():
            self.hub.to_agent(agent_id, QueueChanged(queue=view).frame())
        for handoff in self.queue.queued():  # everyone's place in the queue may have moved
            if self.hub.customer_connected(handoff.conversation_id):
                self.state(handoff.conversation_id)

    def assistant_typing(self, conversation_id: str, on: bool) -> None:
        frame = Typing(role="bot", on=on, name=BOT_NAME if on else None)
        self.hub.to_conversation(conversation_id, frame.frame())

    def agent_typing(self, conversation_id: str, name: str, on: bool) -> None:
        self.hub.to_conversation(conversation_id, Typing(role="agent", on=on, name=name).frame())

    def customer_typing(self, conversation_id: str, on: bool) -> None:
        self.hub.to_agents(CustomerTyping(conversation_id=conversation_id, on=on).frame())
