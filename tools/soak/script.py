"""What the soak's customers say: routine questions about the help centre's topics, requests for a
person (typed, or the widget's "Talk to a person" button) and chit-chat, in our own words."""

from __future__ import annotations

import random

from desk.simulate.widget import Kind, Line

QUESTIONS = (
    "my new debit card still hasnt turned up in the post, what do i do",
    "how do I change the PIN on my card",
    "the rate you gave me when I paid in euros looks off",
    "why did my transfer get declined this morning",
    "I topped up with my card and the money is not showing",
    "how much does it cost to take cash out abroad",
    "my card was swallowed by a cash machine",
    "can I get a virtual card for online shopping",
    "my payment to my landlord is stuck on pending",
    "how long does a transfer to another bank usually take",
    "I got charged twice for the same coffee",
    "how do I pay a cheque into my account",
    "what are the top up limits",
    "the shop refunded me a week ago but I can't see the money",
    "contactless stopped working on my card",
    "is my money protected if the bank goes bust",
    "how do I update my home address",
    "the atm gave me less cash than I asked for",
    "which currencies can I keep in the app",
    "my identity check keeps failing, what now",
    "is the card visa or mastercard",
    "how do I close my account",
    "I forgot my app passcode",
    "how do I set up automatic top ups",
    "what's the difference between the plus and premium plans",
)

PERSON = (
    "can I talk to a real person please",
    "I want to speak to someone from your team",
    "get me a human agent",
    "please put me through to an advisor",
)

CHAT = ("hello there", "hi", "thanks a lot", "ok great", "good morning", "cheers, that helps", "bye for now")

# How often each kind comes up: mostly questions, a fair share of requests for a person.
WEIGHTS = {Kind.QUESTION: 60, Kind.PERSON: 8, Kind.BUTTON: 7, Kind.CHAT: 25}
LINES = {Kind.QUESTION: QUESTIONS, Kind.PERSON: PERSON, Kind.BUTTON: ("Talk to a person",), Kind.CHAT: CHAT}


def next_line(rng: random.Random, *, first: bool) -> Line:
    """A customer's next message; a conversation mostly opens with a greeting or a question."""
    if first:
        kind = rng.choice((Kind.CHAT, Kind.QUESTION, Kind.QUESTION))
    else:
        kind = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    return Line(kind, rng.choice(LINES[kind]))
