"""Which agent replies go to the customer by email, and queueing them (the rule is in
desk/mail/__init__.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from desk import events as ev
from desk.config import Settings
from desk.mail.compose import Reply, compose, recipient_address
from desk.security import ConversationSigner
from desk.store import Conversation, Handoff, Message, Store

log = logging.getLogger(__name__)

THREAD_ROLES = ("customer", "agent")
LINK_FRAGMENT = "kestrel-conversation"  # widget.js resumes the conversation a link names

QueueReply = Callable[[Message], None]


class ReplyMail:
    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        signer: ConversationSigner,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.signer = signer
        self.wake = wake

    def for_reply(self, conversation: Conversation, handoff: Handoff) -> QueueReply | None:
        """What queues the email of an agent's reply in this conversation (called with the
        stored reply, inside the transaction that stores it), or None when the reply is not
        emailed: no email address, or a handoff that never was a ticket."""
        email = conversation.customer_email
        if not email or not self.was_ticket(conversation.id, handoff.id):
            return None
        try:
            recipient_address(email, conversation.customer_name)
        except ValueError:
            log.warning("conversation %s: the customer's email cannot be written to", conversation.id)
            return None

        def queue(message: Message) -> None:
            reply = self.reply_of(conversation, message, email)
            composed = compose(reply)
            self.store.queue_mail(
                conversation.id, message.id, email, str(composed["Subject"]), composed.as_string()
            )
            self.wake()  # the worker runs once the transaction has committed and the loop is free

        return queue

    def was_ticket(self, conversation_id: str, handoff_id: str) -> bool:
        """Whether this handoff became a ticket (at once, or when the queue went unstaffed):
        the customer was then told the team would reply by email."""
        tickets = self.store.events(
            conversation_id=conversation_id, types=[ev.EventType.TICKET_CREATED], limit=1000
        )
        return any(event.payload.get("handoff_id") == handoff_id for event in tickets)

    def reply_of(self, conversation: Conversation, message: Message, email: str) -> Reply:
        earlier = [m for m in self.store.messages(conversation.id, roles=THREAD_ROLES) if m.id < message.id]
        keep = self.settings.mail_thread_messages
        return Reply(
            conversation_id=conversation.id,
            sender=self.settings.mail_from,
            recipient=email,
            customer_name=conversation.customer_name,
            message=message,
            thread=earlier[-keep:] if keep else [],
            link=self.link(conversation.id),
            timezone=self.settings.timezone,
            moment=self.store.clock(),
        )

    def link(self, conversation_id: str) -> str:
        """The page with the widget, naming the conversation in the fragment (which browsers
        never send to a server, so it stays out of logs and Referer headers)."""
        page = self.settings.mail_link_url or self.settings.public_url.rstrip("/") + "/"
        return f"{page.split('#')[0]}#{LINK_FRAGMENT}={self.signer.sign(conversation_id)}"
