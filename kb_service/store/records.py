"""What the article store holds, and the `ArticleStore` protocol every implementation keeps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from kb_service.articles import Article
from sqlkit import Database

Status = Literal["draft", "published", "archived"]
Action = Literal[
    "create", "edit", "publish", "unpublish", "archive", "delete", "restore", "import", "import_conflict"
]
# What a change does to `published_version`: point it at the new version, keep it, or clear it.
Publish = Literal["new", "keep", "none"]


@dataclass(frozen=True, slots=True)
class Editor:
    """Who made a change: the desk's staff id and name, or `token` for scripts."""

    id: str
    name: str


TOKEN_EDITOR = Editor("token", "token")
IMPORT_EDITOR = Editor("import", "import")


@dataclass(frozen=True, slots=True)
class FileMark:
    """The article's file as the store last saw it: `file_hash` is the content both last agreed
    on (imported or exported, their common version); `conflict_hash` a file content imported
    as a conflicting draft, so the same file is not imported again."""

    file_hash: str | None
    conflict_hash: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """One new version: its content, who and why, and the article's state after it."""

    article: Article
    action: Action
    editor: Editor
    status: Status
    publish: Publish
    deleted: bool = False
    file: FileMark | None = None  # None: the file bookkeeping stays as it was


@dataclass(frozen=True, slots=True)
class Version:
    article_id: str
    number: int
    article: Article
    content_hash: str
    editor: Editor
    action: Action
    at: str


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article's state and its latest version's content."""

    id: str
    status: Status
    deleted: bool
    latest_version: int
    published_version: int | None
    latest: Article
    latest_hash: str
    created_at: str
    updated_at: str
    updated_by: Editor
    file: FileMark

    @property
    def has_draft(self) -> bool:
        """Whether the latest version is one readers do not see yet."""
        if self.deleted or self.status == "archived":
            return False
        return self.status == "draft" or self.latest_version != self.published_version


class ArticleStore(Protocol):
    """The store of record for articles: every version, the status, the file bookkeeping.

    Each write is one transaction. `append` is a compare-and-set on the latest version, so of
    two changes based on the same version one wins and the other gets `VersionConflict`.
    Writes inside a `database.transaction()` join it (a change and its notice to the other
    replicas commit together)."""

    database: Database

    def is_empty(self) -> bool: ...

    def find(self, article_id: str) -> StoredArticle | None:
        """The article, deleted ones included; None when the id was never used."""
        ...

    def articles(self) -> list[StoredArticle]:
        """Every article, deleted ones included, by id."""
        ...

    def version(self, article_id: str, number: int) -> Version: ...

    def versions(self, article_id: str) -> list[Version]:
        """Newest first."""
        ...

    def published(self) -> dict[str, tuple[Article, str]]:
        """What readers see: each published article's published content and its hash."""
        ...

    def published_article(self, article_id: str) -> tuple[Article, str] | None: ...

    def create(self, change: Change) -> StoredArticle:
        """Version 1 of a new article; `ArticleExists` when the id is taken."""
        ...

    def append(self, article_id: str, change: Change, *, expected_version: int) -> StoredArticle:
        """Version `expected_version + 1`, if `expected_version` is still the latest."""
        ...

    def mark_file(self, article_id: str, file: FileMark) -> None: ...

    def close(self) -> None: ...
