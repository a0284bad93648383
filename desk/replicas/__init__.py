"""What several desk replicas share through Redis (docs/contracts/scale-out.md, "Redis (desk)"):
the connection, the key names, and a note of Redis being unreachable. Each shared piece sits
beside the in-process one it replaces when `DESK_REDIS_URL` is set:

  bus.py         the hub's fan-out of frames and its presence mirror   (in-process: desk/hub.py)
  limits.py      per-address windows and the sign-in throttle          (desk/flood.py, desk/sessions.py)
  turn_locks.py  one assistant turn per conversation across replicas   (desk/assistant.py)

Nothing here is imported unless Redis is configured."""

from __future__ import annotations

import logging
import os
import socket
import time

from redis.asyncio import BlockingConnectionPool, Redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

log = logging.getLogger(__name__)

PREFIX = "kestrel:desk:"
# Every command has a deadline: a Redis that stops answering must not hold up a widget frame.
COMMAND_TIMEOUT_SECONDS = 2.0
POOL_SIZE = 50
# After a failure, callers that can do without Redis (limits, throttles) skip it this long
# instead of waiting on every request for a server that is down.
SKIP_AFTER_FAILURE_SECONDS = 2.0

# Errors that mean "Redis could not be asked": the connection, a timeout, the server's refusal.
UNREACHABLE: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)


def replica_name(configured: str) -> str:
    """DESK_REPLICA_ID, or `<hostname>:<pid>` when it is empty."""
    return configured or f"{socket.gethostname()}:{os.getpid()}"


class RedisLink:
    """One replica's Redis client, its name among the replicas and the key prefix (every key
    and channel starts with it; tests use a prefix of their own)."""

    def __init__(self, client: Redis, *, replica_id: str, prefix: str = PREFIX) -> None:
        self.client = client
        self.replica_id = replica_id
        self.prefix = prefix
        self._skip_until = 0.0
        self._down = False

    @classmethod
    def from_url(cls, url: str, *, replica_id: str, prefix: str = PREFIX) -> RedisLink:
        """A client with bounded waits everywhere: connecting, each command, and a free pool slot."""
        pool: BlockingConnectionPool = BlockingConnectionPool.from_url(
            url,
            max_connections=POOL_SIZE,
            timeout=COMMAND_TIMEOUT_SECONDS,
            socket_timeout=COMMAND_TIMEOUT_SECONDS,
            socket_connect_timeout=COMMAND_TIMEOUT_SECONDS,
            socket_keepalive=True,
            health_check_interval=15,
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=1),
            decode_responses=True,
            client_name=f"kestrel-desk:{replica_id}",
        )
        return cls(Redis.from_pool(pool), replica_id=replica_id, prefix=prefix)

    async def answers(self) -> bool:
        """Whether Redis answers a PING now (readiness reports it; nothing waits on it)."""
        try:
            return bool(await self.client.ping())
        except UNREACHABLE:
            return False

    def key(self, *parts: str | int) -> str:
        """`kestrel:desk:` followed by the parts joined with colons."""
        return self.prefix + ":".join(str(part) for part in parts)

    @property
    def skipping(self) -> bool:
        """Whether Redis failed a moment ago, so callers that can do without it should."""
        return time.monotonic() < self._skip_until

    def failed(self, what: str, error: BaseException) -> None:
        """Log an outage once, at its start (and again once it is over: `answered`)."""
        self._skip_until = time.monotonic() + SKIP_AFTER_FAILURE_SECONDS
        if not self._down:
            self._down = True
            log.warning("Redis is unreachable (%s: %s): %s", type(error).__name__, error, what)

    def answered(self) -> None:
        if self._down:
            self._down = False
            log.warning("Redis answers again")

    async def aclose(self) -> None:
        await self.client.aclose()
