"""Tracker fixtures and a fake knowledge service / desk behind httpx.MockTransport."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import httpx
from actions.clients import DeskClient, KBClient
from actions.config import ActionsSettings
from actions.outbox import Outbox, OutboxWorker
from actions.services import Services
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ARTICLES: Dict[str, Dict[str, Any]] = {
    "card-arrival": {
        "id": "card-arrival",
        "title": "My new card hasn't arrived",
        "escalation": "none",
        "summary": "Cards arrive in 3 to 5 working days in the UK.",
        "url": "http://help.test/card-arrival",
        "body": (
            "Intro.\n\n1. Open **Card**.\n2. Tap Track delivery.\n"
            "3. After 7 working days, report it.\n\nMore text."
        ),
    },
    "lost-or-stolen-card": {
        "id": "lost-or-stolen-card",
        "title": "My card is lost or stolen",
        "escalation": "always",
        "summary": "Freeze your card now in the app.",
        "url": "http://help.test/lost-or-stolen-card",
        "body": "1. Freeze the card: Card > Freeze.\n2. Call +44 20 7946 0999.\n",
    },
    "card-swallowed": {
        "id": "card-swallowed",
        "title": "A cash machine kept my card",
        "escalation": "offer",
        "summary": "Freeze it and order a new one.",
        "url": "http://help.test/card-swallowed",
        "body": "1. Freeze the card.\n2. Order a replacement.\n",
    },
    "top-up-by-transfer": {
        "id": "top-up-by-transfer",
        "title": "Adding money by bank transfer",
        "escalation": "none",
        "summary": "Send money from another bank to your account details.",
        "url": "http://help.test/top-up-by-transfer",
        "body": "1. Copy your account details from Home.\n2. Send a transfer from your bank.\n",
    },
}


def hit(article_id: str, score: float) -> Dict[str, Any]:
    article = ARTICLES[article_id]
    return {
        "article_id": article_id,
        "title": article["title"],
        "summary": article["summary"],
        "url": article["url"],
        "passage": "...",
        "score": score,
        "topic": article_id,
        "escalation": article["escalation"],
    }


@dataclass
class FakeBackends:
    """What the knowledge service answers, and what the desk received."""

    search_result: Dict[str, Any] = field(default_factory=lambda: {"verdict": "none", "hits": []})
    # Per set of excluded article ids, when a search with that exclusion answers differently.
    results_excluding: Dict[Tuple[str, ...], Dict[str, Any]] = field(default_factory=dict)
    # What a search restricted to `escalation: always` articles answers.
    sensitive_result: Dict[str, Any] = field(default_factory=lambda: {"verdict": "none", "hits": []})
    searches: List[str] = field(default_factory=list)
    excluded: List[List[str]] = field(default_factory=list)
    examples_sent: List[Dict[str, Any]] = field(default_factory=list)
    example_headers: List[Dict[str, str]] = field(default_factory=list)
    kb_down: bool = False
    desk_down: bool = False
    desk_status: int = 201
    handoffs: List[Dict[str, Any]] = field(default_factory=list)
    handoff_headers: List[Dict[str, str]] = field(default_factory=list)
    article_requests: List[str] = field(default_factory=list)

    def kb_handler(self, request: httpx.Request) -> httpx.Response:
        if self.kb_down:
            raise httpx.ConnectError("kb down", request=request)
        if request.url.path == "/search":
            body = json.loads(request.content)
            filters = body.get("filters") or {}
            exclude = tuple(filters.get("exclude_ids") or ())
            self.searches.append(body["query"])
            self.excluded.append(list(exclude))
            if filters.get("escalation") == ["always"]:
                return httpx.Response(200, json=self.sensitive_result)
            return httpx.Response(200, json=self.results_excluding.get(exclude, self.search_result))
        if request.url.path == "/examples":
            self.examples_sent.append(json.loads(request.content))
            self.example_headers.append(dict(request.headers))
            return httpx.Response(200, json={"added": 1, "skipped": 0, "status": "candidate", "problems": []})
        article_id = request.url.path.rsplit("/", 1)[-1]
        self.article_requests.append(article_id)
        if article_id in ARTICLES:
            return httpx.Response(200, json=ARTICLES[article_id])
        return httpx.Response(404, json={"error": {"code": "article_not_found", "message": "no"}})

    def desk_handler(self, request: httpx.Request) -> httpx.Response:
        if self.desk_down:
            raise httpx.ConnectError("desk down", request=request)
        payload = json.loads(request.content)
        self.handoffs.append(payload)
        self.handoff_headers.append(dict(request.headers))
        if self.desk_status >= 400:
            return httpx.Response(self.desk_status, json={"error": {"code": "bad", "message": "bad"}})
        return httpx.Response(
            201,
            json={
                "handoff_id": payload["handoff_id"],
                "status": "queued",
                "queue_position": 2,
                "estimated_wait_seconds": 120,
            },
        )


def services(backends: FakeBackends, tmp_path: Path, **overrides: Any) -> Services:
    config = ActionsSettings(outbox_path=tmp_path / "outbox.sqlite3", **overrides)
    kb = KBClient(
        "http://kb.test",
        token=config.kb_service_token.get_secret_value(),
        transport=httpx.MockTransport(backends.kb_handler),
    )
    desk = DeskClient("http://desk.test", "token-123", transport=httpx.MockTransport(backends.desk_handler))
    outbox = Outbox(config.outbox_url or config.outbox_path)
    return Services(config, kb, desk, outbox, OutboxWorker(outbox, desk.create_handoff, 3600))


def user(
    text: str,
    intent: str,
    confidence: float = 0.9,
    *,
    at: float = 1_700_000_000.0,
    metadata: Optional[Dict[str, Any]] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
) -> Dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "timestamp": at,
        "parse_data": {"intent": {"name": intent, "confidence": confidence}, "entities": entities or []},
        "metadata": metadata or {},
    }


def bot(text: str, custom: Optional[Dict[str, Any]] = None, *, at: float = 1_700_000_001.0) -> Dict[str, Any]:
    data: Dict[str, Any] = {}
    if custom is not None:
        data["custom"] = custom
    return {"event": "bot", "text": text, "timestamp": at, "data": data}


def tracker(
    events: List[Dict[str, Any]], slots: Optional[Dict[str, Any]] = None, sender_id: str = "conv-1"
) -> Tracker:
    last_user = next((e for e in reversed(events) if e["event"] == "user"), None)
    latest = (
        {
            "text": last_user["text"],
            "intent": last_user["parse_data"]["intent"],
            "entities": last_user["parse_data"]["entities"],
            "metadata": last_user.get("metadata", {}),
        }
        if last_user
        else {}
    )
    return Tracker(sender_id, slots or {}, latest, events, False, None, {}, "action_listen")


@dataclass
class Run:
    events: List[Dict[str, Any]]
    messages: List[Dict[str, Any]]

    @property
    def texts(self) -> List[str]:
        return [m.get("text") or "" for m in self.messages]

    @property
    def decisions(self) -> List[Dict[str, Any]]:
        return [m["custom"] for m in self.messages if m.get("custom")]

    @property
    def paused(self) -> bool:
        return any(e.get("event") == "pause" for e in self.events)


def run(action: Any, events: List[Dict[str, Any]], slots: Optional[Dict[str, Any]] = None) -> Run:
    dispatcher = CollectingDispatcher()
    result = asyncio.run(action.run(dispatcher, tracker(events, slots), {}))
    return Run(result, dispatcher.messages)


Factory = Callable[..., Any]
