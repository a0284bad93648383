"""Handoffs: a conversation's request for a person, from queued to closed."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any, Protocol

from desk.store.database import Database, marks, parse_time
from desk.store.records import Handoff

OPEN_STATUSES = ("queued", "assigned", "ticket")


class HandoffRecords(Protocol):
    def add_handoff(self, handoff: Handoff) -> tuple[Handoff, bool]: ...
    def handoff(self, handoff_id: str) -> Handoff | None: ...
    def handoffs(self, statuses: Iterable[str]) -> list[Handoff]: ...
    def update_handoff(self, handoff_id: str, **fields: Any) -> None: ...
    def claim_handoff(self, handoff_id: str, agent_id: int) -> bool: ...
    def recent_waits(self, limit: int = 50) -> list[float]: ...


class SqlHandoffs(Database):
    def add_handoff(self, handoff: Handoff) -> tuple[Handoff, bool]:
        """Store a handoff once per id; a repeat returns the stored one and False."""
        with self._transaction() as db:
            row = db.execute("SELECT * FROM handoffs WHERE id = ?", (handoff.id,)).fetchone()
            if row is not None:
                return _handoff(row), False
            db.execute(
                "INSERT INTO handoffs (id, conversation_id, reason, priority, summary, request, status,"
                " created_at, response) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    handoff.id,
                    handoff.conversation_id,
                    handoff.reason,
                    handoff.priority,
                    handoff.summary,
                    json.dumps(handoff.request),
                    handoff.status,
                    handoff.created_at,
                    json.dumps(handoff.response),
                ),
            )
        return handoff, True

    def handoff(self, handoff_id: str) -> Handoff | None:
        rows = self._rows("SELECT * FROM handoffs WHERE id = ?", (handoff_id,))
        return _handoff(rows[0]) if rows else None

    def handoffs(self, statuses: Iterable[str]) -> list[Handoff]:
        statuses = list(statuses)
        rows = self._rows(
            f"SELECT * FROM handoffs WHERE status IN ({marks(statuses)}) ORDER BY created_at",  # noqa: S608
            statuses,
        )
        return [_handoff(row) for row in rows]

    def update_handoff(self, handoff_id: str, **fields: Any) -> None:
        if "response" in fields:
            fields["response"] = json.dumps(fields["response"])
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self._transaction() as db:
            db.execute(f"UPDATE handoffs SET {assignments} WHERE id = ?", (*fields.values(), handoff_id))  # noqa: S608

    def claim_handoff(self, handoff_id: str, agent_id: int) -> bool:
        """Assign an open handoff to an agent unless someone else holds it (atomic)."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE handoffs SET status = 'assigned', agent_id = ?, claimed_at = COALESCE(claimed_at, ?)"
                " WHERE id = ? AND (status IN ('queued', 'ticket')"
                " OR (status = 'assigned' AND agent_id = ?))",
                (agent_id, self._stamp(), handoff_id, agent_id),
            )
            return cursor.rowcount == 1

    def recent_waits(self, limit: int = 50) -> list[float]:
        """How long recent handoffs waited for an agent (for wait estimates)."""
        rows = self._rows(
            "SELECT created_at, claimed_at FROM handoffs WHERE claimed_at IS NOT NULL"
            " ORDER BY claimed_at DESC LIMIT ?",
            (limit,),
        )
        return [(parse_time(r["claimed_at"]) - parse_time(r["created_at"])).total_seconds() for r in rows]


def _handoff(row: sqlite3.Row) -> Handoff:
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
