"""Limits every replica counts together: the widget's per-address windows (desk/flood.py) and the
sign-in throttle (desk/sessions.py), in sorted sets of timestamps under
`kestrel:desk:limit:<kind>:<key>` that expire with their window.

When Redis cannot be reached the two fail differently, on purpose (README, "Security"):
- widget limits fail open: no customer is refused because Redis is down; each connection's own
  budgets (in-process) still apply, and the outage is logged;
- the sign-in throttle falls back to this replica's in-process counts, which it keeps all along:
  a guesser gains at most one budget per replica, and staff can still sign in during an outage
  (failing closed would lock every agent out exactly when something is already wrong)."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable

from desk.replicas import UNREACHABLE, RedisLink
from desk.sessions import LoginThrottle

# At most `limit` members scored within the last `window` ms, or no new one: atomic, so two
# replicas counting the same address at once cannot both take its last slot.
SLIDING_WINDOW = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  return 0
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, window)
return 1
"""


class RedisWindows:
    """`desk.flood.Windows` over Redis: one kind of window (`address_frames`, ...) per key."""

    def __init__(
        self,
        link: RedisLink,
        kind: str,
        limit: int,
        seconds: float,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.link = link
        self.kind = kind
        self.limit = limit
        self.seconds = seconds
        self.clock = clock
        self._script = link.client.register_script(SLIDING_WINDOW)

    async def allow(self, key: str) -> bool:
        if self.link.skipping:
            return True
        now = int(self.clock() * 1000)
        try:
            allowed = await self._script(
                keys=[self.link.key("limit", self.kind, key)],
                args=[now, int(self.seconds * 1000), self.limit, f"{now}:{secrets.token_hex(6)}"],
            )
        except UNREACHABLE as e:
            self.link.failed(f"{self.kind} limits not enforced until it is back", e)
            return True
        self.link.answered()
        return bool(allowed)


def redis_windows(link: RedisLink) -> Callable[[str, int, float], RedisWindows]:
    """The factory desk.flood.WidgetLimits takes."""

    def make(kind: str, limit: int, seconds: float) -> RedisWindows:
        return RedisWindows(link, kind, limit, seconds)

    return make


class RedisLoginThrottle:
    """`desk.sessions.Throttle` over Redis, with the in-process throttle's limits and window;
    failures are also counted in-process, which answers while Redis cannot."""

    def __init__(
        self, link: RedisLink, *, local: LoginThrottle | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.link = link
        self.local = local or LoginThrottle()
        self.clock = clock

    def _keys(self, email: str, address: str) -> tuple[str, str]:
        # Staff emails are not kept in Redis in clear: a digest names the account's counter.
        account = hashlib.sha256(email.encode()).hexdigest()[:32]
        key = self.link.key
        return key("limit", "signin_account", account), key("limit", "signin_address", address)

    async def blocked(self, email: str, address: str) -> bool:
        if self.link.skipping:
            return await self.local.blocked(email, address)
        account, by_address = self._keys(email, address)
        oldest = self.clock() - self.local.accounts.window
        try:
            async with self.link.client.pipeline(transaction=False) as pipe:
                for key in (account, by_address):
                    pipe.zremrangebyscore(key, "-inf", f"({oldest}")
                    pipe.zcard(key)
                results = await pipe.execute()
        except UNREACHABLE as e:
            self.link.failed("the sign-in throttle counts on each replica until it is back", e)
            return await self.local.blocked(email, address)
        self.link.answered()
        return bool(results[1] >= self.local.accounts.limit or results[3] >= self.local.addresses.limit)

    async def failed(self, email: str, address: str) -> None:
        await self.local.failed(email, address)
        if self.link.skipping:
            return
        moment = self.clock()
        member = f"{moment}:{secrets.token_hex(6)}"
        window_ms = int(self.local.accounts.window * 1000)
        try:
            async with self.link.client.pipeline(transaction=False) as pipe:
                limits = (self.local.accounts.limit, self.local.addresses.limit)
                for key, limit in zip(self._keys(email, address), limits, strict=True):
                    pipe.zadd(key, {member: moment})
                    pipe.zremrangebyrank(key, 0, -(limit + 1))  # the newest `limit` are all that count
                    pipe.pexpire(key, window_ms)
                await pipe.execute()
        except UNREACHABLE as e:
            self.link.failed("a failed sign-in counted on this replica only", e)
            return
        self.link.answered()

    async def succeeded(self, email: str) -> None:
        await self.local.succeeded(email)
        if self.link.skipping:
            return
        try:
            await self.link.client.delete(self._keys(email, "")[0])
        except UNREACHABLE as e:
            self.link.failed("a sign-in's failures not cleared on the other replicas", e)
            return
        self.link.answered()
