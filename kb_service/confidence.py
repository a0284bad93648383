"""How likely the first article is the right answer: a small logistic model over ranking signals;
and, for the few articles ranked behind it, how likely each of those is the right one instead.

The fused score alone is a weak signal (a high score can still be a near tie; a modest one can
be a clear winner that keywords and past examples agree on). `make calibrate` fits two models by
cross-validation on labelled questions and out-of-scope ones: `articles`, for a service without
past examples, and `history`, for one that holds them. Both are saved in calibration.json, each
with its runner-up model (`RunnerUpModel`): the action server hands a customer to a person when
a sensitive article behind the first hit is a likely answer.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb_service.search import Evidence, ScoredArticle

log = logging.getLogger(__name__)

DEFAULT_CALIBRATION = Path(__file__).with_name("calibration.json")

ARTICLE_SIGNALS = (
    "top",
    "margin",
    "gap3",
    "dense_top",
    "dense_margin",
    "keyword_top",
    "keyword_agrees",
    "words",
)
HISTORY_SIGNALS = (
    *ARTICLE_SIGNALS,
    "example_top",
    "example_share",
    "example_agrees",
    "example_nearest",
    "classifier_top",
    "classifier_agrees",
)
# From the labelled questions the model was fitted on (see Reliability).
RELIABILITY_SIGNALS = ("article_reliability", "pair_reliability")
# For an article ranked behind the first (see RunnerUpModel), beside RELIABILITY_SIGNALS.
RUNNER_UP_SIGNALS = ("first_confidence", "gap", "score", "second")
RUNNER_UP_DEPTH = 3  # the articles ranked second to fourth


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


@dataclass(frozen=True, slots=True)
class Reliability:
    """How often each article was right when ranked first on labelled questions, and each pair
    (first, runner-up): some articles are reliably right when first, some are often confused
    with one neighbour. Counts are smoothed towards the overall rate, so an article added since
    calibration gets that rate."""

    prior: float
    strength: float
    articles: Mapping[str, tuple[int, int]]  # article id -> (times right, times first)
    pairs: Mapping[str, tuple[int, int]]  # "first|runner-up" -> (times right, times seen)

    def of(self, first: str, second: str) -> dict[str, float]:
        right, seen = self.articles.get(first, (0, 0))
        article = (right + self.strength * self.prior) / (seen + self.strength)
        right, seen = self.pairs.get(f"{first}|{second}", (0, 0))
        pair = (right + self.strength * article) / (seen + self.strength)
        return {"article_reliability": logit(article), "pair_reliability": logit(pair)}

    @classmethod
    def count(
        cls, firsts: Sequence[str], seconds: Sequence[str], right: Sequence[bool], strength: float = 10.0
    ) -> Reliability:
        articles: dict[str, list[int]] = {}
        pairs: dict[str, list[int]] = {}
        for first, second, ok in zip(firsts, seconds, right, strict=True):
            for table, key in ((articles, first), (pairs, f"{first}|{second}")):
                counts = table.setdefault(key, [0, 0])
                counts[0] += int(ok)
                counts[1] += 1
        prior = sum(map(int, right)) / max(1, len(right))
        return cls(
            prior,
            strength,
            {k: (v[0], v[1]) for k, v in articles.items()},
            {k: (v[0], v[1]) for k, v in pairs.items()},
        )

    def to_json(self) -> dict[str, object]:
        return {
            "prior": self.prior,
            "strength": self.strength,
            "articles": {k: list(v) for k, v in sorted(self.articles.items())},
            "pairs": {k: list(v) for k, v in sorted(self.pairs.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reliability:
        return cls(
            float(data["prior"]),
            float(data["strength"]),
            {k: (int(v[0]), int(v[1])) for k, v in data["articles"].items()},
            {k: (int(v[0]), int(v[1])) for k, v in data["pairs"].items()},
        )


def first_two(ranked: Sequence[ScoredArticle]) -> tuple[str, str]:
    return (ranked[0].article_id if ranked else "", ranked[1].article_id if len(ranked) > 1 else "")


def signals(query: str, ranked: Sequence[ScoredArticle], evidence: Evidence) -> dict[str, float]:
    """The features both models read, for the first article of `ranked`."""
    if not ranked:
        return dict.fromkeys(HISTORY_SIGNALS, 0.0)
    first = ranked[0]
    second = ranked[1].score if len(ranked) > 1 else evidence.dense_floor
    third = ranked[2].score if len(ranked) > 2 else second
    other_dense = max((a.dense for a in ranked[1:]), default=evidence.dense_floor)
    keyword_leader = max(ranked, key=lambda a: a.keyword)
    nearest = {aid: max(cos) for aid, cos in evidence.examples.items() if cos}
    total_votes = sum(a.votes for a in ranked)
    return {
        "top": first.score,
        "margin": first.score - second,
        "gap3": first.score - third,
        "dense_top": first.dense,
        "dense_margin": first.dense - other_dense,
        "keyword_top": first.keyword,
        "keyword_agrees": float(keyword_leader.keyword > 0 and keyword_leader is first),
        "words": math.log1p(len(query.split())),
        "example_top": nearest.get(first.article_id, 0.0),
        "example_share": first.votes / total_votes if total_votes else 0.0,
        "example_agrees": float(bool(nearest) and max(nearest, key=nearest.__getitem__) == first.article_id),
        "example_nearest": max(nearest.values(), default=0.0),
        "classifier_top": first.classifier,
        "classifier_agrees": float(
            bool(evidence.classifier)
            and max(evidence.classifier, key=evidence.classifier.__getitem__) == first.article_id
        ),
    }


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """Logistic regression over standardised signals: P(first article is right)."""

    features: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    reliability: Reliability | None = None

    def signals(self, query: str, ranked: Sequence[ScoredArticle], evidence: Evidence) -> dict[str, float]:
        values = signals(query, ranked, evidence)
        if self.reliability is not None:
            values.update(self.reliability.of(*first_two(ranked)))
        return values

    @classmethod
    def linear(
        cls, weights: Mapping[str, float], *, bias: float, reliability: Reliability | None = None
    ) -> ConfidenceModel:
        """A model over raw (unstandardised) signals, for tests and the fallback."""
        n = len(weights)
        return cls(tuple(weights), (0.0,) * n, (1.0,) * n, tuple(weights.values()), bias, reliability)

    def probability(self, values: Mapping[str, float]) -> float:
        z = self.bias
        for name, mean, scale, weight in zip(
            self.features, self.means, self.scales, self.weights, strict=True
        ):
            z += weight * (values[name] - mean) / scale
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(self.features),
            "means": list(self.means),
            "scales": list(self.scales),
            "weights": list(self.weights),
            "bias": self.bias,
            "reliability": self.reliability.to_json() if self.reliability else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConfidenceModel:
        def floats(key: str) -> tuple[float, ...]:
            return tuple(float(v) for v in data[key])

        reliability = data.get("reliability")
        return cls(
            tuple(str(f) for f in data["features"]),
            floats("means"),
            floats("scales"),
            floats("weights"),
            float(data["bias"]),
            Reliability.from_json(reliability) if reliability else None,
        )


def runner_up_signals(ranked: Sequence[ScoredArticle], k: int, confidence: float) -> dict[str, float]:
    """The features of `ranked[k]` (k >= 1) for the runner-up model, before reliability."""
    return {
        "first_confidence": logit(confidence),
        "gap": ranked[0].score - ranked[k].score,
        "score": ranked[k].score,
        "second": float(k == 1),
    }


@dataclass(frozen=True, slots=True)
class RunnerUpModel:
    """P(an article ranked behind the first is the right answer), for the second to the
    (depth + 1)th: a logistic model over how far behind it is, how sure the first is, and how
    often it was the right one behind that first article on labelled questions. `model`'s
    reliability table counts, keyed (runner-up, first), the times the runner-up was right."""

    model: ConfidenceModel
    depth: int = RUNNER_UP_DEPTH

    def likelihood(self, ranked: Sequence[ScoredArticle], k: int, confidence: float) -> float:
        values = runner_up_signals(ranked, k, confidence)
        if self.model.reliability is not None:
            values.update(self.model.reliability.of(ranked[k].article_id, ranked[0].article_id))
        return self.model.probability(values)

    def to_json(self) -> dict[str, object]:
        return {"depth": self.depth, "model": self.model.to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunnerUpModel:
        return cls(ConfidenceModel.from_json(data["model"]), int(data["depth"]))


@dataclass(frozen=True, slots=True)
class Calibration:
    """The two fitted models; `confidence` picks by whether the service holds examples. The
    runner-up models are absent from a calibration fitted before they existed."""

    articles: ConfidenceModel
    history: ConfidenceModel
    articles_runner_up: RunnerUpModel | None = None
    history_runner_up: RunnerUpModel | None = None

    def confidence(
        self, query: str, ranked: Sequence[ScoredArticle], evidence: Evidence, *, history: bool
    ) -> float:
        model = self.history if history else self.articles
        return model.probability(model.signals(query, ranked, evidence))

    def likelihoods(
        self, ranked: Sequence[ScoredArticle], confidence: float, *, history: bool
    ) -> list[float]:
        """P(right) for the first articles of `ranked`: the confidence for the first, then the
        runner-up model's for the next `depth` (none without a runner-up model)."""
        if not ranked:
            return []
        runner_up = self.history_runner_up if history else self.articles_runner_up
        if runner_up is None:
            return [confidence]
        last = min(len(ranked), runner_up.depth + 1)
        return [confidence, *(runner_up.likelihood(ranked, k, confidence) for k in range(1, last))]

    @classmethod
    def fallback(cls) -> Calibration:
        """High score and a clear lead: confident; the same for both modes."""
        model = ConfidenceModel.linear({"top": 10.0, "margin": 40.0}, bias=-10.0)
        return cls(model, model)

    def save(self, path: Path) -> None:
        data: dict[str, object] = {"articles": self.articles.to_json(), "history": self.history.to_json()}
        if self.articles_runner_up is not None and self.history_runner_up is not None:
            data["runner_up"] = {
                "articles": self.articles_runner_up.to_json(),
                "history": self.history_runner_up.to_json(),
            }
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = DEFAULT_CALIBRATION) -> Calibration:
        """The fitted models at `path`; a conservative hand-set one when none was fitted yet."""
        if not path.exists():
            log.warning("no calibration at %s (make calibrate); using a conservative default", path)
            return cls.fallback()
        data = json.loads(path.read_text(encoding="utf-8"))
        runner_up = data.get("runner_up") or {}
        return cls(
            ConfidenceModel.from_json(data["articles"]),
            ConfidenceModel.from_json(data["history"]),
            RunnerUpModel.from_json(runner_up["articles"]) if runner_up else None,
            RunnerUpModel.from_json(runner_up["history"]) if runner_up else None,
        )
