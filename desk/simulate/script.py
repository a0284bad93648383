"""The simulation's script: one plan per conversation, drawn from a seeded random generator (the
same seed and articles give the same script), saying what the customer asks and in what words,
how they end (confirm the answer, follow up, ask for a person, give up...), how they rate, when
the conversation starts (now, or a past moment for a backfill) and what the agent who takes a
handoff does and how long they take. What actually happens is up to the real assistant and
desk; the customer (desk/simulate/customer.py) follows the plan as far as the replies allow."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from desk.simulate import phrasing


@dataclass(frozen=True)
class Article:
    """What the knowledge service says of a published article (GET /articles, /articles/{id})."""

    id: str
    title: str
    topic: str
    escalation: str
    questions: tuple[str, ...] = ()


class Ending(StrEnum):
    CONFIRM = "confirm"  # presses "Yes, thanks" on the answer
    FOLLOW_UP = "follow_up"  # asks something more on the topic first, then confirms
    NOT_HELPFUL = "not_helpful"  # says each answer did not help (two in a row: a person)
    PERSON_TYPED = "person_typed"  # types that they want a person
    PERSON_BUTTON = "person_button"  # presses the widget's "Talk to a person"
    ABANDON = "abandon"  # closes the widget after the first reply


# The share of each ending, for the oldest day of a backfill and for today: the help centre
# gets better over the weeks, so fewer customers give up or find answers unhelpful.
MIX_THEN = {
    Ending.CONFIRM: 30,
    Ending.FOLLOW_UP: 8,
    Ending.NOT_HELPFUL: 12,
    Ending.PERSON_TYPED: 10,
    Ending.PERSON_BUTTON: 8,
    Ending.ABANDON: 22,
}
MIX_NOW = {
    Ending.CONFIRM: 42,
    Ending.FOLLOW_UP: 12,
    Ending.NOT_HELPFUL: 6,
    Ending.PERSON_TYPED: 10,
    Ending.PERSON_BUTTON: 8,
    Ending.ABANDON: 12,
}
SENSITIVE_SHARE = 0.08  # questions on an article that always goes to a person
RATING_WEIGHTS = {5: 45, 4: 28, 3: 12, 2: 8, 1: 7}
SIGNED_IN_SHARE = 0.5
RETURN_SHARE = 0.1
RETURN_WITHIN = timedelta(days=6)
RATES_WHEN_ASKED = 0.65
WEEKDAY_WEIGHTS = (1.25, 1.15, 1.1, 1.05, 1.0, 0.6, 0.5)  # Monday first
HOUR_WEIGHTS = dict(zip(range(7, 22), (1, 3, 6, 8, 8, 7, 8, 8, 7, 6, 5, 4, 4, 3, 2), strict=True))


@dataclass(frozen=True)
class AgentPlan:
    """What the agent who takes the handoff does; delays in seconds of (simulated) time."""

    claim_after: float  # the wait in the queue before an agent claims it
    first_reply_after: float  # from claiming to the first reply
    replies: int  # messages the agent writes
    between_replies: float
    send_article: bool  # one reply is the intended article, sent from the console
    hand_back: bool  # back to the assistant instead of resolving


@dataclass(frozen=True)
class ConversationPlan:
    index: int
    starts_after: float  # seconds after the run starts (live runs)
    as_of: datetime | None  # when it starts, for a backfill
    article_id: str
    topic: str
    greeting: str | None
    question: str
    rephrasing: str  # when the assistant did not understand, or after a hand-back
    follow_up: str | None
    ending: Ending
    person_request: str
    goodbye: str | None  # said after confirming an answer
    think_seconds: float  # reading an answer before acting on it
    assistant_rating: int | None  # given when asked; None: the prompt is dismissed
    agent_rating: int | None
    agent: AgentPlan
    customer: int | None = None  # a signed-in customer (the host page gives the desk an id), by number
    returning: bool = False  # the same customer again, on the same topic as a few days before


def plan_conversations(
    articles: list[Article],
    count: int,
    *,
    seed: int,
    backfill_weeks: int = 0,
    today: date | None = None,
    spread_seconds: float = 60.0,
) -> list[ConversationPlan]:
    """`count` conversations: starting over `spread_seconds` from now, or, with `backfill_weeks`,
    spread over the days before `today` (busier on weekdays and office hours, growing a little
    week by week), oldest first."""
    if not articles:
        raise ValueError("the knowledge service has no published articles to ask about")
    rng = random.Random(seed)
    ordered = sorted(articles, key=lambda a: a.id)
    starts = (
        backfill_times(rng, count, backfill_weeks, today or datetime.now(UTC).date())
        if backfill_weeks > 0
        else [None] * count
    )
    first, last = (starts[0], starts[-1]) if backfill_weeks > 0 and count else (None, None)
    plans = []
    for index, as_of in enumerate(starts):
        progress = 1.0
        if as_of is not None and first is not None and last is not None and last > first:
            progress = (as_of - first) / (last - first)
        starts_after = 0.0 if as_of is not None else rng.uniform(0, spread_seconds)
        plans.append(
            _plan(rng, ordered, index=index, starts_after=starts_after, as_of=as_of, progress=progress)
        )
    return _returning(rng, plans, {a.id: a for a in ordered})


def _returning(
    rng: random.Random, plans: list[ConversationPlan], articles: dict[str, Article]
) -> list[ConversationPlan]:
    """Half the customers are signed in; now and then one of them comes back within a week on the
    same topic (what first-contact resolution counts against)."""
    found: list[ConversationPlan] = []
    for drawn in plans:
        earlier = [
            p
            for p in found
            if p.customer is not None
            and (p.as_of is None or drawn.as_of is None or drawn.as_of - p.as_of < RETURN_WITHIN)
        ]
        if earlier and rng.random() < RETURN_SHARE:
            before = rng.choice(earlier)
            article = articles[before.article_id]
            plan = replace(
                drawn,
                article_id=article.id,
                topic=article.topic,
                question=phrasing.question(rng, article.title, article.questions),
                rephrasing=phrasing.question(rng, article.title, article.questions),
                customer=before.customer,
                returning=True,
            )
        elif rng.random() < SIGNED_IN_SHARE:
            plan = replace(drawn, customer=drawn.index)
        else:
            plan = drawn
        found.append(plan)
    return found


def _plan(
    rng: random.Random,
    articles: list[Article],
    *,
    index: int,
    starts_after: float,
    as_of: datetime | None,
    progress: float,
) -> ConversationPlan:
    sensitive = [a for a in articles if a.escalation == "always"]
    routine = [a for a in articles if a.escalation != "always"] or articles
    article = rng.choice(sensitive if sensitive and rng.random() < SENSITIVE_SHARE else routine)
    same_topic = [a for a in articles if a.topic == article.topic and a.id != article.id]
    other = rng.choice(same_topic or routine)
    mix = {e: MIX_THEN[e] + (MIX_NOW[e] - MIX_THEN[e]) * progress for e in Ending}
    ending = rng.choices(list(mix), weights=list(mix.values()))[0]
    return ConversationPlan(
        index=index,
        starts_after=starts_after,
        as_of=as_of,
        article_id=article.id,
        topic=article.topic,
        greeting=rng.choice(phrasing.GREETINGS) if rng.random() < 0.25 else None,
        question=phrasing.question(rng, article.title, article.questions),
        rephrasing=phrasing.question(rng, article.title, article.questions),
        follow_up=phrasing.follow_up(rng, other.title, other.questions)
        if ending == Ending.FOLLOW_UP
        else None,
        ending=ending,
        person_request=rng.choice(phrasing.PERSON_REQUESTS),
        goodbye=rng.choice(phrasing.GOODBYES) if rng.random() < 0.4 else None,
        think_seconds=rng.uniform(4, 25),
        assistant_rating=_rating(rng),
        agent_rating=_rating(rng),
        agent=AgentPlan(
            claim_after=rng.lognormvariate(3.6, 0.7),  # a median of about 37 s, now and then minutes
            first_reply_after=rng.uniform(10, 75),
            replies=rng.choice((1, 2, 2, 3)),
            between_replies=rng.uniform(20, 150),
            send_article=rng.random() < 0.3,
            hand_back=rng.random() < 0.15,
        ),
    )


def _rating(rng: random.Random) -> int | None:
    if rng.random() >= RATES_WHEN_ASKED:
        return None
    return rng.choices(list(RATING_WEIGHTS), weights=list(RATING_WEIGHTS.values()))[0]


def backfill_times(rng: random.Random, count: int, weeks: int, today: date) -> list[datetime]:
    """`count` start times over the `weeks` * 7 days before `today` (UTC), oldest first."""
    days = [today - timedelta(days=n) for n in range(weeks * 7, 0, -1)]
    weights = [WEEKDAY_WEIGHTS[d.weekday()] * (1 + 0.06 * i / 7) for i, d in enumerate(days)]
    hours, hour_weights = list(HOUR_WEIGHTS), list(HOUR_WEIGHTS.values())
    times = []
    for day in rng.choices(days, weights=weights, k=count):
        hour = rng.choices(hours, weights=hour_weights)[0]
        start = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
        times.append(start + timedelta(seconds=rng.uniform(0, 3600)))
    return sorted(times)
