"""GET /api/events: the event log for managers and admins, paged by id (desk/events.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from desk.events import EventType
from desk.routes.deps import DeskDep, ManagerDep
from desk.store import iso

router = APIRouter(prefix="/api", tags=["events"])


class EventQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: str | None = Field(None, max_length=200)
    type: list[EventType] = Field([], description="Only these types (repeat the parameter).")
    since: datetime | None = Field(None, description="From this time on (no zone: UTC).")
    until: datetime | None = Field(None, description="Before this time.")
    after: int = Field(0, ge=0, description="The `next_after` of the previous page.")
    limit: int = Field(100, ge=1, le=1000)


@router.get("/events", summary="The event log, oldest first; follow `next_after` for the next page")
async def list_events(
    query: Annotated[EventQuery, Query()], who: ManagerDep, desk: DeskDep
) -> dict[str, Any]:
    events = desk.store.events(
        conversation_id=query.conversation_id,
        types=query.type,
        since=_utc(query.since),
        until=_utc(query.until),
        after_id=query.after,
        limit=query.limit,
    )
    return {
        "events": [e.view() for e in events],
        "next_after": events[-1].id if len(events) == query.limit else None,
    }


def _utc(moment: datetime | None) -> str | None:
    """An ISO time as the store writes it; a time without a zone is taken as UTC."""
    if moment is None:
        return None
    return iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
