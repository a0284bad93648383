"""Limits on anonymous widget traffic: every frame type per connection, frames and messages per
client address across all its connections (so reconnecting does not reset them), and new
conversations per address. Memory stays bounded: each window holds at most its limit of
timestamps, and only the most recently seen `MAX_ADDRESSES` addresses are remembered.

The per-address windows are `Windows`: in-process here, or shared by every replica through Redis
(desk/replicas/limits.py, when DESK_REDIS_URL is set); the per-connection budgets stay local."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Protocol

from desk.config import Settings

MAX_ADDRESSES = 10_000
# A connection refused this many frames is closed: it is not a person typing.
MAX_REFUSALS = 50
# Per connection and per minute, for the frame types whose budget does not follow
# DESK_MESSAGES_PER_MINUTE (message, handoff_request and older do).
FRAME_BUDGETS = {"contact": 10, "typing": 120, "ack": 240, "ping": 60, "csat": 10, "csat_dismiss": 10}
MESSAGE_FRAMES = frozenset({"message", "handoff_request"})

Clock = Callable[[], float]


class SlidingWindow:
    """At most `limit` events in any `seconds`."""

    __slots__ = ("_clock", "_times", "limit", "seconds")

    def __init__(self, limit: int, seconds: float, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self.seconds = seconds
        self._clock = clock
        self._times: deque[float] = deque()

    def allow(self) -> bool:
        moment = self._clock()
        while self._times and moment - self._times[0] >= self.seconds:
            self._times.popleft()
        if len(self._times) >= self.limit:
            return False
        self._times.append(moment)
        return True


class Windows(Protocol):
    """A sliding window per key (a client address): at most `limit` events in any `seconds`."""

    async def allow(self, key: str) -> bool: ...


# Makes the windows of one kind: (kind, limit, seconds). The kind names the Redis key.
WindowsFactory = Callable[[str, int, float], Windows]


class WindowsByAddress:
    """A sliding window per client address, for the most recently seen `max_keys` addresses."""

    def __init__(
        self, limit: int, seconds: float, *, max_keys: int = MAX_ADDRESSES, clock: Clock = time.monotonic
    ) -> None:
        self.limit = limit
        self.seconds = seconds
        self.max_keys = max_keys
        self._clock = clock
        self._windows: OrderedDict[str, SlidingWindow] = OrderedDict()

    async def allow(self, address: str) -> bool:
        window = self._windows.get(address)
        if window is None:
            window = self._windows[address] = SlidingWindow(self.limit, self.seconds, self._clock)
            if len(self._windows) > self.max_keys:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(address)
        return window.allow()

    def __len__(self) -> int:
        return len(self._windows)


class WidgetLimits:
    """The desk's per-address budgets; `connection()` gives each widget socket its own."""

    def __init__(
        self, settings: Settings, clock: Clock = time.monotonic, *, windows: WindowsFactory | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock

        def in_process(_kind: str, limit: int, seconds: float) -> Windows:
            return WindowsByAddress(limit, seconds, clock=clock)

        make = windows or in_process
        self.new_conversations = make("new_conversations", settings.new_conversations_per_hour, 3600)
        self.frames = make("address_frames", settings.address_frames_per_minute, 60)
        self.messages = make("address_messages", settings.address_messages_per_minute, 60)

    async def may_start_conversation(self, address: str) -> bool:
        return await self.new_conversations.allow(address)

    def connection(self, address: str) -> ConnectionLimits:
        return ConnectionLimits(self, address)


class ConnectionLimits:
    """One widget socket's budgets, checked together with its address's."""

    def __init__(self, owner: WidgetLimits, address: str) -> None:
        self.owner = owner
        self.address = address
        per_minute = owner.settings.messages_per_minute
        budgets = {**FRAME_BUDGETS, "message": per_minute, "older": per_minute}
        self._windows = {kind: SlidingWindow(limit, 60, owner.clock) for kind, limit in budgets.items()}
        self._windows["handoff_request"] = self._windows["message"]  # one budget for both
        self.refusals = 0

    async def allow(self, kind: str) -> bool:
        """Whether a frame of this type may be handled now; a refusal is counted."""
        window = self._windows.get(kind)
        allowed = (
            (window is None or window.allow())
            and await self.owner.frames.allow(self.address)
            and (kind not in MESSAGE_FRAMES or await self.owner.messages.allow(self.address))
        )
        if not allowed:
            self.refusals += 1
        return allowed

    @property
    def exhausted(self) -> bool:
        return self.refusals >= MAX_REFUSALS
