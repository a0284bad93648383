"""The desk's logic: routing customer messages to the assistant or to agents, the handoff queue,
and what agents do with a conversation. Routes and sockets are thin layers over `Desk`.

A conversation's mode says who answers it:
  bot       the assistant (Rasa REST); replies are stored and sent back
  queued    handed over, waiting for an agent
  agent     an agent holds it; messages go to the agent
  ticket    nobody available: the team replies later (by email)
  resolved  closed by an agent; a new message goes back to the assistant
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import secrets
import statistics
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from desk.bot_sessions import SESSION_START, BotSessions
from desk.clients import KBClient, RasaClient
from desk.config import Settings
from desk.errors import ArticleNotFound, Conflict, ConversationNotFound, InvalidInput, UpstreamUnavailable
from desk.hours import BusinessHours
from desk.hub import Hub
from desk.learning import SOURCE as LEARNING_SOURCE
from desk.learning import resolved_example
from desk.security import ConversationSigner, new_conversation_id
from desk.store import OPEN_STATUSES, Conversation, Handoff, Message, StaffMember, Store, iso, now, parse_time

log = logging.getLogger(__name__)

BOT_NAME = "Kestrel assistant"
CUSTOMER_ROLES = ("customer", "bot", "agent", "system")
PRIORITY_RANK = {"high": 0, "normal": 1, "low": 2}
PERSON_PAYLOAD = "/request_human"
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
RETRY_DELAY_SECONDS = 0.3


class MessageTooLong(InvalidInput):
    code = "message_too_long"


class Desk:
    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        hub: Hub,
        rasa: RasaClient,
        kb: KBClient,
        clock: Callable[[], datetime] = now,
    ) -> None:
        self.settings = settings
        self.store = store
        self.hub = hub
        self.rasa = rasa
        self.kb = kb
        self.clock = clock
        self.hours = BusinessHours(settings.business_hours, settings.timezone)
        self.signer = ConversationSigner(settings.secret_key.get_secret_value())
        self._turns: dict[str, _Turn] = {}
        self.bot_sessions = BotSessions(settings.bot_session_turns)
        self._tasks: set[asyncio.Task[None]] = set()

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---- views ---------------------------------------------------------------------------

    def message_view(self, message: Message) -> dict[str, Any]:
        author = None
        if message.role == "bot":
            author = {"name": BOT_NAME, "avatar": None}
        elif message.role in ("agent", "note") and message.author:
            author = {"name": message.author, "avatar": None}
        return {
            "id": message.id,
            "role": message.role,
            "author": author,
            "text": message.text,
            "buttons": message.buttons,
            "links": message.links,
            "at": message.at,
            "client_id": message.client_id,
        }

    def conversation(self, conversation_id: str) -> Conversation:
        conversation = self.store.conversation(conversation_id)
        if conversation is None:
            raise ConversationNotFound(f"no conversation {conversation_id!r}")
        return conversation

    def state_of(self, conversation: Conversation) -> dict[str, Any]:
        handoff = self.store.handoff(conversation.handoff_id) if conversation.handoff_id else None
        state: dict[str, Any] = {
            "mode": conversation.mode,
            "queue_position": None,
            "estimated_wait_seconds": None,
            "agent": None,
            "email_needed": False,
            "reply_expected": None,
        }
        if handoff is None:
            return state
        if conversation.mode == "queued":
            position = self.queue_position(handoff.id)
            state["queue_position"] = position
            state["estimated_wait_seconds"] = self.estimated_wait(position) if position else None
        elif conversation.mode == "agent" and handoff.agent_id is not None:
            agent = self.store.staff(handoff.agent_id)
            state["agent"] = {"name": agent.name} if agent else None
        elif conversation.mode == "ticket":
            state["email_needed"] = not conversation.customer_email
            state["reply_expected"] = self.reply_expected(parse_time(handoff.created_at))
        return state

    def summary_of(self, handoff: Handoff) -> dict[str, Any]:
        conversation = self.conversation(handoff.conversation_id)
        agent = self.store.staff(handoff.agent_id) if handoff.agent_id is not None else None
        last = self.store.last_message(handoff.conversation_id, CUSTOMER_ROLES)
        ended = handoff.claimed_at or handoff.closed_at
        until = parse_time(ended) if ended else self.clock()
        return {
            "conversation_id": handoff.conversation_id,
            "handoff_id": handoff.id,
            "reason": handoff.reason,
            "priority": handoff.priority,
            "summary": handoff.summary,
            "status": handoff.status,
            "created_at": handoff.created_at,
            "waited_seconds": max(0, int((until - parse_time(handoff.created_at)).total_seconds())),
            "customer": {"name": conversation.customer_name, "email": conversation.customer_email},
            "agent": {"id": agent.id, "name": agent.name} if agent else None,
            "last_message": {"role": last.role, "text": last.text[:300], "at": last.at} if last else None,
        }

    def queued(self) -> list[Handoff]:
        """Waiting handoffs, by priority, then waiting time."""
        return sorted(
            self.store.handoffs(["queued"]), key=lambda h: (PRIORITY_RANK[h.priority], h.created_at)
        )

    def queue_position(self, handoff_id: str) -> int | None:
        for position, handoff in enumerate(self.queued(), 1):
            if handoff.id == handoff_id:
                return position
        return None

    def estimated_wait(self, position: int) -> int:
        """Recent waits when there are enough of them, else the configured handling time shared
        among the agents online."""
        agents = max(1, len(self.hub.online_agents()))
        waits = self.store.recent_waits()
        per_conversation = (
            statistics.median(waits) if len(waits) >= 5 else self.settings.default_handle_seconds
        )
        return int(math.ceil(position / agents) * per_conversation)

    def reply_expected(self, since: datetime) -> str:
        opening = self.hours.next_opening(since)
        if opening is not None and opening > since.astimezone(self.hours.zone):
            return f"after we open on {opening:%A} at {opening:%H:%M} ({self.settings.timezone})"
        return f"within {self.settings.ticket_reply_hours} hours"

    def queue_view(self, agent_id: int) -> dict[str, Any]:
        return self.queue_views([agent_id])[agent_id]

    def queue_views(self, agent_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Each agent's console lists; the shared ones are read and summarised once for all."""
        queued = [self.summary_of(h) for h in self.queued()]
        tickets = [self.summary_of(h) for h in self.store.handoffs(["ticket"])]
        assigned = self.store.handoffs(["assigned"])
        online = len(self.hub.online_agents())
        return {
            agent_id: {
                "queued": queued,
                "mine": [self.summary_of(h) for h in assigned if h.agent_id == agent_id],
                "tickets": tickets,
                "online_agents": online,
            }
            for agent_id in agent_ids
        }

    def conversation_view(self, conversation_id: str) -> dict[str, Any]:
        conversation = self.conversation(conversation_id)
        handoff = self.store.handoff(conversation.handoff_id) if conversation.handoff_id else None
        return {
            "summary": self.summary_of(handoff) if handoff else None,
            "handoff": handoff.request if handoff else None,
            "messages": [self.message_view(m) for m in self.store.messages(conversation_id)],
            "state": self.state_of(conversation),
        }

    # ---- the widget ----------------------------------------------------------------------

    def open_conversation(
        self, token: str | None, metadata: dict[str, Any]
    ) -> tuple[Conversation, str] | None:
        """The conversation a widget token names (None if the token is forged), or a new one."""
        if token:
            conversation_id = self.signer.verify(token)
            conversation = self.store.conversation(conversation_id) if conversation_id else None
            if conversation is None:
                return None
            if metadata and metadata != conversation.metadata:
                self.store.update_conversation(conversation.id, metadata=metadata)
            return conversation, token
        conversation = self.store.create_conversation(new_conversation_id(), metadata)
        return conversation, self.signer.sign(conversation.id)

    def history(self, conversation_id: str, after: int) -> list[dict[str, Any]]:
        return [
            self.message_view(m)
            for m in self.store.messages(conversation_id, after=after, roles=CUSTOMER_ROLES)
        ]

    async def customer_message(
        self, conversation_id: str, text: str, *, client_id: str, payload: str | None = None
    ) -> Message:
        """Store first, then route: to the assistant in `bot` mode, to the agents otherwise."""
        text = text.strip()
        if not text:
            raise InvalidInput("the message is empty")
        if len(text) > self.settings.max_message_chars:
            raise MessageTooLong(f"messages are limited to {self.settings.max_message_chars} characters")
        conversation = self.conversation(conversation_id)
        message, created = self.store.add_message(
            conversation.id, "customer", text, payload=payload, client_id=client_id
        )
        if not created:
            return message  # a retry of a message already stored and routed
        if conversation.mode == "resolved":
            self.store.update_conversation(conversation.id, mode="bot")
            conversation = self.conversation(conversation.id)
            self._send_state(conversation)
        self._publish(conversation, message)
        if conversation.mode == "bot":
            self._spawn(self._assistant_turn(conversation.id, payload or text, payload == PERSON_PAYLOAD))
        elif (
            conversation.mode == "ticket"
            and not conversation.customer_email
            and (found := EMAIL.search(text))
        ):
            self.set_contact(conversation.id, found.group(0), None)
        return message

    async def request_person(self, conversation_id: str, client_id: str) -> Message | None:
        """ "Talk to a person": through the assistant, so the handoff carries its context."""
        conversation = self.conversation(conversation_id)
        if conversation.mode in ("queued", "agent", "ticket"):
            self._send_state(conversation)
            return None
        return await self.customer_message(
            conversation_id, "Talk to a person", client_id=client_id, payload=PERSON_PAYLOAD
        )

    def set_contact(self, conversation_id: str, email: str, name: str | None) -> None:
        email = email.strip()
        if not EMAIL.fullmatch(email):
            raise InvalidInput("that doesn't look like an email address")
        conversation = self.conversation(conversation_id)
        fields: dict[str, Any] = {"customer_email": email}
        if name and name.strip():
            fields["customer_name"] = name.strip()[:200]
        self.store.update_conversation(conversation_id, **fields)
        message, _ = self.store.add_message(conversation_id, "system", f"Thanks, we'll reply to {email}.")
        conversation = self.conversation(conversation_id)
        self._publish(conversation, message)
        self._send_state(conversation)
        self._queue_changed()

    def customer_typing(self, conversation_id: str, on: bool) -> None:
        conversation = self.conversation(conversation_id)
        if conversation.mode in ("queued", "agent", "ticket"):
            self.hub.to_agents({"type": "typing", "conversation_id": conversation_id, "on": on})

    def customer_seen(self, conversation_id: str, message_id: int) -> None:
        self.store.update_conversation(conversation_id, customer_seen_id=message_id)

    async def _assistant_turn(self, conversation_id: str, text: str, asked_for_person: bool) -> None:
        """One message to Rasa and its replies back, in order per conversation."""
        async with self._turn(conversation_id):
            conversation = self.conversation(conversation_id)
            if conversation.mode != "bot":
                return  # handed over while this message waited its turn; agents have it
            self.hub.to_conversation(
                conversation_id, {"type": "typing", "role": "bot", "on": True, "name": BOT_NAME}
            )
            try:
                replies = await self._ask_assistant(conversation, text)
            finally:
                self.hub.to_conversation(
                    conversation_id, {"type": "typing", "role": "bot", "on": False, "name": None}
                )
            if replies:
                self._store_bot_replies(conversation_id, replies)
            elif self.conversation(conversation_id).mode == "bot":
                # Neither an answer nor a handoff: never leave the customer talking to nobody.
                self._desk_handoff(
                    conversation_id, "customer_request" if asked_for_person else "assistant_unavailable"
                )

    async def _ask_assistant(self, conversation: Conversation, text: str) -> list[dict[str, Any]]:
        """The assistant's replies; an empty list after one retry means it failed (NOTES.md)."""
        for attempt in range(2):
            try:
                if conversation.bot_paused:
                    await self.rasa.resume(conversation.id)
                    self.store.update_conversation(conversation.id, bot_paused=0)
                    conversation = self.conversation(conversation.id)
                await self._keep_bot_session_short(conversation)
                replies = await self.rasa.send(conversation.id, text, conversation.metadata)
                self.bot_sessions.counted(conversation.id)
            except UpstreamUnavailable as e:
                log.warning("assistant turn failed (attempt %d): %s", attempt + 1, e)
                replies = []
            if replies or self.conversation(conversation.id).mode != "bot":
                return replies
            await asyncio.sleep(RETRY_DELAY_SECONDS)
        return []

    async def _keep_bot_session_short(self, conversation: Conversation) -> None:
        """A new Rasa session when this one is long (desk/bot_sessions.py); its reply is empty."""
        last_bot = self.store.last_message(conversation.id, roles=("bot",))
        if self.bot_sessions.due(conversation.id, awaiting_answer=bool(last_bot and last_bot.buttons)):
            await self.rasa.send(conversation.id, SESSION_START, conversation.metadata)
            self.bot_sessions.started(conversation.id)

    def _store_bot_replies(self, conversation_id: str, replies: list[dict[str, Any]]) -> None:
        conversation = self.conversation(conversation_id)
        for reply in bot_messages(replies):
            message, _ = self.store.add_message(
                conversation_id, "bot", reply["text"], buttons=reply["buttons"], links=reply["links"]
            )
            self._publish(conversation, message)

    def _desk_handoff(self, conversation_id: str, reason: str) -> None:
        """A handoff the desk makes itself when the assistant cannot (same shape as the contract)."""
        conversation = self.conversation(conversation_id)
        messages = self.store.messages(conversation_id, roles=("customer", "bot"))
        last_customer = next((m for m in reversed(messages) if m.role == "customer"), None)
        trigger_text = last_customer.text if last_customer else ""
        opening = (
            "The customer asked for a person"
            if reason == "customer_request"
            else "The assistant did not answer"
        )
        request = {
            "version": 1,
            "handoff_id": "ho_" + secrets.token_urlsafe(12),
            "conversation_id": conversation_id,
            "reason": reason,
            "priority": "normal",
            "summary": f"{opening} (it could not be reached). Last message: \u201c{trigger_text[:200]}\u201d",
            "trigger": {"text": trigger_text, "at": last_customer.at if last_customer else iso(self.clock())},
            "transcript": [{"role": m.role, "text": m.text, "at": m.at} for m in messages],
            "turns": [],
            "articles_shown": [],
            "customer": {"name": conversation.customer_name, "email": conversation.customer_email},
            "metadata": conversation.metadata,
            "requested_at": iso(self.clock()),
        }
        self.accept_handoff(request)
        message, _ = self.store.add_message(
            conversation_id,
            "system",
            "Our assistant can't answer right now, so your conversation has been passed to our team.",
        )
        self._publish(self.conversation(conversation_id), message)

    # ---- handoffs ------------------------------------------------------------------------

    def accept_handoff(self, request: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Queue the conversation for an agent (or make it a ticket); idempotent by handoff_id."""
        existing = self.store.handoff(request["handoff_id"])
        if existing is not None:
            return existing.response, False
        conversation_id = request["conversation_id"]
        conversation = self.store.conversation(conversation_id) or self.store.create_conversation(
            conversation_id, request.get("metadata") or {}
        )
        moment = self.clock()
        available = self.hours.is_open(moment) and bool(self.hub.online_agents())
        status = "queued" if available else "ticket"
        handoff, created = self.store.add_handoff(
            Handoff(
                id=request["handoff_id"],
                conversation_id=conversation_id,
                reason=request["reason"],
                priority=request["priority"],
                summary=request["summary"],
                request=request,
                status=status,
                created_at=iso(moment),
                agent_id=None,
                claimed_at=None,
                first_reply_at=None,
                closed_at=None,
                outcome=None,
                response={},
            )
        )
        if not created:
            return handoff.response, False
        if conversation.handoff_id and conversation.handoff_id != handoff.id:
            self._close_superseded(conversation.handoff_id)
        customer = request.get("customer") or {}
        self.store.update_conversation(
            conversation_id,
            mode=status,
            handoff_id=handoff.id,
            bot_paused=1,
            customer_name=customer.get("name") or conversation.customer_name,
            customer_email=customer.get("email") or conversation.customer_email,
        )
        position = self.queue_position(handoff.id) if status == "queued" else None
        response = {
            "handoff_id": handoff.id,
            "status": status,
            "queue_position": position,
            "estimated_wait_seconds": self.estimated_wait(position) if position else None,
        }
        self.store.update_handoff(handoff.id, response=response)
        stored = self.store.handoff(handoff.id)
        assert stored is not None
        self.hub.to_agents({"type": "handoff_new", "summary": self.summary_of(stored)})
        self._send_state(self.conversation(conversation_id))
        self._queue_changed()
        return response, True

    def _close_superseded(self, handoff_id: str) -> None:
        old = self.store.handoff(handoff_id)
        if old is not None and old.status in OPEN_STATUSES:
            self.store.update_handoff(
                handoff_id, status="resolved", outcome="superseded", closed_at=iso(self.clock())
            )

    # ---- agents --------------------------------------------------------------------------

    def claim(self, conversation_id: str, agent: StaffMember) -> dict[str, Any]:
        handoff = self._open_handoff(conversation_id)
        if handoff.status == "assigned" and handoff.agent_id == agent.id:
            return self.summary_of(handoff)
        if not self.store.claim_handoff(handoff.id, agent.id):
            raise Conflict("another agent already holds this conversation")
        self.store.update_conversation(conversation_id, mode="agent")
        self._system_message(conversation_id, f"{agent.name} joined the conversation.")
        self._send_state(self.conversation(conversation_id))
        self._queue_changed()
        return self.summary_of(self._handoff(handoff.id))

    def agent_reply(
        self, conversation_id: str, agent: StaffMember, text: str, links: list[dict[str, str]] | None = None
    ) -> dict[str, Any]:
        handoff = self._held_by(conversation_id, agent)
        message = self._agent_text(conversation_id, "agent", agent, text, links)
        if handoff.first_reply_at is None:
            self.store.update_handoff(handoff.id, first_reply_at=message.at)
        self.hub.to_conversation(
            conversation_id, {"type": "typing", "role": "agent", "on": False, "name": agent.name}
        )
        return self.message_view(message)

    def add_note(self, conversation_id: str, agent: StaffMember, text: str) -> dict[str, Any]:
        self.conversation(conversation_id)
        return self.message_view(self._agent_text(conversation_id, "note", agent, text, None))

    async def insert_article(
        self, conversation_id: str, agent: StaffMember, article_id: str
    ) -> dict[str, Any]:
        self._held_by(conversation_id, agent)
        article = await self.kb.article(article_id)
        text = f"{article['title']}\n\n{article['summary']}\n\nThe full article: {article['url']}"
        return self.agent_reply(
            conversation_id, agent, text, [{"title": article["title"], "url": article["url"]}]
        )

    def resolve(self, conversation_id: str, agent: StaffMember, outcome: str) -> dict[str, Any]:
        handoff = self._open_handoff(conversation_id)
        if handoff.status == "assigned" and handoff.agent_id != agent.id:
            raise Conflict("another agent holds this conversation")
        moment = iso(self.clock())
        self.store.update_handoff(
            handoff.id,
            status="resolved",
            outcome=outcome,
            closed_at=moment,
            agent_id=agent.id,
            claimed_at=handoff.claimed_at or moment,
        )
        self.store.update_conversation(conversation_id, mode="resolved")
        self.bot_sessions.forget(conversation_id)  # the conversation is over
        if outcome == "resolved":
            self._teach_from(conversation_id)
        self._system_message(conversation_id, f"{agent.name} closed the conversation.")
        self._send_state(self.conversation(conversation_id))
        self._queue_changed()
        return self.summary_of(self._handoff(handoff.id))

    def _teach_from(self, conversation_id: str) -> None:
        """Send the resolved conversation's question and article to the knowledge service."""
        token = self.settings.kb_service_token.get_secret_value()
        example = resolved_example(self.store.messages(conversation_id, roles=("customer", "agent")))
        if not token or example is None:
            return

        async def send() -> None:
            try:
                await self.kb.add_candidate_example(LEARNING_SOURCE, example[0], example[1], token)
            except (UpstreamUnavailable, ArticleNotFound) as e:  # losing one candidate costs nothing
                log.info("conversation %s: resolved example not sent: %s", conversation_id, e)

        self._spawn(send())

    async def hand_back(self, conversation_id: str, agent: StaffMember) -> dict[str, Any]:
        """Give the conversation back to the assistant, which greets the customer again. If Rasa
        cannot be reached nothing changes and the agent is told."""
        handoff = self._held_by(conversation_id, agent)
        async with self._turn(conversation_id):
            await self.rasa.resume(conversation_id)
            replies = await self.rasa.trigger_intent(conversation_id, "handed_back")
            self.store.update_handoff(
                handoff.id, status="handed_back", outcome="handed_back", closed_at=iso(self.clock())
            )
            self.store.update_conversation(conversation_id, mode="bot", bot_paused=0)
            self._system_message(
                conversation_id, f"{agent.name} left the conversation. The assistant is back."
            )
            self._send_state(self.conversation(conversation_id))
            self._store_bot_replies(conversation_id, replies)
        self._queue_changed()
        return self.summary_of(self._handoff(handoff.id))

    def agent_typing(self, conversation_id: str, agent: StaffMember, on: bool) -> None:
        conversation = self.store.conversation(conversation_id)
        if conversation is not None and conversation.mode == "agent":
            self.hub.to_conversation(
                conversation_id, {"type": "typing", "role": "agent", "on": on, "name": agent.name}
            )

    async def search_articles(self, query: str) -> list[dict[str, Any]]:
        if not query.strip():
            return []
        hits = await self.kb.search(query[:500], top_k=6)
        keys = ("article_id", "title", "summary", "url", "score")
        return [{key: hit.get(key) for key in keys} for hit in hits]

    def presence_changed(self) -> None:
        self._queue_changed()

    # ---- helpers -------------------------------------------------------------------------

    def _handoff(self, handoff_id: str) -> Handoff:
        handoff = self.store.handoff(handoff_id)
        assert handoff is not None
        return handoff

    def _open_handoff(self, conversation_id: str) -> Handoff:
        conversation = self.conversation(conversation_id)
        handoff = self.store.handoff(conversation.handoff_id) if conversation.handoff_id else None
        if handoff is None or handoff.status not in OPEN_STATUSES:
            raise Conflict("this conversation is not waiting for or held by an agent")
        return handoff

    def _held_by(self, conversation_id: str, agent: StaffMember) -> Handoff:
        handoff = self._open_handoff(conversation_id)
        if handoff.status != "assigned" or handoff.agent_id != agent.id:
            raise Conflict("claim the conversation before replying")
        return handoff

    def _agent_text(
        self,
        conversation_id: str,
        role: str,
        agent: StaffMember,
        text: str,
        links: list[dict[str, str]] | None,
    ) -> Message:
        text = text.strip()
        if not text:
            raise InvalidInput("the message is empty")
        if len(text) > self.settings.max_message_chars * 4:
            raise MessageTooLong(f"messages are limited to {self.settings.max_message_chars * 4} characters")
        message, _ = self.store.add_message(conversation_id, role, text, author=agent.name, links=links)
        self._publish(self.conversation(conversation_id), message)
        return message

    def _system_message(self, conversation_id: str, text: str) -> None:
        message, _ = self.store.add_message(conversation_id, "system", text)
        self._publish(self.conversation(conversation_id), message)

    def _publish(self, conversation: Conversation, message: Message) -> None:
        """Customer-visible messages to the widgets; everything in a handed-over conversation to
        the agents."""
        view = self.message_view(message)
        if message.role in CUSTOMER_ROLES:
            self.hub.to_conversation(conversation.id, {"type": "message", "message": view})
        if conversation.handoff_id is not None:
            self.hub.to_agents({"type": "message", "conversation_id": conversation.id, "message": view})

    def _send_state(self, conversation: Conversation) -> None:
        self.hub.to_conversation(conversation.id, {"type": "state", "state": self.state_of(conversation)})

    def _queue_changed(self) -> None:
        for agent_id, view in self.queue_views(self.hub.online_agents()).items():
            self.hub.to_agent(agent_id, {"type": "queue", "queue": view})
        for handoff in self.queued():  # everyone's place in the queue may have moved
            if self.hub.customer_connected(handoff.conversation_id):
                self._send_state(self.conversation(handoff.conversation_id))

    @asynccontextmanager
    async def _turn(self, conversation_id: str) -> AsyncIterator[None]:
        """One exchange with the assistant at a time per conversation, in arrival order; the lock
        is dropped once nobody holds or waits for it, so idle conversations cost nothing."""
        turn = self._turns.setdefault(conversation_id, _Turn())
        turn.users += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.users -= 1
            if turn.users == 0:
                del self._turns[conversation_id]

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background turn failed", exc_info=task.exception())


@dataclass
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


def bot_messages(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rasa REST replies as desk messages: consecutive plain texts joined into one (the REST
    channel sends each paragraph on its own), text with its buttons; an answer's article (sent
    as a separate `custom` message) becomes a link on the text before it; images become links."""
    messages: list[dict[str, Any]] = []
    for reply in replies:
        text = reply.get("text")
        buttons = [
            {"title": str(b.get("title", ""))[:200], "payload": str(b.get("payload", ""))[:500]}
            for b in reply.get("buttons") or []
            if isinstance(b, dict)
        ]
        if isinstance(text, str) and text and not buttons and messages and _plain(messages[-1]):
            messages[-1]["text"] += "\n\n" + text  # Rasa's REST channel splits a text at blank lines
        elif (isinstance(text, str) and text) or buttons:
            messages.append({"text": text or "", "buttons": buttons, "links": []})
        if isinstance(reply.get("image"), str):
            messages.append({"text": "", "buttons": [], "links": [{"title": "Image", "url": reply["image"]}]})
        custom = reply.get("custom")
        if isinstance(custom, dict) and custom.get("kind") == "answer" and custom.get("url") and messages:
            messages[-1]["links"].append(
                {"title": str(custom.get("title") or "Article"), "url": str(custom["url"])}
            )
    return messages


def _plain(message: dict[str, Any]) -> bool:
    return bool(message["text"]) and not message["buttons"] and not message["links"]
