""" "Try this question": what the search answers now, and what it would answer with a draft in
place of the article's live version, ranked by the same policy. The live index is not touched:
the draft's passages are embedded (reusing the vectors held for unchanged ones) and scored
beside the live passages of every other article."""

from __future__ import annotations

from dataclasses import dataclass

from kb_service.articles import Article
from kb_service.knowledge import KnowledgeBase, Substitute
from kb_service.search import Evidence, Verdict


@dataclass(frozen=True, slots=True)
class TrialHit:
    article_id: str
    title: str
    score: float
    rank: int  # 1 is first


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    confidence: float
    hits: list[TrialHit]
    article_rank: int | None  # where the tried article ranks; None when it is not ranked


def try_draft(kb: KnowledgeBase, *, question: str, draft: Article, top_k: int = 5) -> tuple[Outcome, Outcome]:
    """(now, with the draft): the live search's outcome and the outcome with `draft` instead."""
    query_vector = kb.embedder.encode([question])
    substitute = Substitute(draft, kb.passage_vectors(draft))
    titles = {a.id: a.title for a in kb.articles()}
    now = kb.evidence(question, query_vector)
    with_draft = kb.evidence(question, query_vector, instead=substitute)
    return (
        _outcome(kb, question, now, article_id=draft.id, titles=titles, top_k=top_k),
        _outcome(
            kb,
            question,
            with_draft,
            article_id=draft.id,
            titles={**titles, draft.id: draft.title},
            top_k=top_k,
        ),
    )


def _outcome(
    kb: KnowledgeBase,
    question: str,
    evidence: Evidence,
    *,
    article_id: str,
    titles: dict[str, str],
    top_k: int,
) -> Outcome:
    ranked, confidence, verdict, _ = kb.decide(question, evidence)
    # An article published or removed meanwhile may lack a title here: it is left out.
    ranked = [r for r in ranked if r.article_id in titles]
    hits = [
        TrialHit(r.article_id, titles[r.article_id], round(r.score, 4), position)
        for position, r in enumerate(ranked[:top_k], start=1)
    ]
    rank = next((i for i, r in enumerate(ranked, start=1) if r.article_id == article_id), None)
    return Outcome(verdict, round(confidence, 4), hits, rank)
