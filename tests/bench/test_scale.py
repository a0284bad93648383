"""The scale-out benchmark's pure parts (bench/scale_report.py: percentiles, what a level counts from its
samples and counters, the capacity arithmetic and the tables the README takes) and the load shape
and process reading of bench/scale.py."""

from __future__ import annotations

import math
import os
from typing import Any

import pytest

from bench.scale import CONFIRM, QUESTIONS, conversation, processes
from bench.scale_report import (
    Sample,
    Snapshot,
    Usage,
    capacity,
    capacity_table,
    cpu_seconds,
    cpu_table,
    level_report,
    peak,
    per_reply,
    percentile,
    stores_table,
    throughput_table,
)


def snapshot(at: float, cpu: dict[str, dict[int, float]], xacts: int, inserted: int, redis: int) -> Snapshot:
    """Rasa's database with three quarters of the commits, the desk's with the rest and the rows;
    Redis's calls two thirds SET, one third EVALSHA."""
    postgres = {
        "rasa": {"xact_commit": xacts * 3 // 4, "tup_inserted": 0},
        "desk": {"xact_commit": xacts - xacts * 3 // 4, "tup_inserted": inserted},
    }
    return Snapshot(at, cpu, postgres, {"set": redis * 2 // 3, "evalsha": redis - redis * 2 // 3})


IDLE = Usage.between(
    snapshot(0.0, {"rasa": {1: 0.0}, "desk": {2: 0.0}}, 0, 0, 0),
    snapshot(10.0, {"rasa": {1: 0.0}, "desk": {2: 0.1}}, 20, 0, 30),
)


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.95) == 96.0
    assert percentile(values, 0.5) == 51.0
    assert percentile([3.0, 1.0, 2.0], 0.95) == 3.0
    assert math.isnan(percentile([], 0.95))


def test_cpu_counts_new_processes_from_zero_and_never_goes_back() -> None:
    before = {10: 1.0, 11: 5.0}
    after = {10: 1.5, 12: 0.25}  # 11 ended (lost), 12 started
    assert cpu_seconds(before, after) == pytest.approx(0.75)
    assert cpu_seconds({10: 2.0}, {10: 1.0}) == 0.0  # a reused pid


def test_usage_is_per_second_and_per_reply_is_beyond_the_idle_background() -> None:
    busy = Usage.between(
        snapshot(100.0, {"rasa": {1: 10.0}, "desk": {2: 1.0}}, 1_000, 500, 2_000),
        snapshot(120.0, {"rasa": {1: 24.0}, "desk": {2: 5.0}}, 3_040, 2_500, 9_000),
    )
    assert busy.seconds == 20.0
    assert busy.cpu_cores == {"rasa": pytest.approx(0.7), "desk": pytest.approx(0.2)}
    assert busy.postgres == {"xact_commit": 102.0, "tup_inserted": 100.0}
    assert busy.commits == {"rasa": 76.5, "desk": 25.5}
    assert busy.redis_commands == 350.0
    assert busy.redis_calls == {"set": pytest.approx(233.35), "evalsha": pytest.approx(116.65)}
    assert IDLE.postgres["xact_commit"] == 2.0
    assert per_reply(102.0, 2.0, 10.0) == 10.0
    assert math.isnan(per_reply(1.0, 0.0, 0.0))


def level(samples: list[Sample], seconds: float = 10.0) -> dict[str, Any]:
    usage = Usage.between(
        snapshot(0.0, {"rasa": {1: 0.0}, "desk": {2: 0.0}}, 0, 0, 0),
        snapshot(seconds, {"rasa": {1: 7.0}, "desk": {2: 2.1}}, 1_020, 900, 3_030),
    )
    return level_report(8, samples, usage, IDLE, {"conversations": 12})


def test_a_level_counts_the_assistants_replies_answered_within_its_window() -> None:
    inside = [Sample(t, t + 0.1 * (i + 1), "bot") for i, t in enumerate(range(9))]  # 0.1 s .. 0.9 s
    samples = [
        Sample(-2.0, -0.5, "bot"),  # answered during the warm-up
        *inside,
        Sample(8.0, 9.0, "bot", "I got charged twice", "queued"),  # the assistant handed over
        Sample(9.5, 10.5, "bot"),  # answered after the window
        Sample(5.0, 5.2, "system", "a question", "queued"),  # the desk gave up waiting: not a reply
    ]
    report = level(samples)
    assert report["concurrency"] == 8
    assert report["replies"] == 10
    assert report["replies_per_s"] == 1.0
    assert report["p50_ms"] == pytest.approx(550.0)
    assert report["p95_ms"] == pytest.approx(1000.0)
    assert report["not_the_assistant"] == {"system": 1}
    assert report["handed_over_after"] == {"I got charged twice": 1}
    assert report["conversations"] == 12
    # 1,020 commits in 10 s, 2 a second of them idle background: 100 beyond it for 1 reply a second.
    assert report["postgres"]["xact_commit_per_s"] == 102.0
    assert report["postgres"]["xact_commit_per_reply"] == 100.0
    assert report["postgres"]["tup_inserted_per_reply"] == 90.0
    assert report["postgres"]["commits_per_reply_by_service"] == {"rasa": 75.0, "desk": 25.0}
    assert report["redis"] == {
        "commands_per_s": 303.0,
        "commands_per_reply": 300.0,
        "calls_per_reply_by_command": {"set": 200.0, "evalsha": 100.0},
    }
    assert report["cpu"]["rasa"] == {"cores": 0.7, "ms_per_reply": 700.0}
    assert report["cpu"]["desk"] == {"cores": 0.21, "ms_per_reply": 200.0}
    assert list(report["cpu"]) == ["rasa", "desk"]  # the services' order, not the alphabet's


def busy(rasa_ms: float = 70.0, desk_ms: float = 20.0) -> dict[str, Any]:
    return {
        "concurrency": 32,
        "replies_per_s": 11.0,
        "p50_ms": 2_500.0,
        "p95_ms": 3_900.0,
        "cpu": {
            "kb": {"cores": 0.07, "ms_per_reply": 6.0},
            "actions": {"cores": 0.06, "ms_per_reply": 5.0},
            "rasa": {"cores": 0.8, "ms_per_reply": rasa_ms},
            "desk": {"cores": 0.2, "ms_per_reply": desk_ms},
            "postgres": {"cores": 0.08, "ms_per_reply": 7.5},
            "redis": {"cores": 0.01, "ms_per_reply": 1.2},
            "haproxy": {"cores": 0.02, "ms_per_reply": 1.5},
        },
        "postgres": {
            "xact_commit_per_s": 150.0,
            "xact_commit_per_reply": 13.5,
            "tup_inserted_per_s": 140.0,
            "tup_inserted_per_reply": 12.5,
        },
        "redis": {"commands_per_s": 370.0, "commands_per_reply": 34.0},
    }


def test_the_capacity_model_sizes_each_service_from_its_cpu_per_reply() -> None:
    model = capacity(busy(), conversations=2_000, messages_per_minute=2.0, utilisation=0.7)
    assert model["replies_per_s"] == pytest.approx(66.7)
    rasa = model["services"]["rasa"]
    # 66.7 replies/s x 70 ms = 4.67 cores; at most 70% of a core each: 7 replicas.
    assert rasa == {"ms_per_reply": 70.0, "replies_per_s_per_core": 14.3, "cores": 4.67, "replicas": 7}
    assert model["services"]["desk"]["cores"] == pytest.approx(1.33)
    assert model["services"]["desk"]["replicas"] == 2
    assert model["services"]["kb"]["replicas"] == 1  # at least one of each
    assert model["stores"]["postgres"] == {"ms_per_reply": 7.5, "cores": 0.5}
    assert "haproxy" not in model["services"]
    assert model["postgres_transactions_per_s"] == 900
    assert model["postgres_rows_inserted_per_s"] == 833
    assert model["redis_commands_per_s"] == 2_267
    assert model["limits"][:2] == ["rasa", "desk"]
    # Were the desk the costlier, it would limit first.
    assert (
        capacity(busy(rasa_ms=5.0, desk_ms=90.0), conversations=10, messages_per_minute=6, utilisation=1)[
            "limits"
        ][0]
        == "desk"
    )


def test_the_peak_is_the_level_with_the_most_replies_before_overload() -> None:
    levels = [
        {"concurrency": 4, "replies_per_s": 8.2},
        {"concurrency": 16, "replies_per_s": 11.9},
        {"concurrency": 32, "replies_per_s": 4.4},  # the desk gave up waiting: handed over
    ]
    assert peak(levels)["concurrency"] == 16


def test_the_tables_set_the_replica_counts_side_by_side() -> None:
    low = {**busy(), "concurrency": 4, "replies_per_s": 8.46, "p50_ms": 239.0, "p95_ms": 369.4}
    runs = {"1": [low, busy()], "2": [low, {**busy(), "replies_per_s": 12.0}]}
    table = throughput_table(runs).splitlines()
    assert table[0] == (
        "| customers at once | 1 replica: replies/s | p50 | p95 | 2 replicas: replies/s | p50 | p95 |"
    )
    assert table[2] == "| 4 | 8.5 | 0.24 s | 0.37 s | 8.5 | 0.24 s | 0.37 s |"
    assert table[3] == "| 32 | 11.0 | 2.50 s | 3.90 s | 12.0 | 2.50 s | 3.90 s |"
    stores = stores_table(runs).splitlines()
    assert stores[2] == "| 1 | 32 | 11.0 | 150 (13.5) | 140 (12.5) | 370 (34.0) |"
    cpu = cpu_table(runs).splitlines()
    assert cpu[2].startswith("| kb | 0.07 | 6.0 |")
    assert [row.split(" |")[0] for row in cpu[2:]] == [
        "| kb",
        "| actions",
        "| rasa",
        "| desk",
        "| haproxy",
        "| postgres",
        "| redis",
    ]
    text = capacity_table(capacity(busy(), conversations=2_000, messages_per_minute=2.0, utilisation=0.7))
    assert "2,000 conversations x 2.0 messages a minute = 66.7 replies/s" in text
    assert "| rasa | 70.0 | 14.3 | 4.67 | 7 |" in text
    assert "What limits first, then next: rasa, desk, kb, actions" in text


def test_a_conversation_is_a_question_a_confirmation_and_thanks() -> None:
    first, second = conversation(0), conversation(1)
    assert first[0] == QUESTIONS[0]
    assert second[0] == QUESTIONS[1]
    assert first[1] == second[1] == CONFIRM
    assert first[2] != second[2]


def test_processes_are_read_with_their_session_and_cpu() -> None:
    mine = {pid: (session, used) for pid, session, used, _ in processes()}
    session, used = mine[os.getpid()]
    assert session == os.getsid(0)
    assert used >= 0
