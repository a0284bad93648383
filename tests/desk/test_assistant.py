"""The assistant relay's plain functions: Rasa replies as messages, decisions as events."""

from __future__ import annotations

from desk.assistant import bot_messages


def test_rasa_replies_become_messages_with_buttons_and_article_links():
    answer = {"kind": "answer", "title": "Card arrival", "url": "http://x/help/a"}
    replies = [
        {"recipient_id": "c", "custom": {"kind": "none", "reason": "early"}},
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
    messages, orphans = bot_messages(replies)
    assert messages == [
        {
            "text": "Summary.\n\n1. Open the app",
            "buttons": [],
            "links": [{"title": "Card arrival", "url": "http://x/help/a"}],
            "decisions": [answer],
        },
        {
            "text": "Here's how",
            "buttons": [{"title": "Yes", "payload": "/affirm"}],
            "links": [{"title": "Card arrival", "url": "http://x/help/a"}],
            "decisions": [answer, {"kind": "handoff"}],
        },
        {"text": "", "buttons": [], "links": [{"title": "Image", "url": "http://x/i.png"}], "decisions": []},
    ]
    assert orphans == [{"kind": "none", "reason": "early"}]
