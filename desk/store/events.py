"""The append-only event log: written inside the transaction of the change it records (the
`_append` helper other record kinds call), read by managers, paged by id."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

from desk.events import Event, EventType, NewEvent
from desk.store.database import Database, marks
from sqlkit.database import Transaction


class EventLog(Protocol):
    def append_events(self, events: Iterable[NewEvent]) -> None: ...
    def events(
        self,
        *,
        conversation_id: str | None = None,
        types: Iterable[EventType] = (),
        since: str | None = None,
        until: str | None = None,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[Event]: ...
    def last_event(self, conversation_id: str, types: Iterable[EventType]) -> Event | None: ...
    def feedback_counts(self, since: str | None = None) -> dict[str, tuple[int, int]]: ...


class SqlEvents(Database):
    def append_events(self, events: Iterable[NewEvent]) -> None:
        with self._transaction() as db:
            self._append(db, events)

    def _append(self, db: Transaction, events: Iterable[NewEvent]) -> None:
        stamp = self._stamp()
        db.executemany(
            "INSERT INTO events (conversation_id, type, at, actor, payload) VALUES (?, ?, ?, ?, ?)",
            [
                (
                    e.conversation_id,
                    e.type.value,
                    stamp,
                    e.actor,
                    e.payload.model_dump_json(exclude_none=True),
                )
                for e in events
            ],
        )

    def events(
        self,
        *,
        conversation_id: str | None = None,
        types: Iterable[EventType] = (),
        since: str | None = None,
        until: str | None = None,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[Event]:
        """Oldest first, from `after_id` on (the cursor of the next page)."""
        sql = "SELECT * FROM events WHERE id > ?"
        params: list[object] = [after_id]
        if conversation_id is not None:
            sql += " AND conversation_id = ?"
            params.append(conversation_id)
        wanted = [t.value for t in types]
        if wanted:
            sql += f" AND type IN ({marks(wanted)})"
            params.extend(wanted)
        if since is not None:
            sql += " AND at >= ?"
            params.append(since)
        if until is not None:
            sql += " AND at < ?"
            params.append(until)
        return [_event(row) for row in self._rows(sql + " ORDER BY id LIMIT ?", [*params, limit])]

    def last_event(self, conversation_id: str, types: Iterable[EventType]) -> Event | None:
        wanted = [t.value for t in types]
        rows = self._rows(
            f"SELECT * FROM events WHERE conversation_id = ? AND type IN ({marks(wanted)})"  # noqa: S608
            " ORDER BY id DESC LIMIT 1",
            [conversation_id, *wanted],
        )
        return _event(rows[0]) if rows else None

    def feedback_counts(self, since: str | None = None) -> dict[str, tuple[int, int]]:
        """Per article, (helpful, not helpful) answers to "Did that answer your question?".
        A JSON boolean reads as 1 or 0 on SQLite and as 'true' or 'false' on PostgreSQL."""
        rows = self._rows(
            "SELECT json_extract(payload, '$.article_id') AS article_id,"
            " SUM(CASE WHEN CAST(json_extract(payload, '$.helpful') AS TEXT) IN ('1', 'true')"
            "  THEN 1 ELSE 0 END) AS helpful,"
            " SUM(CASE WHEN CAST(json_extract(payload, '$.helpful') AS TEXT) IN ('0', 'false')"
            "  THEN 1 ELSE 0 END) AS not_helpful"
            " FROM events WHERE type = 'feedback' AND at >= ? GROUP BY 1",
            (since or "",),
        )
        return {r["article_id"]: (int(r["helpful"]), int(r["not_helpful"])) for r in rows if r["article_id"]}


def _event(row: Any) -> Event:
    return Event(
        id=row["id"],
        conversation_id=row["conversation_id"],
        type=EventType(row["type"]),
        at=row["at"],
        actor=row["actor"],
        payload=json.loads(row["payload"]),
    )
