"""POST /search: ranked hits and a verdict for one customer question."""

from __future__ import annotations

from fastapi import APIRouter, Response

from kb_service.config import Settings
from kb_service.errors import InvalidQuery
from kb_service.knowledge import SearchFilters
from kb_service.routes.deps import KnowledgeBaseDep, SettingsDep
from kb_service.routes.views import article_url
from kb_service.schemas import ErrorResponse, SearchFiltersIn, SearchHit, SearchRequest, SearchResponse

router = APIRouter(tags=["search"])


@router.post(
    "/search",
    response_model=SearchResponse,
    responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
)
def search(body: SearchRequest, kb: KnowledgeBaseDep, settings: SettingsDep) -> Response:
    query = checked_query(body.query, settings)
    if not 1 <= body.top_k <= settings.max_top_k:
        raise InvalidQuery(f"top_k must be between 1 and {settings.max_top_k}")
    result = kb.search(query, top_k=body.top_k, filters=to_filters(body.filters))
    answer = SearchResponse(
        verdict=result.verdict,
        confidence=result.confidence,
        candidates=result.candidates,
        decided_by_examples=result.decided_by_examples,
        hits=[
            SearchHit(
                article_id=hit.article.id,
                title=hit.article.title,
                summary=hit.article.summary,
                url=article_url(settings, hit.article.id),
                passage=hit.passage,
                score=hit.score,
                topic=hit.article.topic,
                escalation=hit.article.escalation,
                examples=hit.votes,
                likelihood=result.likelihoods[i] if i < len(result.likelihoods) else None,
            )
            for i, hit in enumerate(result.hits)
        ],
    )
    # Serialised here, once: returning the model would make FastAPI validate it a second time
    # against response_model, which stays declared for the OpenAPI schema (see `make bench`).
    return Response(
        answer.model_dump_json(),
        media_type="application/json",
        headers={"Server-Timing": f"encode;dur={result.encode_ms:.2f}, rank;dur={result.rank_ms:.2f}"},
    )


def checked_query(text: str, settings: Settings) -> str:
    """The question with its spacing normalised; InvalidQuery when empty or too long."""
    query = " ".join(text.split())
    if not query:
        raise InvalidQuery("query must not be empty")
    if len(text) > settings.max_query_chars:
        raise InvalidQuery(f"query is longer than {settings.max_query_chars} characters")
    return query


def to_filters(filters: SearchFiltersIn | None) -> SearchFilters | None:
    if filters is None:
        return None
    topics = [filters.topic] if isinstance(filters.topic, str) else (filters.topic or [])
    return SearchFilters(
        topics=frozenset(topics),
        tags=frozenset(filters.tags or ()),
        escalation=frozenset(filters.escalation or ()),
        exclude_ids=frozenset(filters.exclude_ids or ()),
    )
