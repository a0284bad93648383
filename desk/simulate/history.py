"""`python -m desk.simulate.history [DATABASE]`: exit 0 when the desk's database holds at least
one conversation, 1 when it is missing or empty. `make run` uses it to suggest a backfill
(`make simulate-backfill`) so that a first look at the manager's pages has weeks to show."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from pathlib import Path

DEFAULT = Path("var/desk/desk.sqlite3")


def has_conversations(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return db.execute("SELECT 1 FROM conversations LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return False  # not created yet


if __name__ == "__main__":
    sys.exit(0 if has_conversations(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT) else 1)
