"""How simulated customers word things: a question about an article, in one of many voices, made
from the article's title and the ways customers ask about it (the knowledge service's own
`questions`) through templates, small slips (case, punctuation, a transposed letter) and openers
and closers; and the short lines around a question (greetings, requests for a person, thanks)."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

OPENERS = (
    "",
    "",
    "",
    "hi, ",
    "hello, ",
    "hey ",
    "hi there. ",
    "quick question: ",
    "good morning, ",
    "sorry to bother you but ",
    "can you help? ",
)
CLOSERS = ("", "", "", "?", "??", " please", " thanks", " - thanks in advance", ", any idea?")
TITLE_TEMPLATES = (
    "I need some help with this: {title}",
    "{title}, what should I do",
    "question about {title}",
    "can you help me, {title}",
    "{title}. what now?",
)
FOLLOW_UP_OPENERS = ("and ", "also, ", "one more thing: ", "ok and ", "another question, ")
GREETINGS = ("hi", "hello", "hey there", "good morning", "hi, are you there?", "hello?")
PERSON_REQUESTS = (
    "can I speak to a person please",
    "I'd like to talk to someone on your team",
    "I want a real human",
    "please put me through to an agent",
    "is there a person I can talk to",
    "let me speak to an advisor",
)
GOODBYES = ("thanks, bye", "great, that's all, bye", "perfect, cheers, bye", "thank you, goodbye")
AGENT_OPENINGS = (
    "Hi, I'm {name} from the Kestrel team. I've read your conversation with our assistant.",
    "Hello, {name} here. Thanks for waiting, I'm looking into this now.",
    "Hi, this is {name}. I can help you with that.",
)
AGENT_FOLLOW_UPS = (
    "I've checked and everything is in order on our side now.",
    "I've made the change for you; it can take a few minutes to show in the app.",
    "I've raised this with the team that handles it and added a note to your account.",
    "That's sorted now. You'll get a confirmation in the app shortly.",
)
AGENT_CLOSINGS = (
    "Is there anything else I can help with today?",
    "I'll close this conversation now. Have a good day!",
    "Thanks for your patience.",
)
COMMENTS = {
    1: ("This didn't help at all", "Waste of time"),
    2: ("Took too long to get an answer", "Not what I asked about"),
    3: ("Got there in the end", "OK but a bit slow"),
    4: ("Helpful, thanks", "Clear enough"),
    5: ("Quick and clear, thank you!", "Brilliant, sorted in minutes"),
}
CUSTOMER_REPLIES = ("ok thanks", "thank you", "great, thanks for the help", "ok", "brilliant, cheers")

_WORD = re.compile(r"[A-Za-z]{5,}")


def question(rng: random.Random, title: str, asked: Sequence[str]) -> str:
    """A customer's wording of a question about the article with this title; mostly one of the
    ways customers ask it, reworded, sometimes the title in a template."""
    if not asked or rng.random() < 0.2:
        core = rng.choice(TITLE_TEMPLATES).format(title=_lower_first(title))
    else:
        core = rng.choice(list(asked))
    return reword(rng, core)


def reword(rng: random.Random, text: str) -> str:
    """Case, punctuation, an opener and a closer, and now and then a slip of the keyboard."""
    core = text.strip().rstrip("?.!")
    core = core.lower() if rng.random() < 0.6 else _upper_first(core)
    if rng.random() < 0.3:
        core = core.replace("'", "")
    if rng.random() < 0.15:
        core = _transpose(rng, core)
    said = f"{rng.choice(OPENERS)}{core}{rng.choice(CLOSERS)}".strip()
    return said[:300]


def follow_up(rng: random.Random, title: str, asked: Sequence[str]) -> str:
    return rng.choice(FOLLOW_UP_OPENERS) + _lower_first(question(rng, title, asked))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() or len(text) < 2 else text


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _transpose(rng: random.Random, text: str) -> str:
    words = list(_WORD.finditer(text))
    if not words:
        return text
    word = rng.choice(words)
    at = rng.randrange(word.start() + 1, word.end() - 2)
    return text[:at] + text[at + 1] + text[at] + text[at + 2 :]
