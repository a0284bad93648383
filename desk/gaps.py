"""What customers could not find: the questions behind the assistant's failures, read from the
event log (desk/events.py), with their text from the messages, masked.

Events carry message ids, never text, so each failure is pinned to the customer's question by
walking its conversation's events in order. The question a decision is about is the last message
the customer typed (quick-reply buttons are not questions) when the assistant answered,
clarified or found nothing; later feedback, a declined clarification or a handoff refer back to
it. The kinds of failure:

- `none`: the assistant found nothing (`assistant_none` with no reason, or out of scope);
- `declined`: the customer turned a clarification down ("Something else": `assistant_none`
  with reason `declined_alternatives`, or a handoff for that reason);
- `not_helpful`: "No" to "Did that answer your question?" (`feedback` with helpful false) or a
  typed "that didn't help" (`assistant_none` with reason `not_helpful`);
- `handed_over`: a handoff for a reason other than the customer's own choice. Not counted: a
  request for a person (`customer_request`), a sensitive topic (handed over by design, after
  its article's safety steps: the help centre did find it) and abuse (not a question).

The action server asks the desk for a handoff before its reply reaches the desk, so a handoff
event comes before the `none` of the same turn: it waits for that turn's decision, and
otherwise settles on the question the failures were about (repeated failures, a declined
clarification) or on the last typed message (a complaint, the assistant unreachable).
Assistant errors (the knowledge service down) are outages, not gaps, and are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from desk.events import Event, EventType
from desk.masking import mask_cards, mask_contacts
from desk.store import EventLog, Message

PAGE = 1000
# The most recent conversations with a failure that one report reads (each is one query).
MAX_CONVERSATIONS = 3000
NOT_GAPS = frozenset({"customer_request", "sensitive_topic", "abuse"})
# A handoff for these reasons is about the question the failures were about.
AFTER_FAILURES = frozenset({"repeated_failure", "declined_alternatives"})
TRIGGERS = (EventType.ASSISTANT_NONE, EventType.FEEDBACK, EventType.HANDOFF_REQUESTED)
CONTEXT = (
    EventType.CUSTOMER_MESSAGE,
    EventType.ASSISTANT_ANSWER,
    EventType.ASSISTANT_CLARIFY,
    *TRIGGERS,
)


class GapKind(StrEnum):
    NONE = "none"
    DECLINED = "declined"
    NOT_HELPFUL = "not_helpful"
    HANDED_OVER = "handed_over"


@dataclass(frozen=True, slots=True)
class GapQuestion:
    """A customer's question the assistant failed on, and how (one or more kinds)."""

    message_id: int
    conversation_id: str
    text: str  # masked: card numbers, emails, phone numbers
    at: str  # when the customer asked
    kinds: frozenset[GapKind]


class GapSource(EventLog, Protocol):
    """What collecting reads: the event log and the customers' messages (desk.store.Store)."""

    def messages(
        self, conversation_id: str, *, after: int = 0, roles: Iterable[str] | None = None
    ) -> list[Message]: ...


def collect_gaps(source: GapSource, *, since: str, kinds: Iterable[GapKind] = ()) -> list[GapQuestion]:
    """The questions customers asked since `since` (an ISO time) that the assistant failed on,
    newest first; only those of `kinds` when given."""
    wanted = frozenset(kinds)
    found: list[GapQuestion] = []
    for conversation_id in _conversations_with_failures(source, since):
        events = source.events(conversation_id=conversation_id, types=CONTEXT, limit=100_000)
        failed = failures(events)
        if not failed:
            continue
        for message in source.messages(conversation_id, roles=("customer",)):
            how = failed.get(message.id)
            if how and message.at >= since and (not wanted or how & wanted) and message.text.strip():
                text = mask_contacts(mask_cards(message.text))
                found.append(GapQuestion(message.id, conversation_id, text, message.at, frozenset(how)))
    return sorted(found, key=lambda q: q.message_id, reverse=True)


def _conversations_with_failures(source: GapSource, since: str) -> list[str]:
    """The conversations with a failure event since `since`, most recent first, at most
    MAX_CONVERSATIONS."""
    latest: dict[str, int] = {}
    after = 0
    while True:
        page = source.events(types=TRIGGERS, since=since, after_id=after, limit=PAGE)
        for event in page:
            if is_failure(event):
                latest[event.conversation_id] = event.id
        if len(page) < PAGE:
            break
        after = page[-1].id
    return sorted(latest, key=latest.__getitem__, reverse=True)[:MAX_CONVERSATIONS]


def is_failure(event: Event) -> bool:
    payload = event.payload
    if event.type == EventType.ASSISTANT_NONE:
        return payload.get("reason") in _NONE_KINDS
    if event.type == EventType.FEEDBACK:
        return payload.get("helpful") is False
    if event.type == EventType.HANDOFF_REQUESTED:
        return payload.get("reason") not in NOT_GAPS
    return False


_NONE_KINDS: dict[str | None, GapKind] = {
    None: GapKind.NONE,
    "out_of_scope": GapKind.NONE,
    "not_helpful": GapKind.NOT_HELPFUL,
    "declined_alternatives": GapKind.DECLINED,
}


@dataclass
class _Walk:
    """One conversation's events read in order: which typed message each failure is about."""

    last_typed: int | None = None
    question: int | None = None  # the typed message the assistant's last decision was about
    handoff: str | None = None  # the reason of a handoff waiting for its turn's decision
    found: dict[int, set[GapKind]] = field(default_factory=dict)

    def mark(self, message_id: int | None, *kinds: GapKind) -> None:
        if message_id is not None:
            self.found.setdefault(message_id, set()).update(kinds)

    def settle_handoff(self, on: int | None = None) -> None:
        reason, self.handoff = self.handoff, None
        if reason is None:
            return
        if on is None:
            earlier = self.question if self.question is not None else self.last_typed
            on = earlier if reason in AFTER_FAILURES else self.last_typed
        self.mark(on, GapKind.HANDED_OVER)
        if reason == "declined_alternatives":
            self.mark(on, GapKind.DECLINED)

    def read(self, event: Event) -> None:
        payload = event.payload
        if event.type == EventType.CUSTOMER_MESSAGE:
            self.settle_handoff()
            if not payload.get("button"):
                self.last_typed = int(payload["message_id"])
        elif event.type in (EventType.ASSISTANT_ANSWER, EventType.ASSISTANT_CLARIFY):
            self.question = self.last_typed
        elif event.type == EventType.ASSISTANT_NONE:
            kind = _NONE_KINDS.get(payload.get("reason"))
            if kind == GapKind.NONE or payload.get("reason") not in _NONE_KINDS:
                self.question = self.last_typed  # a decision on it (an error: only that)
            about = self.question if self.question is not None else self.last_typed
            if kind is not None:
                self.mark(about, kind)
            if kind == GapKind.NONE:
                self.settle_handoff(on=about)
        elif event.type == EventType.FEEDBACK and payload.get("helpful") is False:
            self.mark(self.question, GapKind.NOT_HELPFUL)
        elif event.type == EventType.HANDOFF_REQUESTED and is_failure(event):
            self.settle_handoff()
            self.handoff = str(payload.get("reason"))


def failures(events: Iterable[Event]) -> dict[int, set[GapKind]]:
    """Per customer message id, how the assistant failed on it, from one conversation's events
    (oldest first)."""
    walk = _Walk()
    for event in events:
        walk.read(event)
    walk.settle_handoff()
    return walk.found
