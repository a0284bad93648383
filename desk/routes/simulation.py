"""Development-only API of the traffic simulator's backfill (desk/simulated_time.py): grants to
play a conversation "as of" a past moment, binding one to the conversation it opened, moving a
simulated conversation's clock forward, and running the abandoned sweep now. app.py includes
this router only when DESK_ENVIRONMENT is development (404 in production); admins only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from desk.routes.deps import ActingAdminDep, DeskDep
from desk.simulated_time import SimulatedTime, working_on
from desk.store import iso

router = APIRouter(prefix="/dev/simulation", tags=["simulation (development)"])


class GrantBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: datetime = Field(description="When the conversation starts (with a zone; not in the future).")


class BindBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grant: str = Field(min_length=1, max_length=100)


class AdvanceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(ge=0, le=90 * 86_400)


def simulated_time(request: Request) -> SimulatedTime:
    time: SimulatedTime = request.app.state.simulated_time
    return time


@router.post("/grants", status_code=201, summary="A grant to open one conversation as of a past moment")
async def grant(body: GrantBody, request: Request, who: ActingAdminDep, desk: DeskDep) -> dict[str, Any]:
    """The grant, and how long a customer's silence takes to count as leaving (so that the
    simulator can move the clock past it)."""
    return {
        "grant": simulated_time(request).grant(body.as_of),
        "abandon_after_seconds": desk.settings.abandon_after_minutes * 60,
    }


@router.post("/conversations/{conversation_id}", summary="Bind a grant to the conversation it opened")
async def bind(conversation_id: str, body: BindBody, request: Request, who: ActingAdminDep) -> dict[str, Any]:
    moment = simulated_time(request).bind(body.grant, conversation_id)
    return {"conversation_id": conversation_id, "now": iso(moment)}


@router.post("/conversations/{conversation_id}/advance", summary="Move a simulated conversation's clock on")
async def advance(
    conversation_id: str, body: AdvanceBody, request: Request, who: ActingAdminDep
) -> dict[str, Any]:
    moment = simulated_time(request).advance(conversation_id, body.seconds)
    return {"conversation_id": conversation_id, "now": iso(moment)}


@router.post("/sweep", summary="Run the abandoned sweep now (each conversation on its own clock)")
async def sweep(who: ActingAdminDep, desk: DeskDep) -> dict[str, Any]:
    with working_on(None):
        return {"abandoned": desk.sweeper.sweep()}
