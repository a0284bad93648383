import pytest

from sqlkit.dialect import to_postgres


@pytest.mark.parametrize(
    ("sqlite", "postgres"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = %s AND b = %s"),
        ("SELECT '?' FROM t WHERE a = ?", "SELECT '?' FROM t WHERE a = %s"),
        (
            "INSERT OR IGNORE INTO t (a) VALUES (?)",
            "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING",
        ),
        (
            "INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING id",
            "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING RETURNING id",
        ),
        (
            "SELECT json_extract(e.payload, '$.article_id') FROM e WHERE x = ?",
            "SELECT (e.payload::jsonb ->> 'article_id') FROM e WHERE x = %s",
        ),
        ("SELECT 1 FROM t WHERE a LIKE 'x%' AND b = ?", "SELECT 1 FROM t WHERE a ILIKE 'x%%' AND b = %s"),
        ("SELECT CAST(a AS REAL) FROM t", "SELECT CAST(a AS DOUBLE PRECISION) FROM t"),
        ("SELECT 'it''s ?' , ? FROM t", "SELECT 'it''s ?' , %s FROM t"),
    ],
)
def test_statements_are_rewritten_outside_quotes(sqlite: str, postgres: str) -> None:
    assert to_postgres(sqlite) == postgres


def test_without_parameters_percent_signs_stay() -> None:
    assert to_postgres("SELECT 'a%' LIKE 'a%'", with_params=False) == "SELECT 'a%' ILIKE 'a%'"


@pytest.mark.parametrize(
    ("sqlite", "postgres"),
    [
        ("id INTEGER PRIMARY KEY AUTOINCREMENT,", "id BIGSERIAL PRIMARY KEY,"),
        (
            "n INTEGER NOT NULL DEFAULT 0, v BLOB, r REAL",
            "n BIGINT NOT NULL DEFAULT 0, v BYTEA, r DOUBLE PRECISION",
        ),
        ("integer_count TEXT DEFAULT 'INTEGER'", "integer_count TEXT DEFAULT 'INTEGER'"),
    ],
)
def test_migrations_get_postgres_types(sqlite: str, postgres: str) -> None:
    assert to_postgres(sqlite, with_params=False, ddl=True) == postgres
