"""The customer's side of a conversation: opening it from the widget, each message stored first
(with its event) and then routed (to the assistant in `bot` mode, to the agents otherwise), a
request for a person, contact details for a ticket, typing and read receipts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from desk import events as ev
from desk.assistant import Assistant, last_answer
from desk.config import Settings
from desk.csat import Satisfaction
from desk.errors import ConversationNotFound, InvalidInput
from desk.frames import MessageView
from desk.masking import mask_cards
from desk.notifications import Notifier
from desk.queue import CUSTOMER_ROLES
from desk.security import ConversationSigner, identity_verified, new_conversation_id
from desk.state import WITH_PEOPLE, Mode, Step
from desk.store import Conversation, Message, Store
from desk.tasks import Tasks

PERSON_PAYLOAD = "/request_human"
CONFIRM_PAYLOAD = "/affirm"
FEEDBACK_PAYLOADS = {CONFIRM_PAYLOAD: True, "/not_helpful": False}
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


class MessageTooLong(InvalidInput):
    code = "message_too_long"


def checked_text(text: str, limit: int) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("the message is empty")
    if len(text) > limit:
        raise MessageTooLong(f"messages are limited to {limit} characters")
    return text


class Conversations:
    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        notify: Notifier,
        assistant: Assistant,
        tasks: Tasks,
        satisfaction: Satisfaction | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.notify = notify
        self.assistant = assistant
        self.tasks = tasks
        self.satisfaction = satisfaction
        self.signer = ConversationSigner(
            settings.secret_key.get_secret_value(),
            max_age=timedelta(days=settings.conversation_token_days),
            clock=store.clock,
        )

    def get(self, conversation_id: str) -> Conversation:
        conversation = self.store.conversation(conversation_id)
        if conversation is None:
            raise ConversationNotFound(f"no conversation {conversation_id!r}")
        return conversation

    def open(self, token: str | None, metadata: dict[str, Any]) -> tuple[Conversation, str] | None:
        """The conversation a widget token names (None if the token is forged or expired), or a
        new one; with a fresh token either way."""
        metadata = self._vouched(metadata)
        if token:
            conversation_id = self.signer.verify(token)
            conversation = self.store.conversation(conversation_id) if conversation_id else None
            if conversation is None or conversation.metadata.get("purged"):
                return None
            if metadata and metadata != conversation.metadata:
                self.store.update_conversation(conversation.id, metadata=metadata)
            return conversation, self.signer.sign(conversation.id)
        conversation_id = new_conversation_id()
        conversation, _ = self.store.create_conversation(
            conversation_id,
            metadata,
            started=ev.NewEvent(conversation_id, ev.CUSTOMER, ev.ConversationStarted(channel="widget")),
        )
        return conversation, self.signer.sign(conversation.id)

    def _vouched(self, metadata: dict[str, Any]) -> dict[str, Any]:
        """The page's metadata with its customer-id signature replaced by the desk's verdict
        (`customer_verified`), which is all anyone downstream may trust."""
        kept = {k: v for k, v in metadata.items() if k not in ("customer_signature", "customer_verified")}
        if "customer_id" in kept:
            kept["customer_verified"] = identity_verified(
                str(kept["customer_id"]),
                metadata.get("customer_signature"),
                self.settings.identity_secret.get_secret_value(),
            )
        return kept

    def history(self, conversation_id: str, after: int) -> tuple[list[MessageView], bool, bool]:
        """What a widget that has every message up to `after` is sent on connecting: (messages,
        has_older, reset). At most a page, the latest; when more than a page happened since
        `after`, the widget starts again from the latest page (`reset`)."""
        page, more = self.store.latest_messages(
            conversation_id, roles=CUSTOMER_ROLES, after=after, limit=self.settings.history_page
        )
        views = [MessageView.of(m) for m in page]
        if after and more:  # a gap the widget could not fill by scrolling: start afresh
            earlier, _ = self.store.latest_messages(
                conversation_id, roles=CUSTOMER_ROLES, before=page[0].id, limit=1
            )
            return views, bool(earlier), True
        return views, more, False

    def between(self, conversation_id: str, after: int, before: int) -> list[MessageView]:
        """The messages a widget is sent, stored after `after` and before `before`, oldest first."""
        return [
            MessageView.of(m)
            for m in self.store.messages(conversation_id, after=after, before=before, roles=CUSTOMER_ROLES)
        ]

    def older(self, conversation_id: str, before: int) -> tuple[list[MessageView], bool]:
        """The page of messages before `before`, and whether there are more before them."""
        page, more = self.store.latest_messages(
            conversation_id, roles=CUSTOMER_ROLES, before=before, limit=self.settings.history_page
        )
        return [MessageView.of(m) for m in page], more

    async def customer_message(
        self, conversation_id: str, text: str, *, client_id: str, payload: str | None = None
    ) -> Message:
        """Store first (with its events), then route; a resolved conversation reopens to the
        assistant. Card numbers are masked before either (the stored text says so)."""
        text = mask_cards(checked_text(text, self.settings.max_message_chars))
        conversation = self.get(conversation_id)
        if (
            payload is not None
            and payload != PERSON_PAYLOAD
            and payload not in self._offered(conversation_id)
        ):
            payload = None  # a button the assistant did not offer counts as its typed title
        answered = last_answer(self.store, conversation_id) if payload in FEEDBACK_PAYLOADS else None
        resolution = (  # "Yes, that answered it": the assistant resolved the conversation (desk/csat.py)
            self.satisfaction.assistant_resolution(conversation_id, "confirmed")
            if self.satisfaction is not None and answered is not None and payload == CONFIRM_PAYLOAD
            else None
        )

        def record(message: Message) -> list[ev.NewEvent]:
            said = ev.CustomerMessage(
                message_id=message.id, chars=len(message.text), button=payload is not None
            )
            found = [ev.NewEvent(conversation_id, ev.CUSTOMER, said)]
            if answered is not None and payload is not None:
                feedback = ev.Feedback(article_id=answered, helpful=FEEDBACK_PAYLOADS[payload])
                found.append(ev.NewEvent(conversation_id, ev.CUSTOMER, feedback))
            if resolution is not None:
                found.append(resolution)
            return found

        message, created = self.store.add_message(
            conversation.id, "customer", text, payload=payload, client_id=client_id, record=record
        )
        if not created:
            return message  # a retry of a message already stored and routed
        if resolution is not None and self.satisfaction is not None:
            self.satisfaction.offer(conversation.id)
        if conversation.mode == Mode.RESOLVED:
            self.store.transition(
                conversation.id,
                Step.REOPEN,
                expected=Mode.RESOLVED,
                events=[ev.NewEvent(conversation.id, ev.CUSTOMER, ev.Reopened())],
            )
            conversation = self.get(conversation.id)
            self.notify.state(conversation.id)
        self.notify.message(conversation, message)
        if conversation.mode == Mode.BOT:
            said = self.to_assistant(text, payload)
            self.tasks.spawn(self.assistant.turn(conversation.id, said, said == PERSON_PAYLOAD))
        elif (
            conversation.mode == Mode.TICKET
            and not conversation.customer_email
            and (found := EMAIL.search(text))
        ):
            self.set_contact(conversation.id, found.group(0), None)
        return message

    @staticmethod
    def to_assistant(text: str, payload: str | None) -> str:
        """What Rasa receives: an offered button's payload (checked on arrival), and typed text
        never as an intent (Rasa reads a leading "/" as one, with entities that set slots)."""
        if payload is not None:
            return payload
        return text.lstrip("/").strip() or "?"

    def _offered(self, conversation_id: str) -> set[str]:
        """The payloads of the buttons on the assistant's last message."""
        last = self.store.last_message(conversation_id, roles=("bot",))
        return {button["payload"] for button in last.buttons} if last else set()

    async def request_person(self, conversation_id: str, client_id: str) -> Message | None:
        """ "Talk to a person": through the assistant, so the handoff carries its context."""
        conversation = self.get(conversation_id)
        if conversation.mode in WITH_PEOPLE:
            self.notify.state(conversation.id)
            return None
        return await self.customer_message(
            conversation_id, "Talk to a person", client_id=client_id, payload=PERSON_PAYLOAD
        )

    def set_contact(self, conversation_id: str, email: str, name: str | None) -> None:
        email = email.strip()
        if not EMAIL.fullmatch(email):
            raise InvalidInput("that doesn't look like an email address")
        self.get(conversation_id)
        fields: dict[str, Any] = {"customer_email": email}
        if name and name.strip():
            fields["customer_name"] = mask_cards(name.strip()[:200])
        self.store.update_conversation(
            conversation_id, events=[ev.NewEvent(conversation_id, ev.CUSTOMER, ev.ContactGiven())], **fields
        )
        message, _ = self.store.add_message(conversation_id, "system", f"Thanks, we'll reply to {email}.")
        self.notify.message(self.get(conversation_id), message)
        self.notify.state(conversation_id)
        self.notify.queue_changed()

    def typing(self, conversation_id: str, on: bool) -> None:
        if self.get(conversation_id).mode in WITH_PEOPLE:
            self.notify.customer_typing(conversation_id, on)

    def seen(self, conversation_id: str, message_id: int) -> None:
        self.store.update_conversation(conversation_id, customer_seen_id=message_id)
