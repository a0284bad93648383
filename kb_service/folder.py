"""Import and export: the Markdown files of a knowledge folder and the article store.

The store remembers, per article, the content of the file it last imported or exported: the
common version of file and store. Nothing is overwritten silently either way:

| file since the common version | store since it | import                                      |
|-------------------------------|----------------|---------------------------------------------|
| unchanged                     | any            | skipped                                     |
| changed                       | unchanged      | a new version (published if the article is) |
| changed                       | changed, same  | nothing to do: they agree (new common)      |
| changed                       | changed        | conflict: the file becomes a new draft      |
|                               |                | version beside the store's (both kept)      |

A file with no article in the store creates it, published. Export writes each published
article's published version, and removes the file of an article no longer published; it skips
(reports) a file changed since the common version unless forced: import that first.
Contents are compared by their canonical hash (`Article.content_hash`), so reformatting a file
is no change.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

from kb_service.articles import Article, read_article_file, read_folder, write_article_file
from kb_service.errors import VersionConflict
from kb_service.store import (
    IMPORT_EDITOR,
    ArticleStore,
    Change,
    Editor,
    FileMark,
    SqlArticleStore,
    StoredArticle,
)

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # a new version from the file
    unchanged: list[str] = field(default_factory=list)  # the file is the common version (or agrees)
    kept: list[str] = field(default_factory=list)  # only the store changed: export to update the file
    conflicts: list[str] = field(default_factory=list)  # both changed: the file is now a draft version
    pending: list[str] = field(default_factory=list)  # a conflict imported before, still unresolved
    problems: list[str] = field(default_factory=list)  # files that are not valid articles

    @property
    def touched(self) -> list[str]:
        """The articles whose published content may have changed (for the index)."""
        return self.created + self.updated

    def lines(self) -> list[str]:
        return _lines(self)


@dataclass(slots=True)
class ExportReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # files of articles no longer published
    skipped: list[str] = field(default_factory=list)  # files changed since the common version

    def lines(self) -> list[str]:
        return _lines(self)


def import_folder(store: ArticleStore, directory: Path, *, editor: Editor = IMPORT_EDITOR) -> ImportReport:
    """Bring the folder's articles into the store by the rule in this module's docstring."""
    articles, problems = read_folder(directory)
    report = ImportReport(problems=problems)
    for article in articles.values():
        try:
            _import_one(store, article, editor, report)
        except VersionConflict:
            report.problems.append(f"{article.id}: edited while importing; import again")
    for problem in report.problems:
        log.warning("import: %s", problem)
    return report


def folder_store(directory: Path) -> SqlArticleStore:
    """An in-memory store holding the folder's articles as they are, each published: for tools
    that measure the articles in git (evaluation, calibration, benchmarks), not an editor's."""
    store = SqlArticleStore(":memory:")
    import_folder(store, directory)
    return store


# The job name of the first start's import (a PostgreSQL advisory lock among the replicas).
FIRST_IMPORT = "kb-first-import"


def import_on_first_start(
    store: ArticleStore, directory: Path, *, timeout: float = 300.0, poll: float = 0.2
) -> ImportReport | None:
    """Import the folder into an empty store, once even when several replicas start together on
    one database: the replica holding the job imports, in one transaction; the others wait
    until it is done (or it died, when the lock is freed and the store still empty) and find the
    articles there. The report, or None when the store already held articles."""
    deadline = time.monotonic() + timeout
    while True:
        with store.database.try_singleton(FIRST_IMPORT) as mine:
            if mine:
                if not store.is_empty():
                    return None
                with store.database.transaction():
                    return import_folder(store, directory)
        if time.monotonic() > deadline:
            raise TimeoutError(f"another replica held the first import for over {timeout:.0f} s")
        time.sleep(poll)


def _import_one(store: ArticleStore, article: Article, editor: Editor, report: ImportReport) -> None:
    digest = article.content_hash
    current = store.find(article.id)
    if current is None:
        store.create(Change(article, "import", editor, "published", "new", file=FileMark(digest)))
        report.created.append(article.id)
        return
    common = current.file.file_hash
    store_changed = current.deleted or current.latest_hash != common
    if digest == common:
        (report.kept if store_changed else report.unchanged).append(article.id)
        return
    if digest == current.file.conflict_hash:
        report.pending.append(article.id)
        return
    if not store_changed:
        live = current.status == "published"
        change = Change(
            article, "import", editor, current.status, "new" if live else "keep", file=FileMark(digest)
        )
        store.append(article.id, change, expected_version=current.latest_version)
        report.updated.append(article.id)
    elif digest == current.latest_hash:
        store.mark_file(article.id, FileMark(digest))
        report.unchanged.append(article.id)
    else:
        store.append(article.id, _conflict(current, article, editor), expected_version=current.latest_version)
        report.conflicts.append(article.id)


def _conflict(current: StoredArticle, article: Article, editor: Editor) -> Change:
    """The file's content as a new draft version; what readers see stays. A deleted article
    comes back as a draft, for an editor to compare."""
    status = "draft" if current.deleted else current.status
    file = FileMark(current.file.file_hash, conflict_hash=article.content_hash)
    return Change(article, "import_conflict", editor, status, "keep", deleted=False, file=file)


def export_folder(store: ArticleStore, directory: Path, *, force: bool = False) -> ExportReport:
    """Write each published article to `<id>.md` and remove the files of articles no longer
    published; a file changed since the common version is skipped unless `force`."""
    directory.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    for current in store.articles():
        path = directory / f"{current.id}.md"
        on_disk = _file_hash(path)
        changed_on_disk = path.exists() and on_disk != current.file.file_hash
        published = store.published_article(current.id)
        if published is not None:
            article, digest = published
            if on_disk == digest:
                report.unchanged.append(current.id)
            elif changed_on_disk and not force:
                report.skipped.append(current.id)
                continue
            else:
                write_article_file(directory, article)
                report.written.append(current.id)
            store.mark_file(current.id, FileMark(digest))
        elif path.exists():
            if changed_on_disk and not force:
                report.skipped.append(current.id)
                continue
            path.unlink()
            store.mark_file(current.id, FileMark(None))
            report.removed.append(current.id)
        elif current.file.file_hash is not None:
            store.mark_file(current.id, FileMark(None))
    for article_id in report.skipped:
        log.warning("export: %s.md changed since the last import or export; import it first", article_id)
    return report


def _file_hash(path: Path) -> str | None:
    """The content hash of the article in `path`; None when there is none, "unreadable" when
    the file is not a valid article (which counts as a change)."""
    if not path.exists():
        return None
    article = read_article_file(path)
    return "unreadable" if isinstance(article, str) else article.content_hash


def _lines(report: ImportReport | ExportReport) -> list[str]:
    """One line per kind of outcome; every conflict, skip and problem is named."""
    lines = []
    for kind in fields(report):
        items: list[str] = getattr(report, kind.name)
        if not items:
            continue
        if kind.name == "problems":
            lines += [f"problem: {p}" for p in items]
            continue
        shown = items if kind.name in {"conflicts", "pending", "kept", "skipped"} else items[:10]
        more = f" (+{len(items) - len(shown)} more)" if len(items) > len(shown) else ""
        lines.append(f"{kind.name} ({len(items)}): {', '.join(shown)}{more}")
    return lines or ["nothing to do"]
