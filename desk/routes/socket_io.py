"""Reading frames from a WebSocket safely, and closing one with a code a browser can read.

Every frame is size-checked before it is parsed and depth-checked before anything walks it;
binary frames, oversized frames and refusals become `Refused`, which the socket routes turn
into a close with its code (always after `accept()`, so browsers see the code rather than a
bare 1006)."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from fastapi import WebSocket, WebSocketDisconnect

log = logging.getLogger(__name__)

CLOSE_UNSUPPORTED = 1003
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_TRY_LATER = 1013
CLOSE_BAD_TOKEN = 4401
CLOSE_SIGNED_OUT = 4401
CLOSE_BAD_ORIGIN = 4403
MAX_DEPTH = 8  # frames are flat; deeper JSON is refused before anything walks it


class Refused(Exception):
    """Close the socket with `code` (and `reason`)."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


async def receive_json(websocket: WebSocket, limit: int) -> Any:
    """The next frame, parsed. A disconnect raises WebSocketDisconnect; a binary or oversized
    frame Refused; text that is not shallow JSON ValueError (the socket stays usable)."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    if text is None:
        raise Refused(CLOSE_UNSUPPORTED, "frames are JSON text")
    if len(text.encode()) > limit:
        raise Refused(CLOSE_TOO_BIG, "frame too big")
    try:
        parsed = json.loads(text)
    except RecursionError as e:
        raise ValueError("the frame is nested too deeply") from e
    if depth(parsed) > MAX_DEPTH:
        raise ValueError("the frame is nested too deeply")
    return parsed


def depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (without recursion, stopping past MAX_DEPTH)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                children = item.values() if isinstance(item, dict) else item
                stack.extend((child, level + 1) for child in children)
    return deepest


def origin_allowed(websocket: WebSocket, allowed: list[str], public_url: str) -> bool:
    """Browsers always send Origin on a WebSocket handshake and CORS does not apply, so the
    desk checks it itself. Clients without an Origin (not browsers) are let through: the
    conversation token, not the origin, protects a conversation."""
    origin = websocket.headers.get("origin")
    if origin is None or "*" in allowed:
        return True
    own = "{0.scheme}://{0.netloc}".format(urlsplit(public_url))
    return origin in allowed or origin == own or urlsplit(origin).netloc == websocket.headers.get("host")


def client_address(websocket: WebSocket) -> str:
    return websocket.client.host if websocket.client else "unknown"


async def close_quietly(websocket: WebSocket, code: int, reason: str = "") -> None:
    try:
        await websocket.close(code=code, reason=reason)
    except RuntimeError:
        log.debug("socket already closed")
