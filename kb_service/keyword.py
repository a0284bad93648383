"""Keyword search: BM25 over article fields, the lexical half of the hybrid ranking."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

_WORD = re.compile(r"[a-z0-9]+")
STOP_WORDS = frozenset(
    """a about am an and any are as at be been but by can could did do does doing for from had has
    have having how i i'm if in into is it its just me my myself no of on or our please so some
    than that the their them then there these they this to too was we were what when where which
    who why will with would you your yours hi hello hey thanks thank can't cant dont don't im ive
    get got""".split()  # noqa: SIM905 - a word list reads better as text
)
# Words customers use for the same thing, folded onto one form.
SYNONYMS = {
    "atm": "cashmachine",
    "atms": "cashmachine",
    "cashpoint": "cashmachine",
    "check": "cheque",
    "checks": "cheque",
    "cheques": "cheque",
    "topup": "top",
    "topping": "top",
    "topped": "top",
    "reload": "top",
    "refunded": "refund",
    "reimburse": "refund",
    "fees": "fee",
    "cost": "fee",
    "costs": "fee",
    "charged": "charge",
    "charges": "charge",
    "pin": "pin",
    "declined": "decline",
}


def stem(word: str) -> str:
    """A deliberately light suffix stripper: enough to join plurals and tenses."""
    if word in SYNONYMS:
        return SYNONYMS[word]
    for suffix, minimum in (("ing", 5), ("ed", 4), ("es", 5), ("s", 4)):
        if len(word) >= minimum and word.endswith(suffix) and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def tokenize(text: str) -> list[str]:
    text = text.lower().replace("top-up", "top up")
    return [stem(w) for w in _WORD.findall(text) if w not in STOP_WORDS]


class KeywordIndex:
    """Okapi BM25 with fields folded into one bag of words per article (title weighted up)."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._docs: dict[str, Counter[str]] = {}
        self._lengths: dict[str, int] = {}
        self._postings: dict[str, dict[str, int]] = defaultdict(dict)
        self._avg_length = 1.0

    def __len__(self) -> int:
        return len(self._docs)

    def put(self, doc_id: str, fields: Iterable[tuple[str, int]]) -> None:
        """Index a document from (text, weight) pairs, replacing any earlier version."""
        self.remove(doc_id)
        counts: Counter[str] = Counter()
        for text, weight in fields:
            for token in tokenize(text):
                counts[token] += weight
        self._docs[doc_id] = counts
        self._lengths[doc_id] = sum(counts.values())
        for token, tf in counts.items():
            self._postings[token][doc_id] = tf
        self._refresh()

    def remove(self, doc_id: str) -> None:
        counts = self._docs.pop(doc_id, None)
        if counts is None:
            return
        self._lengths.pop(doc_id, None)
        for token in counts:
            postings = self._postings.get(token)
            if postings is not None:
                postings.pop(doc_id, None)
                if not postings:
                    del self._postings[token]
        self._refresh()

    def copy(self) -> KeywordIndex:
        """An independent copy (a draft can be scored against it without touching this one)."""
        other = KeywordIndex(self.k1, self.b)
        other._docs = dict(self._docs)  # the counters are replaced on put, never changed in place
        other._lengths = dict(self._lengths)
        other._postings = defaultdict(dict, {token: dict(p) for token, p in self._postings.items()})
        other._avg_length = self._avg_length
        return other

    def _refresh(self) -> None:
        self._avg_length = (sum(self._lengths.values()) / len(self._lengths)) if self._lengths else 1.0

    def scores(self, query: str) -> Mapping[str, float]:
        """BM25 score of every document sharing at least one query term."""
        n_docs = len(self._docs)
        result: dict[str, float] = defaultdict(float)
        for token in set(tokenize(query)):
            postings = self._postings.get(token)
            if not postings:
                continue
            idf = math.log(1 + (n_docs - len(postings) + 0.5) / (len(postings) + 0.5))
            for doc_id, tf in postings.items():
                norm = self.k1 * (1 - self.b + self.b * self._lengths[doc_id] / self._avg_length)
                result[doc_id] += idf * tf * (self.k1 + 1) / (tf + norm)
        return result
