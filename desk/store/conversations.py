"""Conversations and their messages."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from desk.events import NewEvent
from desk.store.database import marks
from desk.store.events import SqlEvents
from desk.store.records import Conversation, Message

RecordMessage = Callable[[Message], list[NewEvent]]


class ConversationRecords(Protocol):
    def create_conversation(
        self, conversation_id: str, metadata: dict[str, Any], *, started: NewEvent | None = None
    ) -> tuple[Conversation, bool]: ...
    def conversation(self, conversation_id: str) -> Conversation | None: ...
    def update_conversation(
        self, conversation_id: str, *, events: Iterable[NewEvent] = (), **fields: Any
    ) -> None: ...
    def add_message(
        self,
        conversation_id: str,
        role: str,
        text: str,
        *,
        author: str | None = None,
        buttons: list[dict[str, str]] | None = None,
        links: list[dict[str, str]] | None = None,
        payload: str | None = None,
        client_id: str | None = None,
        record: RecordMessage | None = None,
    ) -> tuple[Message, bool]: ...
    def messages(
        self,
        conversation_id: str,
        *,
        after: int = 0,
        before: int | None = None,
        roles: Iterable[str] | None = None,
    ) -> list[Message]: ...
    def last_message(self, conversation_id: str, roles: Iterable[str]) -> Message | None: ...
    def latest_messages(
        self,
        conversation_id: str,
        *,
        roles: Iterable[str],
        after: int = 0,
        before: int | None = None,
        limit: int,
    ) -> tuple[list[Message], bool]: ...
    def idle_conversations(self, before: str) -> list[IdleConversation]: ...
    def unanswered(self, since: str) -> list[Message]: ...


class SqlConversations(SqlEvents):
    def create_conversation(
        self, conversation_id: str, metadata: dict[str, Any], *, started: NewEvent | None = None
    ) -> tuple[Conversation, bool]:
        """The conversation, and whether it is new (then `started` is logged with it)."""
        stamp = self._stamp()
        with self._transaction() as db:
            created = db.execute(
                "INSERT OR IGNORE INTO conversations (id, created_at, updated_at, metadata)"
                " VALUES (?, ?, ?, ?)",
                (conversation_id, stamp, stamp, json.dumps(metadata)),
            ).rowcount
            if created and started is not None:
                self._append(db, [started])
        conversation = self.conversation(conversation_id)
        assert conversation is not None
        return conversation, bool(created)

    def conversation(self, conversation_id: str) -> Conversation | None:
        rows = self._rows("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        return _conversation(rows[0]) if rows else None

    def update_conversation(
        self, conversation_id: str, *, events: Iterable[NewEvent] = (), **fields: Any
    ) -> None:
        """Fields other than the mode (which only `transition` changes), with their events."""
        if "mode" in fields:
            raise ValueError("the mode changes only through a transition (desk/state.py)")
        if "metadata" in fields:
            fields["metadata"] = json.dumps(fields["metadata"])
        fields["updated_at"] = self._stamp()
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self._transaction() as db:
            db.execute(
                f"UPDATE conversations SET {assignments} WHERE id = ?",  # noqa: S608 - names are ours
                (*fields.values(), conversation_id),
            )
            self._append(db, events)

    def add_message(
        self,
        conversation_id: str,
        role: str,
        text: str,
        *,
        author: str | None = None,
        buttons: list[dict[str, str]] | None = None,
        links: list[dict[str, str]] | None = None,
        payload: str | None = None,
        client_id: str | None = None,
        record: RecordMessage | None = None,
    ) -> tuple[Message, bool]:
        """Store a message, and the events `record` makes of it in the same transaction; a
        repeated `client_id` returns the stored one and False. A conversation's messages are
        written one at a time (its row is locked), so their ids grow in the order they commit."""
        with self._transaction() as db:
            self._lock_conversation(db, conversation_id)
            if client_id is not None:
                row = db.execute(
                    "SELECT * FROM messages WHERE conversation_id = ? AND client_id = ?",
                    (conversation_id, client_id),
                ).fetchone()
                if row is not None:
                    return _message(row), False
            stamp = self._stamp()
            cursor = db.execute(
                "INSERT INTO messages (conversation_id, role, author, text, buttons, links, payload,"
                " client_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    role,
                    author,
                    text,
                    json.dumps(buttons or []),
                    json.dumps(links or []),
                    payload,
                    client_id,
                    stamp,
                ),
            )
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (stamp, conversation_id))
            message = _message(
                db.execute("SELECT * FROM messages WHERE id = ?", (cursor.lastrowid,)).fetchone()
            )
            if record is not None:
                self._append(db, record(message))
        return message, True

    def messages(
        self,
        conversation_id: str,
        *,
        after: int = 0,
        before: int | None = None,
        roles: Iterable[str] | None = None,
    ) -> list[Message]:
        """The messages with ids after `after` (and before `before`), oldest first."""
        sql = "SELECT * FROM messages WHERE conversation_id = ? AND id > ?"
        params: list[Any] = [conversation_id, after]
        if before is not None:
            sql += " AND id < ?"
            params.append(before)
        if roles is not None:
            roles = list(roles)
            sql += f" AND role IN ({marks(roles)})"
            params.extend(roles)
        return [_message(row) for row in self._rows(sql + " ORDER BY id", params)]

    def last_message(self, conversation_id: str, roles: Iterable[str]) -> Message | None:
        roles = list(roles)
        rows = self._rows(
            f"SELECT * FROM messages WHERE conversation_id = ? AND role IN ({marks(roles)})"  # noqa: S608
            " ORDER BY id DESC LIMIT 1",
            [conversation_id, *roles],
        )
        return _message(rows[0]) if rows else None

    def latest_messages(
        self,
        conversation_id: str,
        *,
        roles: Iterable[str],
        after: int = 0,
        before: int | None = None,
        limit: int,
    ) -> tuple[list[Message], bool]:
        """The latest `limit` messages with ids between `after` and `before`, oldest first, and
        whether more exist in that range before them."""
        roles = list(roles)
        rows = self._rows(
            f"SELECT * FROM messages WHERE conversation_id = ? AND role IN ({marks(roles)})"  # noqa: S608
            " AND id > ? AND id < ? ORDER BY id DESC LIMIT ?",
            [conversation_id, *roles, after, before if before is not None else 2**62, limit + 1],
        )
        page = [_message(row) for row in rows[:limit]]
        return page[::-1], len(rows) > limit

    def unanswered(self, since: str) -> list[Message]:
        """The last message of each conversation with the assistant whose last word is the
        customer's (written since `since`): a turn that never ran or was interrupted."""
        rows = self._rows(
            "SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            " WHERE c.mode = 'bot' AND m.role = 'customer' AND m.at >= ?"
            " AND m.id = (SELECT MAX(id) FROM messages l WHERE l.conversation_id = m.conversation_id"
            "  AND l.role IN ('customer', 'bot', 'agent', 'system'))"
            " ORDER BY m.id",
            (since,),
        )
        return [_message(row) for row in rows]

    def idle_conversations(self, before: str) -> list[IdleConversation]:
        """Conversations with the assistant, in the queue or with an agent, untouched since
        `before`, with when the customer and the other side last wrote."""
        rows = self._rows(
            "SELECT c.id, c.mode, c.updated_at,"
            " (SELECT MAX(at) FROM messages m WHERE m.conversation_id = c.id"
            "  AND m.role = 'customer') AS customer,"
            " (SELECT MAX(at) FROM messages m WHERE m.conversation_id = c.id"
            "  AND m.role IN ('bot', 'agent')) AS reply,"
            " (SELECT MAX(at) FROM events e WHERE e.conversation_id = c.id"
            "  AND e.type = 'abandoned') AS left_at"
            " FROM conversations c WHERE c.mode IN ('bot', 'queued', 'agent') AND c.updated_at < ?",
            (before,),
        )
        return [
            IdleConversation(r["id"], r["mode"], r["updated_at"], r["customer"], r["reply"], r["left_at"])
            for r in rows
        ]


@dataclass(frozen=True, slots=True)
class IdleConversation:
    id: str
    mode: str
    updated_at: str
    last_customer_at: str | None
    last_reply_at: str | None
    last_abandoned_at: str | None


def _conversation(row: Any) -> Conversation:
    return Conversation(
        id=row["id"],
        created_at=row["created_at"],
        mode=row["mode"],
        metadata=json.loads(row["metadata"]),
        customer_name=row["customer_name"],
        customer_email=row["customer_email"],
        handoff_id=row["handoff_id"],
        bot_paused=bool(row["bot_paused"]),
    )


def _message(row: Any) -> Message:
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        role=row["role"],
        author=row["author"],
        text=row["text"],
        at=row["at"],
        buttons=json.loads(row["buttons"]),
        links=json.loads(row["links"]),
        payload=row["payload"],
        client_id=row["client_id"],
    )
