"""A soak run's summary: the printed one and the figures saved as JSON."""

from __future__ import annotations

import statistics
from typing import Any

from tools.soak.run import SoakResult

SHOWN_PROBLEMS = 60


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def figures(result: SoakResult) -> dict[str, Any]:
    config = result.config
    return {
        "replicas": config.replicas,
        "conversations": config.conversations,
        "seconds": config.seconds,
        "traffic_seconds": round(result.traffic_seconds, 1),
        "rate": config.rate,
        "agents": config.agents,
        **{
            key.replace(" ", "_"): value
            for key, value in {**result.counters, **result.findings.figures}.items()
        },
        "assistant_replies": len(result.assistant_latency),
        "assistant_latency_p50_s": _round(percentile(result.assistant_latency, 0.5)),
        "assistant_latency_p95_s": _round(percentile(result.assistant_latency, 0.95)),
        "reply_latency_p50_s": _round(percentile(result.reply_latency, 0.5)),
        "reply_latency_p95_s": _round(percentile(result.reply_latency, 0.95)),
        "restarts": [
            {
                "service": r.service,
                "killed_at_s": round(r.killed_at, 1),
                "back_after_s": _round(r.back_after),
                **({"routed_after_s": _round(r.routed_after)} if config.replicas > 1 else {}),
            }
            for r in result.restarts
        ],
        "problems": len(result.findings.problems),
        "ok": result.ok,
    }


def summary(result: SoakResult) -> str:
    f, c, config = result.findings.figures, result.counters, result.config

    def get(name: str) -> int:
        return int(f.get(name, 0))

    stack = "one process of each service" if config.replicas == 1 else f"{config.replicas} replicas of each"
    lines = [
        f"Soak ({stack}): {config.conversations} conversations, {config.agents} agents, "
        f"{result.traffic_seconds:.0f} s of traffic (asked for {config.seconds:.0f} s)",
        f"  customer messages  typed {c.get('turns', 0)} ({c.get('person requests', 0)} for a person), "
        f"stored {get('customer messages stored')}, acknowledged {get('acks')}, "
        f"lost {get('lost customer messages')}",
        f"  to the widgets     {get('messages delivered')} message frames, "
        f"duplicates {get('duplicate deliveries')}, missing {get('missing deliveries')}",
        f"  answers            unanswered {get('unanswered')}; assistant reply p50 "
        f"{_seconds(percentile(result.assistant_latency, 0.5))}, p95 "
        f"{_seconds(percentile(result.assistant_latency, 0.95))} ({len(result.assistant_latency)} replies); "
        f"first reply of anyone p50 {_seconds(percentile(result.reply_latency, 0.5))}, "
        f"p95 {_seconds(percentile(result.reply_latency, 0.95))}",
        f"  handoffs           from the action server {get('handoffs from the action server')} "
        f"({get('handoffs attached to an open one')} attached to an open one), made by the desk "
        f"{get('handoffs made by the desk')}, in the desk {get('handoffs in the desk')}, "
        f"left in the outbox {get('handoffs left in the outbox')}; agent replies {c.get('agent replies', 0)}",
        f"  order              customer messages out of order {get('customer messages out of order')}, "
        f"frames out of order {get('frames out of order')}; the assistant's turns "
        f"{get('assistant turns')} ({get('assistant turns not matched')} not matched), out of order "
        f"{get('assistant turns out of order')}; replies matched to their turn {get('replies matched')} "
        f"({get('replies not matched')} not matched), out of order {get('replies out of order')}",
        f"  connections        {c.get('connections', 0)} widget connections, "
        f"{c.get('drops on purpose', 0)} dropped on purpose, {c.get('history resets', 0)} history resets",
        f"  restarts           {len(result.restarts)}: " + "; ".join(r.describe() for r in result.restarts),
    ]
    problems = result.findings.problems
    if problems:
        lines.append(f"PROBLEMS ({len(problems)}):")
        lines += [f"  - {p}" for p in problems[:SHOWN_PROBLEMS]]
        if len(problems) > SHOWN_PROBLEMS:
            lines.append(f"  ... and {len(problems) - SHOWN_PROBLEMS} more")
    lines.append("OK: nothing lost, nothing duplicated, nothing out of order" if result.ok else "FAILED")
    return "\n".join(lines)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"
