"""What only replicas can get wrong, on the scaled stack of conftest.py (two of each service
behind HAProxy, on PostgreSQL and Redis): a customer on one desk replica and an agent on the
other talk live; a widget that reconnects to the other replica resumes with nothing lost or
doubled; an article published through one knowledge replica is found by the other within a
second; the proxy routes around a desk replica killed with SIGKILL, and a widget it dropped
resumes. Replicas are reached directly on their own ports (stack.plan) where it matters."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.e2e.clients import Agent, Customer
from tests.e2e.conftest import AGENT_EMAIL, AGENT_PASSWORD, deployment_of
from tools.scaled import ScaledStack
from tools.stack import EDITOR_TOKEN, Stack

# The scaled half of conftest's desk_stack only: the same stack as the other tests' [scaled].
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("desk_stack", ["scaled"], indirect=True)]

LIVE = 1.0  # seconds: a frame between replicas, an article change between knowledge replicas
EDITOR_HEADERS = {"Authorization": f"Bearer {EDITOR_TOKEN}", "X-Editor-Id": "e2e", "X-Editor-Name": "E2E"}


@pytest.fixture
def scaled(desk_stack: Stack) -> ScaledStack:
    return deployment_of(desk_stack)


def replica_url(scaled: ScaledStack, name: str) -> str:
    """One replica's own address, past the proxy."""
    (process,) = [p for p in scaled.plan.replicas if p.name == name]
    return f"http://127.0.0.1:{process.port}"


@pytest.fixture
def agent_on_desk_2(scaled: ScaledStack) -> Iterator[Agent]:
    signed_in = Agent(replica_url(scaled, "desk-2"), AGENT_EMAIL, AGENT_PASSWORD)
    signed_in.wait(lambda f: f["type"] == "queue")  # online from here on, on every replica
    yield signed_in
    signed_in.close()


def agent_messages(customer: Customer, start: int = 0) -> list[tuple[int, str]]:
    """(id, text) of each agent message the customer's socket got from frame `start` on."""
    return [
        (f["message"]["id"], f["message"]["text"])
        for f in customer.frames[start:]
        if f["type"] == "message" and f["message"]["role"] == "agent"
    ]


def claimed(customer: Customer, agent: Agent) -> str:
    """The customer presses "Talk to a person"; the agent claims the conversation."""
    customer.send({"type": "handoff_request", "client_id": uuid.uuid4().hex})
    customer.state("queued")
    agent.wait(
        lambda f: f["type"] == "handoff_new" and f["summary"]["conversation_id"] == customer.conversation_id
    )
    path = f"/api/console/conversations/{customer.conversation_id}"
    agent.post(f"{path}/claim")
    customer.state("agent")
    return path


def test_a_customer_on_one_replica_and_an_agent_on_the_other_talk_live(
    scaled: ScaledStack, agent_on_desk_2: Agent
) -> None:
    agent = agent_on_desk_2
    customer = Customer(replica_url(scaled, "desk-1"))
    try:
        # Typed: Rasa (either replica) runs the action server's handoff (either replica), which
        # posts it to the desk through the proxy: any desk replica may take it.
        customer.say("how do i talk to an actual human")
        customer.state("queued")
        new = agent.wait(
            lambda f: (
                f["type"] == "handoff_new" and f["summary"]["conversation_id"] == customer.conversation_id
            )
        )
        assert new["summary"]["reason"] == "customer_request"
        path = f"/api/console/conversations/{customer.conversation_id}"
        agent.post(f"{path}/claim")
        assert customer.state("agent")["agent"] == {"name": "Ana Torres"}

        posted_at = time.monotonic()
        sent = agent.post(f"{path}/messages", {"text": "Hi, I'm Ana, on the other replica."})
        got = customer.message_from("agent", timeout=10)
        took = time.monotonic() - posted_at
        assert (got["id"], got["text"]) == (sent["id"], sent["text"])
        assert took < LIVE, f"the agent's reply took {took:.2f} s to reach the customer"

        said_at = time.monotonic()
        customer.say("thanks, my card still has not come")
        heard = agent.wait(
            lambda f: (
                f["type"] == "message"
                and f["message"]["role"] == "customer"
                and f["conversation_id"] == customer.conversation_id
            ),
            timeout=10,
        )
        took = time.monotonic() - said_at
        assert heard["message"]["text"] == "thanks, my card still has not come"
        assert took < LIVE, f"the customer's message took {took:.2f} s to reach the console"
        agent.post(f"{path}/resolve", {"outcome": "resolved"})
    finally:
        customer.drop()


def test_a_widget_resumes_on_the_other_replica_with_nothing_lost_or_doubled(
    scaled: ScaledStack, agent_on_desk_2: Agent
) -> None:
    agent = agent_on_desk_2
    customer = Customer(replica_url(scaled, "desk-1"))
    path = claimed(customer, agent)
    first = agent.post(f"{path}/messages", {"text": "One"})
    customer.wait(lambda f: f["type"] == "message" and f["message"]["id"] == first["id"])
    seen = max(f["message"]["id"] for f in customer.frames if f["type"] == "message")

    customer.drop()
    meanwhile = [agent.post(f"{path}/messages", {"text": text}) for text in ("Two", "Three")]
    customer.desk = replica_url(scaled, "desk-2")
    start = len(customer.frames)
    customer.connect(after=seen)
    customer.until_pong()
    assert agent_messages(customer, start) == [(m["id"], m["text"]) for m in meanwhile]

    # Live again, now from the replica the agent is on: each message once.
    later = agent.post(f"{path}/messages", {"text": "Four"})
    customer.wait(lambda f: f["type"] == "message" and f["message"]["id"] == later["id"])
    customer.until_pong()
    assert agent_messages(customer, start) == [(m["id"], m["text"]) for m in [*meanwhile, later]]
    said = customer.say("got them all")
    customer.wait(lambda f: f["type"] == "ack" and f["client_id"] == said)
    agent.post(f"{path}/resolve", {"outcome": "resolved"})
    customer.drop()


def new_article(marker: str) -> dict[str, Any]:
    return {
        "id": f"e2e-replicas-{marker}",
        "title": f"Feeding the {marker} office parrot",
        "summary": f"How to feed the {marker} parrot that lives in the branch office.",
        "topic": "e2e_replicas",
        "tags": ["e2e"],
        "questions": [f"how do I feed the {marker} parrot in the office"],
        "body": f"1. Give the {marker} parrot sunflower seeds every morning.\n2. Fresh water daily.",
    }


def hit_ids(kb: str, query: str) -> list[str]:
    response = httpx.post(f"{kb}/search", json={"query": query, "top_k": 5}, timeout=10)
    response.raise_for_status()
    return [hit["article_id"] for hit in response.json()["hits"]]


def until(condition: Callable[[], bool], timeout: float) -> None:
    """Polls `condition` until it holds; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s"


def test_an_article_published_on_one_knowledge_replica_is_found_on_the_other(scaled: ScaledStack) -> None:
    kb_1, kb_2 = replica_url(scaled, "kb-1"), replica_url(scaled, "kb-2")
    marker = uuid.uuid4().hex[:8]
    article = new_article(marker)
    question = article["questions"][0]
    with httpx.Client(base_url=kb_1, headers=EDITOR_HEADERS, timeout=30) as editor:
        editor.post("/articles", json=article).raise_for_status()
        try:
            assert article["id"] not in hit_ids(kb_2, question)  # a draft is nobody's
            published_at = time.monotonic()
            editor.post(f"/articles/{article['id']}/publish", json={}).raise_for_status()
            until(lambda: article["id"] in hit_ids(kb_2, question), timeout=30)
            took = time.monotonic() - published_at
            assert took < LIVE, f"kb-2 found the article {took:.2f} s after kb-1 published it"
            assert hit_ids(kb_2, question)[0] == article["id"]
            served = httpx.get(f"{kb_2}/articles/{article['id']}", timeout=10)
            assert served.status_code == 200
            assert marker in served.json()["body"]
        finally:
            removed_at = time.monotonic()
            editor.delete(f"/articles/{article['id']}").raise_for_status()
        until(lambda: article["id"] not in hit_ids(kb_2, question), timeout=30)
        took = time.monotonic() - removed_at
        assert took < LIVE, f"kb-2 still found the deleted article {took:.2f} s later"


def closed(customer: Customer) -> bool:
    """Whether the customer's socket was dropped (answers a ping otherwise)."""
    try:
        customer.until_pong(timeout=30)
    except ConnectionClosed:
        return True
    return False


def test_the_proxy_routes_around_a_killed_desk_replica_and_widgets_resume(
    scaled: ScaledStack, desk_stack: Stack, agent_on_desk_2: Agent
) -> None:
    agent, desk = agent_on_desk_2, desk_stack.desk
    assert desk
    # Two sockets opened one after the other through the proxy: round robin puts one on each.
    customers = [Customer(desk), Customer(desk)]
    paths = [claimed(customer, agent) for customer in customers]
    seen = [max(f["message"]["id"] for f in c.frames if f["type"] == "message") for c in customers]
    killed = scaled.services["desk-1"]
    killed.kill()
    try:
        scaled.wait_for_state("desk-1", "DOWN", timeout=60)
        for _ in range(10):
            assert httpx.get(f"{desk}/readyz", timeout=10).status_code == 200
            assert httpx.get(f"{desk}/help/card-arrival", timeout=10).status_code == 200
        sent = [agent.post(f"{path}/messages", {"text": "Still here"}) for path in paths]

        dropped = [closed(customer) for customer in customers]
        assert any(dropped), "neither socket was on the killed replica"
        for customer, was_dropped, last in zip(customers, dropped, seen, strict=True):
            if was_dropped:
                customer.connect(after=last)  # through the proxy: to the replica left
                customer.until_pong()
        for customer, message, last in zip(customers, sent, seen, strict=True):
            after = [m for m in agent_messages(customer) if m[0] > last]
            assert after == [(message["id"], "Still here")], customer.frames
        # A new conversation through the proxy works too.
        newcomer = Customer(desk)
        newcomer.say("hello")
        newcomer.message_from("bot")
        newcomer.drop()
    finally:
        killed.start()
        killed.wait_ready(180)
        scaled.wait_for_state("desk-1", "UP", timeout=60)  # healthy again for the tests after this
    for customer, path in zip(customers, paths, strict=True):
        agent.post(f"{path}/resolve", {"outcome": "resolved"})
        customer.drop()
