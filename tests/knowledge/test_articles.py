"""Consistency of the help centre itself: valid front matter, one article per BANKING77 topic,
and nothing copied from the evaluation data."""

from __future__ import annotations

import csv
import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from kb_service.articles import SKIPPED_FILES, load_articles, parse_article

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "knowledge"
EVAL_DIR = Path(os.environ.get("EVAL_DIR", ROOT.parent / "shared" / "eval"))
ARTICLE_FILES = sorted(p for p in KNOWLEDGE.glob("*.md") if p.name not in SKIPPED_FILES)
MUST_ESCALATE = {
    "compromised_card",
    "lost_or_stolen_card",
    "lost_or_stolen_phone",
    "card_payment_not_recognised",
    "cash_withdrawal_not_recognised",
    "direct_debit_payment_not_recognised",
    "transaction_charged_twice",
    "unable_to_verify_identity",
    "terminate_account",
}
GENERAL_TOPICS = {
    "contact",
    "complaints",
    "security",
    "privacy",
    "fees",
    "accessibility",
    "opening_account",
    "plans",
    "deposit_protection",
    "bereavement",
    "statements",
    "app_help",
    "financial_difficulty",
}


def topics() -> list[str]:
    return list(json.loads((EVAL_DIR / "banking77" / "categories.json").read_text()))


@pytest.mark.parametrize("path", ARTICLE_FILES, ids=lambda p: p.stem)
def test_article_is_valid(path: Path) -> None:
    article = parse_article(path.read_text(encoding="utf-8"), source=path.name)
    assert article.id == path.stem
    words = len(re.findall(r"\w+", article.body))
    assert 120 <= words <= 420, f"{path.name}: body has {words} words"
    assert 1 <= len(article.tags) <= 6
    assert len(set(article.questions)) == len(article.questions), "duplicate questions"
    assert article.body.count("\n") >= 3, "the body should have steps, not one paragraph"


def test_every_file_loads() -> None:
    assert len(load_articles(KNOWLEDGE)) == len(ARTICLE_FILES)


def test_every_banking77_topic_has_exactly_one_article() -> None:
    counts = Counter(a.topic for a in load_articles(KNOWLEDGE).values())
    for topic in topics():
        assert counts[topic] == 1, f"topic {topic!r} has {counts[topic]} articles"


def test_general_articles_cover_the_basics() -> None:
    present = {a.topic for a in load_articles(KNOWLEDGE).values()}
    assert present >= GENERAL_TOPICS
    assert len(present - set(topics())) >= 10


def test_sensitive_topics_always_escalate() -> None:
    for article in load_articles(KNOWLEDGE).values():
        if article.topic in MUST_ESCALATE:
            assert article.escalation == "always", article.id
        elif article.escalation == "always":
            pytest.fail(f"{article.id} escalates always but is not a sensitive topic")


# Facts that articles quote often, each as (pattern capturing the figure, the figures allowed).
HOUSE_FACTS = {
    "UK contactless limit": (
        r"(?i)contactless (?:limit|payments are limited to)[^.£]{0,10}£([\d,]+)",
        {"100"},
    ),
    "weekend exchange mark-up": (r"(?i)weekend mark-up[^.%]{0,40}?(\d+(?:\.\d+)?)%", {"1", "0.5"}),
    "cash machine fee above the allowance": (r"(\d+(?:\.\d+)?)%,? \(?minimum £1", {"2"}),
    "Plus price": (r"(?i)Plus[^.£]{0,20}£(\d+\.\d+) a month", {"3.99"}),
    "Premium price": (r"(?i)Premium[^.£]{0,20}£(\d+\.\d+) a month", {"7.99"}),
    "FSCS limit": (r"(?i)FSCS[^.£]{0,60}£([\d,]+)", {"85,000", "1m", "1"}),
}


def test_house_facts_agree_across_articles() -> None:
    found = dict.fromkeys(HOUSE_FACTS, 0)
    for article in load_articles(KNOWLEDGE).values():
        text = f"{article.summary}\n{article.body}"
        for fact, (pattern, allowed) in HOUSE_FACTS.items():
            for figure in re.findall(pattern, text):
                found[fact] += 1
                assert figure in allowed, f"{article.id}: {fact} is {figure}, the house facts say {allowed}"
    assert all(found.values()), f"facts never quoted, so not checked: {found}"


def _normalise(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def test_nothing_is_copied_from_the_evaluation_data() -> None:
    eval_sentences = set()
    with (EVAL_DIR / "banking77" / "train.csv").open(newline="", encoding="utf-8") as f:
        eval_sentences |= {_normalise(r["text"]) for r in csv.DictReader(f)}
    with (EVAL_DIR / "clinc150" / "out_of_scope_dev.csv").open(newline="", encoding="utf-8") as f:
        eval_sentences |= {_normalise(r["text"]) for r in csv.DictReader(f)}
    eval_sentences = {s for s in eval_sentences if len(s.split()) >= 4}  # short phrases can coincide
    copied = []
    for article in load_articles(KNOWLEDGE).values():
        ours = [article.title, article.summary, *article.questions, *re.split(r"(?<=[.?!])\s+", article.body)]
        copied += [f"{article.id}: {s}" for s in ours if _normalise(s) in eval_sentences]
    assert not copied, "sentences found in the evaluation data:\n" + "\n".join(copied)
