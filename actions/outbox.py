"""The handoff outbox: every handoff is written here before it is sent (`keep`), marked
delivered once the desk accepts it, and otherwise retried with backoff by a worker that runs
from the action server's start-up on, so a handoff is never dropped: not when the desk is down,
not when the action server is cancelled or restarts in the middle of sending one."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

from actions.errors import RejectedRequest, ServiceUnavailable

log = logging.getLogger(__name__)

Deliver = Callable[[Dict[str, Any]], Awaitable[Dict[str, Any]]]
Clock = Callable[[], float]

MAX_BACKOFF_SECONDS = 300.0


class Outbox:
    def __init__(self, path: Path, *, clock: Clock = time.time) -> None:
        self.path = path
        self._clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                """CREATE TABLE IF NOT EXISTS outbox (
                    handoff_id TEXT PRIMARY KEY,
                    payload TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt REAL NOT NULL,
                    state TEXT NOT NULL DEFAULT 'pending',
                    last_error TEXT
                )"""
            )

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("PRAGMA synchronous=FULL")
        return db

    def keep(self, payload: Dict[str, Any], *, hold_seconds: float) -> None:
        """Write a handoff down before sending it; the worker leaves it alone for `hold_seconds`
        (the sender's own attempt), then retries it unless it was marked delivered."""
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO outbox (handoff_id, payload, next_attempt, last_error)"
                " VALUES (?, ?, ?, 'not delivered yet')",
                (payload["handoff_id"], json.dumps(payload), self._clock() + hold_seconds),
            )

    def add(self, payload: Dict[str, Any], error: str, *, rejected: bool = False) -> None:
        """Keep a request: `pending` to retry, or `rejected` (the desk refused it: a bug to
        look into, never retried blindly)."""
        with self._lock, self._connect() as db:
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
        now = self._clock() if now is None else now
        with self._lock, self._connect() as db:
            rows = db.execute(
                "SELECT payload FROM outbox WHERE state = 'pending' AND next_attempt <= ?"
                " ORDER BY next_attempt",
                (now,),
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def count(self, state: str = "pending") -> int:
        with self._lock, self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM outbox WHERE state = ?", (state,)).fetchone()[0])

    def delivered(self, handoff_id: str) -> None:
        with self._lock, self._connect() as db:
            db.execute("DELETE FROM outbox WHERE handoff_id = ?", (handoff_id,))

    def failed(self, handoff_id: str, error: str, *, permanent: bool = False) -> None:
        with self._lock, self._connect() as db:
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
        for payload in self.pending(now):
            handoff_id = payload["handoff_id"]
            try:
                await deliver(payload)
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
                # Bounded: a send that hangs (a connection left broken by a restart) must not
                # stop every later retry; what is left is tried again on the next round.
                await asyncio.wait_for(self.outbox.flush(self._deliver), self._flush_timeout)
            except asyncio.TimeoutError:
                log.error("outbox flush took over %.0f s; trying again", self._flush_timeout)
            except Exception:  # the worker must outlive any single failure
                log.exception("outbox flush failed")
            await asyncio.sleep(self._interval)
