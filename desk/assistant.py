"""The assistant relay: a customer message to Rasa and its replies back, one turn at a time per
conversation; the replies stored as bot messages, with the assistant's decisions (its `custom`
payloads: answer, clarify, none) logged as events in the same transaction; a new Rasa session
when one grows long (desk/bot_sessions.py); and the desk's own handoff when the assistant
cannot be reached. One turn at a time per conversation is a `TurnLock`: in-process here, or
across every replica through Redis (desk/replicas/turn_locks.py, when DESK_REDIS_URL is set)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from desk import events as ev
from desk.bot_sessions import SESSION_START, BotSessions
from desk.clients import RasaClient
from desk.csat import RESOLVING_DECISIONS, Satisfaction
from desk.errors import UpstreamUnavailable
from desk.handoffs import Handoffs
from desk.notifications import Notifier
from desk.state import Mode
from desk.store import Conversation, Message, Store

log = logging.getLogger(__name__)

RETRY_DELAY_SECONDS = 0.3


class TurnLock(Protocol):
    def hold(self, conversation_id: str) -> AbstractAsyncContextManager[None]:
        """Held for one exchange with the assistant; waits for the one before, in arrival order."""
        ...


@dataclass
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class TurnLocks:
    """One exchange with the assistant at a time per conversation, in arrival order; a lock is
    dropped once nobody holds or waits for it, so idle conversations cost nothing."""

    def __init__(self) -> None:
        self._turns: dict[str, _Turn] = {}

    @asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        turn = self._turns.setdefault(conversation_id, _Turn())
        turn.users += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.users -= 1
            if turn.users == 0:
                del self._turns[conversation_id]


class Assistant:
    def __init__(
        self,
        *,
        store: Store,
        rasa: RasaClient,
        notify: Notifier,
        handoffs: Handoffs,
        session_turns: int,
        satisfaction: Satisfaction | None = None,
        turn_locks: TurnLock | None = None,
    ) -> None:
        self.store = store
        self.satisfaction = satisfaction
        self.rasa = rasa
        self.notify = notify
        self.handoffs = handoffs
        self.turns: TurnLock = turn_locks or TurnLocks()
        self.sessions = BotSessions(session_turns)

    async def turn(
        self, conversation_id: str, text: str, asked_for_person: bool, *, only_if_last: int | None = None
    ) -> None:
        """One customer message to the assistant and its replies to the customer. With
        `only_if_last` (a redriven message's id) the turn is skipped unless that message is
        still the conversation's last word once the turn is this one's: another replica may
        have answered it meanwhile."""
        async with self.turns.hold(conversation_id):
            conversation = self._conversation(conversation_id)
            if conversation.mode != Mode.BOT:
                return  # handed over while this message waited its turn; agents have it
            if only_if_last is not None:
                last = self.store.last_message(conversation_id, roles=("customer", "bot", "agent", "system"))
                if last is None or last.id != only_if_last:
                    log.info("conversation %s: message %d answered meanwhile", conversation_id, only_if_last)
                    return
            self.notify.assistant_typing(conversation_id, True)
            try:
                replies = await self._ask(conversation, text)
            finally:
                self.notify.assistant_typing(conversation_id, False)
            if replies:
                self.store_replies(conversation_id, replies)
            elif (conversation := self._conversation(conversation_id)).mode == Mode.BOT:
                # Neither an answer nor a handoff: never leave the customer talking to nobody.
                reason = "customer_request" if asked_for_person else "assistant_unavailable"
                self.handoffs.from_desk(
                    conversation, reason, self.store.messages(conversation_id, roles=("customer", "bot"))
                )
                message, _ = self.store.add_message(
                    conversation_id,
                    "system",
                    "Our assistant can't answer right now, so your conversation has been passed to our team.",
                )
                self.notify.message(self._conversation(conversation_id), message)

    async def hand_back(self, conversation_id: str) -> list[dict[str, Any]]:
        """Resume the Rasa conversation and trigger `handed_back`; its replies (the greeting).
        UpstreamUnavailable when Rasa cannot be reached (then nothing has changed)."""
        await self.rasa.resume(conversation_id)
        return await self.rasa.trigger_intent(conversation_id, "handed_back")

    def store_replies(self, conversation_id: str, replies: list[dict[str, Any]]) -> None:
        messages, orphans = bot_messages(replies)
        resolved = False
        for reply in messages:
            events = decision_events(conversation_id, reply["decisions"])
            resolution = self._resolution(conversation_id, reply["decisions"])
            if resolution is not None:
                events.append(resolution)
                resolved = True
            message, _ = self.store.add_message(
                conversation_id,
                "bot",
                reply["text"],
                buttons=reply["buttons"],
                links=reply["links"],
                record=_always(events),
            )
            self.notify.message(self._conversation(conversation_id), message)
        if orphans:
            events = decision_events(conversation_id, orphans)
            resolution = self._resolution(conversation_id, orphans)
            self.store.append_events([*events, resolution] if resolution is not None else events)
            resolved = resolved or resolution is not None
        if resolved and self.satisfaction is not None:
            self.satisfaction.offer(conversation_id)

    def _resolution(self, conversation_id: str, decisions: list[dict[str, Any]]) -> ev.NewEvent | None:
        """The customer confirmed the assistant's answer in words, or said goodbye after it (the
        action server's `confirmed` and `goodbye` decisions): a resolution (desk/csat.py)."""
        kinds = [RESOLVING_DECISIONS[d["kind"]] for d in decisions if d.get("kind") in RESOLVING_DECISIONS]
        if not kinds or self.satisfaction is None:
            return None
        return self.satisfaction.assistant_resolution(conversation_id, kinds[0])

    def forget(self, conversation_id: str) -> None:
        self.sessions.forget(conversation_id)

    async def _ask(self, conversation: Conversation, text: str) -> list[dict[str, Any]]:
        """The assistant's replies; an empty list after one retry means it failed (NOTES.md)."""
        for attempt in range(2):
            try:
                if conversation.bot_paused:
                    await self.rasa.resume(conversation.id)
                    self.store.update_conversation(conversation.id, bot_paused=0)
                    conversation = self._conversation(conversation.id)
                await self._keep_session_short(conversation)
                replies = await self.rasa.send(conversation.id, text, conversation.metadata)
                self.sessions.counted(conversation.id)
            except UpstreamUnavailable as e:
                log.warning("assistant turn failed (attempt %d): %s", attempt + 1, e)
                replies = []
            if replies or self._conversation(conversation.id).mode != Mode.BOT:
                return replies
            await asyncio.sleep(RETRY_DELAY_SECONDS)
        return []

    async def _keep_session_short(self, conversation: Conversation) -> None:
        """A new Rasa session when this one is long (desk/bot_sessions.py); its reply is empty."""
        last_bot = self.store.last_message(conversation.id, roles=("bot",))
        if self.sessions.due(conversation.id, awaiting_answer=bool(last_bot and last_bot.buttons)):
            await self.rasa.send(conversation.id, SESSION_START, conversation.metadata)
            self.sessions.started(conversation.id)

    def _conversation(self, conversation_id: str) -> Conversation:
        conversation = self.store.conversation(conversation_id)
        assert conversation is not None
        return conversation


def bot_messages(replies: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rasa REST replies as desk messages: consecutive plain texts joined into one (the REST
    channel sends each paragraph on its own), text with its buttons; an answer's article (sent
    as a separate `custom` message) becomes a link on the text before it; images become links.
    Each message carries the assistant's decisions (`custom` payloads) that came with it; those
    before any text are returned apart."""
    messages: list[dict[str, Any]] = []
    orphans: list[dict[str, Any]] = []
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
            messages.append({"text": text or "", "buttons": buttons, "links": [], "decisions": []})
        if isinstance(reply.get("image"), str):
            messages.append(
                {
                    "text": "",
                    "buttons": [],
                    "links": [{"title": "Image", "url": reply["image"]}],
                    "decisions": [],
                }
            )
        custom = reply.get("custom")
        if isinstance(custom, dict):
            (messages[-1]["decisions"] if messages else orphans).append(custom)
            if custom.get("kind") == "answer" and custom.get("url") and messages:
                messages[-1]["links"].append(
                    {"title": str(custom.get("title") or "Article"), "url": str(custom["url"])}
                )
    return messages, orphans


def _always(events: list[ev.NewEvent]) -> Callable[[Message], list[ev.NewEvent]]:
    def record(_message: Message) -> list[ev.NewEvent]:
        return events

    return record


def _plain(message: dict[str, Any]) -> bool:
    return bool(message["text"]) and not message["buttons"] and not message["links"]


def decision_events(conversation_id: str, decisions: list[dict[str, Any]]) -> list[ev.NewEvent]:
    """The assistant's decisions as events; anything malformed is skipped (it is only a record)."""
    found: list[ev.NewEvent] = []
    for custom in decisions:
        payload = decision_payload(custom)
        if payload is not None:
            found.append(ev.NewEvent(conversation_id, ev.ASSISTANT, payload))
    return found


def decision_payload(custom: dict[str, Any]) -> ev._Payload | None:
    kind = custom.get("kind")
    try:
        if kind == "answer" and custom.get("article_id"):
            return ev.AssistantAnswer(
                article_id=str(custom["article_id"]),
                score=_number(custom.get("score")),
                confidence=_number(custom.get("confidence")),
                verdict=custom.get("verdict") or "answer",
            )
        if kind == "clarify":
            return ev.AssistantClarify(article_ids=[str(a) for a in custom.get("article_ids") or []][:10])
        if kind == "none":
            reason = custom.get("reason") or custom.get("error")
            return ev.AssistantNone(reason=str(reason) if reason else None)
    except ValueError:
        log.warning("an assistant decision of kind %r could not be recorded", kind)
    return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def last_answer(store: Store, conversation_id: str) -> str | None:
    """The article of the assistant's last decision, when that decision was an answer."""
    last = store.last_event(
        conversation_id,
        (ev.EventType.ASSISTANT_ANSWER, ev.EventType.ASSISTANT_CLARIFY, ev.EventType.ASSISTANT_NONE),
    )
    if last is None or last.type != ev.EventType.ASSISTANT_ANSWER:
        return None
    article_id = last.payload.get("article_id")
    return str(article_id) if article_id else None
