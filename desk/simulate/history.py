"""`python -m desk.simulate.history [DATABASE]`: exit 0 when the desk's database (a SQLite file,
or a postgresql:// URL) holds at least one conversation, 1 when it is missing or empty. `make
run` uses it to suggest a backfill (`make simulate-backfill`) so that a first look at the
manager's pages has weeks to show."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from pathlib import Path

import sqlkit

DEFAULT = Path("var/desk/desk.sqlite3")


def has_conversations(target: str | Path) -> bool:
    if sqlkit.is_postgres_url(str(target)):
        return _postgres_has_conversations(str(target))
    path = Path(target)
    if not path.exists():
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return db.execute("SELECT 1 FROM conversations LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return False  # not created yet


def _postgres_has_conversations(url: str) -> bool:
    try:
        db = sqlkit.connect(url, pool_size=1)
    except sqlkit.SqlkitError:
        return False  # not reachable: the desk's own start says why
    try:
        if not db.rows(
            "SELECT 1 FROM information_schema.tables WHERE table_name = 'conversations'"
            " AND table_schema = current_schema()"
        ):
            return False  # not created yet
        return bool(db.rows("SELECT 1 FROM conversations LIMIT 1"))
    finally:
        db.close()


if __name__ == "__main__":
    sys.exit(0 if has_conversations(sys.argv[1] if len(sys.argv) > 1 else DEFAULT) else 1)
