from __future__ import annotations

from dataclasses import replace

import pytest

from kb_service.keyword import KeywordIndex, tokenize
from kb_service.search import (
    Evidence,
    RankingPolicy,
    ScoredArticle,
    competing,
    decide_verdict,
    decided_by_examples,
    example_scores,
    normalise_keyword,
    rank,
    reads_history,
)

POLICY = RankingPolicy(
    keyword_weight=0.5,
    keyword_full_score=4.0,
    passages_per_article=1,
    example_weight=1.0,
    example_temperature=0.05,
    example_floor=0.5,
    answer_confidence=0.9,
    clarify_confidence=0.5,
    clarify_spread=0.1,
    clarify_max=3,
)


def scored(*scores: float) -> list[ScoredArticle]:
    return [ScoredArticle(f"a{i}", s, s, 0.0) for i, s in enumerate(scores)]


def evidence(
    passages: dict[str, list[float]],
    *,
    floor: float = 0.1,
    keyword: dict[str, float] | None = None,
    examples: dict[str, list[float]] | None = None,
) -> Evidence:
    return Evidence(passages, floor, keyword or {}, examples or {})


@pytest.mark.parametrize(
    ("scores", "confidence", "verdict"),
    [
        ((0.9, 0.5), 0.95, "answer"),
        ((0.9, 0.5), 0.90, "answer"),  # the threshold itself answers
        ((0.9, 0.85), 0.7, "clarify"),  # plausible, not confident
        ((0.9, 0.85), 0.49, "none"),  # a high score is not enough: the model says unlikely
        ((), 0.99, "none"),
    ],
)
def test_verdict_reads_the_calibrated_confidence(
    scores: tuple[float, ...], confidence: float, verdict: str
) -> None:
    assert decide_verdict(scored(*scores), confidence, POLICY) == verdict


@pytest.mark.parametrize(
    ("scores", "offered"),
    [
        ((0.9, 0.85, 0.82, 0.81), ["a0", "a1", "a2"]),  # at most three, all close
        ((0.9, 0.85, 0.5), ["a0", "a1"]),  # the distant third does not compete
        ((0.9, 0.5), ["a0"]),  # one clearly ahead: a yes/no check, not a choice
        ((), []),
    ],
)
def test_a_clarification_offers_only_the_articles_that_compete(
    scores: tuple[float, ...], offered: list[str]
) -> None:
    assert [a.article_id for a in competing(scored(*scores), POLICY)] == offered


def test_example_votes_favour_many_close_examples_and_ignore_distant_ones() -> None:
    votes = example_scores({"a": [0.95, 0.93, 0.9], "b": [0.96], "c": [0.4]}, POLICY)
    assert set(votes) == {"a", "b"}  # c is under the floor
    assert votes["a"] > votes["b"]
    assert votes["a"] / 0.95 + votes["b"] / 0.96 == pytest.approx(1.0)  # shares of the votes


def test_examples_can_decide_between_articles_and_say_so() -> None:
    close = evidence({"a": [0.70], "b": [0.72]})
    assert rank(close, POLICY)[0].article_id == "b"
    ranked = rank(evidence({"a": [0.70], "b": [0.72]}, examples={"a": [0.93, 0.92], "b": [0.6]}), POLICY)
    assert ranked[0].article_id == "a"
    assert ranked[0].votes == 2
    assert ranked[1].votes == 1
    assert decided_by_examples(ranked, POLICY)
    agreeing = rank(evidence({"a": [0.70], "b": [0.72]}, examples={"b": [0.93]}), POLICY)
    assert agreeing[0].article_id == "b"
    assert not decided_by_examples(agreeing, POLICY)


def test_an_article_known_only_from_examples_is_ranked() -> None:
    ranked = rank(evidence({"a": [0.6]}, floor=0.2, examples={"b": [0.97]}), POLICY)
    assert ranked[0].article_id == "b"
    assert ranked[0].dense == 0.2


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


def test_the_example_classifier_can_lift_an_article_and_counts_as_examples_deciding() -> None:
    policy = replace(POLICY, classifier_weight=0.4)
    tied = Evidence({"a": [0.70], "b": [0.72]}, 0.1, {}, {}, {"a": 0.9, "b": 0.05})
    ranked = rank(tied, policy)
    assert [r.article_id for r in ranked][:2] == ["a", "b"]
    assert ranked[0].classifier == 0.9
    assert decided_by_examples(ranked, policy)
    # An article only the classifier finds plausible becomes a candidate; a faint one does not.
    ranked = rank(Evidence({"a": [0.6]}, 0.2, {}, {}, {"c": 0.6, "d": 0.01}), policy)
    assert {r.article_id for r in ranked} == {"a", "c"}


def test_the_history_model_judges_only_a_first_article_the_examples_classifier_knows() -> None:
    ranked = [ScoredArticle("a", 0.9, 0.9, 0.0), ScoredArticle("b", 0.5, 0.5, 0.0)]
    assert reads_history(ranked, Evidence({}, 0.0, {}, {}, {"a": 0.7, "b": 0.3}))
    assert not reads_history(ranked, Evidence({}, 0.0, {}, {}, {"b": 0.9, "c": 0.1}))
    assert not reads_history(ranked, Evidence({}, 0.0, {}, {"a": [0.9]}, {}))  # votes, no classifier
    assert not reads_history([], Evidence({}, 0.0, {}, {}, {"a": 1.0}))
