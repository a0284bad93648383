"""Ranking: fuse vector and keyword evidence per article and decide the verdict."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["answer", "clarify", "none"]


@dataclass(frozen=True, slots=True)
class RankingPolicy:
    """How evidence is weighed and when the top hit is confident; calibrated by `make eval`."""

    keyword_weight: float
    keyword_full_score: float
    passages_per_article: int
    answer_threshold: float
    answer_margin: float
    clarify_threshold: float


@dataclass(frozen=True, slots=True)
class Evidence:
    """Raw signals for one query. `passages`: each article's best passage cosines from the
    vector index (the articles it returned); `dense_floor`: the weakest score it returned;
    `keyword`: BM25 per article."""

    passages: Mapping[str, list[float]]
    dense_floor: float
    keyword: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class ScoredArticle:
    article_id: str
    score: float
    dense: float
    keyword: float


def dense_score(scores: list[float], *, top: int, floor: float) -> float:
    """Mean of an article's `top` best passages: several passages agreeing beat one lucky
    match. Passages the index did not return count as `floor`."""
    best = sorted(scores, reverse=True)[:top]
    best += [floor] * (top - len(best))
    return sum(best) / top


def fuse(evidence: Evidence, keyword: Mapping[str, float], policy: RankingPolicy) -> list[ScoredArticle]:
    """Articles best first; `keyword` is BM25 already normalised to [0, 1]."""
    ranked = []
    for article_id in set(evidence.passages) | set(keyword):
        dense = dense_score(
            evidence.passages.get(article_id, []), top=policy.passages_per_article, floor=evidence.dense_floor
        )
        lexical = keyword.get(article_id, 0.0)
        ranked.append(ScoredArticle(article_id, dense + policy.keyword_weight * lexical, dense, lexical))
    ranked.sort(key=lambda a: (-a.score, a.article_id))
    return ranked


def normalise_keyword(raw: Mapping[str, float], full_score: float) -> dict[str, float]:
    """BM25 to [0, 1]: relative to the best article, scaled down when even the best match is
    weak (a query that shares one common word with an article is no keyword evidence)."""
    if not raw:
        return {}
    top = max(raw.values())
    if top <= 0:
        return {}
    strength = min(1.0, top / full_score)
    return {article_id: value / top * strength for article_id, value in raw.items()}


def rank(evidence: Evidence, policy: RankingPolicy) -> list[ScoredArticle]:
    return fuse(evidence, normalise_keyword(evidence.keyword, policy.keyword_full_score), policy)


def decide_verdict(ranked: list[ScoredArticle], policy: RankingPolicy) -> Verdict:
    """`answer` when the top article is strong and clearly ahead, `clarify` when strong
    candidates are too close to tell apart, `none` when nothing is strong enough."""
    if not ranked or ranked[0].score < policy.clarify_threshold:
        return "none"
    runner_up = ranked[1].score if len(ranked) > 1 else float("-inf")
    if ranked[0].score >= policy.answer_threshold and ranked[0].score - runner_up >= policy.answer_margin:
        return "answer"
    return "clarify"
