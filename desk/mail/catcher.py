"""Development mail catcher: an SMTP server (aiosmtpd) on 127.0.0.1 that accepts every message
and keeps it in DESK_MAIL_CAPTURE_DIR instead of delivering it; GET /dev/mail lists them.
`make run` starts it (Procfile: `mail`) on DESK_SMTP_PORT, where the desk sends by default.

    python -m desk.mail.catcher

It refuses to run in production. It only idles, rather than exit (honcho stops every service
when one exits), when DESK_SMTP_HOST names another server, or when its port is taken (by the
catcher of another `make run`, say: the desk's mail then goes there)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from desk.config import Settings
from desk.mail.captured import save

log = logging.getLogger(__name__)

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class CaptureHandler:
    """aiosmtpd's handler: every message received is saved, none is relayed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        sender = _one_line(str(envelope.mail_from or ""))
        recipients = [_one_line(str(r)) for r in envelope.rcpt_tos]
        path = save(self.folder, sender, recipients, content)
        log.info("caught a message for %s (%s)", ", ".join(recipients), path.name)
        return "250 Message accepted for delivery"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


async def serve(folder: Path, port: int, host: str = "127.0.0.1") -> None:
    loop = asyncio.get_running_loop()
    handler = CaptureHandler(folder)
    server = await loop.create_server(lambda: SMTP(handler, hostname="kestrel-mail-catcher"), host, port)
    log.info("mail catcher listening on %s:%d, keeping mail in %s", host, port, folder)
    async with server:
        await server.serve_forever()


async def idle() -> None:
    await asyncio.Event().wait()


def main() -> int:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.environment != "development":
        log.error("the mail catcher is for development only (DESK_ENVIRONMENT=%s)", settings.environment)
        return 2
    try:
        if settings.smtp_host not in LOCAL_HOSTS:
            log.info("DESK_SMTP_HOST is %s: the desk sends real mail, nothing to catch", settings.smtp_host)
            asyncio.run(idle())
        else:
            asyncio.run(serve(settings.mail_capture_dir, settings.smtp_port))
    except OSError as e:
        log.warning(
            "cannot listen on 127.0.0.1:%d (%s); mail goes to whatever listens there", settings.smtp_port, e
        )
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(idle())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
