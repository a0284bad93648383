"""When a long conversation starts a new Rasa session."""

from __future__ import annotations

import pytest

from desk.bot_sessions import BotSessions


@pytest.mark.parametrize(
    ("held", "awaiting", "due"),
    [
        (0, False, False),
        (2, False, False),
        (3, False, True),  # the limit, and the assistant waits for nothing: start a new session
        (3, True, False),  # it waits for "yes"/"no" or a choice: not now
        (5, True, False),
        (6, True, True),  # twice the limit: start one anyway
    ],
)
def test_a_long_bot_session_starts_afresh_at_a_quiet_moment(held: int, awaiting: bool, due: bool):
    sessions = BotSessions(turns=3)
    for _ in range(held):
        sessions.counted("c1")
    assert sessions.due("c1", awaiting_answer=awaiting) is due
    sessions.started("c1")
    assert not sessions.due("c1", awaiting_answer=False)
    assert not sessions.due("other", awaiting_answer=False)
