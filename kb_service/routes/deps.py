"""Dependencies shared by the routes: the loaded knowledge base, settings, the editor check
(the store of record is the knowledge base's `store`).

They are `async def` although they do no I/O: FastAPI runs a plain `def` dependency in a
worker thread, and those hops cost more than the work (measured in `make bench`).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Literal

from fastapi import Depends, Header, Request
from pydantic import SecretStr

from kb_service.config import Settings
from kb_service.errors import NotReady, Unauthorized
from kb_service.examples import ExampleBook
from kb_service.knowledge import KnowledgeBase
from kb_service.runtime import runtime_of
from kb_service.store import Editor

Contributor = Literal["editor", "service"]


async def _settings(request: Request) -> Settings:
    return runtime_of(request).settings


async def _knowledge_base(request: Request) -> KnowledgeBase:
    runtime = runtime_of(request)
    if runtime.kb is None:
        detail = f" ({runtime.error})" if runtime.error else ""
        raise NotReady(f"the knowledge base is {runtime.status}{detail}; retry shortly")
    return runtime.kb


async def _maybe_editor(
    settings: Annotated[Settings, Depends(_settings)],
    authorization: Annotated[str | None, Header()] = None,
    x_editor_id: Annotated[str | None, Header(max_length=80)] = None,
    x_editor_name: Annotated[str | None, Header(max_length=200)] = None,
) -> Editor | None:
    """The editor, when the request carries `Authorization: Bearer <KB_EDITOR_TOKEN>`. Only then
    are `X-Editor-Id` and `X-Editor-Name` believed (the desk sends its signed-in editor's);
    without an id the editor is `token` (a script, the CLI)."""
    if not _token_matches(_bearer(authorization), settings.editor_token):
        return None
    if not x_editor_id:
        return Editor("token", x_editor_name or "token")
    return Editor(x_editor_id, x_editor_name or x_editor_id)


async def _editor(editor: Annotated[Editor | None, Depends(_maybe_editor)]) -> Editor:
    """The editor, or 401."""
    if editor is None:
        raise Unauthorized("editing needs 'Authorization: Bearer <editor token>'")
    return editor


def _bearer(authorization: str | None) -> bytes:
    scheme, _, token = (authorization or "").partition(" ")
    return token.encode() if scheme.lower() == "bearer" else b""


def _token_matches(token: bytes, secret: SecretStr) -> bool:
    """In constant time; an empty token or an unset secret never matches."""
    expected = secret.get_secret_value().encode()
    return bool(token and expected) and hmac.compare_digest(token, expected)


async def _contributor(
    settings: Annotated[Settings, Depends(_settings)],
    authorization: Annotated[str | None, Header()] = None,
) -> Contributor:
    """Who sends examples: an editor (imports apply at once) or another service (its live
    examples wait for an editor). Anyone else is refused."""
    token = _bearer(authorization)
    if _token_matches(token, settings.editor_token):
        return "editor"
    if _token_matches(token, settings.service_token):
        return "service"
    raise Unauthorized("sending examples needs 'Authorization: Bearer <editor or service token>'")


async def _examples(kb: Annotated[KnowledgeBase, Depends(_knowledge_base)]) -> ExampleBook:
    if kb.examples is None:
        raise NotReady("this service runs without past examples")
    return kb.examples


SettingsDep = Annotated[Settings, Depends(_settings)]
KnowledgeBaseDep = Annotated[KnowledgeBase, Depends(_knowledge_base)]
EditorDep = Annotated[Editor, Depends(_editor)]
MaybeEditorDep = Annotated[Editor | None, Depends(_maybe_editor)]
ContributorDep = Annotated[Contributor, Depends(_contributor)]
ExamplesDep = Annotated[ExampleBook, Depends(_examples)]
