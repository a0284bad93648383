"""A small storage library every service's store is written over: one `Database` interface with
two engines, SQLite (the one-machine default) and PostgreSQL (several replicas), the same SQL
(written in SQLite's dialect, rewritten for PostgreSQL by `sqlkit.dialect`) and the same numbered
migrations on both. It imports no service's code and runs on Python 3.10 and 3.11.

    db = sqlkit.connect("var/desk/desk.sqlite3")            # or "postgresql://kestrel@host/db"
    db.migrate(Path("migrations"))
    with db.transaction() as tx:
        tx.execute("INSERT INTO notes (text) VALUES (?)", ("hello",))
    rows = db.rows("SELECT * FROM notes WHERE id > ?", (0,))

docs/contracts/scale-out.md is the contract."""

from sqlkit.database import (
    Database,
    DatabaseUnavailable,
    IntegrityError,
    Listener,
    Migration,
    Result,
    SqlkitError,
    connect,
    is_postgres_url,
    migrations,
)

__all__ = [
    "Database",
    "DatabaseUnavailable",
    "IntegrityError",
    "Listener",
    "Migration",
    "Result",
    "SqlkitError",
    "connect",
    "is_postgres_url",
    "migrations",
]
