"""HAProxy, the front door of a scaled deployment: its configuration, and what it says about
each replica."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

import httpx

from tools.scaled.plan import KINDS, Plan

# Rasa answers on one event loop that a turn's inference holds for a while: under load a live
# replica can take seconds to say hello, and with its twin restarting, two slow checks would take
# out the only one left (measured in the scaled soak: 503s for 6 s). A dead replica refuses the
# connection at once whatever the timeout, so a longer one costs nothing there.
RASA_CHECKS = ("    timeout check 10s", "    default-server inter 2s fall 3 rise 2")


def render_haproxy(plan: Plan) -> str:
    """HAProxy's configuration: a front per service, its replicas in round robin, each checked
    every second and taken out after two failures (back after two successes); WebSockets pass
    through (`timeout tunnel`); a request refused by a dead replica is sent to another."""
    lines = [
        "# Written by tools/scaled (make run-scaled); changes here are overwritten.",
        "global",
        "    maxconn 4096",
        # No request log: in the foreground HAProxy still prints each replica going DOWN or UP.
        "",
        "defaults",
        "    mode http",
        "    option forwardfor",
        "    option redispatch 1",
        "    retries 2",
        "    timeout connect 3s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout http-request 10s",
        "    timeout queue 10s",
        # The desk's readiness asks Rasa with a 2 s timeout: a busy assistant must not fail it.
        "    timeout check 3s",
        "    timeout tunnel 1h",
        "    timeout client-fin 5s",
        "    default-server inter 1s fall 2 rise 2",
        "",
        "frontend stats",
        f"    bind {plan.host}:{plan.ports.stats}",
        "    stats enable",
        "    stats uri /stats",
        "    stats refresh 5s",
        "    stats show-legends",
    ]
    for service in plan.services:
        lines += [
            "",
            f"frontend {service}",
            f"    bind {plan.host}:{plan.ports.front[service]}",
            f"    default_backend {service}",
            "",
            f"backend {service}",
            "    balance roundrobin",
            f"    option httpchk GET {KINDS[service].check_path}",
            "    http-check expect status 200",
            *(RASA_CHECKS if service == "rasa" else ()),
            *(f"    server {p.name} 127.0.0.1:{p.port} check" for p in plan.replicas_of(service)),
        ]
    return "\n".join(lines) + "\n"


def check_config(path: Path) -> None:
    """`haproxy -c`: a configuration HAProxy would refuse is reported before anything starts."""
    if shutil.which("haproxy") is None:
        raise ValueError("haproxy is not installed: scripts/ensure-scale-services.sh installs it")
    result = subprocess.run(
        ["haproxy", "-c", "-q", "-f", str(path)], capture_output=True, text=True, timeout=30, check=False
    )
    if result.returncode != 0:
        raise ValueError(f"HAProxy refuses {path}:\n{result.stdout}{result.stderr}")


def server_states(stats_url: str) -> dict[str, str]:
    """Each replica's state as the proxy sees it ("kb-1": "UP", "DOWN", "UP 1/2", ...)."""
    response = httpx.get(f"{stats_url};csv", timeout=5)
    response.raise_for_status()
    return parse_states(response.text)


def parse_states(stats_csv: str) -> dict[str, str]:
    """The servers' states from HAProxy's CSV statistics (whose header line starts with "# ")."""
    rows = csv.DictReader(io.StringIO(stats_csv.removeprefix("# ")))
    return {
        row["svname"]: row["status"]
        for row in rows
        if row["svname"] not in ("FRONTEND", "BACKEND") and row["pxname"] != "stats"
    }
