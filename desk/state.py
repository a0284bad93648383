"""The conversation state machine: who answers a conversation (its `Mode`), what becomes of its
handoff (`HandoffStatus`), and the one table of allowed transitions.

    queue      bot, resolved          → queued
    ticket     bot, resolved          → ticket
    unstaffed  queued                 → ticket    (no agent left, or the desk closed)
    claim      queued, ticket         → agent
    resolve    queued, agent, ticket  → resolved
    hand_back  agent                  → bot
    reopen     resolved               → bot

Each transition names the modes it may start from, the mode it leads to and the status it gives
the conversation's handoff. The store applies one as a compare-and-set on the mode it was
decided from (desk/store/conversations.py `transition`), together with the events that record
it, so a transition that lost a race is refused (`Conflict`) and never overwrites another's."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from desk.errors import Conflict


class Mode(StrEnum):
    """Who answers the conversation now (the widget shows it)."""

    BOT = "bot"  # the assistant
    QUEUED = "queued"  # handed over, waiting for an agent
    AGENT = "agent"  # an agent holds it
    TICKET = "ticket"  # nobody available: the team replies later by email
    RESOLVED = "resolved"  # closed by an agent; a new message goes back to the assistant


class HandoffStatus(StrEnum):
    """Where a handoff stands (the console shows it). Open ones keep the conversation with people."""

    QUEUED = "queued"
    ASSIGNED = "assigned"
    TICKET = "ticket"
    RESOLVED = "resolved"
    HANDED_BACK = "handed_back"


OPEN_STATUSES = (HandoffStatus.QUEUED, HandoffStatus.ASSIGNED, HandoffStatus.TICKET)
WITH_PEOPLE = frozenset({Mode.QUEUED, Mode.AGENT, Mode.TICKET})
# The two vocabularies tied once: the mode a conversation is in while its handoff is open.
MODE_OF_OPEN = {
    HandoffStatus.QUEUED: Mode.QUEUED,
    HandoffStatus.ASSIGNED: Mode.AGENT,
    HandoffStatus.TICKET: Mode.TICKET,
}
STATUS_IN = {mode: status for status, mode in MODE_OF_OPEN.items()}


class Step(StrEnum):
    QUEUE = "queue"  # handed over while an agent is available
    TICKET = "ticket"  # handed over while nobody is
    CLAIM = "claim"
    RESOLVE = "resolve"
    HAND_BACK = "hand_back"
    REOPEN = "reopen"  # the customer writes again after a resolution
    UNSTAFFED = "unstaffed"  # queued, but no agent left or the desk closed: a ticket now


@dataclass(frozen=True, slots=True)
class Rule:
    sources: frozenset[Mode]
    target: Mode
    handoff: HandoffStatus | None  # the handoff's new status (None: no handoff involved)


TRANSITIONS: dict[Step, Rule] = {
    Step.QUEUE: Rule(frozenset({Mode.BOT, Mode.RESOLVED}), Mode.QUEUED, HandoffStatus.QUEUED),
    Step.TICKET: Rule(frozenset({Mode.BOT, Mode.RESOLVED}), Mode.TICKET, HandoffStatus.TICKET),
    Step.CLAIM: Rule(frozenset({Mode.QUEUED, Mode.TICKET}), Mode.AGENT, HandoffStatus.ASSIGNED),
    Step.RESOLVE: Rule(WITH_PEOPLE, Mode.RESOLVED, HandoffStatus.RESOLVED),
    Step.HAND_BACK: Rule(frozenset({Mode.AGENT}), Mode.BOT, HandoffStatus.HANDED_BACK),
    Step.REOPEN: Rule(frozenset({Mode.RESOLVED}), Mode.BOT, None),
    Step.UNSTAFFED: Rule(frozenset({Mode.QUEUED}), Mode.TICKET, HandoffStatus.TICKET),
}

_REFUSALS = {
    Step.QUEUE: "this conversation is already with our team",
    Step.TICKET: "this conversation is already with our team",
    Step.CLAIM: "this conversation is not waiting for an agent",
    Step.RESOLVE: "this conversation is not waiting for or held by an agent",
    Step.HAND_BACK: "only a conversation an agent holds can go back to the assistant",
    Step.REOPEN: "this conversation is not resolved",
    Step.UNSTAFFED: "this conversation is not waiting in the queue",
}


def target_of(step: Step, current: Mode | str) -> Mode:
    """The mode `step` leads to from `current`; Conflict when the table does not allow it."""
    rule = TRANSITIONS[step]
    if Mode(current) not in rule.sources:
        raise Conflict(_REFUSALS[step])
    return rule.target
