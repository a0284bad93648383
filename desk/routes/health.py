"""Liveness and readiness."""

from __future__ import annotations

import logging
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from desk.routes.deps import DeskDep
from sqlkit import SqlkitError

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The store answers (else 503, and a proxy takes the replica out); also says whether "
    "the assistant and, with several replicas, Redis can be reached",
)
async def readyz(desk: DeskDep, request: Request) -> Any:
    try:
        await anyio.to_thread.run_sync(desk.store.ping)
    except SqlkitError as e:
        # The reason (which names the database's host) goes to the log, not to whoever asks.
        log.warning("not ready: %s", e)
        return JSONResponse(status_code=503, content={"status": "store unreachable"})
    shared = request.app.state.shared
    return {
        "status": "ready",
        # Without Redis the replica still serves (limits fail open, locks are local): reported.
        "shared_state": "off" if shared is None else ("up" if await shared.link.answers() else "down"),
        "assistant": "up" if await desk.rasa.ready() else "down",
        "agents_online": len(desk.hub.online_agents()),
        "open_now": desk.queue.hours.is_open(desk.clock()),
    }
