"""The retention period: closed conversations with no activity for `DESK_RETENTION_DAYS` lose
what was said in them (desk/store/retention.py), from a sweep once an hour and from
`python -m desk purge`. Zero keeps everything."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from desk.store import Clock, Store, iso

log = logging.getLogger(__name__)

BATCH = 500
SWEEP_EVERY = timedelta(hours=1)


class Retention:
    def __init__(self, *, store: Store, days: int, clock: Clock) -> None:
        self.store = store
        self.days = days
        self.clock = clock
        self._next: datetime | None = None

    def purge(self, days: int | None = None) -> tuple[int, int]:
        """Purge every conversation past the period: (conversations, messages)."""
        days = self.days if days is None else days
        if days <= 0:
            return 0, 0
        before = iso(self.clock() - timedelta(days=days))
        conversations = messages = 0
        while batch := self.store.purgeable(before, BATCH):
            messages += self.store.purge(batch)
            conversations += len(batch)
        if conversations:
            log.info("retention: purged %d conversation(s), %d message(s)", conversations, messages)
        return conversations, messages

    def sweep(self) -> None:
        """Called by the desk's background sweep; purges at most once an hour."""
        moment = self.clock()
        if self._next is not None and moment < self._next:
            return
        self._next = moment + SWEEP_EVERY
        self.purge()
