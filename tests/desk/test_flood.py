"""Limits on anonymous widget traffic, with a hand-driven clock."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from desk.config import Settings
from desk.flood import MAX_REFUSALS, SlidingWindow, WidgetLimits, WindowsByAddress

T = TypeVar("T")


def sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """The limits are async (shared ones ask Redis); the in-process ones answer at once."""
    return asyncio.run(coroutine)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_window_allows_its_limit_then_frees_up_as_time_passes():
    clock = FakeClock()
    window = SlidingWindow(3, 60, clock)
    assert [window.allow() for _ in range(4)] == [True, True, True, False]
    clock.now += 59
    assert not window.allow()
    clock.now += 1
    assert window.allow()


def test_windows_by_address_remember_a_bounded_number_of_addresses():
    clock = FakeClock()
    windows = WindowsByAddress(1, 60, max_keys=3, clock=clock)
    assert sync(windows.allow("a"))
    assert not sync(windows.allow("a"))
    for address in ("b", "c", "d"):  # "a" is the least recently seen: forgotten first
        assert sync(windows.allow(address))
    assert len(windows) == 3
    assert sync(windows.allow("a"))  # forgotten, so allowed again: memory, not safety, is bounded here


def test_every_frame_type_has_a_budget_per_connection():
    clock = FakeClock()
    limits = WidgetLimits(Settings(messages_per_minute=2), clock)
    connection = limits.connection("10.0.0.1")
    assert [sync(connection.allow("message")) for _ in range(3)] == [True, True, False]
    assert not sync(connection.allow("handoff_request"))  # shares the message budget
    assert all(sync(connection.allow("typing")) for _ in range(120))
    assert not sync(connection.allow("typing"))
    assert sync(connection.allow("ack"))


def test_an_address_keeps_its_budget_across_connections():
    clock = FakeClock()
    limits = WidgetLimits(Settings(messages_per_minute=5, address_messages_per_minute=6), clock)
    first = limits.connection("10.0.0.1")
    assert all(sync(first.allow("message")) for _ in range(5))
    second = limits.connection("10.0.0.1")  # a reconnect starts no new address budget
    assert sync(second.allow("message"))
    assert not sync(second.allow("message"))
    assert sync(limits.connection("10.0.0.2").allow("message"))  # another address has its own
    clock.now += 60
    assert sync(second.allow("message"))


def test_new_conversations_are_capped_per_address_per_hour():
    clock = FakeClock()
    limits = WidgetLimits(Settings(new_conversations_per_hour=2), clock)
    assert [sync(limits.may_start_conversation("10.0.0.1")) for _ in range(3)] == [True, True, False]
    assert sync(limits.may_start_conversation("10.0.0.9"))
    clock.now += 3600
    assert sync(limits.may_start_conversation("10.0.0.1"))


def test_a_connection_that_keeps_pushing_is_exhausted():
    limits = WidgetLimits(Settings(), FakeClock())
    connection = limits.connection("10.0.0.1")
    for _ in range(60 + MAX_REFUSALS):
        sync(connection.allow("ping"))
    assert connection.exhausted
