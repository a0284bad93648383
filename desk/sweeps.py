"""Conversations the customer left: no customer message for `DESK_ABANDON_AFTER_MINUTES` after
the last reply (the assistant's or an agent's), or a queued customer whose widget closed that
long ago. Each gets one `abandoned` event per silence; a later customer message starts a new
one. The conversation's state is left as it is (an agent may still close it)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from desk import events as ev
from desk.hub import Hub
from desk.simulated_time import working_on
from desk.state import Mode
from desk.store import Clock, Store, iso, parse_time
from desk.store.conversations import IdleConversation

log = logging.getLogger(__name__)

REPLY_ROLES = ("bot", "agent")


class AbandonedSweep:
    def __init__(self, *, store: Store, hub: Hub, after_seconds: float, clock: Clock) -> None:
        self.store = store
        self.hub = hub
        self.after = timedelta(seconds=after_seconds)
        self.clock = clock

    def sweep(self) -> int:
        """Log the conversations left since the last sweep; how many. Each is judged, and its
        event stamped, on its own clock: a simulated conversation's (desk/simulated_time.py,
        development only; never ahead of the real one) or the real one."""
        found = []
        for idle in self.store.idle_conversations(iso(self.clock() - self.after)):
            with working_on(idle.id):
                left = self._left(idle, self.clock())
                if left is not None:
                    self.store.append_events([left])
                    found.append(left)
        return len(found)

    def _left(self, idle: IdleConversation, moment: datetime) -> ev.NewEvent | None:
        if parse_time(idle.updated_at) >= moment - self.after:
            return None  # a simulated conversation whose own clock has not reached the silence yet
        if idle.mode == Mode.QUEUED and self.hub.customer_connected(idle.id):
            return None  # waiting with the widget open is waiting, not leaving
        replied_last = idle.last_reply_at is not None and (
            idle.last_customer_at is None or idle.last_reply_at >= idle.last_customer_at
        )
        if idle.mode != Mode.QUEUED and not replied_last:
            return None
        if idle.last_abandoned_at is not None and (
            idle.last_customer_at is None or idle.last_abandoned_at >= idle.last_customer_at
        ):
            return None  # already logged for this silence
        since = idle.last_reply_at or idle.last_customer_at or idle.updated_at
        seconds = int((moment - parse_time(since)).total_seconds())
        return ev.NewEvent(idle.id, ev.SYSTEM, ev.Abandoned(idle_seconds=max(0, seconds), mode=idle.mode))


class UnstaffedQueue:
    """Customers never wait in a queue nobody serves: once no agent has been online (or the
    desk has been closed) for `grace_seconds`, every queued conversation becomes a ticket.
    Checked when agents come and go and on every sweep; the grace lets an agent reload the
    console without sending the queue away."""

    def __init__(
        self,
        *,
        available: Callable[[datetime], bool],
        to_tickets: Callable[[], int],
        grace_seconds: float,
        clock: Clock,
    ) -> None:
        self.available = available
        self.to_tickets = to_tickets
        self.grace = timedelta(seconds=grace_seconds)
        self.clock = clock
        self._unstaffed_since: datetime | None = None

    def check(self) -> int:
        moment = self.clock()
        if self.available(moment):
            self._unstaffed_since = None
            return 0
        if self._unstaffed_since is None:
            self._unstaffed_since = moment
        if moment - self._unstaffed_since < self.grace:
            return 0
        return self.to_tickets()
