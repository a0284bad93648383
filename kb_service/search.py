"""Ranking: fuse vector, keyword and past-example evidence per article, and decide the verdict.

The verdict reads a calibrated probability that the first article is right (confidence.py),
not the raw score: a score alone answered at most about 59% of routine questions rightly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Verdict = Literal["answer", "clarify", "none"]

# An article the passages, keywords and votes missed is ranked when the example classifier
# gives it at least this probability.
CLASSIFIER_CANDIDATE = 0.05


@dataclass(frozen=True, slots=True)
class RankingPolicy:
    """How evidence is weighed and when the top hit is confident; fitted by `make calibrate`."""

    keyword_weight: float
    keyword_full_score: float
    passages_per_article: int
    # Past examples: the nearest ones vote for their articles, each weighted by
    # exp((cosine - 1) / temperature); votes under `example_floor` do not count.
    example_weight: float = 0.5
    example_temperature: float = 0.05
    example_floor: float = 0.5
    # The classifier fitted on past examples: its P(article) times this is added to the score.
    classifier_weight: float = 1.2
    # Answer when P(first article right) reaches `answer_confidence`; clarify from
    # `clarify_confidence`, offering the articles within `clarify_spread` of the first.
    answer_confidence: float = 0.9
    clarify_confidence: float = 0.5
    # The same with past examples: another confidence model, so thresholds of its own, chosen
    # under the same limits on wrong answers and out-of-scope answers.
    history_answer_confidence: float = 0.9
    history_clarify_confidence: float = 0.5
    clarify_spread: float = 0.08
    clarify_max: int = 3


@dataclass(frozen=True, slots=True)
class Evidence:
    """Raw signals for one query. `passages`: each article's best passage cosines from the
    vector index (the articles it returned); `dense_floor`: the weakest score it returned;
    `keyword`: BM25 per article; `examples`: cosines of the nearest past examples, per article
    they name, and `classifier`: P(article) from the classifier fitted on them (both empty when
    the service holds no examples)."""

    passages: Mapping[str, list[float]]
    dense_floor: float
    keyword: Mapping[str, float]
    examples: Mapping[str, list[float]] = field(default_factory=dict)
    classifier: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ScoredArticle:
    article_id: str
    score: float
    dense: float
    keyword: float
    examples: float = 0.0  # share of the example votes, times the best example's cosine
    votes: int = 0  # nearest examples naming this article
    classifier: float = 0.0  # P(this article) from the classifier fitted on past examples


def dense_score(scores: list[float], *, top: int, floor: float) -> float:
    """Mean of an article's `top` best passages: several passages agreeing beat one lucky
    match. Passages the index did not return count as `floor`."""
    best = sorted(scores, reverse=True)[:top]
    best += [floor] * (top - len(best))
    return sum(best) / top


def example_scores(examples: Mapping[str, list[float]], policy: RankingPolicy) -> dict[str, float]:
    """Each article's share of the weighted example votes times its best example's cosine:
    many close examples agreeing count for more than one, and a distant crowd for little."""
    weights = {
        article_id: sum(
            math.exp((c - 1.0) / policy.example_temperature) for c in cos if c >= policy.example_floor
        )
        for article_id, cos in examples.items()
    }
    total = sum(weights.values())
    if total <= 0:
        return {}
    return {aid: w / total * max(examples[aid]) for aid, w in weights.items() if w > 0}


def fuse(evidence: Evidence, keyword: Mapping[str, float], policy: RankingPolicy) -> list[ScoredArticle]:
    """Articles best first; `keyword` is BM25 already normalised to [0, 1]."""
    by_examples = example_scores(evidence.examples, policy)
    # Only articles the classifier finds plausible join the candidates it adds.
    by_classifier = {aid: p for aid, p in evidence.classifier.items() if p >= CLASSIFIER_CANDIDATE}
    ranked = []
    for article_id in set(evidence.passages) | set(keyword) | set(by_examples) | set(by_classifier):
        dense = dense_score(
            evidence.passages.get(article_id, []), top=policy.passages_per_article, floor=evidence.dense_floor
        )
        lexical = keyword.get(article_id, 0.0)
        learned = by_examples.get(article_id, 0.0)
        classified = evidence.classifier.get(article_id, 0.0)
        score = (
            dense
            + policy.keyword_weight * lexical
            + policy.example_weight * learned
            + policy.classifier_weight * classified
        )
        votes = sum(c >= policy.example_floor for c in evidence.examples.get(article_id, []))
        ranked.append(ScoredArticle(article_id, score, dense, lexical, learned, votes, classified))
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


def reads_history(ranked: list[ScoredArticle], evidence: Evidence) -> bool:
    """Whether the `history` confidence model judges this search: it was calibrated where past
    examples cover every article, so it reads only a first article the examples' classifier
    knows. With too few examples for a classifier, or none of the first article, the votes still
    rank and the `articles` model decides."""
    return bool(ranked) and ranked[0].article_id in evidence.classifier


def decide_verdict(
    ranked: list[ScoredArticle], confidence: float, policy: RankingPolicy, *, history: bool = False
) -> Verdict:
    """`answer` when the first article is probably right, `clarify` when it is plausible,
    `none` when nothing is (the message matched nothing confidently). `history`: the
    confidence came from the model that reads past examples."""
    answer, clarify = (
        (policy.history_answer_confidence, policy.history_clarify_confidence)
        if history
        else (policy.answer_confidence, policy.clarify_confidence)
    )
    if not ranked or confidence < clarify:
        return "none"
    return "answer" if confidence >= answer else "clarify"


def competing(ranked: list[ScoredArticle], policy: RankingPolicy) -> list[ScoredArticle]:
    """The articles a clarification offers: the first and those within `clarify_spread` of it,
    at most `clarify_max`. One article alone means none competes (a yes/no check)."""
    if not ranked:
        return []
    floor = ranked[0].score - policy.clarify_spread
    return [a for a in ranked[: policy.clarify_max] if a.score >= floor]


def decided_by_examples(ranked: list[ScoredArticle], policy: RankingPolicy) -> bool:
    """True when past examples put the first article ahead: without them another would lead."""
    if not ranked or (ranked[0].examples <= 0 and ranked[0].classifier <= 0):
        return False

    def without_examples(a: ScoredArticle) -> float:
        return a.score - policy.example_weight * a.examples - policy.classifier_weight * a.classifier

    return max(ranked, key=without_examples) is not ranked[0]
