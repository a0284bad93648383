"""What the simulator played, conversation by conversation, and the JSON summary it prints: the
same outcomes the KPIs count (README, "Managers: KPIs"), as the simulated customers and agents
saw them through the widget and the console, so that a test can hold the desk's figures to them.

- `contained`: the customer confirmed an answer and no person was involved;
- `escalated`: handed to a person, by the reason the agent's console showed (or, for a handoff
  no simulated agent saw, the one the customer asked for);
- `resolved_by_agents`: closed by an agent as resolved; `handed_back`: given back to the assistant;
- `resolved_by_assistant`: the customer confirmed an answer (also after a person handed back);
- `abandoned`: the customer closed the widget with their question still open (no confirmed
  answer, no agent's resolution);
- `ratings`: every rating given when the desk asked, with its score, assistant and agents apart."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from desk.simulate.script import ConversationPlan


@dataclass
class Played:
    plan: ConversationPlan
    conversation_id: str | None = None
    customer_messages: int = 0
    answers: int = 0  # replies that answered with an article (offering "Yes, thanks")
    confirmed: bool = False  # pressed "Yes, thanks" on an answer
    confirmed_after_person: bool = False
    escalated: bool = False  # the widget's state went to the queue or a ticket
    reason: str | None = None
    resolved_by_agent: bool = False
    handed_back: bool = False
    left_open: bool = False  # closed the widget with the question unanswered
    ratings: list[tuple[str, int]] = field(default_factory=list)  # (assistant | agent, score)
    dismissed: int = 0  # rating prompts closed without a rating
    problems: list[str] = field(default_factory=list)

    @property
    def contained(self) -> bool:
        return self.confirmed and not self.escalated


def summarise(played: list[Played]) -> dict[str, Any]:
    counted = [p for p in played if p.customer_messages > 0]
    reasons = Counter(p.reason or "unknown" for p in counted if p.escalated)
    ratings = [(of, score) for p in counted for of, score in p.ratings]
    return {
        "conversations": len(counted),
        "contained": sum(p.contained for p in counted),
        "escalated": {"count": sum(p.escalated for p in counted), "by_reason": dict(sorted(reasons.items()))},
        "resolved_by_agents": sum(p.resolved_by_agent for p in counted),
        "handed_back": sum(p.handed_back for p in counted),
        "abandoned": sum(p.left_open for p in counted),
        "resolved_by_assistant": sum(p.confirmed or p.confirmed_after_person for p in counted),
        "ratings": {
            "given": len(ratings),
            "dismissed": sum(p.dismissed for p in counted),
            "assistant": sorted(score for of, score in ratings if of == "assistant"),
            "agent": sorted(score for of, score in ratings if of == "agent"),
        },
        "customer_messages": sum(p.customer_messages for p in counted),
        "signed_in": sum(p.plan.customer is not None for p in counted),
        "returning": sum(p.plan.returning for p in counted),
        "endings_planned": dict(sorted(Counter(p.plan.ending.value for p in counted).items())),
        "conversation_ids": [p.conversation_id for p in counted],
        "problems": [f"conversation {p.plan.index}: {problem}" for p in played for problem in p.problems],
    }
