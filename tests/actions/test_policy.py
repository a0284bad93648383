from __future__ import annotations

import pytest
from actions.config import ActionsSettings
from actions.conversation import conversation_state
from actions.escalation import EscalationPolicy, Reason, Signal, decide, sensitive_hit
from actions.replies import handoff_text, key_steps
from pydantic import ValidationError

from tests.actions.helpers import bot, user

POLICY = EscalationPolicy(failures_before_handoff=2, abuse_warnings_before_handoff=1, sensitive_margin=0.05)


@pytest.mark.parametrize(
    ("signal", "failures", "abuse", "action", "reason"),
    [
        (Signal.ASKED_FOR_PERSON, 0, 0, "handoff", Reason.CUSTOMER_REQUEST),
        (Signal.SENSITIVE_ARTICLE, 0, 0, "handoff", Reason.SENSITIVE_TOPIC),
        (Signal.COMPLAINT, 0, 0, "handoff", Reason.COMPLAINT),
        (Signal.ABUSE, 0, 1, "warn", Reason.ABUSE),
        (Signal.ABUSE, 0, 2, "handoff", Reason.ABUSE),
        (Signal.NO_CONFIDENT_ANSWER, 1, 0, "continue", None),
        (Signal.NO_CONFIDENT_ANSWER, 2, 0, "handoff", Reason.REPEATED_FAILURE),
        (Signal.NOT_HELPFUL, 2, 0, "handoff", Reason.REPEATED_FAILURE),
        (Signal.DECLINED_ALTERNATIVES, 1, 0, "continue", None),
        (Signal.DECLINED_ALTERNATIVES, 2, 0, "handoff", Reason.DECLINED_ALTERNATIVES),
    ],
)
def test_decisions(signal: Signal, failures: int, abuse: int, action: str, reason: Reason | None) -> None:
    decision = decide(signal, failures=failures, abuse=abuse, policy=POLICY)
    assert (decision.action, decision.reason) == (action, reason)


def test_thresholds_are_settings() -> None:
    patient = EscalationPolicy(failures_before_handoff=3, abuse_warnings_before_handoff=2)
    assert not decide(Signal.NOT_HELPFUL, failures=2, abuse=0, policy=patient).handoff
    assert decide(Signal.ABUSE, failures=0, abuse=2, policy=patient).action == "warn"
    settings = ActionsSettings(failures_before_handoff=3)
    assert settings.failures_before_handoff == 3


def test_priorities() -> None:
    assert decide(Signal.SENSITIVE_ARTICLE, failures=0, abuse=0, policy=POLICY).priority == "high"
    assert decide(Signal.ASKED_FOR_PERSON, failures=0, abuse=0, policy=POLICY).priority == "normal"
    assert decide(Signal.ABUSE, failures=0, abuse=5, policy=POLICY).priority == "low"


def hit(article_id: str, score: float, escalation: str = "none", likelihood: float | None = None) -> dict:
    return {"article_id": article_id, "score": score, "escalation": escalation, "likelihood": likelihood}


@pytest.mark.parametrize(
    ("verdict", "confidence", "hits", "expected"),
    [
        ("answer", 0.95, [hit("a", 0.9, "always")], "a"),
        ("clarify", 0.6, [hit("a", 0.9), hit("b", 0.86, "always")], "b"),  # close enough to count
        ("answer", 0.95, [hit("a", 0.9), hit("b", 0.8, "always")], None),  # too far behind
        # Close behind a first hit the search is sure of: a neighbour, not the topic.
        ("answer", 0.85, [hit("a", 0.9), hit("b", 0.86, "always")], None),
        ("answer", 0.75, [hit("a", 0.9), hit("b", 0.86, "always")], "b"),
        ("answer", 0.95, [hit("a", 0.9, "always"), hit("b", 0.88)], "a"),  # sure of a sensitive one
        # Matched nothing confidently: never a sensitive case, however the hits are ordered.
        ("none", 0.05, [hit("a", 0.9, "always")], None),
        # A "none" that is still a plausible first hit (over the sensitive floor) counts.
        ("none", 0.35, [hit("a", 0.9, "always")], "a"),
        ("answer", 0.95, [], None),
        # With the knowledge service's likelihoods, a runner-up counts by how likely it is the
        # right article, however close its score (the margin rule is only the fallback).
        ("answer", 0.9, [hit("a", 0.9, likelihood=0.9), hit("b", 0.89, "always", 0.03)], None),
        ("clarify", 0.7, [hit("a", 0.9, likelihood=0.7), hit("b", 0.7, "always", 0.2)], "b"),
        # The first sensitive runner-up likely enough, not merely the first sensitive one.
        (
            "clarify",
            0.7,
            [hit("a", 0.9, likelihood=0.7), hit("b", 0.8, "always", 0.01), hit("c", 0.7, "always", 0.1)],
            "c",
        ),
        ("none", 0.05, [hit("a", 0.5, likelihood=0.05), hit("b", 0.5, "always", 0.5)], None),
        # Below a likely runner-up there is nothing else: a later hit has no likelihood.
        ("answer", 0.9, [hit("a", 0.9, likelihood=0.9), hit("b", 0.89, "always")], None),
    ],
)
def test_sensitive_hit(verdict: str, confidence: float, hits: list, expected: str) -> None:
    found = sensitive_hit({"verdict": verdict, "confidence": confidence, "hits": hits}, POLICY)
    assert (found["article_id"] if found else None) == expected


def test_state_counts_failures_in_a_row_and_resets_on_hand_back() -> None:
    none = bot("sorry", {"kind": "none"})
    events = [user("a", "ask_question"), none, user("b", "ask_question"), none]
    assert conversation_state(events).failures == 2
    assert conversation_state([*events, {"event": "resume"}]).failures == 0
    assert (
        conversation_state([*events, {"event": "session_started"}, user("c", "ask_question")]).last_question
        == "c"
    )
    off_topic = bot("only banking", {"kind": "none", "reason": "out_of_scope"})
    assert conversation_state([user("pizza", "out_of_scope"), off_topic]).failures == 0
    assert conversation_state([user("x", "abuse"), user("y", "abuse")]).abuse == 2


def test_thanks_right_after_an_answer_counts_as_helpful() -> None:
    from actions.conversation import articles_shown

    answer = bot("...", {"kind": "answer", "article_id": "card-arrival"})
    events = [
        user("a", "ask_question"),
        bot("sorry", {"kind": "none"}),
        user("b", "ask_question"),
        answer,
        user("thanks!", "thank"),
    ]
    assert conversation_state(events).failures == 0
    assert articles_shown(events)[0].feedback == "helpful"


def test_key_steps_reads_the_first_numbered_list() -> None:
    body = (
        "Intro.\n\n1. First **step**.\n2. Second step\n   continued here.\n3. Third.\n\n"
        "After.\n\n1. Other list."
    )
    assert key_steps(body, 5) == ["First step.", "Second step continued here.", "Third."]
    assert key_steps(body, 2) == ["First step.", "Second step continued here."]
    assert key_steps("No list here.", 3) == []


def test_handoff_text_tells_the_wait_or_the_ticket() -> None:
    assert "number 3 in the queue" in handoff_text(
        {"status": "queued", "queue_position": 3}, "customer_request"
    )
    assert "email" in handoff_text({"status": "ticket"}, "customer_request")
    assert "can't reach them" in handoff_text(None, "customer_request")


def test_production_refuses_the_placeholder_desk_token() -> None:
    with pytest.raises(ValidationError, match="ACTIONS_DESK_SERVICE_TOKEN"):
        ActionsSettings(environment="production")
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        ActionsSettings(environment="production", desk_service_token="s3cret")
    with pytest.raises(ValidationError, match="ACTIONS_KB_SERVICE_TOKEN"):
        ActionsSettings(environment="production", desk_service_token="s" * 32, kb_service_token="short")
    real = ActionsSettings(environment="production", desk_service_token="s" * 32)
    assert real.environment == "production"
