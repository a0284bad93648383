"""Editing articles: each change is a new version in the store (one transaction, which also
announces a change readers see to the other replicas), then the live index is brought in line
with the store (`KnowledgeBase.refresh`), then saved. A crash between those steps is repaired at
the next start, which syncs the index from the store.

Every change, status changes included, makes a new version, so the version an editor's next
edit is based on is the one the last response named. A status change to the status the article
already has is no change (no new version).
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from kb_service.articles import Article, field_errors
from kb_service.changes import IMPORT
from kb_service.errors import ArticleNotFound, InvalidArticle, VersionConflict
from kb_service.folder import ImportReport, import_folder
from kb_service.knowledge import KnowledgeBase
from kb_service.schemas import ArticleIn
from kb_service.store import ArticleStore, Change, Editor, Publish, Status, StoredArticle

StatusAction = Literal["publish", "unpublish", "archive"]
# What each status action leads to, from any status (a deleted article is restored instead).
TARGET: dict[StatusAction, Status] = {"publish": "published", "unpublish": "draft", "archive": "archived"}


def build_article(article_id: str, data: ArticleIn, *, prefix: str = "") -> Article:
    """The article an editor sent, validated; `updated` defaults to today."""
    fields = data.model_dump()
    fields["updated"] = fields["updated"] or dt.datetime.now(dt.UTC).date()
    try:
        return Article(id=article_id, **fields)
    except ValidationError as e:
        named = field_errors(e.errors(), prefix=prefix)
        message = "; ".join(f"{name}: {problem}" for name, problem in named.items())
        raise InvalidArticle(f"invalid article: {message}", fields=named) from e


def current(store: ArticleStore, article_id: str) -> StoredArticle:
    """The article, unless it never existed or is deleted."""
    stored = store.find(article_id)
    if stored is None or stored.deleted:
        raise ArticleNotFound(f"no article with id {article_id!r}")
    return stored


def create_article(kb: KnowledgeBase, *, article_id: str, data: ArticleIn, editor: Editor) -> StoredArticle:
    """Version 1, a draft: nobody reads it until it is published."""
    article = build_article(article_id, data)
    created = kb.store.create(Change(article, "create", editor, "draft", "none"))
    kb.prepare(article)
    return created


def update_article(
    kb: KnowledgeBase,
    *,
    article_id: str,
    data: ArticleIn,
    base_version: int,
    as_draft: bool,
    editor: Editor,
) -> StoredArticle:
    """A new version based on `base_version`, which must be the latest (else VersionConflict,
    nothing written). A published article's edit goes live at once unless `as_draft`."""
    stored = current(kb.store, article_id)
    if base_version != stored.latest_version:
        raise VersionConflict(
            f"this edit is based on version {base_version} of {article_id!r}, but version "
            f"{stored.latest_version} is the latest: reload it and apply the edit again",
            current_version=stored.latest_version,
        )
    article = build_article(article_id, data)
    live = stored.status == "published" and not as_draft
    change = Change(article, "edit", editor, stored.status, "new" if live else "keep")
    if live:
        return _live_change(kb, article_id, change, expected_version=base_version)
    saved = kb.store.append(article_id, change, expected_version=base_version)
    kb.prepare(article)
    return saved


def change_status(
    kb: KnowledgeBase, *, article_id: str, action: StatusAction, editor: Editor, version: int | None = None
) -> StoredArticle:
    """Publish (the latest version, or `version`), unpublish (back to draft) or archive."""
    stored = current(kb.store, article_id)
    target = TARGET[action]
    content = kb.store.version(article_id, version).article if version else stored.latest
    chosen = version or stored.latest_version
    already = stored.status == target and (
        target != "published" or (chosen == stored.latest_version == stored.published_version)
    )
    if already:
        return stored
    publish: Publish = "new" if target == "published" else "none"
    change = Change(content, action, editor, target, publish)
    return _live_change(kb, article_id, change, expected_version=stored.latest_version)


def delete_article(kb: KnowledgeBase, *, article_id: str, editor: Editor) -> StoredArticle:
    """Gone from search and every list; its versions stay, and a restore brings it back."""
    stored = current(kb.store, article_id)
    change = Change(stored.latest, "delete", editor, "draft", "none", deleted=True)
    return _live_change(kb, article_id, change, expected_version=stored.latest_version)


def restore_version(kb: KnowledgeBase, *, article_id: str, version: int, editor: Editor) -> StoredArticle:
    """A new version with `version`'s content: live when the article is published, a draft
    when it was deleted."""
    stored = kb.store.find(article_id)
    if stored is None:
        raise ArticleNotFound(f"no article with id {article_id!r}")
    content = kb.store.version(article_id, version).article
    live = stored.status == "published" and not stored.deleted
    status: Status = "draft" if stored.deleted else stored.status
    change = Change(content, "restore", editor, status, "new" if live else "keep", deleted=False)
    if live:
        return _live_change(kb, article_id, change, expected_version=stored.latest_version)
    saved = kb.store.append(article_id, change, expected_version=stored.latest_version)
    kb.prepare(content)
    return saved


def import_articles(kb: KnowledgeBase, *, directory: Path, editor: Editor) -> ImportReport:
    """Import a folder by the rule in kb_service/folder.py, live at once: the import (all or
    nothing) and its notice to the other replicas in one transaction, then this replica's index."""
    with kb.store.database.transaction():
        report = import_folder(kb.store, directory, editor=editor)
        if report.touched:
            kb.announce(IMPORT)
    kb.sync_from_store()
    return report


def _live_change(
    kb: KnowledgeBase, article_id: str, change: Change, *, expected_version: int
) -> StoredArticle:
    """A change readers see: the new version and its notice to the other replicas commit in one
    transaction (they re-read the article once it is committed), then this replica's index."""
    with kb.store.database.transaction():
        saved = kb.store.append(article_id, change, expected_version=expected_version)
        kb.announce(change.action, article_id=article_id, version=saved.latest_version)
    kb.refresh([article_id])
    return saved


@dataclass(frozen=True, slots=True)
class Diff:
    before: int
    after: int
    fields: dict[str, dict[str, Any]]  # name -> {"before", "after"}, changed fields only
    body: list[str]  # unified diff of the Markdown bodies


def diff_versions(store: ArticleStore, *, article_id: str, before: int, after: int) -> Diff:
    old, new = store.version(article_id, before).article, store.version(article_id, after).article
    old_fields = old.model_dump(mode="json", exclude={"id", "body"})
    new_fields = new.model_dump(mode="json", exclude={"id", "body"})
    changed = {
        name: {"before": old_fields[name], "after": new_fields[name]}
        for name in old_fields
        if old_fields[name] != new_fields[name]
    }
    body = difflib.unified_diff(
        old.body.splitlines(),
        new.body.splitlines(),
        fromfile=f"version {before}",
        tofile=f"version {after}",
        lineterm="",
    )
    return Diff(before, after, changed, list(body))
