"""The hub on its own (one desk) and what it tells its bus (several replicas), with fakes:
desk/replicas/bus.py is tested against a real Redis in test_replicas.py."""

from __future__ import annotations

from typing import Any

from desk.hub import (
    AGENTS,
    CLOSE_AGENT,
    CONVERSATIONS,
    TO_AGENT,
    TO_AGENTS,
    TO_CONVERSATION,
    Connection,
    Hub,
    WidgetConnection,
)


class FakeConnection(Connection):
    def __init__(self) -> None:  # no socket: frames are kept
        self.frames: list[dict[str, Any]] = []
        self.stopped = False

    def send(self, frame: dict[str, Any]) -> None:
        self.frames.append(frame)

    def stop(self) -> None:
        self.stopped = True


class FakeBus:
    def __init__(self) -> None:
        self.published: list[tuple[str, str | int | None, dict[str, Any] | None]] = []
        self.presence: list[tuple[str, str, bool]] = []
        self.elsewhere_agents: set[int] = set()
        self.elsewhere_conversations: set[str] = set()

    def publish(self, to: str, target: str | int | None, frame: dict[str, Any] | None) -> None:
        self.published.append((to, target, frame))

    def joined(self, kind: str, member: str) -> None:
        self.presence.append((kind, member, True))

    def left(self, kind: str, member: str) -> None:
        self.presence.append((kind, member, False))

    def agents(self) -> set[int]:
        return self.elsewhere_agents

    def conversation_connected(self, conversation_id: str) -> bool:
        return conversation_id in self.elsewhere_conversations

    async def start(self, hub: Hub) -> None:
        pass

    async def stop(self) -> None:
        pass


FRAME = {"type": "message", "n": 1}


def test_a_hub_without_a_bus_serves_its_own_sockets():
    hub = Hub()
    widget, console, other = FakeConnection(), FakeConnection(), FakeConnection()
    hub.join_conversation("c_1", widget)
    hub.join_console(7, console)
    hub.join_console(8, other)
    hub.to_conversation("c_1", FRAME)
    hub.to_agent(7, FRAME)
    hub.to_agents({"type": "queue"})
    hub.close_console(8)
    assert widget.frames == [FRAME]
    assert console.frames == [FRAME, {"type": "queue"}]
    assert other.frames == [{"type": "queue"}]
    assert other.stopped
    assert not console.stopped
    assert hub.online_agents() == {7, 8}
    assert hub.customer_connected("c_1")
    assert not hub.customer_connected("c_2")


def test_every_frame_is_delivered_here_and_published_for_the_other_replicas():
    bus = FakeBus()
    hub = Hub(bus=bus)
    widget = FakeConnection()
    hub.join_conversation("c_1", widget)
    hub.to_conversation("c_1", FRAME)
    hub.to_conversation("c_elsewhere", FRAME)  # no socket here: still published
    hub.to_agent(7, FRAME)
    hub.to_agents(FRAME)
    hub.close_console(7)
    assert widget.frames == [FRAME]
    assert bus.published == [
        (TO_CONVERSATION, "c_1", FRAME),
        (TO_CONVERSATION, "c_elsewhere", FRAME),
        (TO_AGENT, 7, FRAME),
        (TO_AGENTS, None, FRAME),
        (CLOSE_AGENT, 7, None),
    ]


def test_presence_is_announced_on_the_first_socket_in_and_the_last_out():
    bus = FakeBus()
    hub = Hub(bus=bus)
    first, second, widget = FakeConnection(), FakeConnection(), FakeConnection()
    hub.join_console(7, first)
    hub.join_console(7, second)  # a second tab: nothing new to say
    hub.join_conversation("c_1", widget)
    hub.leave_console(7, first)
    assert bus.presence == [(AGENTS, "7", True), (CONVERSATIONS, "c_1", True)]
    hub.leave_console(7, second)
    hub.leave_conversation("c_1", widget)
    assert bus.presence[2:] == [(AGENTS, "7", False), (CONVERSATIONS, "c_1", False)]


def test_presence_is_this_replicas_and_the_others():
    bus = FakeBus()
    hub = Hub(bus=bus)
    hub.join_console(7, FakeConnection())
    bus.elsewhere_agents = {9}
    bus.elsewhere_conversations = {"c_there"}
    assert hub.online_agents() == {7, 9}
    assert hub.customer_connected("c_there")
    assert not hub.customer_connected("c_nowhere")
    assert hub.holds(AGENTS, "7")
    assert not hub.holds(AGENTS, "9")
    assert hub.members(AGENTS) == ["7"]


def test_frames_from_another_replica_reach_only_this_ones_sockets_and_bad_ones_are_dropped():
    bus = FakeBus()
    hub = Hub(bus=bus)
    widget, console = FakeConnection(), FakeConnection()
    hub.join_conversation("c_1", widget)
    hub.join_console(7, console)
    hub.deliver(TO_CONVERSATION, "c_1", FRAME)
    hub.deliver(TO_AGENT, "7", FRAME)  # an agent id must be a number
    hub.deliver(TO_CONVERSATION, "c_1", None)  # no frame: nothing to send, nothing closed
    hub.deliver("everyone", None, FRAME)
    hub.deliver(CLOSE_AGENT, 7, None)
    assert widget.frames == [FRAME]
    assert not widget.stopped
    assert console.frames == []
    assert console.stopped
    assert bus.published == []  # delivered, never sent around again


def test_the_presence_hook_failing_is_logged_not_raised():
    hub = Hub(bus=FakeBus())
    calls: list[int] = []

    def hook() -> None:
        calls.append(1)
        raise RuntimeError("boom")

    hub.presence_elsewhere_changed()  # no hook yet: nothing happens
    hub.on_presence_elsewhere = hook
    hub.presence_elsewhere_changed()
    assert calls == [1]


def message(message_id: int) -> dict[str, Any]:
    return {"type": "message", "message": {"id": message_id, "role": "bot", "text": f"m{message_id}"}}


class Stored:
    """The conversation's messages in the store, as a widget connection reads them."""

    def __init__(self, *ids: int) -> None:
        self.ids = list(ids)
        self.reads: list[tuple[int, int]] = []

    def earlier(self, after: int, before: int) -> list[dict[str, Any]]:
        self.reads.append((after, before))
        return [message(i) for i in self.ids if after < i < before]


def sent(connection: WidgetConnection) -> list[Any]:
    """What went to the socket, in order (its queue, drained)."""
    out = []
    while not connection._outbox.empty():
        frame = connection._outbox.get_nowait()
        assert frame is not None
        out.append(frame["message"]["id"] if frame["type"] == "message" else frame["type"])
    return out


def test_a_widget_gets_a_message_overtaken_by_a_later_one_first_and_once():
    # 11 was stored by another replica (its frame comes through Redis, late), 12 by this one.
    stored = Stored(10, 11, 12)
    widget = WidgetConnection(None, stored.earlier, sent_id=10)  # type: ignore[arg-type]
    widget.send(message(12))
    widget.send(message(11))  # the late frame: sent already, read from the store
    widget.send({"type": "state", "state": {}})  # anything but a message passes as it is
    widget.send(message(13))
    assert sent(widget) == [11, 12, "state", 13]
    assert stored.reads == [(10, 12), (12, 13)]


def test_the_history_on_connecting_is_sent_as_it_is_and_not_again():
    stored = Stored(*range(1, 31))
    widget = WidgetConnection(None, stored.earlier, sent_id=5)  # type: ignore[arg-type]
    widget.replay([message(i) for i in range(21, 31)])  # the latest page: the widget pages back
    widget.send(message(30))  # its frame through Redis, after the history read
    assert sent(widget) == list(range(21, 31))
    assert stored.reads == []


def test_a_store_that_cannot_be_read_still_lets_the_message_through():
    def broken(after: int, before: int) -> list[dict[str, Any]]:
        raise RuntimeError("database unavailable")

    widget = WidgetConnection(None, broken, sent_id=1)  # type: ignore[arg-type]
    widget.send(message(3))
    assert sent(widget) == [3]
