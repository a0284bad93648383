"""Satisfaction ratings: a request per resolution, answered once (with its `csat_given` event in
the same transaction) or dismissed; and the ratings with their masked comments for managers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from desk.events import NewEvent
from desk.store.events import SqlEvents


@dataclass(frozen=True, slots=True)
class CsatRequest:
    resolution_id: int
    conversation_id: str
    of: str  # assistant | agent
    agent_id: int | None
    requested_at: str
    score: int | None
    answered_at: str | None
    dismissed_at: str | None

    @property
    def pending(self) -> bool:
        return self.answered_at is None and self.dismissed_at is None


class CsatRecords(Protocol):
    def ask_csat(self, resolution_id: int, conversation_id: str, of: str, agent_id: int | None) -> bool: ...
    def csat_request(self, resolution_id: int) -> CsatRequest | None: ...
    def csat_requests(self, conversation_id: str) -> list[CsatRequest]: ...
    def answer_csat(
        self,
        resolution_id: int,
        conversation_id: str,
        score: int,
        comment: str | None,
        events: Iterable[NewEvent],
    ) -> bool: ...
    def dismiss_csat(self, resolution_id: int, conversation_id: str) -> bool: ...
    def csat_ratings(
        self, *, since: str, until: str, of: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]: ...


class SqlCsat(SqlEvents):
    def ask_csat(self, resolution_id: int, conversation_id: str, of: str, agent_id: int | None) -> bool:
        """Record the request for a rating of this resolution; False if it was already made."""
        with self._transaction() as db:
            return bool(
                db.execute(
                    "INSERT OR IGNORE INTO csat (resolution_id, conversation_id, of, agent_id, requested_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (resolution_id, conversation_id, of, agent_id, self._stamp()),
                ).rowcount
            )

    def csat_request(self, resolution_id: int) -> CsatRequest | None:
        rows = self._rows("SELECT * FROM csat WHERE resolution_id = ?", (resolution_id,))
        return _request(rows[0]) if rows else None

    def csat_requests(self, conversation_id: str) -> list[CsatRequest]:
        """Oldest first."""
        rows = self._rows(
            "SELECT * FROM csat WHERE conversation_id = ? ORDER BY resolution_id", (conversation_id,)
        )
        return [_request(row) for row in rows]

    def answer_csat(
        self,
        resolution_id: int,
        conversation_id: str,
        score: int,
        comment: str | None,
        events: Iterable[NewEvent],
    ) -> bool:
        """Store the rating once, with its events; False when it was answered or dismissed before
        (or is not this conversation's)."""
        with self._transaction() as db:
            stored = db.execute(
                "UPDATE csat SET score = ?, comment = ?, answered_at = ? WHERE resolution_id = ?"
                " AND conversation_id = ? AND answered_at IS NULL AND dismissed_at IS NULL",
                (score, comment, self._stamp(), resolution_id, conversation_id),
            ).rowcount
            if stored:
                self._append(db, events)
        return bool(stored)

    def dismiss_csat(self, resolution_id: int, conversation_id: str) -> bool:
        with self._transaction() as db:
            return bool(
                db.execute(
                    "UPDATE csat SET dismissed_at = ? WHERE resolution_id = ? AND conversation_id = ?"
                    " AND answered_at IS NULL AND dismissed_at IS NULL",
                    (self._stamp(), resolution_id, conversation_id),
                ).rowcount
            )

    def csat_ratings(
        self, *, since: str, until: str, of: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Ratings answered in [since, until), newest first, with their (masked) comments."""
        sql = (
            "SELECT resolution_id, conversation_id, of, agent_id, score, comment, answered_at FROM csat"
            " WHERE answered_at >= ? AND answered_at < ?"
        )
        params: list[object] = [since, until]
        if of is not None:
            sql += " AND of = ?"
            params.append(of)
        rows = self._rows(sql + " ORDER BY answered_at DESC, resolution_id DESC LIMIT ?", [*params, limit])
        return [
            {
                "resolution_id": row["resolution_id"],
                "conversation_id": row["conversation_id"],
                "of": row["of"],
                "agent_id": row["agent_id"],
                "score": row["score"],
                "comment": row["comment"],
                "at": row["answered_at"],
            }
            for row in rows
        ]


def _request(row: Any) -> CsatRequest:
    return CsatRequest(
        resolution_id=row["resolution_id"],
        conversation_id=row["conversation_id"],
        of=row["of"],
        agent_id=row["agent_id"],
        requested_at=row["requested_at"],
        score=row["score"],
        answered_at=row["answered_at"],
        dismissed_at=row["dismissed_at"],
    )
