"""One running system (desk, kb_service, action server, Rasa) shared by the desk's end-to-end
and browser tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tools.stack import Stack, assistant_stack

AGENT_EMAIL, AGENT_PASSWORD, AGENT_NAME = "ana@kestrel.example", "e2e-password-1", "Ana Torres"
DESK_ENV = {"DESK_AGENTS": f"{AGENT_EMAIL}:{AGENT_NAME}:{AGENT_PASSWORD}"}


@pytest.fixture(scope="session")
def desk_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with assistant_stack(tmp_path_factory.mktemp("desk-stack"), with_desk=True, desk_env=DESK_ENV) as running:
        yield running
