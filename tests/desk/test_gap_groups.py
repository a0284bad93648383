"""Groups of what customers could not find, from questions and the knowledge service's
clustering (a fake at the HTTP seam): counts in the period, the weekly trend, examples,
phrasings, nearest articles; and the draft a group starts."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from desk.gap_groups import TREND_WEEKS, Window, draft_article, draft_id, gap_report, text_key
from desk.gaps import GapKind, GapQuestion
from desk.kb_editing import EditorIdentity
from desk.kb_insights import KBInsightsClient
from desk.store import iso

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
EDITOR = EditorIdentity("7", "Eli Editor")


def asked(n: int, text: str, days_ago: float, *kinds: GapKind) -> GapQuestion:
    at = iso(NOW - timedelta(days=days_ago))
    return GapQuestion(n, f"c{n}", text, at, frozenset(kinds or {GapKind.NONE}))


class FakeClusters:
    """POST /cluster: texts containing the same keyword form a group."""

    def __init__(self) -> None:
        self.sent: list[list[str]] = []
        self.headers: list[httpx.Headers] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/cluster"
        texts = json.loads(request.content)["texts"]
        self.sent.append(texts)
        self.headers.append(request.headers)
        groups: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            key = next((w for w in ("gold", "mortgage", "crypto") if w in text.lower()), text)
            groups.setdefault(key, []).append(i)
        articles = [{"article_id": "fees", "title": "All our fees", "score": 0.41}]
        return httpx.Response(
            200, json={"groups": [{"members": m, "articles": articles} for m in groups.values()]}
        )


def report(questions: list[GapQuestion], weeks: int = 4) -> tuple[dict[str, Any], FakeClusters]:
    fake = FakeClusters()
    kb = KBInsightsClient("http://kb", token="t", transport=httpx.MockTransport(fake.handle))

    async def run() -> dict[str, Any]:
        try:
            return await gap_report(kb, EDITOR, questions, Window(NOW, weeks))
        finally:
            await kb.aclose()

    return asyncio.run(run()), fake


def test_groups_are_counted_in_the_period_with_a_six_week_trend() -> None:
    questions = [  # newest first, as collect_gaps returns them
        asked(9, "Can I store GOLD in a box?", 1, GapKind.NONE, GapKind.HANDED_OVER),
        asked(8, "can i store gold in a box?", 2),
        asked(7, "mortgage rates?", 3, GapKind.NOT_HELPFUL),
        asked(6, "gold bullion storage", 9, GapKind.DECLINED),
        asked(5, "a mortgage for my flat", 20),
        asked(4, "gold vault", 36),  # before the 4-week period: in the trend only
        asked(3, "crypto wallet", 38),  # a group wholly before the period: left out
    ]
    result, fake = report(questions)
    # Each phrasing is sent once (case and spacing do not count), the most recent first.
    assert fake.sent == [
        [
            "Can I store GOLD in a box?",
            "mortgage rates?",
            "gold bullion storage",
            "a mortgage for my flat",
            "gold vault",
            "crypto wallet",
        ]
    ]
    assert fake.headers[0]["x-editor-id"] == "7"
    assert result["weeks"] == 4
    assert result["since"] == iso(NOW - timedelta(weeks=4))
    assert len(result["trend_weeks"]) == TREND_WEEKS
    assert result["questions"] == 5
    gold, mortgage = result["groups"]
    assert gold["count"] == 3
    assert gold["trend"] == [1, 0, 0, 0, 1, 2]  # 36, 9, 2 and 1 days ago
    assert gold["kinds"] == {"declined": 1, "handed_over": 1, "none": 2}
    assert [e["text"] for e in gold["examples"]] == [
        "Can I store GOLD in a box?",
        "can i store gold in a box?",
        "gold bullion storage",
    ]
    assert gold["examples"][0]["kinds"] == ["handed_over", "none"]
    assert gold["phrasings"] == ["Can I store GOLD in a box?", "gold bullion storage"]
    assert gold["articles"] == [{"article_id": "fees", "title": "All our fees", "score": 0.41}]
    assert mortgage["count"] == 2
    assert mortgage["trend"] == [0, 0, 0, 1, 0, 1]


def test_a_longer_period_counts_further_back() -> None:
    questions = [asked(2, "gold vault", 1), asked(1, "gold vault", 60)]
    assert report(questions, weeks=12)[0]["groups"][0]["count"] == 2
    assert report(questions, weeks=4)[0]["groups"][0]["count"] == 1


def test_no_questions_no_call() -> None:
    result, fake = report([])
    assert result["groups"] == []
    assert fake.sent == []


def test_examples_are_the_five_latest() -> None:
    questions = [asked(20 - i, f"gold question {i}", i) for i in range(8)]
    group = report(questions)[0]["groups"][0]
    assert [e["text"] for e in group["examples"]] == [f"gold question {i}" for i in range(5)]


def test_the_trend_counts_whole_weeks_back_from_now() -> None:
    window = Window(NOW, 4)
    times = [iso(NOW - timedelta(days=d)) for d in (0, 6.9, 7, 13, 41.9, 42, 50)]
    assert window.trend(times) == [1, 0, 0, 0, 2, 2]
    assert window.reads_since == iso(NOW - timedelta(weeks=TREND_WEEKS))
    assert Window(NOW, 12).reads_since == iso(NOW - timedelta(weeks=12))


def test_a_draft_from_a_group() -> None:
    assert draft_id("Can I rent a safe-deposit box for my jewellery?") == "can-i-rent-a-safe-deposit"
    assert draft_id("¿¡!") == "new-article"
    assert text_key("  Gold   BARS ") == "gold bars"
    draft = draft_article(["Can I rent a safe deposit box?", "do you have deposit boxes"])
    assert draft["questions"] == ["Can I rent a safe deposit box?", "do you have deposit boxes"]
    assert draft["title"] == "Draft: Can I rent a safe deposit box?"
    assert draft["topic"] == "can_i_rent_a_safe_deposit"
    assert draft["summary"].startswith("Replace")
    assert draft["body"].startswith("Replace")
