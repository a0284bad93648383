"""What the event log tells editors: what customers could not find (/editor/gaps and its API,
with "start a draft from this group"), each article's helpfulness and flags, and the learned
phrasings of an article to approve or reject in bulk. Editor role; changes need the console's
header."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import HTTPConnection

from desk.article_stats import EventSignals, article_stats
from desk.errors import Conflict
from desk.gap_groups import Window, draft_article, draft_id, gap_report
from desk.gaps import GapKind, collect_gaps
from desk.kb_editing import EditorIdentity
from desk.kb_insights import KBInsightsClient
from desk.masking import mask_cards, mask_contacts
from desk.pages import render
from desk.routes.deps import ActingEditorDep, DeskDep, EditorDep, EditorPage

DRAFT_ID_TRIES = 20
MAX_WEEKS = 26


def insights_of(connection: HTTPConnection) -> KBInsightsClient:
    client: KBInsightsClient = connection.app.state.kb_insights
    return client


InsightsDep = Annotated[KBInsightsClient, Depends(insights_of)]


class DraftBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phrasings: list[Annotated[str, Field(min_length=1, max_length=1000)]] = Field(min_length=1, max_length=50)


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[int] = Field(min_length=1, max_length=500)


router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/editor", tags=["editor"])


@router.get("/editor/gaps", response_class=HTMLResponse)
def gaps_page(request: Request, who: EditorPage) -> Response:
    return render(request, "editor_gaps.html", who=who, kinds=[k.value for k in GapKind])


@api.get("/gaps", summary="What customers could not find, grouped by meaning")
async def gaps(
    who: EditorDep,
    desk: DeskDep,
    kb: InsightsDep,
    weeks: Annotated[int, Query(ge=1, le=MAX_WEEKS, description="The period: the page offers 4, 8, 12")] = 4,
    kind: Annotated[list[GapKind], Query()] = [],  # noqa: B006 - FastAPI copies defaults
) -> dict[str, Any]:
    window = Window(desk.store.clock(), weeks)
    questions = await asyncio.to_thread(collect_gaps, desk.store, since=window.reads_since, kinds=kind)
    return await gap_report(kb, EditorIdentity.of(who), questions, window)


@api.post("/gaps/draft", status_code=201, summary="Start a draft article from a group's phrasings")
async def start_draft(body: DraftBody, who: ActingEditorDep, kb: InsightsDep) -> dict[str, Any]:
    phrasings = [mask_contacts(mask_cards(" ".join(p.split()))) for p in body.phrasings]
    phrasings = [p for p in dict.fromkeys(phrasings) if p]
    base = draft_id(phrasings[0])
    editor = EditorIdentity.of(who)
    for attempt in range(DRAFT_ID_TRIES):
        article_id = base if attempt == 0 else f"{base[:56]}-{attempt + 1}"
        try:
            created = await kb.create(editor, article_id, draft_article(phrasings))
        except Conflict:
            continue  # that id is taken: the next number
        return {**created, "url": f"/editor/articles/{created.get('id', article_id)}"}
    raise Conflict(f"articles {base} to {base}-{DRAFT_ID_TRIES} exist already; start one by hand")


@api.get("/article-stats", summary="Helpful / not helpful per article, rate and flags")
async def stats(who: EditorDep, desk: DeskDep, kb: InsightsDep) -> dict[str, Any]:
    articles = await kb.articles(EditorIdentity.of(who))
    votes = EventSignals(desk.store).all()
    return article_stats(articles, votes, desk.store.clock().date())


@api.get("/articles/{article_id}/phrasings", summary="Learned phrasings waiting for an editor")
async def phrasings(article_id: str, who: EditorDep, kb: InsightsDep) -> dict[str, Any]:
    return {"candidates": await kb.candidates(EditorIdentity.of(who), article_id)}


@api.post("/phrasings/{decision}", summary="Approve or reject learned phrasings in bulk")
async def decide(
    decision: Literal["approve", "reject"], body: DecisionBody, who: ActingEditorDep, kb: InsightsDep
) -> dict[str, Any]:
    return await kb.decide(EditorIdentity.of(who), decision, body.ids)
