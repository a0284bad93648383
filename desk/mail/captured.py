"""Mail the development catcher received, one `.eml` file each in DESK_MAIL_CAPTURE_DIR: written
by desk/mail/catcher.py, read by the development page GET /dev/mail and by tests. Everything in
them is untrusted text (a customer's words, a name): the page escapes every field."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from desk.store import iso

SUFFIX = ".eml"


@dataclass(frozen=True, slots=True)
class CapturedMail:
    name: str
    captured_at: str
    envelope_to: str
    sender: str
    recipient: str
    subject: str
    text: str
    html: str | None
    message: EmailMessage


def save(folder: Path, envelope_from: str, envelope_to: list[str], content: bytes) -> Path:
    """Keep one received message, with its envelope as headers on top; written whole, then
    renamed, so a reader never sees half of it."""
    folder.mkdir(parents=True, exist_ok=True)
    moment = datetime.now(UTC)
    name = f"{moment.strftime('%Y%m%dT%H%M%S%f')}-{secrets.token_hex(4)}{SUFFIX}"
    top = f"X-Captured-At: {iso(moment)}\r\nX-Envelope-From: {envelope_from}\r\n"
    top += f"X-Envelope-To: {', '.join(envelope_to)}\r\n"
    partial = folder / f".{name}.part"
    with partial.open("wb") as out:
        out.write(top.encode() + content)
        out.flush()
        os.fsync(out.fileno())
    partial.rename(folder / name)
    return folder / name


def read(path: Path) -> CapturedMail:
    with path.open("rb") as source:
        message = BytesParser(policy=policy.default).parse(source)
    assert isinstance(message, EmailMessage)
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    return CapturedMail(
        name=path.name,
        captured_at=str(message.get("X-Captured-At", "")),
        envelope_to=str(message.get("X-Envelope-To", "")),
        sender=str(message.get("From", "")),
        recipient=str(message.get("To", "")),
        subject=str(message.get("Subject", "")),
        text=plain.get_content() if isinstance(plain, EmailMessage) else "",
        html=rich.get_content() if isinstance(rich, EmailMessage) else None,
        message=message,
    )


def latest(folder: Path, limit: int = 50) -> list[CapturedMail]:
    """The newest `limit` messages, newest first (file names sort by time of capture)."""
    if not folder.is_dir():
        return []
    names = sorted((p for p in folder.iterdir() if p.name.endswith(SUFFIX)), reverse=True)
    return [read(path) for path in names[:limit]]
