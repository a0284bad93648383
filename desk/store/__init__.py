"""Durable state of the desk in SQLite: one `Protocol` per kind of record (conversations and
messages, handoffs, staff and sessions), implemented over one `Database` whose schema comes from
numbered migrations. `Store` is what the desk holds: every kind over one connection and clock."""

from __future__ import annotations

from desk.store.conversations import ConversationRecords, SqlConversations
from desk.store.database import Clock, iso, now, parse_time
from desk.store.handoffs import OPEN_STATUSES, HandoffRecords, SqlHandoffs
from desk.store.records import Conversation, Handoff, Message, StaffMember
from desk.store.staff import SqlStaff, StaffExists, StaffRecords

__all__ = [
    "OPEN_STATUSES",
    "Clock",
    "Conversation",
    "ConversationRecords",
    "Handoff",
    "HandoffRecords",
    "Message",
    "StaffExists",
    "StaffMember",
    "StaffRecords",
    "Store",
    "iso",
    "now",
    "parse_time",
]


class Store(SqlConversations, SqlHandoffs, SqlStaff):
    """The SQLite store: all record kinds over one connection (see database.py)."""
