"""The contract both engines keep: run against SQLite and PostgreSQL alike."""

import threading
from pathlib import Path

import pytest

import sqlkit
from sqlkit import Database, IntegrityError

MIGRATION_1 = """-- notes
CREATE TABLE notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    score REAL NOT NULL DEFAULT 0,
    meta TEXT NOT NULL DEFAULT '{}',
    actor TEXT NOT NULL DEFAULT 'agent:1' CHECK (actor LIKE 'agent:%')
);
"""
MIGRATION_2 = "ALTER TABLE notes ADD COLUMN seen INTEGER NOT NULL DEFAULT 0;\n"


@pytest.fixture
def db(database_target: str, tmp_path: Path) -> Database:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_notes.sql").write_text(MIGRATION_1)
    (folder / "002_seen.sql").write_text(MIGRATION_2)
    database = sqlkit.connect(database_target)
    assert database.migrate(folder) == 2
    assert database.migrate(folder) == 2  # a second start applies nothing
    yield database
    database.close()


def test_insert_read_lastrowid_and_rowcount(db: Database) -> None:
    with db.transaction() as tx:
        first = tx.execute("INSERT INTO notes (key, body, score) VALUES (?, ?, ?)", ("a", "x", 1.25))
        second = tx.execute("INSERT INTO notes (key, body) VALUES (?, ?)", ("b", "y"))
        assert second.lastrowid == (first.lastrowid or 0) + 1
        ignored = tx.execute("INSERT OR IGNORE INTO notes (key, body) VALUES (?, ?)", ("a", "z"))
        assert ignored.rowcount == 0
    rows = db.rows("SELECT * FROM notes ORDER BY id")
    assert [(r["key"], r["body"], r["score"], r["seen"]) for r in rows] == [
        ("a", "x", 1.25, 0),
        ("b", "y", 0, 0),
    ]
    assert rows[0][1] == "a"
    assert dict(rows[0])["key"] == "a"
    with db.transaction() as tx:
        assert tx.execute("UPDATE notes SET seen = 1 WHERE id > ?", (0,)).rowcount == 2


def _insert_then_fail(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute("INSERT INTO notes (key, body) VALUES (?, ?)", ("a", "x"))
        raise RuntimeError("stop")


def _nested_then_fail(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute("INSERT INTO notes (key, body) VALUES (?, ?)", ("a", "x"))
        with db.transaction() as inner:
            inner.execute("INSERT INTO notes (key, body) VALUES (?, ?)", ("b", "y"))
            assert len(db.rows("SELECT * FROM notes")) == 2  # reads see the open transaction
        raise RuntimeError("stop")


def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        _insert_then_fail(db)
    assert db.rows("SELECT COUNT(*) AS n FROM notes")[0]["n"] == 0


def test_nested_transactions_join_the_outer_one(db: Database) -> None:
    with pytest.raises(RuntimeError):
        _nested_then_fail(db)
    assert db.rows("SELECT * FROM notes") == []


def test_constraint_violations_are_one_error_type(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute("INSERT INTO notes (key, body) VALUES (?, ?)", ("a", "x"))
    with pytest.raises(IntegrityError), db.transaction() as tx:
        tx.execute("INSERT INTO notes (key, body) VALUES (?, ?)", ("a", "again"))
    with pytest.raises(IntegrityError), db.transaction() as tx:
        tx.execute("INSERT INTO notes (key, body, actor) VALUES (?, ?, ?)", ("c", "x", "customer"))
    assert len(db.rows("SELECT * FROM notes")) == 1


def test_json_fields_and_like(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO notes (key, body, meta) VALUES (?, ?, ?)", ("a", "Hello", '{"topic": "cards"}')
        )
    rows = db.rows("SELECT json_extract(meta, '$.topic') AS topic FROM notes WHERE body LIKE ?", ("hel%",))
    assert [r["topic"] for r in rows] == ["cards"]


def test_singletons_and_notifications(db: Database) -> None:
    heard: list[dict] = []
    done = threading.Event()

    def hear(payload: dict) -> None:
        heard.append(payload)
        done.set()

    listener = db.listen("kestrel_test", hear)
    with db.transaction():
        db.notify("kestrel_test", {"n": 1})
        assert heard == []  # not before the commit
    assert done.wait(5)
    assert heard == [{"n": 1}]
    listener.close()
    with db.try_singleton("sweep") as mine:
        assert mine


def test_postgres_singletons_exclude_each_other(tmp_path: Path) -> None:
    from sqlkit.testing import temporary_postgres

    with temporary_postgres() as url:
        a, b = sqlkit.connect(url), sqlkit.connect(url)
        try:
            with a.try_singleton("sweep") as first, b.try_singleton("sweep") as second:
                assert (first, second) == (True, False)
            with b.try_singleton("sweep") as again:
                assert again
        finally:
            a.close()
            b.close()


def test_unreachable_postgres_is_a_clear_error() -> None:
    with pytest.raises(sqlkit.DatabaseUnavailable, match="unreachable"):
        sqlkit.connect("postgresql://nobody@127.0.0.1:1/none", connect_timeout=1)


def test_other_urls_are_refused() -> None:
    with pytest.raises(sqlkit.SqlkitError, match="unsupported"):
        sqlkit.connect("mysql://x/y")


def test_a_migration_statement_can_be_for_one_engine_only() -> None:
    from sqlkit.database import statements

    sql = """CREATE TABLE a (x INTEGER);
-- sqlkit: sqlite only
CREATE TRIGGER a_fixed BEFORE UPDATE ON a
BEGIN
    SELECT RAISE(ABORT, 'fixed; for good');
END;
-- why PostgreSQL needs its own (any comment lines may come first)
-- sqlkit: postgresql only
DROP TABLE b CASCADE;
SELECT 1;
"""
    create = "CREATE TABLE a (x INTEGER);"
    trigger = (
        "CREATE TRIGGER a_fixed BEFORE UPDATE ON a\nBEGIN\n    SELECT RAISE(ABORT, 'fixed; for good');\nEND;"
    )
    assert statements(sql, "sqlite") == [create, trigger, "SELECT 1;"]
    assert statements(sql, "postgresql") == [create, "DROP TABLE b CASCADE;", "SELECT 1;"]
    assert len(statements(sql)) == 4


def test_a_percent_sign_in_a_migration_stays_one(db: Database) -> None:
    """CHECK (actor LIKE 'agent:%') in MIGRATION_1: the pattern is stored as written."""
    with db.transaction() as tx:
        tx.execute("INSERT INTO notes (key, body, actor) VALUES (?, ?, ?)", ("a", "x", "agent:7"))
    if db.dialect == "postgresql":
        [row] = db.rows(
            "SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = 'notes_actor_check'"
        )
        assert "'agent:%'" in row["d"]
