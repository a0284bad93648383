"""What the app's lifespan builds and the routes read: settings, the knowledge base, its status."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal, cast

from starlette.requests import HTTPConnection

from kb_service.config import Settings
from kb_service.knowledge import KnowledgeBase
from kb_service.replicas import Follower


@dataclass
class Runtime:
    """`kb` is set once the model and index are loaded; until then `status` is "loading"."""

    settings: Settings
    status: Literal["loading", "ready", "failed"] = "loading"
    error: str | None = None
    kb: KnowledgeBase | None = None
    follower: Follower | None = None  # applies the other replicas' changes to `kb`
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


def runtime_of(conn: HTTPConnection) -> Runtime:
    return cast(Runtime, conn.app.state.runtime)
