"""Customer satisfaction: after a resolution the widget asks once for a 1-5 rating with an
optional comment, and the answer lands in the event log (`csat_given`).

The desk decides when to ask, so a rating is never asked twice for one resolution:

- the assistant resolves a conversation when the customer confirms its answer (the "Yes"
  button: a helpful `feedback`; or a typed yes, which the action server reports as a
  `confirmed` decision) or says goodbye right after one (a `goodbye` decision), once per
  answer: `assistant_resolution` records a `resolved` event by the assistant;
- an agent resolves one by closing it (desk/agent_work.py), as resolved or unresolved (spam
  and duplicates are not rated);
- `offer` then records one request per resolution (keyed by the `resolved` event's id) and
  sends the widget a `csat_request`; the assistant asks at most once per conversation;
- the widget answers with `csat` (stored once, the comment masked, only here: the event holds
  the score and whether there was a comment) or `csat_dismiss`; either closes the request in
  every tab (`csat_closed`). A request still open is sent again when the customer reconnects
  within DESK_CSAT_OFFER_HOURS."""

from __future__ import annotations

from datetime import timedelta

from desk import events as ev
from desk.errors import InvalidInput
from desk.frames import AgentName, CsatClosed, CsatPrompt
from desk.hub import Hub
from desk.kpis.facts import RATED_OUTCOMES, agent_of
from desk.masking import mask_cards, mask_contacts
from desk.store import Clock, CsatRequest, Store, iso

MAX_COMMENT_CHARS = 1000
# What tells whether an answer still waits for its resolution: the assistant's decisions, and
# the resolutions and handoffs after them.
_AFTER_ANSWER = (
    ev.EventType.ASSISTANT_ANSWER,
    ev.EventType.ASSISTANT_CLARIFY,
    ev.EventType.ASSISTANT_NONE,
    ev.EventType.RESOLVED,
    ev.EventType.HANDOFF_REQUESTED,
)
RESOLVING_DECISIONS = {"confirmed": "confirmed", "goodbye": "goodbye"}


class UnknownRating(InvalidInput):
    code = "unknown_rating"


class Satisfaction:
    def __init__(self, *, store: Store, hub: Hub, offer_hours: float, clock: Clock) -> None:
        self.store = store
        self.hub = hub
        self.offer_for = timedelta(hours=offer_hours)
        self.clock = clock

    def assistant_resolution(self, conversation_id: str, outcome: str) -> ev.NewEvent | None:
        """A `resolved` event by the assistant, when its last word was an answer that nothing
        has resolved or handed over since; None otherwise."""
        last = self.store.last_event(conversation_id, _AFTER_ANSWER)
        if last is None or last.type != ev.EventType.ASSISTANT_ANSWER:
            return None
        return ev.NewEvent(conversation_id, ev.ASSISTANT, ev.Resolved(outcome=outcome, by="assistant"))

    def offer(self, conversation_id: str) -> CsatRequest | None:
        """After a resolution: record the request for its rating and ask the widget, unless this
        resolution is not rated or was asked about already. The request made, if any."""
        last = self.store.last_event(conversation_id, (ev.EventType.RESOLVED,))
        if last is None:
            return None
        of = "assistant" if last.payload.get("by") == "assistant" else "agent"
        if of == "agent" and last.payload.get("outcome") not in RATED_OUTCOMES:
            return None
        if of == "assistant" and any(r.of == "assistant" for r in self.store.csat_requests(conversation_id)):
            return None  # the assistant asks once per conversation, however many answers helped
        if not self.store.ask_csat(last.id, conversation_id, of, agent_of(last.actor)):
            return None
        request = self.store.csat_request(last.id)
        if request is not None:
            self.hub.to_conversation(conversation_id, self.prompt(request).frame())
        return request

    def pending(self, conversation_id: str) -> CsatPrompt | None:
        """The request to show a widget that (re)connects: the latest, if still open and recent."""
        requests = self.store.csat_requests(conversation_id)
        if not requests or not requests[-1].pending:
            return None
        since = iso(self.clock() - self.offer_for)
        return self.prompt(requests[-1]) if requests[-1].requested_at >= since else None

    def prompt(self, request: CsatRequest) -> CsatPrompt:
        agent = self.store.staff(request.agent_id) if request.agent_id is not None else None
        return CsatPrompt(
            resolution_id=request.resolution_id,
            of="agent" if request.of == "agent" else "assistant",
            agent=AgentName(name=agent.name) if agent is not None and request.of == "agent" else None,
        )

    def rate(self, conversation_id: str, resolution_id: int, score: int, comment: str | None) -> bool:
        """Store the customer's rating once; whether this call stored it."""
        request = self._request(conversation_id, resolution_id)
        kept = clean_comment(comment)
        given = ev.CsatGiven(
            score=score, of="agent" if request.of == "agent" else "assistant", commented=bool(kept)
        )
        stored = self.store.answer_csat(
            resolution_id, conversation_id, score, kept, [ev.NewEvent(conversation_id, ev.CUSTOMER, given)]
        )
        self._closed(conversation_id, resolution_id, rated=stored or request.score is not None)
        return stored

    def dismiss(self, conversation_id: str, resolution_id: int) -> bool:
        request = self._request(conversation_id, resolution_id)
        dismissed = self.store.dismiss_csat(resolution_id, conversation_id)
        self._closed(conversation_id, resolution_id, rated=request.score is not None)
        return dismissed

    def _request(self, conversation_id: str, resolution_id: int) -> CsatRequest:
        request = self.store.csat_request(resolution_id)
        if request is None or request.conversation_id != conversation_id:
            raise UnknownRating("there is no such rating request in this conversation")
        return request

    def _closed(self, conversation_id: str, resolution_id: int, *, rated: bool) -> None:
        self.hub.to_conversation(
            conversation_id, CsatClosed(resolution_id=resolution_id, rated=rated).frame()
        )


def clean_comment(comment: str | None) -> str | None:
    """A comment as it may be stored: trimmed, bounded, card numbers, emails and phone numbers
    masked (managers read it; it needs none of them); None when empty."""
    if comment is None or not comment.strip():
        return None
    return mask_contacts(mask_cards(comment.strip()[:MAX_COMMENT_CHARS]))
