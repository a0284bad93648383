"""The hub across replicas: frames published on `kestrel:desk:frames` for the sockets other
replicas hold, and presence (agents with a console open, conversations with a widget open) in
two sorted sets scored by expiry, mirrored in memory so that `Hub.online_agents()` and
`Hub.customer_connected()` stay synchronous.

Everything the hub says goes through one outbox drained by one task, in order (a leave never
overtakes the join before it), pipelined. Each replica re-scores what it holds every
`REFRESH_SECONDS` (expiry `PRESENCE_TTL_SECONDS`), so a replica that dies drops out within
seconds; a join or leave is also announced on `kestrel:desk:presence` so the others' mirrors
change at once. A replica still holding someone another replica just announced gone says so
again. Losing Redis is logged and the subscription retried with backoff: frames meanwhile
reach only this replica's sockets (widgets resume from their last message id on reconnecting)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from redis.asyncio.client import Pipeline, PubSub

from desk.hub import AGENTS, CLOSE_AGENT, CONVERSATIONS, TO_AGENT, TO_AGENTS, TO_CONVERSATION, Hub
from desk.replicas import UNREACHABLE, RedisLink

log = logging.getLogger(__name__)

REFRESH_SECONDS = 5.0
PRESENCE_TTL_SECONDS = 15.0
OUTBOX_LIMIT = 10_000  # past this, frames are dropped (logged): Redis is down or far behind
BATCH = 200  # commands per pipeline round trip
LISTEN_POLL_SECONDS = 1.0
RESUBSCRIBE_FIRST_SECONDS = 0.5
RESUBSCRIBE_MAX_SECONDS = 30.0
STOP_FLUSH_SECONDS = 2.0

Op = Callable[[Pipeline], object]


class _Refresh:
    """The outbox's marker for "re-score and re-read presence now" (after what came before)."""


_REFRESH = _Refresh()


class RedisBus:
    def __init__(
        self,
        link: RedisLink,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        ttl_seconds: float = PRESENCE_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.link = link
        self.refresh_seconds = refresh_seconds
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self.frames_channel = link.key("frames")
        self.presence_channel = link.key("presence")
        self.keys = {kind: link.key("presence", kind) for kind in (AGENTS, CONVERSATIONS)}
        self.subscribed = asyncio.Event()  # set while listening (tests wait for it)
        self._agents: set[int] = set()  # the mirror: online anywhere, as last read or announced
        self._conversations: set[str] = set()
        self._announced: dict[str, set[str]] = {AGENTS: set(), CONVERSATIONS: set()}
        self._outbox: asyncio.Queue[Op | _Refresh] = asyncio.Queue(OUTBOX_LIMIT)
        self._hub: Hub | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopped = False
        self._notices = 0  # presence notices handled, to tell whether one came during a refresh
        self._dropped = 0

    # The hub's side: synchronous, called from request handlers; nothing here waits on Redis.

    def publish(self, to: str, target: str | int | None, frame: dict[str, Any] | None) -> None:
        message = _dumps({"origin": self.link.replica_id, "to": to, "id": target, "frame": frame})
        self._put(lambda pipe: pipe.publish(self.frames_channel, message))

    def joined(self, kind: str, member: str) -> None:
        self._announced[kind].add(member)
        self._put(self._announce(kind, member, online=True))

    def left(self, kind: str, member: str) -> None:
        self._announced[kind].discard(member)
        self._forget(kind, member)
        self._put(self._announce(kind, member, online=False))

    def agents(self) -> set[int]:
        return self._agents

    def conversation_connected(self, conversation_id: str) -> bool:
        return conversation_id in self._conversations

    # Start and stop, from the app's lifespan.

    async def start(self, hub: Hub) -> None:
        """Read who is online elsewhere before the first request (a Redis that is down is
        logged and retried; the desk starts anyway), then run the sender, the listener and
        the presence refresh."""
        self._hub = hub
        await self._refresh()
        self._tasks = [
            asyncio.create_task(self._send_forever(), name="bus-sender"),
            asyncio.create_task(self._listen_forever(), name="bus-listener"),
            asyncio.create_task(self._tick_forever(), name="bus-refresh"),
        ]

    async def stop(self) -> None:
        """Send what is queued (for a moment at most), then take this replica's sockets out of
        the presence sets at once rather than on expiry."""
        if self._stopped:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._outbox.join(), STOP_FLUSH_SECONDS)
        self._stopped = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        held = self._hub.members if self._hub is not None else lambda _kind: []
        ops = [
            self._announce(kind, member, online=False)
            for kind, announced in self._announced.items()
            for member in announced | set(held(kind))
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._execute(ops), STOP_FLUSH_SECONDS)

    # The outbox.

    def _put(self, item: Op | _Refresh) -> None:
        if self._stopped:
            return
        try:
            self._outbox.put_nowait(item)
        except asyncio.QueueFull:
            self._dropped += 1
            if self._dropped == 1 or self._dropped % 1000 == 0:
                log.warning("%d frame(s) not shared with the other replicas: Redis is behind", self._dropped)

    async def _send_forever(self) -> None:
        while True:
            ops: list[Op] = []
            refresh = False
            item = await self._outbox.get()
            taken = 1
            while True:
                if isinstance(item, _Refresh):
                    refresh = True
                    break
                ops.append(item)
                if len(ops) >= BATCH or self._outbox.empty():
                    break
                item = self._outbox.get_nowait()
                taken += 1
            try:
                await self._execute(ops)
                if refresh:
                    await self._refresh()
            except Exception:
                log.exception("sharing with the other replicas failed; carrying on")
            finally:
                for _ in range(taken):
                    self._outbox.task_done()

    async def _execute(self, ops: list[Op]) -> None:
        if not ops:
            return
        try:
            async with self.link.client.pipeline(transaction=False) as pipe:
                for op in ops:
                    op(pipe)
                await pipe.execute()
        except UNREACHABLE as e:
            self.link.failed(f"{len(ops)} frame(s) or presence change(s) not shared", e)
        else:
            self.link.answered()

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_seconds)
            self._put(_REFRESH)

    # Presence.

    def _announce(self, kind: str, member: str, *, online: bool) -> Op:
        notice = _dumps({"origin": self.link.replica_id, "kind": kind, "member": member, "online": online})
        key = self.keys[kind]

        def op(pipe: Pipeline) -> None:
            if online:
                pipe.zadd(key, {member: self.clock() + self.ttl_seconds})
            else:
                pipe.zrem(key, member)
            pipe.publish(self.presence_channel, notice)

        return op

    async def _refresh(self) -> None:
        """Re-score what this replica holds, drop what expired, read the whole view."""
        hub = self._hub
        if hub is None:
            return
        notices = self._notices
        now = self.clock()
        read: dict[str, int] = {}
        try:
            async with self.link.client.pipeline(transaction=False) as pipe:
                for kind, key in self.keys.items():
                    held = hub.members(kind)
                    if held:
                        pipe.zadd(key, dict.fromkeys(held, now + self.ttl_seconds))
                    pipe.zremrangebyscore(key, "-inf", now)
                    pipe.zrangebyscore(key, now, "+inf")
                    read[kind] = len(pipe) - 1
                results = await pipe.execute()
        except UNREACHABLE as e:
            self.link.failed("presence not refreshed", e)
            return
        self.link.answered()
        before = hub.online_agents()
        self._agents = {int(m) for m in results[read[AGENTS]] if str(m).isdigit()}
        self._conversations = set(results[read[CONVERSATIONS]])
        if hub.online_agents() != before:
            hub.presence_elsewhere_changed()
        if self._notices != notices:
            self._put(_REFRESH)  # a notice came while reading: read again, after it

    def _noticed(self, notice: dict[str, Any]) -> None:
        hub = self._hub
        kind, member, online = notice.get("kind"), str(notice.get("member")), notice.get("online") is True
        if hub is None or kind not in self.keys:
            return
        self._notices += 1
        before = hub.online_agents()
        if online:
            if kind == AGENTS and member.isdigit():
                self._agents.add(int(member))
            elif kind == CONVERSATIONS:
                self._conversations.add(member)
        elif hub.holds(kind, member):
            self._put(self._announce(kind, member, online=True))  # still here: say so again
        else:
            self._forget(kind, member)
        if kind == AGENTS and hub.online_agents() != before:
            hub.presence_elsewhere_changed()

    def _forget(self, kind: str, member: str) -> None:
        if kind == AGENTS and member.isdigit():
            self._agents.discard(int(member))
        elif kind == CONVERSATIONS:
            self._conversations.discard(member)

    # What the other replicas say.

    async def _listen_forever(self) -> None:
        delay = RESUBSCRIBE_FIRST_SECONDS
        lost = False
        while True:
            pubsub = self.link.client.pubsub()
            try:
                await pubsub.subscribe(self.frames_channel, self.presence_channel)
                if lost:
                    log.warning("listening to the other replicas again")
                    self._put(_REFRESH)  # notices may have been missed meanwhile
                lost, delay = False, RESUBSCRIBE_FIRST_SECONDS
                self.subscribed.set()
                await self._listen(pubsub)
            except UNREACHABLE as e:
                self.subscribed.clear()
                lost = True
                log.warning(
                    "not listening to the other replicas (%s: %s); subscribing again in %.1f s",
                    type(e).__name__,
                    e,
                    delay,
                )
            finally:
                with contextlib.suppress(*UNREACHABLE):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]  # untyped in redis-py
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not a secret
            delay = min(delay * 2, RESUBSCRIBE_MAX_SECONDS)

    async def _listen(self, pubsub: PubSub) -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=LISTEN_POLL_SECONDS)
            if message is not None and message.get("type") == "message":
                try:
                    self._received(str(message["channel"]), str(message["data"]))
                except Exception:
                    log.exception("a message from another replica could not be handled")

    def _received(self, channel: str, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.warning("a message on %s is not JSON; ignored", channel)
            return
        if not isinstance(message, dict) or message.get("origin") == self.link.replica_id:
            return  # this replica delivered its own frames already
        if channel == self.presence_channel:
            self._noticed(message)
        elif self._hub is not None:
            frame = message.get("frame")
            to = message.get("to")
            if to in (TO_CONVERSATION, TO_AGENT, TO_AGENTS, CLOSE_AGENT):
                self._hub.deliver(str(to), message.get("id"), frame if isinstance(frame, dict) else None)


def _dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))
