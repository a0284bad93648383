"""The managers' pages: the overview (/manager: the live floor, the period's figures, charts and
tables, drawn by manager.js from GET /api/kpis and /api/floor) and the CSV export of each of its
tables, made from what those two endpoints answer to the same query. Manager or admin role."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from desk.csv_export import csv_filename, snapshot_filename
from desk.kpis.report import local_day
from desk.manager_tables import CHARTS, FLOOR_TILES, PERIOD_TILES, TABLES, table_csv
from desk.pages import render
from desk.routes import kpis
from desk.routes.deps import DeskDep, ManagerDep, ManagerPage

FLOOR_REFRESH_SECONDS = 5
TABLE_IDS = "^(" + "|".join(TABLES) + ")$"

router = APIRouter(include_in_schema=False)


@router.get("/manager", response_class=HTMLResponse)
def overview(request: Request, who: ManagerPage, desk: DeskDep) -> Response:
    today = local_day(desk.figures.now(), desk.figures.policy.timezone)
    return render(
        request,
        "manager.html",
        who=who,
        today=today.isoformat(),
        floor_seconds=FLOOR_REFRESH_SECONDS,
        floor_tiles=FLOOR_TILES,
        period_tiles=PERIOD_TILES,
        tables=TABLES,
        charts=CHARTS,
    )


@router.get("/manager/export/{table}.csv")
async def export(
    *,
    table: Annotated[str, Path(pattern=TABLE_IDS)],
    who: ManagerDep,
    desk: DeskDep,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
    topic: Annotated[str | None, Query(max_length=80)] = None,
    agent: Annotated[int | None, Query(ge=1)] = None,
    channel: Literal["widget", "api"] | None = None,
    group: Literal["day", "week"] = "day",
) -> Response:
    """One table of the overview as CSV: the rows of GET /api/kpis (or /api/floor) for the same
    query, each column's raw value (rates 0-1, times in seconds)."""
    wanted = TABLES[table]
    if wanted.source == "floor":
        data = await kpis.floor(who, desk)
        at = desk.figures.now().astimezone(ZoneInfo(desk.figures.policy.timezone))
        name = snapshot_filename(table, at)
    else:
        data = await kpis.kpis(
            who=who, desk=desk, first=first, last=last, topic=topic, agent=agent, channel=channel, group=group
        )
        shown = data["range"]
        filters = [topic or "", f"agent-{agent}" if agent else "", channel or ""]
        name = csv_filename(
            table, date.fromisoformat(shown["from"]), date.fromisoformat(shown["to"]), filters=filters
        )
    return Response(
        # With a byte-order mark, spreadsheet programs read the file as UTF-8 (names with accents).
        content="\ufeff" + table_csv(wanted, data),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
