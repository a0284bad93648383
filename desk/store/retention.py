"""Purging what a closed conversation said once it is older than the retention period. The
conversation keeps its id, mode, times and event log (which holds no text, email or card
number), so reports over past months stay whole; its messages, contact details, page metadata,
handoff context, emails and rating comments are deleted, and its widget token stops working."""

from __future__ import annotations

import json
from typing import Protocol

from desk.state import WITH_PEOPLE
from desk.store.database import Database, marks

PURGED_SUMMARY = "[purged after the retention period]"
PURGED_METADATA = {"purged": True}
# Conversations a person is still working on are never purged, however old.
_OPEN_MODES = sorted(mode.value for mode in WITH_PEOPLE)


class RetentionRecords(Protocol):
    def purgeable(self, before: str, limit: int = 500) -> list[str]: ...
    def purge(self, conversation_ids: list[str]) -> int: ...


class SqlRetention(Database):
    def purgeable(self, before: str, limit: int = 500) -> list[str]:
        """Closed conversations with no activity since `before`, not purged yet, oldest first."""
        rows = self._rows(
            f"SELECT id FROM conversations WHERE updated_at < ? AND mode NOT IN ({marks(_OPEN_MODES)})"  # noqa: S608
            " AND metadata != ? ORDER BY updated_at LIMIT ?",
            (before, *_OPEN_MODES, json.dumps(PURGED_METADATA), limit),
        )
        return [row["id"] for row in rows]

    def purge(self, conversation_ids: list[str]) -> int:
        """Delete what these conversations said, in one transaction; how many messages went."""
        if not conversation_ids:
            return 0
        ids = marks(conversation_ids)
        with self._transaction() as db:
            db.execute(f"DELETE FROM mail_outbox WHERE conversation_id IN ({ids})", conversation_ids)  # noqa: S608
            db.execute(f"UPDATE csat SET comment = NULL WHERE conversation_id IN ({ids})", conversation_ids)  # noqa: S608
            deleted = db.execute(
                f"DELETE FROM messages WHERE conversation_id IN ({ids})",  # noqa: S608
                conversation_ids,
            ).rowcount
            db.execute(
                f"UPDATE handoffs SET summary = ?, request = '{{}}', response = '{{}}'"  # noqa: S608
                f" WHERE conversation_id IN ({ids})",
                (PURGED_SUMMARY, *conversation_ids),
            )
            db.execute(
                "UPDATE conversations SET customer_name = NULL, customer_email = NULL, metadata = ?"  # noqa: S608
                f" WHERE id IN ({ids})",
                (json.dumps(PURGED_METADATA), *conversation_ids),
            )
        return int(deleted)
