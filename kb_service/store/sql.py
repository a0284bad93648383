"""The article store over sqlkit: the same SQL on SQLite (one file, the default) and PostgreSQL
(`KB_DATABASE_URL`, shared by every replica), every write one transaction, and the knowledge
service's numbered migrations (`migrations/NNN_name.sql`, articles and examples) applied at open.

A write may run inside a caller's transaction (`store.database.transaction()`), which it then
joins: editing uses that to commit a change and its notice to the other replicas together. A
constraint violation ends a PostgreSQL transaction, so nothing may go on after one: the store
turns it into `ArticleExists` and lets it propagate."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import sqlkit
from kb_service.articles import Article
from kb_service.errors import ArticleExists, ArticleNotFound, VersionConflict, VersionNotFound
from kb_service.store.records import Action, Change, Editor, FileMark, Status, StoredArticle, Version
from sqlkit import Database

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
MEMORY = ":memory:"

Clock = Callable[[], datetime]
Transaction = Any  # sqlkit's transaction handle: `execute(sql, params) -> Result`

_LATEST = (
    "SELECT a.*, v.content, v.content_hash FROM articles a"
    " JOIN versions v ON v.article_id = a.id AND v.version = a.latest_version"
)
_PUBLISHED = (
    "SELECT a.id, v.content, v.content_hash FROM articles a"
    " JOIN versions v ON v.article_id = a.id AND v.version = a.published_version"
    " WHERE a.status = 'published' AND a.deleted = 0"
)


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def open_database(target: Database | Path | str) -> Database:
    """The knowledge service's database, migrated: a `Database`, a SQLite path (or `:memory:`)
    or a `postgresql://` URL."""
    database = target if isinstance(target, Database) else sqlkit.connect(target)
    database.migrate(MIGRATIONS_DIR)
    return database


class SqlArticleStore:
    """`ArticleStore` over a sqlkit `Database`; given a path or URL it opens (and closes) its own."""

    def __init__(self, target: Database | Path | str, *, clock: Clock = now) -> None:
        self._owned = not isinstance(target, Database)
        self.database = open_database(target)
        self.clock = clock

    def close(self) -> None:
        if self._owned:
            self.database.close()

    # --- reading -------------------------------------------------------------------------------

    def is_empty(self) -> bool:
        return not self.database.rows("SELECT 1 FROM articles LIMIT 1")

    def find(self, article_id: str) -> StoredArticle | None:
        rows = self.database.rows(f"{_LATEST} WHERE a.id = ?", (article_id,))
        return _stored(rows[0]) if rows else None

    def articles(self) -> list[StoredArticle]:
        return [_stored(r) for r in self.database.rows(f"{_LATEST} ORDER BY a.id")]

    def version(self, article_id: str, number: int) -> Version:
        rows = self.database.rows(
            "SELECT * FROM versions WHERE article_id = ? AND version = ?", (article_id, number)
        )
        if not rows:
            if self.find(article_id) is None:
                raise ArticleNotFound(f"no article with id {article_id!r}")
            raise VersionNotFound(f"article {article_id!r} has no version {number}")
        return _version(rows[0])

    def versions(self, article_id: str) -> list[Version]:
        rows = self.database.rows(
            "SELECT * FROM versions WHERE article_id = ? ORDER BY version DESC", (article_id,)
        )
        if not rows:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        return [_version(r) for r in rows]

    def published(self) -> dict[str, tuple[Article, str]]:
        return {r["id"]: (_article(r["content"]), r["content_hash"]) for r in self.database.rows(_PUBLISHED)}

    def published_article(self, article_id: str) -> tuple[Article, str] | None:
        rows = self.database.rows(f"{_PUBLISHED} AND a.id = ?", (article_id,))
        return (_article(rows[0]["content"]), rows[0]["content_hash"]) if rows else None

    # --- writing -------------------------------------------------------------------------------

    def create(self, change: Change) -> StoredArticle:
        article_id = change.article.id
        file = change.file or FileMark(None)
        stamp = iso(self.clock())
        taken = f"an article with id {article_id!r} exists (perhaps deleted)"
        try:
            with self.database.transaction() as tx:
                if tx.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone():
                    raise ArticleExists(taken)
                tx.execute(
                    "INSERT INTO articles (id, status, deleted, latest_version, published_version,"
                    " file_hash, conflict_hash, created_at, updated_at, updated_by_id, updated_by_name)"
                    " VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        article_id,
                        change.status,
                        int(change.deleted),
                        1 if change.publish == "new" else None,
                        file.file_hash,
                        file.conflict_hash,
                        stamp,
                        stamp,
                        change.editor.id,
                        change.editor.name,
                    ),
                )
                self._insert_version(tx, article_id, 1, change, stamp)
        except sqlkit.IntegrityError as e:  # created at the same moment elsewhere (another replica)
            raise ArticleExists(taken) from e
        return self._get(article_id)

    def append(self, article_id: str, change: Change, *, expected_version: int) -> StoredArticle:
        if change.article.id != article_id:
            raise ValueError(f"a version of {change.article.id!r} cannot be added to {article_id!r}")
        stamp = iso(self.clock())
        new = expected_version + 1
        published = {"new": "?", "keep": "published_version", "none": "NULL"}[change.publish]
        params: list[Any] = [new, change.status, int(change.deleted)]
        params += [new] if change.publish == "new" else []
        files = ""
        if change.file is not None:
            files = ", file_hash = ?, conflict_hash = ?"
            params += [change.file.file_hash, change.file.conflict_hash]
        params += [stamp, change.editor.id, change.editor.name, article_id, expected_version]
        with self.database.transaction() as tx:
            # The compare-and-set: only one change based on `expected_version` can win (on
            # PostgreSQL a second UPDATE of the row waits for the first to commit, then finds
            # `latest_version` moved on and changes nothing).
            won = tx.execute(
                f"UPDATE articles SET latest_version = ?, status = ?, deleted = ?,"  # noqa: S608 - fixed fragments
                f" published_version = {published}{files}, updated_at = ?, updated_by_id = ?,"
                " updated_by_name = ? WHERE id = ? AND latest_version = ?",
                params,
            ).rowcount
            if not won:
                current = tx.execute(
                    "SELECT latest_version FROM articles WHERE id = ?", (article_id,)
                ).fetchone()
                if current is None:
                    raise ArticleNotFound(f"no article with id {article_id!r}")
                raise VersionConflict(
                    f"version {expected_version} of {article_id!r} is not the latest; "
                    f"it is {current[0]}: reload and apply the edit again",
                    current_version=int(current[0]),
                )
            self._insert_version(tx, article_id, new, change, stamp)
        return self._get(article_id)

    def mark_file(self, article_id: str, file: FileMark) -> None:
        with self.database.transaction() as tx:
            tx.execute(
                "UPDATE articles SET file_hash = ?, conflict_hash = ? WHERE id = ?",
                (file.file_hash, file.conflict_hash, article_id),
            )

    # --- internals -----------------------------------------------------------------------------

    def _get(self, article_id: str) -> StoredArticle:
        stored = self.find(article_id)
        if stored is None:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        return stored

    @staticmethod
    def _insert_version(tx: Transaction, article_id: str, number: int, change: Change, at: str) -> None:
        tx.execute(
            "INSERT INTO versions (article_id, version, content, content_hash, editor_id, editor_name,"
            " action, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                article_id,
                number,
                change.article.model_dump_json(),
                change.article.content_hash,
                change.editor.id,
                change.editor.name,
                change.action,
                at,
            ),
        )


def _article(content: str) -> Article:
    return Article.model_validate_json(content)


def _stored(row: Any) -> StoredArticle:
    return StoredArticle(
        id=row["id"],
        status=cast(Status, row["status"]),
        deleted=bool(row["deleted"]),
        latest_version=int(row["latest_version"]),
        published_version=None if row["published_version"] is None else int(row["published_version"]),
        latest=_article(row["content"]),
        latest_hash=row["content_hash"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        updated_by=Editor(row["updated_by_id"], row["updated_by_name"]),
        file=FileMark(row["file_hash"], row["conflict_hash"]),
    )


def _version(row: Any) -> Version:
    return Version(
        article_id=row["article_id"],
        number=int(row["version"]),
        article=_article(row["content"]),
        content_hash=row["content_hash"],
        editor=Editor(row["editor_id"], row["editor_name"]),
        action=cast(Action, row["action"]),
        at=row["at"],
    )
