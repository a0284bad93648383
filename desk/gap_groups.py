"""The questions customers could not get answered (desk/gaps.py), grouped by meaning by the
knowledge service (`POST /cluster`), each group with its count, its trend over the last weeks,
examples, the articles it came nearest to; and a draft article made from a group."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from desk.gaps import GapQuestion
from desk.kb_editing import EditorIdentity
from desk.kb_insights import KBInsightsClient
from desk.store import iso, parse_time

TREND_WEEKS = 6  # the bars beside each group
MAX_TEXTS = 2000  # distinct texts clustered at once (what POST /cluster takes)
EXAMPLES = 5
PHRASINGS = 20  # the group's phrasings offered as a draft's customer questions


@dataclass(frozen=True, slots=True)
class Window:
    """The period a report counts (`weeks` back from `end`) and the weeks its trend shows."""

    end: datetime
    weeks: int

    @property
    def since(self) -> str:
        return iso(self.end - timedelta(weeks=self.weeks))

    @property
    def reads_since(self) -> str:
        """What must be read: the period, or the trend's weeks when they reach further back."""
        return iso(self.end - timedelta(weeks=max(self.weeks, TREND_WEEKS)))

    def week_starts(self) -> list[str]:
        return [iso(self.end - timedelta(weeks=TREND_WEEKS - i)) for i in range(TREND_WEEKS)]

    def trend(self, times: list[str]) -> list[int]:
        """How many of `times` fell in each of the last TREND_WEEKS weeks, oldest first."""
        counts = [0] * TREND_WEEKS
        for at in times:
            weeks_ago = (self.end - parse_time(at)) // timedelta(weeks=1)
            if 0 <= weeks_ago < TREND_WEEKS:
                counts[TREND_WEEKS - 1 - weeks_ago] += 1
        return counts


def text_key(text: str) -> str:
    """Two questions differing only in case and spacing are one phrasing."""
    return " ".join(text.lower().split())


async def gap_report(
    kb: KBInsightsClient, editor: EditorIdentity, questions: list[GapQuestion], window: Window
) -> dict[str, Any]:
    """The groups, largest first; `questions` newest first, read since `window.reads_since`."""
    by_key: dict[str, list[GapQuestion]] = {}
    for question in questions:
        by_key.setdefault(text_key(question.text), []).append(question)
    keys = list(by_key)[:MAX_TEXTS]  # the most recent phrasings when there are more
    clusters = await kb.cluster(editor, [by_key[k][0].text for k in keys])
    groups = []
    for found in clusters:
        members = [q for i in found.get("members") or [] if 0 <= i < len(keys) for q in by_key[keys[i]]]
        group = _group(members, found.get("articles") or [], window)
        if group is not None:
            groups.append(group)
    groups.sort(key=lambda g: str(g["latest"]), reverse=True)
    groups.sort(key=lambda g: int(g["count"]), reverse=True)  # stable: the latest first among equals
    return {
        "weeks": window.weeks,
        "since": window.since,
        "trend_weeks": window.week_starts(),
        "questions": sum(g["count"] for g in groups),
        "groups": groups,
    }


def _group(
    members: list[GapQuestion], articles: list[dict[str, Any]], window: Window
) -> dict[str, Any] | None:
    since = window.since
    counted = sorted((q for q in members if q.at >= since), key=lambda q: q.at, reverse=True)
    if not counted:
        return None  # asked only before the period, shown in the trend alone
    kinds = Counter(kind.value for q in counted for kind in q.kinds)
    phrasings = Counter(text_key(q.text) for q in counted)
    first_text: dict[str, str] = {}
    for q in counted:
        first_text.setdefault(text_key(q.text), q.text)
    return {
        "count": len(counted),
        "latest": counted[0].at,
        "trend": window.trend([q.at for q in members]),
        "kinds": dict(sorted(kinds.items())),
        "examples": [
            {"text": q.text, "at": q.at, "kinds": sorted(k.value for k in q.kinds)}
            for q in counted[:EXAMPLES]
        ],
        "phrasings": [first_text[key] for key, _ in phrasings.most_common(PHRASINGS)],
        "articles": [
            {"article_id": str(a.get("article_id")), "title": str(a.get("title")), "score": a.get("score")}
            for a in articles[:3]
            if isinstance(a, dict)
        ],
    }


_WORD = re.compile(r"[a-z0-9]+")
SLUG_WORDS = 6


def draft_id(first_question: str) -> str:
    """A slug from the first words of a question ("Can I rent a safe deposit box?" →
    "can-i-rent-a-safe-deposit")."""
    words = _WORD.findall(first_question.lower())[:SLUG_WORDS]
    return "-".join(words)[:60].strip("-") or "new-article"


def draft_article(phrasings: list[str]) -> dict[str, Any]:
    """A draft whose customer questions are the group's phrasings; title, summary and body are
    placeholders saying what to write (a draft is never served, so nothing reaches customers
    until an editor writes and publishes it)."""
    first = phrasings[0]
    return {
        "title": f"Draft: {first}"[:200],
        "summary": "Replace with the one-line answer the assistant gives first.",
        "topic": draft_id(first).replace("-", "_")[:80],
        "tags": ["from-customer-questions"],
        "escalation": "none",
        "questions": phrasings[:PHRASINGS],
        "body": (
            "Replace this with the answer: short numbered steps a customer can follow, and what "
            "to do when they do not work.\n"
        ),
    }
