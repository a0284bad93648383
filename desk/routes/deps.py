"""Shared dependencies: the Desk of the app, the signed-in staff member and the role a route
needs, the service token.

Every staff route declares its role once, with a `RoleGuard(Role.X)` dependency (the aliases at the end: API
routes and sockets answer 401 without a session and 403 without the role; pages send the
person to the sign-in page or show a 403 page). tests/desk/test_roles.py enumerates the app's routes
and fails for a route that declares neither and is not in its short list of public ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from desk.errors import Forbidden, Unauthorized
from desk.roles import Role
from desk.security import same_secret
from desk.service import Desk
from desk.sessions import Sessions
from desk.store import StaffMember

SESSION_COOKIE = "kestrel_desk_session"
CONSOLE_HEADER = "kestrel-console"


class SignInRequired(Unauthorized):
    """A page asked for without a session: app.py answers with the sign-in page."""


class RoleMissing(Forbidden):
    """A page asked for by someone without its role: app.py answers with a 403 page."""


def desk_of(connection: HTTPConnection) -> Desk:
    desk: Desk = connection.app.state.desk
    return desk


def sessions_of(connection: HTTPConnection) -> Sessions:
    sessions: Sessions = connection.app.state.sessions
    return sessions


def staff_from_cookie(connection: HTTPConnection) -> StaffMember | None:
    return sessions_of(connection).member(connection.cookies.get(SESSION_COOKIE))


class RoleGuard:
    """Depends(RoleGuard(*roles)): the signed-in person, who must hold one of `roles` (none
    named: any staff member).
    With `acting`, the
    request changes something and must carry the console's header (so a form on another site
    cannot). With `page`, failures become the sign-in redirect or a 403 page."""

    def __init__(self, *roles: Role, acting: bool = False, page: bool = False) -> None:
        self.roles = frozenset(roles)
        self.acting = acting
        self.page = page

    def __call__(self, request: Request) -> StaffMember:
        return self.check(request)

    def check(self, connection: HTTPConnection) -> StaffMember:
        member = staff_from_cookie(connection)
        if member is None:
            raise (SignInRequired if self.page else Unauthorized)("sign in first")
        if self.roles and not self.roles & member.roles:
            needed = " or ".join(sorted(r.value for r in self.roles))
            raise (RoleMissing if self.page else Forbidden)(f"this needs the {needed} role")
        if self.acting and connection.headers.get("x-requested-with") != CONSOLE_HEADER:
            raise Forbidden(f"send the header X-Requested-With: {CONSOLE_HEADER}")
        return member


def service_caller(request: Request) -> None:
    """The action server, with the shared service token."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    expected = desk_of(request).settings.service_token.get_secret_value()
    if scheme.lower() != "bearer" or not token or not same_secret(token, expected):
        raise Unauthorized("a valid service token is required")


DeskDep = Annotated[Desk, Depends(desk_of)]
SessionsDep = Annotated[Sessions, Depends(sessions_of)]
# The role each staff route needs, as the annotation of its `who` parameter:
StaffPage = Annotated[StaffMember, Depends(RoleGuard(page=True))]  # any staff member
AgentDep = Annotated[StaffMember, Depends(RoleGuard(Role.AGENT))]
ActingAgentDep = Annotated[StaffMember, Depends(RoleGuard(Role.AGENT, acting=True))]
AgentPage = Annotated[StaffMember, Depends(RoleGuard(Role.AGENT, page=True))]
AdminDep = Annotated[StaffMember, Depends(RoleGuard(Role.ADMIN))]
ActingAdminDep = Annotated[StaffMember, Depends(RoleGuard(Role.ADMIN, acting=True))]
AdminPage = Annotated[StaffMember, Depends(RoleGuard(Role.ADMIN, page=True))]
ManagerDep = Annotated[StaffMember, Depends(RoleGuard(Role.MANAGER, Role.ADMIN))]  # the figures and events
ManagerPage = Annotated[StaffMember, Depends(RoleGuard(Role.MANAGER, Role.ADMIN, page=True))]
EditorDep = Annotated[StaffMember, Depends(RoleGuard(Role.EDITOR))]
ActingEditorDep = Annotated[StaffMember, Depends(RoleGuard(Role.EDITOR, acting=True))]
EditorPage = Annotated[StaffMember, Depends(RoleGuard(Role.EDITOR, page=True))]
DevPage = Annotated[StaffMember, Depends(RoleGuard(Role.AGENT, Role.ADMIN, page=True))]  # development pages
