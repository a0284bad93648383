"""Start the services together (kb_service, action server, Rasa and, when asked, the desk) as
real processes on free ports, for end-to-end tests and `make eval`."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tools.services import (
    ROOT,
    RestartableService,
    RunningService,
    free_port,
    run_command,
    run_restartable,
    wait_ready,
)

RASA_PY = str(ROOT / ".venv" / "rasa" / "bin" / "python")


EDITOR_TOKEN = "stack-editor-token"  # noqa: S105 - a test stack's own
SERVICE_TOKEN = "stack-service-token"  # noqa: S105
RASA_TOKEN = "stack-rasa-token-for-its-http-api"  # noqa: S105 - Rasa's API refuses calls without it
# How long a service may take to be ready: Rasa loads its model, and the first stack's knowledge
# service builds its index (minutes on a busy machine; later stacks start from a copy).
STARTUP_SECONDS = {"rasa": 300.0, "kb": 300.0}


@dataclass(frozen=True)
class Stack:
    """The running services' URLs. The knowledge service takes examples with EDITOR_TOKEN, and
    the action server sends confirmed answers to it with SERVICE_TOKEN. A stack started
    `restartable` names its services ("kb", "desk", "actions", "rasa") in `services`, each of
    which can be killed and restarted on its port. `databases` holds where each service keeps
    its records ("desk", "kb", "actions", "rasa"): a SQLite file, or a PostgreSQL URL for a
    scaled stack (tools.scaled.ScaledStack.as_stack), as does `outbox` (the action server's)."""

    rasa: str
    kb: str
    outbox: Path | str
    logs: Path
    desk: str | None = None
    services: Mapping[str, RestartableService] = field(default_factory=dict)
    databases: Mapping[str, str] = field(default_factory=dict)

    @property
    def desk_database(self) -> str:
        """The desk's database, as desk.store.Store takes it: a SQLite path or a PostgreSQL URL."""
        return self.databases["desk"]

    def say(self, sender: str, text: str, timeout: float = 60, **metadata: Any) -> list[dict[str, Any]]:
        """One customer message through Rasa's REST channel, as the widget sends it."""
        body = {"sender": sender, "message": text, "metadata": metadata}
        response = httpx.post(f"{self.rasa}/webhooks/rest/webhook", json=body, timeout=timeout)
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]


def train_bot() -> None:
    subprocess.run(
        [str(ROOT / "scripts" / "train-bot.sh")],
        check=True,
        timeout=1800,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )


# The knowledge data folder of the first stack this process started: later stacks start from a
# copy of its saved index (the manifest still checks model and articles, so nothing stale is
# reused), instead of embedding every passage again.
_built_kb: dict[str, Path] = {}


def seed_kb_data(target: Path) -> None:
    """Give `target` a copy of the index an earlier stack built, if there is one."""
    seed = _built_kb.get("data")
    if seed is None or target.exists() or not (seed / "manifest.json").exists():
        return
    target.mkdir(parents=True)
    for name in ("index.faiss", "manifest.json"):
        shutil.copy2(seed / name, target / name)


@contextlib.contextmanager
def assistant_stack(
    workdir: Path,
    *,
    kb_data: Path | None = None,
    with_desk: bool = False,
    desk_env: dict[str, str] | None = None,
    restartable: bool = False,
) -> Iterator[Stack]:
    """kb_service, the action server and Rasa on free ports, and the desk `with_desk`. Without
    the desk its URL is a closed port: handoffs then wait in the outbox, as they would while the
    desk is down. `restartable`: each service can be SIGKILLed and restarted (Stack.services)."""
    train_bot()
    workdir.mkdir(parents=True, exist_ok=True)
    kb_port, desk_port, rasa_port, actions_port = free_port(), free_port(), free_port(), free_port()
    kb_url, desk_url = f"http://127.0.0.1:{kb_port}", f"http://127.0.0.1:{desk_port}"
    kb_dir = kb_data or workdir / "kb"
    seed_kb_data(kb_dir)
    # Every service starts at once and is then waited for: Rasa loads its model while the
    # knowledge service builds its index.
    with contextlib.ExitStack() as services:
        started: list[tuple[RunningService, str, float]] = []
        restartables: dict[str, RestartableService] = {}

        def spawn(
            name: str, command: list[str], env: dict[str, str], port: int, ready: str
        ) -> RunningService:
            if restartable:
                restartables[name] = services.enter_context(
                    run_restartable(
                        command,
                        env=env,
                        port_variable=f"{name.upper()}_PORT",
                        log_path=workdir / f"{name}.log",
                        ready_path=ready,
                        port=port,
                    )
                )
                started.append((restartables[name].running, ready, STARTUP_SECONDS.get(name, 180)))
                return restartables[name].running
            service = services.enter_context(
                run_command(
                    command,
                    env=env,
                    port_variable=f"{name.upper()}_PORT",
                    log_path=workdir / f"{name}.log",
                    ready_path=ready,
                    port=port,
                    wait=False,
                )
            )
            started.append((service, ready, STARTUP_SECONDS.get(name, 180)))
            return service

        kb_env = {
            "KB_EDITOR_TOKEN": EDITOR_TOKEN,
            "KB_SERVICE_TOKEN": SERVICE_TOKEN,
            "KB_DATA_DIR": str(kb_dir),
            "KB_KNOWLEDGE_DIR": str(ROOT / "knowledge"),
            "KB_PUBLIC_URL": f"{desk_url}/help",
        }
        spawn("kb", [sys.executable, "-m", "kb_service"], kb_env, kb_port, "/readyz")
        if with_desk:
            desk_settings = {
                "DESK_RASA_URL": f"http://127.0.0.1:{rasa_port}",
                "DESK_KB_URL": kb_url,
                "DESK_DATABASE_PATH": str(workdir / "desk.sqlite3"),
                "DESK_PUBLIC_URL": desk_url,
                "DESK_RASA_AUTH_TOKEN": RASA_TOKEN,
                "DESK_KB_EDITOR_TOKEN": EDITOR_TOKEN,  # the editor pages use kb's editing API
                # Every test client shares one address (loopback): per-address limits are
                # tested on their own (tests/desk), not in the way of many simulated customers.
                "DESK_NEW_CONVERSATIONS_PER_HOUR": "1000000",
                "DESK_ADDRESS_MESSAGES_PER_MINUTE": "1000000",
                "DESK_ADDRESS_FRAMES_PER_MINUTE": "1000000",
                **(desk_env or {}),
            }
            spawn("desk", [sys.executable, "-m", "desk"], desk_settings, desk_port, "/readyz")
        actions_env = {
            "ACTIONS_KB_SERVICE_TOKEN": SERVICE_TOKEN,
            "ACTIONS_KB_URL": kb_url,
            "ACTIONS_DESK_URL": desk_url,
            "ACTIONS_OUTBOX_PATH": str(workdir / "outbox.sqlite3"),
        }
        spawn("actions", [RASA_PY, "-m", "actions"], actions_env, actions_port, "/health")
        rasa_env = {
            "ACTIONS_PORT": str(actions_port),
            "RASA_TRACKER_DB": str(workdir / "tracker.db"),
            "RASA_AUTH_TOKEN": RASA_TOKEN,
        }
        rasa_command = [str(ROOT / "scripts" / "run-rasa.sh")]
        rasa = spawn("rasa", rasa_command, rasa_env, rasa_port, f"/status?token={RASA_TOKEN}")
        for service, path, timeout in started:
            wait_ready(service, path, timeout)
        _built_kb.setdefault("data", kb_dir)
        databases = {
            "kb": str(kb_dir / "articles.sqlite3"),
            "actions": str(workdir / "outbox.sqlite3"),
            "rasa": str(workdir / "tracker.db"),
        }
        if with_desk:
            # A desk started with DESK_DATABASE_URL in the environment (a soak on PostgreSQL) uses it.
            desk_seen = {**os.environ, **desk_settings}
            databases["desk"] = desk_seen.get("DESK_DATABASE_URL") or desk_seen["DESK_DATABASE_PATH"]
        yield Stack(
            rasa.url,
            kb_url,
            workdir / "outbox.sqlite3",
            workdir,
            desk_url if with_desk else None,
            restartables,
            databases,
        )
