"""desk/csat.py over a real store: when the assistant's resolution is recorded, one request per
resolution, a rating stored once, comments masked, and purged with the conversation's text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from desk import events as ev
from desk.csat import Satisfaction, UnknownRating, clean_comment
from desk.hub import Hub
from desk.roles import Role
from desk.store import Store
from tests.desk.test_retention import Clock


class RecordingHub(Hub):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def to_conversation(self, conversation_id: str, frame: dict[str, Any]) -> None:
        self.sent.append((conversation_id, frame))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(database_target: str, clock: Clock) -> Iterator[Store]:
    opened = Store(database_target, clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def hub() -> RecordingHub:
    return RecordingHub()


@pytest.fixture
def satisfaction(store: Store, hub: RecordingHub, clock: Clock) -> Satisfaction:
    return Satisfaction(store=store, hub=hub, offer_hours=24, clock=clock)


def answered(store: Store, cid: str = "c1") -> None:
    store.create_conversation(cid, {})
    store.append_events([ev.NewEvent(cid, ev.ASSISTANT, ev.AssistantAnswer(article_id="lost-card"))])


@pytest.mark.parametrize(
    ("after", "resolves"),
    [
        ([], True),
        ([ev.AssistantNone()], False),  # the last word was not an answer
        ([ev.AssistantClarify(article_ids=["a", "b"])], False),
        ([ev.Resolved(outcome="confirmed", by="assistant")], False),  # resolved already
        ([ev.HandoffRequested(handoff_id="ho_1", reason="complaint", priority="normal")], False),
        ([ev.Resolved(outcome="confirmed", by="assistant"), ev.AssistantAnswer(article_id="fees")], True),
    ],
)
def test_the_assistant_resolves_only_an_answer_nothing_settled_since(
    store: Store, satisfaction: Satisfaction, after: list[ev._Payload], resolves: bool
) -> None:
    answered(store)
    store.append_events([ev.NewEvent("c1", ev.ASSISTANT, p) for p in after])
    found = satisfaction.assistant_resolution("c1", "goodbye")
    assert (found is not None) == resolves
    if found is not None:
        assert found.payload == ev.Resolved(outcome="goodbye", by="assistant")


def test_one_request_per_resolution_and_the_assistant_asks_once(
    store: Store, satisfaction: Satisfaction, hub: RecordingHub
) -> None:
    agent = store.add_staff("ana@kestrel.example", "Ana Torres", "hash", frozenset({Role.AGENT}))
    answered(store)
    store.append_events([ev.NewEvent("c1", ev.ASSISTANT, ev.Resolved(outcome="confirmed", by="assistant"))])
    first = satisfaction.offer("c1")
    assert first is not None
    assert satisfaction.offer("c1") is None  # the same resolution
    store.append_events([ev.NewEvent("c1", ev.ASSISTANT, ev.Resolved(outcome="confirmed", by="assistant"))])
    assert satisfaction.offer("c1") is None  # another assistant resolution: not asked again
    store.append_events(
        [ev.NewEvent("c1", ev.agent_actor(agent.id), ev.Resolved(handoff_id="ho_1", outcome="spam"))]
    )
    assert satisfaction.offer("c1") is None  # spam is not rated
    store.append_events(
        [ev.NewEvent("c1", ev.agent_actor(agent.id), ev.Resolved(handoff_id="ho_1", outcome="unresolved"))]
    )
    agent_request = satisfaction.offer("c1")
    assert agent_request is not None
    assert (agent_request.of, agent_request.agent_id) == ("agent", agent.id)
    assert [(frame["of"], frame["agent"]) for _, frame in hub.sent] == [
        ("assistant", None),
        ("agent", {"name": "Ana Torres"}),
    ]


def test_a_rating_is_stored_once_with_its_event_and_the_request_lapses(
    store: Store, satisfaction: Satisfaction, clock: Clock
) -> None:
    answered(store)
    store.append_events([ev.NewEvent("c1", ev.ASSISTANT, ev.Resolved(outcome="confirmed", by="assistant"))])
    request = satisfaction.offer("c1")
    assert request is not None
    assert satisfaction.pending("c1") is not None
    assert satisfaction.rate("c1", request.resolution_id, 2, "  ") is True
    assert satisfaction.rate("c1", request.resolution_id, 5, "changed my mind") is False
    assert satisfaction.pending("c1") is None
    given = store.events(conversation_id="c1", types=[ev.EventType.CSAT_GIVEN])
    assert [e.payload for e in given] == [{"score": 2, "of": "assistant", "commented": False}]
    with pytest.raises(UnknownRating):
        satisfaction.rate("c2", request.resolution_id, 4, None)  # another conversation's request


def test_an_open_request_is_offered_again_only_for_a_while(
    store: Store, satisfaction: Satisfaction, clock: Clock
) -> None:
    answered(store)
    store.append_events([ev.NewEvent("c1", ev.ASSISTANT, ev.Resolved(outcome="confirmed", by="assistant"))])
    satisfaction.offer("c1")
    clock.now = clock.now.replace(hour=23)
    assert satisfaction.pending("c1") is not None
    clock.now = clock.now.replace(day=2, hour=1)
    assert satisfaction.pending("c1") is None


def test_comments_are_masked_and_purged_with_the_conversation(
    store: Store, satisfaction: Satisfaction
) -> None:
    assert clean_comment(None) is None
    assert clean_comment("   ") is None
    masked = clean_comment("card 4111 1111 1111 1111, jo@example.com, 07700 900123")
    assert masked is not None
    assert "4111 1111 1111 1111" not in masked
    assert "jo@example.com" not in masked
    assert "07700 900123" not in masked
    assert len(clean_comment("x" * 5000) or "") <= 1000
    answered(store)
    store.append_events([ev.NewEvent("c1", ev.ASSISTANT, ev.Resolved(outcome="confirmed", by="assistant"))])
    request = satisfaction.offer("c1")
    assert request is not None
    satisfaction.rate("c1", request.resolution_id, 4, "lovely")
    window = {"since": "2000-01-01", "until": "2100-01-01"}
    assert [r["comment"] for r in store.csat_ratings(**window)] == ["lovely"]
    store.purge(["c1"])
    assert [(r["score"], r["comment"]) for r in store.csat_ratings(**window)] == [(4, None)]
