"""The processes of a scaled deployment and each one's environment, with the names and ports of
docs/contracts/scale-out.md: N replicas of each service, calling each other through the proxy."""

from __future__ import annotations

import secrets
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tools.services import ROOT, free_port
from tools.stack import RASA_PY


@dataclass(frozen=True)
class Kind:
    """One service as the proxy sees it: its front port by the contract, how a replica is asked
    whether it can take traffic, and the variable its port is set in."""

    front_port: int
    check_path: str
    port_variable: str


# Rasa's /status needs the auth token in the query; its `GET /` ("Hello from Rasa") answers once
# the model is loaded (the server listens only after that), and says nothing secret.
KINDS: dict[str, Kind] = {
    "desk": Kind(8000, "/readyz", "DESK_PORT"),
    "kb": Kind(8100, "/readyz", "KB_PORT"),
    "rasa": Kind(5005, "/", "RASA_PORT"),
    "actions": Kind(5055, "/health", "ACTIONS_PORT"),
}
SERVICES = ("kb", "actions", "rasa", "desk")
STATS_PORT = 8404
SMTP_PORT = 8025
DEV_EDITOR_TOKEN = "dev-editor-token"  # noqa: S105 - kb_service's development placeholder, as in run.sh
WORKDIR = ROOT / "var" / "scaled"


@dataclass(frozen=True)
class Ports:
    front: Mapping[str, int]
    replicas: Mapping[str, tuple[int, ...]]
    stats: int = STATS_PORT
    smtp: int = SMTP_PORT

    @classmethod
    def contract(
        cls,
        replicas: int,
        front: Mapping[str, int] | None = None,
        *,
        stats: int = STATS_PORT,
        smtp: int = SMTP_PORT,
    ) -> Ports:
        """The contract's layout: each front port, its replicas on the ports just above it."""
        fronts = {name: kind.front_port for name, kind in KINDS.items()} | dict(front or {})
        ports = cls(
            fronts,
            {name: tuple(port + i for i in range(1, replicas + 1)) for name, port in fronts.items()},
            stats,
            smtp,
        )
        ports.check()
        return ports

    @classmethod
    def free(cls, replicas: int, services: Sequence[str] = SERVICES) -> Ports:
        return cls(
            {name: free_port() for name in services},
            {name: tuple(free_port() for _ in range(replicas)) for name in services},
            free_port(),
            free_port(),
        )

    def check(self) -> None:
        taken = [
            *self.front.values(),
            *(p for ps in self.replicas.values() for p in ps),
            self.stats,
            self.smtp,
        ]
        clashes = sorted({port for port in taken if taken.count(port) > 1})
        if clashes:
            raise ValueError(f"ports given twice: {clashes} (fewer replicas, or other front ports)")


def tracker_env(url: str) -> dict[str, str]:
    """Rasa's SQL tracker store takes a PostgreSQL URL in parts (endpoints.yml); libpq takes the
    user and password from PGUSER and PGPASSWORD when the URL has none."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        raise ValueError("Rasa's tracker URL must be postgresql://user@host[:port]/database")
    host = parts.hostname if parts.port in (None, 5432) else f"{parts.hostname}:{parts.port}"
    env = {
        "RASA_TRACKER_DIALECT": "postgresql",
        "RASA_TRACKER_URL": host,
        "RASA_TRACKER_DB": parts.path.lstrip("/"),
    }
    if parts.username:
        env["PGUSER"] = parts.username
    if parts.password:
        env["PGPASSWORD"] = parts.password
    return env


@dataclass(frozen=True)
class Stores:
    """Where the replicas keep what they share (contract: Settings, "scaled" column)."""

    desk_database_url: str = "postgresql://kestrel@127.0.0.1:5432/kestrel_desk"
    kb_database_url: str = "postgresql://kestrel@127.0.0.1:5432/kestrel_kb"
    actions_outbox_url: str = "postgresql://kestrel@127.0.0.1:5432/kestrel_actions"
    rasa_tracker: Mapping[str, str] = field(
        default_factory=lambda: tracker_env("postgresql://kestrel@127.0.0.1:5432/kestrel_rasa")
    )
    desk_redis_url: str = "redis://127.0.0.1:6379/0"
    rasa_lock_store_url: str = "redis://127.0.0.1:6379/1"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Stores:
        """The contract's stores, each replaced by the environment's setting when it has one. A
        tracker store is taken from the environment only when it is PostgreSQL: replicas cannot
        share SQLite files."""
        default = cls()
        tracker = default.rasa_tracker
        if environ.get("RASA_TRACKER_DIALECT") == "postgresql":
            tracker = {
                name: environ[name]
                for name in ("RASA_TRACKER_DIALECT", "RASA_TRACKER_URL", "RASA_TRACKER_DB", "PGUSER")
                if environ.get(name)
            }
        return cls(
            environ.get("DESK_DATABASE_URL") or default.desk_database_url,
            environ.get("KB_DATABASE_URL") or default.kb_database_url,
            environ.get("ACTIONS_OUTBOX_URL") or default.actions_outbox_url,
            tracker,
            environ.get("DESK_REDIS_URL") or default.desk_redis_url,
            environ.get("RASA_LOCK_STORE_URL") or default.rasa_lock_store_url,
        )


def shared_tokens(environ: Mapping[str, str], make_up: Callable[[], str] | None = None) -> dict[str, str]:
    """The tokens the services use with each other, settled as scripts/run.sh settles them: the
    ones given are kept, the missing ones made up for this run."""
    new = make_up or (lambda: secrets.token_urlsafe(24))
    kb_service = environ.get("KB_SERVICE_TOKEN") or environ.get("ACTIONS_KB_SERVICE_TOKEN") or new()
    rasa = environ.get("RASA_AUTH_TOKEN") or environ.get("DESK_RASA_AUTH_TOKEN") or new()
    editor = environ.get("DESK_KB_EDITOR_TOKEN") or environ.get("KB_EDITOR_TOKEN") or DEV_EDITOR_TOKEN
    return {
        "KB_SERVICE_TOKEN": kb_service,
        "ACTIONS_KB_SERVICE_TOKEN": environ.get("ACTIONS_KB_SERVICE_TOKEN") or kb_service,
        "DESK_KB_SERVICE_TOKEN": environ.get("DESK_KB_SERVICE_TOKEN") or kb_service,
        "KB_EDITOR_TOKEN": environ.get("KB_EDITOR_TOKEN") or editor,
        "DESK_KB_EDITOR_TOKEN": editor,
        "RASA_AUTH_TOKEN": rasa,
        "DESK_RASA_AUTH_TOKEN": environ.get("DESK_RASA_AUTH_TOKEN") or rasa,
    }


@dataclass(frozen=True)
class Process:
    """One child process of the deployment: a replica (behind the proxy) or a helper (the mail
    catcher). `env` holds only what this plan sets; it goes over the caller's environment."""

    name: str
    service: str
    command: tuple[str, ...]
    env: Mapping[str, str]
    port: int
    port_variable: str
    check_path: str | None = None  # None: not behind the proxy, nothing to ask

    @property
    def behind_proxy(self) -> bool:
        return self.service in KINDS


@dataclass(frozen=True)
class Plan:
    host: str
    ports: Ports
    services: tuple[str, ...]
    processes: tuple[Process, ...]
    rasa_token: str

    @property
    def replicas(self) -> tuple[Process, ...]:
        return tuple(p for p in self.processes if p.behind_proxy)

    def replicas_of(self, service: str) -> tuple[Process, ...]:
        return tuple(p for p in self.processes if p.service == service)

    @property
    def local_host(self) -> str:
        """Where this machine reaches the proxy (a wildcard bind answers on loopback)."""
        return "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104

    def front_url(self, service: str) -> str:
        return f"http://{self.local_host}:{self.ports.front[service]}"

    @property
    def stats_url(self) -> str:
        return f"http://{self.local_host}:{self.ports.stats}/stats"

    def readiness(self) -> dict[str, str]:
        """What `run` waits for: every replica directly, then every front (Rasa's with its
        token: the proxy must reach a loaded model)."""
        checks = {p.name: f"http://127.0.0.1:{p.port}{p.check_path}" for p in self.replicas}
        for service in self.services:
            path = f"/status?token={self.rasa_token}" if service == "rasa" else KINDS[service].check_path
            checks[f"{service} via the proxy"] = self.front_url(service) + path
        return checks


def plan(
    *,
    replicas: int = 2,
    ports: Ports | None = None,
    stores: Stores | None = None,
    tokens: Mapping[str, str],
    workdir: Path,
    services: Sequence[str] = SERVICES,
    host: str = "127.0.0.1",
    public_url: str | None = None,
    mail_catcher: bool = True,
    extra_env: Mapping[str, Mapping[str, str]] | None = None,
) -> Plan:
    """Every process of a scaled deployment with its environment. Each replica gets its own
    folder under `workdir` for what is its alone (the knowledge index, fallback SQLite files);
    `extra_env` adds settings per service ("desk": {...})."""
    unknown = set(services) - set(KINDS)
    if unknown or not services:
        raise ValueError(f"services are some of {sorted(KINDS)}, not {sorted(unknown) or 'none'}")
    if replicas < 1:
        raise ValueError("at least one replica of each service")
    ports = ports or Ports.contract(replicas)
    stores = stores or Stores()
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    # Through the proxy, so that a dead replica is routed around. The fronts of services not
    # started are closed ports, as a service that is down would be.
    front = {name: f"http://{local}:{port}" for name, port in ports.front.items()}
    desk_public = public_url or f"http://localhost:{ports.front['desk']}"
    per_service: dict[str, dict[str, str]] = {
        "kb": {
            "KB_DATABASE_URL": stores.kb_database_url,
            "KB_SERVICE_TOKEN": tokens["KB_SERVICE_TOKEN"],
            "KB_EDITOR_TOKEN": tokens["KB_EDITOR_TOKEN"],
            "KB_PUBLIC_URL": f"{desk_public}/help",
        },
        "actions": {
            "ACTIONS_OUTBOX_URL": stores.actions_outbox_url,
            "ACTIONS_KB_URL": front["kb"],
            "ACTIONS_DESK_URL": front["desk"],
            "ACTIONS_KB_SERVICE_TOKEN": tokens["ACTIONS_KB_SERVICE_TOKEN"],
        },
        "rasa": {
            **stores.rasa_tracker,
            "RASA_LOCK_STORE_URL": stores.rasa_lock_store_url,
            "RASA_AUTH_TOKEN": tokens["RASA_AUTH_TOKEN"],
            "ACTION_SERVER_URL": f"{front['actions']}/webhook",
        },
        "desk": {
            "DESK_DATABASE_URL": stores.desk_database_url,
            "DESK_REDIS_URL": stores.desk_redis_url,
            "DESK_RASA_URL": front["rasa"],
            "DESK_KB_URL": front["kb"],
            "DESK_PUBLIC_URL": desk_public,
            "DESK_SMTP_PORT": str(ports.smtp),
            "DESK_RASA_AUTH_TOKEN": tokens["DESK_RASA_AUTH_TOKEN"],
            "DESK_KB_SERVICE_TOKEN": tokens["DESK_KB_SERVICE_TOKEN"],
            "DESK_KB_EDITOR_TOKEN": tokens["DESK_KB_EDITOR_TOKEN"],
        },
    }
    extra = extra_env or {}
    ordered = tuple(s for s in SERVICES if s in services)
    processes: list[Process] = []
    for service in ordered:
        for index, port in enumerate(ports.replicas[service][:replicas], start=1):
            name = f"{service}-{index}"
            env = {
                **per_service[service],
                **own_files(service, name, workdir / name),
                **extra.get(service, {}),
            }
            kind = KINDS[service]
            env[kind.port_variable] = str(port)
            processes.append(
                Process(name, service, command(service), env, port, kind.port_variable, kind.check_path)
            )
    if mail_catcher and "desk" in ordered:
        env = {"DESK_SMTP_PORT": str(ports.smtp), **extra.get("desk", {})}
        mail = (sys.executable, "-m", "desk.mail.catcher")
        processes.append(Process("mail", "mail", mail, env, ports.smtp, "DESK_SMTP_PORT"))
    return Plan(host, ports, ordered, tuple(processes), tokens["RASA_AUTH_TOKEN"])


def command(service: str) -> tuple[str, ...]:
    return {
        "kb": (sys.executable, "-m", "kb_service"),
        "desk": (sys.executable, "-m", "desk"),
        "actions": (RASA_PY, "-m", "actions"),
        "rasa": (str(ROOT / "scripts" / "run-rasa.sh"),),
    }[service]


def own_files(service: str, name: str, folder: Path) -> dict[str, str]:
    """What each replica keeps for itself: the knowledge service's saved index, and the SQLite
    files a service falls back to when its PostgreSQL setting is not in use."""
    return {
        "kb": {"KB_DATA_DIR": str(folder)},
        "desk": {"DESK_REPLICA_ID": name, "DESK_DATABASE_PATH": str(folder / "desk.sqlite3")},
        "actions": {"ACTIONS_OUTBOX_PATH": str(folder / "outbox.sqlite3")},
        "rasa": {},
    }[service]


INDEX_FILES = ("index.faiss", "manifest.json")  # a knowledge replica's saved index


def copy_index(source: Path, target: Path) -> None:
    """One knowledge replica's saved index (and ONNX export) for another, which then starts
    without embedding every passage again: the manifest still checks model and articles, and
    the export is kept by the model's hash, so nothing stale is used."""
    target.mkdir(parents=True, exist_ok=True)
    for name in INDEX_FILES:
        if (source / name).exists():
            shutil.copy2(source / name, target / name)
    if (source / "onnx").is_dir():
        shutil.copytree(source / "onnx", target / "onnx", dirs_exist_ok=True)
