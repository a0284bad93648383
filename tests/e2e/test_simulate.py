"""The traffic simulator (`python -m desk.simulate`) through the real desk, Rasa, action server and
knowledge service: what it says it played agrees with the desk's event log and with the KPIs the
manager reads (GET /api/kpis). The stack is shared with other tests, so the checks read only the
simulator's own conversations: by their ids in the event log, and, for the KPIs, as the change a
backfill made to past days no other test writes to."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tools.services import ROOT
from tools.stack import Stack

pytestmark = pytest.mark.slow

MANAGER = ("manager@kestrel.example", "kestrel-demo")
HEADERS = {"X-Requested-With": "kestrel-console"}


def simulate(stack: Stack, *args: str) -> dict[str, Any]:
    assert stack.desk
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "desk.simulate",
            "--desk",
            stack.desk,
            "--kb",
            stack.kb,
            "--agents",
            "2",
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-4000:]}"
    summary: dict[str, Any] = json.loads(done.stdout)
    assert summary["problems"] == []
    return summary


@pytest.fixture
def manager(desk_stack: Stack) -> httpx.Client:
    assert desk_stack.desk
    client = httpx.Client(base_url=desk_stack.desk, headers=HEADERS, timeout=30)
    signed_in = client.post("/console/login", data={"email": MANAGER[0], "password": MANAGER[1]})
    assert signed_in.status_code == 303
    return client


def events_of(manager: httpx.Client, conversation_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for cid in conversation_ids:
        answer = manager.get("/api/events", params={"conversation_id": cid, "limit": 1000})
        found[cid] = answer.raise_for_status().json()["events"]
    return found


def played_per_events(events: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The summary's figures as the event log tells them."""
    reasons: Counter[str] = Counter()
    ratings: dict[str, list[int]] = {"assistant": [], "agent": []}
    resolved_by_agents = handed_back = 0
    for log in events.values():
        asked = [e["payload"]["reason"] for e in log if e["type"] == "handoff_requested"]
        if asked:
            reasons[asked[0]] += 1
        resolved_by_agents += any(
            e["type"] == "resolved"
            and e["payload"].get("by") == "agent"
            and e["payload"]["outcome"] == "resolved"
            for e in log
        )
        handed_back += any(e["type"] == "handed_back" for e in log)
        for e in log:
            if e["type"] == "csat_given":
                ratings[e["payload"]["of"]].append(e["payload"]["score"])
    return {
        "escalated": {"count": sum(reasons.values()), "by_reason": dict(sorted(reasons.items()))},
        "resolved_by_agents": resolved_by_agents,
        "handed_back": handed_back,
        "ratings": {of: sorted(scores) for of, scores in ratings.items()},
    }


def test_live_traffic_lands_in_the_event_log_as_played(desk_stack: Stack, manager: httpx.Client) -> None:
    summary = simulate(desk_stack, "--conversations", "8", "--pace", "0.02", "--seed", "21")
    assert summary["conversations"] == 8
    events = events_of(manager, summary["conversation_ids"])
    told = played_per_events(events)
    assert told["escalated"] == summary["escalated"]
    assert told["resolved_by_agents"] == summary["resolved_by_agents"]
    assert told["handed_back"] == summary["handed_back"]
    assert told["ratings"] == {
        "assistant": summary["ratings"]["assistant"],
        "agent": summary["ratings"]["agent"],
    }
    assert summary["ratings"]["given"] == sum(map(len, told["ratings"].values()))
    resolved_by_assistant = sum(
        any(e["type"] == "resolved" and e["payload"].get("by") == "assistant" for e in log)
        for log in events.values()
    )
    assert resolved_by_assistant == summary["resolved_by_assistant"] >= summary["contained"]
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    assert all(
        datetime.fromisoformat(log[0]["at"].replace("Z", "+00:00")) > hour_ago for log in events.values()
    )


def test_a_backfill_fills_past_days_and_the_kpis_agree_with_what_was_played(
    desk_stack: Stack, manager: httpx.Client
) -> None:
    """On the scaled stack a simulated conversation's grant, binding, advances, handoff and
    replies land on either desk replica: each applies the clock kept in the shared database."""
    # Past days only: every other test's conversations start today.
    timezone = ZoneInfo("Europe/London")
    yesterday = (datetime.now(timezone) - timedelta(days=1)).date()
    window = {
        "from": (yesterday - timedelta(days=9)).isoformat(),
        "to": yesterday.isoformat(),
        "group": "week",
    }
    before = manager.get("/api/kpis", params=window).raise_for_status().json()
    summary = simulate(desk_stack, "--conversations", "16", "--backfill-weeks", "1", "--seed", "5")
    after = manager.get("/api/kpis", params=window).raise_for_status().json()

    events = events_of(manager, summary["conversation_ids"])
    starts = [datetime.fromisoformat(log[0]["at"].replace("Z", "+00:00")) for log in events.values()]
    assert all(
        datetime.now(UTC) - timedelta(days=8) < s < datetime.now(UTC) - timedelta(hours=1) for s in starts
    )
    assert len({s.date() for s in starts}) >= 4  # spread over the week
    told = played_per_events(events)
    assert told["escalated"] == summary["escalated"]
    assert told["resolved_by_agents"] == summary["resolved_by_agents"]

    def added(*path: str) -> Any:
        then, now = before, after
        for key in path:
            then, now = then[key], now[key]
        return now - then

    assert added("conversations", "count") == summary["conversations"] == 16
    assert added("containment", "count") == summary["contained"]
    assert added("escalation", "count") == summary["escalated"]["count"]
    for reason, count in summary["escalated"]["by_reason"].items():
        assert added("escalation", "by_reason", reason) == count, reason
    assert added("abandoned", "count") == summary["abandoned"]
    assert added("csat", "responses") == summary["ratings"]["given"]
    for of, key in (("assistant", "assistant"), ("agent", "agents")):
        scores = Counter(summary["ratings"][of])
        for score in range(1, 6):
            assert added("csat", key, "distribution", str(score)) == scores[score], (of, score)
    assert sum(s["conversations"]["count"] for s in after["series"]) == after["conversations"]["count"]
