"""Replies by email, piece by piece: the email composed (masked, escaped, threaded), the outbox
in the store, and its worker's retries and backoff against a fake sender."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_string, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from desk.errors import MailDeferred, MailRefused
from desk.mail.captured import latest, save
from desk.mail.compose import Reply, compose
from desk.mail.outbox import MailOutbox
from desk.store import Message, Store, iso

CARD = "4111 1111 1111 1111"  # Luhn-valid


@dataclass
class FakeSender:
    """Raises the queued failures in order, then accepts."""

    failures: list[Exception] = field(default_factory=list)
    sent: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, raw: str, recipient: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((raw, recipient))


class FakeClock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


def message(n: int, role: str, text: str, author: str | None = None) -> Message:
    return Message(n, "c_mail", role, author, text, f"2026-12-01T0{n}:00:00.000Z")


def parsed(composed: EmailMessage) -> EmailMessage:
    reread = message_from_string(composed.as_string(), policy=policy.default)
    assert isinstance(reread, EmailMessage)
    return reread


def body(email: EmailMessage, kind: str) -> str:
    part = email.get_body(preferencelist=(kind,))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def a_reply(**changes: object) -> Reply:
    fields: dict[str, object] = {
        "conversation_id": "c_mail",
        "sender": "Kestrel Support <support@kestrel.example>",
        "recipient": "sam@example.org",
        "customer_name": "Sam <script>",
        "message": message(3, "agent", "Refunded. <b>Not bold</b>", "Ana Torres"),
        "thread": [
            message(1, "customer", f"Charged twice on {CARD}"),  # as if stored before masking
            message(2, "agent", "Let me look.", "Ana Torres"),
        ],
        "link": "http://localhost:8000/#kestrel-conversation=c_mail.1.sig",
        "timezone": "Europe/London",
        "moment": datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
    }
    fields.update(changes)
    return Reply(**fields)  # type: ignore[arg-type]


def test_the_email_has_the_reply_the_link_and_the_thread_and_masks_every_card():
    composed = compose(a_reply())
    raw = composed.as_string()
    assert raw.isascii()
    email = parsed(composed)
    text, rich = body(email, "plain"), body(email, "html")
    assert email["To"].addresses[0].addr_spec == "sam@example.org"
    assert email["Subject"] == "Re: your conversation with Kestrel Support"
    assert email["References"] == "<conversation.c_mail@kestrel.example>"
    assert text.index("Refunded.") < text.index("#kestrel-conversation=") < text.index("Charged twice")
    assert "Ana Torres from Kestrel Support replied" in text
    assert "Charged twice on [card ending 1111]" in text
    for where in (raw, text, rich):
        assert CARD not in where
        assert CARD.replace(" ", "") not in where
    assert "&lt;b&gt;Not bold&lt;/b&gt;" in rich
    assert "<b>" not in rich
    assert "Sam &lt;script&gt;" in rich
    assert 'href="http://localhost:8000/#kestrel-conversation=c_mail.1.sig"' in rich


def test_a_card_number_in_the_name_or_reply_is_masked_too():
    composed = compose(
        a_reply(customer_name=f"Sam {CARD}", message=message(3, "agent", f"Is it {CARD}?", "Ana"))
    )
    raw = composed.as_string()
    email = parsed(composed)
    assert CARD not in raw
    assert "[card ending 1111]" in body(email, "plain")
    assert CARD.replace(" ", "") not in str(email["To"])


def test_an_address_that_cannot_be_written_to_is_refused():
    with pytest.raises(ValueError, match="deliverable"):
        compose(a_reply(recipient="sam@example.org\r\nBcc: all@example.org"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(database_target: str, clock: FakeClock) -> Iterator[Store]:
    opened = Store(database_target, clock=clock)
    opened.create_conversation("c_mail", {})
    yield opened
    opened.close()


def outbox(store: Store, sender: FakeSender, clock: FakeClock) -> MailOutbox:
    return MailOutbox(store=store, sender=sender, clock=clock, retry_seconds=5, retry_max_seconds=30)


def test_a_queued_email_is_delivered_and_marked_sent(store: Store, clock: FakeClock):
    sender = FakeSender()
    store.queue_mail("c_mail", None, "sam@example.org", "Re", "raw message")
    assert asyncio.run(outbox(store, sender, clock).deliver_due()) == 1
    assert sender.sent == [("raw message", "sam@example.org")]
    [mail] = store.outgoing_mail()
    assert (mail.status, mail.attempts, mail.sent_at) == ("sent", 1, iso(clock()))
    assert asyncio.run(outbox(store, sender, clock).deliver_due()) == 0  # never twice


def test_a_failed_email_backs_off_exponentially_up_to_the_limit(store: Store, clock: FakeClock):
    sender = FakeSender(failures=[MailDeferred("connection refused") for _ in range(5)])
    worker = outbox(store, sender, clock)
    store.queue_mail("c_mail", None, "sam@example.org", "Re", "raw message")
    waits = []
    for _ in range(5):
        assert asyncio.run(worker.deliver_due()) == 0
        [mail] = store.outgoing_mail()
        waits.append((datetime.fromisoformat(mail.next_attempt_at) - clock()).total_seconds())
        assert asyncio.run(worker.deliver_due()) == 0  # not due yet: not tried
        clock.advance(waits[-1])
    assert waits == [5, 10, 20, 30, 30]
    assert (mail.status, mail.attempts, mail.last_error) == ("pending", 5, "connection refused")
    assert asyncio.run(worker.deliver_due()) == 1
    [mail] = store.outgoing_mail()
    assert (mail.status, mail.attempts, mail.last_error) == ("sent", 6, None)
    assert len(sender.sent) == 1


def test_a_refused_address_is_kept_as_rejected_and_never_retried(store: Store, clock: FakeClock):
    sender = FakeSender(failures=[MailRefused("550 no such user")])
    worker = outbox(store, sender, clock)
    store.queue_mail("c_mail", None, "nobody@example.org", "Re", "raw message")
    asyncio.run(worker.deliver_due())
    clock.advance(3600)
    asyncio.run(worker.deliver_due())
    [mail] = store.outgoing_mail()
    assert (mail.status, mail.attempts, mail.last_error) == ("rejected", 1, "550 no such user")
    assert sender.sent == []
    assert store.next_mail_at() is None


def test_the_worker_delivers_at_once_when_woken(store: Store, clock: FakeClock):
    sender = FakeSender()
    worker = outbox(store, sender, clock)

    async def scenario() -> None:
        running = asyncio.create_task(worker.run())
        try:
            await asyncio.sleep(0)  # the worker finds nothing and waits for a wake-up
            store.queue_mail("c_mail", None, "sam@example.org", "Re", "raw message")
            worker.wake()
            async with asyncio.timeout(5):
                while not sender.sent:
                    await asyncio.sleep(0.01)
        finally:
            running.cancel()

    asyncio.run(scenario())
    assert sender.sent == [("raw message", "sam@example.org")]


def test_an_email_claimed_by_one_worker_waits_for_its_claim_to_lapse(store: Store, clock: FakeClock):
    """Another desk's worker holds it (sending it, or stopped mid-way): not sent here meanwhile."""
    sender = FakeSender()
    store.queue_mail("c_mail", None, "sam@example.org", "Re", "raw message")
    until = iso(clock() + timedelta(seconds=300))
    claimed = store.claim_mail(iso(clock()), "desk-2", until)
    assert claimed is not None
    assert store.claim_mail(iso(clock()), "desk-1", until) is None
    assert store.next_mail_at() == until  # the worker sleeps until then, not in a busy loop
    assert asyncio.run(outbox(store, sender, clock).deliver_due()) == 0
    clock.advance(300)
    assert asyncio.run(outbox(store, sender, clock).deliver_due()) == 1
    assert sender.sent == [("raw message", "sam@example.org")]


def test_an_email_whose_sending_failed_unexpectedly_is_given_back(store: Store, clock: FakeClock):
    sender = FakeSender(failures=[RuntimeError("a bug in the sender")])
    worker = outbox(store, sender, clock)
    store.queue_mail("c_mail", None, "sam@example.org", "Re", "raw message")
    with pytest.raises(RuntimeError):
        asyncio.run(worker.deliver_due())
    assert store.next_mail_at() == iso(clock())  # due again at once, unclaimed
    assert asyncio.run(worker.deliver_due()) == 1


def test_mail_is_queued_inside_the_transaction_that_stores_the_reply(store: Store):
    def record(stored: Message) -> list:  # type: ignore[type-arg]
        store.queue_mail("c_mail", stored.id, "sam@example.org", "Re", "raw")
        raise RuntimeError("the reply failed after queueing its email")

    with pytest.raises(RuntimeError):
        store.add_message("c_mail", "agent", "hello", record=record)
    assert store.messages("c_mail") == []
    assert store.outgoing_mail() == []  # rolled back together


def test_captured_mail_is_saved_whole_and_read_back(tmp_path: Path):
    raw = compose(a_reply()).as_string().encode()
    save(tmp_path, "support@kestrel.example", ["sam@example.org"], raw)
    [caught] = latest(tmp_path)
    assert caught.envelope_to == "sam@example.org"
    assert caught.subject == "Re: your conversation with Kestrel Support"
    assert "Refunded." in caught.text
    assert caught.html is not None
    assert not list(tmp_path.glob(".*.part"))
