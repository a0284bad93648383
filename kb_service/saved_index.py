"""The saved vector index: the FAISS file and its manifest (model, dimension, passage size,
every passage and a hash per article), written atomically and read back only when they fit the
running model, so a restart re-embeds only what changed.

Index and manifest are two files, written one after the other: a crash between them leaves an
index the manifest does not describe. Passage ids are never reused, so the articles whose
passages are all in the index are still right; only the others are dropped (and re-embedded by
the sync that follows)."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kb_service.articles import Article, PassageKind
from kb_service.embedder import Embedder, Vectors
from kb_service.index import VectorIndex

log = logging.getLogger(__name__)

MANIFEST_FORMAT = 1


@dataclass(frozen=True, slots=True)
class Passage:
    id: int
    article_id: str
    kind: PassageKind
    text: str


@dataclass(slots=True)
class Entry:
    """What the indexes hold for one article."""

    article: Article
    hash: str
    passage_ids: list[int]
    content_vectors: Vectors  # summary and body passages, for picking the passage to show
    content_texts: list[str]


@dataclass(slots=True)
class SavedIndex:
    vectors: VectorIndex
    passages: dict[int, Passage]
    entries: dict[str, Entry]
    next_id: int


def index_path(data_dir: Path) -> Path:
    return data_dir / "index.faiss"


def manifest_path(data_dir: Path) -> Path:
    return data_dir / "manifest.json"


def manifest_header(embedder: Embedder, passage_words: int) -> dict[str, Any]:
    """What a saved index must have been built with to be reused."""
    return {
        "format": MANIFEST_FORMAT,
        "model": embedder.name,
        "dimension": embedder.dimension,
        "passage_words": passage_words,
    }


def load_saved_index(data_dir: Path, header: dict[str, Any]) -> SavedIndex | None:
    """The saved index when it exists, is readable and was built as `header` says; else None."""
    manifest_file, index_file = manifest_path(data_dir), index_path(data_dir)
    if not (manifest_file.exists() and index_file.exists()):
        return None
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        found = {k: manifest.get(k) for k in header}
        if found != header:
            log.info("saved index was built differently (%s); rebuilding", found)
            return None
        vectors = VectorIndex.load(index_file)
        if vectors.dimension != header["dimension"]:
            log.warning("saved index has the wrong dimension; rebuilding")
            return None
        passages = {
            p["id"]: Passage(p["id"], p["article_id"], p["kind"], p["text"]) for p in manifest["passages"]
        }
        held = set(vectors.ids().tolist())
        described = {
            aid: info
            for aid, info in manifest["articles"].items()
            if all(i in held and i in passages for i in info["passage_ids"])
        }
        kept = {i for info in described.values() for i in info["passage_ids"]}
        if len(described) < len(manifest["articles"]) or held != kept:
            log.warning(
                "saved index and manifest disagree (an interrupted save): keeping %d of %d articles",
                len(described),
                len(manifest["articles"]),
            )
            vectors.remove(np.array(sorted(held - kept), dtype=np.int64))
            passages = {i: p for i, p in passages.items() if i in kept}
        entries: dict[str, Entry] = {}
        for article_id, info in described.items():
            article = Article.model_validate(info["article"])
            ids = info["passage_ids"]
            content = [passages[i] for i in ids if passages[i].kind != "question"]
            entries[article_id] = Entry(
                article,
                info["hash"],
                ids,
                vectors.vectors(np.array([p.id for p in content], dtype=np.int64)),
                [p.text for p in content],
            )
        next_id = max([int(manifest["next_id"]), *(i + 1 for i in held)])
        return SavedIndex(vectors, passages, entries, next_id)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:
        log.warning("saved index unreadable (%s); rebuilding", e)
        return None


def save_index(data_dir: Path, saved: SavedIndex, header: dict[str, Any]) -> None:
    """Index then manifest, each written atomically; the manifest names what the index holds."""
    data_dir.mkdir(parents=True, exist_ok=True)
    saved.vectors.save(index_path(data_dir))
    manifest = {
        **header,
        "next_id": saved.next_id,
        "articles": {
            aid: {"hash": e.hash, "passage_ids": e.passage_ids, "article": e.article.model_dump(mode="json")}
            for aid, e in saved.entries.items()
        },
        "passages": [
            {"id": p.id, "article_id": p.article_id, "kind": p.kind, "text": p.text}
            for p in saved.passages.values()
        ],
    }
    target = manifest_path(data_dir)
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, target)
