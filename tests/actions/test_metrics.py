"""The action server's /metrics: pending and refused handoffs, for an operator's alerting."""

from __future__ import annotations

from pathlib import Path

from actions.__main__ import metrics_text
from actions.outbox import Outbox


def test_metrics_count_pending_and_refused_handoffs(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    assert "kestrel_actions_outbox_refused 0" in metrics_text(outbox)
    outbox.add({"handoff_id": "ho_pending_1"}, "desk down")
    outbox.add({"handoff_id": "ho_refused_1"}, "401 from the desk", rejected=True)
    text = metrics_text(outbox)
    assert "kestrel_actions_outbox_pending 1\n" in text
    assert "kestrel_actions_outbox_refused 1\n" in text
