"""The scaled deployment (tools/scaled, docker-compose.yml's `scaled` profile): the process plan
and HAProxy configuration follow docs/contracts/scale-out.md, and a real proxy routes around a
replica killed with SIGKILL."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tools.scaled import (
    KINDS,
    Plan,
    Ports,
    Process,
    Stores,
    plan,
    render_haproxy,
    scaled_stack,
    shared_tokens,
    tracker_env,
)
from tools.scaled.haproxy import parse_states
from tools.scaled.runner import _noise, run
from tools.services import ROOT

haproxy_installed = pytest.mark.skipif(
    shutil.which("haproxy") is None, reason="haproxy: scripts/ensure-scale-services.sh installs it"
)
TOKENS = shared_tokens({}, make_up=lambda: "made-up")


def env_of(name: str, host: str = "127.0.0.1") -> dict[str, str]:
    """What the contract's plan sets for one process."""
    the_plan = plan(tokens=TOKENS, workdir=Path("/w"), host=host)
    return dict(next(p for p in the_plan.processes if p.name == name).env)


def test_the_ports_are_the_contracts() -> None:
    ports = Ports.contract(2)
    assert dict(ports.front) == {"desk": 8000, "kb": 8100, "rasa": 5005, "actions": 5055}
    assert dict(ports.replicas) == {
        "desk": (8001, 8002),
        "kb": (8101, 8102),
        "rasa": (5006, 5007),
        "actions": (5056, 5057),
    }
    assert ports.stats == 8404
    assert Ports.contract(3, {"desk": 9000}).replicas["desk"] == (9001, 9002, 9003)
    with pytest.raises(ValueError, match="ports given twice"):
        Ports.contract(100)  # desk's 100th replica would be kb's front


def test_each_replica_has_its_port_id_and_own_files_and_shares_the_stores() -> None:
    desk1, desk2 = env_of("desk-1"), env_of("desk-2")
    assert (desk1["DESK_PORT"], desk2["DESK_PORT"]) == ("8001", "8002")
    assert (desk1["DESK_REPLICA_ID"], desk2["DESK_REPLICA_ID"]) == ("desk-1", "desk-2")
    assert desk1["DESK_DATABASE_PATH"] != desk2["DESK_DATABASE_PATH"]
    assert desk1["DESK_DATABASE_URL"] == "postgresql://kestrel@127.0.0.1:5432/kestrel_desk"
    assert desk1["DESK_REDIS_URL"] == "redis://127.0.0.1:6379/0"
    kb1, kb2 = env_of("kb-1"), env_of("kb-2")
    assert kb1["KB_DATA_DIR"] != kb2["KB_DATA_DIR"]  # each replica saves its own index
    assert kb1["KB_DATABASE_URL"] == "postgresql://kestrel@127.0.0.1:5432/kestrel_kb"
    actions = env_of("actions-2")
    assert actions["ACTIONS_PORT"] == "5057"
    assert actions["ACTIONS_OUTBOX_URL"] == "postgresql://kestrel@127.0.0.1:5432/kestrel_actions"
    rasa = env_of("rasa-1")
    assert rasa["RASA_PORT"] == "5006"
    assert rasa["RASA_TRACKER_DIALECT"] == "postgresql"
    assert (rasa["RASA_TRACKER_URL"], rasa["RASA_TRACKER_DB"], rasa["PGUSER"]) == (
        "127.0.0.1",
        "kestrel_rasa",
        "kestrel",
    )
    assert rasa["RASA_LOCK_STORE_URL"] == "redis://127.0.0.1:6379/1"


def test_services_call_each_other_through_the_proxy() -> None:
    desk, actions, rasa = env_of("desk-2"), env_of("actions-1"), env_of("rasa-2")
    assert desk["DESK_RASA_URL"] == "http://127.0.0.1:5005"
    assert desk["DESK_KB_URL"] == actions["ACTIONS_KB_URL"] == "http://127.0.0.1:8100"
    assert actions["ACTIONS_DESK_URL"] == "http://127.0.0.1:8000"
    assert rasa["ACTION_SERVER_URL"] == "http://127.0.0.1:5055/webhook"
    assert desk["DESK_PUBLIC_URL"] == "http://localhost:8000"
    assert env_of("kb-1")["KB_PUBLIC_URL"] == "http://localhost:8000/help"
    # A proxy listening everywhere is still reached on loopback.
    assert env_of("desk-1", host="0.0.0.0")["DESK_KB_URL"] == "http://127.0.0.1:8100"


def test_tokens_are_shared_as_run_sh_settles_them() -> None:
    made = iter(["kb-token", "rasa-token"])
    tokens = shared_tokens({}, make_up=lambda: next(made))
    assert tokens["KB_SERVICE_TOKEN"] == tokens["ACTIONS_KB_SERVICE_TOKEN"] == tokens["DESK_KB_SERVICE_TOKEN"]
    assert tokens["KB_SERVICE_TOKEN"] == "kb-token"
    assert tokens["RASA_AUTH_TOKEN"] == tokens["DESK_RASA_AUTH_TOKEN"] == "rasa-token"
    assert tokens["DESK_KB_EDITOR_TOKEN"] == tokens["KB_EDITOR_TOKEN"] == "dev-editor-token"
    given = shared_tokens(
        {"ACTIONS_KB_SERVICE_TOKEN": "s", "DESK_RASA_AUTH_TOKEN": "r", "KB_EDITOR_TOKEN": "e"},
        make_up=lambda: pytest.fail("nothing to make up"),
    )
    assert (given["KB_SERVICE_TOKEN"], given["RASA_AUTH_TOKEN"], given["DESK_KB_EDITOR_TOKEN"]) == (
        "s",
        "r",
        "e",
    )
    # Every replica of every service gets the same ones.
    the_plan = plan(tokens=TOKENS, workdir=Path("/w"))
    assert {p.env["DESK_RASA_AUTH_TOKEN"] for p in the_plan.replicas_of("desk")} == {"made-up"}
    assert {p.env["RASA_AUTH_TOKEN"] for p in the_plan.replicas_of("rasa")} == {"made-up"}


def test_stores_come_from_the_environment_when_set() -> None:
    stores = Stores.from_environment(
        {
            "DESK_DATABASE_URL": "postgresql://a@db:5433/desk",
            "DESK_REDIS_URL": "redis://cache:6379/4",
            "RASA_TRACKER_DIALECT": "sqlite",  # .env.example's: not shareable, so the contract's
            "KB_DATABASE_URL": "",
        }
    )
    assert stores.desk_database_url == "postgresql://a@db:5433/desk"
    assert stores.desk_redis_url == "redis://cache:6379/4"
    assert stores.kb_database_url == Stores().kb_database_url
    assert stores.rasa_tracker == Stores().rasa_tracker
    assert tracker_env("postgresql://u:p@db:5433/t") == {
        "RASA_TRACKER_DIALECT": "postgresql",
        "RASA_TRACKER_URL": "db:5433",
        "RASA_TRACKER_DB": "t",
        "PGUSER": "u",
        "PGPASSWORD": "p",
    }
    with pytest.raises(ValueError, match="postgresql://"):
        tracker_env("sqlite:///tracker.db")


def test_the_proxy_config_has_a_checked_round_robin_backend_per_service() -> None:
    config = render_haproxy(plan(tokens=TOKENS, workdir=Path("/w")))
    for service, kind in KINDS.items():
        backend = config.split(f"\nbackend {service}\n")[1].split("\nfrontend")[0]
        assert "balance roundrobin" in backend
        assert f"option httpchk GET {kind.check_path}\n" in backend
        assert re.findall(r"server (\S+) 127\.0\.0\.1:(\d+) check", backend) == [
            (f"{service}-1", str(kind.front_port + 1)),
            (f"{service}-2", str(kind.front_port + 2)),
        ]
        assert f"frontend {service}\n    bind 127.0.0.1:{kind.front_port}\n" in config
    assert KINDS["rasa"].check_path == "/"  # /status would need the token in the check
    assert KINDS["actions"].check_path == "/health"
    for line in (
        "default-server inter 1s fall 2 rise 2",
        "timeout tunnel 1h",
        "option forwardfor",
        "bind 127.0.0.1:8404",
        "stats uri /stats",
    ):
        assert line in config


def test_a_subset_of_services_has_only_their_fronts() -> None:
    the_plan = plan(tokens=TOKENS, workdir=Path("/w"), services=["desk", "kb"], replicas=3)
    config = render_haproxy(the_plan)
    assert "backend rasa" not in config
    assert "backend actions" not in config
    assert [p.name for p in the_plan.replicas] == ["kb-1", "kb-2", "kb-3", "desk-1", "desk-2", "desk-3"]
    assert [p.name for p in the_plan.processes if not p.behind_proxy] == ["mail"]
    assert the_plan.replicas_of("desk")[0].env["DESK_RASA_URL"] == "http://127.0.0.1:5005"  # closed: down
    checks = the_plan.readiness()
    assert checks["kb-3"] == "http://127.0.0.1:8103/readyz"
    assert checks["desk via the proxy"] == "http://127.0.0.1:8000/readyz"
    with pytest.raises(ValueError, match="services are some of"):
        plan(tokens=TOKENS, workdir=Path("/w"), services=["mail"])


def test_rasa_is_awaited_through_the_proxy_with_its_token() -> None:
    checks = plan(tokens=TOKENS, workdir=Path("/w")).readiness()
    assert checks["rasa via the proxy"] == "http://127.0.0.1:5005/status?token=made-up"
    assert checks["rasa-2"] == "http://127.0.0.1:5007/"


def test_the_checks_echoes_are_left_out_of_the_output() -> None:
    noise = _noise("/readyz")
    assert noise is not None
    assert noise.search('INFO:     127.0.0.1:5 - "GET /readyz HTTP/1.0" 200 OK')  # HAProxy's check
    assert noise.search(
        'INFO httpx: HTTP Request: GET http://127.0.0.1:5005/status?token=t "HTTP/1.1 200 OK"'
    )
    assert not noise.search('INFO:     127.0.0.1:5 - "GET /readyz HTTP/1.1" 200 OK')  # someone asking
    assert not noise.search('INFO:     127.0.0.1:5 - "POST /search HTTP/1.1" 200 OK')
    assert _noise(None) is None


def test_server_states_are_read_from_the_stats_csv() -> None:
    stats = (
        "# pxname,svname,qcur,status\n"
        "stats,FRONTEND,,OPEN\n"
        "kb,FRONTEND,,OPEN\n"
        "kb,kb-1,0,DOWN\n"
        "kb,kb-2,0,UP 1/2\n"
        "kb,BACKEND,0,UP\n"
    )
    assert parse_states(stats) == {"kb-1": "DOWN", "kb-2": "UP 1/2"}


@haproxy_installed
def test_haproxy_accepts_the_rendered_and_the_compose_configs(tmp_path: Path) -> None:
    for replicas in (1, 2, 3):
        config = tmp_path / f"haproxy-{replicas}.cfg"
        config.write_text(render_haproxy(plan(tokens=TOKENS, workdir=tmp_path, replicas=replicas)))
        result = subprocess.run(
            ["haproxy", "-c", "-f", str(config)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "WARNING" not in result.stdout + result.stderr
    # The compose file's: its replicas' names resolve only inside Docker (HAProxy warns, then
    # resolves them at run time through Docker's DNS).
    result = subprocess.run(
        ["haproxy", "-c", "-f", str(ROOT / "docker" / "haproxy.cfg")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_rasa_uses_the_redis_lock_store_only_when_asked() -> None:
    plain = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text())
    scaled = yaml.safe_load((ROOT / "bot" / "endpoints.scaled.yml").read_text())
    assert "lock_store" not in plain
    assert {k: v for k, v in scaled.items() if k != "lock_store"} == plain
    assert scaled["lock_store"]["type"] == "redis"
    assert {"url", "port", "db"} <= set(scaled["lock_store"])
    script = (ROOT / "scripts" / "run-rasa.sh").read_text()
    assert "endpoints.scaled.yml" in script
    refused = subprocess.run(
        [str(ROOT / "scripts" / "run-rasa.sh")],
        env={**os.environ, "RASA_LOCK_STORE_URL": "http://user:secret@host/1"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert refused.returncode == 2
    assert "redis://host:port/db" in refused.stderr
    assert "secret" not in refused.stderr


# A stand-in replica: answers 200 to everything on $KB_PORT, and logs each request as uvicorn does.
FAKE_REPLICA = """
import http.server, os
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
        print(f'INFO: "GET {self.path} {self.request_version}" 200 OK', flush=True)
    def log_message(self, *args):
        pass
print("listening", flush=True)
http.server.HTTPServer(("127.0.0.1", int(os.environ["KB_PORT"])), Handler).serve_forever()
"""


@haproxy_installed
def test_run_starts_the_proxy_and_replicas_prints_the_urls_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    ports = Ports.free(2, ["kb"])
    replicas = tuple(
        Process(
            f"kb-{i}",
            "kb",
            (sys.executable, "-c", FAKE_REPLICA),
            {"KB_PORT": str(port), "KB_DATA_DIR": str(tmp_path / f"kb-{i}")},
            port,
            "KB_PORT",
            "/readyz",
        )
        for i, port in enumerate(ports.replicas["kb"], start=1)
    )
    (tmp_path / "kb-1").mkdir()
    (tmp_path / "kb-1" / "manifest.json").write_text("{}")
    the_plan = Plan("127.0.0.1", ports, ("kb",), replicas, "token")
    out = io.StringIO()

    def interrupt_once_ready() -> None:
        deadline = time.monotonic() + 60
        while "is ready" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C sends

    threading.Thread(target=interrupt_once_ready, daemon=True).start()
    before = signal.getsignal(signal.SIGINT)
    assert run(the_plan, workdir=tmp_path, environ=os.environ, out=out) == 0
    assert signal.getsignal(signal.SIGINT) == before
    text = out.getvalue()
    assert "is ready" in text, text
    assert f"knowledge service      http://127.0.0.1:{ports.front['kb']}" in text
    assert re.search(r"^\d\d:\d\d:\d\d kb-2 +\| listening$", text, re.M), text
    assert '"GET /readyz HTTP/1.0"' not in text  # HAProxy's checks are left out
    assert "stopping every process" in text
    assert (tmp_path / "haproxy.cfg").read_text() == render_haproxy(the_plan)
    # kb-2 started once kb-1 answered, from a copy of kb-1's saved index.
    assert (tmp_path / "kb-2" / "manifest.json").read_text() == "{}"
    started = [m.group(1) for m in re.finditer(r"(kb-\d) +\| listening", text)]
    assert started == ["kb-1", "kb-2"]
    for port in (ports.front["kb"], *ports.replicas["kb"]):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)


COMPOSE_SECRETS = dict.fromkeys(
    ["KB_EDITOR_TOKEN", "DESK_SERVICE_TOKEN", "DESK_SECRET_KEY", "DESK_AGENTS", "RASA_AUTH_TOKEN"],
    "test-secret",
)


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose: make test installs it")
def test_the_compose_scaled_profile_has_two_of_each_behind_haproxy() -> None:
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "--profile", "scaled", "config"],
        capture_output=True,
        text=True,
        env={**os.environ, **COMPOSE_SECRETS},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    scaled = {name for name, service in services.items() if "scaled" in service.get("profiles", [])}
    replicas = {f"{name}-{i}" for name in ("desk", "kb", "actions", "bot") for i in (1, 2)}
    assert scaled == replicas | {"haproxy", "redis", "db-init"}
    assert {"kb", "actions", "bot", "desk", "postgres"} <= set(services) - scaled  # the default, as before
    assert services["haproxy"]["image"] == "haproxy:2.6"
    assert services["desk-2"]["environment"]["DESK_REPLICA_ID"] == "desk-2"
    assert services["desk-1"]["environment"]["DESK_KB_URL"] == "http://haproxy:8100"
    assert services["bot-1"]["environment"]["RASA_LOCK_STORE_HOST"] == "redis"
    assert "endpoints.scaled.yml" in services["bot-2"]["command"]
    # HAProxy's config names exactly the replicas compose starts.
    config = (ROOT / "docker" / "haproxy.cfg").read_text()
    assert set(re.findall(r"^\s+server \S+ (\S+):\d+ check", config, re.M)) == replicas


@pytest.mark.slow
@pytest.mark.timeout(300)
@haproxy_installed
def test_the_proxy_routes_around_a_killed_knowledge_replica(tmp_path: Path) -> None:
    """Two desks and two knowledge services behind a real HAProxy, on fresh PostgreSQL
    databases and a Redis database of their own (Rasa and the action server are not needed). A
    few articles are enough to route searches: the index is built in seconds, not minutes."""
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for article in sorted((ROOT / "knowledge").glob("*card*.md"))[:6]:
        shutil.copy2(article, knowledge / article.name)

    def search() -> int:
        body = {"query": "How do I freeze my card?", "top_k": 3}
        return httpx.post(f"{stack.kb}/search", json=body, timeout=15).status_code

    kb_env = {"KB_KNOWLEDGE_DIR": str(knowledge)}
    with scaled_stack(tmp_path / "stack", replicas=2, services=("kb", "desk"), env={"kb": kb_env}) as stack:
        assert httpx.get(f"{stack.desk}/readyz", timeout=10).status_code == 200
        assert httpx.get(f"{stack.kb}/readyz", timeout=10).status_code == 200
        assert stack.states() == {"kb-1": "UP", "kb-2": "UP", "desk-1": "UP", "desk-2": "UP"}
        assert search() == 200

        stack.services["kb-1"].kill()
        # A request the dead replica refuses is sent to the other at once; the checks then take
        # it out within about two seconds.
        assert [search() for _ in range(10)] == [200] * 10
        stack.wait_for_state("kb-1", "DOWN", timeout=20)
        assert [search() for _ in range(10)] == [200] * 10

        stack.services["kb-1"].start()
        stack.services["kb-1"].wait_ready(120)
        stack.wait_for_state("kb-1", "UP", timeout=20)
        # The restarted replica takes the traffic when the other one dies in its turn.
        stack.services["kb-2"].kill()
        assert [search() for _ in range(10)] == [200] * 10
        assert httpx.get(f"{stack.desk}/readyz", timeout=10).status_code == 200
