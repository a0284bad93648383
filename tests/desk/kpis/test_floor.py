"""The live floor from open handoffs, the agents online and the time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from desk.kpis.floor import floor
from desk.kpis.measures import KpiPolicy
from desk.store import Handoff, iso
from tests.desk.kpis.events import at

NOW = at(0, 12)


def handoff(hid: str, status: str, waited: float, **fields: Any) -> Handoff:
    values: dict[str, Any] = {
        "id": hid,
        "conversation_id": f"c_{hid}",
        "reason": "customer_request",
        "priority": "normal",
        "summary": "",
        "request": {},
        "status": status,
        "created_at": iso(NOW - timedelta(seconds=waited)),
        "agent_id": None,
        "claimed_at": None,
        "first_reply_at": None,
        "closed_at": None,
        "outcome": None,
        "response": {},
    }
    return Handoff(**(values | fields))


def test_the_floor() -> None:
    found = floor(
        [
            handoff("q1", "queued", 50),  # normal: 50 of 120 s, fine
            handoff("q2", "queued", 100),  # past 80% of 120 s: at risk
            handoff("q3", "queued", 70, priority="high"),  # past 60 s: breached
            handoff("a1", "assigned", 30, agent_id=7),  # claimed, no reply yet: still waiting
            handoff("a2", "assigned", 400, agent_id=7, first_reply_at=iso(NOW)),  # being helped
            handoff("a3", "assigned", 20, agent_id=9, first_reply_at=iso(NOW)),  # agent 9 went offline
            handoff("t1", "ticket", 7200),
            handoff("t2", "ticket", 60),
        ],
        online=[7, 8],
        names={7: "Ana", 8: "Ben", 9: "Cy"},
        policy=KpiPolicy(),
        now=NOW,
    )
    assert found["at"] == iso(NOW)
    assert found["waiting"] == {
        "count": 4,
        "longest_wait_seconds": 100,
        "by_priority": {"high": 1, "normal": 3, "low": 0},
    }
    assert [(r["handoff_id"], r["at_risk"], r["breached"]) for r in found["queue"]] == [
        ("q2", True, False),
        ("q3", True, True),
        ("q1", False, False),
        ("a1", False, False),
    ]
    assert found["queue"][1]["target_seconds"] == 60.0
    assert found["tickets"] == {"open": 2, "oldest_seconds": 7200}
    assert found["agents_online"] == 2
    assert found["agents"] == [
        {"agent_id": 7, "name": "Ana", "online": True, "conversations": 2},
        {"agent_id": 8, "name": "Ben", "online": True, "conversations": 0},
        {"agent_id": 9, "name": "Cy", "online": False, "conversations": 1},
    ]
    assert found["sla_at_risk"] == {"count": 2, "threshold": 0.8}


def test_an_empty_floor() -> None:
    found = floor([], online=[], names={}, policy=KpiPolicy(), now=NOW)
    assert found["waiting"]["count"] == 0
    assert found["waiting"]["longest_wait_seconds"] == 0
    assert found["tickets"] == {"open": 0, "oldest_seconds": 0}
    assert found["agents"] == []
    assert found["sla_at_risk"]["count"] == 0
