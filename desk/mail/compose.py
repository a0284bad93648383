"""The email an agent's reply becomes: plain text with an escaped HTML alternative, the reply
first, a link to continue the conversation, then the earlier messages that matter (the
customer's and the agents', never internal notes, system lines or the assistant's articles).

Every piece of text is masked again (desk/masking.py) although the desk stores it masked: a
name that came with a handoff request, or text stored before masking existed, must not leave
in an email either. HTML is built from escaped text only."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from zoneinfo import ZoneInfo

from desk.masking import mask_cards
from desk.store import Message, parse_time

MAIL_POLICY = policy.SMTP
SAFETY_LINE = "We will never ask you for your full card number, PIN or password by email or in chat."


@dataclass(frozen=True, slots=True)
class Reply:
    """What one email says: who writes to whom, the reply and the thread before it."""

    conversation_id: str
    sender: str  # "Name <address>" (DESK_MAIL_FROM)
    recipient: str
    customer_name: str | None
    message: Message  # the agent's reply
    thread: Sequence[Message]  # earlier customer and agent messages, oldest first
    link: str
    timezone: str
    moment: datetime


def recipient_address(email: str, name: str | None) -> Address:
    """The To header's address; ValueError when the stored email cannot be one."""
    local, at, domain = email.strip().rpartition("@")
    bad = not email.isascii() or any(ch.isspace() or ch in "<>,;\"'" for ch in email.strip())
    if not at or not local or not domain or bad:
        raise ValueError("not a deliverable address")
    display = " ".join(mask_cards(name or "").split())[:100]
    return Address(display_name=display, username=local, domain=domain)


def subject_of(sender: str) -> str:
    brand = parseaddr(sender)[0] or "Kestrel Support"
    return f"Re: your conversation with {brand}"


def compose(reply: Reply) -> EmailMessage:
    sender_name, sender_address = parseaddr(reply.sender)
    domain = sender_address.rpartition("@")[2] or "kestrel.example"
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = reply.sender
    message["To"] = recipient_address(reply.recipient, reply.customer_name)
    message["Subject"] = subject_of(reply.sender)
    message["Date"] = format_datetime(reply.moment)
    message["Message-ID"] = make_msgid("reply", domain=domain)
    # Every email of one conversation names the same thread, so mail clients group them.
    thread_id = f"<conversation.{reply.conversation_id}@{domain}>"
    message["In-Reply-To"] = thread_id
    message["References"] = thread_id
    message.set_content(plain_text(reply, sender_name), cte="quoted-printable")
    message.add_alternative(html_text(reply, sender_name), subtype="html", cte="quoted-printable")
    return message


def _when(at: str, timezone: str) -> str:
    return parse_time(at).astimezone(ZoneInfo(timezone)).strftime("%d %b %Y, %H:%M %Z")


def _author(message: Message) -> str:
    if message.role == "customer":
        return "You"
    return mask_cards(" ".join((message.author or "Our team").split()))


def _greeting(reply: Reply) -> str:
    name = " ".join(mask_cards(reply.customer_name or "").split())
    return f"Hello {name}," if name else "Hello,"


def _intro(reply: Reply, brand: str) -> str:
    return f"{_author(reply.message)} from {brand or 'our team'} replied to your message:"


def plain_text(reply: Reply, brand: str) -> str:
    lines = [_greeting(reply), "", _intro(reply, brand), ""]
    lines += [f"    {line}" if line else "" for line in mask_cards(reply.message.text).splitlines()]
    lines += ["", "To answer, continue the conversation here (replies to this email are not read):"]
    lines += [reply.link, ""]
    if reply.thread:
        lines += ["Earlier in this conversation", "----------------------------"]
        for earlier in reply.thread:
            lines.append(f"{_author(earlier)}, {_when(earlier.at, reply.timezone)}:")
            lines += [f"  {line}" for line in mask_cards(earlier.text).splitlines()]
            lines.append("")
    lines += [SAFETY_LINE, ""]
    return "\n".join(lines)


def html_text(reply: Reply, brand: str) -> str:
    def text_block(text: str, style: str) -> str:
        return f'<div style="white-space:pre-wrap;{style}">{html.escape(mask_cards(text))}</div>'

    link = html.escape(reply.link, quote=True)
    parts = [
        f"<p>{html.escape(_greeting(reply))}</p>",
        f"<p>{html.escape(_intro(reply, brand))}</p>",
        text_block(reply.message.text, "border-left:3px solid #0f766e;padding:4px 12px;margin:0 0 16px"),
        f'<p><a href="{link}">Continue the conversation</a> (replies to this email are not read).</p>',
    ]
    if reply.thread:
        parts.append('<h2 style="font-size:15px">Earlier in this conversation</h2>')
        for earlier in reply.thread:
            heading = f"{_author(earlier)}, {_when(earlier.at, reply.timezone)}"
            parts.append(f'<p style="margin:12px 0 2px;color:#4a5568">{html.escape(heading)}</p>')
            parts.append(text_block(earlier.text, "padding-left:12px"))
    parts.append(f'<p style="color:#4a5568;font-size:13px">{html.escape(SAFETY_LINE)}</p>')
    body = "\n".join(parts)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"></head>\n'
        f'<body style="font-family:system-ui,sans-serif;color:#1c2430">\n{body}\n</body></html>\n'
    )
