"""The handoff payload carries the current session only, capped, however long the conversation."""

from __future__ import annotations

import json

from actions.escalation import Reason
from actions.handoff import MAX_TRANSCRIPT, build_payload

from tests.actions.helpers import bot, tracker, user


def test_the_payload_holds_the_current_session_only_and_at_most_a_cap_of_it() -> None:
    earlier = [user("an old question from last week", "ask_question", at=1_600_000_000.0)]
    long_session = [
        event
        for n in range(200)
        for event in (
            user(f"question number {n}", "ask_question", at=1_700_000_000.0 + n),
            bot(f"answer number {n}", at=1_700_000_000.5 + n),
        )
    ]
    events = [*earlier, {"event": "session_started", "timestamp": 1_650_000_000.0}, *long_session]
    payload = build_payload(tracker(events), Reason.CUSTOMER_REQUEST, "normal")
    texts = [m["text"] for m in payload["transcript"]]
    assert "an old question from last week" not in texts
    assert len(payload["transcript"]) == MAX_TRANSCRIPT
    assert texts[-1] == "answer number 199"
    assert len(payload["turns"]) == MAX_TRANSCRIPT
    assert payload["trigger"]["text"] == "question number 199"
    assert len(json.dumps(payload)) < 64_000
