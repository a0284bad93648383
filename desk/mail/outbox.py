"""Delivering the mail outbox in the background: every email due is handed to the sender; one
the server did not take waits `retry_seconds`, then twice as long each time, up to
`retry_max_seconds`, and is tried again for as long as it takes; one the server refused is kept
as `rejected` and logged as an ERROR. The worker runs from the desk's start-up on (so what a
stop left pending goes out first), and wakes at once when a reply is queued. Each email is
claimed before it is sent (desk/store/mail.py), so of several desks (replicas) one sends it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from datetime import timedelta

from desk.errors import MailDeferred, MailRefused
from desk.mail.sender import MailSender
from desk.store import Clock, MailRecords, iso, parse_time

log = logging.getLogger(__name__)

BATCH = 20
# How long a claimed email is left to its worker: sending one takes a few SMTP timeouts at
# most; a worker that stopped mid-way leaves its claim to lapse, then the email is tried again.
CLAIM_SECONDS = 300.0


def claimant_name() -> str:
    """This worker's name on its claims: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class MailOutbox:
    def __init__(
        self,
        *,
        store: MailRecords,
        sender: MailSender,
        clock: Clock,
        retry_seconds: float,
        retry_max_seconds: float,
        claim_seconds: float = CLAIM_SECONDS,
        claimant: str | None = None,
    ) -> None:
        self.store = store
        self.sender = sender
        self.clock = clock
        self.retry_seconds = retry_seconds
        self.retry_max_seconds = max(retry_max_seconds, retry_seconds)
        self.claim = timedelta(seconds=claim_seconds)
        self.claimant = claimant or claimant_name()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something was queued: deliver it now rather than at the next due time."""
        self._wake.set()

    def delay(self, attempts: int) -> float:
        """Seconds before the next try of an email that failed `attempts` times."""
        return float(min(self.retry_max_seconds, self.retry_seconds * 2 ** max(0, attempts - 1)))

    async def deliver_due(self) -> int:
        """Try the emails due now (a batch of them, each claimed first); how many were sent."""
        sent = 0
        for _ in range(BATCH):
            moment = self.clock()
            mail = self.store.claim_mail(iso(moment), self.claimant, iso(moment + self.claim))
            if mail is None:
                break
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
            except BaseException:
                self.store.release_mail(mail.id)  # retried at once, here or by another desk
                raise
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
