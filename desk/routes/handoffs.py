"""POST /api/handoffs: the contract the action server uses (docs/contracts/handoff.md)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from desk.routes.deps import DeskDep, service_caller
from desk.schemas import HandoffRequest, HandoffResponse
from desk.simulated_time import working_on

router = APIRouter(tags=["handoffs"])


@router.post(
    "/api/handoffs",
    response_model=HandoffResponse,
    status_code=201,
    dependencies=[Depends(service_caller)],
    summary="Hand a conversation to a person (idempotent by handoff_id: 201 new, 200 repeat)",
)
async def create_handoff(body: HandoffRequest, desk: DeskDep) -> JSONResponse:
    with working_on(body.conversation_id):  # a simulated conversation's clock (development only)
        response, created = desk.handoffs.accept(body.model_dump(mode="json"))
    return JSONResponse(status_code=201 if created else 200, content=response)
