"""Staff sign-in and sign-out pages (desk/sessions.py does the work) and the staff home, which
sends each person to the area their roles open."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from desk.errors import TooManyRequests, Unauthorized
from desk.pages import render
from desk.roles import Role
from desk.routes.deps import SESSION_COOKIE, DeskDep, SessionsDep, StaffPage, staff_from_cookie
from desk.store import StaffMember

router = APIRouter(include_in_schema=False)

AREAS = (  # (role, path, name), in the order a person holding several is sent to them
    (Role.AGENT, "/console", "Agent console"),
    (Role.EDITOR, "/editor", "Help-centre articles"),
    (Role.MANAGER, "/manager", "Operations overview"),
    (Role.ADMIN, "/admin/staff", "Staff accounts"),
    (Role.ADMIN, "/manager", "Operations overview"),  # admins read the figures too
)


def home_of(member: StaffMember) -> str:
    for role, path, _ in AREAS:
        if member.has(role):
            return path
    return "/staff"


@router.get("/console/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    member = staff_from_cookie(request)
    if member is not None:
        return RedirectResponse(home_of(member), status_code=303)
    return render(request, "login.html", error=None, email="")


@router.post("/console/login")
async def login(request: Request, desk: DeskDep, sessions: SessionsDep) -> Response:
    form = parse_qs((await request.body()).decode(errors="replace"))
    email = (form.get("email") or [""])[0].strip().lower()[:254]
    password = (form.get("password") or [""])[0]
    try:
        address = request.client.host if request.client else "unknown"
        member, token = await sessions.sign_in(email, password, address)
    except (TooManyRequests, Unauthorized) as e:
        return render(request, "login.html", status_code=e.status_code, email=email, error=e.message)
    response = RedirectResponse(home_of(member), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(sessions.hours * 3600),
        httponly=True,
        samesite="strict",
        secure=desk.settings.public_url.startswith("https://"),
        path="/",
    )
    return response


@router.post("/console/logout")
async def logout(request: Request, sessions: SessionsDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        sessions.sign_out(token)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/staff", response_class=HTMLResponse)
def staff_home(request: Request, who: StaffPage) -> Response:
    areas = list(dict.fromkeys((path, name) for role, path, name in AREAS if who.has(role)))
    return render(request, "staff_home.html", who=who, areas=areas)
