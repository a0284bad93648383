"""Editing articles (editor token): create, edit with `base_version`, publish, unpublish, archive,
delete, restore, "try this question", and import from the knowledge folder."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from kb_service.articles import field_errors
from kb_service.editing import (
    build_article,
    change_status,
    create_article,
    delete_article,
    import_articles,
    restore_version,
    update_article,
)
from kb_service.editor_schemas import (
    ArticleCreate,
    ArticleState,
    ArticleUpdate,
    ImportOut,
    Outcome,
    PublishIn,
    TryIn,
    TryOut,
)
from kb_service.errors import InvalidArticle
from kb_service.routes.deps import EditorDep, KnowledgeBaseDep, SettingsDep
from kb_service.routes.search import checked_query
from kb_service.routes.views import state_of
from kb_service.schemas import ArticleIn, ErrorResponse
from kb_service.trial import Outcome as TrialOutcome
from kb_service.trial import try_draft


class ArticleBodyRoute(APIRoute):
    """A request body that fails validation is an `InvalidArticle` naming each field, as the
    contract promises for articles (other requests keep the generic `invalid_request`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as e:
                errors = list(e.errors())
                if not errors or any(tuple(err.get("loc", ()))[:1] != ("body",) for err in errors):
                    raise
                fields = {name or "body": problem for name, problem in field_errors(errors, skip=1).items()}
                message = "; ".join(f"{name}: {problem}" for name, problem in fields.items())
                raise InvalidArticle(f"invalid article: {message}", fields=fields) from e

        return route


router = APIRouter(
    tags=["editing"],
    route_class=ArticleBodyRoute,
    responses={
        401: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
    },
)

ArticleId = Annotated[str, Path(max_length=80, description="The article's slug")]
VersionNumber = Annotated[int, Path(ge=1)]


def _content(body: ArticleIn) -> ArticleIn:
    return ArticleIn.model_validate(body.model_dump(include=set(ArticleIn.model_fields)))


@router.post("/articles", response_model=ArticleState, status_code=201, summary="Create a draft")
def create(body: ArticleCreate, kb: KnowledgeBaseDep, editor: EditorDep) -> ArticleState:
    stored = create_article(kb, article_id=body.id, data=_content(body), editor=editor)
    return state_of(stored)


@router.put(
    "/articles/{article_id}",
    response_model=ArticleState,
    summary="A new version based on `base_version` (live at once if published, unless `as_draft`)",
)
def update(
    article_id: ArticleId, body: ArticleUpdate, kb: KnowledgeBaseDep, editor: EditorDep
) -> ArticleState:
    stored = update_article(
        kb,
        article_id=article_id,
        data=_content(body),
        base_version=body.base_version,
        as_draft=body.as_draft,
        editor=editor,
    )
    return state_of(stored)


@router.post("/articles/{article_id}/publish", response_model=ArticleState)
def publish(
    article_id: ArticleId,
    kb: KnowledgeBaseDep,
    editor: EditorDep,
    body: Annotated[PublishIn | None, Body()] = None,
) -> ArticleState:
    """Readers and /search see it (the latest version, or `version`) when this returns."""
    version = body.version if body else None
    return state_of(
        change_status(kb, article_id=article_id, action="publish", editor=editor, version=version)
    )


@router.post("/articles/{article_id}/unpublish", response_model=ArticleState)
def unpublish(article_id: ArticleId, kb: KnowledgeBaseDep, editor: EditorDep) -> ArticleState:
    """Back to draft: gone from readers and /search when this returns."""
    return state_of(change_status(kb, article_id=article_id, action="unpublish", editor=editor))


@router.post("/articles/{article_id}/archive", response_model=ArticleState)
def archive(article_id: ArticleId, kb: KnowledgeBaseDep, editor: EditorDep) -> ArticleState:
    """Kept, not served: gone from readers and /search when this returns."""
    return state_of(change_status(kb, article_id=article_id, action="archive", editor=editor))


@router.delete("/articles/{article_id}", status_code=204)
def delete(article_id: ArticleId, kb: KnowledgeBaseDep, editor: EditorDep) -> Response:
    """Gone from /search and every list; the versions stay (restore one to bring it back)."""
    delete_article(kb, article_id=article_id, editor=editor)
    return Response(status_code=204)


@router.post("/articles/{article_id}/versions/{number}/restore", response_model=ArticleState)
def restore(
    article_id: ArticleId, number: VersionNumber, kb: KnowledgeBaseDep, editor: EditorDep
) -> ArticleState:
    """A new version with version `number`'s content: live if the article is published, a
    draft if it was deleted."""
    return state_of(restore_version(kb, article_id=article_id, version=number, editor=editor))


@router.post("/articles/{article_id}/try", response_model=TryOut)
def try_question(
    article_id: ArticleId, body: TryIn, kb: KnowledgeBaseDep, settings: SettingsDep, _: EditorDep
) -> TryOut:
    """What the search answers for `question` now, and with `draft` in place of this article's
    live version (the live index is not changed)."""
    question = checked_query(body.question, settings)
    draft = build_article(article_id, body.draft, prefix="draft.")
    now, with_draft = try_draft(kb, question=question, draft=draft)
    return TryOut(now=_outcome(now), with_draft=_outcome(with_draft))


def _outcome(outcome: TrialOutcome) -> Outcome:
    return Outcome.model_validate(outcome, from_attributes=True)


@router.post(
    "/admin/import",
    response_model=ImportOut,
    summary="Import the knowledge folder (after a `git pull`) by the conflict rule; live at once",
)
def import_knowledge(kb: KnowledgeBaseDep, settings: SettingsDep, editor: EditorDep) -> ImportOut:
    report = import_articles(kb, directory=settings.knowledge_dir, editor=editor)
    return ImportOut(
        created=report.created,
        updated=report.updated,
        unchanged=len(report.unchanged),
        kept=report.kept,
        conflicts=report.conflicts,
        pending=report.pending,
        problems=report.problems,
    )
