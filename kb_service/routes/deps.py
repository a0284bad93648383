"""Dependencies shared by the routes: the loaded knowledge base, settings, the editor check.

They are `async def` although they do no I/O: FastAPI runs a plain `def` dependency in a
worker thread, and those hops cost more than the work (measured in `make bench`).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from kb_service.config import Settings
from kb_service.errors import NotReady, Unauthorized
from kb_service.knowledge import KnowledgeBase
from kb_service.revisions import RevisionLog
from kb_service.runtime import runtime_of


async def _settings(request: Request) -> Settings:
    return runtime_of(request).settings


async def _knowledge_base(request: Request) -> KnowledgeBase:
    runtime = runtime_of(request)
    if runtime.kb is None:
        detail = f" ({runtime.error})" if runtime.error else ""
        raise NotReady(f"the knowledge base is {runtime.status}{detail}; retry shortly")
    return runtime.kb


async def _revisions(request: Request) -> RevisionLog:
    return runtime_of(request).revisions


async def _editor(
    settings: Annotated[Settings, Depends(_settings)],
    authorization: Annotated[str | None, Header()] = None,
    x_editor: Annotated[str | None, Header(max_length=80)] = None,
) -> str:
    """The editor's name, after checking `Authorization: Bearer <KB_EDITOR_TOKEN>`."""
    expected = settings.editor_token.get_secret_value()
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Unauthorized("editing needs 'Authorization: Bearer <editor token>'")
    return x_editor or "editor"


SettingsDep = Annotated[Settings, Depends(_settings)]
KnowledgeBaseDep = Annotated[KnowledgeBase, Depends(_knowledge_base)]
RevisionsDep = Annotated[RevisionLog, Depends(_revisions)]
EditorDep = Annotated[str, Depends(_editor)]
