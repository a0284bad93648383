"""The suite runs in two environments: tests/actions needs rasa-sdk (Python 3.10, `.venv/rasa`),
everything else the services' Python 3.11 (`.venv/svc`). `make test` runs both."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("rasa_sdk") else ["actions"]

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(params=ENGINES)
def database_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database for a store's contract tests, once per engine: a SQLite file path, or
    the URL of a PostgreSQL database created for the test and dropped after (TEST_POSTGRES_URL;
    `make test` starts the local server when it is not running). Never skipped."""
    from sqlkit.testing import temporary_database

    with temporary_database(request.param, tmp_path) as target:
        yield target
