"""Durable state of the desk in SQLite (WAL, synchronous=FULL): conversations, messages,
handoffs, agents and their sessions. Every write commits before anyone is told about it."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'bot',
    metadata TEXT NOT NULL DEFAULT '{}',
    customer_name TEXT,
    customer_email TEXT,
    handoff_id TEXT,
    bot_paused INTEGER NOT NULL DEFAULT 0,
    customer_seen_id INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    role TEXT NOT NULL,
    author TEXT,
    text TEXT NOT NULL,
    buttons TEXT NOT NULL DEFAULT '[]',
    links TEXT NOT NULL DEFAULT '[]',
    payload TEXT,
    client_id TEXT,
    at TEXT NOT NULL,
    UNIQUE (conversation_id, client_id)
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages (conversation_id, id);
CREATE TABLE IF NOT EXISTS handoffs (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    reason TEXT NOT NULL,
    priority TEXT NOT NULL,
    summary TEXT NOT NULL,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    agent_id INTEGER REFERENCES agents(id),
    claimed_at TEXT,
    first_reply_at TEXT,
    closed_at TEXT,
    outcome TEXT,
    response TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS handoffs_by_status ON handoffs (status, created_at);
CREATE TABLE IF NOT EXISTS agents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    agent_id INTEGER NOT NULL REFERENCES agents(id),
    expires_at TEXT NOT NULL
);
"""

OPEN_STATUSES = ("queued", "assigned", "ticket")


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Conversation:
    id: str
    created_at: str
    mode: str
    metadata: dict[str, Any]
    customer_name: str | None
    customer_email: str | None
    handoff_id: str | None
    bot_paused: bool


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: str
    role: str
    author: str | None
    text: str
    at: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    payload: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class Handoff:
    id: str
    conversation_id: str
    reason: str
    priority: str
    summary: str
    request: dict[str, Any]
    status: str
    created_at: str
    agent_id: int | None
    claimed_at: str | None
    first_reply_at: str | None
    closed_at: str | None
    outcome: str | None
    response: dict[str, Any]


@dataclass(frozen=True)
class Agent:
    id: int
    email: str
    name: str
    password_hash: str


class Store:
    """One SQLite connection shared by the process, serialised by a lock (each call is short)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    # conversations

    def create_conversation(self, conversation_id: str, metadata: dict[str, Any]) -> Conversation:
        stamp = iso(now())
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO conversations (id, created_at, updated_at, metadata)"
                " VALUES (?, ?, ?, ?)",
                (conversation_id, stamp, stamp, json.dumps(metadata)),
            )
        conversation = self.conversation(conversation_id)
        assert conversation is not None
        return conversation

    def conversation(self, conversation_id: str) -> Conversation | None:
        rows = self._rows("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        return _conversation(rows[0]) if rows else None

    def update_conversation(self, conversation_id: str, **fields: Any) -> None:
        if "metadata" in fields:
            fields["metadata"] = json.dumps(fields["metadata"])
        fields["updated_at"] = iso(now())
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self._transaction() as db:
            db.execute(
                f"UPDATE conversations SET {assignments} WHERE id = ?",  # noqa: S608 - names are ours
                (*fields.values(), conversation_id),
            )

    # messages

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
    ) -> tuple[Message, bool]:
        """Store a message; a repeated `client_id` returns the stored one and False."""
        with self._transaction() as db:
            if client_id is not None:
                row = db.execute(
                    "SELECT * FROM messages WHERE conversation_id = ? AND client_id = ?",
                    (conversation_id, client_id),
                ).fetchone()
                if row is not None:
                    return _message(row), False
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
                    iso(now()),
                ),
            )
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (iso(now()), conversation_id))
            row = db.execute("SELECT * FROM messages WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return _message(row), True

    def messages(
        self, conversation_id: str, *, after: int = 0, roles: Iterable[str] | None = None
    ) -> list[Message]:
        sql = "SELECT * FROM messages WHERE conversation_id = ? AND id > ?"
        params: list[Any] = [conversation_id, after]
        if roles is not None:
            roles = list(roles)
            sql += f" AND role IN ({_marks(roles)})"
            params.extend(roles)
        return [_message(row) for row in self._rows(sql + " ORDER BY id", params)]

    def last_message(self, conversation_id: str, roles: Iterable[str]) -> Message | None:
        roles = list(roles)
        rows = self._rows(
            f"SELECT * FROM messages WHERE conversation_id = ? AND role IN ({_marks(roles)})"  # noqa: S608
            " ORDER BY id DESC LIMIT 1",
            [conversation_id, *roles],
        )
        return _message(rows[0]) if rows else None

    # handoffs

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
            f"SELECT * FROM handoffs WHERE status IN ({_marks(statuses)}) ORDER BY created_at",  # noqa: S608
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
                (agent_id, iso(now()), handoff_id, agent_id),
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

    # agents and sessions

    def add_agent(self, email: str, name: str, password_hash: str) -> Agent:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO agents (email, name, password_hash, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(email) DO UPDATE SET name = excluded.name,"
                " password_hash = excluded.password_hash",
                (email.lower(), name, password_hash, iso(now())),
            )
        agent = self.agent_by_email(email)
        assert agent is not None
        return agent

    def agent_by_email(self, email: str) -> Agent | None:
        rows = self._rows("SELECT * FROM agents WHERE email = ?", (email.lower(),))
        return _agent(rows[0]) if rows else None

    def agent(self, agent_id: int) -> Agent | None:
        rows = self._rows("SELECT * FROM agents WHERE id = ?", (agent_id,))
        return _agent(rows[0]) if rows else None

    def add_session(self, token_hash: str, agent_id: int, expires_at: datetime) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (iso(now()),))
            db.execute(
                "INSERT INTO sessions (token_hash, agent_id, expires_at) VALUES (?, ?, ?)",
                (token_hash, agent_id, iso(expires_at)),
            )

    def session_agent(self, token_hash: str) -> Agent | None:
        rows = self._rows(
            "SELECT agents.* FROM sessions JOIN agents ON agents.id = sessions.agent_id"
            " WHERE token_hash = ? AND expires_at > ?",
            (token_hash, iso(now())),
        )
        return _agent(rows[0]) if rows else None

    def delete_session(self, token_hash: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))


def _marks(values: list[str]) -> str:
    return ", ".join("?" for _ in values)


def _conversation(row: sqlite3.Row) -> Conversation:
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


def _message(row: sqlite3.Row) -> Message:
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


def _agent(row: sqlite3.Row) -> Agent:
    return Agent(id=row["id"], email=row["email"], name=row["name"], password_hash=row["password_hash"])
