"""Request and response bodies of the editing API (docs/contracts/kb-editing.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kb_service.articles import SLUG
from kb_service.schemas import ArticleIn, ArticleSummary

StatusOut = Literal["draft", "published", "archived"]


class ArticleCreate(ArticleIn):
    id: str = Field(pattern=SLUG, max_length=80, description="A lowercase slug; never reused.")


class ArticleUpdate(ArticleIn):
    base_version: int = Field(ge=1, description="The version this edit started from (the latest).")
    as_draft: bool = Field(
        False, description="Keep a published article's readers on the published version until publish."
    )


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(None, ge=1, description="The version to publish; default the latest.")


class ArticleState(BaseModel):
    """Where an article stands after a change."""

    id: str
    version: int = Field(description="The latest version: base the next edit on it.")
    status: StatusOut
    published_version: int | None = Field(description="The version readers see; null when none.")
    has_draft: bool


class EditorArticleSummary(ArticleSummary):
    status: StatusOut
    version: int
    published_version: int | None
    has_draft: bool
    deleted: bool = False
    review_by: dt.date | None
    updated_at: str = Field(description="When the last version was made (UTC, ISO 8601).")
    updated_by: str = Field(description="Who made it (the editor's name).")
    updated_by_id: str


class EditorArticleDetail(EditorArticleSummary):
    questions: list[str]
    body: str


class VersionOut(BaseModel):
    version: int
    editor_id: str
    editor: str
    action: str = Field(
        description="create, edit, publish, unpublish, archive, delete, restore, import or import_conflict."
    )
    at: str
    content_hash: str


class VersionDetail(ArticleIn):
    model_config = ConfigDict(extra="ignore")

    id: str
    version: int
    editor_id: str
    editor: str
    action: str
    at: str


class FieldChange(BaseModel):
    before: Any
    after: Any


class DiffOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: int = Field(alias="from")
    to: int
    fields: dict[str, FieldChange] = Field(description="Changed front-matter fields only.")
    body: list[str] = Field(description="A unified diff of the Markdown bodies, line by line.")


class TryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="A customer's question, as typed.")
    draft: ArticleIn


class TryHit(BaseModel):
    article_id: str
    title: str
    score: float
    rank: int


class Outcome(BaseModel):
    verdict: Literal["answer", "clarify", "none"]
    confidence: float
    hits: list[TryHit]
    article_rank: int | None = Field(description="Where the tried article ranks (1 is first); null: not.")


class TryOut(BaseModel):
    now: Outcome
    with_draft: Outcome


class ImportOut(BaseModel):
    created: list[str]
    updated: list[str]
    unchanged: int
    kept: list[str] = Field(description="Only the store changed: the file is out of date (export).")
    conflicts: list[str] = Field(
        description="Both changed: the file is now a draft beside the store's version."
    )
    pending: list[str] = Field(description="Conflicts imported earlier and not resolved yet.")
    problems: list[str]
