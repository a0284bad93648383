"""What the KPIs read: the event log of the conversations that started in a period, and who each
conversation's customer is (their customer id and email, for first-contact resolution)."""

from __future__ import annotations

import json
from typing import Protocol

from desk.events import Event
from desk.store.database import Database
from desk.store.events import _event


class ReportRecords(Protocol):
    def events_of_conversations_started(self, since: str, until: str) -> list[Event]: ...
    def customer_keys(self, since: str, until: str) -> dict[str, frozenset[str]]: ...


class SqlReports(Database):
    def events_of_conversations_started(self, since: str, until: str) -> list[Event]:
        """Every event, whenever it happened, of the conversations started in [since, until)."""
        rows = self._rows(
            "SELECT e.* FROM events e JOIN conversations c ON c.id = e.conversation_id"
            " WHERE c.created_at >= ? AND c.created_at < ? ORDER BY e.id",
            (since, until),
        )
        return [_event(row) for row in rows]

    def customer_keys(self, since: str, until: str) -> dict[str, frozenset[str]]:
        """Per conversation started in [since, until): `id:…` for the customer id the page gave,
        `email:…` for the email the customer gave (lower case). Purged ones have neither."""
        rows = self._rows(
            "SELECT id, metadata, customer_email FROM conversations WHERE created_at >= ? AND created_at < ?",
            (since, until),
        )
        keys: dict[str, frozenset[str]] = {}
        for row in rows:
            found = set()
            customer_id = json.loads(row["metadata"] or "{}").get("customer_id")
            if customer_id:
                found.add(f"id:{customer_id}")
            if row["customer_email"]:
                found.add(f"email:{row['customer_email'].strip().lower()}")
            if found:
                keys[row["id"]] = frozenset(found)
        return keys
