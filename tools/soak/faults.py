"""The soak's faults: each service in turn killed with SIGKILL while conversations run, and
restarted at once on its port, as a supervisor would; the next kill waits until the last one is
back, so every outage is one service's own."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tools.services import RestartableService

log = logging.getLogger(__name__)

ORDER = ("rasa", "actions", "kb", "desk")  # Rasa first: its restart (the model load) is the longest
READY_TIMEOUT = {"rasa": 400.0}  # seconds; the others get DEFAULT_READY
DEFAULT_READY = 240.0


@dataclass
class Restart:
    service: str
    killed_at: float  # seconds into the run
    back_after: float | None = None  # seconds from the kill until it answered its readiness check
    error: str | None = None

    def describe(self) -> str:
        back = (
            f"back after {self.back_after:.1f} s"
            if self.back_after is not None
            else f"NOT BACK: {self.error}"
        )
        return f"{self.service} killed at {self.killed_at:.0f} s, {back}"


def schedule(seconds: float, rounds: int, order: Sequence[str] = ORDER) -> list[tuple[float, str]]:
    """Kills spread evenly over the run: `rounds` times through `order`."""
    kills = list(itertools.islice(itertools.cycle(order), rounds * len(order)))
    step = seconds / (len(kills) + 1)
    return [(step * (i + 1), name) for i, name in enumerate(kills)]


async def inject(
    services: Mapping[str, RestartableService], plan: Sequence[tuple[float, str]], started: float
) -> list[Restart]:
    """Kill and restart per `plan` (seconds after `started`); each kill waits until the service
    killed before it is ready again. Stops at a service that does not come back."""
    done: list[Restart] = []
    for at, name in plan:
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        service = services[name]
        killed = time.monotonic()
        restart = Restart(name, killed - started)
        done.append(restart)
        log.info("SIGKILL %s (pid %d) at %.0f s", name, service.running.process.pid, restart.killed_at)
        await asyncio.to_thread(service.restart)
        try:
            await asyncio.to_thread(service.wait_ready, READY_TIMEOUT.get(name, DEFAULT_READY))
        except (TimeoutError, RuntimeError) as e:
            restart.error = str(e).splitlines()[0][:300]
            log.error("%s did not come back: %s", name, restart.error)
            break
        restart.back_after = time.monotonic() - killed
        log.info("%s is back after %.1f s", name, restart.back_after)
    return done
