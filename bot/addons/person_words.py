"""The words the person-request detector reads (person_request.py): people, verbs of talking
and calling, wishes, fillers, refusals of the bot, complaint words, and the phrases no word list
catches. Data only; tests/bot/test_person_request.py shows what each is for.
"""

from __future__ import annotations

import re

# Text-speak and common misspellings, to a canonical word.
SPELLINGS = {
    "2": "to",
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plx": "please",
    "spk": "speak",
    "spek": "speak",
    "actuall": "actual",
    "tlk": "talk",
    "tak": "talk",
    "tlak": "talk",
    "takl": "talk",
    "sum1": "someone",
    "some1": "someone",
    "sumone": "someone",
    "any1": "anyone",
    "ne1": "anyone",
    "every1": "everyone",
    "no1": "noone",
    "ppl": "people",
    "peeps": "people",
    "humn": "human",
    "humna": "human",
    "huamn": "human",
    "hooman": "human",
    "hoomans": "humans",
    "hoomin": "human",
    "humen": "human",
    "hman": "human",
    "agnt": "agent",
    "agnet": "agent",
    "agen": "agent",
    "advsr": "advisor",
    "advisr": "advisor",
    "rep": "representative",
    "reps": "representative",
    "mngr": "manager",
    "gimme": "give me",
    "wanna": "want to",
    "gotta": "got to",
    "lemme": "let me",
    "callback": "call back",
    "cal": "call",
    "gt": "get",
    "rn": "right now",
    "thru": "through",
    "wit": "with",
    "liv": "live",
    "fone": "phone",
    "wnat": "want",
    "ther": "there",
    "thier": "their",
    "callbacks": "call back",
    "chatbot": "bot",
    "robot": "bot",
    "bots": "bot",
    "robots": "bot",
}

# Person words; spelled-out forms of these are matched with one typo allowed (long words only).
PEOPLE = {
    "human",
    "humans",
    "person",
    "persons",
    "people",
    "agent",
    "agents",
    "advisor",
    "adviser",
    "advisors",
    "advisers",
    "representative",
    "representatives",
    "operator",
    "operators",
    "staff",
    "colleague",
    "colleagues",
    "manager",
    "supervisor",
    "boss",
    "employee",
    "employees",
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "team",
    "member",
}
# Vague people ("someone", "anyone", "team") name a person only next to a verb of talking.
VAGUE_PEOPLE = {"someone", "somebody", "anyone", "anybody", "people", "team", "member"}
STRONG_PEOPLE = PEOPLE - VAGUE_PEOPLE
# These ask for a person wherever they appear ("this feels like a job for a human").
UNMISTAKABLE = {
    "human",
    "humans",
    "operator",
    "operators",
    "representative",
    "representatives",
    "advisor",
    "adviser",
    "advisors",
    "advisers",
    "supervisor",
}
TALK = {"speak", "talk", "chat", "discuss", "chatting", "speaking", "talking"}
CALL = {"contact", "reach", "call", "ring"}
HAND_OVER = {
    "transfer",
    "transferred",
    "put",
    "pass",
    "passed",
    "hand",
    "connect",
    "connected",
    "escalate",
    "forward",
}
WANT = {
    "need",
    "want",
    "get",
    "give",
    "like",
    "prefer",
    "request",
    "requesting",
    "ask",
    "find",
    "see",
    "have",
}
FILLER = {
    "a",
    "an",
    "the",
    "to",
    "with",
    "me",
    "us",
    "through",
    "over",
    "on",
    "in",
    "real",
    "actual",
    "proper",
    "live",
    "human",
    "some",
    "one",
    "of",
    "your",
    "you",
    "just",
    "please",
    "now",
    "kestrel",
    "someone",
    "at",
    "up",
    "back",
    "right",
    "away",
    "actually",
    "member",
    "members",
    "staff",
    "customer",
    "support",
    "service",
    "team",
    "bank",
    "this",
    "and",
    "for",
}
THERE = {"there", "available", "around", "online", "working", "about", "here", "free", "in"}
BOT_WORDS = {"bot", "automated", "ai"}
REFUSAL = {
    "not",
    "no",
    "cant",
    "cannot",
    "dont",
    "isnt",
    "aint",
    "beyond",
    "useless",
    "ditch",
    "stop",
    "enough",
    "hate",
    "rubbish",
    "pointless",
    "than",
    "instead",
    "without",
    "bypass",
    "skip",
    "quit",
    "other",
    "rather",
    "wont",
    "doesnt",
}
# "Are you a human?" asks what the assistant is; the assistant answers that (bot_challenge).
BOT_QUESTION = re.compile(
    r"^(hi |hello |hey )?(are you|r you|is this|am i (talking|speaking|chatting) (to|with)|"
    r"is it|is that|who am i (talking|speaking) to)\b(?P<rest>[^?.!]*)\?*$"
)
# What may follow the opening of a question about the bot ("are you a human or a bot", "am I
# talking to a person right now"); any other word makes it a question about something else
# ("is it possible to chat to an adviser").
BOT_QUESTION_WORDS = {
    "a", "an", "the", "or", "just", "really", "actually", "even", "still", "only", "right", "now",
    "here", "real", "actual", "live", "automated", "proper", "bot", "robot", "chatbot", "human",
    "being", "person", "machine", "ai", "computer", "program", "assistant", "agent", "advisor",
    "adviser", "someone", "somebody", "people", "me", "with", "to",
}  # fmt: skip


COMPLAINT_STEMS = ("complain", "complai", "compla", "complian", "compalin", "compliant", "complnt")
COMPLAINT_WORDS = {
    "ombudsman",
    "ombudsmen",
    "grievance",
    "escalate",
    "escalation",
    "escalated",
    "dissatisfied",
    "dissatisfaction",
    "unacceptable",
    "appalling",
    "disgraceful",
    "outrageous",
    "shambles",
    "moan",
    "compensation",
    "compensate",
    "formally",
    "officially",
    "redress",
}
COMPLAINT_PHRASES = re.compile(
    r"\bon record\b|\btak(e|ing) (this|it|my case|things|the matter) further\b"
    r"|\b(poor|terrible|awful|shocking|bad|appalling|dreadful|rubbish) (service|handling|treatment|support)\b"
    r"|\b(fed up|let down|treated (unfairly|badly|poorly))\b"
    # Blame, rudeness and a demand for an answer: how complaints are phrased without the word.
    r"|\b(take|taking|accept|accepting) (responsibility|the blame)\b|\bwas (so |very |really )?rude\b"
    r"|\b(expect|demand|want|deserve) (a|an) (proper|formal|full|written|official) "
    r"(response|reply|answer|apology)\b"
    r"|\b(go|goes|going) unanswered\b"
)
# "Could a person explain it?", "can someone from your team look into it": asking a person to act.
MODAL = {"can", "could", "would", "will", "may"}
PERSON_ACTS = {
    "look",
    "explain",
    "help",
    "check",
    "contact",
    "call",
    "ring",
    "deal",
    "pick",
    "review",
    "sort",
    "take",
    "handle",
    "assist",
    "investigate",
    "reach",
    "speak",
    "talk",
    "chat",
    "phone",
    "email",
    "message",
    "get",
    "go",
    "see",
    "fix",
    "answer",
    "reply",
    "respond",
}
CALL_BACK = re.compile(
    r"\b(call|ring|phone|bell) (me )?back\b|\b(call|ring|phone) me\b|\bgive (me|us) a (call|ring|bell)\b"
    r"|\b(staff|person|someone|somebody|advisor|adviser|agent|colleague) ((could|can|would|to|will) )?"
    r"(contact|get in touch with) me\b"
    # "You can't help with this, can you. Who can?"
    r"|\bwho (else )?(can|could)( help)?( me)?\s*\??$"
    # "Is a person able to pick this up?"
    r"|\b(a|any|some|one|real) (person|human|agent|advisor|adviser|colleague) (able|available) to\b"
    r"|\bphone call\b|\bcall from\b|\bcan (someone|anyone|somebody) (call|ring|phone)\b"
    # "..., who can I speak to?" at the end of a message (not "who do I talk to about X", which
    # asks where a question belongs)
    r"|\bwho (can|could|should|do) i (speak|talk|chat) (to|with)\W*$"
    # "surely somebody in your office can deal with this" (not "someone from the other bank")
    r"|\b(someone|somebody|anyone|anybody) (in|at|from) (your|the) (?!other )(\w+ )?"
    r"(office|team|bank|branch|department|end|side) (can|could|would|will|must)\b"
    # "a member of staff could help me" (not "my agent will check", "a person to help with rent")
    r"|\b(a|an|one of your|your|some) (member of staff|staff member|person|human|agent|advisor|"
    r"adviser|colleague|representative)s? (could|can|would|will) (please )?(help|look|check|explain|"
    r"sort|deal|handle|review|assist|investigate|fix|answer|reply|respond)\b"
    # "I'd rather deal with a person" (not "how do I deal with someone using my card")
    r"|\b(rather|prefer to|want to|like to|need to) deal with (a |an |one of your |your )?"
    r"(real |actual |proper |live )?(person|human|people|agent|advisor|adviser|staff|someone|somebody)\b"
)
# A team or department asked for by name: "put me through to the fraud team", "I need the
# disputes department", "pass me over to customer services".
TEAM_REQUEST = re.compile(
    r"\b(transfer|transferred|put|pass|passed|hand|connect|connected|forward) "
    r"(me|us)( (over|through|across|back|on))? to (the |a |an |your |kestrel )?"
    r"(\w+ )?(\w+ )?(team|department|dept|services?|support|desk|staff)\b"
    r"|\b(send|move|switch) (me|us)( (over|through|across))? to (the |your |kestrel )?"
    r"(\w+ )?(\w+ )?(team|department|dept)\b"
    r"|\b(need|want|like|get|speak to|talk to|chat to|chat with|speak with|talk with) (the|your) "
    r"(\w+ )?(\w+ )?(team|department|dept)\b(?! (number|code|id|name|address|email|details|account))"
)
ANYONE_THERE = re.compile(
    r"\b(is|are) there (anyone|anybody|someone|somebody|any ?(one|body)|an? (real |actual |live )?"
    r"(person|human|agent|advisor|adviser)|any (humans?|people|staff|agents?|advisors?|advisers?|persons?)"
    r"|(real|actual) (people|persons|humans))\b"
    r"|\b(is|are) (anyone|anybody|someone|somebody|any ?(one|body)) (there|available|around|online|free|real|"
    r"human|working|actually|in)\b"
    r"|\b(anyone|anybody|someone|somebody) (real|human|with a pulse|senior|in charge|who (actually )?works|"
    r"(at|from) (kestrel|the bank|your))\b"
    r"|^\W*((hi|hello|hey)\W+)?(anyone|anybody) (there|around|home|about|here|available|online)\b"
    r"|\b(does|do|will|would) (anyone|anybody|someone|somebody|a (real )?(person|human)) (actually |ever |even )?"
    r"(read|see|check|look|answer|reply|respond|work)\b"
    r"|\b(be|get|being|getting) (connected|passed|put through|handed) to\b"
    r"|\b(be|get|being|getting) transferred to (an? |one of |your |someone|somebody|the (fraud|support))"
    r"|\b(real|actual|living|proper|live) (people|persons?|humans?|agents?|ones?|souls?)\b"
    r"|\bany (humans?|people|staff|agents?|advisors?|advisers?|operators?) (there|available|around|online|"
    r"working|about|in|on)\b"
)
