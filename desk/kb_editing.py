"""The knowledge service's editing API (docs/contracts/kb-editing.md), called with the desk's
editor token on behalf of the signed-in editor; its errors become the desk's (desk/errors.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from desk.errors import (
    ArticleNotFound,
    Conflict,
    InvalidArticle,
    InvalidInput,
    UpstreamRefused,
    UpstreamUnavailable,
    VersionConflict,
)
from desk.store import StaffMember

log = logging.getLogger(__name__)

GET_ATTEMPTS = 2  # reads are retried once when the connection fails; writes never are
MAX_NAME_HEADER = 200  # kb_service's limit on X-Editor-Name


@dataclass(frozen=True)
class EditorIdentity:
    """Who the knowledge service records for a change: the desk's staff id and name."""

    id: str
    name: str

    @classmethod
    def of(cls, member: StaffMember) -> EditorIdentity:
        return cls(id=str(member.id), name=member.name)

    def headers(self) -> dict[str, str]:
        return {"X-Editor-Id": self.id, "X-Editor-Name": _header_name(self.name)}


def _header_name(name: str) -> str:
    """Header values travel as ASCII: a name outside it goes percent-encoded (UTF-8), cut to what
    the knowledge service accepts; the desk shows its own staff names from X-Editor-Id anyway."""
    name = " ".join(name.split())
    while True:
        encoded = name if name.isascii() else quote(name, safe=" '-.,")
        if len(encoded) <= MAX_NAME_HEADER:
            return encoded
        name = name[:-1]


class KBEditingClient:
    """One method per endpoint of the editing API; each takes the editor it acts for."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def articles(self, editor: EditorIdentity, status: str = "all") -> list[dict[str, Any]]:
        return list(await self._call(editor, "GET", "/articles", params={"status": status}))

    async def article(self, editor: EditorIdentity, article_id: str) -> dict[str, Any]:
        """The latest version, draft or not."""
        return dict(await self._call(editor, "GET", _path(article_id), params={"status": "draft"}))

    async def create(
        self, editor: EditorIdentity, article_id: str, article: dict[str, Any]
    ) -> dict[str, Any]:
        return dict(await self._call(editor, "POST", "/articles", json={"id": article_id, **article}))

    async def update(
        self,
        editor: EditorIdentity,
        article_id: str,
        article: dict[str, Any],
        *,
        base_version: int,
        as_draft: bool,
    ) -> dict[str, Any]:
        body = {**article, "base_version": base_version, "as_draft": as_draft}
        return dict(await self._call(editor, "PUT", _path(article_id), json=body))

    async def publish(
        self, editor: EditorIdentity, article_id: str, version: int | None = None
    ) -> dict[str, Any]:
        body = {} if version is None else {"version": version}
        return dict(await self._call(editor, "POST", _path(article_id, "publish"), json=body))

    async def unpublish(self, editor: EditorIdentity, article_id: str) -> dict[str, Any]:
        return dict(await self._call(editor, "POST", _path(article_id, "unpublish")))

    async def archive(self, editor: EditorIdentity, article_id: str) -> dict[str, Any]:
        return dict(await self._call(editor, "POST", _path(article_id, "archive")))

    async def delete(self, editor: EditorIdentity, article_id: str) -> None:
        await self._call(editor, "DELETE", _path(article_id))

    async def versions(self, editor: EditorIdentity, article_id: str) -> list[dict[str, Any]]:
        return list(await self._call(editor, "GET", _path(article_id, "versions")))

    async def version(self, editor: EditorIdentity, article_id: str, number: int) -> dict[str, Any]:
        return dict(await self._call(editor, "GET", _path(article_id, "versions", str(number))))

    async def diff(self, editor: EditorIdentity, article_id: str, before: int, after: int) -> dict[str, Any]:
        params = {"from": before, "to": after}
        return dict(await self._call(editor, "GET", _path(article_id, "diff"), params=params))

    async def restore(self, editor: EditorIdentity, article_id: str, number: int) -> dict[str, Any]:
        path = _path(article_id, "versions", str(number), "restore")
        return dict(await self._call(editor, "POST", path))

    async def try_question(
        self, editor: EditorIdentity, article_id: str, question: str, draft: dict[str, Any]
    ) -> dict[str, Any]:
        body = {"question": question, "draft": draft}
        return dict(await self._call(editor, "POST", _path(article_id, "try"), json=body))

    async def import_folder(self, editor: EditorIdentity) -> dict[str, Any]:
        """The knowledge folder (after a `git pull`) imported by the conflict rule: the report."""
        return dict(await self._call(editor, "POST", "/admin/import"))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(self, editor: EditorIdentity, method: str, path: str, **kwargs: Any) -> Any:
        attempts = GET_ATTEMPTS if method == "GET" else 1
        for attempt in range(1, attempts + 1):
            try:
                response = await self._client.request(method, path, headers=editor.headers(), **kwargs)
                break
            except httpx.TransportError as e:
                if attempt < attempts and isinstance(e, httpx.ConnectError):
                    continue
                log.warning("knowledge service unreachable for %s %s: %s", method, path, type(e).__name__)
                raise UpstreamUnavailable(
                    f"the knowledge service cannot be reached ({type(e).__name__}); nothing was changed"
                    if method != "GET"
                    else f"the knowledge service cannot be reached ({type(e).__name__})"
                ) from e
        return _result(response)


def _path(article_id: str, *parts: str) -> str:
    return "/".join([f"/articles/{quote(article_id, safe='')}", *parts])


def _result(response: httpx.Response) -> Any:
    """The response's JSON, or the desk error its status and error body stand for."""
    status = response.status_code
    if status == 204:
        return None
    if 200 <= status < 300:
        try:
            return response.json()
        except ValueError as e:
            raise UpstreamUnavailable("the knowledge service answered with invalid JSON") from e
    error = _error_body(response)
    message = str(error.get("message") or f"the knowledge service answered {status}")
    if status in (401, 403):
        log.error("the knowledge service refused the desk's editor token (%s)", status)
        raise UpstreamRefused(
            "the knowledge service refused the desk's editor token "
            "(DESK_KB_EDITOR_TOKEN must equal its KB_EDITOR_TOKEN)"
        )
    if status == 404:
        raise ArticleNotFound(message if error else "no such article or version")
    if status == 409:
        if error.get("code") == "version_conflict":
            current = error.get("current_version")
            raise VersionConflict(message, current if isinstance(current, int) else None)
        raise Conflict(message)
    if status == 413:
        raise InvalidInput("the article is too large for the knowledge service")
    if status == 422:
        fields = error.get("fields")
        problems = {str(k): str(v) for k, v in fields.items()} if isinstance(fields, dict) else {}
        raise InvalidArticle(message, problems)
    raise UpstreamUnavailable(f"the knowledge service answered {status}: {message[:200]}")


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}
