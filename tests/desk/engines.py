"""The store's tests run on both engines: `database_target` (tests/conftest.py) is a SQLite file
path or the URL of a fresh PostgreSQL database; these turn it into the desk's settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlkit


def is_postgres(target: str) -> bool:
    return sqlkit.is_postgres_url(target)


def database_settings(target: str) -> dict[str, Any]:
    """The Settings fields that open this database (DESK_DATABASE_URL or DESK_DATABASE_PATH)."""
    return {"database_url": target} if is_postgres(target) else {"database_path": Path(target)}


def database_env(target: str) -> dict[str, str]:
    """The same as environment variables, for the command line."""
    if is_postgres(target):
        return {"DESK_DATABASE_URL": target}
    return {"DESK_DATABASE_URL": "", "DESK_DATABASE_PATH": target}
