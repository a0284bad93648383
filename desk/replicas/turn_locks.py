"""One assistant turn per conversation at a time across replicas: `kestrel:desk:turn:<id>` set
with NX and a lifetime (`SET NX PX 60000`) to a token (the replica's id and a random part),
renewed while the turn runs and deleted only by its holder (compare-and-delete in Lua). A replica
that dies mid-turn leaves the lock to expire, unless it comes back first under the same
DESK_REPLICA_ID: it then releases what its last life held before it redrives the turns that
were cut off, which would otherwise wait out the lock's lifetime. Within a replica an
in-process lock comes first, so its turns keep arrival order and only one of them at a time
polls Redis; a conversation's messages arrive through the one socket its widget holds, so they
stay in order.

When Redis cannot be reached the turn runs under the in-process lock alone (logged): the
customer is answered, at the small risk that another replica answers the same conversation at
the same moment."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from desk.assistant import TurnLocks
from desk.replicas import UNREACHABLE, RedisLink

log = logging.getLogger(__name__)

TTL_MS = 60_000
POLL_FIRST_SECONDS = 0.02
POLL_MAX_SECONDS = 0.25

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisTurnLocks:
    """`desk.assistant.TurnLock` across replicas."""

    def __init__(self, link: RedisLink, *, ttl_ms: int = TTL_MS, local: TurnLocks | None = None) -> None:
        self.link = link
        self.ttl_ms = ttl_ms
        self.local = local or TurnLocks()
        self._renew = link.client.register_script(RENEW)
        self._release = link.client.register_script(RELEASE)

    @asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        async with self.local.hold(conversation_id):
            key = self.link.key("turn", conversation_id)
            token = await self._acquire(key, conversation_id)
            renewing = asyncio.create_task(self._keep(key, token, conversation_id)) if token else None
            try:
                yield
            finally:
                if renewing is not None:
                    renewing.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await renewing
                if token is not None:
                    await self._let_go(key, token, conversation_id)

    async def release_left_behind(self) -> int:
        """Release the turn locks this replica's last life held (killed mid-turn), at start and
        before any turn runs; how many. Replica ids are unique among the running replicas
        (docs/contracts/scale-out.md), so none of these is a live turn's; an id left to its
        default (`<hostname>:<pid>`) never matches an earlier life's."""
        mine = f"{self.link.replica_id}/"
        released = 0
        try:
            async for key in self.link.client.scan_iter(match=self.link.key("turn", "*"), count=500):
                token = await self.link.client.get(key)
                if isinstance(token, str) and token.startswith(mine):
                    released += int(await self._release(keys=[key], args=[token]))
        except UNREACHABLE as e:
            self.link.failed("the turn locks of this replica's last life are left to expire", e)
        if released:
            log.info("released %d turn lock(s) this replica held when it stopped", released)
        return released

    async def _acquire(self, key: str, conversation_id: str) -> str | None:
        """The token this turn holds the lock with, once nobody else does; None when Redis
        cannot be reached."""
        token = f"{self.link.replica_id}/{secrets.token_urlsafe(16)}"
        delay = POLL_FIRST_SECONDS
        while True:
            try:
                taken = await self.link.client.set(key, token, nx=True, px=self.ttl_ms)
            except UNREACHABLE as e:
                self.link.failed(f"conversation {conversation_id}: a turn under this replica's lock only", e)
                return None
            self.link.answered()
            if taken:
                return token
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not a secret
            delay = min(delay * 2, POLL_MAX_SECONDS)

    async def _keep(self, key: str, token: str, conversation_id: str) -> None:
        """Renew the lock every third of its lifetime while the turn runs."""
        while True:
            await asyncio.sleep(self.ttl_ms / 3000)
            try:
                renewed = await self._renew(keys=[key], args=[token, self.ttl_ms])
            except UNREACHABLE as e:
                self.link.failed(f"conversation {conversation_id}: its turn lock not renewed", e)
                continue
            if not renewed:
                log.warning(
                    "conversation %s: its turn lock expired while the turn ran (%d ms without renewal)",
                    conversation_id,
                    self.ttl_ms,
                )
                return

    async def _let_go(self, key: str, token: str, conversation_id: str) -> None:
        try:
            await self._release(keys=[key], args=[token])
        except UNREACHABLE as e:  # it expires on its own
            self.link.failed(f"conversation {conversation_id}: its turn lock left to expire", e)
