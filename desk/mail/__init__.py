"""Replies to tickets, sent to the customer by email.

The rule: an agent's reply (typed, or an article inserted) is emailed when the conversation's
current handoff became a ticket at some point (a `ticket_created` event names it: nobody could
answer, so the customer was promised a reply by email) and the conversation has the customer's
email address (given in the widget's contact form, found in their message, or sent with the
handoff). The reply is emailed even when the customer's widget happens to be open: that is what
they were promised, and the email is their record. A conversation that was only ever queued
and claimed live is not emailed, even if the widget closed meanwhile: a customer who reloads a
page would otherwise get an email for every live answer. Internal notes are never emailed.

How:
  replies.py   the rule, and the email queued in the transaction that stores the reply
  compose.py   the email: plain text and escaped HTML, the reply, a link back to the
               conversation (widget.js resumes it from the link's fragment), the earlier
               customer and agent messages; every text masked again (desk/masking.py)
  outbox.py    the background worker: delivers, backs off, marks sent (desk/store/mail.py)
  sender.py    the SMTP client (aiosmtplib), the `MailSender` seam tests fake
  catcher.py   development only: an SMTP server (aiosmtpd) that keeps what it receives in
               DESK_MAIL_CAPTURE_DIR, which GET /dev/mail lists (captured.py reads it)

The event log records which agent messages were emailed (`agent_message` with `emailed`);
whether an email was delivered lives in the outbox (status, attempts, last error)."""

from desk.mail.outbox import MailOutbox
from desk.mail.replies import ReplyMail
from desk.mail.sender import MailSender, SmtpSender

__all__ = ["MailOutbox", "MailSender", "ReplyMail", "SmtpSender"]
