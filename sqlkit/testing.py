"""Fresh databases for tests: a SQLite file, or a PostgreSQL database created for the test and
dropped after (`TEST_POSTGRES_URL`, default the local server's `postgres` database)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)


def postgres_available(url: str | None = None) -> bool:
    try:
        import psycopg

        with psycopg.connect(url or admin_url(), connect_timeout=2):
            return True
    except Exception:
        return False


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@contextmanager
def temporary_postgres(prefix: str = "kestrel_test", url: str | None = None) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped (with its connections) afterwards."""
    import psycopg

    admin = url or admin_url()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(admin, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def temporary_database(engine: str, folder: Path) -> Iterator[str]:
    """A database URL (PostgreSQL) or file path (SQLite) for one test."""
    if engine == "postgresql":
        with temporary_postgres() as url:
            yield url
    else:
        yield str(folder / f"{uuid.uuid4().hex[:8]}.sqlite3")
