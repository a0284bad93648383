"""The live floor (GET /api/floor): who is waiting for a person and how long, open tickets, the
agents online and the conversations each holds, and the waits at risk of missing their SLA."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from desk.kpis.measures import PRIORITIES, KpiPolicy
from desk.state import HandoffStatus
from desk.store.database import iso, parse_time
from desk.store.records import Handoff


def _waiting(handoff: Handoff) -> bool:
    """Queued, or claimed with no reply yet: the customer is still waiting for a person."""
    return handoff.status == HandoffStatus.QUEUED or (
        handoff.status == HandoffStatus.ASSIGNED and handoff.first_reply_at is None
    )


def floor(
    handoffs: Iterable[Handoff],
    *,
    online: Iterable[int],
    names: Mapping[int, str],
    policy: KpiPolicy,
    now: datetime,
) -> dict[str, Any]:
    """`handoffs`: the open ones (queued, assigned, ticket)."""
    open_ones = list(handoffs)
    waits: list[tuple[int, dict[str, Any]]] = []
    for h in open_ones:
        if not _waiting(h):
            continue
        waited = max(0, int((now - parse_time(h.created_at)).total_seconds()))
        target = policy.target(h.priority)
        waits.append(
            (
                waited,
                {
                    "conversation_id": h.conversation_id,
                    "handoff_id": h.id,
                    "priority": h.priority,
                    "reason": h.reason,
                    "status": h.status,
                    "agent_id": h.agent_id,
                    "waiting_seconds": waited,
                    "target_seconds": target,
                    "at_risk": waited >= policy.at_risk_share * target,
                    "breached": waited > target,
                },
            )
        )
    waits.sort(key=lambda pair: -pair[0])
    queue = [row for _, row in waits]
    tickets = [h for h in open_ones if h.status == HandoffStatus.TICKET]
    holding = Counter(h.agent_id for h in open_ones if h.status == HandoffStatus.ASSIGNED and h.agent_id)
    online_ids = set(online)
    agents = [
        {
            "agent_id": agent,
            "name": names.get(agent),
            "online": agent in online_ids,
            "conversations": holding[agent],
        }
        for agent in online_ids | set(holding)
    ]
    agents.sort(key=lambda a: (not a["online"], a["name"] or "", a["agent_id"]))
    return {
        "at": iso(now),
        "waiting": {
            "count": len(queue),
            "longest_wait_seconds": waits[0][0] if waits else 0,
            "by_priority": {p: sum(row["priority"] == p for row in queue) for p in PRIORITIES},
        },
        "queue": queue,
        "tickets": {
            "open": len(tickets),
            "oldest_seconds": max(
                (int((now - parse_time(h.created_at)).total_seconds()) for h in tickets), default=0
            ),
        },
        "agents_online": len(online_ids),
        "agents": agents,
        "sla_at_risk": {"count": sum(row["at_risk"] for row in queue), "threshold": policy.at_risk_share},
    }
