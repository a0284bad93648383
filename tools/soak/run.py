"""One soak run over a running restartable stack (one process of each service, or a scaled
stack's replicas behind HAProxy): customers talking through widgets, agents answering handoffs,
services (or one replica of each) killed in turn; then a drain (each wait is for the expected
state, with a deadline) and the checks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from desk.simulate.widget import REPLY_ROLES, Kind, Widget
from tools.scaled import ScaledStack, scaled_stack
from tools.soak.agents import DeskAgent, soak_agents
from tools.soak.checks import Findings, WidgetRecord, check
from tools.soak.faults import Restart, Routed, inject, kills, schedule
from tools.soak.script import next_line
from tools.soak.stores import open_handoffs, outbox_left, watch_outbox, widget_messages
from tools.stack import Stack, assistant_stack

log = logging.getLogger(__name__)


STARTUP_TIMEOUT = 600.0  # seconds for each replica of a scaled stack to be ready


@dataclass(frozen=True)
class SoakConfig:
    conversations: int = 20
    seconds: float = 60.0
    rate: float = 2.0  # customer messages per second over all conversations (think time from it)
    agents: int = 3
    drop_rate: float = 0.05  # a widget loses its socket around this share of its messages
    rounds: int = 1  # times through every service's kill
    replicas: int = 1  # of each service; more than one: a scaled stack, one replica killed at a time
    seed: int = 11
    turn_timeout: float = 120.0  # a customer waits this long for an answer before typing on
    drain_timeout: float = 300.0  # for each stage of the drain


@dataclass
class SoakResult:
    config: SoakConfig
    findings: Findings
    restarts: list[Restart]
    traffic_seconds: float
    assistant_latency: list[float] = field(default_factory=list)
    reply_latency: list[float] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings.problems and all(r.back for r in self.restarts)


def run_soak(workdir: Path, config: SoakConfig) -> SoakResult:
    """Start the whole stack in `workdir` (every service restartable, agents to match), soak it:
    one process of each service, or with `config.replicas` > 1 a scaled stack (HAProxy, the
    replicas, fresh PostgreSQL databases and a Redis database of its own; tools.scaled)."""
    desk_env = {"DESK_AGENTS": ",".join(a.setting() for a in soak_agents(config.agents))}
    if config.replicas > 1:
        # A first knowledge replica with no index to start from builds it: minutes on a busy machine.
        with scaled_stack(
            workdir, replicas=config.replicas, env={"desk": desk_env}, timeout=STARTUP_TIMEOUT
        ) as scaled:
            log.info(
                "scaled stack ready (%d replicas each); %d conversations for %.0f s",
                config.replicas,
                config.conversations,
                config.seconds,
            )
            return asyncio.run(soak(scaled.as_stack(), config, routed=_routed(scaled)))
    with assistant_stack(workdir, with_desk=True, desk_env=desk_env, restartable=True) as stack:
        log.info("stack ready; %d conversations for %.0f s", config.conversations, config.seconds)
        return asyncio.run(soak(stack, config))


def _routed(scaled: ScaledStack) -> Routed:
    def wait(name: str, timeout: float) -> None:
        try:
            scaled.wait_for_state(name, "UP", timeout)
        except httpx.HTTPError as e:
            raise TimeoutError(f"the proxy's statistics did not answer: {e}") from e

    return wait


async def soak(stack: Stack, config: SoakConfig, *, routed: Routed | None = None) -> SoakResult:
    """Soak a running stack. `routed` (a scaled stack's): waits until the proxy sends traffic to
    a restarted replica again, before the next kill."""
    assert stack.desk is not None, "the soak needs the desk"
    assert stack.services, "the soak needs a restartable stack"
    desk = stack.desk
    # The desk's database: its SQLite file, or PostgreSQL (a scaled stack's, or DESK_DATABASE_URL
    # in the environment of a single one: its desk inherits it).
    desk_db = stack.desk_database
    outbox = stack.outbox
    tracker = stack.databases.get("rasa")
    await asyncio.to_thread(watch_outbox, outbox)
    rng = random.Random(config.seed)
    agents = [DeskAgent(desk, login) for login in soak_agents(config.agents)]
    agent_tasks = [asyncio.create_task(a.run()) for a in agents]
    widgets = [
        Widget(desk, random.Random(rng.random()), drop_rate=config.drop_rate)
        for _ in range(config.conversations)
    ]
    widget_tasks = [asyncio.create_task(w.run()) for w in widgets]
    started = time.monotonic()
    plan = schedule(config.seconds, kills(config.rounds, config.replicas))
    faults = asyncio.create_task(inject(stack.services, plan, started, routed))
    talking = asyncio.Event()
    talking.set()
    think = config.conversations / config.rate
    customers = [
        asyncio.create_task(_talk(w, random.Random(rng.random()), talking, think, config.turn_timeout))
        for w in widgets
    ]
    progress = asyncio.create_task(_progress(widgets, started))
    # Traffic until the time is up and every service killed is back (or given up on).
    await asyncio.sleep(config.seconds)
    restarts = await faults
    talking.clear()
    traffic = time.monotonic() - started
    await asyncio.gather(*customers)
    log.info("traffic stopped after %.0f s; draining", traffic)

    late: list[str] = []
    await _until(
        lambda: not any(w.open_turns() for w in widgets), config.drain_timeout, "every turn answered", late
    )
    await _until(lambda: outbox_left(outbox) == 0, config.drain_timeout, "the outbox delivered", late)
    await _until(lambda: open_handoffs(desk_db) == 0, config.drain_timeout, "every handoff closed", late)
    for agent in agents:
        agent.stop()
    await asyncio.gather(*agent_tasks)
    await _until(
        lambda: _all_delivered(widgets, desk_db), config.drain_timeout, "every message delivered", late
    )
    progress.cancel()
    for widget in widgets:
        await widget.close()
    await asyncio.gather(*widget_tasks)

    records = [_record(i, w) for i, w in enumerate(widgets)]
    findings = await asyncio.to_thread(check, desk_db, outbox, records, tracker)
    findings.problems[:0] = late
    turns = [t for w in widgets for t in w.turns.values() if t.answered_at is not None]
    return SoakResult(
        config,
        findings,
        restarts,
        traffic,
        assistant_latency=[t.answered_at - t.typed_at for t in turns if t.answer == "bot" and t.answered_at],
        reply_latency=[
            t.answered_at - t.typed_at for t in turns if t.answered_at and t.answer in REPLY_ROLES
        ],
        counters={
            "turns": sum(len(w.turns) for w in widgets),
            "person requests": sum(
                t.line.kind in (Kind.PERSON, Kind.BUTTON) for w in widgets for t in w.turns.values()
            ),
            "connections": sum(w.connects for w in widgets),
            "drops on purpose": sum(w.drops for w in widgets),
            "history resets": sum(w.resets for w in widgets),
            "agent replies": sum(a.replies for a in agents),
            "agent conflicts": sum(a.conflicts for a in agents),
            "agent logins": sum(a.sign_ins for a in agents),
        },
    )


async def _talk(
    widget: Widget, rng: random.Random, talking: asyncio.Event, think: float, timeout: float
) -> None:
    """One customer: a message, the wait for its answer, a pause to read and think, again."""
    if not await _pause(talking, rng.uniform(0, think)):  # customers arrive spread over a think time
        return
    first = True
    while talking.is_set():
        turn = await widget.say(next_line(rng, first=first))
        first = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(turn.done.wait(), timeout)
        if not await _pause(talking, rng.uniform(0.5 * think, 1.5 * think)):
            return


async def _pause(talking: asyncio.Event, seconds: float) -> bool:
    """Sleep unless the traffic stops meanwhile; whether it still runs."""
    deadline = time.monotonic() + seconds
    while talking.is_set() and (left := deadline - time.monotonic()) > 0:
        await asyncio.sleep(min(left, 1.0))
    return talking.is_set()


async def _until(predicate: Callable[[], bool], timeout: float, what: str, late: list[str]) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(predicate):
        if time.monotonic() > deadline:
            late.append(f"drain: not reached within {timeout:.0f} s: {what}")
            return
        await asyncio.sleep(0.5)


def _all_delivered(widgets: list[Widget], desk_db: str | Path) -> bool:
    stored = widget_messages(desk_db)
    return all(stored.get(w.conversation_id or "", set()) <= set(w.delivered) for w in widgets)


def _record(index: int, widget: Widget) -> WidgetRecord:
    # A person request the desk answered with the state alone (already with people) is not stored.
    expected = [
        t.client_id
        for t in widget.turns.values()
        if not (t.answer or "").startswith("refused:")
        and (t.line.kind != Kind.BUTTON or t.client_id in widget.acks)
    ]
    return WidgetRecord(
        name=f"widget {index}",
        conversation_ids=set(widget.conversations_seen),
        expected=expected,
        acks=dict(widget.acks),
        delivered=widget.delivered.copy(),
        arrivals=list(widget.arrivals),
        unacked=list(widget.outbox),
        ack_conflicts=list(widget.ack_conflicts),
        refusals=[f"{e.get('code')} ({e.get('client_id')})" for e in widget.errors],
    )


async def _progress(widgets: list[Widget], started: float) -> None:
    while True:
        await asyncio.sleep(15)
        turns = [t for w in widgets for t in w.turns.values()]
        log.info(
            "%4.0f s: %d messages typed, %d answered, %d widgets connected",
            time.monotonic() - started,
            len(turns),
            sum(t.done.is_set() for t in turns),
            sum(w.connected for w in widgets),
        )
