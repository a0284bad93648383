"""`make eval`, history mode: how search does for a team that imported its past conversations.

BANKING77 train is split into 5 folds stratified by topic. For each fold, the other four are
imported into a real kb_service through `POST /examples` (as a team would import its history,
with progress), then the fold's queries and a fifth of the out-of-scope ones are searched over
HTTP. Reports top-1, answers right and wrong, clarifications and out-of-scope answers with
history. The service runs on its own data folder, so a real deployment's examples are untouched.

`--coverage 0.5`: a team whose history covers only some articles. The history is imported for a
random half of the topics only, and the queries on the topics it covers and on those it does not
are reported apart: the second set shows what partial history costs the articles it never names
(compare `eval.kb_search`, articles alone). The targets apply to the whole history only.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from eval.datasets import Example, banking77_train, history_folds, out_of_scope
from eval.kb_search import meets, query_all, render, report
from tools.import_examples import import_examples, print_progress
from tools.services import ROOT, run_service

FOLDS = 5
SOURCE = "eval-history"
TARGETS = {"top1": 0.93, "answered_right": 0.85, "answered_wrong": 0.02, "oos_answered": 0.05}


def covered_topics(labelled: list[Example], coverage: float, seed: int = 5) -> set[str]:
    """The topics a partial history covers: a seeded random share of them."""
    topics = sorted({e.topic or "" for e in labelled})
    return set(random.Random(seed).sample(topics, round(len(topics) * coverage)))


def evaluate(url: str, token: str, coverage: float = 1.0) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    articles = httpx.get(url + "/articles", timeout=30).json()
    topic_article = {a["topic"]: a["id"] for a in articles}
    labelled = banking77_train()
    folds = history_folds(labelled, FOLDS)
    covered = covered_topics(labelled, coverage)
    oos = out_of_scope()
    started = time.perf_counter()
    in_scope_outcomes, oos_outcomes = [], []
    with httpx.Client(base_url=url, headers=headers, timeout=httpx.Timeout(10.0, read=600.0)) as client:
        for fold in range(FOLDS):
            client.delete("/examples", params={"source": SOURCE}).raise_for_status()
            history = [
                {"text": e.text, "topic": e.topic or ""}
                for e, f in zip(labelled, folds, strict=True)
                if f != fold and e.topic in covered
            ]
            print(
                f"fold {fold + 1}/{FOLDS}: importing {len(history)} past questions",
                file=sys.stderr,
                flush=True,
            )
            import_examples(client, SOURCE, history, batch=2000, progress=print_progress)
            in_scope_outcomes += query_all(
                url, [e for e, f in zip(labelled, folds, strict=True) if f == fold]
            )
            oos_outcomes += query_all(url, oos[fold::FOLDS])
        client.delete("/examples", params={"source": SOURCE}).raise_for_status()
    result = report(in_scope_outcomes, oos_outcomes, topic_article)
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["coverage"] = coverage
    if coverage < 1.0:
        for name, inside in (("covered", True), ("not_covered", False)):
            chosen = [o for o in in_scope_outcomes if (o.example.topic in covered) == inside]
            result[name] = {k: v for k, v in report(chosen, [], topic_article).items() if k != "per_topic"}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--coverage", type=float, default=1.0, help="share of the topics the history covers (default all)"
    )
    args = parser.parse_args()
    if not 0.0 < args.coverage <= 1.0:
        parser.error("--coverage must be above 0 and at most 1")
    name = "kb_history" if args.coverage == 1.0 else f"kb_history_coverage_{args.coverage:g}"
    out: Path = args.out or ROOT / "var" / "eval" / f"{name}.json"
    data = ROOT / "var" / "eval" / "kb-history"
    data.mkdir(parents=True, exist_ok=True)
    for saved in ("index.faiss", "manifest.json"):  # reuse the main index rather than rebuild it
        if (ROOT / "var" / "kb" / saved).exists():
            shutil.copy2(ROOT / "var" / "kb" / saved, data / saved)
    # A fresh article store each run: the articles as they are in git are measured.
    for stale in data.glob("articles.sqlite3*"):
        stale.unlink()
    token = secrets.token_urlsafe(16)
    env = {"KB_DATA_DIR": str(data), "KB_KNOWLEDGE_DIR": str(ROOT / "knowledge"), "KB_EDITOR_TOKEN": token}
    with run_service(
        "kb_service", env=env, port_variable="KB_PORT", log_path=ROOT / "var" / "log" / "eval-kb-history.log"
    ) as kb:
        result = evaluate(kb.url, token, args.coverage)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print("With history (5-fold: each fold searched with the other four imported as examples)")
    if args.coverage < 1.0:
        print(f"History of {args.coverage:.0%} of the topics only; targets do not apply")
        print(render(result, {}))
        for part in ("covered", "not_covered"):
            r = result[part]
            print(
                f"  topics {part.replace('_', ' ')}: {r['queries']} queries, top-1 {r['top1']:.1%}, "
                f"answered right {r['answered_right']:.1%}, wrong {r['answered_wrong']:.1%}, "
                f"clarified {r['clarified']:.1%}"
            )
        print(f"\nfull report: {out}")
        return 0
    print(render(result, TARGETS))
    print(f"\nfull report: {out}")
    return 0 if meets(result, TARGETS) else 1


if __name__ == "__main__":
    sys.exit(main())
