"""Benchmark: replies per second and reply latency with one and with two replicas of every service.

For each replica count a scaled deployment (tools.scaled.scaled_stack: HAProxy, PostgreSQL, a
Redis of its own) starts on this machine; every deployment has the same shape, so the comparison
isolates the replica count. Load goes through the desk's proxy as K customers on the real widget
protocol (desk/simulate/widget.py), closed loop: each asks a routine question, waits for the
assistant's reply, confirms it helped, thanks it, and opens a new conversation; no agent is needed
because the assistant answers every line without handing over. Each level of K runs after a short
warm-up; the deployments take turns level by level (the order alternating), so the machine's noise
hits both alike. Per level: replies per second, p50 and p95 from a message's send to the reply on
the widget; what PostgreSQL committed and inserted (pg_stat_database over the deployment's own
databases) and the commands Redis processed, per second and per reply beyond the idle background
(measured first, with no load); and each process's CPU time (/proc/<pid>/stat) per reply, which
says what limits. A reply the assistant did not give in time (the desk then hands over) is not
counted as one. From the one-replica run's peak (its level with the most replies per second), a
capacity model sizes a deployment for --conversations at --messages-per-minute each
(var/bench/scale.json).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.scale_report import (
    ASSISTANT,
    SERVICE_ORDER,
    Sample,
    Snapshot,
    Usage,
    capacity,
    capacity_table,
    cpu_table,
    idle_report,
    level_report,
    peak,
    stores_table,
    throughput_table,
)
from desk.simulate.widget import WITH_PERSON, Kind, Line, Widget
from tools.scaled.plan import copy_index
from tools.scaled.stack import ScaledStack, scaled_stack
from tools.services import ROOT, free_port, run_command

# Lines the assistant answers without handing over (bench/turns.py's CYCLE and tools/soak/script.py's
# routine questions); each conversation is a question, a confirmation and thanks.
QUESTIONS = (
    "my new card still hasn't arrived, it's been over a week",
    "how long does a bank transfer to another UK bank take?",
    "how do I change the PIN on my card",
    "which currencies can I keep in the app",
    "how do I pay a cheque into my account",
    "what are the top up limits",
    "how do I update my home address",
    "I forgot my app passcode",
    "how do I set up automatic top ups",
)
CONFIRM = "yes, that answered it"
THANKS = ("thanks", "cheers")

CONNECT_TIMEOUT = 30.0
TURN_TIMEOUT = 60.0  # the desk hands over after its own Rasa timeout (10 s) and a retry well before this
DRAIN_TIMEOUT = 60.0  # for the turns in flight when a level ends
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The desk's per-conversation message limit lifted (scaled_stack lifts the per-address ones, as every
# customer here shares one address): a closed loop sends a conversation's messages as fast as they
# are answered.
BENCH_ENV = {"desk": {"DESK_MESSAGES_PER_MINUTE": "1000000"}}
PG_COUNTERS = ("xact_commit", "tup_inserted", "tup_updated", "tup_deleted")
PG_STATS = (
    "SELECT datname, xact_commit, tup_inserted, tup_updated, tup_deleted"
    " FROM pg_stat_database WHERE datname = ANY(%s)"
)


def conversation(number: int) -> list[str]:
    return [QUESTIONS[number % len(QUESTIONS)], CONFIRM, THANKS[number % len(THANKS)]]


# ---- measuring a running deployment ---------------------------------------------------------------


@dataclass
class Target:
    """One running deployment and where its counters are read."""

    replicas: int
    stack: ScaledStack
    redis_url: str
    redis_pid: int | None  # None: a shared Redis, whose CPU and commands include others'
    admin_url: str
    databases: dict[str, str] = field(init=False)  # the database's name -> the service

    def __post_init__(self) -> None:
        stores = self.stack.stores
        urls = {
            "desk": stores.desk_database_url,
            "kb": stores.kb_database_url,
            "actions": stores.actions_outbox_url,
            "rasa": stores.rasa_tracker.get("RASA_TRACKER_DB", ""),
        }
        self.databases = {url.rsplit("/", 1)[-1]: service for service, url in urls.items() if url}

    def snapshot(self) -> Snapshot:
        return Snapshot(time.monotonic(), self._cpu(), self._postgres(), self._redis())

    def _cpu(self) -> dict[str, dict[int, float]]:
        sessions = {s.running.process.pid: name.split("-")[0] for name, s in self.stack.services.items()}
        config = str(self.stack.logs / "haproxy.cfg")
        groups: dict[str, dict[int, float]] = {name: {} for name in SERVICE_ORDER}
        for pid, session, used, comm in processes():
            group = sessions.get(session)
            if group is None and pid == self.redis_pid:
                group = "redis"
            elif group is None and comm in ("haproxy", "postgres"):
                command = cmdline(pid)
                if comm == "haproxy" and config in command:
                    group = "haproxy"
                elif comm == "postgres" and any(f" {db} " in command for db in self.databases):
                    group = "postgres"
            if group is not None:
                groups[group][pid] = used
        times = os.times()
        groups["load generator"] = {os.getpid(): times.user + times.system}
        return {name: pids for name, pids in groups.items() if pids}

    def _postgres(self) -> dict[str, dict[str, int]]:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
            rows = conn.execute(PG_STATS, (list(self.databases),)).fetchall()
        return {
            self.databases[row[0]]: {
                name: int(value or 0) for name, value in zip(PG_COUNTERS, row[1:], strict=True)
            }
            for row in rows
        }

    def _redis(self) -> dict[str, int]:
        import redis

        client = redis.Redis.from_url(self.redis_url, socket_timeout=10)
        try:
            stats = client.info("commandstats")
        finally:
            client.close()
        # redis-py gives {"cmdstat_get": {"calls": n, ...}} or, by version, {"get": {...}}.
        return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


def processes() -> Iterator[tuple[int, int, float, str]]:
    """Every process: pid, session id, CPU seconds used (user + system, all threads), name."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            text = Path(entry.path, "stat").read_text()
            comm = text[text.index("(") + 1 : text.rindex(")")]
            fields = text[text.rindex(")") + 2 :].split()
            # state ppid pgrp session ... utime (11) stime (12)
            yield int(entry.name), int(fields[3]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS, comm


def cmdline(pid: int) -> str:
    try:
        return " " + Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


# ---- load ----------------------------------------------------------------------------------------


async def customer(
    desk: str, seat: range, stop: asyncio.Event, samples: list[Sample], tallies: Counter[str]
) -> None:
    """One customer after another in the same seat: a conversation at a time, each message sent
    as soon as the last one was answered."""
    for number in seat:
        if stop.is_set():
            return
        widget = Widget(desk, random.Random(number), title="Scale benchmark")
        running = asyncio.create_task(widget.run())
        try:
            await talk(widget, conversation(number), stop, samples, tallies)
        finally:
            await widget.close()
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(running, 10)


async def talk(
    widget: Widget, lines: Sequence[str], stop: asyncio.Event, samples: list[Sample], tallies: Counter[str]
) -> None:
    if not await widget.wait_until(lambda: widget.connected, CONNECT_TIMEOUT):
        tallies["connect_failures"] += 1
        return
    tallies["conversations"] += 1
    for text in lines:
        if stop.is_set():
            return
        turn = await widget.say(Line(Kind.QUESTION, text))
        try:
            await asyncio.wait_for(turn.done.wait(), TURN_TIMEOUT)
        except TimeoutError:
            tallies["timeouts"] += 1
            return
        assert turn.answered_at is not None
        assert turn.answer is not None
        samples.append(Sample(turn.typed_at, turn.answered_at, turn.answer, text, widget.mode))
        if turn.answer != ASSISTANT or widget.mode in WITH_PERSON:
            return  # a person's now (counted from the samples): a new conversation


async def drive(
    target: Target, concurrency: int, warmup: float, seconds: float, seed: int
) -> tuple[list[Sample], Snapshot, Snapshot, Counter[str]]:
    """K customers for warm-up + seconds; the samples (times relative to the window's start), the
    snapshots around the window, and the window's tallies (conversations, connect failures,
    timeouts)."""
    stop = asyncio.Event()
    samples: list[Sample] = []
    tallies: Counter[str] = Counter()
    seats = [
        asyncio.create_task(
            customer(target.stack.desk, range(seed + i, seed + 10**6, concurrency), stop, samples, tallies)
        )
        for i in range(concurrency)
    ]
    await asyncio.sleep(warmup)
    before = await asyncio.to_thread(target.snapshot)
    counted = Counter(tallies)
    await asyncio.sleep(seconds)
    after = await asyncio.to_thread(target.snapshot)
    in_window = tallies - counted
    stop.set()
    _, late = await asyncio.wait(seats, timeout=DRAIN_TIMEOUT)
    for seat in late:
        seat.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    shifted = [replace(s, sent=s.sent - before.at, answered=s.answered - before.at) for s in samples]
    return shifted, before, after, in_window


# ---- the deployments -------------------------------------------------------------------------------


@contextlib.contextmanager
def own_redis(workdir: Path) -> Iterator[tuple[str, int | None]]:
    """A Redis server for this deployment alone, so its commands and CPU are only the deployment's
    (the shared one on :6379 when redis-server is not installed here)."""
    if shutil.which("redis-server") is None:
        yield "redis://127.0.0.1:6379", None
        return
    import redis

    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with run_command(
        command,
        env={},
        port_variable="BENCH_REDIS_PORT",
        log_path=workdir / "redis.log",
        ready_path="/",
        wait=False,
    ) as server:
        url = f"redis://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            client = redis.Redis.from_url(url, socket_timeout=2)
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or server.process.poll() is not None:
                    raise RuntimeError(f"redis-server did not start:\n{server.log_tail()}") from None
                time.sleep(0.2)
            finally:
                client.close()
        yield url, server.process.pid


@contextlib.contextmanager
def deployments(replica_counts: Sequence[int], root: Path) -> Iterator[list[Target]]:
    from sqlkit.testing import admin_url

    with contextlib.ExitStack() as stack:
        targets: list[Target] = []
        for replicas in replica_counts:
            workdir = root / f"replicas-{replicas}"
            workdir.mkdir(parents=True)
            if targets:  # the first deployment's knowledge index, rather than embedding it all again
                copy_index(targets[0].stack.logs / "kb-1", workdir / "kb-1")
            redis_url, redis_pid = stack.enter_context(own_redis(workdir))
            started = time.monotonic()
            print(f"starting {replicas} replica(s) of each service ...", flush=True)
            running = stack.enter_context(
                scaled_stack(workdir, replicas=replicas, env=BENCH_ENV, redis_url=redis_url, timeout=600)
            )
            print(f"  ready after {time.monotonic() - started:.0f} s", flush=True)
            targets.append(Target(replicas, running, redis_url, redis_pid, admin_url()))
        yield targets


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = 0.0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) / 1024 / 1024
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(memory, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "levels": args.levels,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "conversation": ["<question>", CONFIRM, "/".join(THANKS)],
    }
    with tempfile.TemporaryDirectory() as tmp, deployments(args.replicas, Path(tmp)) as targets:
        for target in targets:  # Rasa's first turns are slow (graphs built on first use)
            asyncio.run(drive(target, min(args.levels), args.warmup, 1.0, seed=1_000_000))
        print(f"idle background for {args.idle:.0f} s ...", flush=True)
        before = [t.snapshot() for t in targets]
        time.sleep(args.idle)
        idle = {t.replicas: Usage.between(b, t.snapshot()) for t, b in zip(targets, before, strict=True)}
        runs: dict[str, list[dict[str, Any]]] = {str(t.replicas): [] for t in targets}
        for i, k in enumerate(args.levels):
            for target in targets if i % 2 == 0 else list(reversed(targets)):
                samples, start, end, tallies = asyncio.run(
                    drive(target, k, args.warmup, args.seconds, seed=i * 100_000)
                )
                level = level_report(k, samples, Usage.between(start, end), idle[target.replicas], tallies)
                runs[str(target.replicas)].append(level)
                print(
                    f"  {target.replicas} replica(s), {k:3d} customers: "
                    f"{level['replies_per_s']:6.1f} replies/s  "
                    f"p50 {level['p50_ms']:7.0f} ms  p95 {level['p95_ms']:7.0f} ms",
                    flush=True,
                )
        report["idle"] = {str(r): idle_report(u) for r, u in idle.items()}
    report["runs"] = runs
    report["redis"] = "a server of its own per deployment" if targets[0].redis_pid else "the shared server"
    return report


def render(report: Mapping[str, Any]) -> str:
    runs = report["runs"]
    parts = [
        f"Replies through the desk's proxy, closed loop, {report['seconds']:.0f} s a level "
        f"({report['machine']['cores']} cores, load average "
        f"{report['machine']['load_average_at_start'][0]} at the start, {report['date']})",
        "",
        throughput_table(runs),
        "",
        "At the peak (the level with the most replies/s): what the stores and each process carried"
        " (per reply: beyond the idle background)",
        "",
        stores_table(runs),
        "",
        cpu_table(runs),
    ]
    if "capacity" in report:
        parts += [
            "",
            "Capacity model (from the one-replica run's peak)",
            "",
            capacity_table(report["capacity"]),
        ]
    return "\n".join(parts)


def levels_arg(text: str) -> list[int]:
    values = [int(v) for v in text.split(",") if v.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("positive integers, comma-separated")
    return values


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--levels", type=levels_arg, default=[4, 8, 16, 32], help="customers at once, e.g. 4,8"
    )
    parser.add_argument(
        "--seconds", type=float, default=30.0, help="measured seconds per level and deployment"
    )
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds before each level")
    parser.add_argument(
        "--idle", type=float, default=10.0, help="seconds of the idle background, measured first"
    )
    parser.add_argument("--replicas", type=levels_arg, default=[1, 2], help="replica counts, e.g. 1,2")
    parser.add_argument(
        "--conversations", type=int, default=2000, help="capacity model: conversations at once"
    )
    parser.add_argument(
        "--messages-per-minute",
        type=float,
        default=2.0,
        help="capacity model: one conversation's messages a minute",
    )
    parser.add_argument(
        "--utilisation", type=float, default=0.7, help="capacity model: a core's share to plan for"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "scale.json")
    args = parser.parse_args()
    args.levels = sorted(set(args.levels))

    report = measure(args)
    baseline = report["runs"].get("1") or next(iter(report["runs"].values()))
    report["capacity"] = capacity(
        peak(baseline),
        conversations=args.conversations,
        messages_per_minute=args.messages_per_minute,
        utilisation=args.utilisation,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print()
    print(render(report))
    print(f"\nfull report: {args.out}")


if __name__ == "__main__":
    main()
