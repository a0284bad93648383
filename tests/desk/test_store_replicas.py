"""Several desks (replicas) on one PostgreSQL database, each with its own Store: an email of the
outbox is sent once, a sweep runs on one replica at a time, two transitions of one conversation
at once leave exactly one winner, and a conversation's messages commit in the order of their ids.
Each race is forced (one side holds its transaction open until the other is seen waiting, or
both wait at a barrier), so the outcome is checked, not left to timing."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from desk import events as ev
from desk.errors import Conflict
from desk.mail.outbox import MailOutbox
from desk.state import Mode, Step
from desk.store import Store, iso
from desk.sweeps import AbandonedSweep
from sqlkit.testing import temporary_postgres
from tests.desk.test_state import handoff

T = TypeVar("T")


@pytest.fixture
def url() -> Iterator[str]:
    with temporary_postgres() as made:
        yield made


@pytest.fixture
def replicas(url: str) -> Iterator[tuple[Store, Store]]:
    """Two desks' stores on one database: separate pools, as two processes would have."""
    first, second = Store(url), Store(url)
    yield first, second
    first.close()
    second.close()


class Background:
    """A call on its own thread; `result()` waits for it (and re-raises what it raised)."""

    def __init__(self, call: Callable[[], T]) -> None:
        self._outcome: list[Any] = []
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self._outcome.append(("ok", call()))
        except BaseException as e:
            self._outcome.append(("error", e))

    def result(self, timeout: float = 30) -> Any:
        self._thread.join(timeout)
        assert self._outcome, "the background call never finished"
        kind, value = self._outcome[0]
        if kind == "error":
            raise value
        return value


def wait_until_blocked(store: Store, timeout: float = 20) -> None:
    """Until another session of this database waits on a row lock (the race is on)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = store._rows(
            "SELECT COUNT(*) AS n FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if rows[0]["n"]:
            return
        time.sleep(0.02)
    raise AssertionError("the other replica never waited for the lock")


# --- the mail outbox ----------------------------------------------------------------------------


@dataclass
class SharedSender:
    """One mail server for both desks: records every email handed to it. Each worker's first
    send waits for the other's, so both hold a claimed email at the same moment."""

    barrier: threading.Barrier = field(default_factory=lambda: threading.Barrier(2, timeout=20))
    sent: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    first: set[int] = field(default_factory=set)

    async def send(self, raw: str, recipient: str) -> None:
        me = threading.get_ident()
        if me not in self.first:
            self.first.add(me)
            self.barrier.wait()
        await asyncio.sleep(0.001)
        with self.lock:
            self.sent.append(raw)


def test_two_replicas_send_each_email_once(replicas: tuple[Store, Store]) -> None:
    first, second = replicas
    first.create_conversation("c_mail", {})
    for n in range(30):
        first.queue_mail("c_mail", None, "sam@example.org", "Re", f"email {n}")
    sender = SharedSender()

    def drain(store: Store, name: str) -> int:
        worker = MailOutbox(
            store=store,
            sender=sender,
            clock=store.clock,
            retry_seconds=5,
            retry_max_seconds=30,
            claimant=name,
        )
        total = 0
        while sent := asyncio.run(worker.deliver_due()):
            total += sent
        return total

    one, two = Background(lambda: drain(first, "desk-1")), Background(lambda: drain(second, "desk-2"))
    counts = one.result(60), two.result(60)
    assert sorted(sender.sent) == sorted(f"email {n}" for n in range(30))  # each once
    assert sum(counts) == 30
    assert min(counts) >= 1  # both took part
    assert {(m.status, m.attempts) for m in second.outgoing_mail()} == {("sent", 1)}


def test_a_claim_in_progress_is_skipped_not_waited_for(replicas: tuple[Store, Store]) -> None:
    """While one desk's claim is not committed yet, the other takes the next email at once."""
    first, second = replicas
    first.create_conversation("c_mail", {})
    ids = [first.queue_mail("c_mail", None, "sam@example.org", "Re", f"email {n}") for n in range(2)]
    moment = iso(datetime.now(UTC))
    until = iso(datetime.now(UTC) + timedelta(minutes=5))
    with first._transaction():
        mine = first.claim_mail(moment, "desk-1", until)
        theirs = second.claim_mail(moment, "desk-2", until)  # would block without SKIP LOCKED
    assert mine is not None
    assert theirs is not None
    assert [mine.id, theirs.id] == ids
    assert second.claim_mail(iso(datetime.now(UTC)), "desk-2", until) is None  # both held now


# --- the sweeps ---------------------------------------------------------------------------------


class NoSockets:
    def customer_connected(self, conversation_id: str) -> bool:
        return False


def test_a_sweep_runs_on_one_replica_at_a_time_and_logs_once(replicas: tuple[Store, Store]) -> None:
    first, second = replicas
    moment = datetime.now(UTC)
    first.create_conversation("c_left", {})
    first.add_message("c_left", "customer", "hi")
    first.add_message("c_left", "bot", "hello, how can I help?")
    later = moment + timedelta(hours=1)
    with first.singleton("sweeps") as mine, second.singleton("sweeps") as theirs:
        assert (mine, theirs) == (True, False)
    with second.singleton("sweeps") as theirs:
        assert theirs  # released at the end of the block
    barrier = threading.Barrier(2, timeout=20)

    def sweep(store: Store) -> int:
        sweeper = AbandonedSweep(store=store, hub=NoSockets(), after_seconds=1800, clock=lambda: later)  # type: ignore[arg-type]
        barrier.wait()  # both replicas sweep at the same moment
        with store.singleton("sweeps") as held:
            return sweeper.sweep() if held else 0

    one, two = Background(lambda: sweep(first)), Background(lambda: sweep(second))
    assert one.result() + two.result() == 1
    assert [e.type for e in first.events(conversation_id="c_left")] == ["abandoned"]


# --- transitions and messages -------------------------------------------------------------------


def queue_it(store: Store, handoff_id: str) -> Mode:
    queued = ev.NewEvent("c1", ev.SYSTEM, ev.Queued(handoff_id=handoff_id, position=1))
    new = replace(handoff("c1", handoff_id), created_at=iso(datetime.now(UTC)))
    return store.transition("c1", Step.QUEUE, expected=Mode.BOT, new_handoff=new, events=[queued])


def test_of_two_transitions_at_once_the_second_waits_and_loses(replicas: tuple[Store, Store]) -> None:
    first, second = replicas
    first.create_conversation("c1", {})
    decided = threading.Event()
    go = threading.Event()

    def slow_queue() -> Mode:
        with first._transaction():  # the transition joins it: committed only when `go` is set
            mode = queue_it(first, "ho_first")
            decided.set()
            assert go.wait(20)
        return mode

    slow = Background(slow_queue)
    assert decided.wait(20)
    late = Background(lambda: queue_it(second, "ho_second"))
    wait_until_blocked(second)  # it decides from the row the first holds: it waits
    go.set()
    assert slow.result() == Mode.QUEUED
    with pytest.raises(Conflict):
        late.result()
    conversation = second.conversation("c1")
    assert conversation is not None
    assert (conversation.mode, conversation.handoff_id) == ("queued", "ho_first")
    assert second.handoff("ho_second") is None
    assert [e.payload["handoff_id"] for e in second.events(conversation_id="c1")] == ["ho_first"]


def test_of_many_transitions_at_once_exactly_one_wins(url: str) -> None:
    stores = [Store(url) for _ in range(4)]
    try:
        stores[0].create_conversation("c1", {})
        barrier = threading.Barrier(len(stores), timeout=20)

        def attempt(store: Store, n: int) -> str:
            barrier.wait()
            try:
                queue_it(store, f"ho_{n}")
            except Conflict:
                return "lost"
            return "won"

        runs = [Background(lambda s=s, n=n: attempt(s, n)) for n, s in enumerate(stores)]  # type: ignore[misc]
        assert sorted(r.result() for r in runs) == ["lost", "lost", "lost", "won"]
        assert len(stores[0].events(conversation_id="c1")) == 1
        assert len(stores[0].handoffs(["queued"])) == 1
    finally:
        for store in stores:
            store.close()


def test_a_conversations_messages_commit_in_the_order_of_their_ids(replicas: tuple[Store, Store]) -> None:
    """A reader paging by id (`after`) never sees a later id before an earlier one commits."""
    first, second = replicas
    first.create_conversation("c1", {})
    stored = threading.Event()
    go = threading.Event()

    def slow_message() -> int:
        with first._transaction():
            message, _ = first.add_message("c1", "customer", "first")
            stored.set()
            assert go.wait(20)
        return message.id

    slow = Background(slow_message)
    assert stored.wait(20)
    late = Background(lambda: second.add_message("c1", "bot", "second")[0].id)
    wait_until_blocked(second)
    assert second.messages("c1") == []  # neither is visible yet
    go.set()
    first_id, second_id = slow.result(), late.result()
    assert second_id > first_id
    assert [m.text for m in second.messages("c1")] == ["first", "second"]
