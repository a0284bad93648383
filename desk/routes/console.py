"""The agent console: its page and the JSON API behind console.js (docs/contracts/console.md).
Every route needs the agent role; sign-in is desk/routes/signin.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from desk.pages import render
from desk.routes.deps import ActingAgentDep, AgentDep, AgentPage, DeskDep
from desk.schemas import ArticleBody, ResolveBody, TextBody

router = APIRouter(include_in_schema=False)


@router.get("/console", response_class=HTMLResponse)
def console_page(request: Request, who: AgentPage) -> Response:
    return render(request, "console.html", agent_name=who.name, agent_email=who.email)


api = APIRouter(prefix="/api/console", tags=["console"])


@api.get("/me")
def me(agent: AgentDep) -> dict[str, Any]:
    return agent.public()


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
