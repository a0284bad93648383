"""Staff accounts for admins: the admin page and the JSON API behind admin.js. Taking access
away (disable, a new password, removing the agent role) ends the person's sessions and closes
their console sockets at once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from desk import staff
from desk.errors import InvalidInput
from desk.pages import render
from desk.roles import Role
from desk.routes.deps import ActingAdminDep, AdminDep, AdminPage, DeskDep
from desk.schemas import NewStaffBody, PasswordBody, StaffChangeBody
from desk.service import Desk
from desk.store import StaffMember

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/staff", tags=["staff"])


@router.get("/admin/staff", response_class=HTMLResponse)
def admin_page(request: Request, who: AdminPage) -> Response:
    return render(request, "admin_staff.html", who=who, roles=[r.value for r in Role])


@api.get("")
async def list_staff(admin: AdminDep, desk: DeskDep) -> dict[str, Any]:
    return {"staff": [m.public() for m in desk.store.all_staff()]}


@api.post("", status_code=201)
async def add(body: NewStaffBody, admin: ActingAdminDep, desk: DeskDep) -> dict[str, Any]:
    return staff.add_staff(desk.store, body.email, body.name, body.password, body.role_set()).public()


@api.patch("/{staff_id}")
async def change(
    staff_id: int, body: StaffChangeBody, admin: ActingAdminDep, desk: DeskDep
) -> dict[str, Any]:
    before = staff.member(desk.store, staff_id)
    dropping_admin = body.roles is not None and Role.ADMIN not in body.role_set()
    if staff_id == admin.id and (body.disabled or dropping_admin):
        raise InvalidInput("you cannot disable yourself or drop your own admin role")
    member = before
    if body.name is not None:
        member = desk.store.update_staff(staff_id, name=staff.checked_identity(before.email, body.name)[1])
    if body.roles is not None:
        member = staff.set_roles(desk.store, staff_id, body.role_set())
    if body.disabled is not None:
        member = staff.set_disabled(desk.store, staff_id, body.disabled)
    _close_lost_access(desk, before, member)
    return member.public()


@api.post("/{staff_id}/password")
async def new_password(
    staff_id: int, body: PasswordBody, admin: ActingAdminDep, desk: DeskDep
) -> dict[str, Any]:
    member = staff.set_password(desk.store, staff_id, body.password)
    desk.hub.close_console(staff_id)
    return member.public()


def _close_lost_access(desk: Desk, before: StaffMember, after: StaffMember) -> None:
    if after.disabled and not before.disabled:
        desk.hub.close_console(after.id)  # the store already ended the sessions
    elif before.has(Role.AGENT) and not after.has(Role.AGENT):
        desk.hub.close_console(after.id)  # still signed in, but no longer an agent
