"""Oversized request bodies: 413 with a JSON error, whether the size is declared or not."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from desk.config import Settings

SERVICE = {"Authorization": "Bearer dev-desk-service-token", "content-type": "application/json"}


def test_a_body_over_the_limit_is_refused_with_413_and_a_json_error(client: TestClient, settings: Settings):
    body = b"x" * (settings.max_body_bytes + 1)

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked, counted as it arrives
        yield body[:1024]
        yield body[1024:]

    declared = client.post("/api/handoffs", content=body, headers=SERVICE)
    chunked = client.post("/api/handoffs", content=chunks(), headers=SERVICE)
    for response in (declared, chunked):
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "body_too_large"
    assert "content-length" not in chunked.request.headers
    small = client.post("/api/handoffs", content=b"x" * 1024, headers=SERVICE)
    assert small.status_code == 422  # read and judged on its contents, not its size
