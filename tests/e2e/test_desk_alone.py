"""The desk alone as a real process, its neighbours down (Rasa and the knowledge service are
closed ports): a customer is never left talking to nobody, and oversized bodies get 413."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from desk.store import Store
from tests.e2e.clients import Customer
from tools.services import RunningService, free_port, run_service

pytestmark = pytest.mark.slow

MAX_BODY_BYTES = 4096
SERVICE = {"Authorization": "Bearer dev-desk-service-token", "content-type": "application/json"}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("desk-alone")


@pytest.fixture(scope="module")
def desk(workdir: Path) -> Iterator[RunningService]:
    env = {
        "DESK_RASA_URL": f"http://127.0.0.1:{free_port()}",
        "DESK_KB_URL": f"http://127.0.0.1:{free_port()}",
        "DESK_DATABASE_PATH": str(workdir / "desk.sqlite3"),
        "DESK_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
    }
    with run_service("desk", env=env, port_variable="DESK_PORT", log_path=workdir / "desk.log") as running:
        yield running


def test_a_question_while_the_assistant_is_down_goes_to_people(desk: RunningService, workdir: Path) -> None:
    customer = Customer(desk.url)
    customer.say("how do I change my address")
    assert customer.state("ticket")  # nobody is online
    assert "passed to our team" in customer.message_from("system")["text"]
    store = Store(workdir / "desk.sqlite3")
    try:
        made = [h for h in store.handoffs(["ticket"]) if h.conversation_id == customer.conversation_id]
    finally:
        store.close()
    assert [h.reason for h in made] == ["assistant_unavailable"]


def test_an_oversized_body_gets_413_with_or_without_its_length(desk: RunningService) -> None:
    body = b"x" * (MAX_BODY_BYTES + 1)
    with httpx.Client(base_url=desk.url, timeout=10) as http:
        declared = http.post("/api/handoffs", content=body, headers=SERVICE)
        chunked = http.post("/api/handoffs", content=iter([body[:1024], body[1024:]]), headers=SERVICE)
    assert "content-length" not in chunked.request.headers
    for response in (declared, chunked):
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "body_too_large"
