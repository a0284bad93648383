"""The handoff outbox: every handoff is written here before it is sent (`keep`), marked
delivered once the desk accepts it, and otherwise retried with backoff by a worker that runs
from the action server's start-up on, so a handoff is never dropped: not when the desk is down,
not when the action server is cancelled or restarts in the middle of sending one."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Union

import sqlkit

from actions.errors import RejectedRequest, ServiceUnavailable

log = logging.getLogger(__name__)

Deliver = Callable[[Dict[str, Any]], Awaitable[Dict[str, Any]]]
Clock = Callable[[], float]

MAX_BACKOFF_SECONDS = 300.0
MIGRATIONS = Path(__file__).parent / "migrations"
# Handoffs due for a (re)try, oldest first.
_DUE = (
    "SELECT handoff_id, payload FROM outbox WHERE state = 'pending' AND next_attempt <= ?"
    " ORDER BY next_attempt"
)


class Outbox:
    """The outbox table, in SQLite (a path: one action server) or PostgreSQL (a postgresql://
    URL, `ACTIONS_OUTBOX_URL`: several action servers share it). A due row is claimed (leased
    for `lease_seconds`, with SKIP LOCKED on PostgreSQL) before it is sent, so two workers never
    send one handoff at once; the desk also drops a repeated handoff id."""

    def __init__(
        self, target: Union[Path, str], *, clock: Clock = time.time, lease_seconds: float = 60.0
    ) -> None:
        self.target = target
        self._clock = clock
        self._lease = lease_seconds
        self._db = sqlkit.connect(target)
        self._db.migrate(MIGRATIONS)

    def close(self) -> None:
        self._db.close()

    def keep(self, payload: Dict[str, Any], *, hold_seconds: float) -> None:
        """Write a handoff down before sending it; the worker leaves it alone for `hold_seconds`
        (the sender's own attempt), then retries it unless it was marked delivered."""
        with self._db.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO outbox (handoff_id, payload, next_attempt, last_error)"
                " VALUES (?, ?, ?, 'not delivered yet')",
                (payload["handoff_id"], json.dumps(payload), self._clock() + hold_seconds),
            )

    def add(self, payload: Dict[str, Any], error: str, *, rejected: bool = False) -> None:
        """Keep a request: `pending` to retry, or `rejected` (the desk refused it: a bug to
        look into, never retried blindly)."""
        with self._db.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO outbox (handoff_id, payload, next_attempt, last_error, state)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    payload["handoff_id"],
                    json.dumps(payload),
                    self._clock(),
                    error,
                    "rejected" if rejected else "pending",
                ),
            )

    def pending(self, now: Optional[float] = None) -> List[Dict[str, Any]]:
        """What is due by `now` (read only: `claim` takes it for sending)."""
        now = self._clock() if now is None else now
        return [json.loads(row[1]) for row in self._db.rows(_DUE, (now,))]

    def claim(self, now: Optional[float] = None) -> List[Dict[str, Any]]:
        """Take what is due by `now` for sending: each row's next attempt moves a lease ahead,
        so another worker leaves it alone (until the lease ends, should this one die)."""
        now = self._clock() if now is None else now
        with self._db.transaction() as db:
            rows = db.execute(f"{_DUE} LIMIT 100{self._db.skip_locked}", (now,)).fetchall()
            for row in rows:
                db.execute(
                    "UPDATE outbox SET next_attempt = ? WHERE handoff_id = ?",
                    (now + self._lease, row[0]),
                )
        return [json.loads(row[1]) for row in rows]

    def release(self, handoff_ids: List[str]) -> None:
        """Give claimed rows back, due now (a sender that gave up before finishing)."""
        with self._db.transaction() as db:
            for handoff_id in handoff_ids:
                db.execute(
                    "UPDATE outbox SET next_attempt = ? WHERE handoff_id = ? AND state = 'pending'",
                    (self._clock(), handoff_id),
                )

    def count(self, state: str = "pending") -> int:
        rows = self._db.rows("SELECT COUNT(*) FROM outbox WHERE state = ?", (state,))
        return int(rows[0][0])

    def delivered(self, handoff_id: str) -> None:
        with self._db.transaction() as db:
            db.execute("DELETE FROM outbox WHERE handoff_id = ?", (handoff_id,))

    def failed(self, handoff_id: str, error: str, *, permanent: bool = False) -> None:
        with self._db.transaction() as db:
            row = db.execute("SELECT attempts FROM outbox WHERE handoff_id = ?", (handoff_id,)).fetchone()
            attempts = (row[0] if row else 0) + 1
            backoff = min(MAX_BACKOFF_SECONDS, 2.0**attempts)
            db.execute(
                "UPDATE outbox SET attempts = ?, next_attempt = ?, last_error = ?, state = ?"
                " WHERE handoff_id = ?",
                (
                    attempts,
                    self._clock() + backoff,
                    error,
                    "rejected" if permanent else "pending",
                    handoff_id,
                ),
            )

    async def flush(self, deliver: Deliver, now: Optional[float] = None) -> int:
        """Try every request due by `now` once; returns how many the desk accepted."""
        accepted = 0
        claimed = self.claim(now)
        for index, payload in enumerate(claimed):
            handoff_id = payload["handoff_id"]
            try:
                await deliver(payload)
            except asyncio.CancelledError:
                # The round was given up (a hung send): what it still held is due again at once.
                self.release([p["handoff_id"] for p in claimed[index:]])
                raise
            except ServiceUnavailable as e:
                self.failed(handoff_id, str(e))
            except RejectedRequest as e:
                log.error("desk rejected handoff %s; kept for inspection: %s", handoff_id, e)
                self.failed(handoff_id, str(e), permanent=True)
            else:
                self.delivered(handoff_id)
                accepted += 1
                log.info(
                    "handoff %s delivered from the outbox (conversation %s)",
                    handoff_id,
                    payload["conversation_id"],
                )
        return accepted


class OutboxWorker:
    """Retries the outbox in the background of the action server's event loop; started when the
    server starts (actions/__main__.py), and again by any handoff should it have stopped."""

    def __init__(
        self, outbox: Outbox, deliver: Deliver, interval: float, *, flush_timeout: float = 60.0
    ) -> None:
        self.outbox = outbox
        self._deliver = deliver
        self._interval = interval
        self._flush_timeout = flush_timeout
        self._task: Optional[asyncio.Task[None]] = None

    def ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                await self._flush_bounded()
            except Exception:  # the worker must outlive any single failure
                log.exception("outbox flush failed")
            await asyncio.sleep(self._interval)

    async def _flush_bounded(self) -> None:
        """One round, bounded: a send that hangs (a connection left broken by a restart) must not
        stop every later retry; what is left is tried again on the next round. Not
        `asyncio.wait_for`: on Python 3.10 it can swallow the worker's own cancellation when the
        round ends at the same moment, and the worker then never stops (seen as a hung test)."""
        flush = asyncio.ensure_future(self.outbox.flush(self._deliver))
        try:
            done, _ = await asyncio.wait({flush}, timeout=self._flush_timeout)
        except asyncio.CancelledError:
            flush.cancel()
            raise
        if not done:
            flush.cancel()  # it gives what it still held back, due at once
            await asyncio.wait({flush}, timeout=1.0)
            log.error("outbox flush took over %.0f s; trying again", self._flush_timeout)
            return
        flush.result()
