"""The handoff queue as people see it: order (priority, then waiting time), a conversation's
place, the wait estimate, when a ticket can expect a reply, and the summaries agents work from."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from desk.config import Settings
from desk.frames import AgentName, ConversationState
from desk.hours import BusinessHours
from desk.hub import Hub
from desk.masking import mask_contacts, mask_email
from desk.state import HandoffStatus, Mode
from desk.store import Clock, Conversation, Handoff, Store, parse_time

PRIORITY_RANK = {"high": 0, "normal": 1, "low": 2}
# A queued customer is never told "0 seconds", even when recent claims were instant.
MIN_WAIT_SECONDS = 30
CUSTOMER_ROLES = ("customer", "bot", "agent", "system")


def _as_is(text: str) -> str:
    return text


class Queue:
    def __init__(self, *, settings: Settings, store: Store, hub: Hub, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.hub = hub
        self.clock = clock
        self.hours = BusinessHours(settings.business_hours, settings.timezone)

    def queued(self) -> list[Handoff]:
        """Waiting handoffs, by priority, then waiting time."""
        return sorted(
            self.store.handoffs([HandoffStatus.QUEUED]),
            key=lambda h: (PRIORITY_RANK[h.priority], h.created_at),
        )

    def position(self, handoff_id: str) -> int | None:
        for position, handoff in enumerate(self.queued(), 1):
            if handoff.id == handoff_id:
                return position
        return None

    def position_of_new(self, priority: str) -> int:
        """Where a handoff queued now with `priority` will stand."""
        rank = PRIORITY_RANK[priority]
        return 1 + sum(PRIORITY_RANK[h.priority] <= rank for h in self.queued())

    def estimated_wait(self, position: int) -> int:
        """Recent waits when there are enough of them, else the configured handling time shared
        among the agents online."""
        agents = max(1, len(self.hub.online_agents()))
        waits = self.store.recent_waits()
        per_conversation = (
            max(MIN_WAIT_SECONDS, statistics.median(waits))
            if len(waits) >= 5
            else self.settings.default_handle_seconds
        )
        return int(math.ceil(position / agents) * per_conversation)

    def agents_available(self, moment: datetime) -> bool:
        return self.hours.is_open(moment) and bool(self.hub.online_agents())

    def reply_expected(self, since: datetime) -> str:
        opening = self.hours.next_opening(since)
        if opening is not None and opening > since.astimezone(self.hours.zone):
            return f"after we open on {opening:%A} at {opening:%H:%M} ({self.settings.timezone})"
        return f"within {self.settings.ticket_reply_hours} hours"

    def state_of(self, conversation: Conversation) -> ConversationState:
        state = ConversationState(mode=Mode(conversation.mode))
        handoff = self.store.handoff(conversation.handoff_id) if conversation.handoff_id else None
        if handoff is None:
            return state
        if conversation.mode == Mode.QUEUED:
            position = self.position(handoff.id)
            state.queue_position = position
            state.estimated_wait_seconds = self.estimated_wait(position) if position else None
        elif conversation.mode == Mode.AGENT and handoff.agent_id is not None:
            agent = self.store.staff(handoff.agent_id)
            state.agent = AgentName(name=agent.name) if agent else None
        elif conversation.mode == Mode.TICKET:
            state.email_needed = not conversation.customer_email
            state.reply_expected = self.reply_expected(parse_time(handoff.created_at))
        return state

    def summary_of(self, handoff: Handoff, *, preview: bool = False) -> dict[str, Any]:
        """What an agent reads about a handoff. `preview`: for lists and notifications every
        agent sees, with emails and phone numbers masked (desk/masking.py); the conversation's
        own view keeps them."""
        conversation = self.store.conversation(handoff.conversation_id)
        assert conversation is not None
        agent = self.store.staff(handoff.agent_id) if handoff.agent_id is not None else None
        last = self.store.last_message(handoff.conversation_id, CUSTOMER_ROLES)
        ended = handoff.claimed_at or handoff.closed_at
        until = parse_time(ended) if ended else self.clock()
        shown = mask_contacts if preview else _as_is
        email = conversation.customer_email
        return {
            "conversation_id": handoff.conversation_id,
            "handoff_id": handoff.id,
            "reason": handoff.reason,
            "priority": handoff.priority,
            "summary": shown(handoff.summary),
            "status": handoff.status,
            "created_at": handoff.created_at,
            "waited_seconds": max(0, int((until - parse_time(handoff.created_at)).total_seconds())),
            "customer": {
                "name": conversation.customer_name,
                "email": mask_email(email) if preview and email else email,
                "customer_id": conversation.metadata.get("customer_id"),
                "verified": conversation.metadata.get("customer_verified") is True,
            },
            "agent": {"id": agent.id, "name": agent.name} if agent else None,
            "last_message": {"role": last.role, "text": shown(last.text[:300]), "at": last.at}
            if last
            else None,
        }

    def views(self, agent_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Each agent's console lists; the shared ones are read and summarised once for all."""
        queued = [self.summary_of(h, preview=True) for h in self.queued()]
        tickets = [self.summary_of(h, preview=True) for h in self.store.handoffs([HandoffStatus.TICKET])]
        assigned = self.store.handoffs([HandoffStatus.ASSIGNED])
        online = len(self.hub.online_agents())
        return {
            agent_id: {
                "queued": queued,
                "mine": [self.summary_of(h, preview=True) for h in assigned if h.agent_id == agent_id],
                "tickets": tickets,
                "online_agents": online,
            }
            for agent_id in agent_ids
        }
