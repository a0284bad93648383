"""The handoff outbox on its own: the worker's background retry, the backoff between attempts,
and a handoff kept while the desk is down that the next action server process delivers."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Dict, List

import pytest
from actions.config import ActionsSettings
from actions.errors import ServiceUnavailable
from actions.handoff import deliver_handoff
from actions.outbox import Outbox, OutboxWorker
from actions.services import build_services
from tools.services import free_port, run_service
from tools.stack import RASA_PY

from tests.actions.helpers import FakeBackends, services


class FakeClock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def desk_down(payload: Dict[str, Any]) -> Dict[str, Any]:
    raise ServiceUnavailable("connection refused")


def test_retries_back_off_doubling_up_to_five_minutes(tmp_path: Path) -> None:
    clock = FakeClock()
    outbox = Outbox(tmp_path / "outbox.sqlite3", clock=clock)
    outbox.add({"handoff_id": "ho_backoff_0001", "conversation_id": "c1"}, "desk down")
    for delay in [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]:
        assert asyncio.run(outbox.flush(desk_down)) == 0
        failed_at = clock.now
        clock.now = failed_at + delay - 0.5
        assert outbox.pending() == []  # still backing off
        clock.now = failed_at + delay
        assert [p["handoff_id"] for p in outbox.pending()] == ["ho_backoff_0001"]


def test_the_worker_keeps_retrying_in_the_background_until_the_desk_accepts(tmp_path: Path) -> None:
    backends = FakeBackends(desk_down=True)
    clock = FakeClock()
    desk = services(backends, tmp_path).desk
    outbox = Outbox(tmp_path / "worker.sqlite3", clock=clock)
    outbox.add({"handoff_id": "ho_worker_0001", "conversation_id": "c2"}, "desk down")
    worker = OutboxWorker(outbox, desk.create_handoff, 0.01)

    async def until(condition: Any) -> None:
        deadline = time.monotonic() + 10
        while not condition():
            assert time.monotonic() < deadline, "the worker never got there"
            await asyncio.sleep(0.01)

    async def scenario() -> None:
        worker.ensure_running()
        await until(lambda: outbox.pending() == [])  # tried, failed, backing off
        backends.desk_down = False
        clock.now += 2  # the first backoff is over
        await until(lambda: outbox.count() == 0)

    asyncio.run(scenario())
    assert [h["handoff_id"] for h in backends.handoffs] == ["ho_worker_0001"]


def test_a_send_that_hangs_does_not_stop_later_retries(tmp_path: Path) -> None:
    """A connection left broken (the desk killed mid-request) can hang a send: the worker gives
    the round up after its flush timeout and delivers on a later one."""
    outbox = Outbox(tmp_path / "hang.sqlite3")
    outbox.add({"handoff_id": "ho_hang_0001", "conversation_id": "c3"}, "not delivered yet")
    calls: List[str] = []

    async def hangs_once(payload: Dict[str, Any]) -> Dict[str, Any]:
        calls.append(payload["handoff_id"])
        if len(calls) == 1:
            await asyncio.sleep(3600)
        return {"status": "queued"}

    worker = OutboxWorker(outbox, hangs_once, 0.01, flush_timeout=0.2)

    async def scenario() -> None:
        worker.ensure_running()
        deadline = time.monotonic() + 10
        while outbox.count() != 0:
            assert time.monotonic() < deadline, "the hung send stopped the worker"
            await asyncio.sleep(0.01)

    asyncio.run(scenario())
    assert calls == ["ho_hang_0001", "ho_hang_0001"]


class FakeDesk(BaseHTTPRequestHandler):
    received: ClassVar[List[Dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append(body)
        answer = json.dumps({"handoff_id": body["handoff_id"], "status": "queued"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def desk_url() -> Iterator[str]:
    FakeDesk.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeDesk)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_a_handoff_kept_while_the_desk_was_down_is_delivered_by_the_next_process(
    tmp_path: Path, desk_url: str
) -> None:
    outbox_path = tmp_path / "outbox.sqlite3"
    before = build_services(
        ActionsSettings(outbox_path=outbox_path, desk_url=f"http://127.0.0.1:{free_port()}")
    )
    payload = {"handoff_id": "ho_restart_0001", "conversation_id": "c3"}
    _, status = asyncio.run(deliver_handoff(before, payload))
    assert status == "pending"  # the desk was down; the process ends here

    env = {
        "ACTIONS_DESK_URL": desk_url,
        "ACTIONS_OUTBOX_PATH": str(outbox_path),
        "ACTIONS_OUTBOX_RETRY_SECONDS": "0.2",
    }
    log_path = tmp_path / "actions.log"
    actions = {"port_variable": "ACTIONS_PORT", "python": RASA_PY, "ready_path": "/health"}
    with run_service("actions", env=env, log_path=log_path, **actions):
        deadline = time.monotonic() + 30
        while not FakeDesk.received:
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
    assert [h["handoff_id"] for h in FakeDesk.received] == ["ho_restart_0001"]
    assert Outbox(outbox_path).count() == 0


def test_the_outbox_keeps_its_contract_on_both_engines(database_target: str) -> None:
    clock = FakeClock()
    outbox = Outbox(database_target, clock=clock)
    outbox.keep({"handoff_id": "ho_engine_0001", "conversation_id": "c"}, hold_seconds=2)
    outbox.keep({"handoff_id": "ho_engine_0001", "conversation_id": "c"}, hold_seconds=2)  # once
    assert outbox.count() == 1
    assert outbox.claim() == []  # held for the sender's own attempt
    clock.now += 2
    assert [p["handoff_id"] for p in outbox.claim()] == ["ho_engine_0001"]
    assert outbox.claim() == []  # leased to the first claimer
    outbox.failed("ho_engine_0001", "desk down")
    clock.now += 2
    assert [p["handoff_id"] for p in outbox.pending()] == ["ho_engine_0001"]
    outbox.delivered("ho_engine_0001")
    assert outbox.count() == 0
    outbox.close()


def test_two_action_servers_on_one_postgres_outbox_never_send_a_handoff_twice() -> None:
    from sqlkit.testing import temporary_postgres

    with temporary_postgres() as url:
        first, second = Outbox(url), Outbox(url)
        for n in range(40):
            first.add({"handoff_id": f"ho_shared_{n:04d}", "conversation_id": "c"}, "desk down")
        sent: List[str] = []

        async def deliver(payload: Dict[str, Any]) -> Dict[str, Any]:
            await asyncio.sleep(0.001)
            sent.append(payload["handoff_id"])
            return {}

        async def both() -> None:
            await asyncio.gather(first.flush(deliver), second.flush(deliver))

        asyncio.run(both())
        assert sorted(sent) == [f"ho_shared_{n:04d}" for n in range(40)]
        assert first.count() == 0
        first.close()
        second.close()
