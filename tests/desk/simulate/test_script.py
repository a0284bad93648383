"""The traffic simulator's script (desk/simulate/script.py, phrasing.py): the same seed plays the
same conversations, customers word their questions in many ways, and a backfill spreads its
conversations over the past weeks, busier on weekdays."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from desk.simulate import phrasing
from desk.simulate.script import Article, ConversationPlan, Ending, plan_conversations

ARTICLES = [
    Article(
        "card-arrival",
        "My new card hasn't arrived",
        "card_arrival",
        "none",
        ("where is my card", "card not here yet"),
    ),
    Article(
        "card-delivery-time", "How long a card takes", "card_arrival", "none", ("when will my card come",)
    ),
    Article("change-pin", "Change my PIN", "change_pin", "none", ("how do I change my pin",)),
    Article("lost-card", "Lost or stolen card", "lost_or_stolen_card", "always", ("I lost my card",)),
    Article("top-up-limits", "Top-up limits", "top_up_limits", "none", ()),
]


def test_the_same_seed_plays_the_same_script_and_another_seed_another():
    first = plan_conversations(ARTICLES, 40, seed=5)
    assert first == plan_conversations(
        list(reversed(ARTICLES)), 40, seed=5
    )  # the order fetched does not matter
    assert first != plan_conversations(ARTICLES, 40, seed=6)


def test_customers_ask_about_the_articles_in_many_different_words():
    plans = plan_conversations(ARTICLES, 200, seed=1)
    assert {p.article_id for p in plans} == {a.id for a in ARTICLES}
    questions = [p.question for p in plans]
    assert len(set(questions)) > 120  # hardly two customers word it alike
    assert all(0 < len(q) <= 300 for q in questions)
    # An article without recorded questions is asked about by its title, in a template.
    assert any("top-up limits" in p.question.lower() for p in plans if p.article_id == "top-up-limits")
    # Every ending happens, and a follow-up exists exactly when the plan follows up.
    assert set(Counter(p.ending for p in plans)) == set(Ending)
    assert all((p.follow_up is not None) == (p.ending == Ending.FOLLOW_UP) for p in plans)
    # Now and then a question on a topic that always goes to a person.
    assert 0 < sum(p.article_id == "lost-card" for p in plans) < 40


def test_ratings_are_mostly_good_and_sometimes_not_given():
    plans = plan_conversations(ARTICLES, 300, seed=2)
    given = [p.assistant_rating for p in plans if p.assistant_rating is not None]
    assert 0.5 < len(given) / len(plans) < 0.8
    assert set(given) == {1, 2, 3, 4, 5}
    assert sum(r >= 4 for r in given) / len(given) > 0.6


def test_a_backfill_spreads_conversations_over_the_past_weeks_busier_on_weekdays():
    today = date(2026, 3, 16)  # a Monday
    plans = plan_conversations(ARTICLES, 600, seed=3, backfill_weeks=4, today=today)
    starts = [p.as_of for p in plans]
    assert all(s is not None for s in starts)
    moments = [s for s in starts if s is not None]
    assert moments == sorted(moments)
    assert min(moments) >= datetime(2026, 2, 16, tzinfo=UTC)
    assert max(moments) < datetime(2026, 3, 16, tzinfo=UTC)  # nothing today or later
    assert all(7 <= m.hour < 22 for m in moments)
    weekdays = Counter(m.weekday() for m in moments)
    assert weekdays[0] > weekdays[6] * 1.5  # Mondays are busier than Sundays
    # The help centre gets better: fewer give up in the last week than in the first.
    first_week = [p for p in plans if p.as_of and p.as_of < datetime(2026, 2, 23, tzinfo=UTC)]
    last_week = [p for p in plans if p.as_of and p.as_of >= datetime(2026, 3, 9, tzinfo=UTC)]
    assert _given_up(last_week) < _given_up(first_week)


def test_some_signed_in_customers_come_back_on_the_same_topic_within_a_week():
    plans = plan_conversations(ARTICLES, 300, seed=8, backfill_weeks=2, today=date(2026, 3, 16))
    signed_in = [p for p in plans if p.customer is not None]
    assert 0.4 < len(signed_in) / len(plans) < 0.7
    returns = [p for p in plans if p.returning]
    assert 10 < len(returns) < 60
    for again in returns:
        assert again.as_of is not None
        before = [
            p
            for p in plans[: again.index]
            if p.customer == again.customer and p.as_of and again.as_of - p.as_of < timedelta(days=7)
        ]
        assert again.article_id in {p.article_id for p in before}


def test_live_conversations_start_within_the_spread():
    plans = plan_conversations(ARTICLES, 50, seed=4, spread_seconds=30)
    assert all(p.as_of is None and 0 <= p.starts_after <= 30 for p in plans)


def test_rewording_keeps_the_question_recognisable():
    rng = random.Random(9)
    worded = {phrasing.reword(rng, "How do I change my PIN?") for _ in range(50)}
    assert len(worded) > 20
    for said in worded:
        assert sum(word in said.lower() for word in ("how", "change", "my", "pin")) >= 3, said
        assert len(said) <= 300


def _given_up(plans: list[ConversationPlan]) -> float:
    return sum(p.ending == Ending.ABANDON for p in plans) / len(plans)
