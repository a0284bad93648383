"""The two WebSockets: the widget's conversation (docs/contracts/widget.md) and the agent
console's live updates (docs/contracts/console.md)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import TypeAdapter, ValidationError

from desk.errors import DeskError
from desk.flood import ConnectionLimits
from desk.frames import Ack, Error, OlderMessages, Pong, Welcome, WidgetMessage
from desk.hub import Connection, WidgetConnection
from desk.masking import mask_cards
from desk.roles import Role
from desk.routes.deps import SESSION_COOKIE, desk_of, sessions_of
from desk.routes.socket_io import (
    CLOSE_BAD_ORIGIN,
    CLOSE_BAD_TOKEN,
    CLOSE_POLICY,
    CLOSE_SIGNED_OUT,
    CLOSE_TRY_LATER,
    Refused,
    client_address,
    close_quietly,
    origin_allowed,
    receive_json,
)
from desk.schemas import (
    AckFrame,
    ConsoleFrame,
    ConsoleTypingFrame,
    ContactFrame,
    CsatDismissFrame,
    CsatFrame,
    HandoffRequestFrame,
    HelloFrame,
    MessageFrame,
    OlderFrame,
    TypingFrame,
    WidgetFrame,
)
from desk.service import Desk
from desk.store import Conversation, Message, StaffMember

log = logging.getLogger(__name__)
router = APIRouter()

HELLO_TIMEOUT_SECONDS = 15

_widget_frames: TypeAdapter[Any] = TypeAdapter(WidgetFrame)
_console_frames: TypeAdapter[Any] = TypeAdapter(ConsoleFrame)


@router.websocket("/ws/widget")
async def widget_socket(websocket: WebSocket) -> None:
    desk = desk_of(websocket)
    await websocket.accept()  # before any refusal, so that the page sees the close code
    try:
        conversation, token, after = await _open_conversation(desk, websocket)
    except Refused as refusal:
        await close_quietly(websocket, refusal.code, refusal.reason)
        return
    except WebSocketDisconnect:
        return

    def earlier(after_id: int, before_id: int) -> list[dict[str, Any]]:
        missed = desk.conversations.between(conversation.id, after_id, before_id)
        return [WidgetMessage(message=message).frame() for message in missed]

    connection = WidgetConnection(websocket, earlier, sent_id=after)
    connection.start()
    history, has_older, reset = desk.conversations.history(conversation.id, after)
    state = desk.queue.state_of(conversation)
    welcome = Welcome(
        conversation_id=conversation.id, token=token, state=state, has_older=has_older, reset=reset
    )
    connection.send(welcome.frame())
    desk.hub.join_conversation(conversation.id, connection)
    connection.replay([WidgetMessage(message=message).frame() for message in history])
    if (rating := desk.satisfaction.pending(conversation.id)) is not None:
        connection.send(rating.frame())  # asked before and still unanswered (desk/csat.py)
    limits = desk.widget_limits.connection(client_address(websocket))
    try:
        while not limits.exhausted:
            try:
                raw = await receive_json(websocket, desk.settings.max_frame_bytes)
            except ValueError as e:
                connection.send(_error("invalid_frame", f"frames must be flat JSON objects ({e})"))
                continue
            await _handle_widget_frame(desk, conversation.id, connection, raw, limits)
        log.warning("closing a widget socket that kept exceeding its limits")
        raise Refused(CLOSE_POLICY, "too many frames")
    except Refused as refusal:
        await close_quietly(websocket, refusal.code, refusal.reason)
    except (WebSocketDisconnect, RuntimeError):  # RuntimeError: the socket closed meanwhile
        pass
    finally:
        desk.hub.leave_conversation(conversation.id, connection)
        connection.stop()
        await connection.wait_stopped()


async def _open_conversation(desk: Desk, websocket: WebSocket) -> tuple[Conversation, str, int]:
    """Check the origin, read the hello, open its conversation (or a new one, within the
    address's allowance): (conversation, fresh token, the last message id the widget has)."""
    settings = desk.settings
    if not origin_allowed(websocket, settings.allowed_origins, settings.public_url):
        raise Refused(CLOSE_BAD_ORIGIN, "origin not allowed")
    try:
        raw = await asyncio.wait_for(receive_json(websocket, settings.max_frame_bytes), HELLO_TIMEOUT_SECONDS)
        hello = HelloFrame.model_validate(raw)
    except (TimeoutError, ValueError, ValidationError) as e:
        raise Refused(CLOSE_POLICY, "the first frame must be a hello") from e
    if not hello.token and not await desk.widget_limits.may_start_conversation(client_address(websocket)):
        log.warning("refused a new conversation: too many from one address")
        raise Refused(CLOSE_TRY_LATER, "too many new conversations; try again later")
    opened = desk.conversations.open(hello.token, _clean_metadata(hello.metadata))
    if opened is None:
        raise Refused(CLOSE_BAD_TOKEN, "unknown or expired conversation token")
    conversation, token = opened
    return conversation, token, hello.after


async def _handle_widget_frame(
    desk: Desk, conversation_id: str, connection: Connection, raw: Any, limits: ConnectionLimits
) -> None:
    try:
        frame = _widget_frames.validate_python(raw)
    except ValidationError as e:
        client_id = raw.get("client_id") if isinstance(raw, dict) else None
        connection.send(_error("invalid_frame", _first_problem(e), client_id))
        return
    try:
        if not await limits.allow(frame.type):
            client_id = getattr(frame, "client_id", None)
            connection.send(_error("rate_limited", f"too many {frame.type} frames; wait a moment", client_id))
        elif isinstance(frame, MessageFrame | HandoffRequestFrame):
            await _customer_says(desk, conversation_id, connection, frame)
        elif isinstance(frame, ContactFrame):
            desk.conversations.set_contact(conversation_id, frame.email, frame.name)
        elif isinstance(frame, OlderFrame):
            messages, has_older = desk.conversations.older(conversation_id, frame.before)
            connection.send(OlderMessages(messages=messages, has_older=has_older).frame())
        elif isinstance(frame, AckFrame):
            desk.conversations.seen(conversation_id, frame.id)
        elif isinstance(frame, CsatFrame):
            desk.satisfaction.rate(conversation_id, frame.resolution_id, frame.score, frame.comment)
        elif isinstance(frame, CsatDismissFrame):
            desk.satisfaction.dismiss(conversation_id, frame.resolution_id)
        elif isinstance(frame, TypingFrame):
            desk.conversations.typing(conversation_id, frame.on)
        else:
            connection.send(Pong().frame())
    except DeskError as e:
        code = "invalid_email" if isinstance(frame, ContactFrame) else e.code
        connection.send(_error(code, e.message, getattr(frame, "client_id", None)))


async def _customer_says(
    desk: Desk, conversation_id: str, connection: Connection, frame: MessageFrame | HandoffRequestFrame
) -> None:
    stored: Message | None
    if isinstance(frame, MessageFrame):
        stored = await desk.conversations.customer_message(
            conversation_id, frame.text, client_id=frame.client_id, payload=frame.payload
        )
    else:
        stored = await desk.conversations.request_person(conversation_id, frame.client_id)
    if stored is not None:
        sent = frame.text.strip() if isinstance(frame, MessageFrame) else stored.text
        changed = stored.text if stored.text != sent else None
        connection.send(Ack(client_id=frame.client_id, id=stored.id, text=changed).frame())


@router.websocket("/ws/console")
async def console_socket(websocket: WebSocket) -> None:
    """Agents only. The session is checked again every `DESK_SESSION_CHECK_SECONDS`, so a person
    disabled or given a new password from the CLI loses the socket too (the admin page closes
    it at once through the hub)."""
    desk = desk_of(websocket)
    await websocket.accept()  # before any refusal, so that the console sees the close code
    token = websocket.cookies.get(SESSION_COOKIE)
    agent = _agent_of(websocket, token)
    if not origin_allowed(websocket, [], desk.settings.public_url):
        await close_quietly(websocket, CLOSE_BAD_ORIGIN, "origin not allowed")
        return
    if agent is None:
        await close_quietly(websocket, CLOSE_SIGNED_OUT, "sign in as an agent first")
        return
    connection = Connection(websocket)
    connection.start()
    desk.hub.join_console(agent.id, connection)
    desk.presence_changed()
    watchdog = asyncio.create_task(_end_with_session(websocket, connection, token))
    try:
        while True:
            try:
                frame = _console_frames.validate_python(
                    await receive_json(websocket, desk.settings.max_frame_bytes)
                )
            except Refused as refusal:
                await close_quietly(websocket, refusal.code, refusal.reason)
                break
            except (ValueError, ValidationError):
                connection.send(_error("invalid_frame", "unknown frame"))
                continue
            if isinstance(frame, ConsoleTypingFrame):
                desk.agents.typing(frame.conversation_id, agent, frame.on)
            else:
                connection.send(Pong().frame())
    except (WebSocketDisconnect, RuntimeError):  # RuntimeError: closed by the watchdog or the hub
        pass
    finally:
        watchdog.cancel()
        desk.hub.leave_console(agent.id, connection)
        connection.stop()
        await connection.wait_stopped()
        desk.presence_changed()


def _agent_of(websocket: WebSocket, token: str | None) -> StaffMember | None:
    """The agent whose live session `token` is: checked on connecting and while connected."""
    member = sessions_of(websocket).member(token)
    return member if member is not None and member.has(Role.AGENT) else None


async def _end_with_session(websocket: WebSocket, connection: Connection, token: str | None) -> None:
    every = desk_of(websocket).settings.session_check_seconds
    while True:
        await asyncio.sleep(every)
        if _agent_of(websocket, token) is None:
            log.info("closing a console socket whose session ended")
            connection.stop()
            return


def _clean_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Keep what the widget documents, as short strings (it is customer-controlled); page
    addresses lose their query and fragment, where sites put emails, tokens and references."""
    keys = ("page", "title", "locale", "customer_id", "customer_signature", "referrer", "user_agent")
    kept = {key: mask_cards(str(metadata[key])[:500]) for key in keys if metadata.get(key) is not None}
    for key in ("page", "referrer"):
        if key in kept:
            kept[key] = urlunsplit(urlsplit(kept[key])._replace(query="", fragment=""))
    return kept


def _error(code: str, message: str, client_id: str | None = None) -> dict[str, Any]:
    return Error(code=code, message=message, client_id=client_id).frame()


def _first_problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
