"""Past examples: import history, take live candidates, list, approve or reject (one or in
bulk), remove a source."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from kb_service.errors import InvalidQuery
from kb_service.examples import LIVE_SOURCES, Example, resolve_targets
from kb_service.routes.deps import ContributorDep, EditorDep, ExamplesDep, KnowledgeBaseDep, SettingsDep
from kb_service.schemas import (
    ErrorResponse,
    ExampleIds,
    ExampleOut,
    ExamplePage,
    ExamplesAdded,
    ExamplesDecided,
    ExamplesIn,
    ExamplesRemoved,
)

router = APIRouter(
    tags=["examples"],
    responses={401: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
)


@router.post("/examples", response_model=ExamplesAdded)
def add_examples(
    body: ExamplesIn, who: ContributorDep, kb: KnowledgeBaseDep, book: ExamplesDep, settings: SettingsDep
) -> ExamplesAdded:
    """Imported history (editor token) is used by search as soon as this returns; live sources,
    and anything another service sends, wait as candidates for an editor's approval."""
    if len(body.examples) > settings.max_examples_per_request:
        raise InvalidQuery(f"send at most {settings.max_examples_per_request} examples per request")
    status: Literal["approved", "candidate"] = (
        "approved" if who == "editor" and body.source not in LIVE_SOURCES else "candidate"
    )
    pairs, problems = resolve_targets([(e.text, e.article_id, e.topic) for e in body.examples], kb.articles())
    report = book.add(body.source, pairs, status=status)
    return ExamplesAdded(
        added=report.added, skipped=report.skipped + len(problems), status=status, problems=problems[:10]
    )


@router.get("/examples", response_model=ExamplePage)
def list_examples(
    *,
    book: ExamplesDep,
    _: EditorDep,
    source: str | None = None,
    status: Literal["approved", "candidate", "rejected"] | None = None,
    article_id: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ExamplePage:
    examples, total = book.page(
        source=source, status=status, article_id=article_id, limit=limit, offset=offset
    )
    return ExamplePage(examples=[example_out(e) for e in examples], total=total)


@router.delete("/examples", response_model=ExamplesRemoved)
def delete_source(
    book: ExamplesDep, _: EditorDep, source: Annotated[str, Query(min_length=1)]
) -> ExamplesRemoved:
    return ExamplesRemoved(removed=book.delete_source(source))


@router.post("/examples/approve", response_model=ExamplesDecided)
def approve_many(body: ExampleIds, book: ExamplesDep, _: EditorDep) -> ExamplesDecided:
    """Approve examples in bulk: each counts in ranking from now on."""
    changed, missing = book.decide(body.ids, "approved")
    return ExamplesDecided(changed=changed, status="approved", missing=missing)


@router.post("/examples/reject", response_model=ExamplesDecided)
def reject_many(body: ExampleIds, book: ExamplesDep, _: EditorDep) -> ExamplesDecided:
    """Reject examples in bulk: kept (so the phrasing does not come back as a candidate), never
    counted."""
    changed, missing = book.decide(body.ids, "rejected")
    return ExamplesDecided(changed=changed, status="rejected", missing=missing)


@router.post(
    "/examples/{example_id}/approve", response_model=ExampleOut, responses={404: {"model": ErrorResponse}}
)
def approve(example_id: Annotated[int, Path(ge=1)], book: ExamplesDep, _: EditorDep) -> ExampleOut:
    return example_out(book.approve(example_id))


def example_out(example: Example) -> ExampleOut:
    return ExampleOut(**asdict(example))
