"""What a conversation an agent resolved teaches the knowledge service: the customer's question
and the help-centre article the agent sent for it. The knowledge service keeps the pair as an
`agent_resolved` example, a candidate until an editor approves it (and masks it first)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlparse

from desk.store import Message

SOURCE = "agent_resolved"
MIN_QUESTION_WORDS = 3


def article_sent(message: Message) -> str | None:
    """The article an agent's message links to (its help-centre URL ends in the article id)."""
    for link in message.links:
        path = urlparse(link.get("url", "")).path.rstrip("/")
        if "/help/" in path:
            return path.rsplit("/", 1)[-1] or None
    return None


def resolved_example(messages: Sequence[Message]) -> tuple[str, str] | None:
    """(question, article id): the last article the agent sent, and the customer's most telling
    message before it (the longest typed one; buttons and one-word replies say little)."""
    for i in range(len(messages) - 1, -1, -1):
        article_id = article_sent(messages[i]) if messages[i].role == "agent" else None
        if article_id is None:
            continue
        typed = [
            m.text
            for m in messages[:i]
            if m.role == "customer" and m.payload is None and len(m.text.split()) >= MIN_QUESTION_WORDS
        ]
        if not typed:
            return None
        return max(typed, key=lambda t: len(t.split())), article_id
    return None
