"""One conversation's event log folded into the facts the KPIs count: its start, channel, topic,
outcome, handoffs with their times, the assistant's reply times, ratings and article feedback.

The outcome follows the customer's need: the first customer message opens one, and so does
every later question the assistant answers, a handoff or a reopening; a resolution (the
customer confirming an answer or saying goodbye after one, or an agent closing it as
`resolved`) settles it; an `abandoned` event counts only while a need is open, so a customer
who simply leaves after a confirmed answer has not abandoned anything."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from desk.events import Event, EventType
from desk.store.database import parse_time

Outcome = Literal["resolved", "abandoned", "closed", "open"]
UNCLASSIFIED = "unclassified"
# Agent closures after which the customer is asked for a rating (spam and duplicates are not).
RATED_OUTCOMES = frozenset({"resolved", "unresolved"})


@dataclass(frozen=True, slots=True)
class Rating:
    of: Literal["assistant", "agent"]
    score: int
    agent_id: int | None  # of an agent rating: who closed the conversation rated


@dataclass(slots=True)
class HandoffFacts:
    id: str
    priority: str
    reason: str
    requested_at: datetime
    ticket_at: datetime | None = None  # became a ticket before any agent replied
    joined_by: int | None = None  # the first agent to claim it
    joined_at: datetime | None = None
    first_reply_at: datetime | None = None  # the first agent message while it was open
    first_response: float | None = None  # the claiming agent's first message, seconds after claiming
    left_at: datetime | None = None  # the customer left, or it was closed, before any reply
    closed_at: datetime | None = None
    closed_by: int | None = None
    outcome: str | None = None  # resolved, unresolved, duplicate, spam, handed_back

    @property
    def is_ticket(self) -> bool:
        return self.ticket_at is not None

    @property
    def resolved(self) -> bool:
        return self.outcome == "resolved"


@dataclass(slots=True)
class ConversationFacts:
    id: str
    started_at: datetime
    channel: str = "widget"
    topic: str = UNCLASSIFIED
    customer_messages: int = 0
    outcome: Outcome = "open"
    resolved_at: datetime | None = None  # the last resolution
    resolved_by_assistant: bool = False
    came_back: bool = False  # wrote again after an agent closed it, with a new need
    handoffs: list[HandoffFacts] = field(default_factory=list)
    reply_times: list[float] = field(default_factory=list)  # the assistant's, in seconds
    ratings: list[Rating] = field(default_factory=list)
    agent_ratings_asked: int = 0
    answers: list[str] = field(default_factory=list)  # articles the assistant answered with
    feedback: list[tuple[str, bool]] = field(default_factory=list)  # (article, helpful)
    agents: set[int] = field(default_factory=set)  # took part: claimed, wrote or closed

    @property
    def counted(self) -> bool:
        """A conversation counts once the customer wrote in it or it was handed over."""
        return self.customer_messages > 0 or bool(self.handoffs)

    @property
    def escalated(self) -> bool:
        return bool(self.handoffs)

    @property
    def escalation_reason(self) -> str | None:
        return self.handoffs[0].reason if self.handoffs else None

    @property
    def contained(self) -> bool:
        return self.outcome == "resolved" and not self.escalated

    @property
    def assistant_rating_asked(self) -> bool:
        return self.resolved_by_assistant  # asked once per conversation (desk/csat.py)


def agent_of(actor: str) -> int | None:
    kind, _, number = actor.partition(":")
    return int(number) if kind == "agent" and number.isdigit() else None


class _Folder:
    """Reads one conversation's events in order, one handler per event type (`HANDLERS`)."""

    def __init__(self, first: Event) -> None:
        self.facts = ConversationFacts(id=first.conversation_id, started_at=parse_time(first.at))
        self.by_id: dict[str, HandoffFacts] = {}
        self.current: HandoffFacts | None = None  # the open handoff
        self.awaiting: datetime | None = None  # a customer message the assistant has not answered
        self.with_people = False
        self.reopened = False  # an agent's closure the customer wrote after, not yet followed by a need
        self.last_closer: int | None = None  # the agent whose closure a rating is about
        self.topic_article: str | None = None

    def need(self) -> None:
        self.facts.outcome = "open"
        if self.reopened:
            self.facts.came_back, self.reopened = True, False

    def started(self, e: Event, at: datetime, agent: int | None) -> None:
        self.facts.started_at, self.facts.channel = at, str(e.payload.get("channel", "widget"))

    def customer_message(self, e: Event, at: datetime, agent: int | None) -> None:
        self.facts.customer_messages += 1
        self.awaiting = None if self.with_people else at

    def decision(self, e: Event, at: datetime, agent: int | None) -> None:
        if self.awaiting is not None:
            self.facts.reply_times.append((at - self.awaiting).total_seconds())
            self.awaiting = None
        if e.type == EventType.ASSISTANT_ANSWER:
            self.facts.answers.append(str(e.payload["article_id"]))
            self.topic_article = self.topic_article or str(e.payload["article_id"])
        self.need()

    def feedback(self, e: Event, at: datetime, agent: int | None) -> None:
        self.facts.feedback.append((str(e.payload["article_id"]), bool(e.payload["helpful"])))

    def handoff_requested(self, e: Event, at: datetime, agent: int | None) -> None:
        self.awaiting = None
        if e.payload.get("attached_to"):
            return  # a late request joining the open handoff: not another escalation
        p = e.payload
        self.current = HandoffFacts(str(p["handoff_id"]), str(p["priority"]), str(p["reason"]), at)
        self.by_id[self.current.id] = self.current
        self.facts.handoffs.append(self.current)
        self.with_people = True
        self.need()

    def ticket_created(self, e: Event, at: datetime, agent: int | None) -> None:
        handoff = self.by_id.get(str(e.payload["handoff_id"]))
        if handoff is not None and handoff.first_reply_at is None and handoff.ticket_at is None:
            handoff.ticket_at = at

    def agent_joined(self, e: Event, at: datetime, agent: int | None) -> None:
        handoff = self.by_id.get(str(e.payload["handoff_id"]))
        if handoff is not None and handoff.joined_at is None:
            handoff.joined_by, handoff.joined_at = agent, at

    def agent_message(self, e: Event, at: datetime, agent: int | None) -> None:
        handoff = self.current
        if handoff is None:
            return
        if handoff.first_reply_at is None:
            handoff.first_reply_at = at
        if handoff.first_response is None and handoff.joined_at is not None and agent == handoff.joined_by:
            handoff.first_response = (at - handoff.joined_at).total_seconds()
        if self.topic_article is None and e.payload.get("article_id"):
            self.topic_article = str(e.payload["article_id"])

    def resolved(self, e: Event, at: datetime, agent: int | None) -> None:
        if e.payload.get("by") == "assistant":
            self.facts.resolved_by_assistant = True
            self.facts.outcome, self.facts.resolved_at = "resolved", at
            return
        outcome = str(e.payload.get("outcome", "resolved"))
        self._close(str(e.payload.get("handoff_id")), at, agent, outcome)
        if outcome in RATED_OUTCOMES:
            self.facts.agent_ratings_asked += 1
            self.last_closer = agent
        if outcome == "resolved":
            self.facts.outcome, self.facts.resolved_at = "resolved", at
        else:
            self.facts.outcome = "closed"

    def handed_back(self, e: Event, at: datetime, agent: int | None) -> None:
        self._close(str(e.payload["handoff_id"]), at, agent, "handed_back")

    def _close(self, handoff_id: str, at: datetime, agent: int | None, outcome: str) -> None:
        handoff = self.by_id.get(handoff_id)
        if handoff is not None:
            handoff.closed_at, handoff.closed_by, handoff.outcome = at, agent, outcome
            _wait_ends(handoff, at)
        self.current, self.with_people, self.awaiting = None, False, None

    def reopened_event(self, e: Event, at: datetime, agent: int | None) -> None:
        self.reopened = True

    def abandoned(self, e: Event, at: datetime, agent: int | None) -> None:
        if self.current is not None:
            _wait_ends(self.current, at)
        if self.facts.outcome == "open" and self.facts.counted:
            self.facts.outcome = "abandoned"

    def csat_given(self, e: Event, at: datetime, agent: int | None) -> None:
        of: Literal["assistant", "agent"] = "agent" if e.payload.get("of") == "agent" else "assistant"
        closer = self.last_closer if of == "agent" else None
        self.facts.ratings.append(Rating(of, int(e.payload["score"]), closer))


Handler = Callable[[_Folder, Event, datetime, "int | None"], None]
HANDLERS: dict[EventType, Handler] = {
    EventType.CONVERSATION_STARTED: _Folder.started,
    EventType.CUSTOMER_MESSAGE: _Folder.customer_message,
    EventType.ASSISTANT_ANSWER: _Folder.decision,
    EventType.ASSISTANT_CLARIFY: _Folder.decision,
    EventType.ASSISTANT_NONE: _Folder.decision,
    EventType.FEEDBACK: _Folder.feedback,
    EventType.HANDOFF_REQUESTED: _Folder.handoff_requested,
    EventType.TICKET_CREATED: _Folder.ticket_created,
    EventType.AGENT_JOINED: _Folder.agent_joined,
    EventType.AGENT_MESSAGE: _Folder.agent_message,
    EventType.RESOLVED: _Folder.resolved,
    EventType.HANDED_BACK: _Folder.handed_back,
    EventType.REOPENED: _Folder.reopened_event,
    EventType.ABANDONED: _Folder.abandoned,
    EventType.CSAT_GIVEN: _Folder.csat_given,
}  # queued, internal notes and contact details change no KPI
_TOOK_PART = (EventType.AGENT_JOINED, EventType.AGENT_MESSAGE, EventType.RESOLVED, EventType.HANDED_BACK)


def fold(events: Iterable[Event], topic_of: Mapping[str, str]) -> ConversationFacts:
    """The facts of one conversation from its events; `topic_of` maps an article id to its
    knowledge-base topic."""
    ordered = sorted(events, key=lambda e: e.id)
    folder = _Folder(ordered[0])
    for event in ordered:
        agent = agent_of(event.actor)
        if agent is not None and event.type in _TOOK_PART:
            folder.facts.agents.add(agent)
        handler = HANDLERS.get(event.type)
        if handler is not None:
            handler(folder, event, parse_time(event.at), agent)
    if folder.topic_article is not None:
        folder.facts.topic = topic_of.get(folder.topic_article, UNCLASSIFIED)
    return folder.facts


def _wait_ends(handoff: HandoffFacts, at: datetime) -> None:
    """The customer stopped waiting for a first reply without getting one."""
    if handoff.first_reply_at is None and handoff.left_at is None:
        handoff.left_at = at


def fold_all(events: Iterable[Event], topic_of: Mapping[str, str]) -> list[ConversationFacts]:
    """Every conversation in `events`, in the order each first appears."""
    grouped: dict[str, list[Event]] = {}
    for event in events:
        grouped.setdefault(event.conversation_id, []).append(event)
    return [fold(group, topic_of) for group in grouped.values()]
