"""The event log's vocabulary: every event type with its small typed payload.

Events are appended in the same transaction as the change they record and never change after.
Message text is never copied into an event (it lives in the messages), nor is an email address
or a card number: payloads hold ids, numbers and short fixed words only, which the models below
enforce (`extra="forbid"`, bounded strings). Managers read them through `GET /api/events`;
the KPIs of the next issue are computed from them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Id = Field(max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")


class EventType(StrEnum):
    CONVERSATION_STARTED = "conversation_started"
    CUSTOMER_MESSAGE = "customer_message"
    ASSISTANT_ANSWER = "assistant_answer"
    ASSISTANT_CLARIFY = "assistant_clarify"
    ASSISTANT_NONE = "assistant_none"
    FEEDBACK = "feedback"
    HANDOFF_REQUESTED = "handoff_requested"
    QUEUED = "queued"
    TICKET_CREATED = "ticket_created"
    AGENT_JOINED = "agent_joined"
    AGENT_MESSAGE = "agent_message"
    INTERNAL_NOTE = "internal_note"
    RESOLVED = "resolved"
    HANDED_BACK = "handed_back"
    REOPENED = "reopened"
    CONTACT_GIVEN = "contact_given"
    ABANDONED = "abandoned"
    CSAT_GIVEN = "csat_given"


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConversationStarted(_Payload):
    channel: Literal["widget", "api"] = "widget"


class CustomerMessage(_Payload):
    message_id: int
    chars: int
    button: bool = False  # a quick reply rather than typed text


class AssistantAnswer(_Payload):
    article_id: str = Id
    score: float | None = None
    confidence: float | None = None
    verdict: Literal["answer", "chosen", "sensitive"] = "answer"


class AssistantClarify(_Payload):
    article_ids: list[str] = Field(max_length=10)


class AssistantNone(_Payload):
    reason: str | None = Field(None, max_length=40, pattern=r"^[a-z_]+$")


class Feedback(_Payload):
    article_id: str = Id
    helpful: bool


class HandoffRequested(_Payload):
    handoff_id: str = Id
    reason: str = Field(max_length=40, pattern=r"^[a-z_]+$")
    priority: Literal["high", "normal", "low"]
    attached_to: str | None = None  # a late request while another handoff is open


class Queued(_Payload):
    handoff_id: str = Id
    position: int | None = None


class TicketCreated(_Payload):
    handoff_id: str = Id


class AgentJoined(_Payload):
    handoff_id: str = Id


class AgentMessage(_Payload):
    message_id: int
    article_id: str | None = None  # an article sent as the reply
    emailed: bool | None = None  # a reply to a ticket: also queued as an email (desk/mail/)


class InternalNote(_Payload):
    message_id: int


class Resolved(_Payload):
    handoff_id: str | None = None
    outcome: str = Field(max_length=40, pattern=r"^[a-z_]+$")
    by: Literal["agent", "assistant"] = "agent"


class HandedBack(_Payload):
    handoff_id: str = Id


class Reopened(_Payload):
    pass


class ContactGiven(_Payload):
    channel: Literal["email"] = "email"


class Abandoned(_Payload):
    idle_seconds: int
    mode: str = Field(max_length=20)


class CsatGiven(_Payload):
    score: int = Field(ge=1, le=5)
    of: Literal["assistant", "agent"]
    commented: bool = False


PAYLOADS: dict[EventType, type[_Payload]] = {
    EventType.CONVERSATION_STARTED: ConversationStarted,
    EventType.CUSTOMER_MESSAGE: CustomerMessage,
    EventType.ASSISTANT_ANSWER: AssistantAnswer,
    EventType.ASSISTANT_CLARIFY: AssistantClarify,
    EventType.ASSISTANT_NONE: AssistantNone,
    EventType.FEEDBACK: Feedback,
    EventType.HANDOFF_REQUESTED: HandoffRequested,
    EventType.QUEUED: Queued,
    EventType.TICKET_CREATED: TicketCreated,
    EventType.AGENT_JOINED: AgentJoined,
    EventType.AGENT_MESSAGE: AgentMessage,
    EventType.INTERNAL_NOTE: InternalNote,
    EventType.RESOLVED: Resolved,
    EventType.HANDED_BACK: HandedBack,
    EventType.REOPENED: Reopened,
    EventType.CONTACT_GIVEN: ContactGiven,
    EventType.ABANDONED: Abandoned,
    EventType.CSAT_GIVEN: CsatGiven,
}
TYPE_OF = {model: kind for kind, model in PAYLOADS.items()}

CUSTOMER, ASSISTANT, SYSTEM = "customer", "assistant", "system"


def agent_actor(agent_id: int) -> str:
    return f"agent:{agent_id}"


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be appended (the store adds the id and the time)."""

    conversation_id: str
    actor: str
    payload: _Payload

    @property
    def type(self) -> EventType:
        return TYPE_OF[type(self.payload)]


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    conversation_id: str
    type: EventType
    at: str
    actor: str
    payload: dict[str, Any]

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "type": self.type.value,
            "at": self.at,
            "actor": self.actor,
            "payload": self.payload,
        }
