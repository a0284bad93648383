"""The store of record for articles: every version and status, behind the `ArticleStore` protocol,
over sqlkit (SQLite by default, PostgreSQL for replicas)."""

from __future__ import annotations

from pathlib import Path

from kb_service.store.records import (
    IMPORT_EDITOR,
    TOKEN_EDITOR,
    Action,
    ArticleStore,
    Change,
    Editor,
    FileMark,
    Publish,
    Status,
    StoredArticle,
    Version,
)
from kb_service.store.sql import SqlArticleStore, open_database

__all__ = [
    "IMPORT_EDITOR",
    "TOKEN_EDITOR",
    "Action",
    "ArticleStore",
    "Change",
    "Editor",
    "FileMark",
    "Publish",
    "SqlArticleStore",
    "Status",
    "StoredArticle",
    "Version",
    "open_database",
    "store_path",
]


def store_path(data_dir: Path, configured: Path | None) -> Path:
    """`KB_STORE_PATH` when set, else `articles.sqlite3` in the data folder."""
    return configured or data_dir / "articles.sqlite3"
