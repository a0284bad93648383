"""Helpfulness per article from the event log's feedback, the rate, and the flags: past the
review-by date (stale) and a poor helpful rate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from desk import events as ev
from desk.article_stats import EventSignals, article_stats
from desk.editing import Helpfulness
from desk.store import Store

TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def store(database_target: str) -> Iterator[Store]:
    s = Store(database_target)
    s.create_conversation("c1", {})
    yield s
    s.close()


def vote(store: Store, article_id: str, helpful: bool, times: int = 1) -> None:
    store.append_events(
        [ev.NewEvent("c1", ev.CUSTOMER, ev.Feedback(article_id=article_id, helpful=helpful))] * times
    )


def test_feedback_is_counted_per_article(store: Store) -> None:
    vote(store, "card-arrival", True, 3)
    vote(store, "card-arrival", False)
    vote(store, "fees", False, 2)
    store.append_events([ev.NewEvent("c1", ev.ASSISTANT, ev.AssistantAnswer(article_id="fees"))])
    signals = EventSignals(store)
    assert signals.all() == {"card-arrival": Helpfulness(3, 1), "fees": Helpfulness(0, 2)}
    assert signals.helpfulness(["fees", "lost-card"]) == {"fees": Helpfulness(0, 2)}
    assert store.feedback_counts(since="2999-01-01") == {}


def test_flags_stale_and_poor_rating() -> None:
    articles = [
        {"id": "card-arrival", "review_by": "2027-01-01"},
        {"id": "fees", "review_by": "2026-11-30"},
        {"id": "lost-card", "review_by": None},
        {"id": "plans"},
    ]
    votes = {
        "card-arrival": Helpfulness(2, 3),  # 40% of 5: poor
        "lost-card": Helpfulness(1, 3),  # 25%, but only 4 votes: not yet
        "plans": Helpfulness(5, 5),  # 50% is not under 50%
        "gone": Helpfulness(0, 1),  # feedback on an article deleted since
    }
    stats = article_stats(articles, votes, TODAY)
    assert stats["card-arrival"] == {
        "helpful": 2,
        "not_helpful": 3,
        "rate": 0.4,
        "review_by": "2027-01-01",
        "flags": ["poor_rating"],
    }
    assert stats["fees"] == {
        "helpful": 0,
        "not_helpful": 0,
        "rate": None,
        "review_by": "2026-11-30",
        "flags": ["stale"],
    }
    assert stats["lost-card"]["flags"] == []
    assert stats["lost-card"]["rate"] == 0.25
    assert stats["plans"]["flags"] == []
    assert stats["gone"]["review_by"] is None
    assert article_stats([{"id": "x", "review_by": "not a date"}], {}, TODAY)["x"]["flags"] == []
