"""The soak-and-fault test, short form (the long one is `make soak`): 20 widget conversations at
once through the real desk, Rasa, action server and knowledge service, agents answering the
handoffs, while each service in turn is killed with SIGKILL and restarted on its port. Nothing
typed may be lost or stored twice, nothing stored may reach a widget twice or not at all, every
customer message is answered or handed to a person, and every handoff reaches the desk once.

It starts its own stack: killing services would disturb the session's shared one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.soak.faults import ORDER
from tools.soak.report import summary
from tools.soak.run import SoakConfig, run_soak

pytestmark = pytest.mark.slow


@pytest.mark.timeout(1800)  # stack start-up, a minute of traffic, Rasa's restart, the drain
def test_nothing_is_lost_or_duplicated_while_each_service_is_killed_and_restarted(tmp_path: Path) -> None:
    config = SoakConfig(conversations=20, seconds=60)
    result = run_soak(tmp_path / "soak", config)
    report = summary(result)
    assert result.ok, report
    assert [r.service for r in result.restarts] == list(ORDER), report
    figures = result.findings.figures
    assert figures["customer messages stored"] >= 2 * config.conversations, report
    assert result.counters["person requests"] > 0, report
    assert figures["handoffs in the desk"] > 0, report
    assert result.assistant_latency, report
