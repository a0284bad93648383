"""CSV export: formula-like text made inert, numbers kept, quoting and file names."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from desk.csv_export import csv_filename, csv_text, safe_cell, snapshot_filename


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+1 555", "'+1 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Ana Torres", "Ana Torres"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-3, -3),
        (0.25, 0.25),
        (True, "yes"),
    ],
)
def test_cells(value, written):
    assert safe_cell(value) == written


def test_text_is_rfc4180_with_safe_cells():
    text = csv_text(
        ["Agent", "Conversations", "CSAT"],
        [["=cmd|' /C calc'!A0", 3, 0.5], ['Lee "the fixer", Park', 0, None]],
    )
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["Agent", "Conversations", "CSAT"],
        ["'=cmd|' /C calc'!A0", "3", "0.5"],
        ['Lee "the fixer", Park', "0", ""],
    ]


def test_a_header_is_made_safe_too():
    assert csv_text(["-x"], []) == "'-x\r\n"


def test_file_names_say_what_and_when():
    start, end = date(2024, 5, 1), date(2024, 5, 28)
    assert csv_filename("agents", start, end) == "kestrel-agents-2024-05-01-to-2024-05-28.csv"
    named = csv_filename("topics", start, end, filters=["Cards & PINs", "", "../etc"])
    assert named == "kestrel-topics-cards-pins-etc-2024-05-01-to-2024-05-28.csv"
    assert (
        snapshot_filename("floor-agents", datetime(2024, 5, 28, 14, 30, 5))
        == "kestrel-floor-agents-2024-05-28-1430.csv"
    )
