"""The article store in SQLite: one connection (WAL, synchronous=FULL) serialised by a lock, every
write one transaction, and numbered SQL migrations (`migrations/NNN_name.sql`) applied at open
and recorded in `schema_version`."""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from kb_service.articles import Article
from kb_service.errors import ArticleExists, ArticleNotFound, VersionConflict, VersionNotFound
from kb_service.store.records import Action, Change, Editor, FileMark, Status, StoredArticle, Version

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
MEMORY = ":memory:"

Clock = Callable[[], datetime]

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


class SqliteArticleStore:
    """`ArticleStore` over one SQLite file (or `:memory:`, for tools that measure the folder)."""

    def __init__(self, path: Path | str, *, clock: Clock = now) -> None:
        if str(path) != MEMORY:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.clock = clock
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- reading -------------------------------------------------------------------------------

    def is_empty(self) -> bool:
        return not self._rows("SELECT 1 FROM articles LIMIT 1")

    def find(self, article_id: str) -> StoredArticle | None:
        rows = self._rows(f"{_LATEST} WHERE a.id = ?", (article_id,))
        return _stored(rows[0]) if rows else None

    def articles(self) -> list[StoredArticle]:
        return [_stored(r) for r in self._rows(f"{_LATEST} ORDER BY a.id")]

    def version(self, article_id: str, number: int) -> Version:
        rows = self._rows("SELECT * FROM versions WHERE article_id = ? AND version = ?", (article_id, number))
        if not rows:
            if self.find(article_id) is None:
                raise ArticleNotFound(f"no article with id {article_id!r}")
            raise VersionNotFound(f"article {article_id!r} has no version {number}")
        return _version(rows[0])

    def versions(self, article_id: str) -> list[Version]:
        rows = self._rows("SELECT * FROM versions WHERE article_id = ? ORDER BY version DESC", (article_id,))
        if not rows:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        return [_version(r) for r in rows]

    def published(self) -> dict[str, tuple[Article, str]]:
        return {r["id"]: (_article(r["content"]), r["content_hash"]) for r in self._rows(_PUBLISHED)}

    def published_article(self, article_id: str) -> tuple[Article, str] | None:
        rows = self._rows(f"{_PUBLISHED} AND a.id = ?", (article_id,))
        return (_article(rows[0]["content"]), rows[0]["content_hash"]) if rows else None

    # --- writing -------------------------------------------------------------------------------

    def create(self, change: Change) -> StoredArticle:
        article_id = change.article.id
        file = change.file or FileMark(None)
        stamp = iso(self.clock())
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone():
                raise ArticleExists(f"an article with id {article_id!r} exists (perhaps deleted)")
            db.execute(
                "INSERT INTO articles (id, status, deleted, latest_version, published_version, file_hash,"
                " conflict_hash, created_at, updated_at, updated_by_id, updated_by_name)"
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
            self._insert_version(db, article_id, 1, change, stamp)
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
        with self._transaction() as db:
            # The compare-and-set: only one change based on `expected_version` can win.
            won = db.execute(
                f"UPDATE articles SET latest_version = ?, status = ?, deleted = ?,"  # noqa: S608 - fixed fragments
                f" published_version = {published}{files}, updated_at = ?, updated_by_id = ?,"
                " updated_by_name = ? WHERE id = ? AND latest_version = ?",
                params,
            ).rowcount
            if not won:
                current = db.execute(
                    "SELECT latest_version FROM articles WHERE id = ?", (article_id,)
                ).fetchone()
                if current is None:
                    raise ArticleNotFound(f"no article with id {article_id!r}")
                raise VersionConflict(
                    f"version {expected_version} of {article_id!r} is not the latest; "
                    f"it is {current[0]}: reload and apply the edit again",
                    current_version=int(current[0]),
                )
            self._insert_version(db, article_id, new, change, stamp)
        return self._get(article_id)

    def mark_file(self, article_id: str, file: FileMark) -> None:
        with self._transaction() as db:
            db.execute(
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
    def _insert_version(
        db: sqlite3.Connection, article_id: str, number: int, change: Change, at: str
    ) -> None:
        db.execute(
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

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def _migrate(self) -> None:
        """Apply, each in its own transaction, the migrations newer than the recorded version."""
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version"
            " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        current = int(self._rows("SELECT COALESCE(MAX(version), 0) FROM schema_version")[0][0])
        for version, name, sql in migrations():
            if version <= current:
                continue
            with self._transaction() as db:
                for statement in _statements(sql):
                    db.execute(statement)
                db.execute(
                    "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, iso(self.clock())),
                )
            log.info("article store migrated to %s", name)


def migrations(folder: Path = MIGRATIONS_DIR) -> list[tuple[int, str, str]]:
    """(version, name, sql) in order; versions must run 1, 2, 3... with no gap or repeat."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            raise RuntimeError(f"migration file {path.name} must be named NNN_lowercase_name.sql")
        found.append((int(match.group(1)), path.stem, path.read_text(encoding="utf-8")))
    if [v for v, _, _ in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {[v for v, _, _ in found]}")
    return found


def _statements(sql: str) -> list[str]:
    """A migration's statements, one by one (executescript would commit on its own)."""
    statements, current = [], ""
    for line in sql.splitlines():
        if line.lstrip().startswith("--"):
            continue
        current += line + "\n"
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        raise RuntimeError(f"unfinished statement in a migration: {current.strip()[:80]!r}")
    return statements


def _article(content: str) -> Article:
    return Article.model_validate_json(content)


def _stored(row: sqlite3.Row) -> StoredArticle:
    return StoredArticle(
        id=row["id"],
        status=cast(Status, row["status"]),
        deleted=bool(row["deleted"]),
        latest_version=row["latest_version"],
        published_version=row["published_version"],
        latest=_article(row["content"]),
        latest_hash=row["content_hash"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        updated_by=Editor(row["updated_by_id"], row["updated_by_name"]),
        file=FileMark(row["file_hash"], row["conflict_hash"]),
    )


def _version(row: sqlite3.Row) -> Version:
    return Version(
        article_id=row["article_id"],
        number=row["version"],
        article=_article(row["content"]),
        content_hash=row["content_hash"],
        editor=Editor(row["editor_id"], row["editor_name"]),
        action=cast(Action, row["action"]),
        at=row["at"],
    )
