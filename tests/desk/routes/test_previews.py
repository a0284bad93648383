"""What every agent sees at a glance (queue lists, new-handoff notifications) masks emails and
phone numbers; the conversation's own view keeps them for the agent who serves it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.desk.conftest import handoff_request, receive_until, sign_in

SERVICE = {"Authorization": "Bearer dev-desk-service-token"}
SUMMARY = "The customer wants a call back on 07700 900123 or a reply to sam.lee@example.com."


def test_queue_previews_and_notifications_mask_contacts_the_conversation_keeps_them(client: TestClient):
    cookie = sign_in(client)
    with client.websocket_connect("/ws/widget") as ws:
        ws.send_json({"type": "hello", "token": None, "after": 0, "metadata": {}})
        conversation_id = receive_until(ws, lambda f: f["type"] == "welcome")["conversation_id"]
    with client.websocket_connect("/ws/console", headers=cookie) as console:
        receive_until(console, lambda f: f["type"] == "queue")
        body = handoff_request(conversation_id, summary=SUMMARY)
        assert client.post("/api/handoffs", json=body, headers=SERVICE).status_code == 201
        arrived = receive_until(console, lambda f: f["type"] == "handoff_new")["summary"]
        listed = receive_until(console, lambda f: f["type"] == "queue" and f["queue"]["queued"])
    for summary in (
        arrived,
        listed["queue"]["queued"][0],
        client.get("/api/console/queue", headers=cookie).json()["queued"][0],
    ):
        assert "07700" not in summary["summary"]
        assert "sam.lee@" not in summary["summary"]
        assert "[phone]" in summary["summary"]
        assert "s•••@example.com" in summary["summary"]
    detail = client.get(f"/api/console/conversations/{conversation_id}", headers=cookie).json()
    assert detail["summary"]["summary"] == SUMMARY
