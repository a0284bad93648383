"""Each KPI's arithmetic on small hand-made facts: times, rates, CSAT, SLA, FCR."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from desk.kpis.facts import ConversationFacts, HandoffFacts, Rating
from desk.kpis.measures import KpiPolicy, csat, escalation, fcr, fcr_verdicts, percentile, sla, times
from tests.desk.kpis.events import at

POLICY = KpiPolicy(timezone="Europe/London", fcr_window_days=7)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], {"count": 0, "median": None, "p90": None}),
        ([5.0], {"count": 1, "median": 5.0, "p90": 5.0}),
        ([4.0, 1.0, 3.0, 2.0], {"count": 4, "median": 2.5, "p90": 4.0}),
        ([float(n) for n in range(1, 11)], {"count": 10, "median": 5.5, "p90": 9.0}),
        ([float(n) for n in range(1, 12)], {"count": 11, "median": 6.0, "p90": 10.0}),
        ([-0.2, 1.0], {"count": 2, "median": 0.5, "p90": 1.0}),  # clock skew never goes negative
    ],
)
def test_times_median_and_nearest_rank_p90(values: list[float], expected: dict[str, Any]) -> None:
    assert times(values) == expected


def test_percentile_nearest_rank() -> None:
    assert percentile([10, 20, 30], 0.9) == 30
    assert percentile([10, 20, 30], 0.5) == 20


def conversation(cid: str, **fields: Any) -> ConversationFacts:
    return ConversationFacts(
        id=cid, started_at=fields.pop("started_at", at(0, 9)), customer_messages=1, **fields
    )


def test_csat_counts_fours_and_fives_apart_for_assistant_and_agents() -> None:
    found = csat(
        [
            conversation("a", resolved_by_assistant=True, ratings=[Rating("assistant", 4, None)]),
            conversation("b", resolved_by_assistant=True),
            conversation("c", agent_ratings_asked=2, ratings=[Rating("agent", 3, 7), Rating("agent", 5, 8)]),
        ]
    )
    assert (found["rate"], found["count"], found["of"], found["asked"]) == (0.6667, 2, 3, 4)
    assert found["response_rate"] == 0.75
    assert found["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}
    assert {k: found["assistant"][k] for k in ("rate", "responses", "asked", "response_rate")} == {
        "rate": 1.0,
        "responses": 1,
        "asked": 2,
        "response_rate": 0.5,
    }
    assert {k: found["agents"][k] for k in ("rate", "responses", "asked", "response_rate")} == {
        "rate": 0.5,
        "responses": 2,
        "asked": 2,
        "response_rate": 1.0,
    }


def test_csat_without_ratings_keeps_its_keys() -> None:
    found = csat([])
    assert (found["rate"], found["responses"], found["asked"], found["response_rate"]) == (None, 0, 0, None)
    assert found["assistant"]["rate"] is None


def test_escalation_split_by_the_first_handoffs_reason_with_every_reason_present() -> None:
    h = HandoffFacts("ho_1", "normal", "complaint", at(0, 9))
    later = HandoffFacts("ho_2", "normal", "customer_request", at(0, 10))
    found = escalation([conversation("a", handoffs=[h, later]), conversation("b")])
    assert (found["rate"], found["count"], found["of"]) == (0.5, 1, 2)
    assert found["by_reason"]["complaint"] == 1
    assert found["by_reason"]["customer_request"] == 0
    assert found["by_reason"]["assistant_unavailable"] == 0


NOW = at(30)


def live(priority: str = "normal", *, reply: float | None = None, left: float | None = None) -> HandoffFacts:
    """A live handoff requested at 09:00 on day 0, answered or left `reply`/`left` seconds later."""
    start = at(0, 9)
    h = HandoffFacts("ho", priority, "customer_request", start)
    h.first_reply_at = start + timedelta(seconds=reply) if reply is not None else None
    h.left_at = start + timedelta(seconds=left) if left is not None else None
    return h


def in_ticket(*, after: float | None, now: datetime = NOW) -> HandoffFacts:
    h = HandoffFacts("ho", "normal", "customer_request", at(0, 9))
    h.ticket_at = at(0, 9)
    h.first_reply_at = at(0, 9) + timedelta(seconds=after) if after is not None else None
    return h


SLA_CASES = [
    ("answered within the normal target", live(reply=120), {"normal": (1, 1)}, (0, 0)),
    ("answered late", live(reply=121), {"normal": (0, 1)}, (0, 0)),
    ("high priority has a shorter target", live("high", reply=90), {"high": (0, 1)}, (0, 0)),
    ("low priority a longer one", live("low", reply=290), {"low": (1, 1)}, (0, 0)),
    ("left before the target: not counted", live(left=60), {}, (0, 0)),
    ("left after the target: breached", live(left=200), {"normal": (0, 1)}, (0, 0)),
    ("still waiting past the target: breached", live(), {"normal": (0, 1)}, (0, 0)),
    ("a ticket answered the next day, within 24 h", in_ticket(after=20 * 3600), {}, (1, 1)),
    ("a ticket answered after 25 h", in_ticket(after=25 * 3600), {}, (0, 1)),
    ("a ticket unanswered for a month", in_ticket(after=None), {}, (0, 1)),
]


@pytest.mark.parametrize(
    ("name", "handoff", "live_counts", "ticket_counts"), SLA_CASES, ids=[c[0] for c in SLA_CASES]
)
def test_sla(
    name: str, handoff: HandoffFacts, live_counts: dict[str, tuple[int, int]], ticket_counts: tuple[int, int]
) -> None:
    found = sla([conversation("a", handoffs=[handoff])], POLICY, NOW)
    for priority in ("high", "normal", "low"):
        row = found["by_priority"][priority]
        assert (row["count"], row["of"]) == live_counts.get(priority, (0, 0)), priority
    assert (found["tickets"]["count"], found["tickets"]["of"]) == ticket_counts
    assert found["tickets"]["target_seconds"] == 86400


def test_a_ticket_still_inside_its_target_is_not_counted_yet() -> None:
    found = sla([conversation("a", handoffs=[in_ticket(after=None)])], POLICY, at(0, 20))
    assert (found["tickets"]["count"], found["tickets"]["of"]) == (0, 0)


def resolved(cid: str, day: float, topic: str = "lost", **fields: Any) -> ConversationFacts:
    moment = at(0) + timedelta(days=day)
    return conversation(cid, started_at=moment, outcome="resolved", resolved_at=moment, topic=topic, **fields)


FCR_CASES = [
    ("nobody came back", [], {}, (True, False)),
    ("same customer id, same topic, day 3", [resolved("b", 3)], {"b": {"id:x"}}, (False, False)),
    ("same email, same topic, day 6.9", [resolved("b", 6.9)], {"b": {"email:x@y.example"}}, (False, False)),
    (
        "same customer, same topic, day 8: after the window",
        [resolved("b", 8)],
        {"b": {"id:x"}},
        (True, False),
    ),
    ("same customer, another topic", [resolved("b", 2, topic="fees")], {"b": {"id:x"}}, (True, False)),
    ("another customer, same topic", [resolved("b", 2)], {"b": {"id:z"}}, (True, False)),
]


@pytest.mark.parametrize(("name", "later", "keys", "expected"), FCR_CASES, ids=[c[0] for c in FCR_CASES])
def test_first_contact_resolution(
    name: str, later: list[ConversationFacts], keys: dict[str, set[str]], expected: tuple[bool, bool]
) -> None:
    first = resolved("a", 0)
    identities = {"a": frozenset({"id:x", "email:x@y.example"})} | {k: frozenset(v) for k, v in keys.items()}
    verdict = fcr_verdicts([first], [first, *later], identities, POLICY, NOW)["a"]
    assert (verdict.first_contact, verdict.provisional) == expected


def test_fcr_within_the_window_is_provisional_and_unidentified_conversations_are_their_own() -> None:
    first, other = resolved("a", 0), resolved("b", 1)
    verdicts = fcr_verdicts([first, other], [first, other], {}, POLICY, at(2))
    assert fcr([first, other], verdicts) == {"rate": 1.0, "count": 2, "of": 2, "provisional": 2}


def test_fcr_counts_only_resolved_conversations_and_not_those_the_customer_came_back_to() -> None:
    found = [resolved("a", 0), resolved("b", 0, came_back=True), conversation("c", outcome="abandoned")]
    verdicts = fcr_verdicts(found, found, {}, POLICY, NOW)
    assert fcr(found, verdicts) == {"rate": 0.5, "count": 1, "of": 2, "provisional": 0}
