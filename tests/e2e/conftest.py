"""One running system (desk, kb_service, action server, Rasa) shared by the desk's end-to-end
and browser tests, twice: one machine's stack ("single": one of each, on SQLite) and a scaled
deployment ("scaled": two replicas of each behind HAProxy, on PostgreSQL and Redis). Every test
that uses `desk_stack` runs on both; pytest groups the tests by the fixture's parameter, so one
stack runs at a time (the first stops before the second starts), and they run after this
folder's other tests, whose own stacks never run beside them; the last stops when this folder's
tests end. Through the scaled stack's proxy, consecutive requests and sockets land on different
replicas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.scaled import ScaledStack, scaled_stack
from tools.stack import Stack, assistant_stack

AGENT_EMAIL, AGENT_PASSWORD, AGENT_NAME = "ana@kestrel.example", "e2e-password-1", "Ana Torres"
DESK_ENV = {"DESK_AGENTS": f"{AGENT_EMAIL}:{AGENT_NAME}:{AGENT_PASSWORD}"}

# The deployment behind a "scaled" desk_stack, by its desk's URL (tests/e2e/test_scaled.py
# reaches single replicas and the proxy's view of them).
_deployments: dict[str, ScaledStack] = {}
FOLDER = Path(__file__).parent


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by desk_stack's parameter
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests on the shared stacks last among this folder's tests (in their order)."""
    here = [i for i, item in enumerate(items) if item.path.is_relative_to(FOLDER)]
    if not here:
        return
    mine = [items[i] for i in here]
    shared = [item for item in mine if "desk_stack" in getattr(item, "fixturenames", ())]
    others = [item for item in mine if "desk_stack" not in getattr(item, "fixturenames", ())]
    for i, item in zip(here, others + shared, strict=True):
        items[i] = item


@pytest.fixture(scope="package", params=["single", "scaled"])
def desk_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if request.param == "single":
        with assistant_stack(
            tmp_path_factory.mktemp("desk-stack"), with_desk=True, desk_env=DESK_ENV
        ) as running:
            yield running
        return
    # Started after the single stack in a whole run, whose knowledge index the first kb replica
    # copies; alone, it builds the index itself (minutes on a busy machine).
    with scaled_stack(
        tmp_path_factory.mktemp("scaled-stack"), replicas=2, env={"desk": DESK_ENV}, timeout=600
    ) as scaled:
        stack = scaled.as_stack()
        assert stack.desk
        _deployments[stack.desk] = scaled
        try:
            yield stack
        finally:
            del _deployments[stack.desk]


def deployment_of(stack: Stack) -> ScaledStack:
    """The scaled deployment a "scaled" desk_stack was made from."""
    assert stack.desk in _deployments, "a test of replicas needs desk_stack's 'scaled' parameter"
    return _deployments[stack.desk]
