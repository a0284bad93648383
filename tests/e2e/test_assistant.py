"""The assistant through the real services: kb_service, the action server and Rasa (trained
from bot/), talking over HTTP on Rasa's REST channel as the desk uses it. Here the desk is down
on purpose (its URL is a closed port), which proves that a handoff survives an unreachable desk;
tests/e2e/test_desk.py runs the whole system with the desk."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tools.stack import EDITOR_TOKEN, RASA_TOKEN, Stack, assistant_stack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with assistant_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


def decisions(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["custom"] for m in messages if "custom" in m]


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def test_a_real_question_gets_the_article_answer(stack: Stack) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    reply = stack.say(
        sender, "I ordered a new card ten days ago and it still hasn't come", page="/cards", locale="en-GB"
    )
    assert decisions(reply)[0]["kind"] == "answer"
    assert decisions(reply)[0]["article_id"] == "card-arrival"
    assert "Did that answer your question?" in texts(reply)
    assert any(b["payload"] == "/request_human" for m in reply for b in m.get("buttons", []))
    assert "glad that helped" in texts(stack.say(sender, "yes, that answered it"))


def test_a_person_on_request_survives_the_desk_being_down_then_hand_back(stack: Stack) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    reply = stack.say(sender, "I need to talk to a real person please")
    handoff = decisions(reply)[-1]
    assert handoff["kind"] == "handoff"
    assert handoff["reason"] == "customer_request"
    assert handoff["status"] == "pending"  # the desk is unreachable: kept, not dropped
    with sqlite3.connect(stack.outbox) as db:
        rows = db.execute("SELECT handoff_id, payload FROM outbox WHERE state = 'pending'").fetchall()
    assert handoff["handoff_id"] in {row[0] for row in rows}

    assert stack.say(sender, "hello? anyone there?") == []  # paused: the bot stays silent

    base = f"{stack.rasa}/conversations/{sender}"
    token = {"token": RASA_TOKEN}  # Rasa's HTTP API refuses calls without it
    assert httpx.post(f"{base}/tracker/events", json=[{"event": "resume"}], timeout=30).status_code == 401
    resumed = httpx.post(f"{base}/tracker/events", params=token, json=[{"event": "resume"}], timeout=30)
    resumed.raise_for_status()
    back = httpx.post(f"{base}/trigger_intent", params=token, json={"name": "handed_back"}, timeout=60)
    back.raise_for_status()
    assert "assistant again" in texts(back.json()["messages"])
    answer = stack.say(sender, "how long does a transfer to another UK bank take?")
    assert decisions(answer)[0]["kind"] in {"answer", "clarify"}


def test_a_sensitive_topic_gives_safety_steps_then_a_person(stack: Stack) -> None:
    reply = stack.say(
        f"e2e-{uuid.uuid4().hex[:8]}", "my wallet was stolen on the train with my kestrel card in it"
    )
    assert "Freeze" in texts(reply)
    handoff = decisions(reply)[-1]
    assert (handoff["kind"], handoff["reason"]) == ("handoff", "sensitive_topic")


def test_a_disowned_payment_goes_to_a_person_as_a_sensitive_case(stack: Stack) -> None:
    reply = decisions(
        stack.say(new_sender(), "the app shows I took £200 out of a cash machine yesterday but I didn't")
    )
    assert (reply[-1]["kind"], reply[-1]["reason"]) == ("handoff", "sensitive_topic")


def new_sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


def test_a_follow_up_about_another_way_gets_that_article(stack: Stack) -> None:
    sender = new_sender()
    first = decisions(stack.say(sender, "what's the fee for topping up with my debit card?"))
    assert (first[0]["kind"], first[0]["article_id"]) == ("answer", "top-up-by-card-charge")
    second = decisions(stack.say(sender, "and by bank transfer?"))
    assert (second[0]["kind"], second[0]["article_id"]) == ("answer", "top-up-by-bank-transfer-charge")


def test_a_vague_message_is_not_taken_for_a_sensitive_case(stack: Stack) -> None:
    reply = decisions(stack.say(new_sender(), "the app is doing the weird thing again"))
    assert reply
    assert reply[0]["kind"] != "handoff"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("how do i talk to an actual human", "customer_request"),
        ("can i get an operater pls", "customer_request"),
        ("is there someone i could speak to about a payment", "customer_request"),
        ("I want to file a complaint about how my dispute was handled", "complaint"),
    ],
)
def test_asking_for_a_person_in_ordinary_words_hands_over(stack: Stack, text: str, reason: str) -> None:
    handoff = decisions(stack.say(new_sender(), text))[-1]
    assert (handoff["kind"], handoff["reason"]) == ("handoff", reason)


def test_a_confirmed_answer_waits_as_a_candidate_example(stack: Stack) -> None:
    sender = new_sender()
    question = f"my new card has not arrived yet, it has been {uuid.uuid4().int % 90 + 10} days"
    assert decisions(stack.say(sender, question))[0]["article_id"] == "card-arrival"
    stack.say(sender, "yes, that answered it")
    listed = httpx.get(
        f"{stack.kb}/examples",
        params={"source": "confirmed_answers", "status": "candidate", "limit": 500},
        headers={"Authorization": f"Bearer {EDITOR_TOKEN}"},
        timeout=30,
    ).json()
    assert {"text": question, "article_id": "card-arrival"} in [
        {"text": e["text"], "article_id": e["article_id"]} for e in listed["examples"]
    ]
