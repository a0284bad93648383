"""Handoffs arriving at the desk: from the action server (POST /api/handoffs, idempotent by
`handoff_id`) or made by the desk itself when the assistant cannot answer. A handoff queues the
conversation when an agent is available, or makes it a ticket; a late one, while another is
still open, attaches to the open one (one open handoff per conversation, kept by the schema)."""

from __future__ import annotations

import secrets
from typing import Any

from desk import events as ev
from desk.errors import Conflict
from desk.notifications import Notifier
from desk.queue import Queue
from desk.state import TRANSITIONS, WITH_PEOPLE, Mode, Step
from desk.store import Clock, Conversation, Handoff, Message, Store, iso

UNSTAFFED_TEXT = (
    "No one from our team is available right now, so we'll reply by email instead. "
    "Please share your email address here if you haven't already."
)


class Handoffs:
    def __init__(self, *, store: Store, queue: Queue, notify: Notifier, clock: Clock) -> None:
        self.store = store
        self.queue = queue
        self.notify = notify
        self.clock = clock

    def accept(self, request: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Queue the conversation for an agent (or make it a ticket); (response, created)."""
        existing = self.store.handoff(request["handoff_id"])
        if existing is not None:
            return existing.response, False
        conversation_id = request["conversation_id"]
        conversation, _ = self.store.create_conversation(
            conversation_id,
            request.get("metadata") or {},
            started=ev.NewEvent(conversation_id, ev.SYSTEM, ev.ConversationStarted(channel="api")),
        )
        if conversation.mode in WITH_PEOPLE:
            return self._attach(conversation, request), False
        requested = ev.HandoffRequested(
            handoff_id=request["handoff_id"], reason=request["reason"], priority=request["priority"]
        )
        moment = self.clock()
        step = Step.QUEUE if self.queue.agents_available(moment) else Step.TICKET
        position = self.queue.position_of_new(request["priority"]) if step == Step.QUEUE else None
        response = {
            "handoff_id": request["handoff_id"],
            "status": TRANSITIONS[step].handoff,
            "queue_position": position,
            "estimated_wait_seconds": self.queue.estimated_wait(position) if position else None,
        }
        placed: ev._Payload = (
            ev.Queued(handoff_id=request["handoff_id"], position=position)
            if step == Step.QUEUE
            else ev.TicketCreated(handoff_id=request["handoff_id"])
        )
        customer = request.get("customer") or {}
        self.store.transition(
            conversation_id,
            step,
            expected=Mode(conversation.mode),
            new_handoff=Handoff(
                id=request["handoff_id"],
                conversation_id=conversation_id,
                reason=request["reason"],
                priority=request["priority"],
                summary=request["summary"],
                request=request,
                status=response["status"],
                created_at=iso(moment),
                agent_id=None,
                claimed_at=None,
                first_reply_at=None,
                closed_at=None,
                outcome=None,
                response=response,
            ),
            conversation_fields={
                "bot_paused": 1,
                "customer_name": customer.get("name") or conversation.customer_name,
                "customer_email": customer.get("email") or conversation.customer_email,
            },
            events=[
                ev.NewEvent(conversation_id, ev.ASSISTANT, requested),
                ev.NewEvent(conversation_id, ev.SYSTEM, placed),
            ],
        )
        stored = self.store.handoff(request["handoff_id"])
        assert stored is not None
        self.notify.handoff_arrived(self.queue.summary_of(stored, preview=True))
        self.notify.state(conversation_id)
        self.notify.queue_changed()
        return response, True

    def unstaffed(self) -> int:
        """Every queued conversation becomes a ticket (no agent left, or the desk closed): the
        customer is told the team will reply by email. How many moved."""
        moved = 0
        for handoff in self.queue.queued():
            try:
                self.store.transition(
                    handoff.conversation_id,
                    Step.UNSTAFFED,
                    expected=Mode.QUEUED,
                    events=[
                        ev.NewEvent(
                            handoff.conversation_id, ev.SYSTEM, ev.TicketCreated(handoff_id=handoff.id)
                        )
                    ],
                )
            except Conflict:
                continue  # claimed or resolved meanwhile
            moved += 1
            message, _ = self.store.add_message(handoff.conversation_id, "system", UNSTAFFED_TEXT)
            conversation = self.store.conversation(handoff.conversation_id)
            assert conversation is not None
            self.notify.message(conversation, message)
            self.notify.state(handoff.conversation_id)
        if moved:
            self.notify.queue_changed()
        return moved

    def _attach(self, conversation: Conversation, request: dict[str, Any]) -> dict[str, Any]:
        """A handoff asked for while another is open (a late delivery from the action server's
        outbox, say): the open one keeps the conversation and its agent; the late request's
        reason and summary are added to its context, once."""
        assert conversation.handoff_id is not None
        open_one = self.store.handoff(conversation.handoff_id)
        assert open_one is not None
        attached = list(open_one.request.get("attached", []))
        if all(a.get("handoff_id") != request["handoff_id"] for a in attached):
            keys = ("handoff_id", "reason", "priority", "summary", "requested_at")
            attached.append({key: request.get(key) for key in keys})
            self.store.update_handoff(
                open_one.id,
                request={**open_one.request, "attached": attached},
                events=[
                    ev.NewEvent(
                        conversation.id,
                        ev.ASSISTANT,
                        ev.HandoffRequested(
                            handoff_id=request["handoff_id"],
                            reason=request["reason"],
                            priority=request["priority"],
                            attached_to=open_one.id,
                        ),
                    )
                ],
            )
        position = self.queue.position(open_one.id) if conversation.mode == Mode.QUEUED else None
        return {
            "handoff_id": open_one.id,
            "status": open_one.status,
            "queue_position": position,
            "estimated_wait_seconds": self.queue.estimated_wait(position) if position else None,
        }

    def from_desk(self, conversation: Conversation, reason: str, messages: list[Message]) -> None:
        """A handoff the desk makes itself when the assistant cannot (the contract's shape)."""
        last_customer = next((m for m in reversed(messages) if m.role == "customer"), None)
        trigger_text = last_customer.text if last_customer else ""
        opening = (
            "The customer asked for a person"
            if reason == "customer_request"
            else "The assistant did not answer"
        )
        now = iso(self.clock())
        self.accept(
            {
                "version": 1,
                "handoff_id": "ho_" + secrets.token_urlsafe(12),
                "conversation_id": conversation.id,
                "reason": reason,
                "priority": "normal",
                "summary": f"{opening} (it could not be reached). Last message: “{trigger_text[:200]}”",
                "trigger": {"text": trigger_text, "at": last_customer.at if last_customer else now},
                "transcript": [{"role": m.role, "text": m.text, "at": m.at} for m in messages],
                "turns": [],
                "articles_shown": [],
                "customer": {"name": conversation.customer_name, "email": conversation.customer_email},
                "metadata": conversation.metadata,
                "requested_at": now,
            }
        )
