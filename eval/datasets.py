"""Loading the public evaluation sets from ../shared/eval (never copied into the project)."""

from __future__ import annotations

import csv
import json
import os
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def eval_dir() -> Path:
    path = Path(os.environ.get("EVAL_DIR", ROOT.parent / "shared" / "eval"))
    if not (path / "banking77" / "train.csv").exists():
        raise SystemExit(f"evaluation data not found in {path} (set EVAL_DIR)")
    return path


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    topic: str | None  # None for out-of-scope


def banking77_topics() -> list[str]:
    return list(json.loads((eval_dir() / "banking77" / "categories.json").read_text()))


def banking77_train(sample: int | None = None, seed: int = 7) -> list[Example]:
    """The train queries; with `sample`, a stratified sample of about that size."""
    with (eval_dir() / "banking77" / "train.csv").open(newline="", encoding="utf-8") as f:
        rows = [Example(r["text"].strip(), r["category"]) for r in csv.DictReader(f)]
    if sample is None or sample >= len(rows):
        return rows
    by_topic: dict[str, list[Example]] = defaultdict(list)
    for row in rows:
        by_topic[row.topic or ""].append(row)
    rng = random.Random(seed)
    picked: list[Example] = []
    for examples in by_topic.values():
        share = max(1, round(sample * len(examples) / len(rows)))
        picked.extend(rng.sample(examples, min(share, len(examples))))
    rng.shuffle(picked)
    return picked


def history_folds(examples: list[Example], folds: int, seed: int = 11) -> list[int]:
    """A fold per example, stratified by topic: each fold holds about 1/`folds` of every topic."""
    by_topic: dict[str, list[int]] = defaultdict(list)
    for i, example in enumerate(examples):
        by_topic[example.topic or ""].append(i)
    rng = random.Random(seed)
    assigned = [0] * len(examples)
    for indexes in by_topic.values():
        rng.shuffle(indexes)
        for n, i in enumerate(indexes):
            assigned[i] = n % folds
    return assigned


def out_of_scope() -> list[Example]:
    with (eval_dir() / "clinc150" / "out_of_scope_dev.csv").open(newline="", encoding="utf-8") as f:
        return [Example(r["text"].strip(), None) for r in csv.DictReader(f)]


@dataclass(frozen=True, slots=True)
class PersonRequest:
    text: str
    kind: str  # person | complaint
    style: str


def person_requests(name: str = "person_requests") -> list[PersonRequest]:
    """Our own requests for a person and complaints, never trained on (a test keeps them out of
    bot/data): `person_requests` (eval/data/person_requests.yml) was written before tuning and
    used while building the detector; `person_requests_unseen` was written after it and only
    ever measured."""
    import yaml

    data = yaml.safe_load((ROOT / "eval" / "data" / f"{name}.yml").read_text(encoding="utf-8"))
    return [PersonRequest(m["text"], m["kind"], m["style"]) for m in data["messages"]]
