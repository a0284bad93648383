"""Benchmark: what the knowledge service adds to the bare encoder's time.

In one script and on the same queries: (1) the bare model's encode time (the baseline),
(2) KnowledgeBase.search in-process (encode + FAISS + BM25 + fusion), (3) POST /search over
HTTP to a real kb_service process. Reports medians, p95, the service's added milliseconds and
ratios against the baseline, plus the service's resident memory. Runs are interleaved in
rounds so machine noise hits all three alike.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from eval.datasets import banking77_train, out_of_scope
from kb_service.app import load_knowledge_base
from kb_service.config import Settings
from kb_service.folder import folder_store
from tools.services import ROOT, run_service


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class LeanClient:
    """A keep-alive HTTP/1.1 connection from the standard library: it costs a tenth of a
    millisecond a request, so the figures are the service's, not a heavy client's."""

    def __init__(self, url: str) -> None:
        parsed = urlsplit(url)
        self._connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=30)

    def __enter__(self) -> LeanClient:
        return self

    def __exit__(self, *_: object) -> None:
        self._connection.close()

    def post(self, path: str, body: dict[str, Any]) -> dict[str, str]:
        payload = json.dumps(body).encode()
        try:
            self._connection.request("POST", path, payload, {"Content-Type": "application/json"})
            response = self._connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closes idle keep-alive connections (5 s); reconnect once.
            self._connection.close()
            self._connection.request("POST", path, payload, {"Content-Type": "application/json"})
            response = self._connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"POST {path} answered {response.status}")
        return {name.lower(): value for name, value in response.getheaders()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "kb_latency.json")
    args = parser.parse_args()

    queries = [e.text for e in banking77_train(args.queries)][: args.queries - 50] + [
        e.text for e in out_of_scope()[:50]
    ]
    data_dir = ROOT / "var" / "kb"
    settings = Settings(knowledge_dir=ROOT / "knowledge", data_dir=data_dir)
    # builds or reuses the same saved index as the service, over the articles as they are in git
    kb = load_knowledge_base(settings, None, store=folder_store(settings.knowledge_dir))
    embedder = kb.embedder

    encode_ms: list[float] = []
    search_ms: list[float] = []
    http_ms: list[float] = []
    server_encode_ms: list[float] = []
    env = {"KB_DATA_DIR": str(data_dir), "KB_KNOWLEDGE_DIR": str(ROOT / "knowledge")}
    with (
        tempfile.TemporaryDirectory() as tmp,
        # a fresh article store: the service serves the articles as they are in git
        run_service(
            "kb_service",
            env={**env, "KB_STORE_PATH": str(Path(tmp) / "articles.sqlite3")},
            port_variable="KB_PORT",
            log_path=ROOT / "var/log/bench-kb.log",
        ) as svc,
        LeanClient(svc.url) as client,
    ):
        for q in queries[:20]:  # warm up all three paths
            embedder.encode([q])
            kb.search(q, top_k=5)
            client.post("/search", {"query": q, "top_k": 5})
        # Each round runs the three paths in blocks: interleaving them query by query lets one
        # process's threads compete with the other's for the two cores.
        for _ in range(args.rounds):
            for q in queries:
                t0 = time.perf_counter()
                embedder.encode([q])
                encode_ms.append((time.perf_counter() - t0) * 1000)
            for q in queries:
                t0 = time.perf_counter()
                kb.search(q, top_k=5)
                search_ms.append((time.perf_counter() - t0) * 1000)
            for q in queries:
                t0 = time.perf_counter()
                headers = client.post("/search", {"query": q, "top_k": 5})
                http_ms.append((time.perf_counter() - t0) * 1000)
                timing = {
                    name.strip(): float(value)
                    for name, _, value in (
                        part.partition(";dur=") for part in headers["server-timing"].split(",")
                    )
                }
                server_encode_ms.append(timing["encode"])
        service_rss = rss_mib(svc.process.pid)
        ready = httpx.get(svc.url + "/readyz").json()

    enc, srch, http = (statistics.median(v) for v in (encode_ms, search_ms, http_ms))
    server_enc = statistics.median(server_encode_ms)
    result: dict[str, Any] = {
        "queries": len(queries) * args.rounds,
        "articles": ready["articles"],
        "passages": ready["passages"],
        "encode_ms": {"median": enc, "p95": percentile(encode_ms, 0.95)},
        "search_in_process_ms": {"median": srch, "p95": percentile(search_ms, 0.95)},
        "http_search_ms": {"median": http, "p95": percentile(http_ms, 0.95)},
        "service_encode_ms": {"median": server_enc},
        "added_over_service_encode_ms": http - server_enc,
        "added_in_process_ms": srch - enc,
        "added_over_http_ms": http - enc,
        "ratio_in_process": srch / enc,
        "ratio_http": http / enc,
        "service_rss_mib": service_rss,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"{result['queries']} queries against {ready['articles']} articles / {ready['passages']} passages")
    print(f"  bare encode (baseline)     median {enc:6.2f} ms   p95 {percentile(encode_ms, 0.95):6.2f} ms")
    print(
        f"  KnowledgeBase.search       median {srch:6.2f} ms   p95 {percentile(search_ms, 0.95):6.2f} ms"
        f"   +{srch - enc:5.2f} ms   x{srch / enc:4.2f}"
    )
    print(
        f"  POST /search over HTTP     median {http:6.2f} ms   p95 {percentile(http_ms, 0.95):6.2f} ms"
        f"   +{http - enc:5.2f} ms   x{http / enc:4.2f}"
    )
    print(
        f"  encode inside the service  median {server_enc:6.2f} ms   (Server-Timing); the round trip adds"
        f" {http - server_enc:5.2f} ms to it"
    )
    print(f"  service resident memory    {service_rss:6.0f} MiB")
    print(f"full report: {args.out}")


if __name__ == "__main__":
    main()
