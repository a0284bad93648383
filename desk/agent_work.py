"""What agents do with a handed-over conversation: claim it, reply (text or an article),
write internal notes, resolve it, or hand it back to the assistant (a reply to a ticket is also
emailed: desk/mail/). Every change of who holds the conversation is a transition of
desk/state.py, logged with its events."""

from __future__ import annotations

import logging
from typing import Any

from desk import events as ev
from desk.assistant import Assistant
from desk.clients import KBClient
from desk.config import Settings
from desk.conversations import Conversations, checked_text
from desk.csat import Satisfaction
from desk.errors import ArticleNotFound, Conflict, ConversationNotFound, UpstreamUnavailable
from desk.frames import MessageView
from desk.learning import SOURCE as LEARNING_SOURCE
from desk.learning import article_sent, resolved_example
from desk.mail.replies import QueueReply, ReplyMail
from desk.masking import mask_cards
from desk.notifications import Notifier
from desk.queue import Queue
from desk.state import MODE_OF_OPEN, OPEN_STATUSES, HandoffStatus, Mode, Step
from desk.store import Clock, Handoff, Message, StaffMember, Store, iso
from desk.tasks import Tasks

log = logging.getLogger(__name__)


class AgentWork:
    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        queue: Queue,
        notify: Notifier,
        conversations: Conversations,
        assistant: Assistant,
        kb: KBClient,
        tasks: Tasks,
        clock: Clock,
        mail: ReplyMail | None = None,
        satisfaction: Satisfaction | None = None,
    ) -> None:
        self.satisfaction = satisfaction
        self.settings = settings
        self.store = store
        self.queue = queue
        self.notify = notify
        self.conversations = conversations
        self.assistant = assistant
        self.kb = kb
        self.tasks = tasks
        self.clock = clock
        self.mail = mail

    # ---- reading -----------------------------------------------------------------------

    def queue_view(self, agent_id: int) -> dict[str, Any]:
        return self.queue.views([agent_id])[agent_id]

    def conversation_view(self, conversation_id: str) -> dict[str, Any]:
        conversation = self.conversations.get(conversation_id)
        handoff = self.store.handoff(conversation.handoff_id) if conversation.handoff_id else None
        return {
            "summary": self.queue.summary_of(handoff) if handoff else None,
            "handoff": handoff.request if handoff else None,
            "messages": [MessageView.of(m).frame() for m in self.store.messages(conversation_id)],
            "state": self.queue.state_of(conversation).frame(),
        }

    async def search_articles(self, query: str) -> list[dict[str, Any]]:
        if not query.strip():
            return []
        hits = await self.kb.search(query[:500], top_k=6)
        keys = ("article_id", "title", "summary", "url", "score")
        return [{key: hit.get(key) for key in keys} for hit in hits]

    # ---- acting ------------------------------------------------------------------------

    def claim(self, conversation_id: str, agent: StaffMember) -> dict[str, Any]:
        handoff = self._open_handoff(conversation_id)
        if handoff.status == HandoffStatus.ASSIGNED:
            if handoff.agent_id == agent.id:
                return self.queue.summary_of(handoff)
            raise Conflict("another agent already holds this conversation")
        self.store.transition(
            conversation_id,
            Step.CLAIM,
            expected=MODE_OF_OPEN[HandoffStatus(handoff.status)],
            handoff_fields={"agent_id": agent.id, "claimed_at": handoff.claimed_at or iso(self.clock())},
            events=[
                ev.NewEvent(conversation_id, ev.agent_actor(agent.id), ev.AgentJoined(handoff_id=handoff.id))
            ],
        )
        self._system_message(conversation_id, f"{agent.name} joined the conversation.")
        self.notify.state(conversation_id)
        self.notify.queue_changed()
        return self.queue.summary_of(self._handoff(handoff.id))

    def reply(
        self, conversation_id: str, agent: StaffMember, text: str, links: list[dict[str, str]] | None = None
    ) -> dict[str, Any]:
        handoff = self._held_by(conversation_id, agent)
        conversation = self.conversations.get(conversation_id)
        email = self.mail.for_reply(conversation, handoff) if self.mail else None  # a ticket's reply
        message = self._agent_text(conversation_id, "agent", agent, text, links, email=email)
        if handoff.first_reply_at is None:
            self.store.update_handoff(handoff.id, first_reply_at=message.at)
        self.notify.agent_typing(conversation_id, agent.name, False)
        return MessageView.of(message).frame()

    def note(self, conversation_id: str, agent: StaffMember, text: str) -> dict[str, Any]:
        self._held_by(conversation_id, agent)
        return MessageView.of(self._agent_text(conversation_id, "note", agent, text, None)).frame()

    async def insert_article(
        self, conversation_id: str, agent: StaffMember, article_id: str
    ) -> dict[str, Any]:
        self._held_by(conversation_id, agent)
        article = await self.kb.article(article_id)
        text = f"{article['title']}\n\n{article['summary']}\n\nThe full article: {article['url']}"
        return self.reply(conversation_id, agent, text, [{"title": article["title"], "url": article["url"]}])

    def resolve(self, conversation_id: str, agent: StaffMember, outcome: str) -> dict[str, Any]:
        handoff = self._open_handoff(conversation_id)
        if handoff.status == HandoffStatus.ASSIGNED and handoff.agent_id != agent.id:
            raise Conflict("another agent holds this conversation")
        moment = iso(self.clock())
        self.store.transition(
            conversation_id,
            Step.RESOLVE,
            expected=MODE_OF_OPEN[HandoffStatus(handoff.status)],
            handoff_fields={
                "outcome": outcome,
                "closed_at": moment,
                "agent_id": agent.id,
                "claimed_at": handoff.claimed_at or moment,
            },
            events=[
                ev.NewEvent(
                    conversation_id,
                    ev.agent_actor(agent.id),
                    ev.Resolved(handoff_id=handoff.id, outcome=outcome),
                )
            ],
        )
        self.assistant.forget(conversation_id)  # the conversation is over
        if outcome == "resolved":
            self._teach_from(conversation_id)
        self._system_message(conversation_id, f"{agent.name} closed the conversation.")
        self.notify.state(conversation_id)
        if self.satisfaction is not None:
            self.satisfaction.offer(conversation_id)  # the customer is asked to rate it (desk/csat.py)
        self.notify.queue_changed()
        return self.queue.summary_of(self._handoff(handoff.id))

    async def hand_back(self, conversation_id: str, agent: StaffMember) -> dict[str, Any]:
        """Give the conversation back to the assistant, which greets the customer again. If Rasa
        cannot be reached nothing changes and the agent is told."""
        handoff = self._held_by(conversation_id, agent)
        async with self.assistant.turns.hold(conversation_id):
            replies = await self.assistant.hand_back(conversation_id)
            self.store.transition(
                conversation_id,
                Step.HAND_BACK,
                expected=Mode.AGENT,
                handoff_fields={"outcome": "handed_back", "closed_at": iso(self.clock())},
                conversation_fields={"bot_paused": 0},
                events=[
                    ev.NewEvent(
                        conversation_id, ev.agent_actor(agent.id), ev.HandedBack(handoff_id=handoff.id)
                    )
                ],
            )
            self._system_message(
                conversation_id, f"{agent.name} left the conversation. The assistant is back."
            )
            self.notify.state(conversation_id)
            self.assistant.store_replies(conversation_id, replies)
        self.notify.queue_changed()
        return self.queue.summary_of(self._handoff(handoff.id))

    def typing(self, conversation_id: str, agent: StaffMember, on: bool) -> None:
        """Shown to the customer only when this agent holds the conversation."""
        try:
            self._held_by(conversation_id, agent)
        except (Conflict, ConversationNotFound):
            return
        self.notify.agent_typing(conversation_id, agent.name, on)

    # ---- helpers -----------------------------------------------------------------------

    def _teach_from(self, conversation_id: str) -> None:
        """Send the resolved conversation's question and article to the knowledge service."""
        token = self.settings.kb_service_token.get_secret_value()
        example = resolved_example(self.store.messages(conversation_id, roles=("customer", "agent")))
        if not token or example is None:
            return

        async def send() -> None:
            try:
                await self.kb.add_candidate_example(LEARNING_SOURCE, example[0], example[1], token)
            except (UpstreamUnavailable, ArticleNotFound) as e:  # losing one candidate costs nothing
                log.info("conversation %s: resolved example not sent: %s", conversation_id, e)

        self.tasks.spawn(send())

    def _handoff(self, handoff_id: str) -> Handoff:
        handoff = self.store.handoff(handoff_id)
        assert handoff is not None
        return handoff

    def _open_handoff(self, conversation_id: str) -> Handoff:
        conversation = self.conversations.get(conversation_id)
        handoff = self.store.handoff(conversation.handoff_id) if conversation.handoff_id else None
        if handoff is None or handoff.status not in OPEN_STATUSES:
            raise Conflict("this conversation is not waiting for or held by an agent")
        return handoff

    def _held_by(self, conversation_id: str, agent: StaffMember) -> Handoff:
        handoff = self._open_handoff(conversation_id)
        if handoff.status != HandoffStatus.ASSIGNED or handoff.agent_id != agent.id:
            raise Conflict("claim the conversation before replying")
        return handoff

    def _agent_text(
        self,
        conversation_id: str,
        role: str,
        agent: StaffMember,
        text: str,
        links: list[dict[str, str]] | None,
        *,
        email: QueueReply | None = None,
    ) -> Message:
        text = mask_cards(checked_text(text, self.settings.max_message_chars * 4))
        actor = ev.agent_actor(agent.id)

        def record(message: Message) -> list[ev.NewEvent]:
            if email is not None:
                email(message)  # into the mail outbox, in the transaction storing the reply
            payload: ev._Payload = (
                ev.AgentMessage(
                    message_id=message.id,
                    article_id=article_sent(message),
                    emailed=True if email is not None else None,
                )
                if role == "agent"
                else ev.InternalNote(message_id=message.id)
            )
            return [ev.NewEvent(conversation_id, actor, payload)]

        message, _ = self.store.add_message(
            conversation_id, role, text, author=agent.name, links=links, record=record
        )
        self.notify.message(self.conversations.get(conversation_id), message)
        return message

    def _system_message(self, conversation_id: str, text: str) -> None:
        message, _ = self.store.add_message(conversation_id, "system", text)
        self.notify.message(self.conversations.get(conversation_id), message)
