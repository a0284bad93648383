"""One simulated customer: opens the widget (as of a past moment for a backfill), asks their
question and reacts to what the real assistant says as their plan (desk/simulate/script.py)
allows: picks the article they meant from a clarification, rephrases what was not understood,
follows up, confirms the answer with its button or says it did not help, asks for a person
(typed or with the button), waits for the agent, rates when asked, or simply leaves."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
from collections.abc import Callable
from typing import Protocol

from desk.simulate import phrasing
from desk.simulate.script import ConversationPlan, Ending
from desk.simulate.summary import Played
from desk.simulate.widget import WITH_PERSON, Frame, Kind, Line, Widget

log = logging.getLogger(__name__)

AFFIRM, NOT_HELPFUL, PERSON = "/affirm", "/not_helpful", "/request_human"
CHOOSE = "/choose_article"
PROMPT_SECONDS = 10.0  # a rating request follows its resolution at once; this is a generous bound
SETTLE_SECONDS = 1.5  # the rest of a reply (its buttons) follows its first message within this
MAX_STEPS = 8


class Pace(Protocol):
    """How time passes for a conversation: slept through (live) or skipped (a backfill)."""

    async def wait(self, conversation_id: str | None, seconds: float) -> None: ...


class Binder(Protocol):
    async def bind(self, grant: str, conversation_id: str) -> None: ...


class Customer:
    def __init__(
        self,
        plan: ConversationPlan,
        widget: Widget,
        pace: Pace,
        *,
        grant: tuple[Binder, str] | None = None,
        turn_timeout: float = 60.0,
        person_timeout: float = 600.0,
        opened: Callable[[Played], None] | None = None,
    ) -> None:
        self.plan = plan
        self.widget = widget
        self.pace = pace
        self.grant = grant
        self.turn_timeout = turn_timeout
        self.person_timeout = person_timeout
        self.opened = opened
        self.played = Played(plan)
        self.rng = random.Random(plan.index)
        self._ending = plan.ending
        self._rephrased = False
        self._followed_up = False
        self._rated: set[int] = set()  # rating requests answered

    async def play(self) -> Played:
        connection = asyncio.create_task(self.widget.run())
        try:
            if not await self.widget.wait_until(lambda: self.widget.connected, self.turn_timeout):
                self.played.problems.append("the widget could not connect")
                return self.played
            self.played.conversation_id = self.widget.conversation_id
            if self.grant is not None:
                binder, grant = self.grant
                await binder.bind(grant, str(self.widget.conversation_id))
            if self.opened is not None:
                self.opened(self.played)  # before the first message: the agents may see it next
            await self._converse()
        finally:
            await self.widget.close()
            connection.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connection
        return self.played

    async def _converse(self) -> None:
        if self.plan.greeting:
            await self._say(Line(Kind.CHAT, self.plan.greeting))
        await self._say(Line(Kind.QUESTION, self.plan.question))
        for _ in range(MAX_STEPS):
            if self.widget.mode in WITH_PERSON:
                await self._with_person()
                return
            last = self.widget.last_message("bot", "agent", "system")
            payloads = [b["payload"] for b in (last or {}).get("buttons") or []]
            await self.pace.wait(self.widget.conversation_id, self.plan.think_seconds)
            if AFFIRM in payloads:
                self.played.answers += 1
                if await self._on_answer():
                    return
            elif any(p.startswith(CHOOSE) for p in payloads):
                await self._choose(last or {})
            elif not self._rephrased and self._ending != Ending.ABANDON:
                self._rephrased = True
                await self._say(Line(Kind.QUESTION, self.plan.rephrasing))
            elif self._ending == Ending.ABANDON or self.rng.random() < 0.5:
                self.played.left_open = True
                return
            else:
                await self._say(Line(Kind.PERSON, self.plan.person_request))
        self.played.left_open = self.widget.mode not in WITH_PERSON
        self.played.problems.append("the conversation went on longer than planned")

    async def _on_answer(self) -> bool:
        """Act on an answer; whether the conversation is over for the customer."""
        if self._ending == Ending.FOLLOW_UP and not self._followed_up and self.plan.follow_up:
            self._followed_up = True
            await self._say(Line(Kind.FOLLOW_UP, self.plan.follow_up))
            return False
        if self._ending in (Ending.CONFIRM, Ending.FOLLOW_UP):
            await self._say(self._button(AFFIRM, "Yes, thanks"))
            self.played.confirmed = True
            await self._rate("assistant", self.plan.assistant_rating)
            if self.plan.goodbye:
                await self._say(Line(Kind.CHAT, self.plan.goodbye))
            return True
        if self._ending == Ending.NOT_HELPFUL:
            await self._say(self._button(NOT_HELPFUL, "No"))
            return False
        if self._ending == Ending.PERSON_BUTTON:
            await self._say(Line(Kind.BUTTON, "Talk to a person"))
            return False
        if self._ending == Ending.PERSON_TYPED:
            await self._say(Line(Kind.PERSON, self.plan.person_request))
            return False
        self.played.left_open = True  # ABANDON: read the answer and closed the widget
        return True

    def _button(self, payload: str, title: str) -> Line:
        """Pressing the assistant's quick reply with this payload (its own title when offered)."""
        last = self.widget.last_message("bot") or {}
        offered = [b for b in last.get("buttons") or [] if b.get("payload") == payload]
        return Line(Kind.REPLY, str(offered[0]["title"]) if offered else title, payload)

    async def _choose(self, clarification: Frame) -> None:
        buttons = [b for b in clarification.get("buttons") or [] if str(b["payload"]).startswith(CHOOSE)]
        meant = [b for b in buttons if f'"{self.plan.article_id}"' in str(b["payload"])]
        button = (meant or buttons)[0]
        await self._say(Line(Kind.REPLY, str(button["title"]), str(button["payload"])))

    async def _with_person(self) -> None:
        """Handed over: wait for the agent, answer them once, until they resolve it or hand it
        back (then ask again and confirm the answer)."""
        self.played.escalated = True
        widget = self.widget
        if widget.mode == "ticket" and not await self._give_email():
            return
        replied = False
        while True:
            done = _person_done if replied else _person_done_or_wrote
            ended = await widget.wait_until(functools.partial(done, widget), self.person_timeout)
            if not ended:
                self.played.problems.append(f"no agent finished within {self.person_timeout:.0f} s")
                return
            if widget.mode == "resolved":
                self.played.resolved_by_agent = True
                await self._rate("agent", self.plan.agent_rating)
                return
            if widget.mode == "bot":
                self.played.handed_back = True
                await self._after_hand_back()
                return
            replied = True
            await self._say(Line(Kind.CHAT, self.rng.choice(phrasing.CUSTOMER_REPLIES)), answered=False)

    async def _after_hand_back(self) -> None:
        """The assistant greets again after the agent's last message; ask again and confirm."""
        widget = self.widget
        agent_said = int((widget.last_message("agent") or {"id": 0})["id"])
        await widget.wait_until(
            lambda: int((widget.last_message("bot") or {"id": 0})["id"]) > agent_said, self.turn_timeout
        )
        await self._say(Line(Kind.QUESTION, self.plan.rephrasing))
        last = self.widget.last_message("bot", "agent", "system")
        if self.widget.mode in WITH_PERSON:  # handed over again (an agent hands back only once)
            await self._with_person()
        elif last and AFFIRM in [b["payload"] for b in last.get("buttons") or []]:
            await self._say(self._button(AFFIRM, "Yes, thanks"))
            self.played.confirmed_after_person = True
            await self._rate("assistant", self.plan.assistant_rating)
        else:
            self.played.left_open = True

    async def _give_email(self) -> bool:
        address = f"customer{self.plan.index}@example.com"
        await self.widget.send({"type": "contact", "email": address, "name": None})
        return True

    async def _rate(self, of: str, score: int | None) -> None:
        """Answer the desk's rating request (`csat_request`, docs/contracts/widget.md) when it
        comes: rate after a moment's thought, perhaps with a comment, or dismiss it."""
        widget = self.widget
        if not await widget.wait_until(lambda: self._asked(of) is not None, PROMPT_SECONDS):
            return
        prompt = self._asked(of)
        assert prompt is not None
        resolution = int(prompt["resolution_id"])
        self._rated.add(resolution)
        if score is None:
            await widget.send({"type": "csat_dismiss", "resolution_id": resolution})
            self.played.dismissed += 1
            return
        await self.pace.wait(widget.conversation_id, self.rng.uniform(3, 20))
        comment = self.rng.choice(phrasing.COMMENTS[score]) if self.rng.random() < 0.3 else None
        await widget.send({"type": "csat", "resolution_id": resolution, "score": score, "comment": comment})
        if await widget.wait_until(lambda: self._closed(resolution), PROMPT_SECONDS):
            self.played.ratings.append((of, score))
        else:
            self.played.problems.append(f"the {of} rating was not confirmed")

    def _asked(self, of: str) -> Frame | None:
        for prompt in self.widget.prompts:
            asking = prompt.get("type") == "csat_request" and prompt.get("of") == of
            if asking and int(prompt["resolution_id"]) not in self._rated:
                return prompt
        return None

    def _closed(self, resolution: int) -> bool:
        return any(
            p.get("type") == "csat_closed" and p.get("resolution_id") == resolution and p.get("rated")
            for p in self.widget.prompts
        )

    async def _say(self, line: Line, *, answered: bool = True) -> None:
        """Say `line`; with `answered`, wait for the reply (and the rest of it) or a handoff."""
        widget = self.widget
        turn = await widget.say(line)
        self.played.customer_messages += 1
        if not answered:
            return
        if not await widget.wait_until(turn.done.is_set, self.turn_timeout):
            self.played.problems.append(f"no answer within {self.turn_timeout:.0f} s to a {line.kind} line")
            return
        if line.kind == Kind.BUTTON and widget.mode in WITH_PERSON:
            return
        await widget.wait_until(
            lambda: widget.mode in WITH_PERSON or bool((widget.last_message("bot") or {}).get("buttons")),
            SETTLE_SECONDS,
        )


def _person_done(widget: Widget) -> bool:
    """The agent resolved the conversation or handed it back to the assistant."""
    return widget.mode in ("resolved", "bot")


def _person_done_or_wrote(widget: Widget) -> bool:
    return _person_done(widget) or widget.last_message("agent") is not None
