from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kb_service.articles import Article, load_articles, parse_article, render_article, split_passages
from kb_service.errors import InvalidArticle
from tests.kb_service.helpers import write_article

GOOD = """---
id: card-arrival
title: My card hasn't arrived
summary: Cards arrive in 3 to 5 working days.
topic: card_arrival
tags: [cards]
escalation: none
updated: 2026-11-01
questions: ["where is my card"]
---
## Steps

1. Open the **app**.
2. Tap [Card](https://example.test).
"""


def test_parse_reads_front_matter_and_body() -> None:
    article = parse_article(GOOD)
    assert article.id == "card-arrival"
    assert article.updated == dt.date(2026, 11, 1)
    assert article.questions == ["where is my card"]
    assert article.body.startswith("## Steps")


def test_render_round_trips() -> None:
    article = parse_article(GOOD)
    assert parse_article(render_article(article)) == article


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("no front matter", "no YAML front matter"),
        ("---\n[unclosed\n---\nbody", "not valid YAML"),
        ("---\n- a list\n---\nbody", "must be a mapping"),
        (GOOD.replace("escalation: none", "escalation: sometimes"), "escalation"),
        (GOOD.replace("id: card-arrival", "id: Card Arrival"), "id"),
        (GOOD.replace("updated: 2026-11-01", "updated: soon"), "updated"),
        (GOOD.replace("topic: card_arrival\n", ""), "topic"),
        (GOOD.replace("tags: [cards]", "tags: [cards]\ncolour: blue"), "colour"),
    ],
)
def test_parse_rejects_bad_articles_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidArticle, match=reason):
        parse_article(text, source="x.md")


def test_load_skips_broken_files_and_readme(tmp_path: Path) -> None:
    write_article(tmp_path, "good-one", "Good one", "t", "A valid summary here.")
    (tmp_path / "broken.md").write_text("---\nid: [\n---\n")
    (tmp_path / "README.md").write_text("# not an article")
    write_article(tmp_path, "other-name", "Mismatch", "t", "A valid summary here.").rename(
        tmp_path / "renamed.md"
    )
    assert list(load_articles(tmp_path)) == ["good-one"]


def test_passages_cover_summary_body_chunks_and_questions() -> None:
    body = "\n\n".join(f"Paragraph {i} " + "word " * 30 for i in range(5))
    article = Article(
        id="a",
        title="Title",
        summary="The summary text.",
        topic="t",
        updated=dt.date(2026, 1, 1),
        questions=["q one", "q two"],
        body=body,
    )
    passages = split_passages(article, max_words=70)
    kinds = [p.kind for p in passages]
    assert kinds[0] == "summary"
    assert kinds.count("question") == 2
    body_chunks = [p for p in passages if p.kind == "body"]
    assert len(body_chunks) == 3  # 5 paragraphs of 32 words, at most 70 words a chunk
    assert all(p.embed_text.startswith("Title. ") for p in body_chunks)
    assert all(len(p.text.split()) <= 70 for p in body_chunks)


def test_passage_text_has_no_markdown() -> None:
    article = parse_article(GOOD)
    body = next(p for p in split_passages(article, 100) if p.kind == "body")
    for markup in ("**", "](", "#"):
        assert markup not in body.text
    assert "Open the app." in body.text
