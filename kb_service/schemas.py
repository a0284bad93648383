"""Request and response bodies of the HTTP API: the documented contract other services use."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kb_service.articles import SLUG, Escalation


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SearchFiltersIn(_Strict):
    topic: str | list[str] | None = Field(
        None, description="Only articles with this topic (or any of these)."
    )
    tags: list[str] | None = Field(None, description="Only articles carrying at least one of these tags.")
    escalation: list[Escalation] | None = Field(
        None, description="Only articles with these escalation levels."
    )
    exclude_ids: list[str] | None = Field(None, description="Leave these articles out (e.g. already shown).")


class SearchRequest(_Strict):
    query: str = Field(description="The customer's question, as typed.")
    top_k: int = Field(5, description="How many hits to return (1 to KB_MAX_TOP_K).")
    filters: SearchFiltersIn | None = None


class SearchHit(BaseModel):
    article_id: str
    title: str
    summary: str
    url: str
    passage: str = Field(description="The article's passage closest to the query.")
    score: float = Field(description="Fused relevance score; comparable only within one service version.")
    topic: str
    escalation: Escalation


class SearchResponse(BaseModel):
    verdict: Literal["answer", "clarify", "none"] = Field(
        description="answer: the top hit is confident; clarify: the top hits are too close to "
        "tell apart; none: nothing is confident."
    )
    hits: list[SearchHit]


class ArticleSummary(BaseModel):
    id: str
    title: str
    summary: str
    topic: str
    tags: list[str]
    escalation: Escalation
    updated: dt.date
    url: str


class ArticleDetail(ArticleSummary):
    questions: list[str]
    body: str


class ArticleIn(_Strict):
    """An article as an editor sends it; `id` comes from the path."""

    title: str
    summary: str
    topic: str
    tags: list[str] = []
    escalation: Escalation = "none"
    questions: list[str] = []
    body: str
    updated: dt.date | None = Field(None, description="Defaults to today.")


class ReloadReport(BaseModel):
    embedded: list[str]
    removed: list[str]
    reused: int
    seconds: float


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


SLUG_PATTERN = SLUG
