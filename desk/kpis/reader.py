"""Where the KPIs' inputs come from: the event log and customer identities (the store), each
article's topic (the knowledge service's article list, kept for a few minutes and kept on when
the service cannot be reached), staff names and the agents online. The figures themselves are
the pure functions of desk/kpis/report.py and floor.py."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from desk.clients import KBClient
from desk.config import Settings
from desk.errors import DeskError
from desk.hub import Hub
from desk.kpis.facts import fold_all
from desk.kpis.floor import floor
from desk.kpis.measures import KpiPolicy
from desk.kpis.report import KpiQuery, day_start, report
from desk.state import OPEN_STATUSES
from desk.store import Clock, Store, iso, now

log = logging.getLogger(__name__)

TOPICS_TTL_SECONDS = 300.0


def policy_of(settings: Settings) -> KpiPolicy:
    return KpiPolicy(
        timezone=settings.timezone,
        fcr_window_days=settings.fcr_window_days,
        first_response_targets={
            "high": float(settings.sla_first_response_seconds_high),
            "normal": float(settings.sla_first_response_seconds_normal),
            "low": float(settings.sla_first_response_seconds_low),
        },
        ticket_reply_seconds=settings.ticket_reply_hours * 3600.0,
        at_risk_share=settings.sla_at_risk_share,
    )


class ArticleTopics:
    """Article id → topic, from the knowledge service's GET /articles."""

    def __init__(
        self,
        kb: KBClient,
        *,
        ttl: float = TOPICS_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.kb = kb
        self.ttl = ttl
        self.monotonic = monotonic
        self._topics: dict[str, str] = {}
        self._fetched: float | None = None

    async def get(self) -> dict[str, str]:
        moment = self.monotonic()
        if self._fetched is not None and moment - self._fetched < self.ttl:
            return self._topics
        try:
            articles = await self.kb.articles()
        except DeskError as e:  # the figures still come, with the topics last known
            log.warning("article topics not refreshed: %s", e)
            return self._topics
        self._topics = {str(a["id"]): str(a["topic"]) for a in articles if a.get("id") and a.get("topic")}
        self._fetched = moment
        return self._topics


class Figures:
    def __init__(
        self, *, settings: Settings, store: Store, kb: KBClient, hub: Hub, clock: Clock = now
    ) -> None:
        self.store = store
        self.hub = hub
        self.clock = clock
        self.policy = policy_of(settings)
        self.topics = ArticleTopics(kb)

    def now(self) -> datetime:
        return self.clock()

    async def kpis(self, query: KpiQuery) -> dict[str, Any]:
        tz = self.policy.timezone
        since = iso(day_start(query.first_day, tz))
        # Later conversations are read too: a customer coming back within the FCR window.
        until = iso(day_start(query.last_day + timedelta(days=1), tz) + self.policy.fcr_window)
        topic_of = await self.topics.get()
        population = fold_all(self.store.events_of_conversations_started(since, until), topic_of)
        return report(
            population,
            identities=self.store.customer_keys(since, until),
            query=query,
            policy=self.policy,
            now=self.now(),
            topic_of=topic_of,
            names=self.names(),
        )

    def floor(self) -> dict[str, Any]:
        return floor(
            self.store.handoffs(OPEN_STATUSES),
            online=self.hub.online_agents(),
            names=self.names(),
            policy=self.policy,
            now=self.now(),
        )

    def names(self) -> dict[int, str]:
        return {member.id: member.name for member in self.store.all_staff()}
