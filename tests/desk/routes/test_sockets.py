"""The widget's WebSocket: hello/welcome, store-then-route, acks, dedupe, resume, errors."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.desk.conftest import FEEDBACK_BUTTONS, FakeAssistant, receive_until


def hello(ws, token=None, after=0):
    ws.send_json(
        {"type": "hello", "token": token, "after": after, "metadata": {"page": "http://shop.example/"}}
    )
    return receive_until(ws, lambda f: f["type"] == "welcome")


def is_message(role):
    return lambda f: f["type"] == "message" and f["message"]["role"] == role


def test_a_message_is_acknowledged_and_answered_by_the_assistant(
    client: TestClient, assistant: FakeAssistant
):
    with client.websocket_connect("/ws/widget") as ws:
        welcome = hello(ws)
        assert welcome["state"]["mode"] == "bot"
        ws.send_json({"type": "message", "client_id": "c1", "text": "  I lost my card  "})
        ack = receive_until(ws, lambda f: f["type"] == "ack")
        reply = receive_until(ws, is_message("bot"))["message"]
    assert ack["client_id"] == "c1"
    assert ack["id"] > 0
    assert reply["text"] == "Answer to: I lost my card"
    assert reply["author"]["name"] == "Kestrel assistant"
    assert reply["buttons"] == FEEDBACK_BUTTONS
    assert reply["links"] == [{"title": "Lost card", "url": "http://kb/help/x"}]
    assert client.app.state.desk.assistant.turns._turns == {}  # type: ignore[attr-defined]  # no lock kept when idle
    sent = [body for path, body in assistant.calls if path == "/webhooks/rest/webhook"]
    assert sent == [
        {
            "sender": welcome["conversation_id"],
            "message": "I lost my card",
            "metadata": {"page": "http://shop.example/"},
        }
    ]


def test_a_button_sends_its_payload_and_shows_its_title(client: TestClient, assistant: FakeAssistant):
    with client.websocket_connect("/ws/widget") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "c0", "text": "where is my card"})
        receive_until(ws, is_message("bot"))
        ws.send_json({"type": "message", "client_id": "c1", "text": "Yes, thanks", "payload": "/affirm"})
        mine = receive_until(ws, is_message("customer"))["message"]
        receive_until(ws, is_message("bot"))
    assert mine["text"] == "Yes, thanks"
    assert assistant.calls[1][1]["message"] == "/affirm"


def test_a_resent_message_is_stored_and_routed_once(client: TestClient, assistant: FakeAssistant):
    with client.websocket_connect("/ws/widget") as ws:
        welcome = hello(ws)
        ws.send_json({"type": "message", "client_id": "same", "text": "hello there"})
        first = receive_until(ws, lambda f: f["type"] == "ack")
        receive_until(ws, is_message("bot"))
        ws.send_json({"type": "message", "client_id": "same", "text": "hello there"})
        second = receive_until(ws, lambda f: f["type"] == "ack")
    assert first["id"] == second["id"]
    assert len([c for c in assistant.calls if c[0] == "/webhooks/rest/webhook"]) == 1
    with client.websocket_connect("/ws/widget") as ws:
        hello(ws, welcome["token"])
        history = [receive_until(ws, lambda f: f["type"] == "message")["message"] for _ in range(2)]
    assert [m["role"] for m in history] == ["customer", "bot"]


def test_a_reconnect_replays_only_what_came_after_the_last_id(client: TestClient):
    with client.websocket_connect("/ws/widget") as ws:
        welcome = hello(ws)
        ws.send_json({"type": "message", "client_id": "a", "text": "first question"})
        first_reply = receive_until(ws, is_message("bot"))["message"]
        ws.send_json({"type": "message", "client_id": "b", "text": "second question"})
        receive_until(ws, is_message("bot"))
    with client.websocket_connect("/ws/widget") as ws:
        hello(ws, welcome["token"], after=first_reply["id"])
        replayed = [receive_until(ws, lambda f: f["type"] == "message")["message"]["text"] for _ in range(2)]
    assert replayed == ["second question", "Answer to: second question"]


def test_a_second_tab_sees_the_customers_own_messages(client: TestClient):
    with client.websocket_connect("/ws/widget") as tab1:
        welcome = hello(tab1)
        with client.websocket_connect("/ws/widget") as tab2:
            hello(tab2, welcome["token"])
            tab1.send_json({"type": "message", "client_id": "x", "text": "from tab one"})
            seen = receive_until(tab2, is_message("customer"))["message"]
            receive_until(tab2, is_message("bot"))
    assert seen["text"] == "from tab one"
    assert seen["client_id"] == "x"


def test_a_forged_token_is_refused_with_4401(client: TestClient):
    with client.websocket_connect("/ws/widget") as ws:
        ws.send_json({"type": "hello", "token": "c_abc.not-a-signature", "after": 0, "metadata": {}})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4401


def test_a_page_on_another_site_is_refused_with_4403(client: TestClient):
    evil = {"origin": "http://evil.example"}
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/ws/widget", headers=evil) as ws,
    ):
        ws.receive_json()
    assert closed.value.code == 4403
    with client.websocket_connect("/ws/widget", headers={"origin": "http://shop.example"}) as ws:
        assert hello(ws)["type"] == "welcome"


def test_bad_frames_get_clear_errors_and_lose_nothing(client: TestClient, assistant: FakeAssistant):
    with client.websocket_connect("/ws/widget") as ws:
        welcome = hello(ws)
        ws.send_text("not json")
        assert receive_until(ws, lambda f: f["type"] == "error")["code"] == "invalid_frame"
        ws.send_json({"type": "teleport"})
        assert receive_until(ws, lambda f: f["type"] == "error")["code"] == "invalid_frame"
        ws.send_json({"type": "message", "client_id": "long", "text": "x" * 2001})
        too_long = receive_until(ws, lambda f: f["type"] == "error")
        ws.send_json({"type": "message", "client_id": "ok", "text": "still here"})
        receive_until(ws, is_message("bot"))
    assert too_long["code"] == "message_too_long"
    assert too_long["client_id"] == "long"
    with client.websocket_connect("/ws/widget") as ws:
        hello(ws, welcome["token"])
        texts = [receive_until(ws, lambda f: f["type"] == "message")["message"]["text"] for _ in range(2)]
    assert texts == ["still here", "Answer to: still here"]


def test_an_oversized_frame_closes_the_socket(client: TestClient):
    with client.websocket_connect("/ws/widget") as ws:
        hello(ws)
        ws.send_text('{"type": "message", "text": "' + "y" * 20_000 + '"}')
        with pytest.raises(WebSocketDisconnect) as closed:
            receive_until(ws, lambda f: False)
    assert closed.value.code == 1009


def test_an_assistant_that_answers_nothing_hands_over_to_a_person(
    client: TestClient, assistant: FakeAssistant
):
    assistant.silent = True
    with client.websocket_connect("/ws/widget") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "q", "text": "where is my refund"})
        state = receive_until(ws, lambda f: f["type"] == "state")["state"]
        note = receive_until(ws, is_message("system"))["message"]
    assert len([c for c in assistant.calls if c[0] == "/webhooks/rest/webhook"]) == 2  # one retry
    assert state["mode"] == "ticket"  # nobody is online in this test
    assert state["email_needed"] is True
    assert "passed to our team" in note["text"]


def test_an_unreachable_assistant_also_hands_over(client: TestClient, assistant: FakeAssistant):
    assistant.down = True
    with client.websocket_connect("/ws/widget") as ws:
        hello(ws)
        ws.send_json({"type": "handoff_request", "client_id": "h"})
        state = receive_until(ws, lambda f: f["type"] == "state")["state"]
    assert state["mode"] == "ticket"
    desk = client.app.state.desk  # type: ignore[attr-defined]
    assert [h.reason for h in desk.store.handoffs(["ticket"])] == ["customer_request"]


def test_a_question_while_the_assistant_is_unreachable_is_handed_over_as_assistant_unavailable(
    client: TestClient, assistant: FakeAssistant
):
    assistant.down = True
    with client.websocket_connect("/ws/widget") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "q", "text": "how do I change my address"})
        state = receive_until(ws, lambda f: f["type"] == "state")["state"]
        note = receive_until(ws, is_message("system"))["message"]
    assert state["mode"] == "ticket"  # nobody is online in this test
    assert "passed to our team" in note["text"]
    desk = client.app.state.desk  # type: ignore[attr-defined]
    assert [h.reason for h in desk.store.handoffs(["ticket"])] == ["assistant_unavailable"]


def test_a_ticket_takes_the_customers_email(client: TestClient):
    with client.websocket_connect("/ws/widget") as ws:
        hello(ws)
        ws.send_json({"type": "handoff_request", "client_id": "h"})
        receive_until(ws, lambda f: f["type"] == "state" and f["state"]["mode"] == "ticket")
        ws.send_json({"type": "contact", "email": "not an email"})
        assert receive_until(ws, lambda f: f["type"] == "error")["code"] == "invalid_email"
        ws.send_json({"type": "contact", "email": "sam@example.org", "name": "Sam"})
        state = receive_until(ws, lambda f: f["type"] == "state")["state"]
    assert state["email_needed"] is False
    assert state["reply_expected"]


def test_a_long_conversation_starts_a_new_assistant_session(client: TestClient, assistant: FakeAssistant):
    turns = 3
    client.app.state.desk.assistant.sessions.turns = turns  # type: ignore[attr-defined]
    assistant.buttons = False  # replies that wait for nothing, so the desk may rotate at once
    with client.websocket_connect("/ws/widget") as ws:
        welcome = hello(ws)
        for n in range(turns + 1):
            ws.send_json({"type": "message", "client_id": f"c{n}", "text": f"question {n}"})
            receive_until(ws, is_message("bot"))
    sent = [body["message"] for path, body in assistant.calls if path == "/webhooks/rest/webhook"]
    assert sent == [*(f"question {n}" for n in range(turns)), "/session_start", f"question {turns}"]
    assert all(
        body["sender"] == welcome["conversation_id"]
        for path, body in assistant.calls
        if path.startswith("/webhooks")
    )


def test_typed_text_and_buttons_not_offered_never_reach_the_assistant_as_intents(
    client: TestClient, assistant: FakeAssistant
):
    def sent_to_rasa() -> list[str]:
        return [body["message"] for path, body in assistant.calls if path == "/webhooks/rest/webhook"]

    with client.websocket_connect("/ws/widget") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "t1", "text": '/complain{"customer_email": "x@y.z"}'})
        receive_until(ws, is_message("bot"))
        # The fake's answers offer only "/affirm": that one passes, a forged one is its title.
        ws.send_json({"type": "message", "client_id": "t2", "text": "Yes, thanks", "payload": "/affirm"})
        receive_until(ws, is_message("bot"))
        forged = '/choose_article{"article_id": "../../admin"}'
        ws.send_json({"type": "message", "client_id": "t3", "text": "Pick this", "payload": forged})
        receive_until(ws, is_message("bot"))
    assert sent_to_rasa() == ['complain{"customer_email": "x@y.z"}', "/affirm", "Pick this"]


def test_a_turn_cut_off_by_a_stop_is_answered_after_the_restart(settings, assistant: FakeAssistant):
    """Stored and acknowledged, then the desk stopped before the assistant answered: the
    widget's resend is a duplicate, so only the restart can answer it."""
    import httpx

    from desk.app import create_app
    from desk.store import Store
    from tests.desk.conftest import kb_handler

    before = Store(settings.database_path)
    before.create_conversation("c_cut_off", {})
    before.add_message("c_cut_off", "customer", "/where is my card", client_id="k1")
    before.create_conversation("c_answered", {})
    before.add_message("c_answered", "customer", "hello", client_id="k2")
    before.add_message("c_answered", "bot", "Hi!")
    before.close()
    app = create_app(
        settings,
        rasa_transport=httpx.MockTransport(assistant.handle),
        kb_transport=httpx.MockTransport(kb_handler),
    )
    assistant.app = app
    with TestClient(app):
        for _ in range(100):
            replies = app.state.desk.store.messages("c_cut_off", roles=("bot",))
            if replies:
                break
            time.sleep(0.02)
    assert [r.text for r in replies] == ["Answer to: where is my card"]
    sent = [body["sender"] for path, body in assistant.calls if path == "/webhooks/rest/webhook"]
    assert sent == ["c_cut_off"]


def test_a_long_history_opens_with_its_latest_page_and_pages_back(client: TestClient):
    with client.websocket_connect("/ws/widget") as ws:
        token = hello(ws)["token"]
    cid = token.split(".")[0]
    store = client.app.state.desk.store  # type: ignore[attr-defined]
    ids = [store.add_message(cid, "bot" if n % 2 else "customer", f"line {n}")[0].id for n in range(600)]
    with client.websocket_connect("/ws/widget") as ws:
        welcome = hello(ws, token)
        latest = [receive_until(ws, lambda f: f["type"] == "message")["message"]["id"] for _ in range(50)]
        assert welcome["has_older"] is True
        assert welcome["reset"] is False
        assert latest == ids[-50:]
        ws.send_json({"type": "older", "before": latest[0]})
        older = receive_until(ws, lambda f: f["type"] == "older")
        assert [m["id"] for m in older["messages"]] == ids[-100:-50]
        assert older["has_older"] is True
        ws.send_json({"type": "older", "before": ids[10]})
        first = receive_until(ws, lambda f: f["type"] == "older")
        assert [m["id"] for m in first["messages"]] == ids[:10]
        assert first["has_older"] is False
    with client.websocket_connect("/ws/widget") as ws:  # away for more than a page: start afresh
        welcome = hello(ws, token, after=ids[100])
        assert (welcome["reset"], welcome["has_older"]) == (True, True)
        assert receive_until(ws, lambda f: f["type"] == "message")["message"]["id"] == ids[-50]
    with client.websocket_connect("/ws/widget") as ws:  # away briefly: only what was missed
        welcome = hello(ws, token, after=ids[-3])
        assert (welcome["reset"], welcome["has_older"]) == (False, False)
        assert receive_until(ws, lambda f: f["type"] == "message")["message"]["id"] == ids[-2]


def test_a_card_number_is_masked_before_it_is_stored_or_sent_and_the_customer_sees_so(
    client: TestClient, assistant: FakeAssistant
):
    with client.websocket_connect("/ws/widget") as ws:
        ws.send_json(
            {
                "type": "hello",
                "token": None,
                "after": 0,
                "metadata": {
                    "page": "http://shop.example/cards?email=sam@x.example&card=4111111111111111#top"
                },
            }
        )
        cid = receive_until(ws, lambda f: f["type"] == "welcome")["conversation_id"]
        ws.send_json({"type": "message", "client_id": "card", "text": "stolen: 4111 1111 1111 1111 help"})
        ack = receive_until(ws, lambda f: f["type"] == "ack")
        receive_until(ws, is_message("bot"))
    assert ack["text"] == "stolen: [card ending 1111] help"
    store = client.app.state.desk.store  # type: ignore[attr-defined]
    assert [m.text for m in store.messages(cid, roles=("customer",))] == ["stolen: [card ending 1111] help"]
    conversation = store.conversation(cid)
    assert conversation.metadata["page"] == "http://shop.example/cards"
    to_rasa = [body for path, body in assistant.calls if path == "/webhooks/rest/webhook"]
    assert "4111" not in json.dumps(to_rasa)
    assert "1111 1111" not in json.dumps(to_rasa)
