"""A simulation from start to end: the articles from the knowledge service, the script, the agents
signed in and online, the customers played a few at a time, and the summary of what was played.

Live (the default), each conversation starts now and realistic delays are slept through,
scaled by `pace`. A backfill (`backfill_weeks`) plays each conversation as of its moment in the
past weeks through the running desk (desk/simulated_time.py): delays move that conversation's
own clock on instead of being slept through, and at the end every conversation's clock is moved
past the desk's abandon window and the abandoned sweep runs, so the history is complete."""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx

from desk.simulate.agents import AgentLogin
from desk.simulate.customer import Customer
from desk.simulate.desk_api import DeskAdmin, SimulationRefused
from desk.simulate.script import Article, ConversationPlan, plan_conversations
from desk.simulate.summary import Played, summarise
from desk.simulate.team import Floor, SimulatedAgent
from desk.simulate.widget import Widget

log = logging.getLogger(__name__)

DEMO_ADMIN = ("admin@kestrel.example", "kestrel-demo")  # development only (desk/staff.py)
SWEEP_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class SimulationConfig:
    desk_url: str = "http://127.0.0.1:8000"
    kb_url: str = "http://127.0.0.1:8100"
    conversations: int = 20
    agents: int = 2
    backfill_weeks: int = 0
    seed: int = 7
    pace: float = 1.0  # live: a delay of s seconds in the script is slept as s * pace
    spread_seconds: float | None = None  # live: conversations start over this long (default from pace)
    concurrency: int = 10  # conversations played at once
    admin: tuple[str, str] = DEMO_ADMIN
    agent_logins: tuple[AgentLogin, ...] = ()  # existing agents instead of the simulator's own
    turn_timeout: float = 60.0
    person_timeout: float = 900.0


class LivePace:
    def __init__(self, factor: float) -> None:
        self.factor = factor

    async def wait(self, conversation_id: str | None, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds * self.factor))


class BackfillPace:
    """The conversation's own clock moves on at once (desk/simulated_time.py)."""

    def __init__(self, admin: DeskAdmin) -> None:
        self.admin = admin

    async def wait(self, conversation_id: str | None, seconds: float) -> None:
        if conversation_id is not None and seconds > 0:
            await self.admin.advance(conversation_id, seconds)


async def fetch_articles(kb_url: str, *, timeout: float = 30) -> list[Article]:
    """Every published article with the ways customers ask about it (GET /articles, /articles/{id})."""
    async with httpx.AsyncClient(base_url=kb_url, timeout=timeout) as kb:
        listing = (await kb.get("/articles")).raise_for_status().json()
        limit = asyncio.Semaphore(8)

        async def detail(summary: dict[str, Any]) -> Article:
            async with limit:
                full = (await kb.get(f"/articles/{summary['id']}")).raise_for_status().json()
            return Article(
                id=str(full["id"]),
                title=str(full["title"]),
                topic=str(full["topic"]),
                escalation=str(full.get("escalation") or "none"),
                questions=tuple(str(q) for q in full.get("questions") or ()),
            )

        return list(await asyncio.gather(*(detail(s) for s in listing)))


async def simulate(config: SimulationConfig) -> dict[str, Any]:
    started = time.monotonic()
    run_id = secrets.token_hex(4)  # signed-in customers' ids are this run's own
    articles = await fetch_articles(config.kb_url)
    spread = (
        config.spread_seconds if config.spread_seconds is not None else 6 * config.pace * config.conversations
    )
    plans = plan_conversations(
        articles,
        config.conversations,
        seed=config.seed,
        backfill_weeks=config.backfill_weeks,
        spread_seconds=spread,
    )
    admin = DeskAdmin(config.desk_url, *config.admin)
    try:
        await admin.sign_in()
        logins = list(config.agent_logins) or await admin.agents(config.agents)
        pace = BackfillPace(admin) if config.backfill_weeks > 0 else LivePace(config.pace)
        floor = Floor()
        agents = [SimulatedAgent(config.desk_url, login, floor, pace) for login in logins]
        agent_tasks = [asyncio.create_task(a.run()) for a in agents]
        try:
            await _until_online(agents, config.turn_timeout)
            slots = asyncio.Semaphore(config.concurrency)
            played = await asyncio.gather(
                *(
                    _play(plan, config, admin=admin, pace=pace, floor=floor, slots=slots, run_id=run_id)
                    for plan in plans
                )
            )
        finally:
            for agent in agents:
                agent.stop()
            await asyncio.gather(*agent_tasks, return_exceptions=True)
        if config.backfill_weeks > 0:
            await admin.sweep()
    finally:
        await admin.aclose()
    summary = summarise(list(played))
    summary["run"] = run_id
    summary["mode"] = f"backfill of {config.backfill_weeks} weeks" if config.backfill_weeks else "live"
    summary["agents"] = [login.email for login in logins]
    summary["seconds"] = round(time.monotonic() - started, 1)
    return summary


async def _play(
    plan: ConversationPlan,
    config: SimulationConfig,
    *,
    admin: DeskAdmin,
    pace: LivePace | BackfillPace,
    floor: Floor,
    slots: asyncio.Semaphore,
    run_id: str,
) -> Played:
    await asyncio.sleep(plan.starts_after)
    async with slots:
        grant, abandon_after = (None, 0.0) if plan.as_of is None else await admin.grant(plan.as_of)
        widget = Widget(
            config.desk_url,
            random.Random(plan.index),
            title="Kestrel Bank (simulated customer)",
            simulation=grant,
            customer_id=None if plan.customer is None else f"sim-{run_id}-{plan.customer}",
        )
        customer = Customer(
            plan,
            widget,
            pace,
            grant=(admin, grant) if grant else None,
            turn_timeout=config.turn_timeout,
            person_timeout=config.person_timeout,
            opened=floor.add,
        )
        played = await customer.play()
        if grant and played.conversation_id:  # past the silence that counts as leaving
            await admin.advance(played.conversation_id, abandon_after + SWEEP_MARGIN_SECONDS)
        return played


async def _until_online(agents: list[SimulatedAgent], timeout: float) -> None:
    """Every agent's console socket is open (else handoffs would become tickets)."""
    deadline = time.monotonic() + timeout
    while not all(agent.online for agent in agents):
        if time.monotonic() > deadline:
            raise SimulationRefused(f"the simulated agents were not online within {timeout:.0f} s")
        await asyncio.sleep(0.1)
