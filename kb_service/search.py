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
    answer_threshold: float
    answer_margin: float
    clarify_threshold: float


@dataclass(frozen=True, slots=True)
class Evidence:
    """Raw signals for one query: best passage cosine per article from the vector index (the
    articles it returned), the weakest score it returned, and BM25 per article."""

    dense: Mapping[str, float]
    dense_floor: float
    keyword: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class ScoredArticle:
    article_id: str
    score: float
    dense: float
    keyword: float


def fuse(
    dense: Mapping[str, float],
    keyword: Mapping[str, float],
    *,
    dense_floor: float,
    policy: RankingPolicy,
) -> list[ScoredArticle]:
    """Articles best first. `keyword` is normalised to [0, 1]; an article the vector
    search did not return gets `dense_floor` (the weakest passage score it did return)."""
    ranked = [
        ScoredArticle(
            article_id,
            dense.get(article_id, dense_floor) + policy.keyword_weight * keyword.get(article_id, 0.0),
            dense.get(article_id, dense_floor),
            keyword.get(article_id, 0.0),
        )
        for article_id in set(dense) | set(keyword)
    ]
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
    return fuse(
        evidence.dense,
        normalise_keyword(evidence.keyword, policy.keyword_full_score),
        dense_floor=evidence.dense_floor,
        policy=policy,
    )


def decide_verdict(ranked: list[ScoredArticle], policy: RankingPolicy) -> Verdict:
    """`answer` when the top article is strong and clearly ahead, `clarify` when strong
    candidates are too close to tell apart, `none` when nothing is strong enough."""
    if not ranked or ranked[0].score < policy.clarify_threshold:
        return "none"
    runner_up = ranked[1].score if len(ranked) > 1 else float("-inf")
    if ranked[0].score >= policy.answer_threshold and ranked[0].score - runner_up >= policy.answer_margin:
        return "answer"
    return "clarify"
