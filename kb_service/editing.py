"""Editing articles: validate, write, re-index and record the revision, in that order."""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError

from kb_service.articles import Article, render_article
from kb_service.errors import InvalidArticle
from kb_service.knowledge import KnowledgeBase
from kb_service.revisions import Revision, RevisionLog
from kb_service.schemas import ArticleIn


def build_article(article_id: str, data: ArticleIn) -> Article:
    fields = data.model_dump()
    fields["updated"] = fields["updated"] or dt.datetime.now(dt.UTC).date()
    try:
        return Article(id=article_id, **fields)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
        raise InvalidArticle(problems) from e


def put_article(
    kb: KnowledgeBase, revisions: RevisionLog, *, article_id: str, data: ArticleIn, editor: str
) -> tuple[Article, Revision, bool]:
    """Create or replace an article; searchable as soon as this returns. Returns (article,
    revision, created)."""
    article = build_article(article_id, data)
    created = article_id not in {a.id for a in kb.articles()}
    kb.put(article)
    revision = revisions.record(
        article_id,
        editor=editor,
        action="put",
        content_hash=article.content_hash,
        markdown=render_article(article),
    )
    return article, revision, created


def delete_article(kb: KnowledgeBase, revisions: RevisionLog, *, article_id: str, editor: str) -> Revision:
    article = kb.delete(article_id)
    return revisions.record(
        article_id,
        editor=editor,
        action="delete",
        content_hash=article.content_hash,
        markdown=render_article(article),
    )
