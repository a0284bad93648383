"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kb_service.runtime import runtime_of

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The model and index are loaded (503 until then)")
def readyz(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    kb = runtime.kb
    if kb is None:
        return JSONResponse(status_code=503, content={"status": runtime.status, "error": runtime.error})
    sync = kb.last_sync
    return JSONResponse(
        {
            "status": "ready",
            "articles": len(kb),
            "passages": kb.passage_count,
            "model": kb.embedder.name,
            "last_sync": {
                "embedded": len(sync.embedded),
                "reused": sync.reused,
                "removed": len(sync.removed),
                "seconds": round(sync.seconds, 2),
            },
        }
    )
