"""Keeping a replica's knowledge base in line with what the other replicas change.

Every replica LISTENs on `kestrel_kb` (kb_service/changes.py) and applies each notice from the
store, as the writer did: one article re-read and re-embedded if its published content changed
(`KnowledgeBase.refresh`), a whole import synced (`sync_from_store`), the approved examples
re-read (`ExampleBook.sync_from_store`). A notice tells what to re-read, never the content, so
notices applied late or twice do no harm. When the notice channel was lost, notices may have
been missed: on reconnecting the replica reconciles its whole index with the store, the way a
start does from the saved index.

LISTEN starts before the knowledge base's first sync, so nothing committed after that sync's
reads goes unheard; notices that arrive before the first sync is done wait for it."""

from __future__ import annotations

import logging
import threading
from typing import Any

from kb_service.changes import CHANNEL, IMPORT, Notice
from kb_service.knowledge import KnowledgeBase
from sqlkit import Database, Listener

log = logging.getLogger(__name__)


class Follower:
    """Applies the other replicas' notices to one knowledge base (on the listener's thread)."""

    def __init__(self, kb: KnowledgeBase, database: Database | None = None) -> None:
        self.kb = kb
        self.database = database or kb.store.database
        self._opened = threading.Event()
        self._stopped = threading.Event()
        self._listener: Listener | None = None
        self._behind = False  # a notice could not be applied: reconcile at the next one
        self.applied = 0  # notices applied (not counting this knowledge base's own)

    def start(self) -> None:
        """LISTEN (returns once listening); call before the knowledge base's first sync."""
        self._listener = self.database.listen(CHANNEL, self._heard, on_reconnect=self._reconnected)

    def opened(self) -> None:
        """The knowledge base finished its first sync: apply what was heard meanwhile."""
        self._opened.set()

    def close(self) -> None:
        self._stopped.set()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def apply(self, notice: Notice) -> None:
        """Re-read from the store what the notice names."""
        if notice.about_examples:
            if self.kb.examples is not None:
                self.kb.examples.sync_from_store()
        elif notice.article_id is not None:
            self.kb.refresh([notice.article_id])
        elif notice.kind == IMPORT:
            self.kb.sync_from_store()
        else:
            log.warning("notice of an unknown change %r: reconciling with the store", notice.kind)
            self.kb.reconcile()
        self.applied += 1

    def _heard(self, payload: dict[str, Any]) -> None:
        notice = Notice.read(payload)
        if notice is None or notice.origin == self.kb.origin or not self._wait_opened():
            return
        try:
            if self._behind:
                self.kb.reconcile()
                self._behind = False
            self.apply(notice)
        except Exception:
            # The store could not be read just now: the next notice (or reconnect) reconciles.
            self._behind = True
            log.exception("applying %s from %s failed", notice.kind, notice.origin)

    def _reconnected(self) -> None:
        if not self._wait_opened():
            return
        report = self.kb.reconcile()
        self._behind = False
        log.info(
            "notice channel reconnected: reconciled with the store (%d embedded, %d removed)",
            len(report.embedded),
            len(report.removed),
        )

    def _wait_opened(self) -> bool:
        """Wait for the first sync; False when the follower is closed meanwhile."""
        while not self._opened.wait(0.5):
            if self._stopped.is_set():
                return False
        return not self._stopped.is_set()
