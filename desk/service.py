"""The desk, assembled: one object per concern, sharing the store, the hub and the clock.

  conversations  the customer's side: messages in, routing, contact (desk/conversations.py)
  assistant      the Rasa relay and the assistant's decisions (desk/assistant.py)
  handoffs       handoffs arriving, queue or ticket, late ones attached (desk/handoffs.py)
  satisfaction   rating requests after a resolution, and the customers' ratings (desk/csat.py)
  queue          order, place, wait estimate, summaries (desk/queue.py)
  agents         claim, reply, note, resolve, hand back (desk/agent_work.py)
  notify         the frames sent to widgets and consoles (desk/notifications.py)
  sweeper        conversations the customer left (desk/sweeps.py)
  unstaffed      the queue turned into tickets when nobody can serve it (desk/sweeps.py)
  mail, outbox   replies to tickets emailed, and delivered in the background (desk/mail/)
  retention      purging closed conversations past DESK_RETENTION_DAYS (desk/retention.py)
  figures        the managers' KPIs and live floor (desk/kpis/)
  widget_limits  per-connection and per-address limits on anonymous traffic (desk/flood.py)

The conversation state machine is desk/state.py; the event vocabulary desk/events.py; sessions
and staff desk/sessions.py and desk/staff.py. Routes are thin layers over these objects."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from desk.agent_work import AgentWork
from desk.assistant import Assistant, TurnLock
from desk.clients import KBClient, RasaClient
from desk.config import Settings
from desk.conversations import PERSON_PAYLOAD, Conversations
from desk.csat import Satisfaction
from desk.flood import WidgetLimits
from desk.handoffs import Handoffs
from desk.hub import Hub
from desk.kpis.reader import Figures
from desk.mail import MailOutbox, MailSender, ReplyMail, SmtpSender
from desk.notifications import Notifier
from desk.queue import Queue
from desk.retention import Retention
from desk.store import Store, iso, now
from desk.sweeps import AbandonedSweep, UnstaffedQueue
from desk.tasks import Tasks

log = logging.getLogger(__name__)


class Desk:
    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        hub: Hub,
        rasa: RasaClient,
        kb: KBClient,
        clock: Callable[[], datetime] = now,
        mail_sender: MailSender | None = None,
        widget_limits: WidgetLimits | None = None,
        turn_locks: TurnLock | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.hub = hub
        self.rasa = rasa
        self.kb = kb
        self.clock = clock
        self.tasks = Tasks()
        self.widget_limits = widget_limits or WidgetLimits(settings)
        self.queue = Queue(settings=settings, store=store, hub=hub, clock=clock)
        self.notify = Notifier(hub=hub, queue=self.queue, store=store)
        self.handoffs = Handoffs(store=store, queue=self.queue, notify=self.notify, clock=clock)
        self.satisfaction = Satisfaction(
            store=store, hub=hub, offer_hours=settings.csat_offer_hours, clock=clock
        )
        self.assistant = Assistant(
            store=store,
            rasa=rasa,
            notify=self.notify,
            handoffs=self.handoffs,
            session_turns=settings.bot_session_turns,
            satisfaction=self.satisfaction,
            turn_locks=turn_locks,
        )
        self.conversations = Conversations(
            settings=settings,
            store=store,
            notify=self.notify,
            assistant=self.assistant,
            tasks=self.tasks,
            satisfaction=self.satisfaction,
        )
        self.outbox = MailOutbox(
            store=store,
            sender=mail_sender or SmtpSender(settings),
            clock=clock,
            retry_seconds=settings.mail_retry_seconds,
            retry_max_seconds=settings.mail_retry_max_seconds,
        )
        self.mail = ReplyMail(
            settings=settings, store=store, signer=self.conversations.signer, wake=self.outbox.wake
        )
        self.agents = AgentWork(
            settings=settings,
            store=store,
            queue=self.queue,
            notify=self.notify,
            conversations=self.conversations,
            assistant=self.assistant,
            kb=kb,
            tasks=self.tasks,
            clock=clock,
            mail=self.mail,
            satisfaction=self.satisfaction,
        )
        self.sweeper = AbandonedSweep(
            store=store, hub=hub, after_seconds=settings.abandon_after_minutes * 60, clock=clock
        )
        self.retention = Retention(store=store, days=settings.retention_days, clock=clock)
        self.figures = Figures(settings=settings, store=store, kb=kb, hub=hub, clock=clock)
        self.unstaffed = UnstaffedQueue(
            available=self.queue.agents_available,
            to_tickets=self.handoffs.unstaffed,
            grace_seconds=settings.unstaffed_grace_seconds,
            clock=clock,
        )

    def start(self) -> None:
        """Called from the app's lifespan, on the event loop: redrive the assistant turns a
        restart interrupted, and start the background sweeps and the mail outbox."""
        self.redrive_pending_turns()
        self.tasks.spawn(self._sweep_every(self.settings.sweep_seconds))
        self.tasks.spawn(self.outbox.run())  # what a stop left in the mail outbox goes first

    def redrive_pending_turns(self) -> int:
        """A customer message stored and acknowledged whose assistant turn never finished (the
        desk stopped meanwhile) is sent to the assistant again; its resend would be dropped as
        a duplicate, so nothing else would ever answer it. Each waits for the conversation's
        turn lock and is skipped if answered by then: with several replicas, another one may be
        answering it right now."""
        since = iso(self.clock() - timedelta(hours=self.settings.redrive_within_hours))
        pending = self.store.unanswered(since)
        for message in pending:
            said = self.conversations.to_assistant(message.text, message.payload)
            self.tasks.spawn(
                self.assistant.turn(
                    message.conversation_id, said, said == PERSON_PAYLOAD, only_if_last=message.id
                )
            )
        if pending:
            log.info("redriving %d assistant turn(s) interrupted by the last stop", len(pending))
        return len(pending)

    async def aclose(self) -> None:
        await self.tasks.aclose()

    def presence_changed(self) -> None:
        self.notify.queue_changed()
        self.unstaffed.check()

    async def _sweep_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            with self.store.singleton("sweeps") as mine:  # of several replicas, one sweeps at a time
                if not mine:
                    continue
                for sweep in (self.sweeper.sweep, self.unstaffed.check, self.retention.sweep):
                    try:
                        sweep()
                    except Exception:
                        log.exception("a background sweep failed; it runs again later")
