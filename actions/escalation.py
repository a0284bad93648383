"""The escalation policy: every decision to hand a conversation to a person, with its reason.

One module, so the rules can be read, tested and tuned in one place; the thresholds are
settings (`ACTIONS_*`), not literals in the actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Dict, List, Optional


class Reason(str, Enum):
    CUSTOMER_REQUEST = "customer_request"
    SENSITIVE_TOPIC = "sensitive_topic"
    REPEATED_FAILURE = "repeated_failure"
    DECLINED_ALTERNATIVES = "declined_alternatives"
    COMPLAINT = "complaint"
    ABUSE = "abuse"


class Signal(str, Enum):
    """What just happened in the conversation."""

    ASKED_FOR_PERSON = "asked_for_person"
    SENSITIVE_ARTICLE = "sensitive_article"
    NO_CONFIDENT_ANSWER = "no_confident_answer"
    NOT_HELPFUL = "not_helpful"
    DECLINED_ALTERNATIVES = "declined_alternatives"
    COMPLAINT = "complaint"
    ABUSE = "abuse"


PRIORITY = {
    Reason.SENSITIVE_TOPIC: "high",
    Reason.COMPLAINT: "high",
    Reason.CUSTOMER_REQUEST: "normal",
    Reason.REPEATED_FAILURE: "normal",
    Reason.DECLINED_ALTERNATIVES: "normal",
    Reason.ABUSE: "low",
}


@dataclass(frozen=True)
class EscalationPolicy:
    failures_before_handoff: int = 2
    abuse_warnings_before_handoff: int = 1
    # The search matched something: a plausible answer (a clarification or better), or a first
    # hit at least this likely to be right. A vague message that matched nothing ("the app is
    # doing the weird thing") is never taken for a sensitive case.
    sensitive_min_confidence: float = 0.2
    # A sensitive article behind the first hit counts as the topic when the knowledge service's
    # runner-up model gives it at least this likelihood of being the right one: a wrong "answer"
    # costs little, a compromised card left with the bot costs a lot.
    sensitive_runner_up_likelihood: float = 0.08
    # With no likelihoods in the hits (a knowledge service without a runner-up model): a
    # sensitive article this close to the top hit's score counts, while the top hit is less
    # than `sensitive_runner_up_below` likely right.
    sensitive_margin: float = 0.10
    sensitive_runner_up_below: float = 0.8


@dataclass(frozen=True)
class Decision:
    action: str  # "handoff" | "warn" | "continue"
    reason: Optional[Reason] = None

    @property
    def handoff(self) -> bool:
        return self.action == "handoff"

    @property
    def priority(self) -> str:
        return PRIORITY[self.reason] if self.reason else "normal"


CONTINUE = Decision("continue")


# Signals that hand over at once, whatever came before.
IMMEDIATE = {
    Signal.ASKED_FOR_PERSON: Reason.CUSTOMER_REQUEST,
    Signal.SENSITIVE_ARTICLE: Reason.SENSITIVE_TOPIC,
    Signal.COMPLAINT: Reason.COMPLAINT,
}


def decide(signal: Signal, *, failures: int, abuse: int, policy: EscalationPolicy) -> Decision:
    """`failures`: failed attempts in a row, this one included; `abuse`: abusive messages since
    the last reset, this one included."""
    if signal in IMMEDIATE:
        return Decision("handoff", IMMEDIATE[signal])
    if signal is Signal.ABUSE:
        return Decision("handoff" if abuse > policy.abuse_warnings_before_handoff else "warn", Reason.ABUSE)
    if failures >= policy.failures_before_handoff:
        declined = signal is Signal.DECLINED_ALTERNATIVES
        return Decision("handoff", Reason.DECLINED_ALTERNATIVES if declined else Reason.REPEATED_FAILURE)
    return CONTINUE


def sensitive_hit(result: Dict[str, Any], policy: EscalationPolicy) -> Optional[Dict[str, Any]]:
    """The `escalation: always` article the customer's message is about, if any: the top hit
    when the search found something plausible, or a runner-up likely enough to be the right one
    (see EscalationPolicy)."""
    hits: List[Dict[str, Any]] = result.get("hits") or []
    sensitive = [h for h in hits if h.get("escalation") == "always"]
    if not sensitive:
        return None
    confidence = result.get("confidence", 0.0)
    if result["verdict"] == "none" and confidence < policy.sensitive_min_confidence:
        return None
    if hits[0] is sensitive[0]:
        return hits[0]
    return _sensitive_runner_up(hits, sensitive, confidence, policy)


def _sensitive_runner_up(
    hits: List[Dict[str, Any]], sensitive: List[Dict[str, Any]], confidence: float, policy: EscalationPolicy
) -> Optional[Dict[str, Any]]:
    if any(h.get("likelihood") is not None for h in hits):
        threshold = policy.sensitive_runner_up_likelihood
        return next((h for h in sensitive if (h.get("likelihood") or 0.0) >= threshold), None)
    if confidence >= policy.sensitive_runner_up_below:
        return None
    top = hits[0]["score"]
    return next((h for h in sensitive if top - h["score"] <= policy.sensitive_margin), None)
