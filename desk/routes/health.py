"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from desk.routes.deps import DeskDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The store is open; also says whether the assistant can be reached")
async def readyz(desk: DeskDep) -> dict[str, Any]:
    return {
        "status": "ready",
        "assistant": "up" if await desk.rasa.ready() else "down",
        "agents_online": len(desk.hub.online_agents()),
        "open_now": desk.queue.hours.is_open(desk.clock()),
    }
