"""The simulated agents: each signed in at the console and online (desk/simulate/agents.py), taking
only the simulator's own conversations (a person using the console meanwhile keeps theirs), a
few at a time, each as its plan says (desk/simulate/script.py `AgentPlan`): claim after the wait,
reply after a realistic delay, perhaps send the article, then resolve or hand back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

import httpx

from desk.simulate import phrasing
from desk.simulate.agents import AgentLogin, AgentSignedOut, Conflict, DeskAgent
from desk.simulate.customer import Pace
from desk.simulate.desk_api import SimulationRefused
from desk.simulate.summary import Played

log = logging.getLogger(__name__)

MAX_HELD = 3  # conversations one agent works on at once


class Floor:
    """The simulator's conversations by id, and which of them an agent has taken."""

    def __init__(self) -> None:
        self.played: dict[str, Played] = {}
        self.taken: set[str] = set()
        self.handed_back: set[str] = set()  # each conversation goes back to the assistant once at most

    def add(self, played: Played) -> None:
        if played.conversation_id:
            self.played[played.conversation_id] = played


class SimulatedAgent(DeskAgent):
    def __init__(self, desk_url: str, login: AgentLogin, floor: Floor, pace: Pace) -> None:
        super().__init__(desk_url, login)
        self.floor = floor
        self.pace = pace
        self.rng = random.Random(login.email)
        self.serving: dict[str, asyncio.Task[None]] = {}
        self.handed_back = 0

    def wanted(self, summary: dict[str, Any]) -> bool:
        conversation_id = str(summary["conversation_id"])
        played = self.floor.played.get(conversation_id)
        if played is None or conversation_id in self.serving:
            return False
        played.escalated = True
        if played.reason is None:
            played.reason = str(summary["reason"])
        mine = summary["status"] == "assigned"  # after a restart of the simulator's agent
        return mine or (conversation_id not in self.floor.taken and len(self.serving) < MAX_HELD)

    async def _handle(self, summary: dict[str, Any]) -> None:
        conversation_id = str(summary["conversation_id"])
        self.floor.taken.add(conversation_id)
        task = asyncio.create_task(self._serve(summary))
        self.serving[conversation_id] = task
        task.add_done_callback(lambda _t: self.serving.pop(conversation_id, None))

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            for task in list(self.serving.values()):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _serve(self, summary: dict[str, Any]) -> None:
        conversation_id = str(summary["conversation_id"])
        played = self.floor.played[conversation_id]
        plan = played.plan.agent
        path = f"/api/console/conversations/{conversation_id}"
        try:
            if summary["status"] != "assigned":
                await self.pace.wait(conversation_id, plan.claim_after)
                await self.call("POST", f"{path}/claim")
            await self.pace.wait(conversation_id, plan.first_reply_after)
            opening = self.rng.choice(phrasing.AGENT_OPENINGS).format(name=self.login.name.split()[0])
            await self.call("POST", f"{path}/messages", {"text": opening})
            for n in range(1, plan.replies):
                await self.pace.wait(conversation_id, plan.between_replies)
                if plan.send_article and n == 1:
                    await self.call("POST", f"{path}/articles", {"article_id": played.plan.article_id})
                else:
                    await self.call(
                        "POST", f"{path}/messages", {"text": self.rng.choice(phrasing.AGENT_FOLLOW_UPS)}
                    )
            await self.pace.wait(conversation_id, self.rng.uniform(15, 90))
            if plan.hand_back and conversation_id not in self.floor.handed_back:
                await self.call("POST", f"{path}/handback")
                self.floor.handed_back.add(conversation_id)
                self.floor.taken.discard(conversation_id)  # if it comes back to a person: again
                self.handed_back += 1
            else:
                await self.call(
                    "POST", f"{path}/messages", {"text": self.rng.choice(phrasing.AGENT_CLOSINGS)}
                )
                await self.call("POST", f"{path}/resolve", {"outcome": "resolved"})
                self.resolved.append(str(summary["handoff_id"]))
            self.replies += plan.replies
        except Conflict:
            self.conflicts += 1  # another agent was quicker, or the state moved on
            self.floor.taken.discard(conversation_id)
        except (AgentSignedOut, SimulationRefused, httpx.HTTPError) as e:
            log.warning("agent %s lost conversation %s: %s", self.login.email, conversation_id, e)
            self.failures += 1
            self.floor.taken.discard(conversation_id)
