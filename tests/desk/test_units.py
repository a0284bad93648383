"""Plain functions of the desk: business hours, secrets, settings, turning Rasa replies into
messages, agent specs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from desk.config import Settings
from desk.hours import BusinessHours, parse_hours
from desk.security import ConversationSigner, hash_password, verify_password
from desk.service import bot_messages
from desk.staff import parse_agent_spec

# 2026-11-23 is a Monday.
MONDAY_NINE_LONDON = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_business_hours_follow_days_and_times_in_the_desks_timezone():
    hours = BusinessHours("mon-fri 08:00-20:00, sat 09:00-13:00", "Europe/London")
    assert hours.is_open(MONDAY_NINE_LONDON)
    assert not hours.is_open(datetime(2026, 11, 23, 20, 0, tzinfo=UTC))  # closes at 20:00
    assert hours.is_open(datetime(2026, 11, 28, 12, 59, tzinfo=UTC))  # Saturday morning
    assert not hours.is_open(datetime(2026, 11, 29, 10, 0, tzinfo=UTC))  # Sunday
    opening = hours.next_opening(datetime(2026, 11, 28, 14, 0, tzinfo=UTC))  # Saturday afternoon
    assert opening is not None
    assert (opening.strftime("%A %H:%M")) == "Monday 08:00"


def test_business_hours_respect_summer_time():
    hours = BusinessHours("mon-fri 09:00-17:00", "Europe/London")
    assert hours.is_open(datetime(2026, 7, 1, 8, 30, tzinfo=UTC))  # 09:30 BST
    assert not hours.is_open(datetime(2026, 12, 1, 8, 30, tzinfo=UTC))  # 08:30 GMT


def test_round_the_clock_and_wrapping_day_ranges():
    assert BusinessHours("mon-sun 00:00-24:00", "UTC").is_open(datetime(2026, 11, 29, 23, 59, tzinfo=UTC))
    assert [w.day for w in parse_hours("sat-mon 10:00-11:00")] == [5, 6, 0]


@pytest.mark.parametrize("spec", ["", "weekdays 9-5", "mon 18:00-09:00", "funday 09:00-10:00"])
def test_bad_business_hours_are_refused_with_the_reason(spec):
    with pytest.raises(ValueError, match=r"business hours|day"):
        parse_hours(spec)


def test_passwords_hash_with_salt_and_verify():
    first, second = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert first != second
    assert verify_password("s3cret-pass", first)
    assert not verify_password("wrong", first)
    assert not verify_password("s3cret-pass", "plain-text-in-the-db")


def test_conversation_tokens_cannot_be_forged_or_moved():
    signer = ConversationSigner("key-one")
    token = signer.sign("c_abc")
    assert signer.verify(token) == "c_abc"
    assert signer.verify(token.replace("c_abc", "c_abd")) is None
    assert ConversationSigner("key-two").verify(token) is None
    assert signer.verify("no-dot-at-all") is None


def test_rasa_replies_become_messages_with_buttons_and_article_links():
    replies = [
        {"recipient_id": "c", "text": "Summary."},
        {"recipient_id": "c", "text": "1. Open the app"},
        {
            "recipient_id": "c",
            "custom": {"kind": "answer", "title": "Card arrival", "url": "http://x/help/a"},
        },
        {"recipient_id": "c", "text": "Here's how", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
        {
            "recipient_id": "c",
            "custom": {"kind": "answer", "title": "Card arrival", "url": "http://x/help/a"},
        },
        {"recipient_id": "c", "custom": {"kind": "handoff"}},
        {"recipient_id": "c", "image": "http://x/i.png"},
    ]
    assert bot_messages(replies) == [
        {
            "text": "Summary.\n\n1. Open the app",
            "buttons": [],
            "links": [{"title": "Card arrival", "url": "http://x/help/a"}],
        },
        {
            "text": "Here's how",
            "buttons": [{"title": "Yes", "payload": "/affirm"}],
            "links": [{"title": "Card arrival", "url": "http://x/help/a"}],
        },
        {"text": "", "buttons": [], "links": [{"title": "Image", "url": "http://x/i.png"}]},
    ]


def test_agent_specs_need_email_name_and_password():
    assert parse_agent_spec("a@b.example:Ann Lee:pa:ss:word") == ("a@b.example", "Ann Lee", "pa:ss:word")
    with pytest.raises(ValueError, match="email:Full Name:password"):
        parse_agent_spec("no-email:Name:pw")


def test_production_refuses_placeholder_secrets_and_the_demo_agent():
    with pytest.raises(ValidationError, match="DESK_SERVICE_TOKEN"):
        Settings(environment="production")
    with pytest.raises(ValidationError, match="demo agent"):
        Settings(environment="production", service_token="s" * 20, secret_key="k" * 20)
    ok = Settings(
        environment="production", service_token="s" * 20, secret_key="k" * 20, agents="a@b.c:A:pw123456"
    )
    assert ok.agents == ["a@b.c:A:pw123456"]


def test_settings_refuse_bad_hours_and_timezones_at_start():
    with pytest.raises(ValidationError, match="mon-fri"):
        Settings(business_hours="weekdays")
    with pytest.raises(ValidationError, match="timezone"):
        Settings(timezone="Mars/Olympus")


@pytest.mark.parametrize(
    ("held", "awaiting", "due"),
    [
        (0, False, False),
        (2, False, False),
        (3, False, True),  # the limit, and the assistant waits for nothing: start a new session
        (3, True, False),  # it waits for "yes"/"no" or a choice: not now
        (5, True, False),
        (6, True, True),  # twice the limit: start one anyway
    ],
)
def test_a_long_bot_session_starts_afresh_at_a_quiet_moment(held: int, awaiting: bool, due: bool):
    from desk.bot_sessions import BotSessions

    sessions = BotSessions(turns=3)
    for _ in range(held):
        sessions.counted("c1")
    assert sessions.due("c1", awaiting_answer=awaiting) is due
    sessions.started("c1")
    assert not sessions.due("c1", awaiting_answer=False)
    assert not sessions.due("other", awaiting_answer=False)


_IDS = iter(range(1, 1000))


def _message(role: str, text: str, links=(), payload=None):
    from desk.store import Message

    return Message(next(_IDS), "c1", role, None, text, "2026-12-01T10:00:00Z", [], list(links), payload)


LINK = {"title": "Lost card", "url": "http://localhost:8000/help/lost-card"}


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        # The longest typed message before the article the agent sent.
        (
            [
                _message("customer", "hi"),
                _message("customer", "my card got stuck in the atm"),
                _message("customer", "can you help"),
                _message("agent", "Here you go", [LINK]),
            ],
            ("my card got stuck in the atm", "lost-card"),
        ),
        # Buttons and one-word replies teach nothing; no article sent, nothing to learn.
        (
            [
                _message("customer", "Talk to a person", payload="/request_human"),
                _message("agent", "x", [LINK]),
            ],
            None,
        ),
        ([_message("customer", "my card got stuck in the atm"), _message("agent", "Hello")], None),
        # Messages after the article do not count.
        ([_message("agent", "x", [LINK]), _message("customer", "thanks a lot for that")], None),
    ],
)
def test_a_resolved_conversation_teaches_its_question_and_article(messages, expected):
    from desk.learning import resolved_example

    assert resolved_example(messages) == expected
