"""What the knowledge base searches: every published article's passages in the vector index and
its fields in the keyword index, with the bookkeeping that keeps the two in step.

Not thread-safe on its own: KnowledgeBase (knowledge.py) holds its lock around every call.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np

from kb_service.articles import Article, PassageText, split_passages
from kb_service.embedder import Vectors
from kb_service.index import VectorIndex
from kb_service.keyword import KeywordIndex
from kb_service.saved_index import Entry, Passage, SavedIndex


class PassageIndex:
    """Both indexes, and per article its entry (content hash, passage ids, content vectors)."""

    def __init__(self, dimension: int, saved: SavedIndex | None = None) -> None:
        self.vectors = saved.vectors if saved else VectorIndex(dimension)
        self.passages: dict[int, Passage] = saved.passages if saved else {}
        self.entries: dict[str, Entry] = saved.entries if saved else {}
        # A new index numbers its passages from the clock (microseconds), so its ids never
        # repeat those of an earlier index whose manifest may outlive it (saved_index.py).
        self.next_id = saved.next_id if saved else time.time_ns() // 1000
        self.keywords = new_keyword_index()
        for entry in self.entries.values():
            self.keywords.put(entry.article.id, keyword_fields(entry.article))

    def to_saved(self) -> SavedIndex:
        return SavedIndex(self.vectors, self.passages, self.entries, self.next_id)

    def hash_of(self, article_id: str) -> str | None:
        entry = self.entries.get(article_id)
        return None if entry is None else entry.hash

    def held_vectors(self, article_ids: Iterable[str], passage_words: int) -> dict[str, Vectors]:
        """The vectors held for these articles' passages, by the text that was embedded."""
        known: dict[str, Vectors] = {}
        for article_id in article_ids:
            entry = self.entries.get(article_id)
            if entry is None or not entry.passage_ids:
                continue
            texts = [p.embed_text for p in split_passages(entry.article, passage_words)]
            if len(texts) == len(entry.passage_ids):
                held = self.vectors.vectors(np.array(entry.passage_ids, dtype=np.int64))
                known.update(zip(texts, held, strict=True))
        return known

    def put(
        self, articles: list[Article], pieces: list[tuple[Article, PassageText]], vectors: Vectors
    ) -> None:
        """Add these articles (replacing what is held for them); `vectors` has one row per piece."""
        for article in articles:
            self.drop(article.id)
        ids = np.arange(self.next_id, self.next_id + len(pieces), dtype=np.int64)
        self.next_id += len(pieces)
        self.vectors.add(ids, vectors)
        by_article: dict[str, list[int]] = {a.id: [] for a in articles}
        for row, (pid, (article, piece)) in enumerate(zip(ids.tolist(), pieces, strict=True)):
            self.passages[pid] = Passage(pid, article.id, piece.kind, piece.text)
            by_article[article.id].append(row)
        for article in articles:
            rows = by_article[article.id]
            content = [r for r in rows if pieces[r][1].kind != "question"]
            self.entries[article.id] = Entry(
                article,
                article.content_hash,
                [int(ids[r]) for r in rows],
                vectors[content],
                [pieces[r][1].text for r in content],
            )
            self.keywords.put(article.id, keyword_fields(article))

    def drop(self, article_id: str) -> bool:
        entry = self.entries.pop(article_id, None)
        if entry is None:
            return False
        self.vectors.remove(np.array(entry.passage_ids, dtype=np.int64))
        for pid in entry.passage_ids:
            self.passages.pop(pid, None)
        self.keywords.remove(article_id)
        return True

    def nearest(self, query_vector: Vectors, k: int, *, skip: str | None = None) -> list[tuple[float, str]]:
        """The k passages nearest the query as (cosine, article id), best first, leaving out
        the passages of article `skip`."""
        if not self.passages:
            return []
        entry = self.entries.get(skip) if skip else None
        left_out = set(entry.passage_ids) if entry else set()
        scores, ids = self.vectors.search(query_vector, k + len(left_out))
        found = [
            (score, self.passages[pid].article_id)
            for score, pid in zip(scores[0].tolist(), ids[0].tolist(), strict=True)
            if pid >= 0 and pid not in left_out
        ]
        return found[:k]

    def keyword_scores(self, query: str, *, instead: Article | None = None) -> dict[str, float]:
        """BM25 per article; with `instead`, as if that article replaced its held version."""
        keywords = self.keywords
        if instead is not None:
            keywords = keywords.copy()
            keywords.put(instead.id, keyword_fields(instead))
        return dict(keywords.scores(query))


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
