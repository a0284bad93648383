"""Small builders shared by the knowledge-service tests."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient


def write_article(
    folder: Path,
    article_id: str,
    title: str,
    topic: str,
    summary: str,
    *,
    questions: list[str] | None = None,
    escalation: str = "none",
    tags: list[str] | None = None,
    body: str = "Open the app and follow the steps.",
) -> Path:
    lines = [
        "---",
        f"id: {article_id}",
        f"title: {title}",
        f"summary: {summary}",
        f"topic: {topic}",
        f"tags: [{', '.join(tags or ['help'])}]",
        f"escalation: {escalation}",
        "updated: 2026-11-01",
        "questions:",
        *[f'  - "{q}"' for q in questions or []],
        "---",
        body,
        "",
    ]
    if not questions:
        lines.remove("questions:")
    path = folder / f"{article_id}.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def wait_ready(client: TestClient, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get("/readyz")
        if response.status_code == 200:
            return
        assert response.json()["status"] != "failed", response.json()
        time.sleep(0.01)
    raise AssertionError("knowledge service never became ready")
