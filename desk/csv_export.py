"""CSV files of the manager pages' tables: cells a spreadsheet would run as formulas are made
text, and each file gets a name saying what it holds and for which dates."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection"):
# an agent's name or a topic written "=HYPERLINK(...)" must arrive as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | bool | None


def safe_cell(value: Cell) -> str | int | float:
    """A cell as written: numbers as they are (a negative number is a number, not a formula),
    no value as an empty cell, text prefixed with an apostrophe when it could be a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """RFC 4180 text (CRLF line ends, quoting where needed) with every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return out.getvalue()


def csv_filename(table: str, start: date, end: date, *, filters: Sequence[str] = ()) -> str:
    """kestrel-agents-2024-05-01-to-2024-05-28.csv; filters (a topic, an agent) join the name
    in a form any file system accepts."""
    parts = ["kestrel", table, *(_slug(f) for f in filters if f), f"{start:%Y-%m-%d}-to-{end:%Y-%m-%d}"]
    return "-".join(p for p in parts if p) + ".csv"


def snapshot_filename(table: str, at: datetime) -> str:
    """kestrel-floor-agents-2024-05-28-1430.csv: a table of one moment (the live floor)."""
    return f"kestrel-{_slug(table)}-{at:%Y-%m-%d-%H%M}.csv"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]
