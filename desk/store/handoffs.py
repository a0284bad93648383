"""Handoffs: a conversation's request for a person, from queued to closed. They are created and
change status only through transitions (desk/store/transitions.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

from desk.events import NewEvent
from desk.store.database import marks, parse_time
from desk.store.events import SqlEvents
from desk.store.records import Handoff


class HandoffRecords(Protocol):
    def handoff(self, handoff_id: str) -> Handoff | None: ...
    def handoffs(self, statuses: Iterable[str]) -> list[Handoff]: ...
    def update_handoff(self, handoff_id: str, *, events: Iterable[NewEvent] = (), **fields: Any) -> None: ...
    def recent_waits(self, limit: int = 50) -> list[float]: ...


class SqlHandoffs(SqlEvents):
    def handoff(self, handoff_id: str) -> Handoff | None:
        rows = self._rows("SELECT * FROM handoffs WHERE id = ?", (handoff_id,))
        return _handoff(rows[0]) if rows else None

    def handoffs(self, statuses: Iterable[str]) -> list[Handoff]:
        statuses = [str(s) for s in statuses]
        rows = self._rows(
            f"SELECT * FROM handoffs WHERE status IN ({marks(statuses)}) ORDER BY created_at",  # noqa: S608
            statuses,
        )
        return [_handoff(row) for row in rows]

    def update_handoff(self, handoff_id: str, *, events: Iterable[NewEvent] = (), **fields: Any) -> None:
        """Fields other than the status (which only `transition` changes), with their events."""
        if "status" in fields:
            raise ValueError("a handoff's status changes only through a transition (desk/state.py)")
        for name in ("response", "request"):
            if name in fields:
                fields[name] = json.dumps(fields[name])
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self._transaction() as db:
            db.execute(f"UPDATE handoffs SET {assignments} WHERE id = ?", (*fields.values(), handoff_id))  # noqa: S608
            self._append(db, events)

    def recent_waits(self, limit: int = 50) -> list[float]:
        """How long recent handoffs waited in the live queue for an agent (for wait estimates).
        A ticket's wait (overnight, say) says nothing about the live queue and is left out."""
        rows = self._rows(
            "SELECT created_at, claimed_at FROM handoffs h WHERE claimed_at IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.conversation_id = h.conversation_id"
            " AND e.type = 'ticket_created' AND json_extract(e.payload, '$.handoff_id') = h.id)"
            " ORDER BY claimed_at DESC LIMIT ?",
            (limit,),
        )
        return [(parse_time(r["claimed_at"]) - parse_time(r["created_at"])).total_seconds() for r in rows]


def _handoff(row: Any) -> Handoff:
    return Handoff(
        id=row["id"],
        conversation_id=row["conversation_id"],
        reason=row["reason"],
        priority=row["priority"],
        summary=row["summary"],
        request=json.loads(row["request"]),
        status=row["status"],
        created_at=row["created_at"],
        agent_id=row["agent_id"],
        claimed_at=row["claimed_at"],
        first_reply_at=row["first_reply_at"],
        closed_at=row["closed_at"],
        outcome=row["outcome"],
        response=json.loads(row["response"]),
    )
