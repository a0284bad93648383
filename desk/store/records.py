"""The desk's records as the store returns them: plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from desk.roles import Role


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
class StaffMember:
    """A person who signs in to the desk; `roles` says which pages and routes are theirs."""

    id: int
    email: str
    name: str
    password_hash: str
    roles: frozenset[Role] = frozenset({Role.AGENT})
    disabled: bool = False

    def has(self, role: Role) -> bool:
        return role in self.roles

    def public(self) -> dict[str, Any]:
        """What the admin page and `/me` show (never the password hash)."""
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "roles": sorted(r.value for r in self.roles),
            "disabled": self.disabled,
        }
