"""The knowledge base: the published articles, their passages, the vector and keyword indexes.

The article store (kb_service/store/) is the record; this holds what readers and /search see,
its published versions. One article can be added, replaced or removed without rebuilding
anything else, and an edit re-embeds only the passages it changed. The vector index is saved
with a manifest (saved_index.py) naming each article's content hash, so a start (also after a
crash between an edit's store write and its index save) embeds only what differs from the store.

Several replicas share one store (PostgreSQL): each change is announced to them in the
transaction that commits it (`announce`, kb_service/changes.py), and each replica applies it the
way the writer does, from the store (`refresh`, `sync_from_store`; kb_service/replicas.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from kb_service.articles import Article, PassageText, split_passages
from kb_service.changes import Notice, announce, new_origin
from kb_service.confidence import Calibration
from kb_service.embedder import Embedder, Vectors
from kb_service.errors import ArticleNotFound
from kb_service.examples import ExampleBook
from kb_service.passage_index import PassageIndex
from kb_service.saved_index import index_path, load_saved_index, manifest_header, manifest_path, save_index
from kb_service.search import (
    Evidence,
    RankingPolicy,
    ScoredArticle,
    Verdict,
    competing,
    decide_verdict,
    decided_by_examples,
    rank,
    reads_history,
)
from kb_service.store import ArticleStore
from kb_service.vector_cache import VectorCache

log = logging.getLogger(__name__)

# Passages fetched per query: enough for every plausible article's best few passages.
CANDIDATE_PASSAGES = 128
# Past examples fetched per query: their votes are weighted by closeness, so the far ones
# among these count for little.
CANDIDATE_EXAMPLES = 20


@dataclass(frozen=True, slots=True)
class SearchFilters:
    topics: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    escalation: frozenset[str] = frozenset()
    exclude_ids: frozenset[str] = frozenset()

    def admits(self, article: Article) -> bool:
        return (
            (not self.topics or article.topic in self.topics)
            and (not self.tags or bool(self.tags.intersection(article.tags)))
            and (not self.escalation or article.escalation in self.escalation)
            and article.id not in self.exclude_ids
        )


@dataclass(frozen=True, slots=True)
class Hit:
    article: Article
    score: float
    passage: str
    votes: int = 0  # nearest past examples naming this article


@dataclass(frozen=True, slots=True)
class SearchResult:
    verdict: Verdict
    hits: list[Hit]
    confidence: float = 0.0  # calibrated P(first hit is the right article)
    candidates: list[str] = field(default_factory=list)  # what a clarification offers
    decided_by_examples: bool = False
    likelihoods: list[float] = field(default_factory=list)  # P(right) of the first few hits
    encode_ms: float = 0.0
    rank_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class Substitute:
    """An article as it would be (a draft), with its passages' vectors in `split_passages`
    order: evidence as if it replaced the live version, for "try this question"."""

    article: Article
    vectors: Vectors


@dataclass(slots=True)
class SyncReport:
    embedded: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    reused: int = 0
    seconds: float = 0.0


class KnowledgeBase:
    """Owns the published articles and both indexes; every public method is thread-safe."""

    def __init__(
        self,
        *,
        store: ArticleStore,
        data_dir: Path,
        embedder: Embedder,
        policy: RankingPolicy,
        passage_words: int,
        calibration: Calibration | None = None,
        examples: ExampleBook | None = None,
        origin: str | None = None,
    ) -> None:
        self.store = store
        # This knowledge base's id in notices (its own are skipped: it applied them already);
        # its examples announce under the same one.
        self.origin = origin or (examples.origin if examples is not None else new_origin())
        self.data_dir = data_dir
        self.embedder = embedder
        self.policy = policy
        self.calibration = calibration or Calibration.load()
        self.examples = examples
        self.passage_words = passage_words
        self._lock = threading.RLock()
        # Writers (edits, syncs, saves) take turns, each reading the store when its turn comes, so
        # the index ends at the store's latest state; readers only wait for the short swaps under
        # `_lock`, never for an embedding or a save.
        self._write_lock = threading.Lock()
        self._index = PassageIndex(embedder.dimension)
        self._cache = VectorCache(embedder)
        self.last_sync = SyncReport()

    # --- start-up and persistence --------------------------------------------------------

    @property
    def index_path(self) -> Path:
        return index_path(self.data_dir)

    @property
    def manifest_path(self) -> Path:
        return manifest_path(self.data_dir)

    def open(self) -> SyncReport:
        """Load the saved index when it fits this model, then bring it in line with the store."""
        started = time.perf_counter()
        saved = load_saved_index(self.data_dir, self._manifest_header())
        if saved is not None:
            with self._lock:
                self._index = PassageIndex(self.embedder.dimension, saved)
        report = self.sync_from_store()
        log.info(
            "knowledge base ready: %d articles, %d passages (%d embedded, %d reused, %d removed) in %.1fs",
            len(self),
            self.passage_count,
            len(report.embedded),
            report.reused,
            len(report.removed),
            time.perf_counter() - started,
        )
        return report

    def close(self) -> None:
        self._cache.close()

    def _manifest_header(self) -> dict[str, Any]:
        return manifest_header(self.embedder, self.passage_words)

    def save(self) -> None:
        """Write index then manifest, each atomically; the manifest names what the index holds."""
        with self._write_lock:
            self._save()

    def _save(self) -> None:
        # Only writers change the indexes and the caller holds the write lock, so searches go
        # on while this writes (FAISS reads are safe beside each other).
        save_index(self.data_dir, self._index.to_saved(), self._manifest_header())

    def sync_from_store(self) -> SyncReport:
        """Index every published article whose content differs from what the index holds, drop
        what is no longer published, then save: at start, and after an import."""
        with self._write_lock:
            started = time.perf_counter()
            published = self.store.published()
            report = SyncReport()
            with self._lock:
                for article_id in set(self._index.entries) - set(published):
                    self._drop(article_id)
                    report.removed.append(article_id)
                changed = [a for a, digest in published.values() if self._index.hash_of(a.id) != digest]
                report.reused = len(published) - len(changed)
            self._index_articles(changed)
            report.embedded = [a.id for a in changed]
            if changed or report.removed or not self.manifest_path.exists():
                self._save()
            report.seconds = time.perf_counter() - started
            self.last_sync = report
            return report

    def refresh(self, article_ids: Iterable[str]) -> SyncReport:
        """Bring these articles in line with their published versions in the store (indexed, or
        dropped when none is published), then save. Every edit calls it after its store write;
        it reads the store once its turn comes, so of two edits the later one's content stays."""
        with self._write_lock:
            started = time.perf_counter()
            report = SyncReport()
            changed: list[Article] = []
            for article_id in dict.fromkeys(article_ids):
                published = self.store.published_article(article_id)
                if published is None:
                    with self._lock:
                        if self._drop(article_id):
                            report.removed.append(article_id)
                elif self._index.hash_of(article_id) != published[1]:
                    changed.append(published[0])
                else:
                    report.reused += 1
            self._index_articles(changed)
            report.embedded = [a.id for a in changed]
            if changed or report.removed:
                self._save()
            report.seconds = time.perf_counter() - started
            return report

    def reconcile(self) -> SyncReport:
        """Bring the articles and the examples in line with the store: what a replica does when
        it may have missed notices (its notice channel reconnected)."""
        report = self.sync_from_store()
        if self.examples is not None:
            self.examples.sync_from_store()
        return report

    def announce(self, kind: str, *, article_id: str | None = None, version: int | None = None) -> None:
        """Tell the other replicas what changed; inside a store transaction, sent as it commits."""
        announce(self.store.database, Notice(kind, self.origin, article_id=article_id, version=version))

    # --- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._index.entries)

    @property
    def passage_count(self) -> int:
        return len(self._index.passages)

    def articles(self) -> list[Article]:
        with self._lock:
            return sorted((e.article for e in self._index.entries.values()), key=lambda a: a.id)

    def get(self, article_id: str) -> Article:
        # Under the lock: an article being re-indexed is briefly out of `entries` (a live edit,
        # or another replica's change applied on the listener's thread), never missing to readers.
        with self._lock:
            entry = self._index.entries.get(article_id)
        if entry is None:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        return entry.article

    def search(self, query: str, *, top_k: int, filters: SearchFilters | None = None) -> SearchResult:
        started = time.perf_counter()
        query_vector = self.embedder.encode([query])
        encoded = time.perf_counter()
        with self._lock:
            evidence = self.evidence(query, query_vector)
            if filters is not None:
                # Every admitted article is ranked, also those the nearest passages missed.
                admitted = {aid for aid, e in self._index.entries.items() if filters.admits(e.article)}
                evidence = replace(
                    evidence,
                    passages={aid: evidence.passages.get(aid, []) for aid in admitted},
                    keyword={aid: v for aid, v in evidence.keyword.items() if aid in admitted},
                    examples={aid: v for aid, v in evidence.examples.items() if aid in admitted},
                    classifier={aid: p for aid, p in evidence.classifier.items() if aid in admitted},
                )
            ranked, confidence, verdict, history = self.decide(query, evidence)
            likelihoods = self.calibration.likelihoods(ranked[:top_k], confidence, history=history)
            hits = [self._hit(r, query_vector[0]) for r in ranked[:top_k]]
            candidates = (
                [a.article_id for a in competing(ranked, self.policy)] if verdict == "clarify" else []
            )
        done = time.perf_counter()
        return SearchResult(
            verdict,
            hits,
            round(confidence, 4),
            candidates,
            decided_by_examples(ranked, self.policy),
            [round(p, 4) for p in likelihoods],
            (encoded - started) * 1000,
            (done - encoded) * 1000,
        )

    def decide(self, query: str, evidence: Evidence) -> tuple[list[ScoredArticle], float, Verdict, bool]:
        """The ranking policy over evidence: articles best first, the confidence, the verdict,
        and whether the `history` models judged it."""
        ranked = rank(evidence, self.policy)
        history = reads_history(ranked, evidence)
        confidence = self.calibration.confidence(query, ranked, evidence, history=history)
        return ranked, confidence, decide_verdict(ranked, confidence, self.policy, history=history), history

    def evidence(self, query: str, query_vector: Vectors, *, instead: Substitute | None = None) -> Evidence:
        """The raw signals ranking works from: best passage score per article (vector search)
        BM25 per article (keyword search), and the nearest past examples per article. With
        `instead`, as if that article replaced its live version (nothing live changes)."""
        draft = instead.article if instead else None
        with self._lock:
            found = self._index.nearest(query_vector, CANDIDATE_PASSAGES, skip=draft.id if draft else None)
            if instead is not None:
                scores = (instead.vectors @ query_vector[0]).tolist()
                found = sorted(found + [(float(s), instead.article.id) for s in scores], key=lambda f: -f[0])
                found = found[:CANDIDATE_PASSAGES]
            if not found:
                return Evidence({}, 0.0, {})
            passages: dict[str, list[float]] = {}
            for score, article_id in found:
                passages.setdefault(article_id, []).append(score)
            examples: dict[str, list[float]] = {}
            classifier: dict[str, float] = {}
            if self.examples is not None:
                known = self._index.entries.keys() | ({draft.id} if draft else set())
                nearest = self.examples.nearest(query_vector, CANDIDATE_EXAMPLES)
                examples = {aid: cos for aid, cos in nearest.items() if aid in known}
                learned = self.examples.classify(query_vector)
                classifier = {aid: p for aid, p in learned.items() if aid in known}
            keyword = self._index.keyword_scores(query, instead=draft)
            return Evidence(passages, found[-1][0], keyword, examples, classifier)

    def _hit(self, ranked: ScoredArticle, query_vector: Vectors) -> Hit:
        entry = self._index.entries[ranked.article_id]
        best = int(np.argmax(entry.content_vectors @ query_vector))
        return Hit(entry.article, round(ranked.score, 4), entry.content_texts[best], ranked.votes)

    # --- writing ---------------------------------------------------------------------------

    def passage_vectors(self, article: Article) -> Vectors:
        """The vectors of an article's passages (`split_passages` order), reusing those the
        index holds or has held for the same texts; the index itself is not changed."""
        with self._lock:
            known = self._index.held_vectors([article.id], self.passage_words)
        return self._cache.embed([p.embed_text for p in split_passages(article, self.passage_words)], known)

    def prepare(self, article: Article) -> None:
        """Embed a draft's passages in the background, so that publishing it is quick: only
        those the index does not hold already (an edit changes a passage or two, not the dozens
        of questions), else a replica's first autosave of an article embeds all of them and its
        next publish, or another replica's, waits for that."""
        with self._lock:
            held = self._index.held_vectors([article.id], self.passage_words)
        self._cache.put(held)
        self._cache.prepare(article.id, [p.embed_text for p in split_passages(article, self.passage_words)])

    def _drop(self, article_id: str) -> bool:
        # Its vectors stay at hand: an unpublish is often followed by a publish.
        self._cache.put(self._index.held_vectors([article_id], self.passage_words))
        return self._index.drop(article_id)

    def _index_articles(self, articles: list[Article]) -> None:
        if not articles:
            return
        pieces: list[tuple[Article, PassageText]] = [
            (a, p) for a in articles for p in split_passages(a, self.passage_words)
        ]
        # Embedding is the slow part: done outside the lock so searches go on meanwhile, and
        # only for the passages whose text is not at hand already (held, cached, prepared).
        for article in articles:
            self._cache.wait(article.id)
        with self._lock:
            known = self._index.held_vectors([a.id for a in articles], self.passage_words)
        self._cache.put(known)  # the versions being replaced: a restore may want them back
        vectors = self._cache.embed([p.embed_text for _, p in pieces], known)
        with self._lock:
            self._index.put(articles, pieces, vectors)
