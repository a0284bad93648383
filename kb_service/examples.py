"""Past examples: a customer's phrasing and the article that answered it.

They come from imported history (approved at once), and from live conversations: questions a
customer confirmed as answered, and conversations an agent resolved with an article. Live ones
are candidates until an editor approves them, so nobody can teach the assistant by chatting.
Texts are masked (card numbers, emails, phones) before anything stores them, and deduplicated
per article. Approved examples sit in a FAISS index; their nearest neighbours vote in ranking,
and a classifier fitted on all of them (example_classifier.py) adds what their crowd says.
An example whose article is deleted is kept (and ignored) so that restoring the article
restores what it learned.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from kb_service.articles import Article
from kb_service.changes import Notice, announce, new_origin
from kb_service.embedder import Embedder, Vectors
from kb_service.errors import ExampleNotFound
from kb_service.example_classifier import ExampleClassifier
from kb_service.index import VectorIndex
from kb_service.masking import mask_personal_data
from kb_service.store import open_database
from sqlkit import Database

Status = Literal["approved", "candidate", "rejected"]
# Sources fed by live conversations; what they send waits for an editor.
LIVE_SOURCES = frozenset({"confirmed_answers", "agent_resolved"})
# Ids or keys per `IN (...)` list: well under every engine's limit on parameters.
CHUNK = 500


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
    """The examples in the knowledge service's database (table `examples`, migration 002) plus an
    in-memory FAISS index of the approved ones' vectors.

    Given a path or URL it opens (and closes) its own database; given a `Database` it shares
    it. Every change that alters the index is announced to the other replicas in its
    transaction, and applied here by re-reading the store (`refresh`), as a replica applies a
    notice (`sync_from_store`): so of two changes the index ends at the store's latest state."""

    def __init__(
        self, target: Database | Path | str, embedder: Embedder, *, origin: str | None = None
    ) -> None:
        self._owned = not isinstance(target, Database)
        self.database = open_database(target)
        self.embedder = embedder
        self.origin = origin or new_origin()
        self._lock = threading.RLock()  # the index: searches and swaps
        # Index writers take turns, each reading the store when its turn comes.
        self._write_lock = threading.Lock()
        self._index = VectorIndex(embedder.dimension)
        self._article_of: dict[int, str] = {}
        self._classifier: ExampleClassifier | None = None
        self._stale = False  # the classifier does not match the indexed examples yet

    def open(self) -> None:
        """Index the approved examples; re-embed any stored by another model."""
        self.sync_from_store()

    def __len__(self) -> int:
        return len(self._article_of)

    def close(self) -> None:
        if self._owned:
            self.database.close()

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
        held: set[tuple[str, str]] = set()
        for keys in _chunks(list(dict.fromkeys(k for k, _ in fresh))):
            held.update(
                (r[0], r[1])
                for r in self.database.rows(
                    f"SELECT text_key, article_id FROM examples WHERE text_key IN ({_marks(keys)})",  # noqa: S608 - placeholders only
                    keys,
                )
            )
        todo = [(key, text) for key, text in fresh.items() if key not in held]
        skipped += len(fresh) - len(todo)
        if not todo:
            return AddReport(0, skipped)
        # Embedding is the slow part: outside any lock or transaction, so searches go on.
        vectors = self.embedder.encode([text for _, text in todo])
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        added: list[int] = []
        with self.database.transaction() as tx:
            for ((key_text, article_id), text), vector in zip(todo, vectors, strict=True):
                # A pair stored meanwhile (by another request or replica) is skipped, not an error.
                row = tx.execute(
                    "INSERT OR IGNORE INTO examples"
                    " (source, text, text_key, article_id, status, created, model, vector)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (source, text, key_text, article_id, status, now, self.embedder.name, vector.tobytes()),
                ).fetchone()
                if row is not None:
                    added.append(int(row[0]))
            if added and status == "approved":
                self._announce("examples_added", source)
        if status == "approved":
            self.refresh(added)
        return AddReport(len(added), skipped + len(todo) - len(added))

    def decide(
        self, example_ids: Iterable[int], status: Literal["approved", "rejected"]
    ) -> tuple[list[int], list[int]]:
        """Approve or reject examples in bulk: (the ids whose status changed, the ids that name no
        example). A rejected example stays stored, so the same live phrasing does not come back
        as a candidate, and never votes; approving it later brings it back."""
        wanted = list(dict.fromkeys(example_ids))
        rows = self._by_id("id, article_id, vector, status, model, text", wanted)
        found = {r[0] for r in rows}
        changing = [r for r in rows if r[3] != status]
        vectors = {r[0]: bytes(r[2]) for r in changing}
        stale = [r for r in changing if status == "approved" and r[4] != self.embedder.name]
        if stale:  # stored under another model: embedded again before it votes
            fresh = self.embedder.encode([r[5] for r in stale])
            vectors.update({r[0]: v.tobytes() for r, v in zip(stale, fresh, strict=True)})
        stale_ids = {r[0] for r in stale}
        if changing:
            with self.database.transaction() as tx:
                tx.executemany(
                    "UPDATE examples SET status = ?, model = ?, vector = ? WHERE id = ?",
                    [
                        (status, self.embedder.name if r[0] in stale_ids else r[4], vectors[r[0]], r[0])
                        for r in changing
                    ],
                )
                self._announce(f"examples_{status}", None)
            self.refresh([r[0] for r in changing])
        return sorted(r[0] for r in changing), [i for i in wanted if i not in found]

    def approve(self, example_id: int) -> Example:
        if self.decide([example_id], "approved")[1]:
            raise ExampleNotFound(f"no example with id {example_id}")
        return self.get(example_id)

    def delete_source(self, source: str) -> int:
        with self.database.transaction() as tx:
            ids = [int(r[0]) for r in tx.execute("SELECT id FROM examples WHERE source = ?", (source,))]
            tx.execute("DELETE FROM examples WHERE source = ?", (source,))
            if ids:
                self._announce("examples_removed", source)
        self.refresh(ids)
        return len(ids)

    # --- reading -----------------------------------------------------------------------------

    def get(self, example_id: int) -> Example:
        rows = self.database.rows(
            "SELECT id, source, text, article_id, status, created FROM examples WHERE id = ?",
            (example_id,),
        )
        if not rows:
            raise ExampleNotFound(f"no example with id {example_id}")
        return Example(*rows[0])

    def page(
        self,
        *,
        source: str | None,
        status: Status | None,
        limit: int,
        offset: int,
        article_id: str | None = None,
    ) -> tuple[list[Example], int]:
        filters = {"source": source, "status": status, "article_id": article_id}
        chosen = {name: value for name, value in filters.items() if value is not None}
        where = " AND ".join(f"{name} = ?" for name in chosen) or "1 = 1"
        values = tuple(chosen.values())
        total = self.database.rows(f"SELECT COUNT(*) AS n FROM examples WHERE {where}", values)[0]["n"]  # noqa: S608 - fixed column names
        rows = self.database.rows(
            "SELECT id, source, text, article_id, status, created FROM examples"  # noqa: S608 - fixed column names
            f" WHERE {where} ORDER BY id LIMIT ? OFFSET ?",
            (*values, limit, offset),
        )
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

    def classify(self, query_vector: Vectors) -> dict[str, float]:
        """P(article | query) from the classifier fitted on every approved example; empty while
        there are too few to fit one."""
        with self._lock:
            classifier = self._classifier
        return classifier.probabilities(query_vector) if classifier is not None else {}

    # --- the index: brought in line with the store -------------------------------------------

    def sync_from_store(self) -> None:
        """Index exactly the approved examples the store holds: at start, when another replica
        announced a change, and after a lost notice channel reconnects. Reads the ids only, then
        the vectors of those not indexed yet."""
        with self._write_lock:
            approved = {
                int(r[0]) for r in self.database.rows("SELECT id FROM examples WHERE status = 'approved'")
            }
            self._apply(
                gone=[i for i in self._article_of if i not in approved],
                new=[i for i in approved if i not in self._article_of],
            )

    def refresh(self, example_ids: Iterable[int]) -> None:
        """Bring these examples in line with the store: indexed when approved, else not."""
        ids = list(dict.fromkeys(example_ids))
        if not ids:
            return
        with self._write_lock:
            approved = {int(r[0]) for r in self._by_id("id, status", ids) if r[1] == "approved"}
            self._apply(
                gone=[i for i in ids if i not in approved and i in self._article_of],
                new=[i for i in ids if i in approved and i not in self._article_of],
            )

    def _apply(self, *, gone: list[int], new: list[int]) -> None:
        """Unindex `gone`, index `new`, and fit the classifier again; one that failed to fit
        last time (or whose change failed half-way) is fitted on the next call. The caller holds
        the write lock."""
        self._stale = self._stale or bool(gone or new)
        try:
            with self._lock:
                self._unindex(gone)
            self._load(new)
        finally:
            if self._stale:
                self._refit()

    def _load(self, ids: list[int]) -> None:
        """Index these approved examples from the store; one stored by another model is embedded
        again (and stored so) first. The caller holds the write lock."""
        rows = self._by_id("id, text, article_id, model, vector", ids)
        stale = [r for r in rows if r[3] != self.embedder.name]
        renewed: dict[int, bytes] = {}
        if stale:
            vectors = self.embedder.encode([r[1] for r in stale])
            renewed = {int(r[0]): v.tobytes() for r, v in zip(stale, vectors, strict=True)}
            with self.database.transaction() as tx:
                tx.executemany(
                    "UPDATE examples SET model = ?, vector = ? WHERE id = ?",
                    [(self.embedder.name, blob, i) for i, blob in renewed.items()],
                )
        with self._lock:
            self._index_rows([(int(r[0]), r[2], renewed.get(int(r[0]), bytes(r[4]))) for r in rows])

    def _refit(self) -> None:
        """Fit the classifier on the examples indexed now (the caller holds the write lock, so
        they do not change meanwhile); searches keep the previous one until it is done."""
        with self._lock:
            ids, vectors = self._index.everything()
            labels = [self._article_of[int(i)] for i in ids]
        classifier = ExampleClassifier.fit(vectors, labels)
        with self._lock:
            self._classifier = classifier
        self._stale = False

    def _by_id(self, columns: str, ids: Sequence[int]) -> list[Any]:
        rows: list[Any] = []
        for chunk in _chunks(list(ids)):
            rows += self.database.rows(
                f"SELECT {columns} FROM examples WHERE id IN ({_marks(chunk)}) ORDER BY id",  # noqa: S608 - fixed columns, placeholders
                chunk,
            )
        return rows

    def _announce(self, kind: str, source: str | None) -> None:
        """Called inside the change's transaction: the other replicas hear of it once it commits."""
        announce(self.database, Notice(kind, self.origin, source=source))

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


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _marks(items: Sequence[Any]) -> str:
    return ", ".join("?" * len(items))


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
