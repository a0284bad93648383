"""The whole of GET /api/kpis from conversation facts: the range in the desk's timezone, the
filters, the KPIs (desk/kpis/measures.py), the topic, article and agent tables and the series by
day or week. Each conversation counts in the day it started, with everything measured on it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from desk.kpis.facts import ConversationFacts
from desk.kpis.measures import (
    KpiPolicy,
    containment,
    csat,
    escalation,
    fcr_verdicts,
    figures,
    rate,
    times,
)
from desk.store.database import iso

Group = Literal["day", "week"]


@dataclass(frozen=True, slots=True)
class KpiQuery:
    first_day: date
    last_day: date  # included
    topic: str | None = None
    agent: int | None = None
    channel: str | None = None
    group: Group = "day"

    def filters(self) -> dict[str, Any]:
        return {"topic": self.topic, "agent": self.agent, "channel": self.channel}


def local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def day_start(day: date, timezone: str) -> datetime:
    """The first moment of `day` in `timezone` (an aware datetime)."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone))


def buckets(first_day: date, last_day: date, group: Group) -> list[tuple[date, date]]:
    """(first, last) day of each bucket; weeks start on Monday and are clipped to the range."""
    found = []
    start = first_day
    while start <= last_day:
        end = start if group == "day" else start + timedelta(days=6 - start.weekday())
        end = min(end, last_day)
        found.append((start, end))
        start = end + timedelta(days=1)
    return found


def in_scope(c: ConversationFacts, query: KpiQuery, timezone: str) -> bool:
    return (
        c.counted
        and query.first_day <= local_day(c.started_at, timezone) <= query.last_day
        and (query.topic is None or c.topic == query.topic)
        and (query.agent is None or query.agent in c.agents)
        and (query.channel is None or c.channel == query.channel)
    )


def report(
    population: Sequence[ConversationFacts],
    *,
    identities: Mapping[str, frozenset[str]],
    query: KpiQuery,
    policy: KpiPolicy,
    now: datetime,
    topic_of: Mapping[str, str],
    names: Mapping[int, str],
) -> dict[str, Any]:
    """`population`: every conversation that started in the range or within the FCR window
    after it (the later ones are only looked at for customers coming back)."""
    tz = policy.timezone
    scope = [c for c in population if in_scope(c, query, tz)]
    verdicts = fcr_verdicts(scope, [c for c in population if c.counted], identities, policy, now)
    series = []
    for first, last in buckets(query.first_day, query.last_day, query.group):
        inside = [c for c in scope if first <= local_day(c.started_at, tz) <= last]
        series.append(
            {"start": first.isoformat(), "end": last.isoformat(), **figures(inside, verdicts, policy, now)}
        )
    return {
        "range": {
            "from": query.first_day.isoformat(),
            "to": query.last_day.isoformat(),
            "timezone": tz,
            "group": query.group,
        },
        "filters": query.filters(),
        "generated_at": iso(now),
        **figures(scope, verdicts, policy, now),
        "topics": topics(scope),
        "articles": articles(scope, topic_of),
        "agents": agents(scope, names),
        "series": series,
    }


def topics(scope: Iterable[ConversationFacts]) -> list[dict[str, Any]]:
    by_topic: dict[str, list[ConversationFacts]] = {}
    for c in scope:
        by_topic.setdefault(c.topic, []).append(c)
    rows = []
    for topic, group in by_topic.items():
        satisfied = csat(group)
        rows.append(
            {
                "topic": topic,
                "conversations": len(group),
                "containment": containment(group),
                "escalation": {k: v for k, v in escalation(group).items() if k != "by_reason"},
                "csat": {k: satisfied[k] for k in ("rate", "count", "of")},
            }
        )
    return sorted(rows, key=lambda r: (-r["conversations"], r["topic"]))


def articles(scope: Iterable[ConversationFacts], topic_of: Mapping[str, str]) -> list[dict[str, Any]]:
    answers: Counter[str] = Counter()
    helpful: Counter[str] = Counter()
    unhelpful: Counter[str] = Counter()
    for c in scope:
        answers.update(c.answers)
        for article_id, was_helpful in c.feedback:
            (helpful if was_helpful else unhelpful)[article_id] += 1
    rows = []
    for article_id in answers.keys() | helpful.keys() | unhelpful.keys():
        votes = helpful[article_id] + unhelpful[article_id]
        rows.append(
            {
                "article_id": article_id,
                "topic": topic_of.get(article_id),
                "answers": answers[article_id],
                "helpful": helpful[article_id],
                "not_helpful": unhelpful[article_id],
                "rate": round(helpful[article_id] / votes, 4) if votes else None,
            }
        )
    return sorted(rows, key=lambda r: (-r["answers"], r["article_id"]))


def agents(scope: Iterable[ConversationFacts], names: Mapping[int, str]) -> list[dict[str, Any]]:
    """Per agent: handoffs they claimed or closed (`handled`), resolved, their first response
    after claiming, the resolution time of those they resolved, and the ratings of the
    conversations they closed."""
    handled: dict[int, set[str]] = {}
    resolved: Counter[int] = Counter()
    first: dict[int, list[float]] = {}
    resolving: dict[int, list[float]] = {}
    ratings: dict[int, list[Any]] = {}
    for c in scope:
        for h in c.handoffs:
            for agent in {h.joined_by, h.closed_by} - {None}:
                assert agent is not None
                handled.setdefault(agent, set()).add(h.id)
            if h.joined_by is not None and h.first_response is not None:
                first.setdefault(h.joined_by, []).append(h.first_response)
            if h.resolved and h.closed_by is not None and h.closed_at is not None:
                resolved[h.closed_by] += 1
                resolving.setdefault(h.closed_by, []).append((h.closed_at - h.requested_at).total_seconds())
        for r in c.ratings:
            if r.of == "agent" and r.agent_id is not None:
                ratings.setdefault(r.agent_id, []).append(r)
    rows = []
    for agent in handled.keys() | ratings.keys():
        positive = sum(r.score >= 4 for r in ratings.get(agent, []))
        rows.append(
            {
                "agent_id": agent,
                "name": names.get(agent),
                "handled": len(handled.get(agent, ())),
                "resolved": resolved[agent],
                "first_response": times(first.get(agent, [])),
                "resolution_time": times(resolving.get(agent, [])),
                "csat": rate(positive, len(ratings.get(agent, []))),
            }
        )
    return sorted(rows, key=lambda r: (-r["handled"], r["agent_id"]))
