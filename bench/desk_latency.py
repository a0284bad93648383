"""Benchmark: how fast the desk relays live chat, and what an idle widget connection costs.

Against a real desk process, in one script: (1) the baseline, a GET /healthz round trip on a
keep-alive connection; (2) an agent's reply, from POST .../messages until the customer's widget
socket receives it; (3) a customer message, from the widget's send until the agent's console
socket receives it. Rounds interleave the three so noise hits all alike; medians, p95 and ratios
to the baseline are reported. Then the desk's resident memory before and after opening idle
widget connections gives the cost of one. The issue's aim: agent replies reach the widget within
a second.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from bench.kb_latency import percentile, rss_mib
from tools.services import ROOT, run_service

AGENT = ("bench@kestrel.example", "Bench Agent", "bench-password-1")
SERVICE = {"Authorization": "Bearer dev-desk-service-token"}


def widget(url: str) -> tuple[ClientConnection, str]:
    socket = connect(url.replace("http", "ws", 1) + "/ws/widget", legacy=True)
    socket.send(json.dumps({"type": "hello", "token": None, "after": 0, "metadata": {}}))
    while True:
        frame = json.loads(socket.recv(timeout=10))
        if frame["type"] == "welcome":
            return socket, frame["conversation_id"]


def wait_for(socket: ClientConnection, kind: str, role: str) -> None:
    while True:
        frame = json.loads(socket.recv(timeout=10))
        if frame["type"] == kind and frame.get("message", {}).get("role") == role:
            return


def handoff(conversation_id: str) -> dict[str, Any]:
    at = "2026-11-22T10:00:00Z"
    return {
        "version": 1,
        "handoff_id": f"ho_{uuid.uuid4().hex[:16]}",
        "conversation_id": conversation_id,
        "reason": "customer_request",
        "priority": "normal",
        "summary": "Benchmark conversation.",
        "trigger": {"text": "person", "at": at},
        "transcript": [],
        "turns": [],
        "articles_shown": [],
        "customer": {},
        "metadata": {},
        "requested_at": at,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-round", type=int, default=100)
    parser.add_argument("--idle-sockets", type=int, default=300)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "desk_latency.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "DESK_DATABASE_PATH": f"{tmp}/desk.sqlite3",
            "DESK_AGENTS": ":".join(AGENT),
            "DESK_RASA_URL": "http://127.0.0.1:9",  # not needed: conversations are handed over directly
            "DESK_LOG_LEVEL": "WARNING",
            "DESK_MESSAGES_PER_MINUTE": "100000",
        }
        with run_service("desk", env=env, port_variable="DESK_PORT", log_path=Path(tmp) / "desk.log") as desk:
            http = httpx.Client(base_url=desk.url, headers={"X-Requested-With": "kestrel-console"})
            http.post("/console/login", data={"email": AGENT[0], "password": AGENT[2]})
            cookie = http.cookies["kestrel_desk_session"]
            console = connect(
                desk.url.replace("http", "ws", 1) + "/ws/console",
                additional_headers={"Cookie": f"kestrel_desk_session={cookie}"},
                legacy=True,
            )
            customer, conversation_id = widget(desk.url)
            http.post("/api/handoffs", json=handoff(conversation_id), headers=SERVICE).raise_for_status()
            http.post(f"/api/console/conversations/{conversation_id}/claim").raise_for_status()
            time.sleep(0.5)
            drain(customer)
            drain(console)

            baseline: list[float] = []
            to_customer: list[float] = []
            to_agent: list[float] = []
            for _ in range(args.rounds):
                for _ in range(args.per_round):
                    start = time.perf_counter()
                    http.get("/healthz").raise_for_status()
                    baseline.append((time.perf_counter() - start) * 1000)
                for n in range(args.per_round):
                    start = time.perf_counter()
                    http.post(
                        f"/api/console/conversations/{conversation_id}/messages", json={"text": f"reply {n}"}
                    )
                    wait_for(customer, "message", "agent")
                    to_customer.append((time.perf_counter() - start) * 1000)
                for _ in range(args.per_round):
                    start = time.perf_counter()
                    customer.send(
                        json.dumps({"type": "message", "client_id": uuid.uuid4().hex, "text": "hi"})
                    )
                    wait_for(console, "message", "customer")
                    to_agent.append((time.perf_counter() - start) * 1000)
                drain(customer)
                drain(console)

            before = rss_mib(desk.process.pid)
            idle = [widget(desk.url)[0] for _ in range(args.idle_sockets)]
            time.sleep(1.0)
            after = rss_mib(desk.process.pid)
            for socket in idle:
                socket.close()
            customer.close()
            console.close()

    base = statistics.median(baseline)
    report = {
        "samples_per_path": len(baseline),
        "baseline_healthz_ms": summary(baseline, base),
        "agent_reply_to_widget_ms": summary(to_customer, base),
        "customer_message_to_console_ms": summary(to_agent, base),
        "rss_mib": round(before, 1),
        "idle_widget_socket_kib": round((after - before) * 1024 / args.idle_sockets, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


def summary(values: list[float], base: float) -> dict[str, float]:
    median = statistics.median(values)
    return {
        "median": round(median, 2),
        "p95": round(percentile(values, 0.95), 2),
        "ratio": round(median / base, 2),
    }


def drain(socket: ClientConnection) -> None:
    try:
        while True:
            socket.recv(timeout=0.2)
    except TimeoutError:
        return


if __name__ == "__main__":
    main()
