"""Articles: list, read, create or replace, delete, history, and reload from disk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from kb_service.articles import SLUG
from kb_service.editing import delete_article, put_article
from kb_service.errors import ArticleNotFound
from kb_service.revisions import Revision
from kb_service.routes.deps import EditorDep, KnowledgeBaseDep, RevisionsDep, SettingsDep
from kb_service.routes.views import article_detail, article_summary
from kb_service.schemas import (
    ArticleDetail,
    ArticleIn,
    ArticleSummary,
    ErrorResponse,
    ReloadReport,
)

router = APIRouter(
    tags=["articles"], responses={404: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}
)

ArticleId = Annotated[str, Path(max_length=80, description="The article's slug")]
NewArticleId = Annotated[str, Path(pattern=SLUG, max_length=80, description="A lowercase slug")]


@router.get("/articles", response_model=list[ArticleSummary])
def list_articles(
    kb: KnowledgeBaseDep, settings: SettingsDep, topic: str | None = None
) -> list[ArticleSummary]:
    return [article_summary(settings, a) for a in kb.articles() if topic is None or a.topic == topic]


@router.get("/articles/{article_id}", response_model=ArticleDetail)
def get_article(article_id: ArticleId, kb: KnowledgeBaseDep, settings: SettingsDep) -> ArticleDetail:
    return article_detail(settings, kb.get(article_id))


@router.put(
    "/articles/{article_id}",
    response_model=ArticleDetail,
    responses={401: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    summary="Create or replace an article (searchable when this returns)",
)
def put(
    *,
    article_id: NewArticleId,
    body: ArticleIn,
    kb: KnowledgeBaseDep,
    revisions: RevisionsDep,
    settings: SettingsDep,
    editor: EditorDep,
    response: Response,
) -> ArticleDetail:
    article, revision, created = put_article(kb, revisions, article_id=article_id, data=body, editor=editor)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["X-Revision"] = str(revision.number)
    return article_detail(settings, article)


@router.delete("/articles/{article_id}", status_code=204, responses={401: {"model": ErrorResponse}})
def delete(
    article_id: ArticleId, kb: KnowledgeBaseDep, revisions: RevisionsDep, editor: EditorDep
) -> Response:
    delete_article(kb, revisions, article_id=article_id, editor=editor)
    return Response(status_code=204)


@router.get("/articles/{article_id}/revisions", response_model=list[Revision])
def revisions_of(article_id: ArticleId, revisions: RevisionsDep) -> list[Revision]:
    history = revisions.history(article_id)
    if not history:
        raise ArticleNotFound(f"no revisions recorded for {article_id!r}")
    return history


@router.post(
    "/admin/reload",
    response_model=ReloadReport,
    responses={401: {"model": ErrorResponse}},
    summary="Re-read the knowledge folder (after a git pull) and index only what changed",
)
def reload(kb: KnowledgeBaseDep, _editor: EditorDep) -> ReloadReport:
    report = kb.sync_from_disk()
    return ReloadReport(
        embedded=report.embedded, removed=report.removed, reused=report.reused, seconds=report.seconds
    )
