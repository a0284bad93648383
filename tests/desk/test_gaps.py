"""Collecting what customers could not find from a store holding hand-made conversations: which
customer message each failure is pinned to, its kinds, masking, and what is left out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from desk import events as ev
from desk.gaps import GapKind, GapQuestion, collect_gaps
from desk.store import Store, iso

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Conversations:
    """Writes conversations as the desk does: each message with the events it records."""

    def __init__(self, store: Store, moment: list[datetime]) -> None:
        self.store = store
        self.moment = moment
        self.count = 0

    def new(self) -> str:
        self.count += 1
        cid = f"c{self.count}"
        self.store.create_conversation(cid, {})
        return cid

    def tick(self) -> None:
        self.moment[0] += timedelta(seconds=5)

    def customer(self, cid: str, text: str, *, button: bool = False) -> int:
        self.tick()

        def record(message):  # type: ignore[no-untyped-def]
            said = ev.CustomerMessage(message_id=message.id, chars=len(text), button=button)
            return [ev.NewEvent(cid, ev.CUSTOMER, said)]

        message, _ = self.store.add_message(cid, "customer", text, record=record)
        return message.id

    def bot(self, cid: str, *decisions: ev._Payload) -> None:
        self.tick()
        events = [ev.NewEvent(cid, ev.ASSISTANT, d) for d in decisions]
        self.store.add_message(cid, "bot", "…", record=lambda _m: events)

    def event(self, cid: str, payload: ev._Payload, actor: str = ev.CUSTOMER) -> None:
        self.tick()
        self.store.append_events([ev.NewEvent(cid, actor, payload)])


def answer(article_id: str = "card-arrival") -> ev.AssistantAnswer:
    return ev.AssistantAnswer(article_id=article_id, score=0.7, confidence=0.9)


def handoff(reason: str) -> ev.HandoffRequested:
    return ev.HandoffRequested(handoff_id=f"ho-{reason}", reason=reason, priority="normal")


@pytest.fixture
def moment() -> list[datetime]:
    return [START]


@pytest.fixture
def store(database_target: str, moment: list[datetime]) -> Iterator[Store]:
    s = Store(database_target, clock=lambda: moment[0])
    yield s
    s.close()


@pytest.fixture
def talk(store: Store, moment: list[datetime]) -> Conversations:
    return Conversations(store, moment)


def gaps(store: Store, **kwargs: object) -> dict[str, frozenset[GapKind]]:
    found: list[GapQuestion] = collect_gaps(store, since=iso(START), **kwargs)  # type: ignore[arg-type]
    return {q.text: q.kinds for q in found}


def test_nothing_found_pins_the_question_typed_before_it(store: Store, talk: Conversations) -> None:
    cid = talk.new()
    talk.customer(cid, "hello")
    talk.customer(cid, "can I keep gold bars in a deposit box")
    talk.bot(cid, ev.AssistantNone())
    out_of_scope = talk.new()
    talk.customer(out_of_scope, "do you sell pet insurance")
    talk.bot(out_of_scope, ev.AssistantNone(reason="out_of_scope"))
    assert gaps(store) == {
        "can I keep gold bars in a deposit box": {GapKind.NONE},
        "do you sell pet insurance": {GapKind.NONE},
    }


def test_not_helpful_points_at_the_question_the_answer_was_for(store: Store, talk: Conversations) -> None:
    pressed = talk.new()
    talk.customer(pressed, "my card never came")
    talk.bot(pressed, answer())
    talk.customer(pressed, "No", button=True)
    talk.event(pressed, ev.Feedback(article_id="card-arrival", helpful=False))
    talk.bot(pressed, ev.AssistantNone(reason="not_helpful"))
    typed = talk.new()
    talk.customer(typed, "what's the fee for paying in cheques")
    talk.bot(typed, answer("fees"))
    talk.customer(typed, "that didn't help at all")  # typed, so not the question
    talk.bot(typed, ev.AssistantNone(reason="not_helpful"))
    liked = talk.new()
    talk.customer(liked, "how do I freeze my card")
    talk.bot(liked, answer("lost-card"))
    talk.event(liked, ev.Feedback(article_id="lost-card", helpful=True))
    assert gaps(store) == {
        "my card never came": {GapKind.NOT_HELPFUL},
        "what's the fee for paying in cheques": {GapKind.NOT_HELPFUL},
    }


def test_a_declined_clarification_points_at_the_question_it_clarified(
    store: Store, talk: Conversations
) -> None:
    cid = talk.new()
    talk.customer(cid, "money thing with my account abroad")
    talk.bot(cid, ev.AssistantClarify(article_ids=["fees", "exchange-rate"]))
    talk.customer(cid, "Something else", button=True)
    talk.bot(cid, ev.AssistantNone(reason="declined_alternatives"))
    assert gaps(store) == {"money thing with my account abroad": {GapKind.DECLINED}}


def test_handoffs_count_unless_the_customer_chose_them(store: Store, talk: Conversations) -> None:
    # Repeated failure: the handoff is logged before the `none` of its turn (the action server
    # asks the desk first), and both belong to the question of that turn.
    failing = talk.new()
    talk.customer(failing, "can I get a mortgage")
    talk.bot(failing, ev.AssistantNone())
    talk.customer(failing, "a loan for a house then")
    talk.event(failing, handoff("repeated_failure"), ev.ASSISTANT)
    talk.bot(failing, ev.AssistantNone())
    # Repeated failure after a typed "that didn't help": the question answered before it.
    typed = talk.new()
    talk.customer(typed, "overdraft limits please")
    talk.bot(typed, answer("fees"))
    talk.customer(typed, "nope, useless")
    talk.event(typed, handoff("repeated_failure"), ev.ASSISTANT)
    # Declined alternatives ending in a handoff.
    declined = talk.new()
    talk.customer(declined, "savings pot interest")
    talk.bot(declined, ev.AssistantClarify(article_ids=["fees"]))
    talk.customer(declined, "Something else", button=True)
    talk.event(declined, handoff("declined_alternatives"), ev.ASSISTANT)
    # A complaint and the assistant unreachable: the message that led to them.
    complaint = talk.new()
    talk.customer(complaint, "this is the third time my standing order vanished")
    talk.event(complaint, handoff("complaint"), ev.ASSISTANT)
    down = talk.new()
    talk.customer(down, "when does the branch open")
    talk.event(down, handoff("assistant_unavailable"), ev.SYSTEM)
    # Not gaps: the customer's choice, a sensitive topic, abuse.
    for reason, text in (
        ("customer_request", "I want a person"),
        ("sensitive_topic", "my card was stolen"),
        ("abuse", "you are useless"),
    ):
        cid = talk.new()
        talk.customer(cid, text)
        talk.event(cid, handoff(reason), ev.ASSISTANT)
    assert gaps(store) == {
        "can I get a mortgage": {GapKind.NONE},
        "a loan for a house then": {GapKind.NONE, GapKind.HANDED_OVER},
        "overdraft limits please": {GapKind.HANDED_OVER},
        "savings pot interest": {GapKind.DECLINED, GapKind.HANDED_OVER},
        "this is the third time my standing order vanished": {GapKind.HANDED_OVER},
        "when does the branch open": {GapKind.HANDED_OVER},
    }


def test_outages_are_not_gaps(store: Store, talk: Conversations) -> None:
    cid = talk.new()
    talk.customer(cid, "where is my card")
    talk.bot(cid, ev.AssistantNone(reason="kb_unavailable"))
    talk.customer(cid, "hello?", button=False)
    talk.bot(cid, answer())
    talk.event(cid, ev.Feedback(article_id="card-arrival", helpful=False))
    assert gaps(store) == {"hello?": {GapKind.NOT_HELPFUL}}


def test_texts_are_masked_and_the_newest_come_first(store: Store, talk: Conversations) -> None:
    cid = talk.new()
    talk.customer(cid, "write to jo.bloggs@example.com or call 07700 900123 about gold")
    talk.bot(cid, ev.AssistantNone())
    talk.customer(cid, "and a safe box?")
    talk.bot(cid, ev.AssistantNone())
    found = collect_gaps(store, since=iso(START))
    assert [q.text for q in found] == [
        "and a safe box?",
        "write to j•••@example.com or call [phone] about gold",
    ]
    assert found[0].conversation_id == cid
    assert found[0].at > found[1].at


def test_the_period_and_the_kinds_filter(store: Store, talk: Conversations, moment: list[datetime]) -> None:
    old = talk.new()
    talk.customer(old, "asked long ago")
    talk.bot(old, ev.AssistantNone())
    moment[0] += timedelta(days=30)
    later = iso(moment[0])
    recent = talk.new()
    talk.customer(recent, "asked lately")
    talk.bot(recent, ev.AssistantNone())
    talk.customer(recent, "and this")
    talk.bot(recent, answer())
    talk.event(recent, ev.Feedback(article_id="card-arrival", helpful=False))
    assert {q.text for q in collect_gaps(store, since=later)} == {"asked lately", "and this"}
    only = collect_gaps(store, since=iso(START), kinds=[GapKind.NOT_HELPFUL])
    assert [q.text for q in only] == ["and this"]
