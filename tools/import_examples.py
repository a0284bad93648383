"""Import past conversations into the knowledge service as examples, with progress.

    python -m tools.import_examples history.csv --source history-2025 \\
        --url http://127.0.0.1:8100 --token "$KB_EDITOR_TOKEN"

The CSV needs a `text` column and an `article_id` or `topic` column. Rows go in batches of
--batch; each batch is searchable when its request returns, and a line per batch says how far
the import is. Re-running the same file adds nothing twice (examples are deduplicated).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = []
        for row in csv.DictReader(f):
            example = {"text": row["text"]}
            for key in ("article_id", "topic"):
                if row.get(key):
                    example[key] = row[key]
            rows.append(example)
    return rows


def batches(rows: list[dict[str, str]], size: int) -> Iterator[list[dict[str, str]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def import_examples(
    client: httpx.Client,
    source: str,
    rows: list[dict[str, str]],
    *,
    batch: int = 1000,
    progress: Callable[[int, int, int, float], None] | None = None,
) -> tuple[int, int]:
    """POST `rows` to /examples in batches; returns (added, skipped). `progress` gets (done,
    total, added, seconds) after each batch."""
    added = skipped = done = 0
    started = time.perf_counter()
    for chunk in batches(rows, batch):
        response = client.post("/examples", json={"source": source, "examples": chunk})
        if response.status_code != 200:
            raise SystemExit(
                f"import stopped after {done} rows: {response.status_code} {response.text[:300]}"
            )
        body = response.json()
        added, skipped, done = added + body["added"], skipped + body["skipped"], done + len(chunk)
        if progress is not None:
            progress(done, len(rows), added, time.perf_counter() - started)
    return added, skipped


def print_progress(done: int, total: int, added: int, seconds: float) -> None:
    print(
        f"  {done}/{total} rows ({done / total:.0%}), {added} added, {seconds:.0f}s",
        file=sys.stderr,
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("csv", type=Path)
    parser.add_argument("--source", required=True)
    parser.add_argument("--url", default="http://127.0.0.1:8100")
    parser.add_argument("--token", required=True, help="the editor token (KB_EDITOR_TOKEN)")
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    rows = read_rows(args.csv)
    headers = {"Authorization": f"Bearer {args.token}"}
    with httpx.Client(base_url=args.url, headers=headers, timeout=httpx.Timeout(10.0, read=300.0)) as client:
        added, skipped = import_examples(client, args.source, rows, batch=args.batch, progress=print_progress)
    print(f"{added} examples added, {skipped} skipped, from {len(rows)} rows")


if __name__ == "__main__":
    main()
