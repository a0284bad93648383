"""Delivering the mail outbox in the background: every email due is handed to the sender; one
the server did not take waits `retry_seconds`, then twice as long each time, up to
`retry_max_seconds`, and is tried again for as long as it takes; one the server refused is kept
as `rejected` and logged as an ERROR. The worker runs from the desk's start-up on (so what a
stop left pending goes out first), and wakes at once when a reply is queued."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from desk.errors import MailDeferred, MailRefused
from desk.mail.sender import MailSender
from desk.store import Clock, MailRecords, iso, parse_time

log = logging.getLogger(__name__)

BATCH = 20


class MailOutbox:
    def __init__(
        self,
        *,
        store: MailRecords,
        sender: MailSender,
        clock: Clock,
        retry_seconds: float,
        retry_max_seconds: float,
    ) -> None:
        self.store = store
        self.sender = sender
        self.clock = clock
        self.retry_seconds = retry_seconds
        self.retry_max_seconds = max(retry_max_seconds, retry_seconds)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something was queued: deliver it now rather than at the next due time."""
        self._wake.set()

    def delay(self, attempts: int) -> float:
        """Seconds before the next try of an email that failed `attempts` times."""
        return float(min(self.retry_max_seconds, self.retry_seconds * 2 ** max(0, attempts - 1)))

    async def deliver_due(self) -> int:
        """Try the emails due now (a batch of them); how many were sent."""
        sent = 0
        for mail in self.store.due_mail(iso(self.clock()), BATCH):
            try:
                await self.sender.send(mail.raw, mail.recipient)
            except MailRefused as e:
                self.store.mail_rejected(mail.id, e.message)
                log.error(
                    "conversation %s: the mail server refused email %d for good: %s",
                    mail.conversation_id,
                    mail.id,
                    e.message,
                )
            except MailDeferred as e:
                wait = self.delay(mail.attempts + 1)
                self.store.mail_deferred(mail.id, e.message, iso(self.clock() + timedelta(seconds=wait)))
                log.warning(
                    "conversation %s: email %d not sent (try %d), again in %.0f s: %s",
                    mail.conversation_id,
                    mail.id,
                    mail.attempts + 1,
                    wait,
                    e.message,
                )
            else:
                self.store.mail_sent(mail.id)
                sent += 1
                log.info("conversation %s: email %d sent", mail.conversation_id, mail.id)
        return sent

    async def run(self) -> None:
        """Deliver until cancelled: now, then whenever woken or the next email falls due."""
        while True:
            self._wake.clear()
            try:
                await self.deliver_due()
            except Exception:
                log.exception("delivering the mail outbox failed; it is tried again shortly")
                await asyncio.sleep(self.retry_seconds)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._until_next())

    def _until_next(self) -> float | None:
        due = self.store.next_mail_at()
        if due is None:
            return None
        return max(0.0, (parse_time(due) - self.clock()).total_seconds())
