"""The desk's client of the knowledge service's editing API, against a fake of the contract:
credentials and identity on every call, errors mapped to the desk's exception tree."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest

from desk.errors import (
    ArticleNotFound,
    Conflict,
    InvalidArticle,
    UpstreamRefused,
    UpstreamUnavailable,
    VersionConflict,
)
from desk.kb_editing import EditorIdentity, KBEditingClient
from tests.desk.kb_editing_fake import TOKEN, FakeEditingKB, article_in

T = TypeVar("T")
ELI = EditorIdentity(id="7", name="Eli Editor")


def run(fake: FakeEditingKB, call: Callable[[KBEditingClient], Awaitable[T]], token: str = TOKEN) -> T:
    async def go() -> T:
        client = KBEditingClient(
            "http://kb", token=token, timeout=2.0, transport=httpx.MockTransport(fake.handle)
        )
        try:
            return await call(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


@pytest.fixture
def kb() -> FakeEditingKB:
    fake = FakeEditingKB()
    fake.seed("card-arrival")
    return fake


def test_every_call_carries_the_editor_token_and_the_editor(kb: FakeEditingKB):
    created = run(kb, lambda c: c.create(ELI, "pet-cover", article_in(title="Pet cover")))
    assert created == {"id": "pet-cover", "version": 1, "status": "draft"}
    request = kb.calls[-1]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert (request.headers["x-editor-id"], request.headers["x-editor-name"]) == ("7", "Eli Editor")
    history = run(kb, lambda c: c.versions(ELI, "pet-cover"))
    assert history[0]["editor_id"] == "7"
    assert history[0]["action"] == "create"


def test_a_name_outside_ascii_still_travels_in_a_header(kb: FakeEditingKB):
    zoe = EditorIdentity(id="9", name="Zoë Ñúñez\r\nX-Evil: 1")
    run(kb, lambda c: c.article(zoe, "card-arrival"))
    sent = kb.calls[-1].headers
    assert sent["x-editor-id"] == "9"
    assert sent["x-editor-name"].isascii()
    assert "\n" not in sent["x-editor-name"]
    assert "x-evil" not in sent
    long = EditorIdentity(id="9", name="Zoë " * 80)
    run(kb, lambda c: c.article(long, "card-arrival"))
    assert len(kb.calls[-1].headers["x-editor-name"]) <= 200  # kb_service's limit


def test_latest_version_and_save_with_base_version(kb: FakeEditingKB):
    latest = run(kb, lambda c: c.article(ELI, "card-arrival"))
    assert kb.calls[-1].url.params["status"] == "draft"
    assert latest["version"] == 1
    saved = run(
        kb,
        lambda c: c.update(ELI, "card-arrival", article_in(body="New"), base_version=1, as_draft=True),
    )
    assert saved == {"version": 2, "status": "published", "published_version": 1}
    published = run(kb, lambda c: c.publish(ELI, "card-arrival", 2))
    assert published == {"version": 3, "status": "published", "published_version": 3}
    assert kb.articles["card-arrival"].versions[-1]["body"] == "New"


def test_an_edit_on_an_old_version_is_a_version_conflict_naming_the_current_one(kb: FakeEditingKB):
    run(kb, lambda c: c.update(ELI, "card-arrival", article_in(body="Mine"), base_version=1, as_draft=True))
    with pytest.raises(VersionConflict) as refused:
        run(
            kb,
            lambda c: c.update(ELI, "card-arrival", article_in(body="Theirs"), base_version=1, as_draft=True),
        )
    assert refused.value.current_version == 2
    assert refused.value.status_code == 409
    assert refused.value.details() == {"current_version": 2}
    assert kb.articles["card-arrival"].versions[-1]["body"] == "Mine"  # nothing overwritten


def test_validation_errors_name_the_fields(kb: FakeEditingKB):
    with pytest.raises(InvalidArticle) as refused:
        run(kb, lambda c: c.create(ELI, "empty", article_in(title=" ", body="")))
    assert refused.value.fields == {"title": "a title is required", "body": "the body is empty"}
    assert refused.value.status_code == 422


def test_an_existing_id_unknown_article_and_wrong_token(kb: FakeEditingKB):
    with pytest.raises(Conflict) as exists:
        run(kb, lambda c: c.create(ELI, "card-arrival", article_in()))
    assert not isinstance(exists.value, VersionConflict)
    with pytest.raises(ArticleNotFound):
        run(kb, lambda c: c.versions(ELI, "no-such-article"))
    with pytest.raises(UpstreamRefused, match="DESK_KB_EDITOR_TOKEN"):
        run(kb, lambda c: c.articles(ELI), token="wrong")


def test_the_knowledge_service_down_is_upstream_unavailable_and_reads_retry_once(kb: FakeEditingKB):
    kb.down = True
    with pytest.raises(UpstreamUnavailable, match="cannot be reached"):
        run(kb, lambda c: c.articles(ELI))
    assert len(kb.calls) == 2  # a read is tried twice
    kb.calls.clear()
    with pytest.raises(UpstreamUnavailable, match="nothing was changed"):
        run(kb, lambda c: c.publish(ELI, "card-arrival"))
    assert len(kb.calls) == 1  # a change never is


def test_a_server_error_and_a_timeout_are_upstream_unavailable():
    def broken(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/articles":
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(500, text="boom")

    async def go(call: Callable[[KBEditingClient], Awaitable[Any]]) -> Any:
        client = KBEditingClient("http://kb", token=TOKEN, transport=httpx.MockTransport(broken))
        try:
            return await call(client)
        finally:
            await client.aclose()

    with pytest.raises(UpstreamUnavailable, match="500"):
        asyncio.run(go(lambda c: c.article(ELI, "x")))
    with pytest.raises(UpstreamUnavailable, match="ReadTimeout"):
        asyncio.run(go(lambda c: c.articles(ELI)))


def test_the_client_has_explicit_timeouts():
    client = KBEditingClient("http://kb", token=TOKEN, timeout=3.0)
    timeout = client._client.timeout
    assert (timeout.read, timeout.connect) == (3.0, 3.0)
    asyncio.run(client.aclose())
