"""Several desk replicas sharing live state through a real Redis (docs/contracts/scale-out.md):
two hubs, limits, throttles and turn locks in one test process, each "replica" with its own
client. Every test uses a key prefix (and so channels) of its own, deleted after. Redis is at
TEST_REDIS_URL (default redis://127.0.0.1:6379/0; `make test` starts it when it is not running):
without it these tests fail, they are never skipped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from desk.app import create_app
from desk.config import Settings
from desk.hub import Hub
from desk.replicas import RedisLink
from desk.replicas.bus import RedisBus
from desk.replicas.limits import RedisLoginThrottle, RedisWindows
from desk.replicas.turn_locks import RedisTurnLocks
from desk.sessions import FAILURES_PER_ACCOUNT
from desk.store import Store
from tests.desk.conftest import CONSOLE, FakeAssistant, kb_handler, receive_until, sign_in
from tests.desk.test_hub import FakeConnection
from tools.services import free_port

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
FRAME = {"type": "message", "message": {"id": 1, "text": "hello"}}


@pytest.fixture
def prefix() -> Iterator[str]:
    prefix = f"kestrel:desk:test-{secrets.token_hex(6)}:"
    yield prefix
    with redis.Redis.from_url(REDIS_URL) as client:
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)


def link(prefix: str, name: str, url: str = REDIS_URL) -> RedisLink:
    return RedisLink.from_url(url, replica_id=name, prefix=prefix)


async def until(check: Callable[[], bool], seconds: float = 1.0) -> None:
    """Wait for `check` to hold, at most `seconds`."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("not within the time allowed")
        await asyncio.sleep(0.01)


@dataclass
class Replica:
    link: RedisLink
    bus: RedisBus
    hub: Hub
    changes: list[set[int]] = field(default_factory=list)  # online agents at each change elsewhere

    async def close(self) -> None:
        await self.hub.stop()
        await self.link.aclose()


async def replica(prefix: str, name: str, **bus_options: Any) -> Replica:
    made = link(prefix, name)
    bus = RedisBus(made, **bus_options)
    hub = Hub(bus=bus)
    started = Replica(made, bus, hub)
    hub.on_presence_elsewhere = lambda: started.changes.append(hub.online_agents())
    await hub.start()
    await asyncio.wait_for(bus.subscribed.wait(), 5)
    return started


def two_replicas(
    prefix: str, scenario: Callable[[Replica, Replica], Awaitable[None]], **bus_options: Any
) -> None:
    async def run() -> None:
        a = await replica(prefix, "desk-a", **bus_options)
        b = await replica(prefix, "desk-b", **bus_options)
        try:
            await scenario(a, b)
        finally:
            await a.close()
            await b.close()

    asyncio.run(run())


# The hub across replicas.


def test_a_frame_sent_on_one_replica_reaches_a_socket_on_the_other(prefix: str):
    async def scenario(a: Replica, b: Replica) -> None:
        here, there = FakeConnection(), FakeConnection()
        a.hub.join_conversation("c_1", here)
        b.hub.join_conversation("c_1", there)
        a.hub.to_conversation("c_1", FRAME)
        await until(lambda: there.frames == [FRAME])
        assert here.frames == [FRAME]  # its own socket got it once, not again from Redis

        console = FakeConnection()
        b.hub.join_console(7, console)
        a.hub.to_agent(7, {"type": "queue", "n": 1})
        a.hub.to_agents({"type": "handoff", "n": 2})
        await until(lambda: len(console.frames) == 2)
        assert console.frames == [{"type": "queue", "n": 1}, {"type": "handoff", "n": 2}]  # in order
        a.hub.close_console(7)
        await until(lambda: console.stopped)

    two_replicas(prefix, scenario)


def test_agents_and_customers_online_are_seen_across_replicas(prefix: str):
    async def scenario(a: Replica, b: Replica) -> None:
        console, widget = FakeConnection(), FakeConnection()
        b.hub.join_console(7, console)
        b.hub.join_conversation("c_1", widget)
        await until(lambda: a.hub.online_agents() == {7} and a.hub.customer_connected("c_1"))
        assert a.changes[-1] == {7}  # A's queue hook ran, as when an agent connects to A itself
        b.hub.leave_console(7, console)
        b.hub.leave_conversation("c_1", widget)
        await until(lambda: a.hub.online_agents() == set() and not a.hub.customer_connected("c_1"))
        assert a.changes[-1] == set()

    two_replicas(prefix, scenario)


def test_an_agent_on_two_replicas_stays_online_when_one_console_closes(prefix: str):
    async def scenario(a: Replica, b: Replica) -> None:
        on_a, on_b = FakeConnection(), FakeConnection()
        a.hub.join_console(7, on_a)
        b.hub.join_console(7, on_b)
        await until(lambda: 7 in a.bus.agents() and 7 in b.bus.agents())
        a.hub.leave_console(7, on_a)  # A says 7 left; B still has a console of 7 and says so again
        await until(lambda: a.hub.online_agents() == {7})
        await asyncio.sleep(0.2)
        assert a.hub.online_agents() == {7}

    two_replicas(prefix, scenario)


def test_a_replica_that_dies_drops_out_of_presence_when_its_entries_expire(prefix: str):
    async def scenario(a: Replica, b: Replica) -> None:
        b.hub.join_console(9, FakeConnection())
        await until(lambda: a.hub.online_agents() == {9})
        for task in b.bus._tasks:  # killed: no goodbye, no more refreshes
            task.cancel()
        b.bus._stopped = True
        await until(lambda: a.hub.online_agents() == set(), seconds=3.0)
        assert a.changes[-1] == set()

    two_replicas(prefix, scenario, refresh_seconds=0.1, ttl_seconds=0.6)


def test_a_stopped_replica_withdraws_its_presence_at_once(prefix: str):
    async def scenario(a: Replica, b: Replica) -> None:
        b.hub.join_console(9, FakeConnection())
        await until(lambda: a.hub.online_agents() == {9})
        await b.hub.stop()
        await until(lambda: a.hub.online_agents() == set())

    two_replicas(prefix, scenario)


def test_a_replica_whose_redis_connection_drops_listens_again(prefix: str):
    async def scenario(a: Replica, b: Replica) -> None:
        widget = FakeConnection()
        b.hub.join_conversation("c_1", widget)
        clients = await b.link.client.client_list()
        for client in clients:  # as a Redis restart would: B's connections are cut
            if client.get("name") == "kestrel-desk:desk-b":
                await a.link.client.client_kill_filter(_id=client["id"])
        sent = 0
        deadline = time.monotonic() + 10
        while not widget.frames and time.monotonic() < deadline:  # frames sent meanwhile are lost
            sent += 1
            a.hub.to_conversation("c_1", {"type": "message", "n": sent})
            await asyncio.sleep(0.1)
        assert widget.frames, "B never listened again"
        assert b.bus.subscribed.is_set()

    two_replicas(prefix, scenario)


def test_a_hub_whose_redis_is_down_still_serves_its_own_sockets(
    prefix: str, caplog: pytest.LogCaptureFixture
):
    async def scenario() -> None:
        unreachable = link(prefix, "desk-a", f"redis://127.0.0.1:{free_port()}/0")
        hub = Hub(bus=RedisBus(unreachable))
        await hub.start()  # logged, not raised
        widget = FakeConnection()
        hub.join_conversation("c_1", widget)
        hub.to_conversation("c_1", FRAME)
        assert widget.frames == [FRAME]
        await hub.stop()
        await unreachable.aclose()

    with caplog.at_level(logging.WARNING):
        asyncio.run(scenario())
    assert "Redis is unreachable" in caplog.text


# Limits and throttles.


def test_an_address_budget_is_shared_by_the_replicas(prefix: str):
    async def scenario() -> None:
        a, b = link(prefix, "desk-a"), link(prefix, "desk-b")
        on_a = RedisWindows(a, "address_messages", 3, 60)
        on_b = RedisWindows(b, "address_messages", 3, 60)
        assert [await on_a.allow("10.0.0.1"), await on_b.allow("10.0.0.1"), await on_a.allow("10.0.0.1")] == [
            True,
            True,
            True,
        ]
        assert not await on_b.allow("10.0.0.1")
        assert await on_b.allow("10.0.0.2")  # another address has its own
        assert await RedisWindows(b, "address_frames", 3, 60).allow("10.0.0.1")  # and another kind
        await a.aclose()
        await b.aclose()

    asyncio.run(scenario())


def test_a_sliding_window_frees_up_as_time_passes(prefix: str):
    async def scenario() -> None:
        a = link(prefix, "desk-a")
        clock = [1_000.0]
        window = RedisWindows(a, "new_conversations", 2, 60, clock=lambda: clock[0])
        assert [await window.allow("x"), await window.allow("x"), await window.allow("x")] == [
            True,
            True,
            False,
        ]
        clock[0] += 59
        assert not await window.allow("x")
        clock[0] += 1
        assert await window.allow("x")
        await a.aclose()

    asyncio.run(scenario())


def test_sign_in_failures_count_on_every_replica_and_a_success_clears_the_account(prefix: str):
    async def scenario() -> None:
        a, b = link(prefix, "desk-a"), link(prefix, "desk-b")
        on_a, on_b = RedisLoginThrottle(a), RedisLoginThrottle(b)
        for n in range(FAILURES_PER_ACCOUNT):
            await (on_a if n % 2 else on_b).failed("ana@x.example", f"10.0.0.{n}")
        assert await on_a.blocked("ana@x.example", "10.9.9.9")
        assert not await on_a.local.blocked("ana@x.example", "10.9.9.9")  # it took both replicas
        assert not await on_b.blocked("ben@x.example", "10.9.9.9")
        await on_b.succeeded("ana@x.example")
        assert not await on_a.blocked("ana@x.example", "10.9.9.9")
        keys = [key async for key in a.client.scan_iter(match=f"{prefix}*")]
        assert not any("ana" in key for key in keys)  # the account is a digest in Redis
        await a.aclose()
        await b.aclose()

    asyncio.run(scenario())


def test_without_redis_limits_fail_open_and_the_throttle_counts_on_its_own(
    prefix: str, caplog: pytest.LogCaptureFixture
):
    async def scenario() -> None:
        down = link(prefix, "desk-a", f"redis://127.0.0.1:{free_port()}/0")
        window = RedisWindows(down, "address_messages", 1, 60)
        assert [await window.allow("10.0.0.1") for _ in range(3)] == [True] * 3  # nobody is locked out
        throttle = RedisLoginThrottle(down)
        for _ in range(FAILURES_PER_ACCOUNT):
            await throttle.failed("ana@x.example", "10.0.0.1")
        assert await throttle.blocked("ana@x.example", "10.0.0.2")  # still throttled: never open
        assert not await throttle.blocked("ben@x.example", "10.0.0.2")  # and never closed for all
        await down.aclose()

    with caplog.at_level(logging.WARNING):
        asyncio.run(scenario())
    assert caplog.text.count("Redis is unreachable") == 1  # once per outage, not per request


# Turn locks.


def test_a_turn_lock_excludes_a_second_holder_until_released(prefix: str):
    async def scenario() -> None:
        a, b = link(prefix, "desk-a"), link(prefix, "desk-b")
        on_a, on_b = RedisTurnLocks(a, ttl_ms=600), RedisTurnLocks(b, ttl_ms=600)
        order: list[str] = []

        async def turn(locks: RedisTurnLocks, name: str, seconds: float) -> None:
            async with locks.hold("c_1"):
                order.append(f"{name} in")
                await asyncio.sleep(seconds)
                order.append(f"{name} out")

        first = asyncio.create_task(turn(on_a, "a", 1.5))  # longer than the lifetime: renewed
        await until(lambda: order == ["a in"])
        second = asyncio.create_task(turn(on_b, "b", 0))
        await asyncio.gather(first, second)
        assert order == ["a in", "a out", "b in", "b out"]
        assert await a.client.get(f"{prefix}turn:c_1") is None  # released
        await a.aclose()
        await b.aclose()

    asyncio.run(scenario())


def test_a_turn_lock_left_by_a_dead_replica_expires(prefix: str):
    async def scenario() -> None:
        a = link(prefix, "desk-a")
        await a.client.set(f"{prefix}turn:c_1", "a-dead-replicas-token", px=400)
        started = time.monotonic()
        async with RedisTurnLocks(a).hold("c_1"):
            waited = time.monotonic() - started
        assert 0.2 < waited < 3
        await a.aclose()

    asyncio.run(scenario())


def test_a_turn_lock_is_released_only_by_its_holder(prefix: str):
    async def scenario() -> None:
        a = link(prefix, "desk-a")
        key = f"{prefix}turn:c_1"
        async with RedisTurnLocks(a).hold("c_1"):
            await a.client.set(key, "another-holder")  # ours expired meanwhile and was taken
        assert await a.client.get(key) == "another-holder"
        await a.aclose()

    asyncio.run(scenario())


def test_a_replica_back_under_its_id_releases_the_locks_its_last_life_held(prefix: str):
    async def scenario() -> None:
        old, other = link(prefix, "desk-a"), link(prefix, "desk-b")
        held = asyncio.Event()

        async def cut_off() -> None:  # a turn on desk-a when it is killed (the lock stays)
            async with RedisTurnLocks(old).hold("c_1"):
                held.set()
                await asyncio.sleep(60)

        killed = asyncio.create_task(cut_off())
        await held.wait()
        await other.client.set(f"{prefix}turn:c_2", "desk-b/its-token", px=30_000)  # desk-b's, live
        await other.client.set(f"{prefix}turn:c_3", "desk-a-2/another-replica", px=30_000)
        again = link(prefix, "desk-a")  # desk-a restarted: the same id, a new process
        assert await RedisTurnLocks(again).release_left_behind() == 1
        assert await again.client.get(f"{prefix}turn:c_1") is None
        assert await again.client.get(f"{prefix}turn:c_2") == "desk-b/its-token"
        assert await again.client.get(f"{prefix}turn:c_3") == "desk-a-2/another-replica"
        killed.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await killed
        for made in (old, other, again):
            await made.aclose()

    asyncio.run(scenario())


def test_without_redis_a_turn_still_runs_under_the_local_lock(prefix: str):
    async def scenario() -> None:
        down = link(prefix, "desk-a", f"redis://127.0.0.1:{free_port()}/0")
        ran = []
        async with RedisTurnLocks(down).hold("c_1"):
            ran.append(1)
        assert ran == [1]
        await down.aclose()

    asyncio.run(scenario())


# A whole desk with Redis (one replica: a second needs the shared database, tested by the lead).


def desk_with_redis(settings: Settings, prefix: str, assistant: FakeAssistant) -> Any:
    app = create_app(
        settings.model_copy(update={"redis_url": REDIS_URL, "replica_id": "desk-test"}),
        rasa_transport=httpx.MockTransport(assistant.handle),
        kb_transport=httpx.MockTransport(kb_handler),
        redis_prefix=prefix,
    )
    assistant.app = app
    return app


def test_a_redriven_turn_another_replica_is_answering_is_not_sent_again(
    settings: Settings, assistant: FakeAssistant, prefix: str, caplog: pytest.LogCaptureFixture
):
    before = Store(settings.database_path)
    for conversation_id in ("c_busy", "c_cut_off"):
        before.create_conversation(conversation_id, {})
        before.add_message(conversation_id, "customer", "where is my card", client_id=conversation_id)
    before.close()
    other_replica = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    other_replica.set(f"{prefix}turn:c_busy", "desk-2s-token", px=30_000)  # answering c_busy now
    app = desk_with_redis(settings, prefix, assistant)
    with caplog.at_level(logging.INFO, logger="desk.assistant"), TestClient(app):
        store = app.state.desk.store
        deadline = time.monotonic() + 5
        while not store.messages("c_cut_off", roles=("bot",)) and time.monotonic() < deadline:
            time.sleep(0.02)
        store.add_message("c_busy", "bot", "Answered by desk-2.")  # its turn ends ...
        other_replica.delete(f"{prefix}turn:c_busy")  # ... and it lets go
        while "c_busy: message" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.02)
    other_replica.close()
    assert "conversation c_busy: message" in caplog.text
    assert "answered meanwhile" in caplog.text
    sent = [body["sender"] for path, body in assistant.calls if path == "/webhooks/rest/webhook"]
    assert sent == ["c_cut_off"]  # the one nobody was answering, once


def test_a_desk_back_under_its_id_answers_a_turn_its_last_life_was_cut_off_in_at_once(
    settings: Settings, assistant: FakeAssistant, prefix: str
):
    before = Store(settings.database_path)
    before.create_conversation("c_cut_off", {})
    before.add_message("c_cut_off", "customer", "where is my card", client_id="c_cut_off")
    before.close()
    last_life = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    last_life.set(f"{prefix}turn:c_cut_off", "desk-test/killed-mid-turn", px=30_000)
    last_life.close()
    app = desk_with_redis(settings, prefix, assistant)
    with TestClient(app):
        store = app.state.desk.store
        deadline = time.monotonic() + 5  # not the lock's 30 s
        while not store.messages("c_cut_off", roles=("bot",)) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.messages("c_cut_off", roles=("bot",))


def test_a_desk_with_redis_serves_a_widget_and_a_console(
    settings: Settings, assistant: FakeAssistant, prefix: str
):
    app = desk_with_redis(settings, prefix, assistant)
    presence = f"{prefix}presence:agents"
    with redis.Redis.from_url(REDIS_URL, decode_responses=True) as look, TestClient(app) as client:
        cookie = {**sign_in(client), **CONSOLE}  # the throttle asks Redis
        with client.websocket_connect("/ws/console", headers=cookie) as console:
            receive_until(console, lambda f: f["type"] == "queue")
            agent_id = next(iter(app.state.desk.hub.online_agents()))
            assert look.zscore(presence, str(agent_id)) is not None
            with client.websocket_connect("/ws/widget") as ws:
                ws.send_json({"type": "hello", "token": None, "after": 0, "metadata": {}})
                receive_until(ws, lambda f: f["type"] == "welcome")
                ws.send_json({"type": "message", "client_id": "m1", "text": "where is my card"})
                reply = receive_until(ws, lambda f: f["type"] == "message" and f["message"]["role"] == "bot")
        assert reply["message"]["text"] == "Answer to: where is my card"
        assert look.keys(f"{prefix}limit:address_messages:*")  # counted in Redis
    with redis.Redis.from_url(REDIS_URL, decode_responses=True) as look:
        assert look.zcard(presence) == 0  # withdrawn at shutdown
