"""HTTP clients for the knowledge service and the desk: explicit timeouts, bounded retries for
idempotent calls, errors mapped to ServiceUnavailable / RejectedRequest."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Optional, Sequence

import httpx

from actions.errors import RejectedRequest, ServiceUnavailable

log = logging.getLogger(__name__)


async def _send(
    client: httpx.AsyncClient, method: str, url: str, *, attempts: int, **kwargs: Any
) -> httpx.Response:
    last: Optional[Exception] = None
    for attempt in range(attempts):
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.HTTPError as e:
            last = e
        else:
            if response.status_code < 500 and response.status_code not in (408, 429):
                if response.status_code >= 400:
                    raise RejectedRequest(
                        f"{method} {url} answered {response.status_code}: {response.text[:300]}"
                    )
                return response
            last = ServiceUnavailable(f"{method} {url} answered {response.status_code}")
        if attempt + 1 < attempts:
            await asyncio.sleep(0.2 * (attempt + 1))
    raise ServiceUnavailable(f"{method} {url} failed: {last}") from last


class KBClient:
    """The knowledge service (kb_service): search and articles."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 5.0,
        token: str = "",
        transport: Optional[httpx.AsyncBaseTransport] = None,
    ):
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)
        self._token = token

    async def search(
        self, query: str, *, top_k: int = 5, exclude: Sequence[str] = (), escalation: Sequence[str] = ()
    ) -> Dict[str, Any]:
        body: Dict[str, Any] = {"query": query[:1000], "top_k": top_k}
        filters: Dict[str, Any] = {}
        if exclude:
            filters["exclude_ids"] = list(exclude)
        if escalation:
            filters["escalation"] = list(escalation)
        if filters:
            body["filters"] = filters
        response = await _send(self._client, "POST", "/search", attempts=2, json=body)
        return response.json()  # type: ignore[no-any-return]

    async def add_candidate_example(self, source: str, text: str, article_id: str) -> bool:
        """Send a live example (it waits for an editor); False when no service token is set.
        Not retried: the service deduplicates, and a lost candidate costs nothing."""
        if not self._token:
            return False
        await _send(
            self._client,
            "POST",
            "/examples",
            attempts=1,
            json={"source": source, "examples": [{"text": text[:2000], "article_id": article_id}]},
            headers={"Authorization": f"Bearer {self._token}"},
        )
        return True

    async def article(self, article_id: str) -> Dict[str, Any]:
        response = await _send(self._client, "GET", f"/articles/{article_id}", attempts=2)
        return response.json()  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        await self._client.aclose()


class DeskClient:
    """The support desk's handoff API."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 5.0,
        transport: Optional[httpx.AsyncBaseTransport] = None,
    ):
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def create_handoff(self, payload: Dict[str, Any]) -> Dict[str, Any]:
        """Idempotent by `handoff_id`, so retrying is safe."""
        response = await _send(
            self._client,
            "POST",
            "/api/handoffs",
            attempts=2,
            json=payload,
            headers={"Idempotency-Key": payload["handoff_id"]},
        )
        return response.json()  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        await self._client.aclose()
