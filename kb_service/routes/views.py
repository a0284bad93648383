"""Turning articles into response bodies."""

from __future__ import annotations

from kb_service.articles import Article
from kb_service.config import Settings
from kb_service.schemas import ArticleDetail, ArticleSummary


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
