"""Every frame the desk sends to browsers, as pydantic models: the widget protocol
(docs/contracts/widget.md) and the console's live updates (docs/contracts/console.md) are these
models. Frames browsers send to the desk are in desk/schemas.py."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from desk.state import Mode
from desk.store import Message

BOT_NAME = "Kestrel assistant"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def frame(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Author(_Model):
    name: str
    avatar: str | None = None


class MessageView(_Model):
    id: int
    role: str
    author: Author | None
    text: str
    buttons: list[dict[str, str]]
    links: list[dict[str, str]]
    at: str
    client_id: str | None

    @classmethod
    def of(cls, message: Message) -> MessageView:
        author = None
        if message.role == "bot":
            author = Author(name=BOT_NAME)
        elif message.role in ("agent", "note") and message.author:
            author = Author(name=message.author)
        return cls(
            id=message.id,
            role=message.role,
            author=author,
            text=message.text,
            buttons=message.buttons,
            links=message.links,
            at=message.at,
            client_id=message.client_id,
        )


class AgentName(_Model):
    name: str


class ConversationState(_Model):
    """What the widget shows about who is answering."""

    mode: Mode
    queue_position: int | None = None
    estimated_wait_seconds: int | None = None
    agent: AgentName | None = None
    email_needed: bool = False
    reply_expected: str | None = None


# ---- to the widget ------------------------------------------------------------------------


class Welcome(_Model):
    """Followed by the latest messages after the widget's `after` (a page at most). `has_older`:
    earlier ones exist (ask with `older`); `reset`: more happened since `after` than a page, so
    the widget starts again from the latest."""

    type: Literal["welcome"] = "welcome"
    conversation_id: str
    token: str
    state: ConversationState
    has_older: bool = False
    reset: bool = False


class OlderMessages(_Model):
    type: Literal["older"] = "older"
    messages: list[MessageView]
    has_older: bool


class WidgetMessage(_Model):
    type: Literal["message"] = "message"
    message: MessageView


class StateChanged(_Model):
    type: Literal["state"] = "state"
    state: ConversationState


class Typing(_Model):
    type: Literal["typing"] = "typing"
    role: Literal["bot", "agent"]
    on: bool
    name: str | None


class Ack(_Model):
    """The customer message `client_id` is stored as `id`; `text` is what was stored when it
    differs from what was sent (a card number masked), for the widget to show instead."""

    type: Literal["ack"] = "ack"
    client_id: str
    id: int
    text: str | None = None


class CsatPrompt(_Model):
    """Ask the customer to rate the help they got, once per resolution (`resolution_id`, the
    `resolved` event's id): the assistant's (`of: assistant`) or an agent's (with their name).
    Sent when the conversation is resolved, and again after a reconnect while unanswered."""

    type: Literal["csat_request"] = "csat_request"
    resolution_id: int
    of: Literal["assistant", "agent"]
    agent: AgentName | None = None


class CsatClosed(_Model):
    """The rating request was answered (`rated`) or dismissed, perhaps in another tab: hide it."""

    type: Literal["csat_closed"] = "csat_closed"
    resolution_id: int
    rated: bool


# ---- to the console -----------------------------------------------------------------------


class QueueChanged(_Model):
    type: Literal["queue"] = "queue"
    queue: dict[str, Any]  # {"queued", "mine", "tickets": [Summary], "online_agents": int}


class HandoffArrived(_Model):
    type: Literal["handoff_new"] = "handoff_new"
    summary: dict[str, Any]


class ConsoleMessage(_Model):
    type: Literal["message"] = "message"
    conversation_id: str
    message: MessageView


class CustomerTyping(_Model):
    type: Literal["typing"] = "typing"
    conversation_id: str
    on: bool


# ---- to both ------------------------------------------------------------------------------


class Error(_Model):
    type: Literal["error"] = "error"
    code: str
    message: str
    client_id: str | None = None


class Pong(_Model):
    type: Literal["pong"] = "pong"


DESK_TO_WIDGET = (
    Welcome
    | WidgetMessage
    | OlderMessages
    | StateChanged
    | Typing
    | Ack
    | CsatPrompt
    | CsatClosed
    | Error
    | Pong
)
DESK_TO_CONSOLE = QueueChanged | HandoffArrived | ConsoleMessage | CustomerTyping | Error | Pong


def protocol_schema() -> dict[str, Any]:
    """The widget and console protocols as JSON Schema, both directions, from the models
    (docs/contracts/frames.schema.json; `python -m desk.frames` prints it)."""
    from pydantic import TypeAdapter

    from desk.schemas import ConsoleFrame, WidgetFrame

    def schema(union: Any) -> dict[str, Any]:
        return TypeAdapter(union).json_schema(mode="serialization")

    return {
        "$comment": "Generated by `python -m desk.frames`; tests/desk/test_frames.py keeps it current.",
        "widget_to_desk": schema(WidgetFrame),
        "desk_to_widget": schema(DESK_TO_WIDGET),
        "console_to_desk": schema(ConsoleFrame),
        "desk_to_console": schema(DESK_TO_CONSOLE),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(protocol_schema(), indent=2, sort_keys=True))
