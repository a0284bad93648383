from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any, Dict

import jsonschema
import pytest
from actions import replies
from actions.handoff import ActionHandedBack, ActionHandleAbuse, ActionHandoff
from actions.kb_answer import (
    ActionAnswerQuestion,
    ActionFeedback,
    ActionNotHelpful,
    ActionShowArticle,
    ActionSomethingElse,
    compose_query,
)
from actions.outbox import OutboxWorker

from tests.actions.helpers import ARTICLES, FakeBackends, bot, hit, run, services, user

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs/contracts/handoff.schema.json").read_text())


@pytest.fixture
def backends() -> FakeBackends:
    return FakeBackends()


@pytest.fixture
def svc(backends: FakeBackends, tmp_path: Path):  # type: ignore[no-untyped-def]
    return services(backends, tmp_path)


def valid_handoff(payload: dict) -> dict:
    jsonschema.validate(payload, SCHEMA, format_checker=jsonschema.FormatChecker())
    return payload


def test_an_answer_gives_summary_steps_link_and_asks_for_feedback(backends: FakeBackends, svc) -> None:
    backends.search_result = {"verdict": "answer", "hits": [hit("card-arrival", 0.9)]}
    result = run(ActionAnswerQuestion(svc), [user("where is my card", "ask_question")])
    answer = result.messages[0]
    assert answer["text"].startswith("Cards arrive in 3 to 5 working days")
    assert "1. Open Card." in answer["text"]
    assert "3. After 7 working days, report it." in answer["text"]
    assert "http://help.test/card-arrival" in answer["text"]
    assert result.decisions == [
        {
            "kind": "answer",
            "article_id": "card-arrival",
            "title": ARTICLES["card-arrival"]["title"],
            "url": "http://help.test/card-arrival",
            "verdict": "answer",
            "score": 0.9,
            "confidence": None,
        }
    ]
    assert result.messages[1]["text"] == "Did that answer your question?"
    assert [b["payload"] for b in result.messages[1]["buttons"]] == [
        "/affirm",
        "/not_helpful",
        "/request_human",
    ]
    assert not result.paused


def test_an_offer_article_mentions_the_team(backends: FakeBackends, svc) -> None:
    backends.search_result = {"verdict": "answer", "hits": [hit("card-swallowed", 0.9)]}
    result = run(ActionAnswerQuestion(svc), [user("atm ate my card", "ask_question")])
    assert "member of our team" in result.messages[1]["text"]


def test_a_clarification_offers_each_candidate_and_something_else(backends: FakeBackends, svc) -> None:
    backends.search_result = {
        "verdict": "clarify",
        "hits": [hit("card-arrival", 0.7), hit("card-swallowed", 0.69), hit("lost-or-stolen-card", 0.5)],
    }
    result = run(ActionAnswerQuestion(svc), [user("card problem", "ask_question")])
    buttons = result.messages[0]["buttons"]
    assert buttons[0] == {
        "title": ARTICLES["card-arrival"]["title"],
        "payload": '/choose_article{"article_id": "card-arrival"}',
    }
    assert buttons[-1] == {"title": "Something else", "payload": "/something_else"}
    assert result.decisions == [
        {"kind": "clarify", "article_ids": ["card-arrival", "card-swallowed", "lost-or-stolen-card"]}
    ]


def test_no_confident_answer_says_so_then_two_in_a_row_hand_over(backends: FakeBackends, svc) -> None:
    first = run(ActionAnswerQuestion(svc), [user("blorp the flange", "ask_question")])
    assert first.texts == [replies.NONE_TEXT]
    assert first.decisions == [{"kind": "none"}]
    assert not first.paused
    events = [
        user("blorp the flange", "ask_question"),
        bot(replies.NONE_TEXT, {"kind": "none"}),
        user("flange blorping again", "ask_question"),
    ]
    second = run(ActionAnswerQuestion(svc), events)
    assert second.paused
    assert second.decisions[-1]["kind"] == "handoff"
    assert second.decisions[-1]["reason"] == "repeated_failure"
    payload = valid_handoff(backends.handoffs[0])
    assert payload["reason"] == "repeated_failure"


def test_a_short_follow_up_is_searched_with_the_previous_question(backends: FakeBackends, svc) -> None:
    backends.search_result = {"verdict": "answer", "hits": [hit("top-up-by-transfer", 0.9)]}
    events = [
        user("how do I add money with my card", "ask_question"),
        bot("...", {"kind": "answer", "article_id": "card-arrival"}),
        user("and with apple pay?", "ask_question"),
    ]
    run(ActionAnswerQuestion(svc), events)
    assert backends.searches == ["how do I add money with my card and with apple pay?"]
    assert backends.excluded == [[]]  # the pair points elsewhere: nothing set aside


def test_a_follow_up_about_something_else_gets_the_other_article(backends: FakeBackends, svc) -> None:
    # The pair still ranks the article just shown first; set aside, another is plausible.
    backends.search_result = {
        "verdict": "clarify",
        "hits": [hit("card-arrival", 0.8), hit("top-up-by-transfer", 0.78)],
    }
    backends.results_excluding[("card-arrival",)] = {
        "verdict": "answer",
        "confidence": 0.93,
        "hits": [hit("top-up-by-transfer", 0.78)],
    }
    events = [
        user("what's the fee for adding money by card", "ask_question"),
        bot("...", {"kind": "answer", "article_id": "card-arrival"}),
        user("and by bank transfer?", "ask_question"),
    ]
    result = run(ActionAnswerQuestion(svc), events)
    assert backends.excluded == [[], ["card-arrival"]]
    assert result.decisions[0] == {
        "kind": "answer",
        "article_id": "top-up-by-transfer",
        "title": "Adding money by bank transfer",
        "url": "http://help.test/top-up-by-transfer",
        "verdict": "answer",
        "score": 0.78,
        "confidence": 0.93,
    }


def test_a_follow_up_that_agrees_with_the_pairs_other_article_gets_it(backends: FakeBackends, svc) -> None:
    # Set aside, the pair only half-points at the transfer article; the follow-up alone names it
    # among its best too, so the two agree.
    backends.search_result = {
        "verdict": "none",
        "hits": [hit("card-arrival", 0.6), hit("top-up-by-transfer", 0.58)],
    }
    backends.results_excluding[("card-arrival",)] = {
        "verdict": "clarify",
        "hits": [hit("top-up-by-transfer", 0.7)],
    }
    events = [
        user("what's the fee for adding money by card", "ask_question"),
        bot("...", {"kind": "answer", "article_id": "card-arrival"}),
        user("and by bank transfer?", "ask_question"),
    ]
    result = run(ActionAnswerQuestion(svc), events)
    assert backends.searches[-1] == "and by bank transfer?"
    assert result.decisions[0]["article_id"] == "top-up-by-transfer"
    assert result.decisions[0]["kind"] == "answer"


def test_a_follow_up_that_matches_nothing_else_is_searched_alone(backends: FakeBackends, svc) -> None:
    backends.search_result = {"verdict": "none", "hits": [hit("card-arrival", 0.3)]}
    events = [
        user("how do I add money with my card", "ask_question"),
        bot("...", {"kind": "answer", "article_id": "card-arrival"}),
        user("and the weather?", "ask_question"),
    ]
    run(ActionAnswerQuestion(svc), events)
    assert backends.searches[-1] == "and the weather?"


def test_a_clarification_offers_only_the_competing_articles(backends: FakeBackends, svc) -> None:
    backends.search_result = {
        "verdict": "clarify",
        "confidence": 0.7,
        "candidates": ["card-arrival", "card-swallowed"],
        "hits": [hit("card-arrival", 0.8), hit("card-swallowed", 0.77), hit("top-up-by-transfer", 0.5)],
    }
    result = run(ActionAnswerQuestion(svc), [user("where is my card", "ask_question")])
    assert result.decisions[0] == {"kind": "clarify", "article_ids": ["card-arrival", "card-swallowed"]}


def test_a_confirmed_answer_becomes_a_candidate_example(backends: FakeBackends, tmp_path) -> None:
    svc = services(backends, tmp_path, kb_service_token="svc-token")
    events = [
        user("my card 4111 1111 1111 1111 has not come", "ask_question"),
        bot("...", {"kind": "answer", "article_id": "card-arrival"}),
        user("yes", "affirm"),
    ]
    run(ActionFeedback(svc), events)
    assert backends.examples_sent == [
        {
            "source": "confirmed_answers",
            "examples": [{"text": "my card 4111 1111 1111 1111 has not come", "article_id": "card-arrival"}],
        }
    ]
    assert backends.example_headers[0]["authorization"] == "Bearer svc-token"


def test_no_example_is_sent_without_a_token_or_for_a_bare_follow_up(
    backends: FakeBackends, svc, tmp_path
) -> None:
    answered = [bot("...", {"kind": "answer", "article_id": "card-arrival"}), user("yes", "affirm")]
    run(ActionFeedback(svc), [user("where is my card", "ask_question"), *answered])
    tokened = services(backends, tmp_path, kb_service_token="svc-token")
    run(ActionFeedback(tokened), [user("and by post?", "ask_question"), *answered])
    assert backends.examples_sent == []


def test_compose_query_leaves_ordinary_questions_alone() -> None:
    assert (
        compose_query("what about google pay", "can I top up by card", 6)
        == "can I top up by card what about google pay"
    )
    assert (
        compose_query("how long does delivery take", "where is my card", 6) == "how long does delivery take"
    )
    assert compose_query("and", None, 6) == "and"
    long_one = "and also I wanted to ask how long a transfer to Spain takes"
    assert compose_query(long_one, "previous", 6) == long_one


def test_a_sensitive_article_gives_safety_steps_then_hands_over_with_high_priority(
    backends: FakeBackends, svc
) -> None:
    backends.search_result = {"verdict": "answer", "hits": [hit("lost-or-stolen-card", 0.95)]}
    result = run(ActionAnswerQuestion(svc), [user("my card was stolen", "ask_question")])
    assert "1. Freeze the card: Card > Freeze." in result.texts[0]
    handoff = result.decisions[-1]
    assert handoff["kind"] == "handoff"
    assert handoff["reason"] == "sensitive_topic"
    assert handoff["article_id"] == "lost-or-stolen-card"
    assert result.paused
    payload = valid_handoff(backends.handoffs[0])
    assert payload["priority"] == "high"
    assert payload["articles_shown"] == [
        {
            "article_id": "lost-or-stolen-card",
            "title": "My card is lost or stolen",
            "url": "http://help.test/lost-or-stolen-card",
            "shown_as": "safety_steps",
            "feedback": "none",
        }
    ]


def test_a_sensitive_article_just_behind_the_top_hit_still_counts(backends: FakeBackends, svc) -> None:
    backends.search_result = {
        "verdict": "clarify",
        "hits": [hit("card-arrival", 0.80), hit("lost-or-stolen-card", 0.78)],
    }
    result = run(ActionAnswerQuestion(svc), [user("card gone", "ask_question")])
    assert result.decisions[-1]["reason"] == "sensitive_topic"


def test_a_sensitive_article_far_behind_does_not_count(backends: FakeBackends, svc) -> None:
    backends.search_result = {
        "verdict": "answer",
        "hits": [hit("card-arrival", 0.90), hit("lost-or-stolen-card", 0.60)],
    }
    result = run(ActionAnswerQuestion(svc), [user("card not here yet", "ask_question")])
    assert result.decisions[0]["kind"] == "answer"
    assert not result.paused


def test_a_disowned_payment_hands_over_with_the_closest_sensitive_article(
    backends: FakeBackends, svc
) -> None:
    # The full ranking is sure of a routine article and holds nothing sensitive; the customer
    # says they did not make the payment, so the closest sensitive article is the topic.
    backends.search_result = {"verdict": "answer", "confidence": 0.95, "hits": [hit("card-arrival", 0.9)]}
    backends.sensitive_result = {"verdict": "none", "hits": [hit("lost-or-stolen-card", 0.5)]}
    result = run(
        ActionAnswerQuestion(svc), [user("a card payment I never made went out today", "ask_question")]
    )
    assert (result.decisions[-1]["reason"], result.decisions[-1]["article_id"]) == (
        "sensitive_topic",
        "lost-or-stolen-card",
    )
    assert len(backends.searches) == 2


def test_a_routine_message_never_looks_for_a_sensitive_article(backends: FakeBackends, svc) -> None:
    backends.search_result = {"verdict": "answer", "confidence": 0.95, "hits": [hit("card-arrival", 0.9)]}
    backends.sensitive_result = {"verdict": "none", "hits": [hit("lost-or-stolen-card", 0.5)]}
    result = run(
        ActionAnswerQuestion(svc), [user("I made a card payment today, when does it show?", "ask_question")]
    )
    assert result.decisions[0]["kind"] == "answer"
    assert len(backends.searches) == 1


def test_asking_for_a_person_sends_the_whole_context(backends: FakeBackends, svc) -> None:
    metadata = {"page": "/cards", "locale": "en-GB", "customer_id": "cus_42"}
    events = [
        user("hi", "greet", 0.99, at=1_700_000_000, metadata=metadata),
        bot("Hi, I'm the Kestrel assistant.", at=1_700_000_001),
        user("where is my card", "ask_question", 0.87, at=1_700_000_010, metadata=metadata),
        bot(
            "Cards arrive ...",
            {
                "kind": "answer",
                "article_id": "card-arrival",
                "title": "My new card hasn't arrived",
                "url": "http://help.test/card-arrival",
            },
            at=1_700_000_011,
        ),
        user("no", "deny", 0.95, at=1_700_000_020, metadata=metadata),
        bot(replies.NOT_HELPFUL_TEXT, {"kind": "none", "reason": "not_helpful"}, at=1_700_000_021),
        user("I want to speak to someone", "request_human", 0.97, at=1_700_000_030, metadata=metadata),
    ]
    result = run(
        ActionHandoff(svc), events, slots={"customer_name": "Ada Obi", "customer_email": "ada@example.com"}
    )
    payload = valid_handoff(backends.handoffs[0])
    assert payload["reason"] == "customer_request"
    assert payload["priority"] == "normal"
    assert payload["conversation_id"] == "conv-1"
    assert payload["trigger"] == {"text": "I want to speak to someone", "at": "2023-11-14T22:13:50Z"}
    assert [m["role"] for m in payload["transcript"]] == ["customer", "bot"] * 3 + ["customer"]
    assert payload["turns"][1] == {
        "text": "where is my card",
        "intent": "ask_question",
        "confidence": 0.87,
        "at": "2023-11-14T22:13:30Z",
    }
    assert payload["articles_shown"] == [
        {
            "article_id": "card-arrival",
            "title": "My new card hasn't arrived",
            "url": "http://help.test/card-arrival",
            "shown_as": "answer",
            "feedback": "not_helpful",
        }
    ]
    assert payload["customer"] == {"name": "Ada Obi", "email": "ada@example.com", "customer_id": "cus_42"}
    assert payload["metadata"] == metadata
    assert "Customer asked for a person" in payload["summary"]
    assert "My new card hasn't arrived (not helpful)" in payload["summary"]
    assert backends.handoff_headers[0]["idempotency-key"] == payload["handoff_id"]
    assert backends.handoff_headers[0]["authorization"] == "Bearer token-123"
    assert result.paused
    assert result.decisions == [
        {
            "kind": "handoff",
            "reason": "customer_request",
            "handoff_id": payload["handoff_id"],
            "status": "queued",
            "priority": "normal",
            "queue_position": 2,
            "estimated_wait_seconds": 120,
        }
    ]
    assert "number 2 in the queue" in result.texts[0]
    assert "about 2 minutes" in result.texts[0]


def test_a_complaint_goes_to_a_person_with_high_priority(backends: FakeBackends, svc) -> None:
    result = run(ActionHandoff(svc), [user("I want to complain", "complain")])
    assert result.decisions[0]["reason"] == "complaint"
    assert valid_handoff(backends.handoffs[0])["priority"] == "high"


def test_a_request_for_a_person_about_a_sensitive_topic_gets_the_safety_steps_first(
    backends: FakeBackends, svc
) -> None:
    backends.search_result = {"verdict": "clarify", "hits": [hit("lost-or-stolen-card", 0.7)]}
    result = run(ActionHandoff(svc), [user("my card was stolen, I need to talk to someone", "request_human")])
    assert backends.searches == ["my card was stolen, I need to talk to someone"]
    assert "1. Freeze the card: Card > Freeze." in result.texts[0]
    assert result.decisions[-1]["reason"] == "sensitive_topic"
    assert result.paused


@pytest.mark.parametrize(
    ("text", "search_result", "kb_down"),
    [
        (
            "human please",
            {"verdict": "answer", "hits": [hit("lost-or-stolen-card", 0.9)]},
            False,
        ),  # too short
        (
            "my card has not come yet, can I talk to someone",
            {"verdict": "answer", "hits": [hit("card-arrival", 0.9)]},
            False,
        ),
        (
            "my card is gone and I want to talk to someone",
            {"verdict": "none", "hits": [hit("lost-or-stolen-card", 0.3)]},
            False,
        ),
        ("my card was stolen, I need to talk to someone", {"verdict": "answer", "hits": []}, True),
    ],
)
def test_a_request_for_a_person_hands_over_at_once_otherwise(
    backends: FakeBackends, svc, text: str, search_result: dict, kb_down: bool
) -> None:
    backends.search_result, backends.kb_down = search_result, kb_down
    result = run(ActionHandoff(svc), [user(text, "request_human")])
    assert [d["kind"] for d in result.decisions] == ["handoff"]
    assert result.decisions[0]["reason"] == "customer_request"
    assert result.paused


def test_when_the_desk_is_down_the_customer_is_told_and_nothing_is_lost(backends: FakeBackends, svc) -> None:
    backends.desk_down = True
    result = run(ActionHandoff(svc), [user("human please", "request_human")])
    assert result.texts == [replies.DESK_DOWN_TEXT]
    assert result.decisions[0]["status"] == "pending"
    assert result.paused
    assert svc.outbox.count() == 1
    handoff_id = result.decisions[0]["handoff_id"]

    backends.desk_down = False
    assert asyncio.run(svc.outbox.flush(svc.desk.create_handoff)) == 0  # backing off
    delivered = asyncio.run(svc.outbox.flush(svc.desk.create_handoff, now=time.time() + 3))
    assert delivered == 1
    assert svc.outbox.count() == 0
    assert [h["handoff_id"] for h in backends.handoffs] == [handoff_id]  # the same id: idempotent on the desk


@pytest.mark.parametrize("status", [401, 413, 422])
def test_a_refused_handoff_is_the_truth_to_the_customer_and_an_alert_to_the_operator(
    backends: FakeBackends, svc, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    backends.desk_status = status
    result = run(ActionHandoff(svc), [user("human please", "request_human")])
    assert result.texts == [replies.REFUSED_TEXT]
    assert result.decisions[0]["status"] == "refused"
    assert any(r.levelname == "ERROR" and "REFUSED" in r.getMessage() for r in caplog.records)
    assert svc.outbox.count("pending") == 0
    assert svc.outbox.count("rejected") == 1
    backends.desk_status = 201
    later = time.time() + 3600
    assert asyncio.run(svc.outbox.flush(svc.desk.create_handoff, now=later)) == 0  # not retried blindly


def test_a_handoff_is_in_the_outbox_before_it_is_sent(backends: FakeBackends, svc) -> None:
    """Cancelled while the desk is answering (a restart): the handoff is still on disk."""
    from actions.handoff import deliver_handoff

    sent = asyncio.Event()  # bound to the loop that first waits on it

    async def never_answers(payload: Dict[str, Any]) -> Dict[str, Any]:
        sent.set()
        await asyncio.sleep(3600)
        return {}

    svc.desk.create_handoff = never_answers  # type: ignore[method-assign]
    payload = {"handoff_id": "ho_cancelled_0001", "conversation_id": "c1"}

    async def cancelled_mid_send() -> None:
        sending = asyncio.create_task(deliver_handoff(svc, payload))
        await asyncio.wait_for(sent.wait(), 10)  # the request is on its way
        sending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sending

    asyncio.run(cancelled_mid_send())
    assert svc.outbox.count("pending") == 1
    svc.desk = services(backends, Path(svc.outbox.target).parent).desk
    assert asyncio.run(svc.outbox.flush(svc.desk.create_handoff, now=time.time() + 60)) == 1
    assert [h["handoff_id"] for h in backends.handoffs] == ["ho_cancelled_0001"]


def test_the_server_start_drains_what_a_previous_run_left(
    backends: FakeBackends, svc, monkeypatch: pytest.MonkeyPatch
) -> None:
    import actions.__main__ as server

    svc.outbox.add({"handoff_id": "ho_left_over_01", "conversation_id": "c9"}, "desk down")
    svc.worker = OutboxWorker(svc.outbox, svc.desk.create_handoff, 0.05)
    monkeypatch.setattr(server, "default_services", lambda: svc)

    async def start_and_wait() -> None:
        await server.start_outbox(None, asyncio.get_running_loop())
        for _ in range(100):
            if svc.outbox.count() == 0:
                break
            await asyncio.sleep(0.02)

    asyncio.run(start_and_wait())
    assert [h["handoff_id"] for h in backends.handoffs] == ["ho_left_over_01"]


def test_abuse_gets_one_warning_then_a_person(backends: FakeBackends, svc) -> None:
    first = run(ActionHandleAbuse(svc), [user("you stupid bot", "abuse")])
    assert first.texts == [replies.ABUSE_WARNING_TEXT]
    assert not first.paused
    events = [
        user("you stupid bot", "abuse"),
        bot(replies.ABUSE_WARNING_TEXT),
        user("shut up idiot", "abuse"),
    ]
    second = run(ActionHandleAbuse(svc), events)
    assert second.paused
    assert second.decisions[0]["reason"] == "abuse"
    assert valid_handoff(backends.handoffs[0])["priority"] == "low"


def test_that_did_not_help_once_offers_more_twice_hands_over(backends: FakeBackends, svc) -> None:
    answer = bot("...", {"kind": "answer", "article_id": "card-arrival"})
    once = run(
        ActionNotHelpful(svc),
        [user("card?", "ask_question"), answer, user("that didn't help", "not_helpful")],
    )
    assert once.texts == [replies.NOT_HELPFUL_TEXT]
    assert not once.paused
    events = [
        user("card?", "ask_question"),
        answer,
        user("that didn't help", "not_helpful"),
        bot(replies.NOT_HELPFUL_TEXT, {"kind": "none", "reason": "not_helpful"}),
        user("still no good", "not_helpful"),
    ]
    twice = run(ActionNotHelpful(svc), events)
    assert twice.paused
    assert twice.decisions[-1]["reason"] == "repeated_failure"


def test_declining_the_suggestions_after_a_failure_hands_over(backends: FakeBackends, svc) -> None:
    events = [
        user("blorp", "ask_question"),
        bot(replies.NONE_TEXT, {"kind": "none"}),
        user("card thing", "ask_question"),
        bot("Did you mean", {"kind": "clarify", "article_ids": ["card-arrival"]}),
        user("something else", "something_else"),
    ]
    result = run(ActionSomethingElse(svc), events)
    assert result.decisions[-1]["reason"] == "declined_alternatives"
    declined_once = run(ActionSomethingElse(svc), events[2:])
    assert declined_once.texts == [replies.SOMETHING_ELSE_TEXT]


def test_yes_after_an_answer_clears_the_failure_streak(backends: FakeBackends, svc) -> None:
    events = [
        user("blorp", "ask_question"),
        bot(replies.NONE_TEXT, {"kind": "none"}),
        user("where's my card", "ask_question"),
        bot("...", {"kind": "answer", "article_id": "card-arrival"}),
        user("yes", "affirm"),
        bot("Great"),
        user("blorp again", "ask_question"),
    ]
    result = run(ActionAnswerQuestion(svc), events)  # a second `none`, but not in a row
    assert not result.paused
    feedback = run(ActionFeedback(svc), events[:5])
    assert "glad that helped" in feedback.texts[0]
    assert feedback.decisions == [{"kind": "confirmed"}]  # the desk's cue: resolved, ask for a rating


def test_no_to_an_answer_counts_as_not_helpful(backends: FakeBackends, svc) -> None:
    events = [
        user("where's my card", "ask_question"),
        bot("...", {"kind": "answer", "article_id": "card-arrival"}),
        user("no", "deny"),
    ]
    result = run(ActionFeedback(svc), events)
    assert result.texts == [replies.NOT_HELPFUL_TEXT]


def test_an_off_topic_message_is_answered_honestly_and_is_not_a_failure(backends: FakeBackends, svc) -> None:
    first = run(ActionAnswerQuestion(svc), [user("best pizza topping?", "out_of_scope")])
    assert first.texts == [replies.OUT_OF_SCOPE_TEXT]
    events = [
        user("best pizza topping?", "out_of_scope"),
        bot(replies.OUT_OF_SCOPE_TEXT, {"kind": "none", "reason": "out_of_scope"}),
        user("what's the weather", "out_of_scope"),
    ]
    assert not run(ActionAnswerQuestion(svc), events).paused


def test_the_knowledge_service_down_is_an_honest_none(backends: FakeBackends, svc) -> None:
    backends.kb_down = True
    result = run(ActionAnswerQuestion(svc), [user("where is my card", "ask_question")])
    assert result.decisions == [{"kind": "none", "error": "kb_unavailable"}]


def test_choosing_a_suggested_article_presents_it(backends: FakeBackends, svc) -> None:
    entity = [{"entity": "article_id", "value": "card-arrival"}]
    result = run(
        ActionShowArticle(svc),
        [user('/choose_article{"article_id": "card-arrival"}', "choose_article", entities=entity)],
    )
    assert result.decisions[0]["article_id"] == "card-arrival"
    missing = run(
        ActionShowArticle(svc),
        [user("/choose_article", "choose_article", entities=[{"entity": "article_id", "value": "nope"}])],
    )
    assert missing.decisions == [{"kind": "none", "error": "article_not_found"}]
    assert result.decisions[0]["verdict"] == "chosen"  # picked by the customer, not the search


@pytest.mark.parametrize("article_id", ["../../admin", "Card-Arrival", "a b", "x" * 101, ""])
def test_only_article_slugs_are_looked_up(backends: FakeBackends, svc, article_id: str) -> None:
    entity = [{"entity": "article_id", "value": article_id}]
    result = run(ActionShowArticle(svc), [user("/choose_article", "choose_article", entities=entity)])
    assert result.texts == [replies.SOMETHING_ELSE_TEXT]
    assert backends.article_requests == []


def test_handed_back_says_so() -> None:
    result = run(ActionHandedBack(), [user("/handed_back", "handed_back")])
    assert result.texts == [replies.HANDED_BACK_TEXT]
