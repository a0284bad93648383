"""Request and response bodies of the HTTP API: the documented contract other services use."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

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
    examples: int = Field(0, description="How many of the nearest past examples name this article.")
    likelihood: float | None = Field(
        None,
        description="Calibrated probability that this hit is the right article: the confidence for "
        "the first hit, the runner-up model's for the next three, null further down (or with no "
        "runner-up model fitted).",
    )


class SearchResponse(BaseModel):
    verdict: Literal["answer", "clarify", "none"] = Field(
        description="answer: the first hit is probably right; clarify: it is plausible, ask "
        "among `candidates`; none: nothing matched confidently."
    )
    confidence: float = Field(0.0, description="Calibrated probability that the first hit is right.")
    candidates: list[str] = Field(
        [], description="With clarify: the article ids that compete (the first, and any close to it)."
    )
    decided_by_examples: bool = Field(
        False, description="Past examples put the first hit ahead of what the articles alone ranked first."
    )
    hits: list[SearchHit]


class ExampleIn(_Strict):
    text: str = Field(min_length=1, max_length=2000, description="The customer's words, as typed.")
    article_id: str | None = Field(None, max_length=80, description="The article that answered it...")
    topic: str | None = Field(None, max_length=80, description="...or that article's topic.")


class ExamplesIn(_Strict):
    source: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$",
        description="Where they come from, e.g. 'history-2025'; 'confirmed_answers' and "
        "'agent_resolved' are the live sources.",
    )
    examples: list[ExampleIn]


class ExamplesAdded(BaseModel):
    added: int
    skipped: int = Field(description="Duplicates, empty texts and unknown articles or topics.")
    status: Literal["approved", "candidate"]
    problems: list[str] = Field([], description="The first few reasons examples were skipped.")


class ExampleOut(BaseModel):
    id: int
    source: str
    text: str = Field(description="Masked: card numbers, emails and phone numbers are placeholders.")
    article_id: str
    status: Literal["approved", "candidate", "rejected"]
    created: str


class ExamplePage(BaseModel):
    examples: list[ExampleOut]
    total: int


class ExamplesRemoved(BaseModel):
    removed: int


class ExampleIds(_Strict):
    ids: list[int] = Field(min_length=1, max_length=1000, description="The examples to decide on.")


class ExamplesDecided(BaseModel):
    changed: list[int] = Field(description="The examples whose status this request changed.")
    status: Literal["approved", "rejected"]
    missing: list[int] = Field([], description="Ids that name no example.")


class ClusterIn(_Strict):
    texts: list[Annotated[str, Field(min_length=1, max_length=1000)]] = Field(
        min_length=1,
        max_length=2000,
        description="Customer questions (masked by the sender) to group by meaning.",
    )
    max_distance: float | None = Field(
        None, gt=0.0, le=2.0, description="Cosine distance cut; default KB_CLUSTER_DISTANCE."
    )


class NearArticleOut(BaseModel):
    article_id: str
    title: str
    score: float = Field(description="Cosine between the group's centre and the article's closest passage.")


class ClusterGroup(BaseModel):
    members: list[int] = Field(description="Indexes into `texts`.")
    articles: list[NearArticleOut] = Field(description="The three published articles nearest the group.")


class ClusterOut(BaseModel):
    groups: list[ClusterGroup] = Field(description="Largest first; every text is in exactly one group.")


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
    """An article as an editor sends it; `id` comes from the path (or, creating, the body)."""

    title: str
    summary: str
    topic: str
    tags: list[str] = []
    escalation: Escalation = "none"
    questions: list[str] = Field([], description="How customers ask this, in their words.")
    body: str = Field(description="Markdown.")
    updated: dt.date | None = Field(None, description="Defaults to today.")
    review_by: dt.date | None = Field(None, description="When an editor should look at it again.")


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


SLUG_PATTERN = SLUG
