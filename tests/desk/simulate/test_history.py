"""`python -m desk.simulate.history`: whether the desk's database (a SQLite file or a PostgreSQL
URL) holds a conversation yet, which `make run` asks to suggest a backfill."""

from __future__ import annotations

from desk.simulate.history import has_conversations
from desk.store import Store


def test_a_missing_an_empty_and_a_used_database(database_target: str) -> None:
    assert not has_conversations(database_target)  # no file, or no tables yet
    store = Store(database_target)
    assert not has_conversations(database_target)
    store.create_conversation("c1", {})
    assert has_conversations(database_target)
    store.close()


def test_an_unreachable_database_has_none() -> None:
    assert not has_conversations("postgresql://nobody@127.0.0.1:1/none")
