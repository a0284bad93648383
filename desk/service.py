"""The desk, assembled: one object per concern, sharing the store, the hub and the clock.

  conversations  the customer's side: messages in, routing, contact (desk/conversations.py)
  assistant      the Rasa relay and the assistant's decisions (desk/assistant.py)
  handoffs       handoffs arriving, queue or ticket, late ones attached (desk/handoffs.py)
  queue          order, place, wait estimate, summaries (desk/queue.py)
  agents         claim, reply, note, resolve, hand back (desk/agent_work.py)
  notify         the frames sent to widgets and consoles (desk/notifications.py)
  sweeper        conversations the customer left (desk/sweeps.py)

The conversation state machine is desk/state.py; the event vocabulary desk/events.py; sessions
and staff desk/sessions.py and desk/staff.py. Routes are thin layers over these objects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from desk.agent_work import AgentWork
from desk.assistant import Assistant
from desk.clients import KBClient, RasaClient
from desk.config import Settings
from desk.conversations import Conversations
from desk.handoffs import Handoffs
from desk.hub import Hub
from desk.notifications import Notifier
from desk.queue import Queue
from desk.store import Store, now
from desk.sweeps import AbandonedSweep
from desk.tasks import Tasks


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
    ) -> None:
        self.settings = settings
        self.store = store
        self.hub = hub
        self.rasa = rasa
        self.kb = kb
        self.clock = clock
        self.tasks = Tasks()
        self.queue = Queue(settings=settings, store=store, hub=hub, clock=clock)
        self.notify = Notifier(hub=hub, queue=self.queue, store=store)
        self.handoffs = Handoffs(store=store, queue=self.queue, notify=self.notify, clock=clock)
        self.assistant = Assistant(
            store=store,
            rasa=rasa,
            notify=self.notify,
            handoffs=self.handoffs,
            session_turns=settings.bot_session_turns,
        )
        self.conversations = Conversations(
            settings=settings, store=store, notify=self.notify, assistant=self.assistant, tasks=self.tasks
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
        )
        self.sweeper = AbandonedSweep(
            store=store, hub=hub, after_seconds=settings.abandon_after_minutes * 60, clock=clock
        )

    def start(self) -> None:
        """Background sweeps; called from the app's lifespan, on the event loop."""
        self.tasks.spawn(self.sweeper.run_every(self.settings.sweep_seconds))

    async def aclose(self) -> None:
        await self.tasks.aclose()

    def presence_changed(self) -> None:
        self.notify.queue_changed()
