"""`make eval` for the whole assistant: BANKING77 train queries (a stratified sample) and the
CLINC150 out-of-scope queries, each the first message of a new conversation, through Rasa's REST
channel with the real action server and knowledge service behind it.

Each outcome is a correct answer, a wrong answer, a clarification, `none`, or a handoff. Then
our own held-out requests for a person and complaints (eval/data/person_requests.yml, used while
building the detector, and eval/data/person_requests_unseen.yml, never looked at), each of which
must be handed over. Targets (issue 9): at least 70% of first messages on routine topics answered
with the right article and at most 20% clarified; at least 98% of messages on sensitive topics
(articles marked `escalation: always`) and of requests for a person lead to a handoff, at most
3% of first messages on other topics do; wrong answers at most 2% of in-scope messages;
out-of-scope messages get an article as the answer at most 5% of the time. Also reports the
median and 95th percentile time per reply.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from eval.datasets import Example, PersonRequest, banking77_train, out_of_scope, person_requests
from tools.services import ROOT
from tools.stack import Stack, assistant_stack

TARGETS = {
    "routine_correct": 0.70,
    "routine_clarify": 0.20,
    "sensitive_handoff": 0.98,
    "other_handoff": 0.03,
    "wrong": 0.02,
    "oos_answered": 0.05,
    "person_handoff": 0.98,
}
AT_LEAST = {"routine_correct", "sensitive_handoff", "person_handoff"}


def outcome(messages: list[dict[str, Any]], expected_article: str | None) -> tuple[str, str | None]:
    """(outcome, reason or article): from the last decision the assistant made."""
    decisions = [m["custom"] for m in messages if isinstance(m.get("custom"), dict) and "kind" in m["custom"]]
    if not decisions:
        return "no_reply", None
    last = decisions[-1]
    if last["kind"] == "handoff":
        return "handoff", last.get("reason")
    if last["kind"] == "answer":
        return ("correct" if last["article_id"] == expected_article else "wrong"), last["article_id"]
    if last["kind"] == "clarify":
        return "clarify", None
    return "none", last.get("reason")


def run_queries(
    stack: Stack, examples: list[Example], topic_article: dict[str, str], workers: int
) -> list[dict[str, Any]]:
    def one(example: Example) -> dict[str, Any]:
        started = time.perf_counter()
        messages = stack.say(f"eval-{uuid.uuid4().hex}", example.text[:1000])
        seconds = time.perf_counter() - started
        expected = topic_article.get(example.topic or "")
        result, detail = outcome(messages, expected)
        return {"topic": example.topic, "outcome": result, "detail": detail, "seconds": seconds}

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, examples))


def run_person_requests(stack: Stack, requests: list[PersonRequest], workers: int) -> dict[str, Any]:
    """Our held-out requests for a person and complaints: each must end in a handoff."""

    def one(request: PersonRequest) -> dict[str, Any]:
        messages = stack.say(f"eval-{uuid.uuid4().hex}", request.text)
        result, detail = outcome(messages, None)
        return {
            "kind": request.kind,
            "style": request.style,
            "text": request.text,
            "outcome": result,
            "detail": detail,
        }

    with ThreadPoolExecutor(workers) as pool:
        rows = list(pool.map(one, requests))
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by[row["kind"]].append(row)
        by[row["style"]].append(row)
    return {
        "messages": len(rows),
        "handoff": share(rows, "handoff"),
        "by_kind_and_style": {k: round(share(v, "handoff"), 4) for k, v in sorted(by.items())},
        "reasons": dict(Counter(r["detail"] for r in rows if r["outcome"] == "handoff").most_common()),
        "missed": [{"text": r["text"], "outcome": r["outcome"]} for r in rows if r["outcome"] != "handoff"],
    }


def share(rows: list[dict[str, Any]], *outcomes: str) -> float:
    return sum(r["outcome"] in outcomes for r in rows) / len(rows) if rows else 0.0


def report(
    in_scope: list[dict[str, Any]], oos: list[dict[str, Any]], sensitive_topics: set[str]
) -> dict[str, Any]:
    sensitive = [r for r in in_scope if r["topic"] in sensitive_topics]
    other = [r for r in in_scope if r["topic"] not in sensitive_topics]
    times = sorted(r["seconds"] * 1000 for r in in_scope + oos)
    per_topic: dict[str, Counter[str]] = defaultdict(Counter)
    for r in in_scope:
        per_topic[r["topic"]][r["outcome"]] += 1
    handoff_reasons = Counter(r["detail"] for r in other if r["outcome"] == "handoff")
    return {
        "in_scope": len(in_scope),
        "outcomes": {
            k: share(in_scope, k) for k in ("correct", "wrong", "clarify", "none", "handoff", "no_reply")
        },
        "sensitive_messages": len(sensitive),
        "sensitive_handoff": share(sensitive, "handoff"),
        "other_messages": len(other),
        "other_handoff": share(other, "handoff"),
        "routine_correct": share(other, "correct"),
        "routine_clarify": share(other, "clarify"),
        "other_handoff_reasons": dict(handoff_reasons.most_common()),
        "wrong": share(in_scope, "wrong"),
        "oos": len(oos),
        "oos_outcomes": {
            k: share(oos, k) for k in ("correct", "wrong", "clarify", "none", "handoff", "no_reply")
        },
        "oos_answered": share(oos, "wrong", "correct"),
        "reply_ms": {"median": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))]},
        "per_topic": {t: dict(c) for t, c in sorted(per_topic.items())},
    }


def render(r: dict[str, Any]) -> str:
    def check(name: str, value: float) -> str:
        target = TARGETS[name]
        good = value >= target if name in AT_LEAST else value <= target
        sign = ">=" if name in AT_LEAST else "<="
        return f"{value:6.1%}  (target {sign} {target:.0%}: {'met' if good else 'MISSED'})"

    o = r["outcomes"]
    return "\n".join(
        [
            f"In-scope first messages: {r['in_scope']} (BANKING77 train, stratified sample)",
            "  outcomes: " + ", ".join(f"{k} {v:.1%}" for k, v in o.items()),
            f"  routine topics answered rightly     {check('routine_correct', r['routine_correct'])}",
            f"  routine topics clarified            {check('routine_clarify', r['routine_clarify'])}",
            f"  wrong answers                       {check('wrong', r['wrong'])}",
            f"  sensitive topics handed over        {check('sensitive_handoff', r['sensitive_handoff'])}"
            f"  ({r['sensitive_messages']} messages)",
            f"  other topics handed over            {check('other_handoff', r['other_handoff'])}"
            f"  ({r['other_messages']} messages; reasons {r['other_handoff_reasons']})",
            f"Out-of-scope first messages: {r['oos']} (CLINC150)",
            f"  given an article as the answer      {check('oos_answered', r['oos_answered'])}",
            "  outcomes: " + ", ".join(f"{k} {v:.1%}" for k, v in r["oos_outcomes"].items()),
            *render_person(r["person"], "used while building the detector", check),
            *render_person(r["person_unseen"], "written after it, never looked at", check),
            f"Time per reply: median {r['reply_ms']['median']:.0f} ms, p95 {r['reply_ms']['p95']:.0f} ms",
        ]
    )


def render_person(p: dict[str, Any], what: str, check: Any) -> list[str]:
    return [
        f"Requests for a person and complaints: {p['messages']} (our held-out set, {what})",
        f"  handed over                         {check('person_handoff', p['handoff'])}",
        "  by kind and style: " + ", ".join(f"{k} {v:.0%}" for k, v in p["by_kind_and_style"].items()),
    ]


def evaluate(stack: Stack, sample: int, workers: int) -> dict[str, Any]:
    articles = httpx.get(stack.kb + "/articles", timeout=30).json()
    topic_article = {a["topic"]: a["id"] for a in articles}
    sensitive = {a["topic"] for a in articles if a["escalation"] == "always"}
    in_scope = run_queries(stack, banking77_train(sample), topic_article, workers)
    oos = run_queries(stack, out_of_scope(), topic_article, workers)
    result = report(in_scope, oos, sensitive)
    result["person"] = run_person_requests(stack, person_requests(), workers)
    result["person_unseen"] = run_person_requests(stack, person_requests("person_requests_unseen"), workers)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=2000, help="stratified sample size (at least 2,000)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "eval" / "assistant.json")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="kestrel-eval-") as tmp,
        assistant_stack(Path(tmp), kb_data=ROOT / "var" / "kb") as stack,
    ):
        result = evaluate(stack, args.sample, args.workers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(render(result))
    print(f"\nfull report: {args.out}")
    values = {
        **result,
        "person_handoff": min(result["person"]["handoff"], result["person_unseen"]["handoff"]),
    }
    met = all(values[k] >= t if k in AT_LEAST else values[k] <= t for k, t in TARGETS.items())
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
