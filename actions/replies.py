"""What the assistant says: message texts, buttons and machine-readable decisions."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

FEEDBACK_BUTTONS = [
    {"title": "Yes, thanks", "payload": "/affirm"},
    {"title": "No", "payload": "/not_helpful"},
    {"title": "Talk to a person", "payload": "/request_human"},
]
PERSON_BUTTON = {"title": "Talk to a person", "payload": "/request_human"}

_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_MARKUP = re.compile(r"\*\*|__|`")


def key_steps(body: str, limit: int) -> List[str]:
    """The first numbered list of an article body, as plain lines."""
    steps: List[str] = []
    for line in body.splitlines():
        match = _NUMBERED.match(line)
        if match:
            steps.append(_MARKUP.sub("", match.group(1)).strip())
        elif steps and line.strip() and not line.startswith((" ", "\t")):
            break  # the list ended
        elif steps and line.strip():
            steps[-1] += " " + _MARKUP.sub("", line.strip())
    return steps[:limit]


def answer_text(article: Dict[str, Any], steps: List[str]) -> str:
    lines = [article["summary"]]
    if steps:
        lines.append("")
        lines.extend(f"{i}. {step}" for i, step in enumerate(steps, 1))
    lines.append("")
    lines.append(f"Full article: {article['title']} – {article['url']}")
    return "\n".join(lines)


def answer_decision(
    article: Dict[str, Any], verdict: str = "answer", search: Optional[Dict[str, Any]] = None
) -> Dict[str, Any]:
    """What the desk records of an answer: the article, how it was chosen (`answer` by the
    search, `chosen` by the customer from a clarification) and the search's score and
    calibrated confidence when the search chose it."""
    decision: Dict[str, Any] = {
        "kind": "answer",
        "article_id": article["id"],
        "title": article["title"],
        "url": article["url"],
        "verdict": verdict,
    }
    if search is not None and search.get("hits"):
        decision["score"] = search["hits"][0].get("score")
        decision["confidence"] = search.get("confidence")
    return decision


def clarify_buttons(hits: List[Dict[str, Any]]) -> List[Dict[str, str]]:
    buttons = [
        {"title": hit["title"], "payload": f'/choose_article{{"article_id": "{hit["article_id"]}"}}'}
        for hit in hits
    ]
    buttons.append({"title": "Something else", "payload": "/something_else"})
    return buttons


def clarify_decision(hits: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {"kind": "clarify", "article_ids": [hit["article_id"] for hit in hits]}


NONE_TEXT = (
    "I'm sorry, I couldn't find an answer to that in our help centre. "
    "Could you put it another way? Or I can pass you to a member of our team."
)
OUT_OF_SCOPE_TEXT = (
    "I can only help with questions about your Kestrel account, cards and payments. "
    "Is there something about your account I can help with?"
)
NOT_HELPFUL_TEXT = (
    "Sorry that didn't help. Could you tell me a bit more about what you need, in other words? "
    "Or I can pass you to a member of our team."
)
SOMETHING_ELSE_TEXT = "No problem. Could you describe what you need in a few more words?"
ABUSE_WARNING_TEXT = (
    "I'm here to help, and I'd like to keep this conversation respectful. "
    "If you tell me what you need, I'll do my best to sort it out."
)
HANDED_BACK_TEXT = "Hi, it's the Kestrel assistant again. Is there anything else I can help you with?"
DESK_DOWN_TEXT = (
    "I'm passing your conversation to our team, but I can't reach them right this moment. "
    "Your request is saved and will reach them as soon as possible; you don't need to ask again. "
    "You can keep writing here, and a member of the team will see everything."
)


REFUSED_TEXT = (
    "I'm sorry, I couldn't pass your conversation to our team because of a problem on our side, "
    "which has been reported. Please try again in a few minutes, or call us on the number on our "
    "contact page so a person can help you straight away."
)


def handoff_text(result: Optional[Dict[str, Any]], reason: str) -> str:
    """What the customer is told once the desk has (or has not yet) taken the handoff."""
    opening = {
        "sensitive_topic": "I'm connecting you with a member of our team now, as this needs a person.",
        "complaint": "I'm sorry about this. I'm passing you to a member of our team who can help.",
        "abuse": "I'm passing this conversation to a member of our team.",
    }.get(reason, "I'm connecting you with a member of our team.")
    if result is None:
        return DESK_DOWN_TEXT
    if result.get("status") == "ticket":
        return (
            f"{opening} No one is available right now, so we'll reply by email. "
            "Please share your email address here and we'll get back to you within 1 working day."
        )
    wait = result.get("estimated_wait_seconds")
    position = result.get("queue_position")
    details = []
    if position:
        details.append(f"you're number {position} in the queue")
    if wait:
        minutes = max(1, round(wait / 60))
        details.append(f"the expected wait is about {minutes} minute{'s' if minutes != 1 else ''}")
    suffix = f" Right now {' and '.join(details)}." if details else ""
    return f"{opening}{suffix} You can keep writing here while you wait."
