"""The scale-out benchmark's pure parts (bench/scale.py measures, this counts): percentiles, what
a level counts from its samples and counter snapshots, per-reply costs, the capacity model and the
report's tables. No process, socket or clock is touched here."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from desk.simulate.widget import WITH_PERSON
from tools.scaled.plan import SERVICES

ASSISTANT = "bot"  # the role of the assistant's messages on the widget
SERVICE_ORDER = (*SERVICES, "haproxy", "postgres", "redis", "load generator")


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..1), as bench/kb_latency.py takes it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass(frozen=True)
class Sample:
    """One customer message: when it was sent, when the first answer reached the widget, whose, and
    who had the conversation then (a person's mode: the assistant handed it over)."""

    sent: float
    answered: float
    role: str
    line: str = ""
    mode: str = "bot"


@dataclass(frozen=True)
class Snapshot:
    """Cumulative counters at one moment: CPU seconds by group and pid, PostgreSQL's counters by
    service (its database's xact_commit, tup_inserted, ...), Redis's calls by command."""

    at: float
    cpu: Mapping[str, Mapping[int, float]]
    postgres: Mapping[str, Mapping[str, int]]
    redis: Mapping[str, int]


def cpu_seconds(before: Mapping[int, float], after: Mapping[int, float]) -> float:
    """CPU used between two readings by the processes of a group: a process that started meanwhile
    counts from zero; one that ended meanwhile is lost (its last reading is gone)."""
    return sum(max(0.0, used - before.get(pid, 0.0)) for pid, used in after.items())


@dataclass(frozen=True)
class Usage:
    """What the deployment did between two snapshots, per second."""

    seconds: float
    cpu_cores: dict[str, float]  # CPU seconds per second, by service
    postgres: dict[str, float]  # each counter over every database
    commits: dict[str, float]  # transactions committed, by service
    redis_commands: float
    redis_calls: dict[str, float]  # by command

    @classmethod
    def between(cls, before: Snapshot, after: Snapshot) -> Usage:
        seconds = after.at - before.at
        groups = sorted(set(before.cpu) | set(after.cpu))
        pg = {
            service: {
                k: (v - before.postgres.get(service, {}).get(k, 0)) / seconds for k, v in counters.items()
            }
            for service, counters in after.postgres.items()
        }
        calls = {c: (n - before.redis.get(c, 0)) / seconds for c, n in after.redis.items()}
        counters = sorted({k for per_service in pg.values() for k in per_service})
        return cls(
            seconds,
            {g: cpu_seconds(before.cpu.get(g, {}), after.cpu.get(g, {})) / seconds for g in groups},
            {k: sum(per_service.get(k, 0.0) for per_service in pg.values()) for k in counters},
            {service: per_service.get("xact_commit", 0.0) for service, per_service in pg.items()},
            sum(calls.values()),
            {c: n for c, n in calls.items() if n > 0},
        )


def per_reply(busy: float, idle: float, replies_per_s: float) -> float:
    """What one reply costs beyond the idle background (health checks, presence, sweeps)."""
    return (busy - idle) / replies_per_s if replies_per_s > 0 else math.nan


def level_report(
    concurrency: int, samples: Sequence[Sample], usage: Usage, idle: Usage, tallies: Mapping[str, int]
) -> dict[str, Any]:
    """One level of one deployment: the assistant's replies answered within the window, their
    latency, and what each part carried."""
    window = [s for s in samples if 0 <= s.answered <= usage.seconds]
    replies = [s for s in window if s.role == ASSISTANT]
    latency = [s.answered - s.sent for s in replies]
    rate = len(replies) / usage.seconds
    others = Counter(s.role for s in window if s.role != ASSISTANT)
    return {
        "concurrency": concurrency,
        "seconds": round(usage.seconds, 1),
        "replies": len(replies),
        "replies_per_s": round(rate, 2),
        "p50_ms": round((statistics.median(latency) if latency else math.nan) * 1000, 1),
        "p95_ms": round(percentile(latency, 0.95) * 1000, 1),
        # The desk's own answers: the assistant did not reply within DESK_HTTP_TIMEOUT_SECONDS (and
        # a retry), so the desk handed over (overload); or refusals.
        "not_the_assistant": dict(others),
        # The assistant itself handed over after these lines (the lines are chosen so it does not).
        "handed_over_after": dict(
            Counter(s.line for s in window if s.role == ASSISTANT and s.mode in WITH_PERSON)
        ),
        **dict(tallies),
        "postgres": {
            **{f"{k}_per_s": round(v, 1) for k, v in usage.postgres.items()},
            **{
                f"{k}_per_reply": round(per_reply(v, idle.postgres.get(k, 0.0), rate), 2)
                for k, v in usage.postgres.items()
            },
            "commits_per_reply_by_service": {
                service: round(per_reply(v, idle.commits.get(service, 0.0), rate), 2)
                for service, v in sorted(usage.commits.items(), key=lambda kv: _order(kv[0]))
            },
        },
        "redis": {
            "commands_per_s": round(usage.redis_commands, 1),
            "commands_per_reply": round(per_reply(usage.redis_commands, idle.redis_commands, rate), 2),
            "calls_per_reply_by_command": {
                command: round(calls, 2)
                for command, v in sorted(usage.redis_calls.items(), key=lambda kv: -kv[1])
                # the idle background's own (PING, INFO) cancel out
                if (calls := per_reply(v, idle.redis_calls.get(command, 0.0), rate)) >= 0.05
            },
        },
        "cpu": {
            name: {
                "cores": round(cores, 3),
                "ms_per_reply": round(per_reply(cores, idle.cpu_cores.get(name, 0.0), rate) * 1000, 2),
            }
            for name, cores in sorted(usage.cpu_cores.items(), key=lambda kv: _order(kv[0]))
        },
    }


def idle_report(idle: Usage) -> dict[str, Any]:
    return {
        "seconds": round(idle.seconds, 1),
        "postgres": {
            **{f"{k}_per_s": round(v, 2) for k, v in idle.postgres.items()},
            "commits_per_s_by_service": {k: round(v, 2) for k, v in idle.commits.items()},
        },
        "redis": {
            "commands_per_s": round(idle.redis_commands, 2),
            "calls_per_s_by_command": {k: round(v, 2) for k, v in idle.redis_calls.items()},
        },
        "cpu_cores": {
            k: round(v, 4) for k, v in sorted(idle.cpu_cores.items(), key=lambda kv: _order(kv[0]))
        },
    }


def _order(name: str) -> int:
    return SERVICE_ORDER.index(name) if name in SERVICE_ORDER else len(SERVICE_ORDER)


def capacity(
    level: Mapping[str, Any],
    *,
    conversations: int,
    messages_per_minute: float,
    utilisation: float,
) -> dict[str, Any]:
    """Size a deployment from one level's costs per reply: replies per second for `conversations`
    each sending `messages_per_minute`; per service the cores that takes and the replicas, each
    replica given one core kept at most `utilisation` busy (a Python service's event loop runs on
    one core); PostgreSQL's and Redis's load at that rate."""
    rate = conversations * messages_per_minute / 60
    services: dict[str, dict[str, float]] = {}
    for name in SERVICES:
        ms = level["cpu"].get(name, {}).get("ms_per_reply")
        if ms is None or not ms > 0:
            continue
        cores = rate * ms / 1000
        services[name] = {
            "ms_per_reply": ms,
            "replies_per_s_per_core": round(1000 / ms, 1),
            "cores": round(cores, 2),
            "replicas": max(1, math.ceil(cores / utilisation)),
        }
    stores = {}
    for name in ("postgres", "redis"):
        ms = level["cpu"].get(name, {}).get("ms_per_reply")
        if ms is not None and ms > 0:
            stores[name] = {"ms_per_reply": ms, "cores": round(rate * ms / 1000, 2)}
    return {
        "conversations": conversations,
        "messages_per_conversation_per_minute": messages_per_minute,
        "utilisation": utilisation,
        "replies_per_s": round(rate, 1),
        "services": services,
        "stores": stores,
        "postgres_transactions_per_s": round(rate * level["postgres"]["xact_commit_per_reply"]),
        "postgres_rows_inserted_per_s": round(rate * level["postgres"]["tup_inserted_per_reply"]),
        "redis_commands_per_s": round(rate * level["redis"]["commands_per_reply"]),
        # The services by the cores they take: the first limits a deployment, the next one after it.
        "limits": sorted(services, key=lambda s: services[s]["cores"], reverse=True),
    }


def peak(levels: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The level with the most replies per second: the deployment's capacity, before overload (a
    reply the desk gave up waiting for is no reply)."""
    return max(levels, key=lambda level: level["replies_per_s"])


def throughput_table(runs: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """Markdown: one row per level, each replica count's replies/s, p50 and p95 side by side."""
    counts = list(runs)
    head = "| customers at once |" + "".join(
        f" {r} replica{'s' if r != '1' else ''}: replies/s | p50 | p95 |" for r in counts
    )
    lines = [head, "|---:|" + "---:|---:|---:|" * len(counts)]
    levels = [level["concurrency"] for level in runs[counts[0]]]
    for i, k in enumerate(levels):
        cells = []
        for r in counts:
            level = runs[r][i]
            p50, p95 = level["p50_ms"] / 1000, level["p95_ms"] / 1000
            cells.append(f" {level['replies_per_s']:.1f} | {p50:.2f} s | {p95:.2f} s |")
        lines.append(f"| {k} |" + "".join(cells))
    return "\n".join(lines)


def stores_table(runs: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """Markdown: at each replica count's peak, what PostgreSQL and Redis carried."""
    lines = [
        "| replicas | customers | replies/s | PostgreSQL transactions/s (per reply) "
        "| rows inserted/s (per reply) | Redis commands/s (per reply) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r, levels in runs.items():
        top = peak(levels)
        pg, rd = top["postgres"], top["redis"]
        lines.append(
            f"| {r} | {top['concurrency']} | {top['replies_per_s']:.1f} "
            f"| {pg['xact_commit_per_s']:.0f} ({pg['xact_commit_per_reply']:.1f}) "
            f"| {pg['tup_inserted_per_s']:.0f} ({pg['tup_inserted_per_reply']:.1f}) "
            f"| {rd['commands_per_s']:.0f} ({rd['commands_per_reply']:.1f}) |"
        )
    return "\n".join(lines)


def cpu_table(runs: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """Markdown: at each replica count's peak, each part's CPU (cores busy, ms per reply)."""
    names = sorted({n for levels in runs.values() for n in peak(levels)["cpu"]}, key=_order)
    lines = [
        "| process (all replicas) |" + "".join(f" {r}: cores busy | {r}: CPU ms per reply |" for r in runs),
        "|---|" + "---:|---:|" * len(runs),
    ]
    for name in names:
        cells = []
        for levels in runs.values():
            cpu = peak(levels)["cpu"].get(name)
            cells.append(f" {cpu['cores']:.2f} | {cpu['ms_per_reply']:.1f} |" if cpu else " | |")
        lines.append(f"| {name} |" + "".join(cells))
    return "\n".join(lines)


def capacity_table(model: Mapping[str, Any]) -> str:
    lines = [
        f"{model['conversations']:,} conversations x {model['messages_per_conversation_per_minute']} "
        f"messages a minute = {model['replies_per_s']} replies/s "
        f"(replicas at most {model['utilisation']:.0%} busy, one core each)",
        "",
        "| service | CPU ms per reply | replies/s per core | cores | replicas |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, s in model["services"].items():
        lines.append(
            f"| {name} | {s['ms_per_reply']:.1f} | {s['replies_per_s_per_core']:.1f} "
            f"| {s['cores']:.2f} | {s['replicas']} |"
        )
    for name, s in model["stores"].items():
        lines.append(f"| {name} | {s['ms_per_reply']:.1f} | | {s['cores']:.2f} | |")
    lines += [
        "",
        f"PostgreSQL: {model['postgres_transactions_per_s']:,} transactions/s, "
        f"{model['postgres_rows_inserted_per_s']:,} rows inserted/s; "
        f"Redis: {model['redis_commands_per_s']:,} commands/s",
        f"What limits first, then next: {', '.join(model['limits'])}",
    ]
    return "\n".join(lines)
