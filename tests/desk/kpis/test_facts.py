"""Folding one conversation's events into the facts the KPIs count: each case a hand-written
log and what must come out of it."""

from __future__ import annotations

from typing import Any

import pytest

from desk.events import Event
from desk.kpis.facts import UNCLASSIFIED, Rating, fold, fold_all
from tests.desk.kpis.events import (
    abandoned,
    agent_says,
    answer,
    at,
    closed,
    handed_back,
    handoff,
    helpful,
    joined,
    no_answer,
    queued,
    rated,
    reopened,
    says,
    started,
    ticket,
    unhelpful,
)

TOPICS = {"lost-card": "lost_or_stolen_card", "card-arrival": "card_arrival"}


def contained() -> list[Event]:
    c = "c_contained"
    return [
        started(c, at(0, 9)),
        says(c, at(0, 9, 0, 10)),
        answer(c, at(0, 9, 0, 11.5)),
        *helpful(c, at(0, 9, 1)),
        rated(c, at(0, 9, 2), 5, "assistant"),
        abandoned(c, at(0, 9, 31)),  # left after the confirmed answer: not an abandonment
    ]


def left_after_answer() -> list[Event]:
    c = "c_left"
    return [started(c, at(0, 9)), says(c, at(0, 9)), answer(c, at(0, 9, 0, 2)), abandoned(c, at(0, 9, 30))]


def handed_back_then_resolved() -> list[Event]:
    c = "c_back"
    return [
        started(c, at(0, 10)),
        says(c, at(0, 10)),
        no_answer(c, at(0, 10, 0, 1)),
        handoff(c, at(0, 10, 0, 5), "ho_b", reason="repeated_failure"),
        queued(c, at(0, 10, 0, 5), "ho_b"),
        joined(c, at(0, 10, 0, 30), "ho_b", 7),
        agent_says(c, at(0, 10, 0, 40), 7),
        handed_back(c, at(0, 10, 1, 40), "ho_b", 7),
        says(c, at(0, 10, 2)),
        answer(c, at(0, 10, 2, 3), "card-arrival"),
        *helpful(c, at(0, 10, 3), "card-arrival"),
    ]


def ticket_next_day() -> list[Event]:
    c = "c_ticket"
    return [
        started(c, at(0, 23, 50)),
        says(c, at(0, 23, 50)),
        handoff(c, at(0, 23, 50, 10), "ho_t", priority="low"),
        ticket(c, at(0, 23, 50, 10), "ho_t"),
        abandoned(c, at(1, 0, 20, 10)),  # the customer closed the page after leaving an email
        joined(c, at(1, 10), "ho_t", 3),
        agent_says(c, at(1, 10, 5), 3, article="lost-card"),
        closed(c, at(1, 10, 10), "ho_t", 3),
    ]


def across_midnight() -> list[Event]:
    c = "c_midnight"
    return [
        started(c, at(0, 23, 58)),
        says(c, at(0, 23, 58)),
        handoff(c, at(0, 23, 59), "ho_m", priority="high", reason="sensitive_topic"),
        queued(c, at(0, 23, 59), "ho_m"),
        joined(c, at(0, 23, 59, 30), "ho_m", 7),
        agent_says(c, at(1, 0, 1), 7),
        closed(c, at(1, 0, 10), "ho_m", 7),
        rated(c, at(1, 0, 11), 2, "agent"),
    ]


def reopened_with_new_need() -> list[Event]:
    c = "c_reopened"
    return [
        started(c, at(0, 11)),
        says(c, at(0, 11)),
        handoff(c, at(0, 11, 0, 1), "ho_r1"),
        joined(c, at(0, 11, 1), "ho_r1", 7),
        agent_says(c, at(0, 11, 2), 7),
        closed(c, at(0, 11, 3), "ho_r1", 7),
        says(c, at(0, 12)),
        reopened(c, at(0, 12)),
        answer(c, at(0, 12, 0, 1)),
        unhelpful(c, at(0, 12, 1)),
    ]


def thanks_after_closing() -> list[Event]:
    c = "c_thanks"
    return [
        started(c, at(0, 11)),
        says(c, at(0, 11)),
        handoff(c, at(0, 11, 0, 1), "ho_th"),
        joined(c, at(0, 11, 1), "ho_th", 7),
        agent_says(c, at(0, 11, 2), 7),
        closed(c, at(0, 11, 3), "ho_th", 7),
        says(c, at(0, 11, 4)),  # "thanks!": reopens to the assistant, which only says you're welcome
        reopened(c, at(0, 11, 4)),
        abandoned(c, at(0, 11, 34)),
    ]


def opened_and_never_used() -> list[Event]:
    return [started("c_unused", at(0, 8))]


CASES: list[tuple[str, Any, dict[str, Any]]] = [
    (
        "contained",
        contained,
        {
            "outcome": "resolved",
            "contained": True,
            "escalated": False,
            "reply_times": [1.5],
            "ratings": [Rating("assistant", 5, None)],
            "topic": "lost_or_stolen_card",
            "counted": True,
        },
    ),
    (
        "left after an answer",
        left_after_answer,
        {"outcome": "abandoned", "contained": False, "reply_times": [2.0]},
    ),
    (
        "handed back, then the assistant resolves",
        handed_back_then_resolved,
        {
            "outcome": "resolved",
            "contained": False,
            "escalated": True,
            "escalation_reason": "repeated_failure",
            "reply_times": [1.0, 3.0],
            "topic": "card_arrival",
            "agents": {7},
        },
    ),
    (
        "a ticket answered the next day",
        ticket_next_day,
        {"outcome": "resolved", "escalated": True, "topic": "lost_or_stolen_card", "agent_ratings_asked": 1},
    ),
    (
        "across midnight",
        across_midnight,
        {
            "outcome": "resolved",
            "escalation_reason": "sensitive_topic",
            "topic": UNCLASSIFIED,
            "ratings": [Rating("agent", 2, 7)],
            "agent_ratings_asked": 1,
        },
    ),
    ("reopened with a new question", reopened_with_new_need, {"outcome": "open", "came_back": True}),
    ("thanks after an agent closed it", thanks_after_closing, {"outcome": "resolved", "came_back": False}),
    ("opened, never used", opened_and_never_used, {"counted": False, "outcome": "open"}),
]


@pytest.mark.parametrize(("name", "log", "expected"), CASES, ids=[c[0] for c in CASES])
def test_conversation_facts(name: str, log: Any, expected: dict[str, Any]) -> None:
    facts = fold(log(), TOPICS)
    assert {key: getattr(facts, key) for key in expected} == expected


def test_handoff_times_of_a_ticket_answered_the_next_day() -> None:
    (h,) = fold(ticket_next_day(), TOPICS).handoffs
    assert (h.priority, h.is_ticket, h.joined_by, h.closed_by, h.outcome) == ("low", True, 3, 3, "resolved")
    assert h.ticket_at == at(0, 23, 50, 10)
    assert h.first_reply_at == at(1, 10, 5)  # the customer leaving meanwhile does not hide the reply
    assert h.left_at == at(1, 0, 20, 10)
    assert h.first_response == 300.0


def test_handoff_times_across_midnight() -> None:
    (h,) = fold(across_midnight(), TOPICS).handoffs
    assert (h.requested_at, h.first_reply_at, h.closed_at) == (at(0, 23, 59), at(1, 0, 1), at(1, 0, 10))
    assert h.first_response == 90.0
    assert h.left_at is None


def test_a_late_handoff_request_is_not_another_escalation() -> None:
    c = "c_late"
    log = [
        says(c, at(0, 9)),
        handoff(c, at(0, 9, 0, 1), "ho_1"),
        handoff(c, at(0, 9, 0, 2), "ho_2", reason="complaint", attached_to="ho_1"),
    ]
    facts = fold(log, TOPICS)
    assert [h.id for h in facts.handoffs] == ["ho_1"]
    assert facts.escalation_reason == "customer_request"


def test_fold_all_groups_by_conversation() -> None:
    found = fold_all([*contained(), *left_after_answer()], TOPICS)
    assert [f.id for f in found] == ["c_contained", "c_left"]
