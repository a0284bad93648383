"""The agent console: its page and the JSON API behind console.js (docs/contracts/console.md).
Every route needs the agent role; sign-in is desk/routes/signin.py. Routes are `async`: the
desk's objects, the hub and its queues are touched only from the event loop."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from desk.pages import render
from desk.routes.deps import ActingAgentDep, AgentDep, AgentPage, DeskDep
from desk.schemas import ArticleBody, ResolveBody, TextBody

router = APIRouter(include_in_schema=False)


@router.get("/console", response_class=HTMLResponse)
async def console_page(request: Request, who: AgentPage) -> Response:
    return render(request, "console.html", agent_name=who.name, agent_email=who.email)


api = APIRouter(prefix="/api/console", tags=["console"])


@api.get("/me")
async def me(agent: AgentDep) -> dict[str, Any]:
    return agent.public()


@api.get("/queue")
async def queue(agent: AgentDep, desk: DeskDep) -> dict[str, Any]:
    return desk.agents.queue_view(agent.id)


@api.get("/conversations/{conversation_id}")
async def conversation(conversation_id: str, agent: AgentDep, desk: DeskDep) -> dict[str, Any]:
    return desk.agents.conversation_view(conversation_id)


@api.post("/conversations/{conversation_id}/claim")
async def claim(conversation_id: str, agent: ActingAgentDep, desk: DeskDep) -> dict[str, Any]:
    return desk.agents.claim(conversation_id, agent)


@api.post("/conversations/{conversation_id}/messages")
async def reply(conversation_id: str, body: TextBody, agent: ActingAgentDep, desk: DeskDep) -> dict[str, Any]:
    return desk.agents.reply(conversation_id, agent, body.text)


@api.post("/conversations/{conversation_id}/notes")
async def note(conversation_id: str, body: TextBody, agent: ActingAgentDep, desk: DeskDep) -> dict[str, Any]:
    return desk.agents.note(conversation_id, agent, body.text)


@api.post("/conversations/{conversation_id}/articles")
async def insert_article(
    conversation_id: str, body: ArticleBody, agent: ActingAgentDep, desk: DeskDep
) -> dict[str, Any]:
    return await desk.agents.insert_article(conversation_id, agent, body.article_id)


@api.post("/conversations/{conversation_id}/resolve")
async def resolve(
    conversation_id: str, body: ResolveBody, agent: ActingAgentDep, desk: DeskDep
) -> dict[str, Any]:
    return desk.agents.resolve(conversation_id, agent, body.outcome)


@api.post("/conversations/{conversation_id}/handback")
async def hand_back(conversation_id: str, agent: ActingAgentDep, desk: DeskDep) -> dict[str, Any]:
    return await desk.agents.hand_back(conversation_id, agent)


@api.get("/articles")
async def search_articles(q: str, agent: AgentDep, desk: DeskDep) -> dict[str, Any]:
    return {"results": await desk.agents.search_articles(q)}
