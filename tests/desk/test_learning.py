"""What a conversation an agent resolved teaches the knowledge service."""

from __future__ import annotations

import pytest

from desk.learning import resolved_example
from desk.store import Message

_IDS = iter(range(1, 1000))


def _message(role: str, text: str, links=(), payload=None):
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
    assert resolved_example(messages) == expected
