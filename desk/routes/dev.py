"""Development-only pages: GET /dev/mail lists the mail outbox and what the development mail
catcher received (desk/mail/). app.py includes this router only when DESK_ENVIRONMENT is
development, so in production the route does not exist (404). Agents and admins may read it;
every field is untrusted text and the template escapes it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from desk.mail import captured
from desk.pages import render
from desk.routes.deps import DeskDep, DevPage

router = APIRouter(include_in_schema=False)

SHOWN = 50


@router.get("/dev/mail", response_class=HTMLResponse)
def mail_page(request: Request, who: DevPage, desk: DeskDep) -> Response:
    folder = desk.settings.mail_capture_dir
    return render(
        request,
        "dev_mail.html",
        who=who,
        outbox=desk.store.outgoing_mail(limit=SHOWN),
        caught=captured.latest(folder, SHOWN),
        folder=str(folder),
        smtp=f"{desk.settings.smtp_host}:{desk.settings.smtp_port}",
    )
