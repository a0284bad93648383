"""Request bodies and WebSocket frames the desk accepts (docs/contracts/*.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from desk.roles import Role


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# The handoff contract (docs/contracts/handoff.schema.json, version 1)


class Trigger(_Strict):
    text: str
    at: datetime


class TranscriptLine(_Strict):
    role: Literal["customer", "bot"]
    text: str
    at: datetime
    buttons: list[dict[str, Any]] | None = None
    custom: dict[str, Any] | None = None


class Turn(_Strict):
    text: str
    intent: str | None
    confidence: float | None = Field(None, ge=0, le=1)
    at: datetime


class ArticleShown(_Strict):
    article_id: str
    title: str | None = None
    url: str | None = None
    shown_as: Literal["answer", "clarify", "safety_steps"]
    feedback: Literal["helpful", "not_helpful", "none"]


class Customer(_Strict):
    name: str | None = None
    email: str | None = None
    customer_id: str | None = None


class HandoffRequest(_Strict):
    version: Literal[1]
    handoff_id: str = Field(pattern=r"^ho_[A-Za-z0-9_-]{8,64}$")
    conversation_id: str = Field(min_length=1, max_length=200)
    reason: Literal[
        "customer_request",
        "sensitive_topic",
        "repeated_failure",
        "complaint",
        "abuse",
        "declined_alternatives",
    ]
    priority: Literal["high", "normal", "low"]
    summary: str = Field(min_length=1, max_length=600)
    trigger: Trigger
    transcript: list[TranscriptLine]
    turns: list[Turn]
    articles_shown: list[ArticleShown]
    customer: Customer
    metadata: dict[str, Any]
    requested_at: datetime


class HandoffResponse(BaseModel):
    handoff_id: str
    status: Literal["queued", "ticket"]
    queue_position: int | None
    estimated_wait_seconds: int | None


# Console bodies


class TextBody(_Strict):
    text: str = Field(min_length=1)


class ArticleBody(_Strict):
    article_id: str = Field(min_length=1, max_length=200)


class NewStaffBody(_Strict):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=8, max_length=1000)
    roles: list[Role] = Field(min_length=1, max_length=4)

    def role_set(self) -> frozenset[Role]:
        return frozenset(self.roles)


class StaffChangeBody(_Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    roles: list[Role] | None = Field(None, min_length=1, max_length=4)
    disabled: bool | None = None

    def role_set(self) -> frozenset[Role]:
        return frozenset(self.roles or [])


class PasswordBody(_Strict):
    password: str = Field(min_length=8, max_length=1000)


class ResolveBody(_Strict):
    outcome: Literal["resolved", "unresolved", "duplicate", "spam"] = "resolved"


# Widget frames (client -> desk)

MAX_ID = 2**63 - 1  # SQLite's largest integer: a larger id is refused, not an OverflowError


class HelloFrame(BaseModel):
    type: Literal["hello"]
    token: str | None = Field(None, max_length=400)
    after: int = Field(0, ge=0, le=MAX_ID)
    metadata: dict[str, Any] = Field(default_factory=dict)


class MessageFrame(BaseModel):
    type: Literal["message"]
    client_id: str = Field(min_length=1, max_length=100)
    text: str
    payload: str | None = Field(None, max_length=500)


class HandoffRequestFrame(BaseModel):
    type: Literal["handoff_request"]
    client_id: str = Field(min_length=1, max_length=100)


class ContactFrame(BaseModel):
    type: Literal["contact"]
    email: str = Field(max_length=254)
    name: str | None = Field(None, max_length=200)


class AckFrame(BaseModel):
    type: Literal["ack"]
    id: int = Field(ge=0, le=MAX_ID)


class TypingFrame(BaseModel):
    type: Literal["typing"]
    on: bool


class PingFrame(BaseModel):
    type: Literal["ping"]


class OlderFrame(BaseModel):
    """Earlier messages than `before` (the oldest the widget shows), a page at a time."""

    type: Literal["older"]
    before: int = Field(ge=1, le=MAX_ID)


class CsatFrame(BaseModel):
    """The customer's rating (1-5, optional comment) of the resolution a `csat_request` named."""

    type: Literal["csat"]
    resolution_id: int = Field(ge=1, le=MAX_ID)
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=1000)


class CsatDismissFrame(BaseModel):
    """The customer closed the rating request without answering: it is not asked again."""

    type: Literal["csat_dismiss"]
    resolution_id: int = Field(ge=1, le=MAX_ID)


WidgetFrame = Annotated[
    MessageFrame
    | HandoffRequestFrame
    | ContactFrame
    | AckFrame
    | TypingFrame
    | PingFrame
    | OlderFrame
    | CsatFrame
    | CsatDismissFrame,
    Field(discriminator="type"),
]


class ConsoleTypingFrame(BaseModel):
    type: Literal["typing"]
    conversation_id: str = Field(max_length=200)
    on: bool


ConsoleFrame = Annotated[ConsoleTypingFrame | PingFrame, Field(discriminator="type")]
