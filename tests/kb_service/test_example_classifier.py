"""The classifier fitted on past examples, over hand-written vectors."""

from __future__ import annotations

import numpy as np
import pytest

from kb_service.example_classifier import MIN_EXAMPLES, ExampleClassifier


def crowds(
    *centres: tuple[float, float], per: int = 12, spread: float = 0.15
) -> tuple[np.ndarray, list[str]]:
    """`per` unit vectors around each 2-d centre, labelled a0, a1, ..."""
    rng = np.random.default_rng(3)
    rows, labels = [], []
    for n, centre in enumerate(centres):
        points = np.array(centre) + rng.normal(0, spread, (per, 2))
        rows.append(points / np.linalg.norm(points, axis=1, keepdims=True))
        labels += [f"a{n}"] * per
    return np.vstack(rows).astype(np.float32), labels


def unit(x: float, y: float) -> np.ndarray:
    v = np.array([[x, y]], dtype=np.float32)
    return v / np.linalg.norm(v)


def test_a_query_goes_to_the_crowd_it_leans_towards() -> None:
    vectors, labels = crowds((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0))
    classifier = ExampleClassifier.fit(vectors, labels)
    assert classifier is not None
    p = classifier.probabilities(unit(0.9, 0.3))
    assert set(p) == {"a0", "a1", "a2"}
    assert sum(p.values()) == pytest.approx(1.0, abs=1e-5)
    assert max(p, key=p.__getitem__) == "a0"
    assert p["a0"] > p["a1"] > p["a2"]


def test_two_articles_give_a_proper_distribution() -> None:
    vectors, labels = crowds((1.0, 0.0), (0.0, 1.0))
    classifier = ExampleClassifier.fit(vectors, labels)
    assert classifier is not None
    near_second = classifier.probabilities(unit(0.1, 1.0))
    assert near_second["a1"] > 0.5 > near_second["a0"]
    assert sum(near_second.values()) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize(("per", "articles"), [(MIN_EXAMPLES // 2 - 1, 2), (MIN_EXAMPLES, 1)])
def test_too_little_to_learn_from_fits_nothing(per: int, articles: int) -> None:
    vectors, labels = crowds(*[(1.0, float(n)) for n in range(articles)], per=per)
    assert ExampleClassifier.fit(vectors, labels) is None
