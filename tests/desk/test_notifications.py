"""Queue snapshots are coalesced: a burst of changes sends each console one snapshot."""

from __future__ import annotations

import asyncio
from typing import Any

from desk.notifications import QUEUE_COALESCE_SECONDS, Notifier


class CountingHub:
    def __init__(self) -> None:
        self.sent: list[tuple[int, dict[str, Any]]] = []

    def online_agents(self) -> set[int]:
        return {1, 2}

    def to_agent(self, agent_id: int, frame: dict[str, Any]) -> None:
        self.sent.append((agent_id, frame))


class FakeQueue:
    def __init__(self) -> None:
        self.reads = 0

    def views(self, agent_ids: Any) -> dict[int, dict[str, Any]]:
        self.reads += 1
        return {
            agent_id: {"queued": [], "mine": [], "tickets": [], "online_agents": 2} for agent_id in agent_ids
        }

    def queued(self) -> list[Any]:
        return []


def test_a_burst_of_queue_changes_sends_one_snapshot_per_console():
    hub, queue = CountingHub(), FakeQueue()
    notifier = Notifier(hub=hub, queue=queue, store=None)  # type: ignore[arg-type]
    send = notifier._send_queue
    sent = asyncio.Queue[None]()

    def counted() -> None:
        send()
        sent.put_nowait(None)

    notifier._send_queue = counted  # type: ignore[method-assign]

    async def burst() -> None:
        for _ in range(50):
            notifier.queue_changed()
        await asyncio.wait_for(sent.get(), QUEUE_COALESCE_SECONDS + 10)
        assert not notifier._queue_due  # nothing else scheduled: one snapshot for the burst
        notifier.queue_changed()  # a later change is sent too
        await asyncio.wait_for(sent.get(), QUEUE_COALESCE_SECONDS + 10)

    asyncio.run(burst())
    assert queue.reads == 2
    assert sorted(agent for agent, _ in hub.sent) == [1, 1, 2, 2]


def test_outside_the_event_loop_the_snapshot_goes_at_once():
    hub, queue = CountingHub(), FakeQueue()
    Notifier(hub=hub, queue=queue, store=None).queue_changed()  # type: ignore[arg-type]
    assert len(hub.sent) == 2
