"""The manager pages' tables: rows taken from the API's JSON by their paths, the CSV of each
(raw values, formula-like text made inert), and every path pointing at something the contract
(docs/contracts/kpis.md) serves."""

from __future__ import annotations

import csv
import io
from typing import Any

from desk.manager_tables import (
    FLOOR_TILES,
    PERIOD_TILES,
    REASONS,
    TABLES,
    table_csv,
    table_rows,
    value_at,
)


def rated(count: int, of: int) -> dict[str, Any]:
    return {"rate": round(count / of, 4) if of else None, "count": count, "of": of}


def timed(count: int, median: float | None, p90: float | None) -> dict[str, Any]:
    return {"count": count, "median": median, "p90": p90}


def figures(conversations: int) -> dict[str, Any]:
    """One set of KPIs in the contract's shape."""
    satisfied = {**rated(3, 4), "responses": 4, "asked": 6, "response_rate": 0.6667}
    return {
        "conversations": {"count": conversations},
        "containment": rated(2, conversations),
        "escalation": {**rated(1, conversations), "by_reason": {r: int(r == "complaint") for r in REASONS}},
        "abandoned": rated(0, conversations),
        "fcr": {**rated(1, 2), "provisional": 0},
        "csat": {**satisfied, "assistant": satisfied, "agents": {**satisfied, **rated(0, 1)}},
        "assistant_reply_time": timed(4, 0.8, 1.2),
        "time_to_person": timed(1, 75.0, 75.0),
        "agent_first_response": timed(1, 20.0, 20.0),
        "resolution_time": timed(1, 540.0, 540.0),
        "sla": {
            **rated(1, 1),
            "by_priority": {
                "high": {"target_seconds": 60, **rated(0, 0)},
                "normal": {"target_seconds": 120, **rated(1, 1)},
            },
            "tickets": {"target_seconds": 86400, **rated(0, 0)},
        },
        "tickets": {"count": 0, "answered": 0, "resolved": 0, "first_reply": timed(0, None, None)},
    }


REPORT = {
    "range": {"from": "2026-03-02", "to": "2026-03-03", "timezone": "Europe/London", "group": "day"},
    "filters": {"topic": None, "agent": None, "channel": None},
    **figures(4),
    "topics": [
        {
            "topic": "card_arrival",
            "conversations": 4,
            "containment": rated(2, 4),
            "escalation": rated(1, 4),
            "csat": rated(1, 1),
        },
    ],
    "articles": [
        {
            "article_id": "card-arrival",
            "topic": "card_arrival",
            "answers": 3,
            "helpful": 1,
            "not_helpful": 1,
            "rate": 0.5,
        },
    ],
    "agents": [
        {
            "agent_id": 3,
            "name": '=HYPERLINK("http://x")',
            "handled": 1,
            "resolved": 1,
            "first_response": timed(1, 20.0, 20.0),
            "resolution_time": timed(1, 540.0, 540.0),
            "csat": rated(0, 1),
        },
    ],
    "series": [
        {"start": "2026-03-02", "end": "2026-03-02", **figures(4)},
        {"start": "2026-03-03", "end": "2026-03-03", **figures(0)},
    ],
}
FLOOR = {
    "at": "2026-03-09T10:00:00.000000Z",
    "waiting": {"count": 1, "longest_wait_seconds": 140, "by_priority": {"high": 0, "normal": 1, "low": 0}},
    "queue": [
        {
            "conversation_id": "c_1",
            "handoff_id": "ho_1",
            "priority": "normal",
            "reason": "customer_request",
            "status": "queued",
            "agent_id": None,
            "waiting_seconds": 140,
            "target_seconds": 120,
            "at_risk": True,
            "breached": True,
        },
    ],
    "tickets": {"open": 2, "oldest_seconds": 7200},
    "agents_online": 1,
    "agents": [{"agent_id": 3, "name": "Ana Torres", "online": True, "conversations": 2}],
    "sla_at_risk": {"count": 1, "threshold": 0.8},
}


def parsed(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_value_at_follows_a_dotted_path_and_gives_none_where_it_leads_nowhere():
    assert value_at(REPORT, "csat.agents.of") == 1
    assert value_at(REPORT, "csat.nobody.rate") is None
    assert value_at(REPORT, "conversations.count.more") is None


def present(data: Any, path: str) -> bool:
    """The path leads to a key the data holds (its value may be null, as a rate without data)."""
    parent, _, last = path.rpartition(".")
    holder = value_at(data, parent) if parent else data
    return isinstance(holder, dict) and last in holder


def test_every_path_of_every_table_and_tile_is_in_the_contract():
    for table in TABLES.values():
        rows = table_rows(table, FLOOR if table.source == "floor" else REPORT)
        assert rows, table.id
        for column in table.columns:
            assert all(present(row, column.path) for row in rows), (table.id, column.path)
    assert all(present(REPORT, tile.path) for tile in PERIOD_TILES)
    assert all(present(FLOOR, tile.path) for tile in FLOOR_TILES)
    assert not present(REPORT, "csat.nobody.rate")


def test_a_mapping_of_rows_becomes_rows_with_their_key():
    rows = table_rows(TABLES["sla"], REPORT)
    assert [r["key"] for r in rows] == ["high", "normal"]
    assert parsed(table_csv(TABLES["sla"], REPORT)) == [
        ["Priority", "Target (s)", "Within target (0-1)", "Met", "Measured"],
        ["high", "60", "", "0", "0"],
        ["normal", "120", "1.0", "1", "1"],
    ]


def test_the_csv_holds_the_api_values_raw_and_text_made_safe():
    agents = parsed(table_csv(TABLES["agents"], REPORT))
    assert agents[0][:3] == ["Agent", "Handled", "Resolved"]
    assert agents[1] == ['\'=HYPERLINK("http://x")', "1", "1", "20.0", "20.0", "540.0", "540.0", "0.0", "1"]


def test_the_series_and_the_reasons_have_a_row_per_bucket():
    series = parsed(table_csv(TABLES["series"], REPORT))
    assert [r[0] for r in series[1:]] == ["2026-03-02", "2026-03-03"]
    assert series[2][series[0].index("Containment (0-1)")] == ""  # no conversations: no rate
    reasons = parsed(table_csv(TABLES["reasons"], REPORT))
    assert reasons[0][3:] == [
        "Asked for a person",
        "Sensitive topic",
        "Repeated failure",
        "Complaint",
        "Abuse",
        "Declined alternatives",
        "Assistant unavailable",
    ]
    assert reasons[1][reasons[0].index("Complaint")] == "1"


def test_the_floor_tables():
    assert parsed(table_csv(TABLES["floor-agents"], FLOOR))[1] == ["Ana Torres", "yes", "2"]
    queue = parsed(table_csv(TABLES["floor-queue"], FLOOR))
    assert queue[1] == ["c_1", "normal", "customer_request", "queued", "140", "120", "yes", "yes"]


def test_a_response_without_rows_gives_only_the_header():
    assert parsed(table_csv(TABLES["topics"], {"topics": []})) == [
        [c.label + (" (0-1)" if c.format == "rate" else "") for c in TABLES["topics"].columns]
    ]
