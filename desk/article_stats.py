"""How each article fares with customers: helpful / not helpful answers to "Did that answer your
question?" (the event log's `feedback` events), the helpful rate, and the flags the editors'
list shows: `stale` past its review-by date, `poor_rating` when at least POOR_MIN_VOTES
answers are under POOR_RATE helpful (desk/editing.py holds that rule)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from desk.editing import Helpfulness


class FeedbackCounts(Protocol):
    def feedback_counts(self, since: str | None = None) -> dict[str, tuple[int, int]]: ...


class EventSignals:
    """The editor list's `ArticleSignals` (desk/editing.py), read from the desk's event log."""

    def __init__(self, store: FeedbackCounts) -> None:
        self.store = store

    def helpfulness(self, article_ids: Sequence[str]) -> dict[str, Helpfulness]:
        counts = self.store.feedback_counts()
        return {aid: Helpfulness(*counts[aid]) for aid in article_ids if aid in counts}

    def all(self) -> dict[str, Helpfulness]:
        return {aid: Helpfulness(*pair) for aid, pair in self.store.feedback_counts().items()}


def past_review(review_by: object, today: dt.date) -> bool:
    try:
        return bool(review_by) and dt.date.fromisoformat(str(review_by)[:10]) < today
    except ValueError:
        return False


def article_stats(
    articles: Iterable[Mapping[str, Any]], votes: Mapping[str, Helpfulness], today: dt.date
) -> dict[str, dict[str, Any]]:
    """Per article id: `helpful`, `not_helpful`, `rate` (None without votes), `review_by` and
    `flags`. Articles the knowledge service lists, and any other that received feedback (one
    deleted since, say)."""
    review = {str(a["id"]): a.get("review_by") for a in articles if a.get("id")}
    stats: dict[str, dict[str, Any]] = {}
    for article_id in sorted(review.keys() | votes.keys()):
        counted = votes.get(article_id, Helpfulness())
        flags = []
        if past_review(review.get(article_id), today):
            flags.append("stale")
        if counted.poor:
            flags.append("poor_rating")
        stats[article_id] = {
            "helpful": counted.helpful,
            "not_helpful": counted.not_helpful,
            "rate": round(counted.helpful / counted.votes, 3) if counted.votes else None,
            "review_by": review.get(article_id),
            "flags": flags,
        }
    return stats
