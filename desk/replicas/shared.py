"""The pieces a replica shares with the others, built from the settings when DESK_REDIS_URL is
set (the app's lifespan passes each to what it replaces; without Redis nothing here is built)."""

from __future__ import annotations

from dataclasses import dataclass

from desk.config import Settings
from desk.flood import WindowsFactory
from desk.replicas import RedisLink, replica_name
from desk.replicas.bus import RedisBus
from desk.replicas.limits import RedisLoginThrottle, redis_windows
from desk.replicas.turn_locks import RedisTurnLocks


@dataclass(frozen=True)
class Shared:
    link: RedisLink
    bus: RedisBus
    windows: WindowsFactory
    throttle: RedisLoginThrottle
    turn_locks: RedisTurnLocks

    async def aclose(self) -> None:
        await self.link.aclose()


def through_redis(settings: Settings, *, prefix: str) -> Shared:
    link = RedisLink.from_url(settings.redis_url, replica_id=replica_name(settings.replica_id), prefix=prefix)
    return Shared(
        link=link,
        bus=RedisBus(link),
        windows=redis_windows(link),
        throttle=RedisLoginThrottle(link),
        turn_locks=RedisTurnLocks(link),
    )
