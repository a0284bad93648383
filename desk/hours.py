"""Business hours ("mon-fri 08:00-20:00, sat 09:00-13:00") and when the next opening is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@dataclass(frozen=True)
class Window:
    day: int  # 0 = Monday
    start: time
    end: time | None  # None = until midnight ("24:00")


class BusinessHours:
    def __init__(self, spec: str, timezone: str) -> None:
        self.spec = spec
        self.zone = ZoneInfo(timezone)
        self.windows = parse_hours(spec)

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        clock = local.time()
        return any(
            w.day == local.weekday() and w.start <= clock and (w.end is None or clock < w.end)
            for w in self.windows
        )

    def next_opening(self, moment: datetime) -> datetime | None:
        """The first moment at or after `moment` when the desk is open; None if never."""
        local = moment.astimezone(self.zone)
        if self.is_open(moment):
            return local
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            starts = sorted(w.start for w in self.windows if w.day == day.weekday())
            for start in starts:
                candidate = datetime.combine(day, start, tzinfo=self.zone)
                if candidate > local:
                    return candidate
        return None


def parse_hours(spec: str) -> list[Window]:
    """Comma-separated groups of `days hh:mm-hh:mm`; days are `mon`, `mon-fri` or `sat+sun`."""
    windows: list[Window] = []
    for group in filter(None, (part.strip().lower() for part in spec.split(","))):
        try:
            days_text, span = group.split()
            start_text, end_text = span.split("-")
            start = time.fromisoformat(start_text)
            end = None if end_text == "24:00" else time.fromisoformat(end_text)
        except ValueError as e:
            raise ValueError(f"business hours group {group!r} is not like 'mon-fri 08:00-20:00'") from e
        if end is not None and end <= start:
            raise ValueError(f"business hours group {group!r} ends before it starts")
        for day in _days(days_text):
            windows.append(Window(day, start, end))
    if not windows:
        raise ValueError("business hours are empty")
    return windows


def _days(text: str) -> list[int]:
    days: list[int] = []
    for part in text.split("+"):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"unknown day in {text!r}; use mon, tue, wed, thu, fri, sat, sun")
        a, b = DAYS.index(first), DAYS.index(last or first)
        days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return days
