"""GET /api/kpis's arithmetic over a hand-written week: every figure below was worked out by
hand from the logs in test_facts.py (the comments show the sums)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from desk.kpis.facts import fold_all
from desk.kpis.measures import KpiPolicy
from desk.kpis.report import KpiQuery, buckets, local_day, report
from tests.desk.kpis import test_facts as logs
from tests.desk.kpis.events import answer, at, helpful, says, started

POLICY = KpiPolicy(timezone="Europe/London")
NOW = at(30)
MONDAY = date(2026, 3, 2)
LOGS = [
    logs.contained,
    logs.left_after_answer,
    logs.handed_back_then_resolved,
    logs.ticket_next_day,
    logs.across_midnight,
    logs.reopened_with_new_need,
    logs.thanks_after_closing,
    logs.opened_and_never_used,
]


def week_report(
    query: KpiQuery | None = None, identities: dict[str, frozenset[str]] | None = None
) -> dict[str, Any]:
    events = [e for log in LOGS for e in log()]
    return report(
        fold_all(events, logs.TOPICS),
        identities=identities or {},
        query=query or KpiQuery(MONDAY, date(2026, 3, 3)),
        policy=POLICY,
        now=NOW,
        topic_of=logs.TOPICS,
        names={7: "Ana Torres", 3: "Ben Okafor"},
    )


def test_outcomes() -> None:
    found = week_report()
    assert found["conversations"] == {"count": 7}  # the unused widget is not a conversation
    assert found["containment"] == {"rate": 0.1429, "count": 1, "of": 7}
    assert found["abandoned"] == {"rate": 0.1429, "count": 1, "of": 7}  # left after an answer
    assert {k: found["escalation"][k] for k in ("rate", "count", "of")} == {
        "rate": 0.7143,
        "count": 5,
        "of": 7,
    }
    reasons = found["escalation"]["by_reason"]
    assert (reasons["customer_request"], reasons["repeated_failure"], reasons["sensitive_topic"]) == (3, 1, 1)
    assert sum(reasons.values()) == 5
    # resolved: contained, handed back, ticket, midnight, thanks; nobody identified came back
    assert found["fcr"] == {"rate": 1.0, "count": 5, "of": 5, "provisional": 0}


def test_satisfaction() -> None:
    found = week_report()["csat"]
    # ratings: 5 (assistant), 2 (agent); asked: 2 assistant resolutions + 4 agent closures
    assert {k: found[k] for k in ("rate", "count", "of", "responses", "asked", "response_rate")} == {
        "rate": 0.5,
        "count": 1,
        "of": 2,
        "responses": 2,
        "asked": 6,
        "response_rate": 0.3333,
    }
    assert (found["assistant"]["rate"], found["assistant"]["asked"], found["assistant"]["response_rate"]) == (
        1.0,
        2,
        0.5,
    )
    assert (found["agents"]["rate"], found["agents"]["asked"], found["agents"]["response_rate"]) == (
        0.0,
        4,
        0.25,
    )


def test_times() -> None:
    found = week_report()
    # 1.5 (contained), 2 (left), 1 and 3 (handed back), 1 (reopened): sorted 1, 1, 1.5, 2, 3
    assert found["assistant_reply_time"] == {"count": 5, "median": 1.5, "p90": 3.0}
    # live handoffs: 35 (handed back), 120 (midnight), 119 and 119; the ticket is not live
    assert found["time_to_person"] == {"count": 4, "median": 119.0, "p90": 120.0}
    # claim to first message: 10, 300 (ticket), 90, 60, 60
    assert found["agent_first_response"] == {"count": 5, "median": 60.0, "p90": 300.0}
    # handoff to resolution: 37190 (ticket, 23:50:10 to 10:10 next day), 660, 179, 179
    assert found["resolution_time"] == {"count": 4, "median": 419.5, "p90": 37190.0}


def test_sla_and_tickets() -> None:
    found = week_report()
    sla = found["sla"]
    # met: handed back (35 s), reopened and thanks (119 s, normal 120); breached: midnight (120 s, high 60)
    assert (sla["rate"], sla["count"], sla["of"]) == (0.75, 3, 4)
    assert sla["by_priority"]["high"] == {"target_seconds": 60.0, "rate": 0.0, "count": 0, "of": 1}
    assert sla["by_priority"]["normal"] == {"target_seconds": 120.0, "rate": 1.0, "count": 3, "of": 3}
    assert sla["by_priority"]["low"]["of"] == 0  # the ticket never waited live
    assert sla["tickets"] == {"target_seconds": 86400.0, "rate": 1.0, "count": 1, "of": 1}
    # the ticket: made 23:50:10, answered 10:05 next day = 36,890 s
    assert found["tickets"] == {
        "count": 1,
        "answered": 1,
        "resolved": 1,
        "first_reply": {"count": 1, "median": 36890.0, "p90": 36890.0},
    }


def test_topics_articles_and_agents() -> None:
    found = week_report()
    assert [(t["topic"], t["conversations"]) for t in found["topics"]] == [
        ("lost_or_stolen_card", 4),
        ("unclassified", 2),
        ("card_arrival", 1),
    ]
    lost = found["topics"][0]
    assert lost["containment"] == {"rate": 0.25, "count": 1, "of": 4}
    assert lost["escalation"] == {"rate": 0.5, "count": 2, "of": 4}
    assert lost["csat"] == {"rate": 1.0, "count": 1, "of": 1}
    assert found["articles"] == [
        {
            "article_id": "lost-card",
            "topic": "lost_or_stolen_card",
            "answers": 3,
            "helpful": 1,
            "not_helpful": 1,
            "rate": 0.5,
        },
        {
            "article_id": "card-arrival",
            "topic": "card_arrival",
            "answers": 1,
            "helpful": 1,
            "not_helpful": 0,
            "rate": 1.0,
        },
    ]
    ana, ben = found["agents"]
    assert (ana["agent_id"], ana["name"], ana["handled"], ana["resolved"]) == (7, "Ana Torres", 4, 3)
    assert ana["first_response"] == {"count": 4, "median": 60.0, "p90": 90.0}
    assert ana["resolution_time"] == {"count": 3, "median": 179.0, "p90": 660.0}
    assert ana["csat"] == {"rate": 0.0, "count": 0, "of": 1}
    assert (ben["agent_id"], ben["handled"], ben["resolved"], ben["csat"]["rate"]) == (3, 1, 1, None)


def test_series_by_day_counts_each_conversation_on_the_day_it_started() -> None:
    found = week_report()
    monday, tuesday = found["series"]
    assert (monday["start"], monday["end"], monday["conversations"]) == (
        "2026-03-02",
        "2026-03-02",
        {"count": 7},
    )
    assert monday["csat"] == found["csat"]
    assert monday["sla"] == found["sla"]
    # the ticket answered and the midnight chat closed on Tuesday still count on Monday
    assert tuesday["conversations"] == {"count": 0}
    assert tuesday["containment"] == {"rate": None, "count": 0, "of": 0}
    assert tuesday["time_to_person"] == {"count": 0, "median": None, "p90": None}


@pytest.mark.parametrize(
    ("query", "count"),
    [
        (KpiQuery(MONDAY, MONDAY, topic="lost_or_stolen_card"), 4),
        (KpiQuery(MONDAY, MONDAY, topic="unclassified"), 2),
        (KpiQuery(MONDAY, MONDAY, agent=3), 1),
        (KpiQuery(MONDAY, MONDAY, agent=7), 4),
        (KpiQuery(MONDAY, MONDAY, channel="api"), 0),
        (KpiQuery(MONDAY, MONDAY, channel="widget"), 7),
        (KpiQuery(date(2026, 3, 3), date(2026, 3, 9)), 0),
    ],
)
def test_filters(query: KpiQuery, count: int) -> None:
    found = week_report(query)
    assert found["conversations"]["count"] == count
    assert found["filters"] == query.filters()


def test_a_customer_returning_on_the_same_topic_within_and_after_seven_days() -> None:
    def resolved_on(cid: str, day: int) -> list[Any]:
        return [
            started(cid, at(day, 9)),
            says(cid, at(day, 9)),
            answer(cid, at(day, 9, 0, 1)),
            *helpful(cid, at(day, 9, 1)),
        ]

    events = [*resolved_on("x1", 0), *resolved_on("x2", 5), *resolved_on("y1", 0), *resolved_on("y2", 8)]
    identities = {c: frozenset({f"id:{c[0]}"}) for c in ("x1", "x2", "y1", "y2")}
    found = report(
        fold_all(events, logs.TOPICS),
        identities=identities,
        query=KpiQuery(MONDAY, MONDAY),
        policy=POLICY,
        now=NOW,
        topic_of=logs.TOPICS,
        names={},
    )
    # x came back on day 5 (within 7 days): x1 not FCR; y came back on day 8: y1 is
    assert found["fcr"] == {"rate": 0.5, "count": 1, "of": 2, "provisional": 0}
    assert found["conversations"]["count"] == 2  # the later ones are only looked at


def test_week_buckets_start_on_monday_and_are_clipped_to_the_range() -> None:
    assert buckets(date(2026, 2, 28), date(2026, 3, 11), "week") == [
        (date(2026, 2, 28), date(2026, 3, 1)),
        (date(2026, 3, 2), date(2026, 3, 8)),
        (date(2026, 3, 9), date(2026, 3, 11)),
    ]
    assert len(buckets(date(2026, 3, 2), date(2026, 3, 8), "day")) == 7


def test_days_are_the_desks_local_days() -> None:
    late_evening = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 July in London (BST)
    assert local_day(late_evening, "Europe/London") == date(2026, 7, 2)
    assert local_day(late_evening, "UTC") == date(2026, 7, 1)


def test_every_top_level_key_of_the_contract() -> None:
    found = week_report()
    for key in (
        "range", "filters", "generated_at", "conversations", "containment", "escalation", "abandoned", "fcr",
        "csat", "assistant_reply_time", "time_to_person", "agent_first_response", "resolution_time", "sla",
        "tickets", "topics", "articles", "agents", "series",
    ):  # fmt: skip
        assert key in found, key
    assert found["range"] == {
        "from": "2026-03-02",
        "to": "2026-03-03",
        "timezone": "Europe/London",
        "group": "day",
    }
