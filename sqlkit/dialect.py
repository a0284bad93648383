"""SQL written once in SQLite's dialect, rewritten for PostgreSQL.

Statements: `?` placeholders become `%s` (and a literal `%` becomes `%%` where parameters are
passed); `INSERT OR IGNORE` becomes `INSERT ... ON CONFLICT DO NOTHING`; `json_extract(x, '$.k')`
becomes `(x::jsonb ->> 'k')` (text: compare it with text); `LIKE` becomes `ILIKE` (SQLite's LIKE
ignores ASCII case); `REAL` becomes `DOUBLE PRECISION` (SQLite's REAL is 8 bytes).
Migrations additionally: `INTEGER PRIMARY KEY AUTOINCREMENT` becomes `BIGSERIAL PRIMARY KEY`,
`INTEGER` becomes `BIGINT` and `BLOB` becomes `BYTEA`.

The rewrite never touches quoted text ('...' strings and "..." identifiers)."""

from __future__ import annotations

import re
from functools import lru_cache

_JSON_EXTRACT = re.compile(r"json_extract\(\s*([A-Za-z_][\w.]*)\s*,\s*'\$\.([A-Za-z_]\w*)'\s*\)", re.I)
_INSERT_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.I)
_WORDS = {
    "LIKE": "ILIKE",
    "REAL": "DOUBLE PRECISION",
}
_DDL_WORDS = {**_WORDS, "INTEGER": "BIGINT", "BLOB": "BYTEA"}
_AUTOINCREMENT = re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b", re.I)
_WORD = re.compile(r"[A-Za-z_]\w*")


def _segments(sql: str) -> list[tuple[bool, str]]:
    """The statement cut into (quoted, text) pieces: quoted pieces are left alone."""
    pieces: list[tuple[bool, str]] = []
    i, start, n = 0, 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            if i > start:
                pieces.append((False, sql[start:i]))
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:  # a doubled quote inside
                        j += 2
                        continue
                    break
                j += 1
            pieces.append((True, sql[i : j + 1]))
            i = start = j + 1
            continue
        i += 1
    if start < n:
        pieces.append((False, sql[start:]))
    return pieces


def _words(text: str, table: dict[str, str]) -> str:
    return _WORD.sub(lambda m: table.get(m.group(0).upper(), m.group(0)), text)


@lru_cache(maxsize=2048)
def to_postgres(sql: str, *, with_params: bool = True, ddl: bool = False) -> str:
    """The PostgreSQL form of one SQLite-dialect statement (cached: statements are constants)."""
    ignore = bool(_INSERT_OR_IGNORE.match(sql))
    if ignore:
        sql = _INSERT_OR_IGNORE.sub("INSERT INTO", sql, count=1)
    sql = _JSON_EXTRACT.sub(lambda m: f"({m.group(1)}::jsonb ->> '{m.group(2)}')", sql)
    if ddl:
        sql = _AUTOINCREMENT.sub("BIGSERIAL PRIMARY KEY", sql)
    table = _DDL_WORDS if ddl else _WORDS
    out = []
    for quoted, text in _segments(sql):
        if quoted:
            out.append(text.replace("%", "%%") if with_params else text)
            continue
        plain = text.replace("%", "%%").replace("?", "%s") if with_params else text
        out.append(_words(plain, table))
    result = "".join(out).rstrip().rstrip(";")
    if ignore:
        result = _before_returning(result, " ON CONFLICT DO NOTHING")
    return result


def _before_returning(sql: str, clause: str) -> str:
    match = re.search(r"\sRETURNING\s", sql, re.I)
    if match is None:
        return sql + clause
    return sql[: match.start()] + clause + sql[match.start() :]
