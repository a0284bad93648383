from __future__ import annotations

import math
from pathlib import Path

import pytest

from kb_service.confidence import (
    ARTICLE_SIGNALS,
    HISTORY_SIGNALS,
    RELIABILITY_SIGNALS,
    RUNNER_UP_SIGNALS,
    Calibration,
    ConfidenceModel,
    Reliability,
    RunnerUpModel,
    logit,
    runner_up_signals,
    signals,
)
from kb_service.search import Evidence, ScoredArticle


def test_signals_describe_the_first_article_against_the_rest() -> None:
    ranked = [
        ScoredArticle("a", 0.9, 0.7, 0.8, 0.3, 2),
        ScoredArticle("b", 0.6, 0.65, 0.1, 0.0, 1),
        ScoredArticle("c", 0.5, 0.5, 0.0),
    ]
    evidence = Evidence({}, 0.2, {}, {"a": [0.91, 0.88], "b": [0.95]})
    s = signals("my card has not come", ranked, evidence)
    assert set(s) == set(HISTORY_SIGNALS)
    assert s["top"] == 0.9
    assert s["margin"] == pytest.approx(0.3)
    assert s["gap3"] == pytest.approx(0.4)
    assert s["dense_margin"] == pytest.approx(0.05)
    assert s["keyword_agrees"] == 1.0
    assert s["words"] == pytest.approx(math.log1p(5))
    assert s["example_top"] == 0.91
    assert s["example_share"] == pytest.approx(2 / 3)
    assert s["example_agrees"] == 0.0  # the single nearest example names b
    assert s["example_nearest"] == 0.95


def test_signals_of_nothing_found_are_zero() -> None:
    assert set(signals("hello", [], Evidence({}, 0.0, {})).values()) == {0.0}


def test_a_lone_article_is_measured_against_the_dense_floor() -> None:
    s = signals("x", [ScoredArticle("a", 0.7, 0.7, 0.0)], Evidence({}, 0.3, {}))
    assert s["margin"] == pytest.approx(0.4)
    assert s["keyword_agrees"] == 0.0  # no keyword evidence at all


def test_the_model_is_a_logistic_over_standardised_signals() -> None:
    model = ConfidenceModel(("top", "margin"), (0.5, 0.1), (0.1, 0.05), (2.0, 1.0), -1.0)
    p = model.probability({"top": 0.7, "margin": 0.15})  # z = -1 + 2*2 + 1*1 = 4
    assert p == pytest.approx(1 / (1 + math.exp(-4)))
    assert model.probability({"top": 100.0, "margin": 100.0}) <= 1.0


def test_calibration_round_trips_through_its_file(tmp_path: Path) -> None:
    calibration = Calibration(
        ConfidenceModel.linear({"top": 3.0}, bias=-1.0),
        ConfidenceModel.linear({"example_top": 2.0}, bias=0.5),
    )
    calibration.save(tmp_path / "c.json")
    assert Calibration.load(tmp_path / "c.json") == calibration


def test_history_mode_reads_the_history_model() -> None:
    calibration = Calibration(
        ConfidenceModel.linear({"top": 0.0}, bias=-5.0), ConfidenceModel.linear({"top": 0.0}, bias=5.0)
    )
    ranked = [ScoredArticle("a", 0.9, 0.9, 0.0)]
    evidence = Evidence({}, 0.0, {})
    assert calibration.confidence("q", ranked, evidence, history=False) < 0.01
    assert calibration.confidence("q", ranked, evidence, history=True) > 0.99


def test_a_missing_calibration_falls_back_to_a_conservative_model(tmp_path: Path) -> None:
    calibration = Calibration.load(tmp_path / "absent.json")
    strong = [ScoredArticle("a", 0.9, 0.9, 0.0), ScoredArticle("b", 0.4, 0.4, 0.0)]
    close = [ScoredArticle("a", 0.9, 0.9, 0.0), ScoredArticle("b", 0.88, 0.88, 0.0)]
    ev = Evidence({}, 0.0, {})
    assert calibration.confidence("q", strong, ev, history=False) > 0.95
    assert calibration.confidence("q", close, ev, history=False) < 0.9


def test_the_shipped_calibration_loads_and_reads_every_signal() -> None:
    calibration = Calibration.load()
    assert set(calibration.articles.features) == {*ARTICLE_SIGNALS, *RELIABILITY_SIGNALS}
    assert set(calibration.history.features) == {*HISTORY_SIGNALS, *RELIABILITY_SIGNALS}
    assert calibration.articles.reliability is not None
    assert "card-arrival" in calibration.articles.reliability.articles


def test_reliability_is_smoothed_towards_the_article_then_the_overall_rate() -> None:
    table = Reliability.count(
        ["a", "a", "a", "b"], ["b", "b", "c", "a"], [True, True, False, True], strength=2
    )
    assert table.prior == 0.75
    values = table.of("a", "b")
    article = (2 + 2 * 0.75) / (3 + 2)  # a was first 3 times, right twice
    pair = (2 + 2 * article) / (2 + 2)  # a before b: twice, right both times
    assert values["article_reliability"] == pytest.approx(logit(article))
    assert values["pair_reliability"] == pytest.approx(logit(pair))
    unseen = table.of("new-article", "a")
    assert unseen["article_reliability"] == pytest.approx(logit(0.75))
    assert Reliability.from_json(table.to_json()) == table


def test_runner_up_signals_describe_a_later_article_against_the_first() -> None:
    ranked = [
        ScoredArticle("a", 0.9, 0.9, 0.0),
        ScoredArticle("b", 0.7, 0.7, 0.0),
        ScoredArticle("c", 0.6, 0.6, 0.0),
    ]
    s = runner_up_signals(ranked, 2, 0.5)
    assert s == {"first_confidence": 0.0, "gap": pytest.approx(0.3), "score": 0.6, "second": 0.0}
    assert runner_up_signals(ranked, 1, 0.5)["second"] == 1.0


def test_the_runner_up_model_reads_how_often_that_runner_up_was_right_behind_that_first() -> None:
    # b was the right one behind a three times out of four; c never behind a.
    table = Reliability.count(
        ["b", "b", "b", "b", "c", "c"], ["a"] * 6, [True, True, True, False, False, False]
    )
    model = RunnerUpModel(
        ConfidenceModel.linear({"pair_reliability": 1.0}, bias=0.0, reliability=table), depth=2
    )
    ranked = [
        ScoredArticle("a", 0.9, 0.9, 0.0),
        ScoredArticle("b", 0.8, 0.8, 0.0),
        ScoredArticle("c", 0.8, 0.8, 0.0),
    ]
    assert model.likelihood(ranked, 1, 0.5) > 0.5 > model.likelihood(ranked, 2, 0.5)
    calibration = Calibration(
        ConfidenceModel.linear({"top": 0.0}, bias=0.0),
        ConfidenceModel.linear({"top": 0.0}, bias=0.0),
        model,
        model,
    )
    likelihoods = calibration.likelihoods(ranked, 0.4, history=False)
    assert likelihoods[0] == 0.4  # the first article's is the confidence
    assert len(likelihoods) == 3
    assert calibration.likelihoods(ranked[:2], 0.4, history=True) == likelihoods[:2]
    assert calibration.likelihoods([], 0.4, history=False) == []


def test_without_a_runner_up_model_only_the_first_has_a_likelihood(tmp_path: Path) -> None:
    calibration = Calibration(
        ConfidenceModel.linear({"top": 1.0}, bias=0.0), ConfidenceModel.linear({"top": 1.0}, bias=0.0)
    )
    ranked = [ScoredArticle("a", 0.9, 0.9, 0.0), ScoredArticle("b", 0.8, 0.8, 0.0)]
    assert calibration.likelihoods(ranked, 0.7, history=False) == [0.7]
    calibration.save(tmp_path / "c.json")
    assert Calibration.load(tmp_path / "c.json") == calibration


def test_runner_up_models_round_trip_through_the_file(tmp_path: Path) -> None:
    table = Reliability.count(["b"], ["a"], [True])
    runner_up = RunnerUpModel(ConfidenceModel.linear({"gap": -3.0}, bias=0.1, reliability=table), depth=3)
    model = ConfidenceModel.linear({"top": 3.0}, bias=-1.0)
    calibration = Calibration(model, model, runner_up, runner_up)
    calibration.save(tmp_path / "c.json")
    assert Calibration.load(tmp_path / "c.json") == calibration


def test_the_shipped_calibration_has_runner_up_models() -> None:
    calibration = Calibration.load()
    for runner_up in (calibration.articles_runner_up, calibration.history_runner_up):
        assert runner_up is not None
        assert runner_up.model.reliability is not None
        assert set(runner_up.model.features) == {*RUNNER_UP_SIGNALS, *RELIABILITY_SIGNALS}
