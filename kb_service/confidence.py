"""How likely the first article is the right answer: a small logistic model over ranking signals.

The fused score alone is a weak signal (a high score can still be a near tie; a modest one can
be a clear winner that keywords and past examples agree on). `make calibrate` fits two models by
cross-validation on labelled questions and out-of-scope ones: `articles`, for a service without
past examples, and `history`, for one that holds them. Both are saved in calibration.json.
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
    def linear(cls, weights: Mapping[str, float], *, bias: float) -> ConfidenceModel:
        """A model over raw (unstandardised) signals, for tests and the fallback."""
        n = len(weights)
        return cls(tuple(weights), (0.0,) * n, (1.0,) * n, tuple(weights.values()), bias)

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


@dataclass(frozen=True, slots=True)
class Calibration:
    """The two fitted models; `confidence` picks by whether the service holds examples."""

    articles: ConfidenceModel
    history: ConfidenceModel

    def confidence(
        self, query: str, ranked: Sequence[ScoredArticle], evidence: Evidence, *, history: bool
    ) -> float:
        model = self.history if history else self.articles
        return model.probability(model.signals(query, ranked, evidence))

    @classmethod
    def fallback(cls) -> Calibration:
        """High score and a clear lead: confident; the same for both modes."""
        model = ConfidenceModel.linear({"top": 10.0, "margin": 40.0}, bias=-10.0)
        return cls(model, model)

    def save(self, path: Path) -> None:
        data = {"articles": self.articles.to_json(), "history": self.history.to_json()}
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = DEFAULT_CALIBRATION) -> Calibration:
        """The fitted models at `path`; a conservative hand-set one when none was fitted yet."""
        if not path.exists():
            log.warning("no calibration at %s (make calibrate); using a conservative default", path)
            return cls.fallback()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(ConfidenceModel.from_json(data["articles"]), ConfidenceModel.from_json(data["history"]))
