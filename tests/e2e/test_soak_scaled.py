"""The scaled fault test, short form (the long one is `make soak-scaled`): 20 widget conversations
at once through a scaled stack (HAProxy, two replicas of the desk, Rasa, the action server and the
knowledge service, on PostgreSQL and Redis), agents answering the handoffs, while one replica of
each service in turn is killed with SIGKILL and restarted, the other serving meanwhile. Every
message stored once and delivered once, every customer message answered or handed over, no
handoff lost (the outbox audited by a trigger in PostgreSQL), and each conversation's order kept:
messages stored in the order sent, frames delivered in id order, the assistant asked and its
replies stored in the order of the questions.

It starts its own stack, with fresh databases: killing replicas would disturb any other."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools.soak.faults import ORDER
from tools.soak.report import summary
from tools.soak.run import SoakConfig, run_soak

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("haproxy") is None, reason="haproxy: scripts/ensure-scale-services.sh installs it"
    ),
]


@pytest.mark.timeout(900)  # about 4 minutes on 2 cores: start-up, 75 s of traffic, the restarts, the drain
def test_nothing_is_lost_duplicated_or_reordered_while_one_replica_of_each_service_is_killed(
    tmp_path: Path,
) -> None:
    config = SoakConfig(conversations=20, seconds=75, replicas=2, rounds=1)
    result = run_soak(tmp_path / "soak", config)
    report = summary(result)
    assert result.ok, report
    assert [r.service for r in result.restarts] == [f"{service}-1" for service in ORDER], report
    assert all(r.routed_after is not None for r in result.restarts), report
    figures = result.findings.figures
    assert figures["customer messages stored"] >= 2 * config.conversations, report
    assert result.counters["person requests"] > 0, report
    assert figures["handoffs in the desk"] > 0, report
    assert figures["assistant turns"] > 0, report  # the order of turns was checked in Rasa's tracker
    assert figures["replies matched"] > 0, report
    assert result.assistant_latency, report
