"""The editors' pages (/editor) and the JSON API behind editor.js (/api/editor), over
desk/editing.py. Every route needs the editor role; changes also need the console's header."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import HTTPConnection

from desk.editing import ArticleDraft, Editing, ListFilters
from desk.kb_editing import EditorIdentity
from desk.pages import render
from desk.routes.deps import ActingEditorDep, EditorDep, EditorPage

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def editing_of(connection: HTTPConnection) -> Editing:
    editing: Editing = connection.app.state.editing
    return editing


EditingDep = Annotated[Editing, Depends(editing_of)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewArticleBody(_Body):
    id: str = Field(pattern=SLUG, max_length=80)
    article: ArticleDraft


class SaveBody(_Body):
    article: ArticleDraft
    base_version: int = Field(ge=1)
    as_draft: bool = True


class PublishBody(_Body):
    version: int | None = Field(None, ge=1)


class TryBody(_Body):
    question: str = Field(min_length=1, max_length=1000)
    article: ArticleDraft


class PreviewBody(_Body):
    markdown: str = Field(max_length=200_000)


router = APIRouter(include_in_schema=False)


@router.get("/editor", response_class=HTMLResponse)
def list_page(request: Request, who: EditorPage) -> Response:
    return render(request, "editor_list.html", who=who)


@router.get("/editor/articles/new", response_class=HTMLResponse)
def new_page(request: Request, who: EditorPage) -> Response:
    # A draft can start prefilled (?title=&question=...&question=...), e.g. from a group of
    # questions customers asked that nothing answered; editor.js reads the query string.
    return render(request, "editor_article.html", who=who, article_id="")


@router.get("/editor/articles/{article_id}", response_class=HTMLResponse)
def article_page(article_id: str, request: Request, who: EditorPage) -> Response:
    return render(request, "editor_article.html", who=who, article_id=article_id)


api = APIRouter(prefix="/api/editor", tags=["editor"])


@api.get("/articles")
async def list_articles(
    *,
    who: EditorDep,
    editing: EditingDep,
    q: Annotated[str, Query(max_length=200)] = "",
    topic: str = "",
    tag: str = "",
    escalation: str = "",
    status: str = "",
    stale: str = "",
    helpfulness: str = "",
) -> dict[str, Any]:
    filters = ListFilters(q, topic, tag, escalation, status, stale, helpfulness)
    return await editing.list_articles(who, filters)


@api.post("/articles", status_code=201)
async def create(body: NewArticleBody, who: ActingEditorDep, editing: EditingDep) -> dict[str, Any]:
    return await editing.kb.create(EditorIdentity.of(who), body.id, body.article.for_kb())


@api.get("/articles/{article_id}")
async def article(article_id: str, who: EditorDep, editing: EditingDep) -> dict[str, Any]:
    return await editing.article(who, article_id)


@api.put("/articles/{article_id}")
async def save(article_id: str, body: SaveBody, who: ActingEditorDep, editing: EditingDep) -> dict[str, Any]:
    return await editing.kb.update(
        EditorIdentity.of(who),
        article_id,
        body.article.for_kb(),
        base_version=body.base_version,
        as_draft=body.as_draft,
    )


@api.post("/articles/{article_id}/publish")
async def publish(
    article_id: str, who: ActingEditorDep, editing: EditingDep, body: PublishBody | None = None
) -> dict[str, Any]:
    version = body.version if body else None
    return await editing.kb.publish(EditorIdentity.of(who), article_id, version)


@api.post("/articles/{article_id}/unpublish")
async def unpublish(article_id: str, who: ActingEditorDep, editing: EditingDep) -> dict[str, Any]:
    return await editing.kb.unpublish(EditorIdentity.of(who), article_id)


@api.post("/articles/{article_id}/archive")
async def archive(article_id: str, who: ActingEditorDep, editing: EditingDep) -> dict[str, Any]:
    return await editing.kb.archive(EditorIdentity.of(who), article_id)


@api.delete("/articles/{article_id}", status_code=204)
async def delete(article_id: str, who: ActingEditorDep, editing: EditingDep) -> Response:
    await editing.kb.delete(EditorIdentity.of(who), article_id)
    return Response(status_code=204)


@api.get("/articles/{article_id}/versions")
async def versions(article_id: str, who: EditorDep, editing: EditingDep) -> dict[str, Any]:
    return {"versions": await editing.versions(who, article_id)}


@api.get("/articles/{article_id}/versions/{number}")
async def version(article_id: str, number: int, who: EditorDep, editing: EditingDep) -> dict[str, Any]:
    return await editing.kb.version(EditorIdentity.of(who), article_id, number)


@api.get("/articles/{article_id}/diff")
async def diff(
    article_id: str,
    who: EditorDep,
    editing: EditingDep,
    before: Annotated[int, Query(alias="from", ge=1)],
    after: Annotated[int, Query(alias="to", ge=1)],
) -> dict[str, Any]:
    return await editing.diff(who, article_id, before, after)


@api.post("/articles/{article_id}/versions/{number}/restore")
async def restore(article_id: str, number: int, who: ActingEditorDep, editing: EditingDep) -> dict[str, Any]:
    return await editing.kb.restore(EditorIdentity.of(who), article_id, number)


@api.post("/articles/{article_id}/try")
async def try_question(article_id: str, body: TryBody, who: EditorDep, editing: EditingDep) -> dict[str, Any]:
    return await editing.try_question(who, article_id, body.question, body.article)


@api.post("/import")
async def import_folder(who: ActingEditorDep, editing: EditingDep) -> dict[str, Any]:
    """Bring in what changed in the knowledge folder (a `git pull`), by the import rule: the
    report names what was created, updated, kept and in conflict."""
    return await editing.kb.import_folder(EditorIdentity.of(who))


@api.post("/preview")
async def preview(body: PreviewBody, who: EditorDep) -> dict[str, str]:
    return {"html": Editing.preview(body.markdown)}
