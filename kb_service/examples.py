"""Past examples: a customer's phrasing and the article that answered it.

They come from imported history (approved at once), and from live conversations: questions a
customer confirmed as answered, and conversations an agent resolved with an article. Live ones
are candidates until an editor approves them, so nobody can teach the assistant by chatting.
Texts are masked (card numbers, emails, phones) before anything stores them, and deduplicated
per article. Approved examples sit in a FAISS index; their nearest neighbours vote in ranking.
An example whose article is deleted is kept (and ignored) so that restoring the article
restores what it learned.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from kb_service.articles import Article
from kb_service.embedder import Embedder, Vectors
from kb_service.errors import ExampleNotFound
from kb_service.index import VectorIndex
from kb_service.masking import mask_personal_data

Status = Literal["approved", "candidate", "rejected"]
# Sources fed by live conversations; what they send waits for an editor.
LIVE_SOURCES = frozenset({"confirmed_answers", "agent_resolved"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS examples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    text TEXT NOT NULL,
    text_key TEXT NOT NULL,
    article_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created TEXT NOT NULL,
    model TEXT NOT NULL,
    vector BLOB NOT NULL,
    UNIQUE (text_key, article_id)
);
CREATE INDEX IF NOT EXISTS examples_source ON examples (source, status);
"""


@dataclass(frozen=True, slots=True)
class Example:
    id: int
    source: str
    text: str
    article_id: str
    status: Status
    created: str


@dataclass(frozen=True, slots=True)
class AddReport:
    added: int
    skipped: int


def text_key(text: str) -> str:
    """What makes two phrasings the same example: case and spacing do not count."""
    return " ".join(text.lower().split())


class ExampleBook:
    """The examples in SQLite plus an in-memory FAISS index of the approved ones' vectors."""

    def __init__(self, path: Path, embedder: Embedder) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.RLock()
        self._index = VectorIndex(embedder.dimension)
        self._article_of: dict[int, str] = {}

    def open(self) -> None:
        """Index the approved examples; re-embed any stored by another model."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, text, article_id, model, vector FROM examples WHERE status = 'approved'"
            ).fetchall()
        stale = {r[0]: r[1] for r in rows if r[3] != self.embedder.name}
        renewed: dict[int, bytes] = {}
        if stale:
            vectors = self.embedder.encode(list(stale.values()))
            renewed = {i: v.tobytes() for i, v in zip(stale, vectors, strict=True)}
            with self._lock:
                self._db.executemany(
                    "UPDATE examples SET model = ?, vector = ? WHERE id = ?",
                    [(self.embedder.name, blob, i) for i, blob in renewed.items()],
                )
        with self._lock:
            self._index = VectorIndex(self.embedder.dimension)
            self._article_of = {}
            self._index_rows([(r[0], r[2], renewed.get(r[0], r[4])) for r in rows])

    def __len__(self) -> int:
        return len(self._article_of)

    def close(self) -> None:
        self._db.close()

    # --- writing -----------------------------------------------------------------------------

    def add(self, source: str, items: Iterable[tuple[str, str]], *, status: Status) -> AddReport:
        """Store (text, article_id) pairs, masked; a pair already held (or repeated) is skipped."""
        fresh: dict[tuple[str, str], str] = {}
        skipped = 0
        for raw, article_id in items:
            text = mask_personal_data(" ".join(raw.split()))
            key = (text_key(text), article_id)
            if not key[0] or key in fresh:
                skipped += 1
                continue
            fresh[key] = text
        with self._lock:
            held = {
                (k, a)
                for k, a in self._db.execute(
                    "SELECT text_key, article_id FROM examples"
                    " WHERE text_key IN (SELECT value FROM json_each(?))",
                    (json.dumps([k for k, _ in fresh]),),
                )
            }
        todo = [(key, text) for key, text in fresh.items() if key not in held]
        skipped += len(fresh) - len(todo)
        if not todo:
            return AddReport(0, skipped)
        # Embedding is the slow part: outside the lock, so searches go on meanwhile.
        vectors = self.embedder.encode([text for _, text in todo])
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        added: list[tuple[int, str, bytes]] = []
        with self._lock:
            self._db.execute("BEGIN")
            try:
                for ((key_text, article_id), text), vector in zip(todo, vectors, strict=True):
                    blob = vector.tobytes()
                    cursor = self._db.execute(
                        "INSERT OR IGNORE INTO examples"
                        " (source, text, text_key, article_id, status, created, model, vector)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            source,
                            text,
                            key_text,
                            article_id,
                            status,
                            now,
                            self.embedder.name,
                            blob,
                        ),
                    )
                    if cursor.rowcount == 1 and cursor.lastrowid is not None:
                        added.append((cursor.lastrowid, article_id, blob))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            if status == "approved":
                self._index_rows(added)
        return AddReport(len(added), skipped + len(todo) - len(added))

    def decide(
        self, example_ids: Iterable[int], status: Literal["approved", "rejected"]
    ) -> tuple[list[int], list[int]]:
        """Approve or reject examples in bulk: (the ids whose status changed, the ids that name no
        example). A rejected example stays stored, so the same live phrasing does not come back
        as a candidate, and never votes; approving it later brings it back."""
        wanted = list(dict.fromkeys(example_ids))
        with self._lock:
            rows = self._db.execute(
                "SELECT id, article_id, vector, status, model, text FROM examples"
                " WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(wanted),),
            ).fetchall()
        found = {r[0] for r in rows}
        changing = [r for r in rows if r[3] != status]
        vectors = {r[0]: r[2] for r in changing}
        stale = [r for r in changing if status == "approved" and r[4] != self.embedder.name]
        if stale:  # stored under another model: embedded again before it votes
            fresh = self.embedder.encode([r[5] for r in stale])
            vectors.update({r[0]: v.tobytes() for r, v in zip(stale, fresh, strict=True)})
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "UPDATE examples SET status = ?, model = ?, vector = ? WHERE id = ?",
                    [
                        (status, self.embedder.name if r in stale else r[4], vectors[r[0]], r[0])
                        for r in changing
                    ],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            if status == "approved":
                self._index_rows([(r[0], r[1], vectors[r[0]]) for r in changing])
            else:
                self._unindex([r[0] for r in changing])
        return sorted(r[0] for r in changing), [i for i in wanted if i not in found]

    def approve(self, example_id: int) -> Example:
        if self.decide([example_id], "approved")[1]:
            raise ExampleNotFound(f"no example with id {example_id}")
        return self.get(example_id)

    def delete_source(self, source: str) -> int:
        with self._lock:
            ids = [r[0] for r in self._db.execute("SELECT id FROM examples WHERE source = ?", (source,))]
            self._db.execute("DELETE FROM examples WHERE source = ?", (source,))
            self._unindex(ids)
        return len(ids)

    # --- reading -----------------------------------------------------------------------------

    def get(self, example_id: int) -> Example:
        with self._lock:
            row = self._db.execute(
                "SELECT id, source, text, article_id, status, created FROM examples WHERE id = ?",
                (example_id,),
            ).fetchone()
        if row is None:
            raise ExampleNotFound(f"no example with id {example_id}")
        return Example(*row)

    def page(
        self,
        *,
        source: str | None,
        status: Status | None,
        limit: int,
        offset: int,
        article_id: str | None = None,
    ) -> tuple[list[Example], int]:
        # A missing filter matches everything: (NULL IS NULL) is true.
        filters = (source, source, status, status, article_id, article_id)
        with self._lock:
            total = self._db.execute(
                "SELECT COUNT(*) FROM examples WHERE (? IS NULL OR source = ?)"
                " AND (? IS NULL OR status = ?) AND (? IS NULL OR article_id = ?)",
                filters,
            ).fetchone()[0]
            rows = self._db.execute(
                "SELECT id, source, text, article_id, status, created FROM examples"
                " WHERE (? IS NULL OR source = ?) AND (? IS NULL OR status = ?)"
                " AND (? IS NULL OR article_id = ?) ORDER BY id LIMIT ? OFFSET ?",
                (*filters, limit, offset),
            ).fetchall()
        return [Example(*r) for r in rows], int(total)

    def nearest(self, query_vector: Vectors, k: int) -> dict[str, list[float]]:
        """Cosines of the `k` approved examples nearest the query, grouped by their article."""
        with self._lock:
            if not self._article_of:
                return {}
            scores, ids = self._index.search(query_vector, k)
            by_article: dict[str, list[float]] = {}
            for score, example_id in zip(scores[0].tolist(), ids[0].tolist(), strict=True):
                if example_id >= 0:
                    by_article.setdefault(self._article_of[example_id], []).append(score)
            return by_article

    # --- the index ---------------------------------------------------------------------------

    def _index_rows(self, rows: Iterable[tuple[int, str, bytes]]) -> None:
        rows = list(rows)
        if not rows:
            return
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        vectors = np.vstack([np.frombuffer(r[2], dtype=np.float32) for r in rows])
        self._index.add(ids, vectors)
        self._article_of.update({r[0]: r[1] for r in rows})

    def _unindex(self, ids: list[int]) -> None:
        held = [i for i in ids if i in self._article_of]
        self._index.remove(np.array(held, dtype=np.int64))
        for i in held:
            del self._article_of[i]


def resolve_targets(
    items: Iterable[tuple[str, str | None, str | None]], articles: Iterable[Article]
) -> tuple[list[tuple[str, str]], list[str]]:
    """(text, article_id, topic) triples to (text, article_id) pairs, each naming an article that
    exists; the problems list says why each of the others was left out."""
    articles = sorted(articles, key=lambda a: a.id)
    known = {a.id for a in articles}
    by_topic: dict[str, str] = {}
    for article in articles:
        by_topic.setdefault(article.topic, article.id)
    pairs: list[tuple[str, str]] = []
    problems: list[str] = []
    for n, (text, article_id, topic) in enumerate(items):
        if article_id is not None:
            target = article_id if article_id in known else None
        elif topic is not None:
            target = by_topic.get(topic)
        else:
            problems.append(f"examples[{n}]: names neither article_id nor topic")
            continue
        if target is None:
            wanted = f"article {article_id!r}" if article_id is not None else f"article with topic {topic!r}"
            problems.append(f"examples[{n}]: no {wanted}")
            continue
        pairs.append((text, target))
    return pairs, problems
