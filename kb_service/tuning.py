"""Adapting the embedding model to this help centre: contrastive fine-tuning on the articles' own
questions, starting from the bundled all-MiniLM-L6-v2 weights (nothing is downloaded).

Each training pair is (a customer phrasing from an article's `questions`, that article's title and
summary); the loss ranks the right article above the others in the batch (in-batch negatives). A
batch holds each article's document once, with a few of its phrasings sharing that one document
pass, so no article is taught to push itself away; each epoch samples a fresh subset of every
article's phrasings. Only the top transformer layers are trained, over the lower layers' outputs
computed once (`kb_service/top_layers.py`): about two minutes on 2 cores instead of seven for
the whole model, at the same ranking quality. The result is saved with `tuning.json`, whose
fingerprint of the training text and recipe tells whether the model is stale
(`python -m kb_service.tuning --when stale` re-tunes only after articles changed), and kept in a
per-user cache by that fingerprint, so another clone on the machine copies it instead of tuning."""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from operator import attrgetter
from pathlib import Path
from typing import TypeVar

from kb_service.articles import Article, load_articles
from kb_service.embedder import bundled_model_path
from kb_service.model_cache import ModelCache, replace_dir, user_cache_dir

log = logging.getLogger(__name__)
T = TypeVar("T")

TUNING_FORMAT = 3


@dataclass(frozen=True, slots=True)
class Pair:
    question: str
    document: str
    article_id: str


@dataclass(frozen=True, slots=True)
class TuningParams:
    epochs: int = 2
    learning_rate: float = 2e-4
    frozen_layers: int = 3  # lower transformer layers kept as they are (their outputs cached once)
    batch_size: int = 32  # articles per batch, each document encoded once
    questions_per_article: int = 4  # phrasings of one article in a batch, sharing its document
    questions_per_epoch: int = 60  # phrasings of each article sampled per epoch (fresh each time)
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
    show_progress: bool = False,
) -> TuningReport:
    """Fine-tune and save to `out_dir` (replaced atomically, so a running service never reads
    half a model)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer
    from tqdm import tqdm

    from kb_service.top_layers import TopLayerTrainer

    base_model = base_model or bundled_model_path()
    pairs = training_pairs(articles.values())
    if not pairs:
        raise ValueError("no article has questions to train on")
    started = time.perf_counter()
    torch.manual_seed(params.seed)
    torch.set_num_threads(threads or os.cpu_count() or 1)
    rng = random.Random(params.seed)  # noqa: S311 - shuffling training data, not secrets
    model = SentenceTransformer(str(base_model), device="cpu")
    trainer = TopLayerTrainer(model, params.frozen_layers)
    texts = {p.question for p in pairs} | {p.document for p in pairs}
    with tqdm(total=len(texts), desc="tuning: lower layers", unit="text", disable=not show_progress) as bar:
        trainer.cache(texts, progress=bar)
    optimiser = torch.optim.AdamW(trainer.trainable_parameters(), lr=params.learning_rate)
    schedule = [epoch_batches(pairs, params, rng) for _ in range(params.epochs)]
    steps = sum(len(batches) for batches in schedule)
    with (
        trainer.training(),
        tqdm(total=steps, desc="tuning: top layers", unit="batch", disable=not show_progress) as bar,
    ):
        for epoch, batches in enumerate(schedule):
            total = 0.0
            for batch in batches:
                documents = trainer.embed([group[0].document for group in batch])
                questions = trainer.embed([pair.question for group in batch for pair in group])
                targets = torch.tensor([i for i, group in enumerate(batch) for _ in group])
                logits = questions @ documents.T * params.scale
                loss = torch.nn.functional.cross_entropy(logits, targets)
                optimiser.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                optimiser.step()
                total += float(loss.detach())
                bar.update()
            bar.set_postfix(epoch=f"{epoch + 1}/{params.epochs}", loss=f"{total / len(batches):.3f}")
            log.debug("tuning epoch %d/%d: mean loss %.4f", epoch + 1, params.epochs, total / len(batches))

    report = TuningReport(
        format=TUNING_FORMAT,
        base_model=str(base_model),
        fingerprint=fingerprint(articles.values(), base_model, params),
        params=asdict(params),
        pairs=len(pairs),
        seconds=round(time.perf_counter() - started, 1),
    )

    def write(staging: Path) -> None:
        model.save(str(staging))
        (staging / "tuning.json").write_text(json.dumps(asdict(report), indent=2))

    replace_dir(out_dir, write)
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
    parser.add_argument(
        "--cache-dir",
        default=str(user_cache_dir()),
        help="per-user cache of tuned models shared by clones (default: %(default)s); '' disables it",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    articles = load_articles(args.knowledge_dir)
    params = TuningParams()
    base = bundled_model_path()
    if args.when == "missing" and read_report(args.out) is not None:
        log.info("using the tuned model in %s (make tune re-tunes it after article changes)", args.out)
        return
    if args.when == "stale" and is_current(args.out, articles, base, params):
        log.info("tuned model in %s is current; nothing to do", args.out)
        return
    fp = fingerprint(articles.values(), base, params)
    cache = ModelCache(Path(args.cache_dir)) if args.cache_dir else None
    if args.when != "always" and cache is not None and cache.fetch(fp, args.out):
        log.info("copied the model tuned on these articles from the per-user cache %s", cache.root / fp)
        return
    log.info(
        "tuning the embedding model on %d articles (about 2 minutes on 2 fast cores, 5 on slow ones)",
        len(articles),
    )
    report = tune(articles, out_dir=args.out, params=params, show_progress=True)
    log.info("tuned model saved to %s in %.0fs from %d pairs", args.out, report.seconds, report.pairs)
    if cache is not None:
        cache.store(fp, args.out)


if __name__ == "__main__":
    main()
