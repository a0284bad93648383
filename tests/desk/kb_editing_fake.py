"""An in-memory knowledge service speaking the editing contract (docs/contracts/kb-editing.md),
for httpx.MockTransport: versions, statuses, conflicts, validation errors naming fields."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

TOKEN = "dev-editor-token"
FIELDS = ("title", "summary", "topic", "tags", "escalation", "questions", "body", "review_by")


def article_in(**overrides: Any) -> dict[str, Any]:
    article = {
        "title": "Card delivery times",
        "summary": "A new card arrives within 5 working days.",
        "topic": "card_arrival",
        "tags": ["cards"],
        "escalation": "none",
        "questions": ["where is my new card"],
        "body": "1. Check the address in the app.\n2. Wait 5 working days.\n",
        "review_by": None,
    }
    article.update(overrides)
    return article


@dataclass
class Stored:
    versions: list[dict[str, Any]]  # content of each version, oldest first
    history: list[dict[str, Any]]
    status: str = "draft"
    published_version: int | None = None
    deleted: bool = False


@dataclass
class FakeEditingKB:
    articles: dict[str, Stored] = field(default_factory=dict)
    calls: list[httpx.Request] = field(default_factory=list)
    down: bool = False
    now: str = "2026-12-01T10:00:00Z"

    def seed(self, article_id: str, status: str = "published", **overrides: Any) -> None:
        content = article_in(**overrides)
        history = [{"version": 1, "editor_id": None, "editor": "import", "action": "import", "at": self.now}]
        stored = Stored([content], history, status, 1 if status == "published" else None)
        self.articles[article_id] = stored

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused")
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return error(401, "unauthorized", "editor token required")
        body = json.loads(request.content) if request.content else {}
        editor = (request.headers.get("x-editor-id"), request.headers.get("x-editor-name", "token"))
        path, method = request.url.path, request.method
        if path == "/articles":
            return self._list() if method == "GET" else self._create(body, editor)
        match = re.fullmatch(r"/articles/([^/]+)(?:/(.+))?", path)
        if not match or match.group(1) not in self.articles or self.articles[match.group(1)].deleted:
            return error(404, "article_not_found", "no such article")
        article_id, rest = match.group(1), match.group(2) or ""
        stored = self.articles[article_id]
        return self._on_article(article_id, stored, method, rest, body, editor, request.url.params)

    def _on_article(
        self,
        article_id: str,
        stored: Stored,
        method: str,
        rest: str,
        body: dict[str, Any],
        editor: tuple[str | None, str],
        params: httpx.QueryParams,
    ) -> httpx.Response:
        if rest == "" and method == "GET":
            return httpx.Response(200, json=self._latest(article_id, stored))
        if rest == "" and method == "PUT":
            return self._update(stored, body, editor)
        if rest == "" and method == "DELETE":
            stored.deleted = True
            return httpx.Response(204)
        if rest in ("publish", "unpublish", "archive"):  # each a version of its own, as kb_service does
            chosen = stored.versions[(body.get("version") or len(stored.versions)) - 1]
            stored.status = {"publish": "published", "unpublish": "draft", "archive": "archived"}[rest]
            self._new_version(stored, dict(chosen), editor, rest)
            stored.published_version = len(stored.versions) if rest == "publish" else None
            return httpx.Response(200, json=self._state(stored))
        if rest == "versions":
            return httpx.Response(200, json=list(reversed(stored.history)))
        if m := re.fullmatch(r"versions/(\d+)(/restore)?", rest):
            n = int(m.group(1))
            if not 1 <= n <= len(stored.versions):
                return error(404, "version_not_found", f"no version {n}")
            if m.group(2):
                return self._new_version(stored, dict(stored.versions[n - 1]), editor, "restore")
            return httpx.Response(200, json={**stored.versions[n - 1], "version": n})
        if rest == "diff":
            a, b = int(params["from"]), int(params["to"])
            before, after = stored.versions[a - 1], stored.versions[b - 1]
            fields = {k: {"before": before[k], "after": after[k]} for k in FIELDS if k not in ("body",)}
            changed = {k: v for k, v in fields.items() if v["before"] != v["after"]}
            lines = list(
                difflib.unified_diff(before["body"].splitlines(), after["body"].splitlines(), lineterm="")
            )
            return httpx.Response(200, json={"from": a, "to": b, "fields": changed, "body": lines})
        if rest == "try":
            return httpx.Response(200, json=self._try(article_id, body))
        return error(404, "not_found", "no such endpoint")

    def _list(self) -> httpx.Response:
        rows = [
            {**self._latest(i, s), "url": f"http://localhost:8000/help/{i}"}
            for i, s in self.articles.items()
            if not s.deleted
        ]
        for row in rows:
            row.pop("body")
            row.pop("questions")
        return httpx.Response(200, json=rows)

    def _create(self, body: dict[str, Any], editor: tuple[str | None, str]) -> httpx.Response:
        article_id = body.pop("id", "")
        if article_id in self.articles:
            return error(409, "article_exists", f"an article {article_id!r} already exists")
        if problems := validate(body):
            return error(422, "invalid_article", "the article is not valid", fields=problems)
        self.articles[article_id] = Stored([], [])
        self._new_version(self.articles[article_id], body, editor, "create")
        return httpx.Response(201, json={"id": article_id, "version": 1, "status": "draft"})

    def _update(self, stored: Stored, body: dict[str, Any], editor: tuple[str | None, str]) -> httpx.Response:
        base, as_draft = body.pop("base_version", None), body.pop("as_draft", False)
        if base != len(stored.versions):
            message = f"version {base} is not the latest ({len(stored.versions)}); nothing was saved"
            return error(409, "version_conflict", message, current_version=len(stored.versions))
        if problems := validate(body):
            return error(422, "invalid_article", "the article is not valid", fields=problems)
        self._new_version(stored, body, editor, "edit")
        if stored.status == "published" and not as_draft:
            stored.published_version = len(stored.versions)  # live at once
        return httpx.Response(200, json=self._state(stored))

    def _new_version(
        self, stored: Stored, content: dict[str, Any], editor: tuple[str | None, str], action: str
    ) -> httpx.Response:
        stored.versions.append({k: content.get(k) for k in FIELDS})
        self._record(stored, editor, action)
        return httpx.Response(200, json={"version": len(stored.versions)})

    def _record(self, stored: Stored, editor: tuple[str | None, str], action: str) -> None:
        entry = {"editor_id": editor[0], "editor": editor[1], "action": action, "at": self.now}
        stored.history.append({"version": len(stored.versions), **entry, "content_hash": "x"})

    def _state(self, stored: Stored) -> dict[str, Any]:
        return {
            "version": len(stored.versions),
            "status": stored.status,
            "published_version": stored.published_version,
        }

    def _latest(self, article_id: str, stored: Stored) -> dict[str, Any]:
        last = stored.history[-1]
        pending = stored.status == "published" and stored.published_version != len(stored.versions)
        return {
            "id": article_id,
            **stored.versions[-1],
            **self._state(stored),
            "has_draft": pending,
            "updated_at": last["at"],
            "updated_by": last["editor"],
            "updated_by_id": last["editor_id"] or "token",
        }

    def _try(self, article_id: str, body: dict[str, Any]) -> dict[str, Any]:
        question = body["question"].lower()
        found = any(word in body["draft"]["body"].lower() for word in question.split())
        hit = {"article_id": article_id, "title": body["draft"]["title"], "score": 0.9, "rank": 1}
        other = {"article_id": "other", "title": "Another article", "score": 0.4, "rank": 2 if found else 1}
        with_draft = {"verdict": "answer", "hits": [hit, other], "article_rank": 1} if found else None
        now = {"verdict": "none", "hits": [other], "article_rank": None}
        return {"now": now, "with_draft": with_draft or now}


def validate(article: dict[str, Any]) -> dict[str, str]:
    problems = {}
    if not str(article.get("title", "")).strip():
        problems["title"] = "a title is required"
    if not str(article.get("body", "")).strip():
        problems["body"] = "the body is empty"
    return problems


def error(status: int, code: str, message: str, **extra: Any) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message, **extra}})
