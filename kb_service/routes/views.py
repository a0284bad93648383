"""Turning articles into response bodies."""

from __future__ import annotations

from kb_service.articles import Article
from kb_service.config import Settings
from kb_service.editor_schemas import (
    ArticleState,
    EditorArticleDetail,
    EditorArticleSummary,
    VersionDetail,
    VersionOut,
)
from kb_service.schemas import ArticleDetail, ArticleSummary
from kb_service.store import StoredArticle, Version


def article_url(settings: Settings, article_id: str) -> str:
    return f"{settings.public_url.rstrip('/')}/{article_id}"


def article_summary(settings: Settings, article: Article) -> ArticleSummary:
    return ArticleSummary(
        id=article.id,
        title=article.title,
        summary=article.summary,
        topic=article.topic,
        tags=article.tags,
        escalation=article.escalation,
        updated=article.updated,
        url=article_url(settings, article.id),
    )


def article_detail(settings: Settings, article: Article) -> ArticleDetail:
    return ArticleDetail(
        **article_summary(settings, article).model_dump(), questions=article.questions, body=article.body
    )


def editor_summary(
    settings: Settings, stored: StoredArticle, article: Article | None = None
) -> EditorArticleSummary:
    """An article as editors list it: `article` (default the latest version) and its state."""
    article = article or stored.latest
    return EditorArticleSummary(
        **article_summary(settings, article).model_dump(),
        status=stored.status,
        version=stored.latest_version,
        published_version=stored.published_version,
        has_draft=stored.has_draft,
        deleted=stored.deleted,
        review_by=article.review_by,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by.name,
        updated_by_id=stored.updated_by.id,
    )


def editor_detail(
    settings: Settings, stored: StoredArticle, article: Article | None = None
) -> EditorArticleDetail:
    article = article or stored.latest
    return EditorArticleDetail(
        **editor_summary(settings, stored, article).model_dump(),
        questions=article.questions,
        body=article.body,
    )


def state_of(stored: StoredArticle) -> ArticleState:
    return ArticleState(
        id=stored.id,
        version=stored.latest_version,
        status=stored.status,
        published_version=stored.published_version,
        has_draft=stored.has_draft,
    )


def version_out(version: Version) -> VersionOut:
    return VersionOut(
        version=version.number,
        editor_id=version.editor.id,
        editor=version.editor.name,
        action=version.action,
        at=version.at,
        content_hash=version.content_hash,
    )


def version_detail(version: Version) -> VersionDetail:
    return VersionDetail(
        **version.article.model_dump(),
        version=version.number,
        editor_id=version.editor.id,
        editor=version.editor.name,
        action=version.action,
        at=version.at,
    )
