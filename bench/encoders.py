"""Benchmark: the torch encoder against the ONNX encoder, speed and ranking quality side by side.

In one script, on the same model and queries: (1) a single-query encode with each encoder at
the service's thread setting (one thread by default), in interleaved rounds whose order
alternates, so machine noise hits both alike: median, p95 and the ratio; (2) the largest
difference between their vectors; (3) ranking quality: a sample of BANKING77 queries through a
KnowledgeBase per encoder over the same articles, each with an index its own encoder built:
top-1 accuracy of both and how often their top articles agree. Results go to
var/bench/encoders.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from eval.datasets import Example, banking77_train
from kb_service.app import ranking_policy
from kb_service.config import Settings
from kb_service.embedder import Embedder, SentenceTransformerEmbedder, bundled_model_path
from kb_service.folder import folder_store
from kb_service.knowledge import KnowledgeBase
from kb_service.onnx_encoder import OnnxEmbedder
from tools.services import ROOT


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def open_kb(settings: Settings, embedder: Embedder, data_dir: Path) -> tuple[KnowledgeBase, dict[str, Any]]:
    """A knowledge base over the service's articles, its index built (or reused) by `embedder`."""
    started = time.perf_counter()
    embedder.warm_up()
    loaded = time.perf_counter()
    kb = KnowledgeBase(
        store=folder_store(settings.knowledge_dir),
        data_dir=data_dir,
        embedder=embedder,
        policy=ranking_policy(settings),
        passage_words=settings.passage_words,
    )
    report = kb.open()
    return kb, {
        "warm_up_s": loaded - started,
        "articles_embedded": len(report.embedded),
        "index_s": report.seconds,
    }


def top_articles(kb: KnowledgeBase, examples: list[Example]) -> list[tuple[str, str]]:
    """(top article id, its topic) per query."""
    out = []
    for example in examples:
        top = kb.search(example.text, top_k=1).hits[0].article
        out.append((top.id, top.topic))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=300, help="queries timed per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quality", type=int, default=2000, help="BANKING77 queries ranked per encoder")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "encoders.json")
    args = parser.parse_args()

    # KB_MODEL_PATH as the service reads it (`make bench` sets the tuned model).
    settings = Settings(knowledge_dir=ROOT / "knowledge")
    model_path = settings.model_path or bundled_model_path()
    threads = settings.torch_threads
    encoders: dict[str, Embedder] = {
        "torch": SentenceTransformerEmbedder(model_path, threads=threads),
        # The service's own export cache (KB_DATA_DIR's default), so a later `make run` reuses it.
        "onnx": OnnxEmbedder(model_path, cache_dir=ROOT / "var" / "kb" / "onnx", threads=threads),
    }
    kbs: dict[str, KnowledgeBase] = {}
    setup: dict[str, dict[str, Any]] = {}
    for kind, embedder in encoders.items():
        kbs[kind], setup[kind] = open_kb(settings, embedder, ROOT / "var" / "bench" / "encoders" / kind)

    sample = banking77_train(max(args.quality, args.queries))
    queries = [e.text for e in sample[: args.queries]]
    vectors = {kind: e.encode(queries) for kind, e in encoders.items()}
    max_abs_diff = float(np.abs(vectors["torch"] - vectors["onnx"]).max())

    times: dict[str, list[float]] = {kind: [] for kind in encoders}
    for q in queries[:20]:  # warm up
        for embedder in encoders.values():
            embedder.encode([q])
    for round_ in range(args.rounds):
        order = list(encoders) if round_ % 2 == 0 else list(reversed(encoders))
        for kind in order:  # in blocks, each encoder with the machine to itself
            encode = encoders[kind].encode
            for q in queries:
                t0 = time.perf_counter()
                encode([q])
                times[kind].append((time.perf_counter() - t0) * 1000)

    examples = sample[: args.quality]
    tops = {kind: top_articles(kb, examples) for kind, kb in kbs.items()}
    top1 = {
        kind: sum(t == e.topic for (_, t), e in zip(ts, examples, strict=True)) / len(examples)
        for kind, ts in tops.items()
    }
    same = sum(a == b for (a, _), (b, _) in zip(tops["torch"], tops["onnx"], strict=True)) / len(examples)

    median = {kind: statistics.median(v) for kind, v in times.items()}
    result: dict[str, Any] = {
        "model": str(model_path),
        "model_identity": encoders["onnx"].name,
        "threads": threads,
        "queries_timed": len(queries) * args.rounds,
        "encode_ms": {
            kind: {"median": median[kind], "p95": percentile(v, 0.95)} for kind, v in times.items()
        },
        "ratio_onnx_to_torch": median["onnx"] / median["torch"],
        "max_abs_diff": max_abs_diff,
        "quality_queries": len(examples),
        "top1": top1,
        "same_top_article": same,
        "setup": setup,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))

    print(f"model {model_path} ({result['model_identity']}), {threads} thread(s) per query")
    print(f"single-query encode, {result['queries_timed']} queries per encoder, interleaved rounds:")
    for kind in encoders:
        print(f"  {kind:5s}  median {median[kind]:6.2f} ms   p95 {result['encode_ms'][kind]['p95']:6.2f} ms")
    print(
        f"  onnx / torch  x{result['ratio_onnx_to_torch']:.2f}   largest vector difference {max_abs_diff:.2g}"
    )
    print(f"ranking, {len(examples)} BANKING77 queries through KnowledgeBase, each encoder's own index:")
    print(f"  top-1 torch {top1['torch']:.2%}   onnx {top1['onnx']:.2%}   same top article {same:.2%}")
    for kind, s in setup.items():
        print(
            f"  {kind:5s}  warm-up {s['warm_up_s']:5.1f} s, index {s['index_s']:5.1f} s"
            f" ({s['articles_embedded']} articles embedded)"
        )
    print(f"full report: {args.out}")


if __name__ == "__main__":
    main()
