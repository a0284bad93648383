"""Articles to read: readers get the published ones; editors (with `status`) any version, the
version history and diffs. Changes are in routes/editing.py."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from kb_service.editing import current, diff_versions
from kb_service.editor_schemas import (
    DiffOut,
    EditorArticleDetail,
    EditorArticleSummary,
    VersionDetail,
    VersionOut,
)
from kb_service.errors import ArticleNotFound, Unauthorized
from kb_service.routes.deps import EditorDep, KnowledgeBaseDep, MaybeEditorDep, SettingsDep
from kb_service.routes.views import (
    article_detail,
    article_summary,
    editor_detail,
    editor_summary,
    version_detail,
    version_out,
)
from kb_service.schemas import ArticleDetail, ArticleSummary, ErrorResponse
from kb_service.store import Editor, StoredArticle

router = APIRouter(
    tags=["articles"], responses={404: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}
)

ArticleId = Annotated[str, Path(max_length=80, description="The article's slug")]
VersionNumber = Annotated[int, Path(ge=1)]
ListStatus = Literal["draft", "published", "archived", "all", "deleted"]


def _editor_only(editor: Editor | None) -> Editor:
    if editor is None:
        raise Unauthorized("`status` is for editors: send 'Authorization: Bearer <editor token>'")
    return editor


def _listed(stored: StoredArticle, status: ListStatus) -> bool:
    if status == "deleted" or stored.deleted:
        return status == "deleted" and stored.deleted
    return status in {"all", stored.status}


@router.get(
    "/articles",
    response_model=list[EditorArticleSummary] | list[ArticleSummary],
    responses={401: {"model": ErrorResponse}},
    summary="Published articles; with `status` (editors) also drafts, archived or deleted ones",
)
def list_articles(
    kb: KnowledgeBaseDep,
    settings: SettingsDep,
    editor: MaybeEditorDep,
    topic: str | None = None,
    status: ListStatus | None = None,
) -> list[EditorArticleSummary] | list[ArticleSummary]:
    if status is None:
        return [article_summary(settings, a) for a in kb.articles() if topic is None or a.topic == topic]
    _editor_only(editor)
    return [
        editor_summary(settings, s)
        for s in kb.store.articles()
        if _listed(s, status) and (topic is None or s.latest.topic == topic)
    ]


@router.get(
    "/articles/{article_id}",
    response_model=EditorArticleDetail | ArticleDetail,
    responses={401: {"model": ErrorResponse}},
    summary="A published article; `status=draft` (editors): its latest version, draft or not",
)
def get_article(
    article_id: ArticleId,
    kb: KnowledgeBaseDep,
    settings: SettingsDep,
    editor: MaybeEditorDep,
    status: Literal["draft", "published"] | None = None,
) -> EditorArticleDetail | ArticleDetail:
    if status is None:
        return article_detail(settings, kb.get(article_id))
    _editor_only(editor)
    stored = current(kb.store, article_id)
    if status == "draft":
        return editor_detail(settings, stored)
    published = kb.store.published_article(article_id)
    if published is None:
        raise ArticleNotFound(f"article {article_id!r} is not published")
    return editor_detail(settings, stored, published[0])


@router.get("/articles/{article_id}/versions", response_model=list[VersionOut])
def versions(article_id: ArticleId, kb: KnowledgeBaseDep, _: EditorDep) -> list[VersionOut]:
    """Every version, newest first, with who made it, when and why (also of a deleted article)."""
    return [version_out(v) for v in kb.store.versions(article_id)]


@router.get("/articles/{article_id}/versions/{number}", response_model=VersionDetail)
def version(
    article_id: ArticleId, number: VersionNumber, kb: KnowledgeBaseDep, _: EditorDep
) -> VersionDetail:
    return version_detail(kb.store.version(article_id, number))


@router.get("/articles/{article_id}/diff", response_model=DiffOut)
def diff(
    article_id: ArticleId,
    kb: KnowledgeBaseDep,
    _: EditorDep,
    before: Annotated[int, Query(alias="from", ge=1)],
    after: Annotated[int, Query(alias="to", ge=1)],
) -> DiffOut:
    """What changed from version `from` to version `to`: front-matter fields and the body."""
    found = diff_versions(kb.store, article_id=article_id, before=before, after=after)
    return DiffOut.model_validate(
        {"from": found.before, "to": found.after, "fields": found.fields, "body": found.body}
    )
