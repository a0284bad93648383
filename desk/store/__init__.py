"""Durable state of the desk, in SQLite or PostgreSQL: one `Protocol` per kind of record
(conversations and messages, handoffs, staff and sessions, the mail outbox, retention),
implemented over one `Database` whose schema comes from numbered migrations, and the event log
with the state machine's transitions (which write to several kinds in one transaction). `Store`
is what the desk holds: every kind over one database and clock."""

from __future__ import annotations

from desk.store.conversations import ConversationRecords, SqlConversations
from desk.store.csat import CsatRecords, CsatRequest, SqlCsat
from desk.store.database import Clock, iso, now, parse_time
from desk.store.events import EventLog, SqlEvents
from desk.store.handoffs import HandoffRecords, SqlHandoffs
from desk.store.mail import MailRecords, OutgoingMail, SqlMail
from desk.store.records import Conversation, Handoff, Message, StaffMember
from desk.store.reports import ReportRecords, SqlReports
from desk.store.retention import RetentionRecords, SqlRetention
from desk.store.simulated_clocks import SimulatedClockRecords, SqlSimulatedClocks
from desk.store.staff import SqlStaff, StaffExists, StaffRecords
from desk.store.transitions import SqlTransitions, Transitions

__all__ = [
    "Clock",
    "Conversation",
    "ConversationRecords",
    "CsatRecords",
    "CsatRequest",
    "EventLog",
    "Handoff",
    "HandoffRecords",
    "MailRecords",
    "Message",
    "OutgoingMail",
    "ReportRecords",
    "RetentionRecords",
    "SimulatedClockRecords",
    "StaffExists",
    "StaffMember",
    "StaffRecords",
    "Store",
    "Transitions",
    "iso",
    "now",
    "parse_time",
]


class Store(
    SqlConversations,
    SqlHandoffs,
    SqlStaff,
    SqlTransitions,
    SqlCsat,
    SqlEvents,
    SqlMail,
    SqlRetention,
    SqlReports,
    SqlSimulatedClocks,
):
    """The store: all record kinds over one database, SQLite or PostgreSQL (see database.py)."""
