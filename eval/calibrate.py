"""Calibrate ranking and the confidence models on BANKING77 train and the out-of-scope queries.

Runs the knowledge base in-process (real model, real index, real example store), collects each
query's evidence once, then:

1. ranking: the keyword weight, saturation and passages per article with the best top-1 on
   articles alone; with history (5 folds: each fold's queries searched with the other folds
   imported as examples), the example weight and temperature and the weight of the classifier
   fitted on the examples with the best top-1;
2. confidence: a logistic model per mode over the signals in kb_service/confidence.py, fitted
   by 5-fold cross-validation; each model's out-of-fold probabilities choose its own answer
   threshold (the most right answers with at most --max-wrong of routine messages answered
   wrongly and at most --max-oos of out-of-scope ones answered) and clarify threshold (at most
   --max-clarify of routine and 10% of out-of-scope messages clarified); and per mode the
   runner-up model (how likely each of the next three articles is the right one), the same way,
   with the sensitive-topic handoffs it gives the action server;
3. writes the models, fitted on everything, to kb_service/calibration.json and prints the
   KB_* settings to put in config.py and the README.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from eval.datasets import banking77_train, history_folds, out_of_scope
from kb_service.app import load_knowledge_base
from kb_service.confidence import (
    ARTICLE_SIGNALS,
    DEFAULT_CALIBRATION,
    HISTORY_SIGNALS,
    RELIABILITY_SIGNALS,
    RUNNER_UP_DEPTH,
    RUNNER_UP_SIGNALS,
    Calibration,
    ConfidenceModel,
    Reliability,
    RunnerUpModel,
    first_two,
    runner_up_signals,
    signals,
)
from kb_service.config import Settings
from kb_service.embedder import Vectors
from kb_service.examples import ExampleBook
from kb_service.folder import folder_store
from kb_service.knowledge import KnowledgeBase
from kb_service.search import Evidence, RankingPolicy, ScoredArticle, rank
from tools.services import ROOT

FOLDS = 5


class PrecomputedEmbedder:
    """The service's embedder, answering from vectors already computed for the eval texts."""

    def __init__(self, inner: object, texts: list[str], vectors: Vectors) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[attr-defined]
        self.dimension = inner.dimension  # type: ignore[attr-defined]
        self._known = dict(zip(texts, vectors, strict=True))

    def warm_up(self) -> None:
        pass

    def encode(self, texts: list[str]) -> Vectors:
        missing = [t for t in texts if t not in self._known]
        if missing:
            self._known.update(zip(missing, self.inner.encode(missing), strict=True))  # type: ignore[attr-defined]
        return np.vstack([self._known[t] for t in texts]).astype(np.float32)


@dataclass
class Query:
    text: str
    expected: str | None  # article id; None for out of scope
    fold: int
    evidence: Evidence


def collect(kb: KnowledgeBase, embedder: PrecomputedEmbedder, queries: list[Query], *, history: bool) -> None:
    """Fill each query's evidence: articles alone, or with the other folds as past examples."""
    if not history:
        for q in queries:
            q.evidence = kb.evidence(q.text, embedder.encode([q.text]))
        return
    in_scope = [q for q in queries if q.expected is not None]
    for fold in range(FOLDS):
        with tempfile.TemporaryDirectory() as tmp:
            book = ExampleBook(Path(tmp) / "examples.sqlite3", embedder)
            past = [(q.text, str(q.expected)) for q in in_scope if q.fold != fold]
            book.add("history", past, status="approved")
            kb.examples = book
            for q in queries:
                if q.fold == fold:
                    q.evidence = kb.evidence(q.text, embedder.encode([q.text]))
            book.close()
            print(f"  history fold {fold + 1}/{FOLDS} searched", flush=True)
    kb.examples = None


def top1(queries: list[Query], policy: RankingPolicy) -> float:
    right = []
    for q in queries:
        if q.expected is not None:
            ranked = rank(q.evidence, policy)
            right.append(bool(ranked) and ranked[0].article_id == q.expected)
    return float(np.mean(right))


def best_policy(queries: list[Query], base: RankingPolicy, grid: dict[str, list[Any]]) -> RankingPolicy:
    sample = queries[::3]  # the grid runs on every third query; the winner is scored on all
    best: tuple[float, RankingPolicy] | None = None
    for values in itertools.product(*grid.values()):
        policy = replace(base, **dict(zip(grid, values, strict=True)))
        score = top1(sample, policy)
        if best is None or score > best[0]:
            best = (score, policy)
    assert best is not None
    print(
        f"  best of grid {dict(zip(grid, (getattr(best[1], k) for k in grid), strict=True))}: "
        f"top-1 {top1(queries, best[1]):.2%} on all"
    )
    return best[1]


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 50) -> tuple[np.ndarray, float]:
    """Newton's method on the L2-penalised log loss; `x` is already standardised."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    penalty = np.full(xb.shape[1], l2 * len(x))
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(xb @ w, -30, 30)))
        gradient = xb.T @ (p - y) + penalty * w
        hessian = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def fit_model(x: np.ndarray, y: np.ndarray, features: tuple[str, ...]) -> ConfidenceModel:
    means, scales = x.mean(axis=0), x.std(axis=0) + 1e-6
    weights, bias = fit_logistic((x - means) / scales, y)
    return ConfidenceModel(
        features, tuple(means.tolist()), tuple(scales.tolist()), tuple(weights.tolist()), bias
    )


@dataclass
class Mode:
    name: str
    model: ConfidenceModel  # fitted on every query, for the service
    right: np.ndarray  # first article right (always False out of scope)
    in_scope: np.ndarray
    out_of_fold: np.ndarray  # P(right) from a model that never saw the query's fold
    runner_up: RunnerUpModel | None = None  # fitted on every query, for the service
    # Per query, (article id, P(right) out of fold) for the first hit and the runner-ups.
    likely: list[list[tuple[str, float]]] | None = None


def fit_with_reliability(
    rows: list[list[float]],
    keys: list[tuple[str, str]],
    right: np.ndarray,
    folds: np.ndarray,
    in_scope: np.ndarray,
    *,
    features: tuple[str, ...],
) -> tuple[ConfidenceModel, np.ndarray]:
    """A logistic model over `rows` plus the reliability of each row's `keys` (the pair of
    articles it is about), out of fold: each row's reliability from the other folds' labelled
    questions and its probability from a model fitted on them. Returns the model fitted on
    everything, with its table, and the out-of-fold probabilities."""

    def table(where: np.ndarray) -> Reliability:
        chosen = np.where(where & in_scope)[0]
        return Reliability.count(
            [keys[n][0] for n in chosen], [keys[n][1] for n in chosen], right[chosen].tolist()
        )

    encoded = np.zeros((len(rows), len(RELIABILITY_SIGNALS)))
    for fold in range(FOLDS):
        counts = table(folds != fold)
        for n in np.where(folds == fold)[0]:
            values = counts.of(*keys[n])
            encoded[n] = [values[f] for f in RELIABILITY_SIGNALS]
    x = np.hstack([np.array(rows), encoded])
    y = right.astype(float)
    oof = np.zeros(len(rows))
    for fold in range(FOLDS):
        test = folds == fold
        model = fit_model(x[~test], y[~test], features)
        oof[test] = [model.probability(dict(zip(features, row, strict=True))) for row in x[test]]
    final = replace(fit_model(x, y, features), reliability=table(np.ones(len(rows), dtype=bool)))
    return final, oof


def build_mode(name: str, queries: list[Query], policy: RankingPolicy, signal_names: tuple[str, ...]) -> Mode:
    """Signals per query, the reliability of its first two articles, the confidence model out
    of fold and on everything; then the runner-up model."""
    rankings = [rank(q.evidence, policy) for q in queries]
    rows, right, pairs = [], [], []
    for q, ranked in zip(queries, rankings, strict=True):
        values = signals(q.text, ranked, q.evidence)
        rows.append([values[f] for f in signal_names])
        right.append(bool(ranked) and ranked[0].article_id == q.expected)
        pairs.append(first_two(ranked))
    y = np.array(right)
    in_scope = np.array([q.expected is not None for q in queries])
    final, oof = fit_with_reliability(
        rows,
        pairs,
        y,
        np.array([q.fold for q in queries]),
        in_scope,
        features=(*signal_names, *RELIABILITY_SIGNALS),
    )
    mode = Mode(name, final, y, in_scope, oof)
    fit_runner_up(mode, queries, rankings)
    return mode


def fit_runner_up(mode: Mode, queries: list[Query], rankings: list[list[ScoredArticle]]) -> None:
    """The runner-up model, the same way as the confidence model, its reliability keyed
    (runner-up, first); its `first_confidence` is the confidence model's out-of-fold
    probability. Also keeps each query's out-of-fold likelihoods for the sensitive report."""
    rows, right, keys, owner = [], [], [], []
    mode.likely = []
    for i, (q, ranked) in enumerate(zip(queries, rankings, strict=True)):
        mode.likely.append([(ranked[0].article_id, float(mode.out_of_fold[i]))] if ranked else [])
        for k in range(1, min(len(ranked), RUNNER_UP_DEPTH + 1)):
            values = runner_up_signals(ranked, k, float(mode.out_of_fold[i]))
            rows.append([values[f] for f in RUNNER_UP_SIGNALS])
            right.append(ranked[k].article_id == q.expected)
            keys.append((ranked[k].article_id, ranked[0].article_id))
            owner.append(i)
    final, oof = fit_with_reliability(
        rows,
        keys,
        np.array(right),
        np.array([queries[i].fold for i in owner]),
        np.array([queries[i].expected is not None for i in owner]),
        features=(*RUNNER_UP_SIGNALS, *RELIABILITY_SIGNALS),
    )
    mode.runner_up = RunnerUpModel(final)
    for n, i in enumerate(owner):
        mode.likely[i].append((keys[n][0], float(oof[n])))


def outcomes(mode: Mode, answer: float, clarify: float) -> dict[str, float]:
    ins, p, right = mode.in_scope, mode.out_of_fold, mode.right
    answered = p >= answer
    clarified = (p >= clarify) & ~answered
    return {
        "top1": float(right[ins].mean()),
        "right": float((answered & right)[ins].mean()),
        "wrong": float((answered & ~right)[ins].mean()),
        "clarified": float(clarified[ins].mean()),
        "none": float((p < clarify)[ins].mean()),
        "oos_answered": float(answered[~ins].mean()),
        "oos_clarified": float(clarified[~ins].mean()),
    }


def choose_thresholds(
    mode: Mode, max_wrong: float, max_oos: float, max_clarify: float, max_oos_clarify: float = 0.1
) -> tuple[float, float]:
    """The answer threshold with the most right answers within the limits on wrong and
    out-of-scope answers; then the lowest clarify threshold within the limits on clarified
    routine and out-of-scope messages (a message that matched nothing gets `none`)."""
    options = []
    for answer in np.arange(0.50, 0.995, 0.005):
        o = outcomes(mode, answer, answer)
        if o["wrong"] <= max_wrong and o["oos_answered"] <= max_oos:
            options.append((o["right"], -answer, answer))
    answer = max(options)[2] if options else 0.99
    clarify = answer
    for candidate in np.arange(answer, 0.0, -0.01):
        o = outcomes(mode, answer, candidate)
        if o["clarified"] > max_clarify or o["oos_clarified"] > max_oos_clarify:
            break
        clarify = candidate
    return round(float(answer), 3), round(float(clarify), 2)


def sensitive_handoffs(
    mode: Mode, queries: list[Query], sensitive: set[str], floor: float, likelihood: float
) -> dict[str, float]:
    """The action server's sensitive-topic rule on out-of-fold likelihoods (without its check
    for a disowned payment): handed over when the first hit is at least `floor` likely right
    and it, or a runner-up at least `likelihood` likely right, is sensitive."""
    assert mode.likely is not None
    fired = np.array(
        [
            bool(hits)
            and hits[0][1] >= floor
            and (hits[0][0] in sensitive or any(a in sensitive and p >= likelihood for a, p in hits[1:]))
            for hits in mode.likely
        ]
    )
    about = np.array([q.expected in sensitive for q in queries])
    return {
        "sensitive": float(fired[about].mean()),
        "others": float(fired[mode.in_scope & ~about].mean()),
        "out_of_scope": float(fired[~mode.in_scope].mean()),
    }


def describe(mode: Mode, answer: float, clarify: float) -> str:
    o = outcomes(mode, answer, clarify)
    return (
        f"{mode.name}: top-1 {o['top1']:.1%}, answered right {o['right']:.1%}, wrong {o['wrong']:.1%}, "
        f"clarified {o['clarified']:.1%}, none {o['none']:.1%}; out of scope answered "
        f"{o['oos_answered']:.1%}, clarified {o['oos_clarified']:.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-wrong", type=float, default=0.019)
    parser.add_argument("--max-oos", type=float, default=0.045)
    parser.add_argument("--max-clarify", type=float, default=0.18)
    parser.add_argument("--out", type=Path, default=DEFAULT_CALIBRATION)
    args = parser.parse_args()

    settings = Settings(knowledge_dir=ROOT / "knowledge", data_dir=ROOT / "var" / "kb")
    # The articles as they are in git (an editor's unpublished changes in var/kb do not count).
    store = folder_store(settings.knowledge_dir)
    kb = load_knowledge_base(settings, None, with_examples=False, store=store)
    topic_article = {a.topic: a.id for a in kb.articles()}
    labelled = banking77_train()
    oos = out_of_scope()
    folds = history_folds(labelled, FOLDS)
    texts = [e.text for e in labelled] + [e.text for e in oos]
    print(f"encoding {len(texts)} queries", flush=True)
    embedder = PrecomputedEmbedder(kb.embedder, texts, kb.embedder.encode(texts))
    kb.embedder = embedder
    queries = [
        Query(e.text, topic_article[e.topic or ""], f, Evidence({}, 0.0, {}))
        for e, f in zip(labelled, folds, strict=True)
    ] + [Query(e.text, None, i % FOLDS, Evidence({}, 0.0, {})) for i, e in enumerate(oos)]

    print("articles alone", flush=True)
    collect(kb, embedder, queries, history=False)
    policy = best_policy(
        queries,
        kb.policy,
        {
            "passages_per_article": [2, 3, 4, 5],
            "keyword_weight": [0.15, 0.25, 0.35],
            "keyword_full_score": [16.0, 24.0],
        },
    )
    articles = build_mode("articles", queries, policy, ARTICLE_SIGNALS)

    print("with history (k-fold)", flush=True)
    collect(kb, embedder, queries, history=True)
    policy = best_policy(
        queries,
        policy,
        {
            "example_weight": [0.5, 0.8, 1.2, 1.6],
            "example_temperature": [0.03, 0.05],
            "classifier_weight": [0.0, 0.4, 0.8, 1.2, 1.6],
        },
    )
    history = build_mode("history", queries, policy, HISTORY_SIGNALS)

    answer, clarify = choose_thresholds(articles, args.max_wrong, args.max_oos, args.max_clarify)
    history_answer, history_clarify = choose_thresholds(
        history, args.max_wrong, args.max_oos, args.max_clarify
    )
    print("\nout of fold, at the chosen thresholds:")
    print("  " + describe(articles, answer, clarify))
    print("  " + describe(history, history_answer, history_clarify))

    sensitive = {a.id for a in kb.articles() if a.escalation == "always"}
    print("\nsensitive topics handed over (out of fold; the actions' ACTIONS_SENSITIVE_* settings):")
    for mode in (articles, history):
        for floor, likelihood in itertools.product((0.15, 0.2), (0.06, 0.08, 0.1)):
            rates = sensitive_handoffs(mode, queries, sensitive, floor, likelihood)
            print(
                f"  {mode.name}: min confidence {floor}, runner-up likelihood {likelihood}: "
                + ", ".join(f"{k} {v:.1%}" for k, v in rates.items())
            )

    calibration = Calibration(articles.model, history.model, articles.runner_up, history.runner_up)
    calibration.save(args.out)
    print(f"\nwrote {args.out}\nsettings:")
    for name in (
        "keyword_weight",
        "keyword_full_score",
        "passages_per_article",
        "example_weight",
        "example_temperature",
        "classifier_weight",
    ):
        print(f"  KB_{name.upper()}={getattr(policy, name)}")
    print(f"  KB_ANSWER_CONFIDENCE={answer}\n  KB_CLARIFY_CONFIDENCE={clarify}")
    print(
        f"  KB_HISTORY_ANSWER_CONFIDENCE={history_answer}\n  KB_HISTORY_CLARIFY_CONFIDENCE={history_clarify}"
    )


if __name__ == "__main__":
    main()
