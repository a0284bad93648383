"""The knowledge base: articles, their passages, the vector and keyword indexes, kept in step.

One article can be added, replaced or removed without rebuilding anything else. The vector
index is saved with a manifest (saved_index.py) so a restart embeds only the articles that
changed on disk.
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

from kb_service.articles import Article, load_articles, split_passages, write_article_file
from kb_service.confidence import Calibration
from kb_service.embedder import Embedder, Vectors
from kb_service.errors import ArticleNotFound
from kb_service.examples import ExampleBook
from kb_service.index import VectorIndex
from kb_service.keyword import KeywordIndex
from kb_service.saved_index import (
    Entry,
    Passage,
    SavedIndex,
    index_path,
    load_saved_index,
    manifest_header,
    manifest_path,
    save_index,
)
from kb_service.search import (
    Evidence,
    RankingPolicy,
    ScoredArticle,
    Verdict,
    competing,
    decide_verdict,
    decided_by_examples,
    rank,
)

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
    encode_ms: float = 0.0
    rank_ms: float = 0.0


@dataclass(slots=True)
class SyncReport:
    embedded: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    reused: int = 0
    seconds: float = 0.0


class KnowledgeBase:
    """Owns the articles and both indexes; every public method is thread-safe."""

    def __init__(
        self,
        *,
        knowledge_dir: Path,
        data_dir: Path,
        embedder: Embedder,
        policy: RankingPolicy,
        passage_words: int,
        calibration: Calibration | None = None,
        examples: ExampleBook | None = None,
    ) -> None:
        self.knowledge_dir = knowledge_dir
        self.data_dir = data_dir
        self.embedder = embedder
        self.policy = policy
        self.calibration = calibration or Calibration.load()
        self.examples = examples
        self.passage_words = passage_words
        self._lock = threading.RLock()
        # Writers (edits, reloads) take turns, so the file on disk and the index always agree;
        # readers only wait for the short swap under `_lock`, never for an embedding.
        self._write_lock = threading.Lock()
        self._entries: dict[str, Entry] = {}
        self._passages: dict[int, Passage] = {}
        self._vectors = VectorIndex(embedder.dimension)
        self._keywords = new_keyword_index()
        self._next_id = 1
        self.last_sync = SyncReport()

    # --- start-up and persistence --------------------------------------------------------

    @property
    def index_path(self) -> Path:
        return index_path(self.data_dir)

    @property
    def manifest_path(self) -> Path:
        return manifest_path(self.data_dir)

    def open(self) -> SyncReport:
        """Load the saved index when it fits this model, then bring it in line with the files."""
        started = time.perf_counter()
        self._restore_saved_index()
        report = self.sync_from_disk()
        log.info(
            "knowledge base ready: %d articles, %d passages (%d embedded, %d reused, %d removed) in %.1fs",
            len(self._entries),
            len(self._passages),
            len(report.embedded),
            report.reused,
            len(report.removed),
            time.perf_counter() - started,
        )
        return report

    def _manifest_header(self) -> dict[str, Any]:
        return manifest_header(self.embedder, self.passage_words)

    def _restore_saved_index(self) -> None:
        saved = load_saved_index(self.data_dir, self._manifest_header())
        if saved is None:
            return
        with self._lock:
            self._vectors = saved.vectors
            self._passages = saved.passages
            self._entries = saved.entries
            self._next_id = saved.next_id
            self._keywords = new_keyword_index()
            for entry in saved.entries.values():
                self._keywords.put(entry.article.id, keyword_fields(entry.article))

    def save(self) -> None:
        """Write index then manifest, each atomically; the manifest names what the index holds."""
        with self._lock:
            save_index(
                self.data_dir,
                SavedIndex(self._vectors, self._passages, self._entries, self._next_id),
                self._manifest_header(),
            )

    def sync_from_disk(self) -> SyncReport:
        """Index what changed in the knowledge folder, drop what was deleted, then save."""
        with self._write_lock:
            return self._sync_from_disk()

    def _sync_from_disk(self) -> SyncReport:
        started = time.perf_counter()
        on_disk = load_articles(self.knowledge_dir)
        report = SyncReport()
        with self._lock:
            for article_id in set(self._entries) - set(on_disk):
                self._drop(article_id)
                report.removed.append(article_id)
            changed = [
                a
                for a in on_disk.values()
                if a.id not in self._entries or self._entries[a.id].hash != a.content_hash
            ]
            report.reused = len(on_disk) - len(changed)
        self._index_articles(changed)
        report.embedded = [a.id for a in changed]
        if changed or report.removed or not self.manifest_path.exists():
            self.save()
        report.seconds = time.perf_counter() - started
        self.last_sync = report
        return report

    # --- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def passage_count(self) -> int:
        return len(self._passages)

    def articles(self) -> list[Article]:
        with self._lock:
            return sorted((e.article for e in self._entries.values()), key=lambda a: a.id)

    def get(self, article_id: str) -> Article:
        entry = self._entries.get(article_id)
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
                admitted = {aid for aid, e in self._entries.items() if filters.admits(e.article)}
                evidence = replace(
                    evidence,
                    passages={aid: evidence.passages.get(aid, []) for aid in admitted},
                    keyword={aid: v for aid, v in evidence.keyword.items() if aid in admitted},
                    examples={aid: v for aid, v in evidence.examples.items() if aid in admitted},
                )
            ranked = rank(evidence, self.policy)
            confidence = self.calibration.confidence(query, ranked, evidence, history=self.has_history)
            verdict = decide_verdict(ranked, confidence, self.policy)
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
            (encoded - started) * 1000,
            (done - encoded) * 1000,
        )

    @property
    def has_history(self) -> bool:
        """Whether approved past examples take part in ranking (and the `history` model reads)."""
        return self.examples is not None and len(self.examples) > 0

    def evidence(self, query: str, query_vector: Vectors) -> Evidence:
        """The raw signals ranking works from: best passage score per article (vector search)
        BM25 per article (keyword search), and the nearest past examples per article."""
        with self._lock:
            if not self._passages:
                return Evidence({}, 0.0, {})
            scores, ids = self._vectors.search(query_vector, CANDIDATE_PASSAGES)
            passages: dict[str, list[float]] = {}
            for score, pid in zip(scores[0].tolist(), ids[0].tolist(), strict=True):
                if pid >= 0:
                    passages.setdefault(self._passages[pid].article_id, []).append(score)
            examples = {}
            if self.examples is not None:
                nearest = self.examples.nearest(query_vector, CANDIDATE_EXAMPLES)
                examples = {aid: cos for aid, cos in nearest.items() if aid in self._entries}
            return Evidence(passages, float(scores[0][-1]), dict(self._keywords.scores(query)), examples)

    def _hit(self, ranked: ScoredArticle, query_vector: Vectors) -> Hit:
        entry = self._entries[ranked.article_id]
        best = int(np.argmax(entry.content_vectors @ query_vector))
        return Hit(entry.article, round(ranked.score, 4), entry.content_texts[best], ranked.votes)

    # --- writing ---------------------------------------------------------------------------

    def put(self, article: Article) -> Article:
        """Create or replace one article: file on disk, both indexes, the saved index."""
        with self._write_lock:
            write_article_file(self.knowledge_dir, article)
            self._index_articles([article])
            self.save()
        return article

    def delete(self, article_id: str) -> Article:
        with self._write_lock:
            with self._lock:
                article = self.get(article_id)
                (self.knowledge_dir / f"{article_id}.md").unlink(missing_ok=True)
                self._drop(article_id)
            self.save()
        return article

    def _index_articles(self, articles: Iterable[Article]) -> None:
        articles = list(articles)
        if not articles:
            return
        pieces = [(a, p) for a in articles for p in split_passages(a, self.passage_words)]
        # Embedding is the slow part: done outside the lock so searches go on meanwhile.
        vectors = self.embedder.encode([p.embed_text for _, p in pieces])
        with self._lock:
            for article in articles:
                self._drop(article.id)
            ids = np.arange(self._next_id, self._next_id + len(pieces), dtype=np.int64)
            self._next_id += len(pieces)
            self._vectors.add(ids, vectors)
            by_article: dict[str, list[int]] = {a.id: [] for a in articles}
            for pid, (article, piece), row in zip(ids.tolist(), pieces, range(len(pieces)), strict=True):
                self._passages[pid] = Passage(pid, article.id, piece.kind, piece.text)
                by_article[article.id].append(row)
            for article in articles:
                rows = by_article[article.id]
                content = [r for r in rows if pieces[r][1].kind != "question"]
                self._entries[article.id] = Entry(
                    article,
                    article.content_hash,
                    [int(ids[r]) for r in rows],
                    vectors[content],
                    [pieces[r][1].text for r in content],
                )
                self._keywords.put(article.id, keyword_fields(article))

    def _drop(self, article_id: str) -> None:
        entry = self._entries.pop(article_id, None)
        if entry is None:
            return
        self._vectors.remove(np.array(entry.passage_ids, dtype=np.int64))
        for pid in entry.passage_ids:
            self._passages.pop(pid, None)
        self._keywords.remove(article_id)


def new_keyword_index() -> KeywordIndex:
    # Customers repeat the words that matter ("card ... card never came"): a higher k1 lets
    # repeated terms count for more before saturating (calibrated with `make calibrate`).
    return KeywordIndex(k1=2.0, b=0.75)


def keyword_fields(article: Article) -> list[tuple[str, int]]:
    """The text BM25 sees, with weights. Not the body: bodies mention neighbouring topics
    ("see our article on declined payments"), which misleads keyword matching (`make calibrate`
    measured half a point of top-1 lost with it)."""
    return [
        (article.title, 2),
        (article.summary, 1),
        (" ".join(article.tags), 1),
        (" ".join(article.questions), 1),
    ]
