"""Reading a conversation from Rasa tracker events: transcript, turns, articles shown, and the
state the escalation policy needs (failed attempts in a row, abuse so far)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

Event = Dict[str, Any]

# Events after which the counting starts afresh: a new session, a restart, an agent handing back.
RESET_EVENTS = {"session_started", "restart", "resume"}
SEARCH_INTENTS = {"ask_question", "nlu_fallback", "out_of_scope"}
# Right after an answer, "yes" and "thanks" both say it helped.
POSITIVE_INTENTS = {"affirm", "thank"}


def iso(timestamp: Optional[float]) -> str:
    moment = dt.datetime.fromtimestamp(timestamp or 0, tz=dt.timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def intent_of(event: Event) -> Optional[str]:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def decision_of(event: Event) -> Optional[Dict[str, Any]]:
    """The machine-readable decision a bot message carries, if any."""
    custom = (event.get("data") or {}).get("custom")
    return custom if isinstance(custom, dict) and "kind" in custom else None


def since_last_reset(events: List[Event]) -> List[Event]:
    for i in range(len(events) - 1, -1, -1):
        if events[i].get("event") in RESET_EVENTS:
            return events[i + 1 :]
    return events


@dataclass(frozen=True)
class ConversationState:
    failures: int = 0  # failed attempts in a row since the last success or reset
    abuse: int = 0  # abusive messages since the last reset
    last_decision: Optional[Dict[str, Any]] = None
    last_question: Optional[str] = None  # the last customer message that was searched


def conversation_state(events: List[Event]) -> ConversationState:
    """Replays the events since the last reset. A failure is a `none` answer, "that didn't
    help", a "no" to an answer, or "something else" to a clarification; a "yes" to an answer
    clears the streak."""
    failures = abuse = 0
    last_decision: Optional[Dict[str, Any]] = None
    last_question: Optional[str] = None
    for event in since_last_reset(events):
        kind = event.get("event")
        if kind == "bot":
            decision = decision_of(event)
            if decision is not None:
                last_decision = decision
                # A search that found nothing is a failure; a "none" that answers the
                # customer's own "didn't help" or is about an off-topic message is not another.
                if decision["kind"] == "none" and "reason" not in decision:
                    failures += 1
        elif kind == "user":
            intent = intent_of(event)
            after = last_decision["kind"] if last_decision else None
            if intent == "abuse":
                abuse += 1
            elif (
                intent == "not_helpful"
                or (intent == "deny" and after == "answer")
                or (intent == "something_else" and after == "clarify")
            ):
                failures += 1
            elif intent in POSITIVE_INTENTS and after == "answer":
                failures = 0
            if intent in SEARCH_INTENTS and event.get("text"):
                last_question = event["text"]
    return ConversationState(failures, abuse, last_decision, last_question)


@dataclass
class ArticleShown:
    article_id: str
    title: Optional[str]
    url: Optional[str]
    shown_as: str
    feedback: str = "none"

    def as_dict(self) -> Dict[str, Any]:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "url": self.url,
            "shown_as": self.shown_as,
            "feedback": self.feedback,
        }


def articles_shown(events: List[Event]) -> List[ArticleShown]:
    """Every article the assistant presented, with what the customer said right after it."""
    shown: List[ArticleShown] = []
    awaiting: Optional[ArticleShown] = None
    for event in events:
        if event.get("event") == "bot":
            decision = decision_of(event)
            if decision is None:
                continue
            awaiting = None
            if decision["kind"] == "answer":
                awaiting = ArticleShown(
                    decision["article_id"], decision.get("title"), decision.get("url"), "answer"
                )
                shown.append(awaiting)
            elif decision["kind"] == "clarify":
                shown.extend(ArticleShown(a, None, None, "clarify") for a in decision.get("article_ids", []))
            elif decision["kind"] == "handoff" and decision.get("article_id"):
                shown.append(
                    ArticleShown(
                        decision["article_id"], decision.get("title"), decision.get("url"), "safety_steps"
                    )
                )
        elif event.get("event") == "user" and awaiting is not None:
            intent = intent_of(event)
            if intent in POSITIVE_INTENTS:
                awaiting.feedback = "helpful"
            elif intent in {"deny", "not_helpful"}:
                awaiting.feedback = "not_helpful"
            awaiting = None
    return shown


@dataclass
class Transcript:
    messages: List[Dict[str, Any]] = field(default_factory=list)
    turns: List[Dict[str, Any]] = field(default_factory=list)
    metadata: Dict[str, Any] = field(default_factory=dict)


def transcript_of(events: List[Event]) -> Transcript:
    """The whole conversation with timestamps, what was understood of each customer message,
    and the latest metadata the widget sent (page, locale, customer id)."""
    result = Transcript()
    for event in events:
        kind = event.get("event")
        if kind == "user":
            text = event.get("text") or ""
            intent = (event.get("parse_data") or {}).get("intent") or {}
            result.messages.append({"role": "customer", "text": text, "at": iso(event.get("timestamp"))})
            confidence = intent.get("confidence")
            result.turns.append(
                {
                    "text": text,
                    "intent": intent.get("name"),
                    "confidence": None if confidence is None else round(float(confidence), 4),
                    "at": iso(event.get("timestamp")),
                }
            )
            if event.get("metadata"):
                result.metadata.update({k: v for k, v in event["metadata"].items() if k != "model_id"})
        elif kind == "bot" and event.get("text"):
            message: Dict[str, Any] = {
                "role": "bot",
                "text": event["text"],
                "at": iso(event.get("timestamp")),
            }
            data = event.get("data") or {}
            if data.get("buttons"):
                message["buttons"] = [{"title": b["title"], "payload": b["payload"]} for b in data["buttons"]]
            if data.get("custom"):
                message["custom"] = data["custom"]
            result.messages.append(message)
    return result
