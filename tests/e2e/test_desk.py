"""The whole system through the real services: the desk, kb_service, the action server and Rasa
(trained from bot/), with a customer on the widget protocol and an agent on the console API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.clients import Agent, Customer, event_types
from tests.e2e.conftest import AGENT_EMAIL, AGENT_PASSWORD
from tools.stack import Stack

pytestmark = pytest.mark.slow


@pytest.fixture
def stack(desk_stack: Stack) -> Stack:
    return desk_stack


@pytest.fixture
def agent(stack: Stack) -> Iterator[Agent]:
    assert stack.desk
    signed_in = Agent(stack.desk, AGENT_EMAIL, AGENT_PASSWORD)
    signed_in.wait(lambda f: f["type"] == "queue")  # online from here on
    yield signed_in
    signed_in.close()


def test_question_answer_handoff_agent_reply_and_hand_back(stack: Stack, agent: Agent) -> None:
    assert stack.desk
    customer = Customer(stack.desk)
    customer.say("I ordered a new card ten days ago and it still hasn't come")
    answer = customer.message_from("bot")
    assert any(link["url"].endswith("/help/card-arrival") for link in answer["links"]), customer.frames
    asked = customer.message_from("bot")  # "Did that answer your question?"
    assert "/request_human" in [b["payload"] for b in asked["buttons"]]

    customer.send({"type": "handoff_request", "client_id": "person-1"})
    waiting = customer.state("queued")
    assert waiting["queue_position"] >= 1  # other tests may have left customers waiting
    assert waiting["estimated_wait_seconds"]
    assert "member of our team" in customer.message_from("bot")["text"]

    # Others may be handed over meanwhile (an outbox retry, a test before this one): this one.
    new = agent.wait(
        lambda f: f["type"] == "handoff_new" and f["summary"]["conversation_id"] == customer.conversation_id
    )["summary"]
    assert new["reason"] == "customer_request"
    context = agent.get(f"/api/console/conversations/{customer.conversation_id}")
    handoff = context["handoff"]
    assert handoff["metadata"]["locale"] == "en-GB"
    assert any("ordered a new card" in line["text"] for line in handoff["transcript"])
    assert [a["article_id"] for a in handoff["articles_shown"]] == ["card-arrival"]
    assert handoff["turns"]
    assert handoff["turns"][-1]["intent"] == "request_human"

    agent.post(f"/api/console/conversations/{customer.conversation_id}/claim")
    assert customer.state("agent")["agent"] == {"name": "Ana Torres"}
    agent.post(
        f"/api/console/conversations/{customer.conversation_id}/notes", {"text": "checked the courier"}
    )
    sent = agent.post(
        f"/api/console/conversations/{customer.conversation_id}/messages",
        {"text": "Hi, I'm Ana. Let me check."},
    )
    got = customer.message_from("agent")
    assert (got["id"], got["text"], got["author"]["name"]) == (sent["id"], sent["text"], "Ana Torres")

    customer.say("thank you")  # with an agent: goes to the console, never to the assistant
    heard = agent.wait(lambda f: f["type"] == "message" and f["message"]["role"] == "customer")
    assert heard["message"]["text"] == "thank you"

    agent.post(f"/api/console/conversations/{customer.conversation_id}/handback")
    customer.state("bot")
    assert "assistant again" in customer.message_from("bot")["text"]
    customer.say("how long does a transfer to another UK bank take?")
    next_answer = customer.message_from("bot")
    assert next_answer["links"] or next_answer["buttons"]
    assert all(f["message"]["role"] != "note" for f in customer.frames if f["type"] == "message")

    logged = event_types(stack.desk, customer.conversation_id)
    assert logged[:-1] == [
        "conversation_started",
        "customer_message",
        "assistant_answer",
        "customer_message",  # "Talk to a person"
        "handoff_requested",
        "queued",
        "agent_joined",
        "internal_note",
        "agent_message",
        "customer_message",
        "handed_back",
        "customer_message",
    ]
    assert logged[-1] in ("assistant_answer", "assistant_clarify")


def test_messages_sent_while_the_customer_is_offline_arrive_once(stack: Stack, agent: Agent) -> None:
    assert stack.desk
    customer = Customer(stack.desk)
    customer.send({"type": "handoff_request", "client_id": "person-2"})
    customer.state("queued")
    assert "member of our team" in customer.message_from("bot")["text"]  # the last message before the drop
    agent.post(f"/api/console/conversations/{customer.conversation_id}/claim")
    customer.state("agent")
    seen = max(f["message"]["id"] for f in customer.frames if f["type"] == "message")

    customer.drop()
    first = agent.post(
        f"/api/console/conversations/{customer.conversation_id}/messages", {"text": "One moment"}
    )
    second = agent.post(
        f"/api/console/conversations/{customer.conversation_id}/messages", {"text": "Found it"}
    )

    customer.connect(after=seen)
    replayed = [f["message"] for f in customer.until_pong() if f["type"] == "message"]
    assert [(m["id"], m["text"]) for m in replayed] == [
        (first["id"], "One moment"),
        (second["id"], "Found it"),
    ]
    agent.post(f"/api/console/conversations/{customer.conversation_id}/resolve", {"outcome": "resolved"})
    assert event_types(stack.desk, customer.conversation_id) == [
        "conversation_started",
        "customer_message",
        "handoff_requested",
        "queued",
        "agent_joined",
        "agent_message",
        "agent_message",
        "resolved",
    ]


def test_the_conversation_survives_a_page_reload(stack: Stack) -> None:
    assert stack.desk
    customer = Customer(stack.desk)
    customer.say("I ordered a new card ten days ago and it still hasn't come")
    customer.wait(lambda f: f["type"] == "message" and bool(f["message"]["buttons"]))  # the turn's end
    shown = [f["message"]["id"] for f in customer.frames if f["type"] == "message"]
    customer.drop()
    reloaded = Customer(stack.desk, token=customer.token)  # a reload: same token, after=0
    history = [f["message"] for f in reloaded.until_pong() if f["type"] == "message"]
    assert reloaded.conversation_id == customer.conversation_id
    assert [m["role"] for m in history][:2] == ["customer", "bot"]
    assert [m["id"] for m in history] == shown  # each once, in order
