"""Each KPI as a pure function over conversation facts (desk/kpis/facts.py): rates, times with
their median and 90th percentile, CSAT, SLA compliance and first-contact resolution. The
README's "Managers: KPIs" section defines them in words; docs/contracts/kpis.md gives the JSON."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, get_args

from desk.kpis.facts import ConversationFacts, HandoffFacts, Rating
from desk.schemas import HandoffRequest

# The handoff contract's reasons, and the desk's own when the assistant cannot be reached.
REASONS: tuple[str, ...] = (
    *get_args(HandoffRequest.model_fields["reason"].annotation),
    "assistant_unavailable",
)
PRIORITIES = ("high", "normal", "low")
POSITIVE_SCORES = frozenset({4, 5})


def _targets() -> dict[str, float]:
    return {"high": 60.0, "normal": 120.0, "low": 300.0}


@dataclass(frozen=True, slots=True)
class KpiPolicy:
    """What the figures are measured against (from DESK_* settings; see `from_settings`)."""

    timezone: str = "Europe/London"
    fcr_window_days: float = 7.0
    first_response_targets: Mapping[str, float] = field(default_factory=_targets)
    ticket_reply_seconds: float = 24 * 3600.0
    at_risk_share: float = 0.8

    @property
    def fcr_window(self) -> timedelta:
        return timedelta(days=self.fcr_window_days)

    def target(self, priority: str) -> float:
        return self.first_response_targets.get(priority, self.first_response_targets["normal"])


def rate(count: int, of: int) -> dict[str, Any]:
    return {"rate": round(count / of, 4) if of else None, "count": count, "of": of}


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank: the ⌈share·n⌉-th smallest value."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def times(values: Iterable[float]) -> dict[str, Any]:
    found = [max(0.0, v) for v in values]
    if not found:
        return {"count": 0, "median": None, "p90": None}
    return {
        "count": len(found),
        "median": round(statistics.median(found), 1),
        "p90": round(percentile(found, 0.9), 1),
    }


def _seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


def _handoffs(conversations: Iterable[ConversationFacts]) -> list[HandoffFacts]:
    return [h for c in conversations for h in c.handoffs]


# ---- outcomes ------------------------------------------------------------------------------


def containment(conversations: Sequence[ConversationFacts]) -> dict[str, Any]:
    return rate(sum(c.contained for c in conversations), len(conversations))


def escalation(conversations: Sequence[ConversationFacts]) -> dict[str, Any]:
    by_reason = dict.fromkeys(REASONS, 0)
    for c in conversations:
        if c.escalation_reason is not None:
            by_reason[c.escalation_reason] = by_reason.get(c.escalation_reason, 0) + 1
    return {**rate(sum(c.escalated for c in conversations), len(conversations)), "by_reason": by_reason}


def abandonment(conversations: Sequence[ConversationFacts]) -> dict[str, Any]:
    return rate(sum(c.outcome == "abandoned" for c in conversations), len(conversations))


@dataclass(frozen=True, slots=True)
class FcrVerdict:
    first_contact: bool
    provisional: bool  # its window is still open: a return may yet undo it


def fcr_verdicts(
    scope: Iterable[ConversationFacts],
    population: Iterable[ConversationFacts],
    identities: Mapping[str, frozenset[str]],
    policy: KpiPolicy,
    now: datetime,
) -> dict[str, FcrVerdict]:
    """Per resolved conversation of `scope`: resolved at the first contact unless the customer
    came back, in it (writing again after an agent closed it, with a new need) or in another
    conversation of theirs (sharing a customer id or an email) on the same topic that started
    within the window after the resolution. Without an identity a conversation is its own."""
    by_key: dict[str, list[ConversationFacts]] = {}
    for other in population:
        for key in identities.get(other.id, frozenset()):
            by_key.setdefault(key, []).append(other)
    verdicts = {}
    for c in scope:
        if c.outcome != "resolved" or c.resolved_at is None:
            continue
        until = c.resolved_at + policy.fcr_window
        returned = c.came_back or any(
            other.id != c.id and other.topic == c.topic and c.started_at < other.started_at <= until
            for key in identities.get(c.id, frozenset())
            for other in by_key.get(key, [])
        )
        verdicts[c.id] = FcrVerdict(not returned, provisional=not returned and now < until)
    return verdicts


def fcr(conversations: Sequence[ConversationFacts], verdicts: Mapping[str, FcrVerdict]) -> dict[str, Any]:
    judged = [verdicts[c.id] for c in conversations if c.id in verdicts]
    return {
        **rate(sum(v.first_contact for v in judged), len(judged)),
        "provisional": sum(v.provisional for v in judged),
    }


# ---- satisfaction --------------------------------------------------------------------------


def satisfaction(ratings: Sequence[Rating], asked: int) -> dict[str, Any]:
    """CSAT: the share of 4 and 5 among the ratings given; and how many of those asked rated."""
    distribution = {str(score): 0 for score in range(1, 6)}
    for r in ratings:
        distribution[str(r.score)] += 1
    positive = sum(r.score in POSITIVE_SCORES for r in ratings)
    return {
        **rate(positive, len(ratings)),
        "responses": len(ratings),
        "asked": asked,
        "response_rate": round(len(ratings) / asked, 4) if asked else None,
        "distribution": distribution,
    }


def csat(conversations: Sequence[ConversationFacts]) -> dict[str, Any]:
    ratings = [r for c in conversations for r in c.ratings]
    of_assistant = [r for r in ratings if r.of == "assistant"]
    of_agents = [r for r in ratings if r.of == "agent"]
    asked_assistant = sum(c.assistant_rating_asked for c in conversations)
    asked_agents = sum(c.agent_ratings_asked for c in conversations)
    return {
        **satisfaction(ratings, asked_assistant + asked_agents),
        "assistant": satisfaction(of_assistant, asked_assistant),
        "agents": satisfaction(of_agents, asked_agents),
    }


# ---- times ---------------------------------------------------------------------------------


def assistant_reply_time(conversations: Sequence[ConversationFacts]) -> dict[str, Any]:
    return times(t for c in conversations for t in c.reply_times)


def time_to_person(conversations: Sequence[ConversationFacts]) -> dict[str, Any]:
    """Handoff to the first agent message, for handoffs answered live (not as tickets)."""
    return times(
        _seconds(h.first_reply_at, h.requested_at)
        for h in _handoffs(conversations)
        if h.first_reply_at is not None and not h.is_ticket
    )


def agent_first_response(conversations: Sequence[ConversationFacts]) -> dict[str, Any]:
    return times(h.first_response for h in _handoffs(conversations) if h.first_response is not None)


def resolution_time(conversations: Sequence[ConversationFacts]) -> dict[str, Any]:
    """Handoff to the agent's resolution, for handoffs closed as resolved."""
    return times(
        _seconds(h.closed_at, h.requested_at)
        for h in _handoffs(conversations)
        if h.resolved and h.closed_at is not None
    )


def _live_wait(h: HandoffFacts, now: datetime) -> tuple[float, bool]:
    """(seconds waited for a live first reply, whether it came)."""
    if h.first_reply_at is not None and not h.is_ticket:
        return _seconds(h.first_reply_at, h.requested_at), True
    ends = [t for t in (h.ticket_at, h.left_at, h.closed_at) if t is not None]
    return _seconds(min(ends) if ends else now, h.requested_at), False


def sla(conversations: Sequence[ConversationFacts], policy: KpiPolicy, now: datetime) -> dict[str, Any]:
    """First replies within their priority's target. A live handoff answered in time is met;
    one that waited longer than its target, answered or not, is breached; one that ended
    sooner without a reply (the customer left, or it became a ticket) is not counted. Tickets
    are measured from becoming a ticket to the first reply against the ticket target."""
    met = dict.fromkeys(PRIORITIES, 0)
    judged = dict.fromkeys(PRIORITIES, 0)
    ticket_met = ticket_judged = 0
    for h in _handoffs(conversations):
        priority = h.priority if h.priority in met else "normal"
        waited, answered = _live_wait(h, now)
        if waited > policy.target(priority):
            judged[priority] += 1
        elif answered:
            judged[priority] += 1
            met[priority] += 1
        if h.ticket_at is not None:
            end = h.first_reply_at or now
            took = _seconds(end, h.ticket_at)
            if h.first_reply_at is not None or took > policy.ticket_reply_seconds:
                ticket_judged += 1
                ticket_met += took <= policy.ticket_reply_seconds
    return {
        **rate(sum(met.values()), sum(judged.values())),
        "by_priority": {
            p: {"target_seconds": policy.target(p), **rate(met[p], judged[p])} for p in PRIORITIES
        },
        "tickets": {"target_seconds": policy.ticket_reply_seconds, **rate(ticket_met, ticket_judged)},
    }


def tickets(conversations: Sequence[ConversationFacts]) -> dict[str, Any]:
    found = [h for h in _handoffs(conversations) if h.ticket_at is not None]
    replies = [_seconds(h.first_reply_at, h.ticket_at) for h in found if h.first_reply_at and h.ticket_at]
    return {
        "count": len(found),
        "answered": len(replies),
        "resolved": sum(h.resolved for h in found),
        "first_reply": times(replies),
    }


def figures(
    conversations: Sequence[ConversationFacts],
    verdicts: Mapping[str, FcrVerdict],
    policy: KpiPolicy,
    now: datetime,
) -> dict[str, Any]:
    """Every KPI of a set of conversations: the top level of GET /api/kpis and each bucket."""
    return {
        "conversations": {"count": len(conversations)},
        "containment": containment(conversations),
        "escalation": escalation(conversations),
        "abandoned": abandonment(conversations),
        "fcr": fcr(conversations, verdicts),
        "csat": csat(conversations),
        "assistant_reply_time": assistant_reply_time(conversations),
        "time_to_person": time_to_person(conversations),
        "agent_first_response": agent_first_response(conversations),
        "resolution_time": resolution_time(conversations),
        "sla": sla(conversations, policy, now),
        "tickets": tickets(conversations),
    }
