"""The agent console: sign-in pages and the JSON API behind console.js (docs/contracts/console.md)."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from desk.pages import render
from desk.routes.deps import SESSION_COOKIE, ActingAgentDep, AgentDep, DeskDep, agent_from_cookie
from desk.schemas import ArticleBody, ResolveBody, TextBody
from desk.security import new_session_token, token_hash, verify_password
from desk.store import now

router = APIRouter()

FAILED_LOGINS_ALLOWED = 5
FAILED_LOGIN_WINDOW_SECONDS = 300


class LoginThrottle:
    """Slows password guessing: a few failures per email per window."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, email: str) -> bool:
        failures = self._failures[email]
        while failures and time.monotonic() - failures[0] > FAILED_LOGIN_WINDOW_SECONDS:
            failures.popleft()
        return len(failures) >= FAILED_LOGINS_ALLOWED

    def failed(self, email: str) -> None:
        self._failures[email].append(time.monotonic())

    def succeeded(self, email: str) -> None:
        self._failures.pop(email, None)


def login_throttle(request: Request) -> LoginThrottle:
    """The app's own (made in create_app), so two desks in one process never share failures."""
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


@router.get("/console/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request) -> Response:
    if agent_from_cookie(request) is not None:
        return RedirectResponse("/console", status_code=303)
    return render(request, "login.html", error=None, email="")


@router.post("/console/login", include_in_schema=False)
async def login(request: Request, desk: DeskDep) -> Response:
    form = parse_qs((await request.body()).decode(errors="replace"))
    email = (form.get("email") or [""])[0].strip().lower()[:254]
    password = (form.get("password") or [""])[0][:1000]
    throttle = login_throttle(request)
    if throttle.blocked(email):
        return render(
            request,
            "login.html",
            status_code=429,
            email=email,
            error="Too many failed attempts. Wait a few minutes and try again.",
        )
    agent = desk.store.agent_by_email(email) if email else None
    if agent is None or not verify_password(password, agent.password_hash):
        throttle.failed(email)
        return render(request, "login.html", status_code=401, email=email, error="Wrong email or password.")
    throttle.succeeded(email)
    token = new_session_token()
    hours = desk.settings.session_hours
    desk.store.add_session(token_hash(token), agent.id, now() + timedelta(hours=hours))
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(hours * 3600),
        httponly=True,
        samesite="strict",
        secure=desk.settings.public_url.startswith("https://"),
        path="/",
    )
    return response


@router.post("/console/logout", include_in_schema=False)
def logout(request: Request, desk: DeskDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        desk.store.delete_session(token_hash(token))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/console", response_class=HTMLResponse, include_in_schema=False)
def console_page(request: Request) -> Response:
    agent = agent_from_cookie(request)
    if agent is None:
        return RedirectResponse("/console/login", status_code=303)
    return render(request, "console.html", agent_name=agent.name, agent_email=agent.email)


api = APIRouter(prefix="/api/console", tags=["console"])


@api.get("/me")
def me(agent: AgentDep) -> dict[str, Any]:
    return {"id": agent.id, "name": agent.name, "email": agent.email}


@api.get("/queue")
def queue(agent: AgentDep, desk: DeskDep) -> dict[str, Any]:
    return desk.queue_view(agent.id)


@api.get("/conversations/{conversation_id}")
def conversation(conversation_id: str, agent: AgentDep, desk: DeskDep) -> dict[str, Any]:
    return desk.conversation_view(conversation_id)


@api.post("/conversations/{conversation_id}/claim")
def claim(conversation_id: str, agent: ActingAgentDep, desk: DeskDep) -> dict[str, Any]:
    return desk.claim(conversation_id, agent)


@api.post("/conversations/{conversation_id}/messages")
def reply(conversation_id: str, body: TextBody, agent: ActingAgentDep, desk: DeskDep) -> dict[str, Any]:
    return desk.agent_reply(conversation_id, agent, body.text)


@api.post("/conversations/{conversation_id}/notes")
def note(conversation_id: str, body: TextBody, agent: ActingAgentDep, desk: DeskDep) -> dict[str, Any]:
    return desk.add_note(conversation_id, agent, body.text)


@api.post("/conversations/{conversation_id}/articles")
async def insert_article(
    conversation_id: str, body: ArticleBody, agent: ActingAgentDep, desk: DeskDep
) -> dict[str, Any]:
    return await desk.insert_article(conversation_id, agent, body.article_id)


@api.post("/conversations/{conversation_id}/resolve")
async def resolve(
    conversation_id: str, body: ResolveBody, agent: ActingAgentDep, desk: DeskDep
) -> dict[str, Any]:
    # On the event loop: resolving may send the conversation to the knowledge service meanwhile.
    return desk.resolve(conversation_id, agent, body.outcome)


@api.post("/conversations/{conversation_id}/handback")
async def hand_back(conversation_id: str, agent: ActingAgentDep, desk: DeskDep) -> dict[str, Any]:
    return await desk.hand_back(conversation_id, agent)


@api.get("/articles")
async def search_articles(q: str, agent: AgentDep, desk: DeskDep) -> dict[str, Any]:
    return {"results": await desk.search_articles(q)}
