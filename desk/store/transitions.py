"""Applying the state machine (desk/state.py) to the store: one transaction that checks the
conversation is still in the mode the decision was made from (compare-and-set), moves it and its
handoff, and appends the events recording the change. A lost race raises Conflict."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

from desk.errors import Conflict
from desk.events import NewEvent
from desk.state import STATUS_IN, TRANSITIONS, HandoffStatus, Mode, Step, target_of
from desk.store.events import SqlEvents
from desk.store.records import Handoff


class Transitions(Protocol):
    def transition(
        self,
        conversation_id: str,
        step: Step,
        *,
        expected: Mode,
        new_handoff: Handoff | None = None,
        handoff_fields: dict[str, Any] | None = None,
        conversation_fields: dict[str, Any] | None = None,
        events: Iterable[NewEvent] = (),
    ) -> Mode: ...


class SqlTransitions(SqlEvents):
    def transition(
        self,
        conversation_id: str,
        step: Step,
        *,
        expected: Mode,
        new_handoff: Handoff | None = None,
        handoff_fields: dict[str, Any] | None = None,
        conversation_fields: dict[str, Any] | None = None,
        events: Iterable[NewEvent] = (),
    ) -> Mode:
        """Apply `step` to a conversation believed to be in `expected`; returns the new mode.
        `new_handoff` (queue, ticket) is inserted as the conversation's handoff; otherwise the
        conversation's current handoff moves to the step's status, with `handoff_fields`. Of two
        transitions from one mode at once (two replicas, say), one moves and the other, once
        the first has committed, finds the mode changed: Conflict, and nothing of it written."""
        target = target_of(step, expected)
        rule = TRANSITIONS[step]
        fields = dict(conversation_fields or {})
        if new_handoff is not None:
            fields["handoff_id"] = new_handoff.id
        with self._transaction() as db:
            self._lock_conversation(db, conversation_id)
            stamp = self._stamp()
            assignments = "".join(f", {name} = ?" for name in fields)
            moved = db.execute(
                f"UPDATE conversations SET mode = ?, updated_at = ?{assignments}"  # noqa: S608 - names are ours
                " WHERE id = ? AND mode = ?",
                (target.value, stamp, *fields.values(), conversation_id, expected.value),
            ).rowcount
            if not moved:
                raise Conflict("the conversation changed meanwhile; reload and try again")
            if new_handoff is not None:
                _insert_handoff(db, new_handoff, rule.handoff)
            elif rule.handoff is not None:
                changes = {"status": rule.handoff.value, **(handoff_fields or {})}
                if "response" in changes:
                    changes["response"] = json.dumps(changes["response"])
                sets = ", ".join(f"{name} = ?" for name in changes)
                row = db.execute(
                    "SELECT handoff_id FROM conversations WHERE id = ?", (conversation_id,)
                ).fetchone()
                updated = db.execute(
                    f"UPDATE handoffs SET {sets} WHERE id = ? AND status = ?",  # noqa: S608 - names are ours
                    (*changes.values(), row["handoff_id"], STATUS_IN[expected].value),
                ).rowcount
                if not updated:
                    raise Conflict("the handoff changed meanwhile; reload and try again")
            self._append(db, events)
        return target


def _insert_handoff(db: Any, handoff: Handoff, status: HandoffStatus | None) -> None:
    assert status is not None
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
            status.value,
            handoff.created_at,
            json.dumps(handoff.response),
        ),
    )
