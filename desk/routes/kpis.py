"""The manager's figures (docs/contracts/kpis.md): GET /api/kpis for a period, GET /api/floor for
now, GET /api/csat for the ratings and their comments. Manager or admin role."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from desk.errors import InvalidInput
from desk.kpis.report import KpiQuery, day_start, local_day
from desk.routes.deps import DeskDep, ManagerDep
from desk.service import Desk
from desk.store import iso

router = APIRouter(prefix="/api", tags=["kpis"])

DEFAULT_DAYS = 7
MAX_DAYS = 400


def _days(desk: Desk, first: date | None, last: date | None) -> tuple[date, date]:
    """The period asked for, in the desk's timezone: by default the last seven days."""
    last = last or local_day(desk.figures.now(), desk.figures.policy.timezone)
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidInput("`from` must not be after `to`")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(f"a period is at most {MAX_DAYS} days")
    return first, last


@router.get("/kpis", summary="The KPIs of a period, with their series by day or week")
async def kpis(
    *,
    who: ManagerDep,
    desk: DeskDep,
    first: Annotated[date | None, Query(alias="from", description="First day (YYYY-MM-DD).")] = None,
    last: Annotated[date | None, Query(alias="to", description="Last day, included.")] = None,
    topic: Annotated[str | None, Query(max_length=80)] = None,
    agent: Annotated[int | None, Query(ge=1, description="A staff member's id.")] = None,
    channel: Literal["widget", "api"] | None = None,
    group: Literal["day", "week"] = "day",
) -> dict[str, Any]:
    first, last = _days(desk, first, last)
    query = KpiQuery(first, last, topic=topic or None, agent=agent, channel=channel, group=group)
    return await desk.figures.kpis(query)


@router.get("/floor", summary="The live floor: who waits, for how long, and the agents online")
async def floor(who: ManagerDep, desk: DeskDep) -> dict[str, Any]:
    return desk.figures.floor()


@router.get("/csat", summary="Customers' ratings with their (masked) comments, newest first")
async def ratings(
    *,
    who: ManagerDep,
    desk: DeskDep,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
    of: Literal["assistant", "agent"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    first, last = _days(desk, first, last)
    tz = desk.figures.policy.timezone
    found = desk.store.csat_ratings(
        since=iso(day_start(first, tz)),
        until=iso(day_start(last + timedelta(days=1), tz)),
        of=of,
        limit=limit,
    )
    return {"ratings": found}
