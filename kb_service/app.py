"""The FastAPI application: create_app(settings) wires the knowledge base, routes and errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb_service.changes import new_origin
from kb_service.confidence import DEFAULT_CALIBRATION, Calibration
from kb_service.config import Settings
from kb_service.embedder import Embedder, SentenceTransformerEmbedder
from kb_service.errors import KBError
from kb_service.examples import ExampleBook
from kb_service.folder import import_on_first_start
from kb_service.knowledge import KnowledgeBase
from kb_service.onnx_encoder import OnnxEmbedder
from kb_service.replicas import Follower
from kb_service.routes import articles, clusters, editing, examples, health, search
from kb_service.runtime import Runtime
from kb_service.search import RankingPolicy
from kb_service.store import ArticleStore, SqlArticleStore, store_path

log = logging.getLogger(__name__)


def ranking_policy(settings: Settings) -> RankingPolicy:
    return RankingPolicy(**{f.name: getattr(settings, f.name) for f in fields(RankingPolicy)})


def build_embedder(settings: Settings) -> Embedder:
    """The encoder `KB_ENCODER` names; both give the same vectors, so they share a saved index."""
    if settings.encoder == "onnx":
        return OnnxEmbedder(
            settings.model_path, cache_dir=settings.data_dir / "onnx", threads=settings.torch_threads
        )
    return SentenceTransformerEmbedder(settings.model_path, threads=settings.torch_threads)


def store_target(settings: Settings) -> str | Path:
    """Where the articles live: `KB_DATABASE_URL` (PostgreSQL, shared by the replicas), else the
    SQLite file `KB_STORE_PATH` (default `KB_DATA_DIR/articles.sqlite3`)."""
    return settings.database_url or store_path(settings.data_dir, settings.store_path)


def examples_target(settings: Settings) -> str | Path:
    """Where the past examples live: the articles' PostgreSQL database, else their own SQLite
    file `KB_DATA_DIR/examples.sqlite3`."""
    return settings.database_url or settings.data_dir / "examples.sqlite3"


def open_store(settings: Settings) -> ArticleStore:
    """The article store; an empty one first imports the knowledge folder, each article
    published as version 1 (once, also when several replicas start together)."""
    store = SqlArticleStore(store_target(settings))
    try:
        report = import_on_first_start(store, settings.knowledge_dir)
    except BaseException:
        store.close()
        raise
    if report is not None:
        log.info(
            "article store was empty: imported %d articles from %s",
            len(report.created),
            settings.knowledge_dir,
        )
    return store


def build_knowledge_base(
    settings: Settings,
    embedder: Embedder | None,
    *,
    with_examples: bool = True,
    store: ArticleStore | None = None,
) -> KnowledgeBase:
    """The store, the model and the past examples, wired but not loaded (`open_knowledge_base`)."""
    store = store or open_store(settings)
    embedder = embedder or build_embedder(settings)
    embedder.warm_up()
    origin = new_origin()
    examples = ExampleBook(examples_target(settings), embedder, origin=origin) if with_examples else None
    return KnowledgeBase(
        store=store,
        data_dir=settings.data_dir,
        embedder=embedder,
        policy=ranking_policy(settings),
        passage_words=settings.passage_words,
        calibration=Calibration.load(settings.calibration_path or DEFAULT_CALIBRATION),
        examples=examples,
        origin=origin,
    )


def open_knowledge_base(kb: KnowledgeBase) -> KnowledgeBase:
    """The index (reused where it still fits the store's published articles), then the examples."""
    kb.open()
    if kb.examples is not None:
        kb.examples.open()
    return kb


def load_knowledge_base(
    settings: Settings,
    embedder: Embedder | None,
    *,
    with_examples: bool = True,
    store: ArticleStore | None = None,
) -> KnowledgeBase:
    """The heavy part of start-up: the store, the model, then the index, then the past examples.
    Tools that measure the folder as it is pass a fresh in-memory store (`folder_store`)."""
    kb = build_knowledge_base(settings, embedder, with_examples=with_examples, store=store)
    return open_knowledge_base(kb)


def start_replica(settings: Settings, embedder: Embedder | None) -> tuple[KnowledgeBase, Follower]:
    """What the service starts with: the knowledge base, loaded, and following the changes the
    other replicas announce. It listens before its first sync, so it misses none."""
    kb = build_knowledge_base(settings, embedder)
    follower = Follower(kb)
    try:
        follower.start()
        open_knowledge_base(kb)
    except BaseException:
        follower.close()
        close_knowledge_base(kb)
        raise
    follower.opened()
    return kb, follower


def close_knowledge_base(kb: KnowledgeBase) -> None:
    kb.close()
    kb.store.close()
    if kb.examples is not None:
        kb.examples.close()


def create_app(settings: Settings, *, embedder: Embedder | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(settings=settings)
        app.state.runtime = runtime

        async def load() -> None:
            try:
                runtime.kb, runtime.follower = await asyncio.to_thread(start_replica, settings, embedder)
                runtime.status = "ready"
            except Exception as e:  # start-up failure is reported by /readyz, not hidden
                log.exception("knowledge base failed to load")
                runtime.status, runtime.error = "failed", f"{type(e).__name__}: {e}"

        # Loading runs beside the server so /healthz answers at once and /readyz says when done.
        task = asyncio.create_task(load())
        runtime.tasks.add(task)
        task.add_done_callback(runtime.tasks.discard)
        yield
        if runtime.follower is not None:
            runtime.follower.close()
        if runtime.kb is not None:
            close_knowledge_base(runtime.kb)

    app = FastAPI(
        title="Kestrel knowledge service",
        version="1.0.0",
        summary="Help-centre articles with hybrid (vector + keyword) search and an editing API.",
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.include_router(health.router)
    app.include_router(search.router)
    app.include_router(articles.router)
    app.include_router(editing.router)
    app.include_router(examples.router)
    app.include_router(clusters.router)
    _install_error_handlers(app)
    return app


def _error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"error": {"code": code, "message": message, **(details or {})}}
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KBError)
    async def kb_error(_: Request, exc: KBError) -> JSONResponse:
        return _error(exc.status_code, exc.code, exc.message, exc.details())

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return _error(422, "invalid_request", "; ".join(problems) or "invalid request")


class BodySizeLimit:
    """Refuses request bodies over a limit with 413 before anything reads them whole."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = _error(413, "body_too_large", f"request body is larger than {self.max_bytes} bytes")
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass
