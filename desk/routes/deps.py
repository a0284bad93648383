"""Shared dependencies: the Desk of the app, the signed-in agent, the service token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from desk.errors import Forbidden, Unauthorized
from desk.security import same_secret, token_hash
from desk.service import Desk
from desk.store import Agent

SESSION_COOKIE = "kestrel_desk_session"
CONSOLE_HEADER = "kestrel-console"


def desk_of(connection: HTTPConnection) -> Desk:
    desk: Desk = connection.app.state.desk
    return desk


def agent_from_cookie(connection: HTTPConnection) -> Agent | None:
    token = connection.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return desk_of(connection).store.session_agent(token_hash(token))


def signed_in_agent(request: Request) -> Agent:
    agent = agent_from_cookie(request)
    if agent is None:
        raise Unauthorized("sign in to the console first")
    return agent


def acting_agent(request: Request, agent: Annotated[Agent, Depends(signed_in_agent)]) -> Agent:
    """A signed-in agent on a request that changes something: the console's header proves the call
    came from the console's own script, not from a form on another site."""
    if request.headers.get("x-requested-with") != CONSOLE_HEADER:
        raise Forbidden(f"send the header X-Requested-With: {CONSOLE_HEADER}")
    return agent


def service_caller(request: Request) -> None:
    """The action server, with the shared service token."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    expected = desk_of(request).settings.service_token.get_secret_value()
    if scheme.lower() != "bearer" or not token or not same_secret(token, expected):
        raise Unauthorized("a valid service token is required")


DeskDep = Annotated[Desk, Depends(desk_of)]
AgentDep = Annotated[Agent, Depends(signed_in_agent)]
ActingAgentDep = Annotated[Agent, Depends(acting_agent)]
