"""HTTP clients for Rasa (REST channel + HTTP API) and the knowledge service, with explicit
timeouts; failures become UpstreamUnavailable / ArticleNotFound."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from desk.errors import ArticleNotFound, UpstreamUnavailable


class RasaClient:
    def __init__(
        self,
        base_url: str,
        *,
        auth_token: str = "",
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        params = {"token": auth_token} if auth_token else None
        self._client = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, transport=transport, params=params
        )

    async def send(self, sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """One customer message through the REST channel; the assistant's replies."""
        body = {"sender": sender, "message": message, "metadata": metadata}
        replies = await self._call("POST", "/webhooks/rest/webhook", json=body)
        if not isinstance(replies, list):
            raise UpstreamUnavailable("the assistant answered with something other than a list")
        return replies

    async def resume(self, sender: str) -> None:
        """Undo the pause the handoff action set, so the assistant acts on messages again."""
        await self._call(
            "POST", f"/conversations/{quote(sender, safe='')}/tracker/events", json={"event": "resume"}
        )

    async def trigger_intent(self, sender: str, intent: str) -> list[dict[str, Any]]:
        result = await self._call(
            "POST", f"/conversations/{quote(sender, safe='')}/trigger_intent", json={"name": intent}
        )
        messages = result.get("messages", []) if isinstance(result, dict) else []
        return [m for m in messages if isinstance(m, dict)]

    async def ready(self) -> bool:
        try:
            response = await self._client.get("/status", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._client.request(method, path, **kwargs)
        except httpx.HTTPError as e:
            raise UpstreamUnavailable(f"the assistant cannot be reached: {type(e).__name__}") from e
        if response.status_code != 200:
            raise UpstreamUnavailable(f"the assistant answered {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError as e:
            raise UpstreamUnavailable("the assistant answered with invalid JSON") from e

    async def aclose(self) -> None:
        await self._client.aclose()


class KBClient:
    def __init__(
        self, base_url: str, *, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def search(self, query: str, top_k: int = 5) -> list[dict[str, Any]]:
        data = await self._call("POST", "/search", json={"query": query, "top_k": top_k})
        return list(data.get("hits", []))

    async def article(self, article_id: str) -> dict[str, Any]:
        return dict(await self._call("GET", f"/articles/{quote(article_id, safe='')}"))

    async def articles(self) -> list[dict[str, Any]]:
        return list(await self._call("GET", "/articles"))

    async def add_candidate_example(self, source: str, text: str, article_id: str, token: str) -> None:
        """A live example for the knowledge service (it waits there for an editor's approval)."""
        await self._call(
            "POST",
            "/examples",
            json={"source": source, "examples": [{"text": text[:2000], "article_id": article_id}]},
            headers={"Authorization": f"Bearer {token}"},
        )

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._client.request(method, path, **kwargs)
        except httpx.HTTPError as e:
            raise UpstreamUnavailable(f"the knowledge service cannot be reached: {type(e).__name__}") from e
        if response.status_code == 404:
            raise ArticleNotFound("no such article")
        if response.status_code != 200:
            raise UpstreamUnavailable(f"the knowledge service answered {response.status_code}")
        return response.json()

    async def aclose(self) -> None:
        await self._client.aclose()
