"""A scaled deployment for tests: the replicas behind a real HAProxy on free ports, a fresh
PostgreSQL database per service and a Redis database of its own; each replica killable and
restartable."""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tools.scaled.haproxy import render_haproxy, server_states
from tools.scaled.plan import SERVICES, Plan, Ports, Process, Stores, copy_index, plan, tracker_env
from tools.services import ROOT, RestartableService, run_command, run_restartable
from tools.stack import EDITOR_TOKEN, RASA_TOKEN, SERVICE_TOKEN, Stack, seed_kb_data, train_bot


@dataclass(frozen=True)
class ScaledStack:
    """A running scaled deployment: the fronts' URLs (the proxy's, like tools.stack.Stack's),
    each replica by name in `services` ("kb-1", "desk-2", ...; killable and restartable), the
    proxy's statistics, and the stores it was given."""

    kb: str
    desk: str
    rasa: str
    actions: str
    stats: str
    logs: Path
    plan: Plan
    stores: Stores
    services: Mapping[str, RestartableService] = field(default_factory=dict)

    def replicas(self, service: str) -> list[RestartableService]:
        return [self.services[p.name] for p in self.plan.replicas_of(service)]

    def states(self) -> dict[str, str]:
        return server_states(self.stats)

    def wait_for_state(self, name: str, state: str, timeout: float = 30.0) -> None:
        """Until the proxy's check marks replica `name` exactly `state` ("UP", "DOWN")."""
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            seen = self.states().get(name)
            if seen == state:
                return
            time.sleep(0.2)
        raise TimeoutError(f"{name} is {seen}, not {state}, after {timeout}s")

    def as_stack(self) -> Stack:
        """What tests written for one machine's stack use (tools.stack.Stack): the fronts' URLs,
        the replicas by name, the stores' PostgreSQL URLs."""
        tracker = self.stores.rasa_tracker
        user = f"{tracker['PGUSER']}@" if tracker.get("PGUSER") else ""
        databases = {
            "desk": self.stores.desk_database_url,
            "kb": self.stores.kb_database_url,
            "actions": self.stores.actions_outbox_url,
        }
        if tracker:
            databases["rasa"] = (
                f"postgresql://{user}{tracker['RASA_TRACKER_URL']}/{tracker['RASA_TRACKER_DB']}"
            )
        return Stack(
            self.rasa,
            self.kb,
            self.stores.actions_outbox_url,
            self.logs,
            self.desk,
            self.services,
            {name: url for name, url in databases.items() if url},
        )

    def say(self, sender: str, text: str, timeout: float = 60, **metadata: Any) -> list[dict[str, Any]]:
        """One customer message through the Rasa front's REST channel."""
        body = {"sender": sender, "message": text, "metadata": metadata}
        response = httpx.post(f"{self.rasa}/webhooks/rest/webhook", json=body, timeout=timeout)
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]


MAKE_RUN_KB = ROOT / "var" / "kb"
# Every test client shares one address (loopback), as in tools/stack.py.
TEST_DESK_ENV = {
    "DESK_NEW_CONVERSATIONS_PER_HOUR": "1000000",
    "DESK_ADDRESS_MESSAGES_PER_MINUTE": "1000000",
    "DESK_ADDRESS_FRAMES_PER_MINUTE": "1000000",
}
# The same as tools/stack.py's: a test written for one machine's stack runs on this one.
TEST_TOKENS = {
    "KB_SERVICE_TOKEN": SERVICE_TOKEN,
    "ACTIONS_KB_SERVICE_TOKEN": SERVICE_TOKEN,
    "DESK_KB_SERVICE_TOKEN": SERVICE_TOKEN,
    "KB_EDITOR_TOKEN": EDITOR_TOKEN,
    "DESK_KB_EDITOR_TOKEN": EDITOR_TOKEN,
    "RASA_AUTH_TOKEN": RASA_TOKEN,
    "DESK_RASA_AUTH_TOKEN": RASA_TOKEN,
}


@contextlib.contextmanager
def fresh_databases(services: Sequence[str], admin_url: str | None = None) -> Iterator[dict[str, str]]:
    """A new PostgreSQL database per service (random names), dropped afterwards."""
    from sqlkit.testing import temporary_postgres

    with contextlib.ExitStack() as stack:
        yield {
            service: stack.enter_context(temporary_postgres(f"kestrel_scaled_{service}", admin_url))
            for service in services
        }


# What the deployment writes in its Redis database: the desk's keys, Rasa's ticket locks.
REDIS_PATTERNS = ("kestrel:desk:*", "lock:*")


@contextlib.contextmanager
def own_redis_database(base_url: str = "redis://127.0.0.1:6379") -> Iterator[str]:
    """The URL of a Redis database no one uses now (2 to 15; 0 and 1 are the deployment's), and
    this deployment's keys deleted from it afterwards."""
    import redis

    candidates = list(range(2, 16))
    random.shuffle(candidates)
    for number in candidates:
        client = redis.Redis.from_url(f"{base_url}/{number}", socket_timeout=5)
        try:
            if client.dbsize() == 0:
                break
        finally:
            client.close()
    else:
        raise RuntimeError(f"no empty Redis database among 2-15 at {base_url}")
    try:
        yield f"{base_url}/{number}"
    finally:
        client = redis.Redis.from_url(f"{base_url}/{number}", socket_timeout=5)
        try:
            for pattern in REDIS_PATTERNS:
                keys = list(client.scan_iter(match=pattern, count=500))
                if keys:
                    client.delete(*keys)
        finally:
            client.close()


@contextlib.contextmanager
def scaled_stack(
    workdir: Path,
    *,
    replicas: int = 2,
    services: Sequence[str] = SERVICES,
    env: Mapping[str, Mapping[str, str]] | None = None,
    admin_url: str | None = None,
    redis_url: str = "redis://127.0.0.1:6379",
    timeout: float = 240.0,
) -> Iterator[ScaledStack]:
    """`services` (all by default), `replicas` of each, behind a real HAProxy, on free ports, with
    a fresh PostgreSQL database per service (TEST_POSTGRES_URL's server, or `admin_url`) and an
    unused Redis database; yields once every replica is ready and the proxy sees it UP. Needs
    haproxy (scripts/ensure-scale-services.sh installs it)."""
    if "rasa" in services:
        train_bot()
    workdir.mkdir(parents=True, exist_ok=True)
    ports = Ports.free(replicas, SERVICES)  # every front, so links to services not started are closed ports
    with contextlib.ExitStack() as stack:
        databases = stack.enter_context(fresh_databases(services, admin_url))
        redis_db = stack.enter_context(own_redis_database(redis_url))
        stores = Stores(
            databases.get("desk", ""),
            databases.get("kb", ""),
            databases.get("actions", ""),
            tracker_env(databases["rasa"]) if "rasa" in databases else {},
            redis_db,
            redis_db,
        )
        extra = {service: dict(values) for service, values in (env or {}).items()}
        # Pub/sub channels ignore Redis database numbers: each stack's desks get a prefix of their own.
        prefix = f"kestrel:desk:{redis_db.rsplit('/', 1)[-1]}-{random.randrange(1 << 30):x}:"  # noqa: S311 - a name
        extra["desk"] = {**TEST_DESK_ENV, "DESK_REDIS_PREFIX": prefix, **extra.get("desk", {})}
        the_plan = plan(
            replicas=replicas,
            ports=ports,
            stores=stores,
            tokens=TEST_TOKENS,
            workdir=workdir,
            services=services,
            # Where tests reach the desk (not the contract's localhost): the links it sends, and
            # the page origin its widget sockets come from, name the front tests use.
            public_url=f"http://127.0.0.1:{ports.front['desk']}",
            mail_catcher=False,
            extra_env=extra,
        )
        config = workdir / "haproxy.cfg"
        config.write_text(render_haproxy(the_plan))
        stack.enter_context(
            run_command(
                ["haproxy", "-db", "-f", str(config)],
                env={},
                port_variable="HAPROXY_STATS_PORT",
                log_path=workdir / "haproxy.log",
                ready_path="/stats",
                port=ports.stats,
                timeout=30,
            )
        )
        handles: dict[str, RestartableService] = {}

        def start(process: Process) -> RestartableService:
            handles[process.name] = stack.enter_context(
                run_restartable(
                    list(process.command),
                    env=dict(process.env),
                    port_variable=process.port_variable,
                    log_path=workdir / f"{process.name}.log",
                    ready_path=process.check_path or "/",
                    port=process.port,
                )
            )
            return handles[process.name]

        # The first knowledge replica builds the index (unless an earlier stack's can be copied);
        # the others start from a copy of it instead of each embedding every passage on two cores.
        kbs = the_plan.replicas_of("kb")
        for process in the_plan.replicas:
            if process.service != "kb" or process is kbs[0]:
                if process.service == "kb":
                    seed_index(Path(process.env["KB_DATA_DIR"]))
                start(process)
        if len(kbs) > 1:
            handles[kbs[0].name].wait_ready(timeout)
            for process in kbs[1:]:
                copy_index(Path(kbs[0].env["KB_DATA_DIR"]), Path(process.env["KB_DATA_DIR"]))
                start(process)
        for handle in handles.values():
            handle.wait_ready(timeout)
        running = ScaledStack(
            the_plan.front_url("kb"),
            the_plan.front_url("desk"),
            the_plan.front_url("rasa"),
            the_plan.front_url("actions"),
            the_plan.stats_url,
            workdir,
            the_plan,
            stores,
            handles,
        )
        for name in handles:
            running.wait_for_state(name, "UP")
        yield running


def seed_index(target: Path) -> None:
    """The first knowledge replica starts from an index built before when there is one: an
    earlier stack's in this process (tools.stack), else `make run`'s (var/kb)."""
    seed_kb_data(target)
    if not (target / "manifest.json").exists() and (MAKE_RUN_KB / "manifest.json").exists():
        copy_index(MAKE_RUN_KB, target)
