"""Replies to tickets by email through the desk's own API: which replies are emailed, the outbox
surviving a restart, and a real SMTP server (aiosmtpd) receiving the email end to end, with the
development page listing it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from fastapi.testclient import TestClient

from desk.app import create_app
from desk.config import Settings
from desk.errors import MailDeferred
from desk.mail import captured
from desk.mail.catcher import CaptureHandler
from tests.desk.conftest import (
    AGENT,
    CONSOLE,
    FakeAssistant,
    FakeKnowledgeService,
    handoff_request,
    receive_until,
    sign_in,
)
from tests.desk.test_mail import CARD, FakeSender
from tools.services import free_port

SERVICE = {"Authorization": "Bearer dev-desk-service-token"}
HOSTILE = "<img src=x onerror=alert(1)>"


def eventually(check: Callable[[], Any], timeout: float = 10) -> Any:
    """Poll `check` until it gives something truthy, within a deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.02)
    raise AssertionError("the expected state never came")


def app_with(settings: Settings, sender: Any = None) -> FastAPI:
    assistant = FakeAssistant()
    app = create_app(
        settings,
        rasa_transport=httpx.MockTransport(assistant.handle),
        kb_transport=httpx.MockTransport(FakeKnowledgeService().handle),
        mail_sender=sender,
    )
    assistant.app = app
    return app


def ticket_claimed(client: TestClient, conversation_id: str, email: str | None) -> dict[str, str]:
    """A handoff while nobody is online (a ticket) with the customer's email, claimed by Ana."""
    body = handoff_request(conversation_id, customer={"name": "Sam", "email": email})
    assert client.post("/api/handoffs", json=body, headers=SERVICE).json()["status"] == "ticket"
    agent = {**CONSOLE, **sign_in(client)}
    client.post(f"/api/console/conversations/{conversation_id}/claim", headers=agent).raise_for_status()
    return agent


def say(client: TestClient, agent: dict[str, str], conversation_id: str, text: str, kind: str = "messages"):
    response = client.post(
        f"/api/console/conversations/{conversation_id}/{kind}", json={"text": text}, headers=agent
    )
    response.raise_for_status()
    return response.json()


def test_a_reply_to_a_ticket_is_emailed_and_notes_never_are(settings: Settings):
    sender = FakeSender()
    with TestClient(app_with(settings, sender)) as client:
        agent = ticket_claimed(client, "c_ticket_mail", "sam@example.org")
        say(client, agent, "c_ticket_mail", "internal: check the ledger", kind="notes")
        sent = say(client, agent, "c_ticket_mail", "Hi Sam, we have refunded the second payment.")
        eventually(lambda: sender.sent)
        desk = client.app.state.desk  # type: ignore[attr-defined]
        [mail] = desk.store.outgoing_mail()
        events = desk.store.events(conversation_id="c_ticket_mail")
    [(raw, recipient)] = sender.sent
    assert recipient == "sam@example.org"
    assert "we have refunded" in raw
    assert "ledger" not in raw
    assert (mail.message_id, mail.status) == (sent["id"], "sent")
    emailed = [e.payload for e in events if e.type == "agent_message"]
    assert emailed == [{"message_id": sent["id"], "emailed": True}]


def test_a_live_chat_or_a_ticket_without_an_email_is_not_emailed(settings: Settings):
    sender = FakeSender()
    with TestClient(app_with(settings, sender)) as client:
        agent = ticket_claimed(client, "c_no_email", None)
        say(client, agent, "c_no_email", "Hello?")
        with client.websocket_connect("/ws/console", headers=sign_in(client)) as console:
            receive_until(console, lambda f: f["type"] == "queue")  # Ana is online: handoffs queue
            body = handoff_request("c_live", customer={"name": "Sam", "email": "sam@example.org"})
            assert client.post("/api/handoffs", json=body, headers=SERVICE).json()["status"] == "queued"
            client.post("/api/console/conversations/c_live/claim", headers=agent).raise_for_status()
            say(client, agent, "c_live", "Hello Sam")
        desk = client.app.state.desk  # type: ignore[attr-defined]
        assert desk.store.outgoing_mail() == []
    assert sender.sent == []


def test_mail_a_stop_left_unsent_is_sent_by_the_next_desk(settings: Settings):
    down = FakeSender(failures=[MailDeferred("connection refused") for _ in range(100)])
    with TestClient(app_with(settings, down)) as client:
        agent = ticket_claimed(client, "c_restart_mail", "sam@example.org")
        say(client, agent, "c_restart_mail", "Your new card is on its way.")
        store = client.app.state.desk.store  # type: ignore[attr-defined]
        eventually(lambda: store.outgoing_mail()[0].attempts >= 1)  # tried, and failed
    up = FakeSender()
    with TestClient(app_with(settings, up)) as client:
        store = client.app.state.desk.store  # type: ignore[attr-defined]
        eventually(lambda: store.outgoing_mail()[0].status == "sent")
    [(raw, _)] = up.sent
    assert "new card is on its way" in raw


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A real SMTP server on a free port, keeping what it receives like the mail catcher."""
    port, folder = free_port(), tmp_path / "caught"
    controller = Controller(CaptureHandler(folder), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, folder
    controller.stop()


def test_a_ticket_reply_reaches_a_real_smtp_server_masked_and_listed_escaped(
    settings: Settings, smtp_server: tuple[int, Path]
):
    port, folder = smtp_server
    settings = settings.model_copy(update={"smtp_port": port, "mail_capture_dir": folder})
    with TestClient(app_with(settings)) as client, client.websocket_connect("/ws/widget") as ws:
        ws.send_json({"type": "hello", "token": None, "after": 0, "metadata": {}})
        welcome = receive_until(ws, lambda f: f["type"] == "welcome")
        conversation_id = welcome["conversation_id"]
        ws.send_json({"type": "message", "client_id": "m1", "text": f"Charged twice on {CARD} {HOSTILE}"})
        receive_until(ws, lambda f: f["type"] == "message" and f["message"]["role"] == "bot")
        ws.send_json({"type": "handoff_request", "client_id": "h1"})
        receive_until(ws, lambda f: f["type"] == "state" and f["state"]["mode"] == "ticket")
        ws.send_json({"type": "contact", "email": "sam@example.org", "name": "Sam"})
        receive_until(ws, lambda f: f["type"] == "state" and not f["state"]["email_needed"])
        agent = {**CONSOLE, **sign_in(client, AGENT)}
        client.post(f"/api/console/conversations/{conversation_id}/claim", headers=agent).raise_for_status()
        say(client, agent, conversation_id, "Hi Sam, the second payment is refunded. <b>Sorry</b>")
        [mail] = eventually(lambda: captured.latest(folder))
        page = client.get("/dev/mail", headers=agent)
        signer = client.app.state.desk.conversations.signer  # type: ignore[attr-defined]
    raw = (folder / mail.name).read_text()
    assert mail.envelope_to == "sam@example.org"
    assert "Hi Sam, the second payment is refunded." in mail.text
    assert f"Charged twice on [card ending 1111] {HOSTILE}" in mail.text  # the thread, masked
    for where in (raw, mail.text, mail.html or "", page.text):
        assert CARD not in where
        assert CARD.replace(" ", "") not in where
    token = re.search(r"#kestrel-conversation=(\S+)", mail.text)
    assert token is not None
    assert signer.verify(token.group(1)) == conversation_id
    assert page.status_code == 200
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert HOSTILE not in page.text
    assert "&lt;b&gt;Sorry&lt;/b&gt;" in page.text
    assert "sam@example.org" in page.text


def test_the_mail_page_exists_only_in_development(tmp_path: Path):
    production = Settings(
        environment="production",
        database_path=tmp_path / "desk.sqlite3",
        agents=[":".join(AGENT)],
        service_token="s" * 40,
        secret_key="k" * 40,
        kb_editor_token="e" * 40,
    )
    with TestClient(app_with(production, FakeSender())) as client:
        agent = sign_in(client, AGENT)
        assert client.get("/dev/mail", headers=agent).status_code == 404
        assert client.get("/dev/mail").status_code == 404
