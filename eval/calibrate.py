"""Calibrate ranking weights and verdict thresholds on the BANKING77 train queries.

Runs the knowledge base in-process (real model, real index), collects each query's raw
evidence once, then searches the settings grid: the keyword weight and saturation that give
the best top-1, and the verdict thresholds that answer as often as possible while at most
--max-wrong of `answer` verdicts are wrong and at most --max-oos of out-of-scope queries are
answered. Prints the KB_* values to put in config.py and the README.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass, replace

import numpy as np

from eval.datasets import banking77_train, out_of_scope
from kb_service.app import load_knowledge_base
from kb_service.config import Settings
from kb_service.search import Evidence, RankingPolicy, rank
from tools.services import ROOT


@dataclass(frozen=True)
class Scored:
    top1: np.ndarray  # bool per in-scope query
    first: np.ndarray  # top score per query
    margin: np.ndarray  # top minus runner-up


def score(evidence: list[Evidence], expected: list[str | None], policy: RankingPolicy) -> Scored:
    top1, first, margin = [], [], []
    for ev, want in zip(evidence, expected, strict=True):
        ranked = rank(ev, policy)
        top1.append(bool(ranked) and ranked[0].article_id == want)
        first.append(ranked[0].score if ranked else -1.0)
        margin.append(ranked[0].score - ranked[1].score if len(ranked) > 1 else 1.0)
    return Scored(np.array(top1), np.array(first), np.array(margin))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-wrong", type=float, default=0.04)
    parser.add_argument("--max-oos", type=float, default=0.12)
    args = parser.parse_args()

    settings = Settings(knowledge_dir=ROOT / "knowledge", data_dir=ROOT / "var" / "kb")
    kb = load_knowledge_base(settings, None)
    topic_article = {a.topic: a.id for a in kb.articles()}
    in_scope = banking77_train()
    oos = out_of_scope()
    texts = [e.text for e in in_scope] + [e.text for e in oos]
    vectors = kb.embedder.encode(texts)
    evidence = [kb.evidence(t, vectors[i : i + 1]) for i, t in enumerate(texts)]
    expected = [topic_article[e.topic or ""] for e in in_scope] + [None] * len(oos)
    n = len(in_scope)

    base = kb.policy
    best: tuple[float, RankingPolicy] | None = None
    # The grid runs on every third query to keep it quick; the winner is scored on all.
    grid_idx = list(range(0, n, 3))
    grid_ev, grid_exp = [evidence[i] for i in grid_idx], [expected[i] for i in grid_idx]
    for per_article, weight, full in itertools.product(
        [2, 3, 5, 8], [0.1, 0.2, 0.3, 0.4], [12.0, 16.0, 24.0]
    ):
        policy = replace(
            base,
            passages_per_article=per_article,
            keyword_weight=weight,
            keyword_full_score=full,
        )
        acc = float(score(grid_ev, grid_exp, policy).top1.mean())
        if best is None or acc > best[0]:
            best = (acc, policy)
            print(f"{policy} top1={acc:.2%} (grid sample)")
    assert best is not None
    policy = best[1]
    acc = float(score(evidence[:n], expected[:n], policy).top1.mean())
    print(f"\nbest ranking: {policy}\ntop1 on all queries={acc:.2%}")

    s = score(evidence, expected, policy)
    ins_first, ins_margin, ins_ok = s.first[:n], s.margin[:n], s.top1[:n]
    oos_first, oos_margin = s.first[n:], s.margin[n:]
    options = []
    for threshold in np.arange(0.40, 1.20, 0.01):
        for margin in np.arange(0.0, 0.30, 0.01):
            answered = (ins_first >= threshold) & (ins_margin >= margin)
            if not answered.any():
                continue
            wrong = float((answered & ~ins_ok).sum() / answered.sum())
            oos_rate = float(((oos_first >= threshold) & (oos_margin >= margin)).mean())
            if wrong <= args.max_wrong and oos_rate <= args.max_oos:
                options.append((float((answered & ins_ok).mean()), threshold, margin, wrong, oos_rate))
    if not options:
        print("no thresholds meet the targets")
        return
    correct, threshold, margin, wrong, oos_rate = max(options)
    print(
        f"answer: threshold={threshold:.2f} margin={margin:.2f} -> answered correctly {correct:.1%} "
        "of queries, "
        f"{wrong:.1%} of answers wrong, {oos_rate:.1%} of out-of-scope answered"
    )
    # Clarify: keep most in-scope queries out of `none` while sending most out-of-scope there.
    for clarify in np.arange(0.30, threshold, 0.02):
        print(
            f"clarify_threshold={clarify:.2f}: in-scope none {(ins_first < clarify).mean():.1%}, "
            f"out-of-scope none {(oos_first < clarify).mean():.1%}"
        )


if __name__ == "__main__":
    main()
