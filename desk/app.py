"""The FastAPI application: create_app(settings) wires the store, the clients, routes and errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from desk.article_stats import EventSignals
from desk.clients import KBClient, RasaClient
from desk.config import Settings
from desk.editing import Editing
from desk.errors import DeskError
from desk.flood import WidgetLimits
from desk.hub import Hub
from desk.kb_insights import KBInsightsClient
from desk.limits import BodySizeLimit
from desk.mail import MailSender
from desk.pages import STATIC_DIR, render
from desk.routes import (
    console,
    dev,
    editor,
    events,
    handoffs,
    health,
    insights,
    kpis,
    manager,
    pages,
    signin,
    simulation,
    sockets,
    staff,
)
from desk.routes.deps import RoleMissing, SignInRequired
from desk.service import Desk
from desk.sessions import Sessions
from desk.simulated_time import SimulatedTime, SimulatedTimeMiddleware
from desk.staff import ensure_configured_staff
from desk.store import Store, now

if TYPE_CHECKING:
    from desk.replicas.shared import Shared

log = logging.getLogger(__name__)


def create_app(  # noqa: PLR0915 - the lifespan wires everything in one readable place
    settings: Settings,
    *,
    rasa_transport: httpx.AsyncBaseTransport | None = None,
    kb_transport: httpx.AsyncBaseTransport | None = None,
    mail_sender: MailSender | None = None,
    redis_prefix: str | None = None,
) -> FastAPI:
    """`redis_prefix`: tests that share a Redis give each app its own key prefix."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Development: the traffic simulator may play conversations as of a past moment.
        time: SimulatedTime | None = app.state.simulated_time
        store = Store(settings.database_url or settings.database_path, clock=time.clock if time else now)
        if time is not None:
            time.attach(store)  # every replica applies the same simulated clocks
        demo_staff = settings.demo_staff and settings.environment == "development"
        ensure_configured_staff(store, settings.agents, demo_staff=demo_staff)
        # Staff sessions always run on the real clock, also inside a simulated conversation.
        # Several replicas share live state through Redis (DESK_REDIS_URL); one desk keeps it in-process.
        shared = app.state.shared = _shared(settings, redis_prefix)
        app.state.sessions = Sessions(
            store, hours=settings.session_hours, clock=now, throttle=shared.throttle if shared else None
        )
        timeout = settings.http_timeout_seconds
        rasa = RasaClient(
            settings.rasa_url,
            auth_token=settings.rasa_auth_token.get_secret_value(),
            timeout=timeout,
            transport=rasa_transport,
        )
        kb = KBClient(settings.kb_url, timeout=timeout, transport=kb_transport)
        hub = Hub(bus=shared.bus if shared else None)
        app.state.desk = Desk(
            settings=settings,
            store=store,
            hub=hub,
            rasa=rasa,
            kb=kb,
            clock=store.clock,
            mail_sender=mail_sender,
            widget_limits=WidgetLimits(settings, windows=shared.windows) if shared else None,
            turn_locks=shared.turn_locks if shared else None,
        )
        hub.on_presence_elsewhere = app.state.desk.presence_changed
        await hub.start()
        # The editing API's client, with the insights' endpoints (cluster, examples) beside it.
        kb_editing = KBInsightsClient(
            settings.kb_url,
            token=settings.kb_editor_token.get_secret_value(),
            timeout=timeout,
            transport=kb_transport,
        )
        app.state.editing = Editing(kb=kb_editing, store=store, signals=EventSignals(store))
        app.state.kb_insights = kb_editing
        if shared is not None:  # before the turns a kill cut off are redriven (desk/replicas/turn_locks.py)
            await shared.turn_locks.release_left_behind()
        app.state.desk.start()
        try:
            yield
        finally:
            hub.close_all()
            await hub.stop()
            await app.state.desk.aclose()
            await kb_editing.aclose()
            await rasa.aclose()
            await kb.aclose()
            if shared is not None:
                await shared.aclose()
            store.close()

    app = FastAPI(
        title="Kestrel support desk",
        version="1.0.0",
        summary="The widget's gateway to the assistant, the handoff queue and the agent console.",
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    _install_simulated_time(app, settings)
    app.include_router(health.router)
    app.include_router(handoffs.router)
    app.include_router(signin.router)
    app.include_router(console.router)
    app.include_router(console.api)
    app.include_router(staff.router)
    app.include_router(staff.api)
    app.include_router(insights.router)  # before editor's, whose /editor/articles/{id} is wider
    app.include_router(insights.api)
    app.include_router(editor.router)
    app.include_router(editor.api)
    app.include_router(events.router)
    app.include_router(kpis.router)
    app.include_router(manager.router)
    app.include_router(sockets.router)
    app.include_router(pages.router)
    if settings.environment == "development":
        app.include_router(dev.router)  # absent in production: 404
        app.include_router(simulation.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _install_error_handlers(app)
    return app


def _shared(settings: Settings, prefix: str | None) -> Shared | None:
    """What this replica shares with the others through Redis; None without DESK_REDIS_URL."""
    if not settings.redis_url:
        return None
    from desk.replicas.shared import through_redis  # redis is imported by scaled desks only

    return through_redis(settings, prefix=settings.redis_prefix if prefix is None else prefix)


def _install_simulated_time(app: FastAPI, settings: Settings) -> None:
    """Development only: the traffic simulator's backfill (desk/simulated_time.py)."""
    app.state.simulated_time = None
    if settings.environment == "development":
        app.state.simulated_time = SimulatedTime()
        app.add_middleware(SimulatedTimeMiddleware, time=app.state.simulated_time)


def _error(status: int, code: str, message: str, **details: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message, **details}})


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in_first(_: Request, exc: SignInRequired) -> Response:
        return RedirectResponse("/console/login", status_code=303)

    @app.exception_handler(RoleMissing)
    async def not_your_page(request: Request, exc: RoleMissing) -> Response:
        return render(request, "forbidden.html", status_code=403, message=exc.message)

    @app.exception_handler(DeskError)
    async def desk_error(_: Request, exc: DeskError) -> JSONResponse:
        return _error(exc.status_code, exc.code, exc.message, **exc.details())

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return _error(422, "invalid_request", "; ".join(problems) or "invalid request")
