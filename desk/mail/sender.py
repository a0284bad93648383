"""Handing one email to the mail server: the `MailSender` seam (tests pass a fake) and its SMTP
implementation over aiosmtplib. Failures come back as `MailDeferred` (try again later) or
`MailRefused` (this message or address will never be taken), so the outbox knows which."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Protocol

import aiosmtplib

from desk.config import Settings
from desk.errors import MailDeferred, MailRefused


class MailSender(Protocol):
    async def send(self, raw: str, recipient: str) -> None:
        """Deliver the RFC 5322 message `raw` to `recipient`, or raise MailNotSent."""
        ...


class SmtpSender:
    """One SMTP connection per email: replies to tickets are few, and a fresh connection never
    inherits a half-closed one's trouble."""

    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.tls = settings.smtp_tls
        self.username = settings.smtp_username or None
        self.password = settings.smtp_password.get_secret_value() or None
        self.timeout = settings.smtp_timeout_seconds
        self.envelope_from = parseaddr(settings.mail_from)[1]

    async def send(self, raw: str, recipient: str) -> None:
        try:
            await aiosmtplib.send(
                raw.encode(),  # ASCII: compose encodes every part
                sender=self.envelope_from,
                recipients=[recipient],
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.tls == "tls",
                start_tls=self.tls == "starttls",
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as e:
            codes = [refused.code for refused in e.recipients]
            error = "; ".join(f"{r.code} {r.message}" for r in e.recipients)
            raise (MailRefused if codes and min(codes) >= 500 else MailDeferred)(error) from e
        except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError) as e:
            # About this message or address; the server's other refusals (sign-in, the sender,
            # TLS) are its configuration, which someone can fix: those are retried.
            raise (MailRefused if e.code >= 500 else MailDeferred)(f"{e.code} {e.message}") from e
        except (aiosmtplib.SMTPException, OSError) as e:
            raise MailDeferred(f"{type(e).__name__}: {e}") from e
