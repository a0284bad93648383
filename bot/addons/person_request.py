"""Spotting a request for a person, or a complaint, anywhere in a message.

The intent classifier decides what a message is *mostly* about. "My transfer hasn't arrived,
can I talk to someone?" is mostly about a transfer, so it comes out as a support question and
the customer who asked for a person gets an article. This detector looks for the request
itself: a verb of talking next to a person ("speak to an advisor", "put me through to someone"),
a wish for a person ("I need a real human"), asking whether anyone is there, a call back, a
refusal of the bot, or a complaint, and tolerates typos and text-speak ("tlk 2 sum1",
"agnet pls", "complant"). Pure functions, no Rasa: `person_request_component.py` applies it in
the Rasa pipeline. The words it reads are in `person_words.py`; how a message is read into words
(text-speak, typos) in `spelling.py`.
"""

from __future__ import annotations

import re
from typing import AbstractSet, Iterable, Optional, Sequence

from addons.person_words import (
    ANYONE_THERE,
    BOT_QUESTION,
    BOT_QUESTION_WORDS,
    BOT_WORDS,
    CALL,
    CALL_BACK,
    COMPLAINT_PHRASES,
    COMPLAINT_STEMS,
    COMPLAINT_WORDS,
    FILLER,
    HAND_OVER,
    MODAL,
    PEOPLE,
    PERSON_ACTS,
    REFUSAL,
    STRONG_PEOPLE,
    TALK,
    TEAM_REQUEST,
    UNMISTAKABLE,
    WANT,
)
from addons.spelling import spelled_words, words

__all__ = ["COMPLAINT", "PERSON", "detect", "is_bot_question", "spelled_words", "words"]

PERSON = "person"
COMPLAINT = "complaint"


def is_bot_question(text: str) -> bool:
    """ "Are you a bot?", "am I talking to a human or a bot": what the assistant is, not a request."""
    match = BOT_QUESTION.match(text.lower().strip())
    return match is not None and set(re.findall(r"[a-z]+", match["rest"])) <= BOT_QUESTION_WORDS


def _person_follows(tokens: Sequence[str], start: int, people: Iterable[str], reach: int) -> bool:
    """A person word within `reach` words after `start`, with only filler words between."""
    people = set(people)
    for token in tokens[start + 1 : start + 1 + reach]:
        if token in people:
            return True
        if token not in FILLER:
            return False
    return False


def _person_acts(tokens: Sequence[str], start: int) -> bool:
    """ "could a person explain", "can one of your staff look at this", "can someone from your team
    call me": a modal, a person (vague ones only with "from/at/in your ..."), then an act."""
    rest = tokens[start + 1 : start + 9]
    for j, token in enumerate(rest):
        if token in STRONG_PEOPLE or token in {"member", "team"}:
            return any(t in PERSON_ACTS for t in rest[j + 1 : j + 5])
        if token in {"someone", "somebody", "anyone", "anybody"}:
            after = rest[j + 1 : j + 3]
            return bool(after) and after[0] in {"from", "at", "who"}
        if token not in FILLER and token not in {"one", "of"}:
            return False
    return False


def _asks_for_person(tokens: Sequence[str], text: str) -> bool:
    for i, token in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in TALK and _person_follows(tokens, i, PEOPLE, 6):
            return True
        if token in CALL and _person_follows(tokens, i, STRONG_PEOPLE | {"someone", "somebody"}, 5):
            return True
        if (
            token in HAND_OVER
            and nxt in {"me", "us", "this", "it"}
            and _person_follows(tokens, i + 1, PEOPLE, 6)
        ):
            return True
        if token in WANT and _person_follows(tokens, i, STRONG_PEOPLE, 4):
            return True
        if (
            token in WANT
            and nxt in {"someone", "somebody", "anyone"}
            and (
                i + 2 >= len(tokens)
                or tokens[i + 2] in {"who", "from", "at", "that", "real", "please", "now", "here"}
            )
        ):
            return True
        if token in MODAL and _person_acts(tokens, i):
            return True
    if UNMISTAKABLE.intersection(tokens):
        return True
    if CALL_BACK.search(text) or ANYONE_THERE.search(text) or TEAM_REQUEST.search(text):
        return True
    if BOT_WORDS.intersection(tokens) and REFUSAL.intersection(tokens):
        return True
    return False


def detect(text: str, known: AbstractSet[str] = frozenset()) -> Optional[str]:
    """COMPLAINT, PERSON, or None when the message asks for neither; `known` as in `words`."""
    tokens = words(text, known)
    if not tokens:
        return None
    joined = " ".join(tokens)
    if (
        any(t.startswith(COMPLAINT_STEMS) for t in tokens)
        or COMPLAINT_WORDS.intersection(tokens)
        or COMPLAINT_PHRASES.search(joined)
    ):
        return COMPLAINT
    if is_bot_question(text) and not REFUSAL.intersection(tokens):
        return None
    if _asks_for_person(tokens, joined):
        return PERSON
    # A message made only of person words and fillers ("agent now", "human being pls").
    if STRONG_PEOPLE.intersection(tokens) and all(t in PEOPLE or t in FILLER or t == "being" for t in tokens):
        return PERSON
    return None
