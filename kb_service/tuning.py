"""Adapting the embedding model to this help centre: contrastive fine-tuning on the articles' own
questions, starting from the bundled all-MiniLM-L6-v2 weights (nothing is downloaded).

Each training pair is (a customer phrasing from an article's `questions`, that article's title and
summary); the loss ranks the right article above the others in the batch (in-batch negatives). A
batch holds each article's document once, with a few of its phrasings sharing that one document
pass, so no article is taught to push itself away and the (longer) documents are encoded a
quarter as often; each epoch samples a fresh subset of every article's phrasings. On a 2-core
AVX2 machine this costs about a quarter of one pass per phrasing. The
result is saved with `tuning.json`, whose fingerprint of the training text tells whether the model
is stale: `python -m kb_service.tuning --when stale` re-tunes only after articles changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from operator import attrgetter
from pathlib import Path
from typing import TypeVar

from kb_service.articles import Article, load_articles
from kb_service.embedder import bundled_model_path

log = logging.getLogger(__name__)
T = TypeVar("T")

TUNING_FORMAT = 2


@dataclass(frozen=True, slots=True)
class Pair:
    question: str
    document: str
    article_id: str


@dataclass(frozen=True, slots=True)
class TuningParams:
    epochs: int = 3
    learning_rate: float = 1e-4
    batch_size: int = 32  # articles per batch, each document encoded once
    questions_per_article: int = 4  # phrasings of one article in a batch, sharing its document
    questions_per_epoch: int = 48  # phrasings of each article sampled per epoch (fresh each time)
    scale: float = 20.0  # cosine similarities are multiplied by this before the softmax
    seed: int = 13


@dataclass(frozen=True, slots=True)
class TuningReport:
    format: int
    base_model: str
    fingerprint: str
    params: dict[str, float | int]
    pairs: int
    seconds: float


def training_pairs(articles: Iterable[Article]) -> list[Pair]:
    return [
        Pair(question, f"{a.title}. {a.summary}", a.id)
        for a in sorted(articles, key=lambda a: a.id)
        for question in a.questions
    ]


def batches_without_repeats(
    items: list[T], batch_size: int, rng: random.Random, key: Callable[[T], str] = attrgetter("article_id")
) -> list[list[T]]:
    """Shuffled batches in which no article appears twice."""
    pool = items[:]
    rng.shuffle(pool)
    batches: list[list[T]] = []
    while pool:
        batch: list[T] = []
        seen: set[str] = set()
        rest: list[T] = []
        for item in pool:
            if len(batch) < batch_size and key(item) not in seen:
                batch.append(item)
                seen.add(key(item))
            else:
                rest.append(item)
        batches.append(batch)
        pool = rest
    return batches


def epoch_batches(pairs: list[Pair], params: TuningParams, rng: random.Random) -> list[list[list[Pair]]]:
    """One epoch: up to `questions_per_epoch` phrasings of each article, in groups of
    `questions_per_article` (one group = one article), batched with no article twice."""
    by_article: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        by_article[pair.article_id].append(pair)
    groups: list[list[Pair]] = []
    for article_id in sorted(by_article):
        own = by_article[article_id]
        chosen = rng.sample(own, min(len(own), params.questions_per_epoch))
        step = params.questions_per_article
        groups.extend(chosen[i : i + step] for i in range(0, len(chosen), step))
    return batches_without_repeats(groups, params.batch_size, rng, key=lambda group: group[0].article_id)


def fingerprint(articles: Iterable[Article], base_model: Path, params: TuningParams) -> str:
    """Changes whenever the training text, the base model or the parameters change."""
    digest = hashlib.sha256()
    digest.update(json.dumps([TUNING_FORMAT, str(base_model.name), asdict(params)]).encode())
    for pair in training_pairs(articles):
        digest.update(f"{pair.article_id}\x1f{pair.question}\x1f{pair.document}\x1e".encode())
    return digest.hexdigest()


def read_report(model_dir: Path) -> TuningReport | None:
    try:
        return TuningReport(**json.loads((model_dir / "tuning.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None


def is_current(
    model_dir: Path, articles: Mapping[str, Article], base_model: Path, params: TuningParams
) -> bool:
    report = read_report(model_dir)
    return report is not None and report.fingerprint == fingerprint(articles.values(), base_model, params)


def tune(
    articles: Mapping[str, Article],
    *,
    out_dir: Path,
    base_model: Path | None = None,
    params: TuningParams = TuningParams(),
    threads: int | None = None,
) -> TuningReport:
    """Fine-tune and save to `out_dir` (replaced atomically, so a running service never reads
    half a model)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    base_model = base_model or bundled_model_path()
    pairs = training_pairs(articles.values())
    if not pairs:
        raise ValueError("no article has questions to train on")
    started = time.perf_counter()
    torch.manual_seed(params.seed)
    torch.set_num_threads(threads or os.cpu_count() or 1)
    rng = random.Random(params.seed)  # noqa: S311 - shuffling training data, not secrets
    model = SentenceTransformer(str(base_model), device="cpu")
    optimiser = torch.optim.AdamW(model.parameters(), lr=params.learning_rate)

    def embed(texts: list[str]) -> torch.Tensor:
        features = model.preprocess(texts) if hasattr(model, "preprocess") else model.tokenize(texts)
        return torch.nn.functional.normalize(model(dict(features))["sentence_embedding"], dim=-1)

    model.train()
    for epoch in range(params.epochs):
        batches = epoch_batches(pairs, params, rng)
        total = 0.0
        for batch in batches:
            documents = embed([group[0].document for group in batch])
            questions = embed([pair.question for group in batch for pair in group])
            targets = torch.tensor([i for i, group in enumerate(batch) for _ in group])
            logits = questions @ documents.T * params.scale
            loss = torch.nn.functional.cross_entropy(logits, targets)
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
            total += float(loss.detach())
        log.info("tuning epoch %d/%d: mean loss %.4f", epoch + 1, params.epochs, total / len(batches))
    model.eval()

    report = TuningReport(
        format=TUNING_FORMAT,
        base_model=str(base_model),
        fingerprint=fingerprint(articles.values(), base_model, params),
        params=asdict(params),
        pairs=len(pairs),
        seconds=round(time.perf_counter() - started, 1),
    )
    staging = out_dir.with_name(out_dir.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    model.save(str(staging))
    (staging / "tuning.json").write_text(json.dumps(asdict(report), indent=2))
    if out_dir.exists():
        previous = out_dir.with_name(out_dir.name + ".previous")
        shutil.rmtree(previous, ignore_errors=True)
        out_dir.rename(previous)
        staging.rename(out_dir)
        shutil.rmtree(previous, ignore_errors=True)
    else:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(out_dir)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--knowledge-dir", type=Path, default=Path(os.environ.get("KB_KNOWLEDGE_DIR", "knowledge"))
    )
    parser.add_argument("--out", type=Path, required=True, help="where the tuned model is written")
    parser.add_argument(
        "--when",
        choices=["missing", "stale", "always"],
        default="stale",
        help="tune only when no tuned model exists, when it was tuned on other text (default), or always",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    articles = load_articles(args.knowledge_dir)
    params = TuningParams()
    if args.when == "missing" and read_report(args.out) is not None:
        log.info("using the tuned model in %s (make tune re-tunes it after article changes)", args.out)
        return
    if args.when == "stale" and is_current(args.out, articles, bundled_model_path(), params):
        log.info("tuned model in %s is current; nothing to do", args.out)
        return
    log.info("tuning the embedding model on %d articles (takes a few minutes on 2 cores)", len(articles))
    report = tune(articles, out_dir=args.out, params=params)
    log.info("tuned model saved to %s in %.0fs from %d pairs", args.out, report.seconds, report.pairs)


if __name__ == "__main__":
    main()
