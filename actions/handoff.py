"""Handing a conversation to a person: the full context the agent needs, sent idempotently to
the desk, kept in the outbox if the desk is down, and the conversation paused."""

from __future__ import annotations

import abc
import datetime as dt
import functools
import logging
import traceback
import uuid
from dataclasses import replace
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import replies
from actions.conversation import ArticleShown, articles_shown, conversation_state, transcript_of
from actions.errors import RejectedRequest, ServiceUnavailable
from actions.escalation import Decision, Reason, Signal, decide, sensitive_hit
from actions.services import Services, default_services

log = logging.getLogger(__name__)

REASON_TEXT = {
    Reason.CUSTOMER_REQUEST: "Customer asked for a person",
    Reason.SENSITIVE_TOPIC: "Sensitive topic",
    Reason.REPEATED_FAILURE: "The assistant failed twice in a row",
    Reason.DECLINED_ALTERNATIVES: "Customer turned down the suggested articles",
    Reason.COMPLAINT: "Complaint or strong frustration",
    Reason.ABUSE: "Abusive messages after a warning",
}


def summarise(reason: Reason, trigger: str, shown: List[ArticleShown], first_question: Optional[str]) -> str:
    """One or two lines an agent reads in five seconds."""
    parts = [f"{REASON_TEXT[reason]}."]
    if first_question and first_question != trigger:
        parts.append(f'First asked: "{first_question[:120]}".')
    parts.append(f'Last message: "{trigger[:160]}".')
    answered = [a for a in shown if a.shown_as in ("answer", "safety_steps")]
    if answered:
        labels = [f"{a.title or a.article_id} ({a.feedback.replace('_', ' ')})" for a in answered[-3:]]
        parts.append("Shown: " + "; ".join(labels) + ".")
    return " ".join(parts)[:600]


MAX_TRANSCRIPT = 60


def current_session(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The events since the last `session_started` (all of them if there is none)."""
    for position in range(len(events) - 1, -1, -1):
        if events[position].get("event") == "session_started":
            return events[position + 1 :]
    return events


def build_payload(
    tracker: Tracker,
    reason: Reason,
    priority: str,
    *,
    handoff_id: Optional[str] = None,
    now: Optional[dt.datetime] = None,
    shown_now: Optional[ArticleShown] = None,
) -> Dict[str, Any]:
    """The request body of POST /api/handoffs (docs/contracts/handoff.schema.json), from the
    current Rasa session only (the desk keeps the whole history), at most the latest
    `MAX_TRANSCRIPT` messages and turns, so a long conversation never makes it too large.
    `shown_now`: an article shown in this very turn, which the tracker does not hold yet."""
    events = current_session(tracker.events)
    conversation = transcript_of(events)
    conversation.messages = conversation.messages[-MAX_TRANSCRIPT:]
    conversation.turns = conversation.turns[-MAX_TRANSCRIPT:]
    shown = articles_shown(events) + ([shown_now] if shown_now else [])
    trigger_event = next((e for e in reversed(events) if e.get("event") == "user"), None)
    trigger_text = (trigger_event or {}).get("text") or ""
    first_question = next((t["text"] for t in conversation.turns if t["intent"] not in ("greet", None)), None)
    metadata = conversation.metadata
    moment = now or dt.datetime.now(dt.timezone.utc)
    return {
        "version": 1,
        "handoff_id": handoff_id or f"ho_{uuid.uuid4().hex}",
        "conversation_id": tracker.sender_id,
        "reason": reason.value,
        "priority": priority,
        "summary": summarise(reason, trigger_text, shown, first_question),
        "trigger": {
            "text": trigger_text,
            "at": conversation.turns[-1]["at"]
            if conversation.turns
            else moment.isoformat(timespec="seconds"),
        },
        "transcript": conversation.messages,
        "turns": conversation.turns,
        "articles_shown": [a.as_dict() for a in shown],
        "customer": {
            "name": tracker.get_slot("customer_name") or metadata.get("customer_name"),
            "email": tracker.get_slot("customer_email") or metadata.get("customer_email"),
            "customer_id": metadata.get("customer_id"),
        },
        "metadata": metadata,
        "requested_at": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


async def hand_over(
    services: Services,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    decision: Decision,
    *,
    article: Optional[Dict[str, Any]] = None,
) -> List[EventType]:
    """Send the handoff (or keep it in the outbox), tell the customer honestly, pause the bot."""
    assert decision.reason is not None
    shown_now = (
        ArticleShown(article["id"], article["title"], article["url"], "safety_steps")
        if article is not None
        else None
    )
    payload = build_payload(tracker, decision.reason, decision.priority, shown_now=shown_now)
    result, status = await deliver_handoff(services, payload)
    custom: Dict[str, Any] = {
        "kind": "handoff",
        "reason": decision.reason.value,
        "handoff_id": payload["handoff_id"],
        "status": status,
        "priority": decision.priority,
    }
    if result and result.get("queue_position") is not None:
        custom["queue_position"] = result["queue_position"]
    if result and result.get("estimated_wait_seconds") is not None:
        custom["estimated_wait_seconds"] = result["estimated_wait_seconds"]
    if article is not None:
        custom.update(article_id=article["id"], title=article["title"], url=article["url"])
    log.info(
        "conversation %s: handoff %s (%s, %s)",
        tracker.sender_id,
        payload["handoff_id"],
        decision.reason.value,
        status,
    )
    text = (
        replies.REFUSED_TEXT if status == "refused" else replies.handoff_text(result, decision.reason.value)
    )
    dispatcher.utter_message(text=text, json_message=custom)
    # Rasa records no action_listen after a pause; without one the rules would not recognise
    # the customer's next messages (nor the hand-back) once the conversation resumes.
    return [ConversationPaused(), ActionExecuted("action_listen")]


async def deliver_handoff(
    services: Services, payload: Dict[str, Any]
) -> Tuple[Optional[Dict[str, Any]], str]:
    """Write the handoff to the outbox, send it, mark it delivered: (the desk's answer, status).
    `pending` when the desk cannot be reached (the worker retries); `refused` when the desk
    turned it down (a token or contract problem: an operator must look, and the customer is
    told the truth rather than that someone is coming)."""
    handoff_id = payload["handoff_id"]
    services.worker.ensure_running()
    services.outbox.keep(payload, hold_seconds=2 * services.settings.http_timeout_seconds + 5)
    try:
        result = await services.desk.create_handoff(payload)
    except ServiceUnavailable as e:
        log.warning("handoff %s: desk unreachable, kept in the outbox for retry: %s", handoff_id, e)
        services.outbox.failed(handoff_id, str(e))
        return None, "pending"
    except RejectedRequest as e:
        log.error("handoff %s REFUSED by the desk (kept in the outbox for an operator): %s", handoff_id, e)
        services.outbox.failed(handoff_id, str(e), permanent=True)
        return None, "refused"
    services.outbox.delivered(handoff_id)
    return result, str(result.get("status", "queued"))


async def present_sensitive(
    action: ServiceAction, dispatcher: CollectingDispatcher, tracker: Tracker, article_id: str
) -> List[EventType]:
    """Safety steps first (freeze the card, ...), then a person."""
    article = await action.services.kb.article(article_id)
    steps = replies.key_steps(article["body"], action.services.settings.steps_shown)
    dispatcher.utter_message(text=replies.answer_text(article, steps))
    decision = decide(Signal.SENSITIVE_ARTICLE, failures=0, abuse=0, policy=action.services.policy)
    return await hand_over(action.services, dispatcher, tracker, decision, article=article)


class ServiceAction(Action, abc.ABC):  # type: ignore[misc]  # rasa-sdk ships no type information
    """An action whose clients come in through the constructor (the SDK builds actions with no
    arguments, so the defaults are the shared services). Abstract, so the SDK does not
    register it as an action itself."""

    def __init__(self, services: Optional[Services] = None) -> None:
        self._services = services

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "run" in cls.__dict__:
            cls.run = _answering_honestly(cls.__dict__["run"])

    @property
    def services(self) -> Services:
        return self._services or default_services()

    @abc.abstractmethod
    def name(self) -> str: ...


FAILED_TEXT = (
    "Sorry, something went wrong on our side and I couldn't finish that. Please try again, "
    "or ask for a person and a member of our team will help."
)
PERSON_BUTTON = {"title": "Talk to a person", "payload": "/request_human"}
RunMethod = Callable[..., Awaitable[List[EventType]]]


def _answering_honestly(run: RunMethod) -> RunMethod:
    """Every action's `run`, guarded: a failure is logged without the tracker or the exception's
    text (either can hold what the customer typed) and the customer is told the truth, with a
    way to reach a person. Left to the SDK, the failure would put the whole tracker in Rasa's
    ERROR log and leave the customer with no reply."""

    @functools.wraps(run)
    async def guarded(
        self: ServiceAction, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        try:
            return await run(self, dispatcher, tracker, domain)
        except Exception as e:
            where = traceback.extract_tb(e.__traceback__)[-1]
            log.error(
                "conversation %s: %s failed with %s at %s:%s",
                tracker.sender_id,
                self.name(),
                type(e).__name__,
                where.filename.rsplit("/", 1)[-1],
                where.lineno,
            )
            dispatcher.utter_message(text=FAILED_TEXT, buttons=[PERSON_BUTTON])
            return []

    return guarded


INTENT_SIGNALS = {
    "request_human": Signal.ASKED_FOR_PERSON,
    "complain": Signal.COMPLAINT,
}


class ActionHandoff(ServiceAction):
    """The customer asked for a person, or complained."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        signal = INTENT_SIGNALS.get(intent or "", Signal.ASKED_FOR_PERSON)
        sensitive = await self._sensitive_topic(tracker)
        if sensitive is not None:
            # "Someone is using my card, get me a person": the person, with the safety steps first.
            return await present_sensitive(self, dispatcher, tracker, sensitive)
        state = conversation_state(tracker.events)
        decision = decide(signal, failures=state.failures, abuse=state.abuse, policy=self.services.policy)
        return await hand_over(self.services, dispatcher, tracker, decision)

    async def _sensitive_topic(self, tracker: Tracker) -> Optional[str]:
        """The sensitive article a request for a person is about, when it names one plausibly."""
        text = (tracker.latest_message.get("text") or "").strip()
        if len(text.split()) < self.services.settings.topic_min_words:
            return None
        try:
            result = await self.services.kb.search(text)
        except (ServiceUnavailable, RejectedRequest):
            return None  # the person matters more than the safety steps: hand over regardless
        # Most of such a message asks for the person, so the topic must stand out: a verdict
        # of answer or clarify, not just a weak first hit ("someone to speak to about a payment").
        hit = sensitive_hit(result, replace(self.services.policy, sensitive_min_confidence=1.0))
        return None if hit is None else str(hit["article_id"])


class ActionHandleAbuse(ServiceAction):
    """One calm warning, then a person."""

    def name(self) -> str:
        return "action_handle_abuse"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        state = conversation_state(tracker.events)
        decision = decide(
            Signal.ABUSE, failures=state.failures, abuse=state.abuse, policy=self.services.policy
        )
        if decision.handoff:
            return await hand_over(self.services, dispatcher, tracker, decision)
        dispatcher.utter_message(text=replies.ABUSE_WARNING_TEXT)
        return []


class ActionHandedBack(ServiceAction):
    """An agent handed the conversation back: the assistant says so and listens again."""

    def name(self) -> str:
        return "action_handed_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(text=replies.HANDED_BACK_TEXT)
        return []
