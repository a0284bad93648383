"""Answering from the knowledge base: the answer, a clarification, or an honest "I don't know",
and what follows from the customer's feedback."""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import replies
from actions.conversation import ConversationState, conversation_state
from actions.disowned import disowns_payment
from actions.errors import ActionsError, RejectedRequest
from actions.escalation import Decision, Signal, decide, sensitive_hit
from actions.handoff import ServiceAction, hand_over, present_sensitive

log = logging.getLogger(__name__)

# A follow-up agrees with the pair when the pair's first article is among its own best this many.
FOLLOW_UP_AGREEMENT = 3
# The knowledge service's live source for questions customers confirmed as answered.
CONFIRMED_SOURCE = "confirmed_answers"

_FOLLOW_UP = re.compile(
    r"^(and|or|but|also|plus|what about|how about|what if|same for|with|via|using|in)\b", re.I
)


ARTICLE_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")  # what knowledge/ names articles


def compose_query(text: str, previous: Optional[str], max_words: int) -> str:
    """A short follow-up ("and with Apple Pay?") is searched together with the question before it."""
    if previous and len(text.split()) <= max_words and _FOLLOW_UP.match(text.strip()):
        return f"{previous} {text}"
    return text


def events_before_latest_message(tracker: Tracker) -> List[Dict[str, Any]]:
    events: List[Dict[str, Any]] = tracker.events
    for i in range(len(events) - 1, -1, -1):
        if events[i].get("event") == "user":
            return events[:i]
    return events


def answered_article(state: ConversationState) -> Optional[str]:
    """The article the assistant's last reply answered with, if its last reply was an answer."""
    decision = state.last_decision
    return decision.get("article_id") if decision and decision["kind"] == "answer" else None


def clarify_options(result: Dict[str, Any], at_most: int) -> List[Dict[str, Any]]:
    """The hits a clarification offers: those the search says compete (older services without
    `candidates`: the first few)."""
    hits: List[Dict[str, Any]] = result["hits"]
    wanted = result.get("candidates")
    if not wanted:
        return hits[:at_most]
    return [h for h in hits if h["article_id"] in wanted][:at_most]


class ActionAnswerQuestion(ServiceAction):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        text = (tracker.latest_message.get("text") or "").strip()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        before = conversation_state(events_before_latest_message(tracker))
        config = self.services.settings
        try:
            result = await self._search(text, before)
        except ActionsError as e:
            log.warning("conversation %s: knowledge service unavailable: %s", tracker.sender_id, e)
            return await self._no_answer(dispatcher, tracker, before.failures, error="kb_unavailable")
        verdict, hits = result["verdict"], result["hits"]
        if intent == "out_of_scope" and verdict != "answer":
            dispatcher.utter_message(
                text=replies.OUT_OF_SCOPE_TEXT, json_message={"kind": "none", "reason": "out_of_scope"}
            )
            return []
        sensitive = sensitive_hit(result, self.services.policy)
        if sensitive is None and disowns_payment(text):
            sensitive = await self._closest_sensitive(text)
        if sensitive is not None:
            return await present_sensitive(self, dispatcher, tracker, sensitive["article_id"])
        if verdict == "answer":
            return await present_answer(self, dispatcher, tracker, hits[0]["article_id"], search=result)
        if verdict == "clarify":
            options = clarify_options(result, config.clarify_options)
            dispatcher.utter_message(
                text="I want to get this right. Did you mean one of these?",
                buttons=replies.clarify_buttons(options),
                json_message=replies.clarify_decision(options),
            )
            return []
        return await self._no_answer(dispatcher, tracker, before.failures)

    async def _closest_sensitive(self, text: str) -> Optional[Dict[str, Any]]:
        """For a customer disowning a payment (actions/disowned.py): the sensitive article
        closest to what they said, however far down the full ranking it is (a payment the
        customer did not make reads much like payments in general)."""
        try:
            found = await self.services.kb.search(text, top_k=1, escalation=["always"])
        except ActionsError as e:
            log.warning("search for a sensitive article failed: %s", e)
            return None
        hits: List[Dict[str, Any]] = found.get("hits") or []
        return hits[0] if hits else None

    async def _search(self, text: str, before: ConversationState) -> Dict[str, Any]:
        """Search the message; a short follow-up is searched with the question before it. When
        the pair still puts the article just shown first, the follow-up asks about something
        else ("and by bank transfer?" after the card top-up fee): the pair is searched again
        with that article set aside, and a plausible other article answers."""
        kb = self.services.kb
        query = compose_query(text, before.last_question, self.services.settings.follow_up_max_words)
        if query == text:
            return await kb.search(text)
        result = await kb.search(query)
        shown = answered_article(before)
        if shown is not None and result["hits"] and result["hits"][0]["article_id"] == shown:
            other = await kb.search(query, exclude=[shown])
            if other["verdict"] == "clarify" and other["hits"]:
                # The follow-up alone is too short to answer by itself, but when it also
                # names the pair's new first article among its best, the two agree.
                alone = await kb.search(text, top_k=FOLLOW_UP_AGREEMENT)
                if other["hits"][0]["article_id"] in {h["article_id"] for h in alone["hits"]}:
                    other = {**other, "verdict": "answer"}
            if other["verdict"] != "none":
                return other
        if result["verdict"] == "none":
            result = await kb.search(text)
        return result

    async def _no_answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        failures_before: int,
        error: Optional[str] = None,
    ) -> List[EventType]:
        decision = decide(
            Signal.NO_CONFIDENT_ANSWER, failures=failures_before + 1, abuse=0, policy=self.services.policy
        )
        custom: Dict[str, Any] = {"kind": "none"}
        if error:
            custom["error"] = error
        if decision.handoff:
            # the failed search counts in the handoff context too
            dispatcher.utter_message(text=replies.NONE_TEXT, json_message=custom)
            return await hand_over(self.services, dispatcher, tracker, decision)
        dispatcher.utter_message(text=replies.NONE_TEXT, buttons=[replies.PERSON_BUTTON], json_message=custom)
        return []


async def present_answer(
    action: ServiceAction,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    article_id: str,
    search: Optional[Dict[str, Any]] = None,
) -> List[EventType]:
    """The article as the answer; `search` is the result that chose it (None: the customer
    chose it among suggestions)."""
    article = await action.services.kb.article(article_id)
    steps = replies.key_steps(article["body"], action.services.settings.steps_shown)
    decision = replies.answer_decision(article, "answer" if search else "chosen", search)
    dispatcher.utter_message(text=replies.answer_text(article, steps), json_message=decision)
    question = "Did that answer your question?"
    if article.get("escalation") == "offer":
        question += " If this needs a closer look, a member of our team can help."
    dispatcher.utter_message(text=question, buttons=replies.FEEDBACK_BUTTONS)
    return []


class ActionShowArticle(ServiceAction):
    """The customer picked one of the suggested articles."""

    def name(self) -> str:
        return "action_show_article"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        article_id = next(tracker.get_latest_entity_values("article_id"), None) or tracker.get_slot(
            "article_id"
        )
        if not isinstance(article_id, str) or not ARTICLE_SLUG.fullmatch(article_id):
            dispatcher.utter_message(text=replies.SOMETHING_ELSE_TEXT)
            return []
        try:
            article = await self.services.kb.article(article_id)
        except ActionsError as e:
            log.warning("conversation %s: article %s unavailable: %s", tracker.sender_id, article_id, e)
            error = "article_not_found" if isinstance(e, RejectedRequest) else "kb_unavailable"
            dispatcher.utter_message(
                text=replies.NONE_TEXT,
                buttons=[replies.PERSON_BUTTON],
                json_message={"kind": "none", "error": error},
            )
            return []
        if article.get("escalation") == "always":
            return await present_sensitive(self, dispatcher, tracker, article_id)
        return await present_answer(self, dispatcher, tracker, article_id)


class ActionNotHelpful(ServiceAction):
    """ "That didn't help" (or "no" to an answer): apologise and offer a way on, or a person."""

    def name(self) -> str:
        return "action_not_helpful"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        return await respond_to_failure(
            self, dispatcher, tracker, Signal.NOT_HELPFUL, replies.NOT_HELPFUL_TEXT
        )


class ActionSomethingElse(ServiceAction):
    """ "Something else" after a clarification: the customer turned the suggestions down."""

    def name(self) -> str:
        return "action_something_else"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        return await respond_to_failure(
            self, dispatcher, tracker, Signal.DECLINED_ALTERNATIVES, replies.SOMETHING_ELSE_TEXT
        )


async def respond_to_failure(
    action: ServiceAction, dispatcher: CollectingDispatcher, tracker: Tracker, signal: Signal, text: str
) -> List[EventType]:
    state = conversation_state(tracker.events)  # the current message is already counted
    decision: Decision = decide(
        signal, failures=state.failures, abuse=state.abuse, policy=action.services.policy
    )
    if decision.handoff:
        return await hand_over(action.services, dispatcher, tracker, decision)
    dispatcher.utter_message(
        text=text, buttons=[replies.PERSON_BUTTON], json_message={"kind": "none", "reason": signal.value}
    )
    return []


class ActionFeedback(ServiceAction):
    """ "Yes" or "no", read against what the assistant said last."""

    def name(self) -> str:
        return "action_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        before = conversation_state(events_before_latest_message(tracker))
        last = before.last_decision
        if last is not None and last["kind"] == "answer":
            if intent == "affirm":
                await self._remember(tracker, before)
                # `confirmed`: the desk records the assistant's resolution and asks for a rating.
                dispatcher.utter_message(
                    text="Great, I'm glad that helped. Is there anything else I can do for you?",
                    json_message={"kind": "confirmed"},
                )
                return []
            return await respond_to_failure(
                self, dispatcher, tracker, Signal.NOT_HELPFUL, replies.NOT_HELPFUL_TEXT
            )
        if intent == "affirm":
            dispatcher.utter_message(text="Sure. What would you like to know?")
        else:
            dispatcher.utter_message(text="No problem. Is there anything else I can help you with?")
        return []

    async def _remember(self, tracker: Tracker, before: ConversationState) -> None:
        """The question the customer confirmed as answered becomes a candidate example for that
        article (an editor approves it before it counts)."""
        article_id = answered_article(before)
        question = before.last_question
        if article_id is None or not question or _FOLLOW_UP.match(question):
            return  # a follow-up alone ("and by card?") says nothing about the article
        try:
            await self.services.kb.add_candidate_example(CONFIRMED_SOURCE, question, article_id)
        except ActionsError as e:
            log.info("conversation %s: confirmed answer not kept as an example: %s", tracker.sender_id, e)
