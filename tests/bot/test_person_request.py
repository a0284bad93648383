"""The person-request detector (bot/addons/person_request.py), table-driven: requests hidden in
questions, typos and text-speak, complaints, and routine questions that mention people but do
not ask for one. Sentences are our own, none from the held-out sets in eval/data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bot"))

from addons.person_request import COMPLAINT, PERSON, detect, words  # noqa: E402

ASKS_FOR_A_PERSON = [
    "speak to someone",
    "let me talk with one of your advisors",
    "my savings pot shows the wrong total, can I chat to a member of staff",
    "I'd like a real person",
    "need a human now",
    "put me through to your team please",
    "could someone from your team ring me tomorrow",
    "can a colleague of yours check this for me",
    "is anybody there",
    "are there any agents online",
    "ditch the bot",
    "this bot can't help me",
    "call me back please",
    "please give me a ring",
    "tlk 2 sum1 pls",
    "spek to an advisr",
    "I want to talk to a persn",
    "iwanttospeaktoanagent",
    "operater",
    "reprisentative please",
    "agent please now",
    "how do I get connected to an adviser",
    "I'd like to be transferred to someone in your fraud team",
    "you clearly can't sort this out. who can?",
    "would an advisor be available to look at my loan",
    "please have someone contact me about my savings",
    "is it possible to chat with one of your advisers",
    "are you able to put me through to a person",
    "I'd rather deal with a human about this",
    "send me over to the fraud department",
    "I need the lending team",
    "hi, anybody around?",
    "get me somebody who actually works at the bank",
    "I'd appreciate it if a member of staff could look at my statement",
    "let me speak to your boss",
    "is there a living soul at this bank",
    "my statement has a strange fee, who should I talk to?",
    "somebody at your end must be able to fix my login",
]

COMPLAINTS = [
    "I want to raise a complaint about my frozen account",
    "the man at your branch was really rude and I want that looked at",
    "someone at Kestrel needs to take responsibility for losing my payment",
    "I demand a written response about why my card was cancelled",
    "how do I complain",
    "complant about fees",
    "I'm taking this to the ombudsman",
    "this is unacceptable and I want it escalated",
    "put it on record that your service was poor",
]

ROUTINE = [
    "someone used my card without asking",
    "can someone else top up my account",
    "how do I send money to another person",
    "my letting agent says the rent never arrived",
    "the cash machine kept my card",
    "I would like to know the exchange rate",
    "please advise how long a transfer takes",
    "I want to change my PIN",
    "what happens if a person sends me dollars",
    "are you a bot?",
    "am I talking to a real person?",
    "is it just a bot?",
    "is it possible to change my PIN online",
    "are you able to tell me the fees for a transfer abroad",
    "I need the sort code of my account",
    "transfer money to my savings team account",
    "who do I talk to about opening a joint account",
    "are you a human or a bot?",
    "am I talking to a person right now",
    "is this a live agent or a bot",
    "can you move me to a cheaper service",
    "switch me to the premium service",
    "send me to the apple pay support page",
    "I need the card unit number",
    "I need the team number for my savings",
    "I want to send money to a person to help with rent",
    "my agent will check my card",
    "someone from the other bank will send me money",
    "how do I deal with someone using my card without permission",
    "where can I see my statement",
    "what do I need to open an account",
    "",
]


@pytest.mark.parametrize("text", ASKS_FOR_A_PERSON)
def test_a_request_for_a_person_is_found(text: str) -> None:
    assert detect(text) == PERSON


@pytest.mark.parametrize("text", COMPLAINTS)
def test_a_complaint_is_found(text: str) -> None:
    assert detect(text) == COMPLAINT


@pytest.mark.parametrize("text", ROUTINE)
def test_routine_questions_and_questions_about_the_bot_are_left_alone(text: str) -> None:
    assert detect(text) is None


def test_text_speak_and_glued_words_are_spelled_out() -> None:
    assert words("cn u put me thru 2 sum1") == ["cn", "you", "put", "me", "through", "to", "someone"]
    assert words("speaktoagent") == ["speak", "to", "agent"]


def test_a_word_seen_in_training_is_never_corrected() -> None:
    assert words("persn") == ["person"]
    assert words("persn", known=frozenset({"persn"})) == ["persn"]
    assert words("advise") == ["advise"]  # a real word one letter from "adviser"
