"""Hand-written event logs for the KPI tests: one builder per event, times in minutes (or
seconds) from a start, so each expected figure can be worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from desk import events as ev
from desk.events import Event, EventType
from desk.store import iso

# Monday 2 March 2026: London is on UTC until 29 March, so local days are UTC days.
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)
_ids = count(1)


def at(day: int = 0, hour: int = 0, minute: float = 0, second: float = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute, seconds=second)


def event(cid: str, moment: datetime, kind: EventType, actor: str = ev.CUSTOMER, **payload: Any) -> Event:
    model = ev.PAYLOADS[kind](**payload)  # the real payload models: a fixture cannot drift from them
    return Event(next(_ids), cid, kind, iso(moment), actor, model.model_dump(exclude_none=True))


def started(cid: str, moment: datetime, channel: str = "widget") -> Event:
    return event(cid, moment, EventType.CONVERSATION_STARTED, channel=channel)


def says(cid: str, moment: datetime) -> Event:
    return event(cid, moment, EventType.CUSTOMER_MESSAGE, message_id=next(_ids), chars=10)


def answer(cid: str, moment: datetime, article: str = "lost-card") -> Event:
    return event(cid, moment, EventType.ASSISTANT_ANSWER, ev.ASSISTANT, article_id=article)


def no_answer(cid: str, moment: datetime) -> Event:
    return event(cid, moment, EventType.ASSISTANT_NONE, ev.ASSISTANT)


def helpful(cid: str, moment: datetime, article: str = "lost-card") -> list[Event]:
    """The "Yes" button: feedback, and the assistant's resolution the desk records with it."""
    return [
        event(cid, moment, EventType.FEEDBACK, article_id=article, helpful=True),
        event(cid, moment, EventType.RESOLVED, ev.ASSISTANT, outcome="confirmed", by="assistant"),
    ]


def unhelpful(cid: str, moment: datetime, article: str = "lost-card") -> Event:
    return event(cid, moment, EventType.FEEDBACK, article_id=article, helpful=False)


def handoff(
    cid: str,
    moment: datetime,
    hid: str,
    *,
    reason: str = "customer_request",
    priority: str = "normal",
    attached_to: str | None = None,
) -> Event:
    return event(
        cid,
        moment,
        EventType.HANDOFF_REQUESTED,
        ev.ASSISTANT,
        handoff_id=hid,
        reason=reason,
        priority=priority,
        attached_to=attached_to,
    )


def queued(cid: str, moment: datetime, hid: str) -> Event:
    return event(cid, moment, EventType.QUEUED, ev.SYSTEM, handoff_id=hid)


def ticket(cid: str, moment: datetime, hid: str) -> Event:
    return event(cid, moment, EventType.TICKET_CREATED, ev.SYSTEM, handoff_id=hid)


def joined(cid: str, moment: datetime, hid: str, agent: int) -> Event:
    return event(cid, moment, EventType.AGENT_JOINED, ev.agent_actor(agent), handoff_id=hid)


def agent_says(cid: str, moment: datetime, agent: int, article: str | None = None) -> Event:
    return event(
        cid, moment, EventType.AGENT_MESSAGE, ev.agent_actor(agent), message_id=next(_ids), article_id=article
    )


def closed(cid: str, moment: datetime, hid: str, agent: int, outcome: str = "resolved") -> Event:
    return event(cid, moment, EventType.RESOLVED, ev.agent_actor(agent), handoff_id=hid, outcome=outcome)


def handed_back(cid: str, moment: datetime, hid: str, agent: int) -> Event:
    return event(cid, moment, EventType.HANDED_BACK, ev.agent_actor(agent), handoff_id=hid)


def reopened(cid: str, moment: datetime) -> Event:
    return event(cid, moment, EventType.REOPENED)


def abandoned(cid: str, moment: datetime) -> Event:
    return event(cid, moment, EventType.ABANDONED, ev.SYSTEM, idle_seconds=1800, mode="bot")


def rated(cid: str, moment: datetime, score: int, of: str) -> Event:
    return event(cid, moment, EventType.CSAT_GIVEN, score=score, of=of)
