"""The mail outbox: emails to customers written before they are sent, then marked sent (or
refused), so none is lost while the mail server is down or the desk restarts (desk/mail/). A
worker claims an email before sending it, so one desk of several (replicas) sends it, once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from desk.store.database import Database


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    id: int
    conversation_id: str
    message_id: int | None
    recipient: str
    subject: str
    raw: str  # the whole RFC 5322 message, as it is sent (its Message-ID stays the same on retries)
    status: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    created_at: str
    sent_at: str | None


class MailRecords(Protocol):
    def queue_mail(
        self, conversation_id: str, message_id: int | None, recipient: str, subject: str, raw: str
    ) -> int: ...
    def claim_mail(self, moment: str, claimant: str, until: str) -> OutgoingMail | None: ...
    def release_mail(self, mail_id: int) -> None: ...
    def next_mail_at(self) -> str | None: ...
    def mail_sent(self, mail_id: int) -> None: ...
    def mail_deferred(self, mail_id: int, error: str, next_attempt_at: str) -> None: ...
    def mail_rejected(self, mail_id: int, error: str) -> None: ...
    def outgoing_mail(self, *, limit: int = 50) -> list[OutgoingMail]: ...


class SqlMail(Database):
    def queue_mail(
        self, conversation_id: str, message_id: int | None, recipient: str, subject: str, raw: str
    ) -> int:
        """Due at once. Called inside the transaction that stores the reply, it joins it."""
        stamp = self._stamp()
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO mail_outbox (conversation_id, message_id, recipient, subject, raw,"
                " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, message_id, recipient, subject, raw, stamp, stamp),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def claim_mail(self, moment: str, claimant: str, until: str) -> OutgoingMail | None:
        """The oldest pending email due at `moment` that no worker holds, now held by `claimant`
        until `until` (None: nothing to send). Two workers at once never get the same one: on
        PostgreSQL the row is locked while claimed and skipped by the other (SKIP LOCKED)."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT * FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= ?"  # noqa: S608
                " AND (claimed_until IS NULL OR claimed_until <= ?)"
                " ORDER BY next_attempt_at, id LIMIT 1" + self.db.skip_locked,
                (moment, moment),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE mail_outbox SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                (claimant, until, row["id"]),
            )
        return _mail(row)

    def release_mail(self, mail_id: int) -> None:
        """Give a claimed email back untried (its sending failed unexpectedly, or stopped)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE mail_outbox SET claimed_by = NULL, claimed_until = NULL WHERE id = ?", (mail_id,)
            )

    def next_mail_at(self) -> str | None:
        """When the next pending mail is due, or its claim lapses (None: nothing pending)."""
        rows = self._rows(
            "SELECT MIN(CASE WHEN claimed_until > next_attempt_at THEN claimed_until"
            " ELSE next_attempt_at END) AS at FROM mail_outbox WHERE status = 'pending'"
        )
        at: str | None = rows[0]["at"]
        return at

    def mail_sent(self, mail_id: int) -> None:
        stamp = self._stamp()
        with self._transaction() as db:
            db.execute(
                "UPDATE mail_outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1,"
                " last_error = NULL, claimed_by = NULL, claimed_until = NULL"
                " WHERE id = ? AND status = 'pending'",
                (stamp, mail_id),
            )

    def mail_deferred(self, mail_id: int, error: str, next_attempt_at: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
                " claimed_by = NULL, claimed_until = NULL WHERE id = ? AND status = 'pending'",
                (error[:500], next_attempt_at, mail_id),
            )

    def mail_rejected(self, mail_id: int, error: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE mail_outbox SET status = 'rejected', attempts = attempts + 1, last_error = ?,"
                " claimed_by = NULL, claimed_until = NULL WHERE id = ? AND status = 'pending'",
                (error[:500], mail_id),
            )

    def outgoing_mail(self, *, limit: int = 50) -> list[OutgoingMail]:
        """The latest mail in the outbox, whatever its status, newest first."""
        rows = self._rows("SELECT * FROM mail_outbox ORDER BY id DESC LIMIT ?", (limit,))
        return [_mail(row) for row in rows]


def _mail(row: Any) -> OutgoingMail:
    return OutgoingMail(
        id=row["id"],
        conversation_id=row["conversation_id"],
        message_id=row["message_id"],
        recipient=row["recipient"],
        subject=row["subject"],
        raw=row["raw"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
    )
