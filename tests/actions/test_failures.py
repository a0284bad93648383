"""An action that fails answers the customer honestly and logs no customer text."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from actions.handoff import FAILED_TEXT, PERSON_BUTTON
from actions.kb_answer import ActionAnswerQuestion

from tests.actions.helpers import FakeBackends, run, services, user

SECRET_TEXT = "my email is jo@example.com and card 4111 1111 1111 1111"


def test_a_failing_action_tells_the_customer_and_logs_no_customer_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    svc = services(FakeBackends(), tmp_path)

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"unexpected answer for {SECRET_TEXT}")

    svc.kb.search = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.DEBUG):
        result = run(ActionAnswerQuestion(svc), [user(SECRET_TEXT, "ask_question")])
    assert result.texts == [FAILED_TEXT]
    assert result.messages[0]["buttons"] == [PERSON_BUTTON]
    assert result.events == []
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1
    assert "action_answer_question failed with ValueError" in failures[0].getMessage()
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert "jo@example.com" not in logged
    assert "4111" not in logged
