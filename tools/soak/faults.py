"""The soak's faults: each service in turn killed with SIGKILL while conversations run, and
restarted at once on its port, as a supervisor would; the next kill waits until the last one is
back, so every outage is one service's own. With replicas, one replica of each service in turn
(rasa-1, actions-1, kb-1, desk-1, then rasa-2, ... in the next round) while the others serve,
and the next kill also waits until the proxy routes to the restarted replica again."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from tools.services import RestartableService

log = logging.getLogger(__name__)

ORDER = ("rasa", "actions", "kb", "desk")  # Rasa first: its restart (the model load) is the longest
READY_TIMEOUT = {"rasa": 400.0}  # seconds, by service; the others get DEFAULT_READY
DEFAULT_READY = 240.0
ROUTED_TIMEOUT = 60.0  # for the proxy to mark a restarted replica UP (two good checks a second apart)

# Waits until the proxy routes to the named replica again (TimeoutError after the seconds given).
Routed = Callable[[str, float], None]


@dataclass
class Restart:
    service: str  # "rasa", or a replica's name ("rasa-1")
    killed_at: float  # seconds into the run
    back_after: float | None = None  # seconds from the kill until it answered its readiness check
    routed_after: float | None = None  # ... until the proxy sent it traffic again (replicas only)
    error: str | None = None

    @property
    def back(self) -> bool:
        return self.back_after is not None and self.error is None

    def describe(self) -> str:
        if self.back_after is None:
            return f"{self.service} killed at {self.killed_at:.0f} s, NOT BACK: {self.error}"
        back = f"{self.service} killed at {self.killed_at:.0f} s, back after {self.back_after:.1f} s"
        if self.routed_after is not None:
            back += f" (in the proxy's rotation after {self.routed_after:.1f} s)"
        return back if self.error is None else f"{back}, NOT ROUTED TO: {self.error}"


def kills(rounds: int, replicas: int = 1, order: Sequence[str] = ORDER) -> list[str]:
    """What is killed, in turn: `rounds` times through `order`; with replicas, round r kills
    replica r % replicas + 1 of each service ("rasa-1", "actions-1", ..., then "rasa-2", ...)."""
    if replicas == 1:
        return list(itertools.islice(itertools.cycle(order), rounds * len(order)))
    return [f"{service}-{r % replicas + 1}" for r in range(rounds) for service in order]


def schedule(seconds: float, names: Sequence[str]) -> list[tuple[float, str]]:
    """The kills of `names` spread evenly over the run."""
    step = seconds / (len(names) + 1)
    return [(step * (i + 1), name) for i, name in enumerate(names)]


async def inject(
    services: Mapping[str, RestartableService],
    plan: Sequence[tuple[float, str]],
    started: float,
    routed: Routed | None = None,
) -> list[Restart]:
    """Kill and restart per `plan` (seconds after `started`); each kill waits until what was
    killed before it is ready again (and, with `routed`, in the proxy's rotation again). Stops at
    one that does not come back."""
    done: list[Restart] = []
    for at, name in plan:
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        service = services[name]
        killed = time.monotonic()
        restart = Restart(name, killed - started)
        done.append(restart)
        log.info("SIGKILL %s (pid %d) at %.0f s", name, service.running.process.pid, restart.killed_at)
        await asyncio.to_thread(service.restart)
        kind = name.split("-", 1)[0]  # "rasa-1" is a Rasa replica
        try:
            await asyncio.to_thread(service.wait_ready, READY_TIMEOUT.get(kind, DEFAULT_READY))
        except (TimeoutError, RuntimeError) as e:
            restart.error = str(e).splitlines()[0][:300]
            log.error("%s did not come back: %s", name, restart.error)
            break
        restart.back_after = time.monotonic() - killed
        log.info("%s is back after %.1f s", name, restart.back_after)
        if routed is not None:
            try:
                await asyncio.to_thread(routed, name, ROUTED_TIMEOUT)
            except TimeoutError as e:
                restart.error = str(e).splitlines()[0][:300]
                log.error("the proxy does not route to %s again: %s", name, restart.error)
                break
            restart.routed_after = time.monotonic() - killed
            log.info("%s is in the proxy's rotation again after %.1f s", name, restart.routed_after)
    return done
