from __future__ import annotations

from dataclasses import replace

import pytest

from kb_service.keyword import KeywordIndex, tokenize
from kb_service.search import Evidence, RankingPolicy, ScoredArticle, decide_verdict, normalise_keyword, rank

POLICY = RankingPolicy(
    keyword_weight=0.5,
    keyword_full_score=4.0,
    passages_per_article=1,
    answer_threshold=0.6,
    answer_margin=0.1,
    clarify_threshold=0.4,
)


def scored(*scores: float) -> list[ScoredArticle]:
    return [ScoredArticle(f"a{i}", s, s, 0.0) for i, s in enumerate(scores)]


def evidence(
    passages: dict[str, list[float]],
    *,
    floor: float = 0.1,
    keyword: dict[str, float] | None = None,
) -> Evidence:
    return Evidence(passages, floor, keyword or {})


@pytest.mark.parametrize(
    ("scores", "verdict"),
    [
        ((0.9, 0.5), "answer"),
        ((0.9, 0.85), "clarify"),  # strong but too close to tell apart
        ((0.55, 0.2), "clarify"),  # plausible, not confident
        ((0.3, 0.1), "none"),
        ((), "none"),
        ((0.7,), "answer"),
    ],
)
def test_verdict(scores: tuple[float, ...], verdict: str) -> None:
    assert decide_verdict(scored(*scores), POLICY) == verdict


def test_keyword_evidence_lifts_an_article_past_a_close_vector_rival() -> None:
    ranked = rank(evidence({"a": [0.70], "b": [0.72]}, keyword={"a": 8.0, "b": 1.0}), POLICY)
    assert [r.article_id for r in ranked] == ["a", "b"]
    assert ranked[0].score == pytest.approx(0.70 + 0.5 * 1.0)


def test_articles_found_only_by_keywords_start_from_the_dense_floor() -> None:
    ranked = rank(evidence({"a": [0.5]}, floor=0.2, keyword={"b": 4.0}), POLICY)
    assert {r.article_id: r.dense for r in ranked} == {"a": 0.5, "b": 0.2}


def test_several_agreeing_passages_beat_one_lucky_match() -> None:
    policy = replace(POLICY, passages_per_article=3)
    ranked = rank(evidence({"lucky": [0.80, 0.20], "steady": [0.70, 0.68, 0.66]}, floor=0.1), policy)
    assert [r.article_id for r in ranked] == ["steady", "lucky"]
    assert ranked[1].dense == pytest.approx((0.80 + 0.20 + 0.1) / 3)


def test_weak_keyword_matches_count_for_little() -> None:
    assert normalise_keyword({"a": 1.0, "b": 0.5}, full_score=4.0) == {"a": 0.25, "b": 0.125}
    assert normalise_keyword({"a": 8.0}, full_score=4.0) == {"a": 1.0}
    assert normalise_keyword({}, full_score=4.0) == {}


def test_tokenize_folds_synonyms_plurals_and_stop_words() -> None:
    assert tokenize("Where are the ATMs?") == ["cashmachine"]
    assert tokenize("my cheques") == tokenize("my checks")
    assert tokenize("top-up") == tokenize("top up") == ["top", "up"]
    assert tokenize("blocked") == tokenize("blocking")


def test_bm25_prefers_the_document_about_the_query_and_forgets_removed_ones() -> None:
    index = KeywordIndex()
    index.put("pin", [("PIN blocked unblock PIN", 1)])
    index.put("card", [("card delivery post", 1)])
    index.put("rates", [("exchange rates currency", 1)])
    scores = index.scores("my pin is blocked")
    assert max(scores, key=scores.__getitem__) == "pin"
    index.remove("pin")
    assert "pin" not in index.scores("pin blocked")
    assert len(index) == 2
