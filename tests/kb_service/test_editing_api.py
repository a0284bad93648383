"""The editing API (docs/contracts/kb-editing.md) through HTTP, on the fake embedder."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from kb_service import Settings
from tests.kb_service.helpers import write_article

EDITOR = {"Authorization": "Bearer s3cret-token", "X-Editor-Id": "7", "X-Editor-Name": "Alice"}
BOB = {"Authorization": "Bearer s3cret-token", "X-Editor-Id": "9", "X-Editor-Name": "Bob"}
NEW_ARTICLE: dict[str, Any] = {
    "title": "Cash machine fees",
    "summary": "Withdrawals are free up to your monthly allowance.",
    "topic": "cash_withdrawal_charge",
    "tags": ["cash"],
    "questions": ["atm cash fee"],
    "body": "1. Check your allowance in the app.\n2. Withdraw.",
}


def create(client: TestClient, article_id: str = "cash-fees", **changes: Any) -> dict[str, Any]:
    response = client.post("/articles", json={"id": article_id, **NEW_ARTICLE, **changes}, headers=EDITOR)
    assert response.status_code == 201, response.json()
    return response.json()  # type: ignore[no-any-return]


def edit(
    client: TestClient, article_id: str, base: int, headers: dict[str, str] = EDITOR, **changes: Any
) -> Any:
    content = latest(client, article_id)
    body = {k: content[k] for k in ("title", "summary", "topic", "tags", "escalation", "questions", "body")}
    return client.put(
        f"/articles/{article_id}", json={**body, **changes, "base_version": base}, headers=headers
    )


def latest(client: TestClient, article_id: str) -> dict[str, Any]:
    response = client.get(f"/articles/{article_id}", params={"status": "draft"}, headers=EDITOR)
    assert response.status_code == 200, response.json()
    return response.json()  # type: ignore[no-any-return]


def post(client: TestClient, path: str, **kwargs: Any) -> dict[str, Any]:
    response = client.post(path, headers=EDITOR, **kwargs)
    assert response.status_code == 200, response.json()
    return response.json()  # type: ignore[no-any-return]


def found(client: TestClient, query: str) -> list[str]:
    return [h["article_id"] for h in client.post("/search", json={"query": query}).json()["hits"]]


def served(client: TestClient, article_id: str) -> bool:
    """Whether readers see the article: its page and the reader's list."""
    page = client.get(f"/articles/{article_id}").status_code == 200
    listed = article_id in [a["id"] for a in client.get("/articles").json()]
    assert page == listed
    return page


def test_editing_needs_the_editor_token(client: TestClient) -> None:
    identity_alone = {"X-Editor-Id": "7", "X-Editor-Name": "Alice"}
    for headers in ({}, identity_alone, {**identity_alone, "Authorization": "Bearer wrong"}):
        assert client.post("/articles", json={"id": "x-y", **NEW_ARTICLE}, headers=headers).status_code == 401
        assert (
            client.put(
                "/articles/pin-blocked", json={**NEW_ARTICLE, "base_version": 1}, headers=headers
            ).status_code
            == 401
        )
        assert client.post("/articles/pin-blocked/unpublish", headers=headers).status_code == 401
        assert client.delete("/articles/pin-blocked", headers=headers).status_code == 401
        assert client.get("/articles/pin-blocked/versions", headers=headers).status_code == 401
        assert client.get("/articles", params={"status": "all"}, headers=headers).status_code == 401
        assert (
            client.get("/articles/pin-blocked", params={"status": "draft"}, headers=headers).status_code
            == 401
        )
        try_body = {"question": "pin", "draft": NEW_ARTICLE}
        assert client.post("/articles/pin-blocked/try", json=try_body, headers=headers).status_code == 401
    assert served(client, "pin-blocked")


def test_a_new_article_is_a_draft_nobody_reads(client: TestClient) -> None:
    assert create(client) == {
        "id": "cash-fees",
        "version": 1,
        "status": "draft",
        "published_version": None,
        "has_draft": True,
    }
    assert not served(client, "cash-fees")
    assert "cash-fees" not in found(client, "atm cash fee")
    draft = latest(client, "cash-fees")
    assert (draft["title"], draft["status"], draft["version"], draft["has_draft"]) == (
        "Cash machine fees",
        "draft",
        1,
        True,
    )
    assert (draft["updated_by"], draft["updated_by_id"]) == ("Alice", "7")
    drafts = client.get("/articles", params={"status": "draft"}, headers=EDITOR).json()
    assert [a["id"] for a in drafts] == ["cash-fees"]
    assert len(client.get("/articles", params={"status": "all"}, headers=EDITOR).json()) == 4
    # the reader's list stays the reader's, token or not
    assert "cash-fees" not in [a["id"] for a in client.get("/articles", headers=EDITOR).json()]
    again = client.post("/articles", json={"id": "cash-fees", **NEW_ARTICLE}, headers=EDITOR)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "article_exists")


def test_publishing_serves_it_and_search_finds_it(client: TestClient) -> None:
    create(client)
    state = post(client, "/articles/cash-fees/publish")
    assert state == {
        "id": "cash-fees",
        "version": 2,
        "status": "published",
        "published_version": 2,
        "has_draft": False,
    }
    assert served(client, "cash-fees")
    assert found(client, "atm cash fee")[0] == "cash-fees"
    # already published: no new version (the desk sends an empty body)
    assert post(client, "/articles/cash-fees/publish", json={})["version"] == 2


def test_publishing_a_chosen_version(client: TestClient) -> None:
    edit(client, "pin-blocked", 1, title="Blocked PIN")
    state = post(client, "/articles/pin-blocked/publish", json={"version": 1})
    assert (state["version"], state["published_version"]) == (3, 3)
    assert client.get("/articles/pin-blocked").json()["title"] == "PIN blocked"
    response = client.post("/articles/pin-blocked/publish", json={"version": 7}, headers=EDITOR)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "version_not_found")


def test_an_edit_based_on_an_old_version_gets_409_and_overwrites_nothing(client: TestClient) -> None:
    create(client)
    assert edit(client, "cash-fees", 1, title="ATM fees").json()["version"] == 2
    stale = edit(client, "cash-fees", 1, headers=BOB, title="Bob's title")
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "version_conflict"
    assert stale.json()["error"]["current_version"] == 2
    assert latest(client, "cash-fees")["title"] == "ATM fees"
    assert len(client.get("/articles/cash-fees/versions", headers=EDITOR).json()) == 2


def test_a_live_edit_is_served_at_once_and_a_draft_edit_waits_for_publish(client: TestClient) -> None:
    live = edit(client, "pin-blocked", 1, title="Blocked PIN").json()
    assert live == {
        "id": "pin-blocked",
        "version": 2,
        "status": "published",
        "published_version": 2,
        "has_draft": False,
    }
    assert client.get("/articles/pin-blocked").json()["title"] == "Blocked PIN"

    waiting = edit(client, "pin-blocked", 2, title="PIN locked", as_draft=True).json()
    assert (waiting["version"], waiting["published_version"], waiting["has_draft"]) == (3, 2, True)
    assert client.get("/articles/pin-blocked").json()["title"] == "Blocked PIN"
    published = client.get("/articles/pin-blocked", params={"status": "published"}, headers=EDITOR).json()
    assert (published["title"], published["version"], published["has_draft"]) == ("Blocked PIN", 3, True)
    assert latest(client, "pin-blocked")["title"] == "PIN locked"

    assert post(client, "/articles/pin-blocked/publish")["published_version"] == 4
    assert client.get("/articles/pin-blocked").json()["title"] == "PIN locked"


def test_unpublish_archive_and_delete_take_it_from_readers_and_search(client: TestClient) -> None:
    assert found(client, "my pin is blocked")[0] == "pin-blocked"
    assert post(client, "/articles/pin-blocked/unpublish")["status"] == "draft"
    assert not served(client, "pin-blocked")
    assert "pin-blocked" not in found(client, "my pin is blocked")

    post(client, "/articles/pin-blocked/publish")
    assert found(client, "my pin is blocked")[0] == "pin-blocked"
    assert post(client, "/articles/pin-blocked/archive")["status"] == "archived"
    assert not served(client, "pin-blocked")
    assert "pin-blocked" not in found(client, "my pin is blocked")
    archived = client.get("/articles", params={"status": "archived"}, headers=EDITOR).json()
    assert [a["id"] for a in archived] == ["pin-blocked"]

    post(client, "/articles/pin-blocked/publish")
    assert client.delete("/articles/pin-blocked", headers=EDITOR).status_code == 204
    assert not served(client, "pin-blocked")
    assert "pin-blocked" not in found(client, "my pin is blocked")
    assert "pin-blocked" not in [
        a["id"] for a in client.get("/articles", params={"status": "all"}, headers=EDITOR).json()
    ]
    assert client.get("/articles/pin-blocked", params={"status": "draft"}, headers=EDITOR).status_code == 404
    deleted = client.get("/articles", params={"status": "deleted"}, headers=EDITOR).json()
    assert [(a["id"], a["deleted"]) for a in deleted] == [("pin-blocked", True)]
    assert client.delete("/articles/pin-blocked", headers=EDITOR).status_code == 404
    assert client.get("/articles/pin-blocked/versions", headers=EDITOR).json()[0]["action"] == "delete"


def test_versions_say_who_did_what_and_when(client: TestClient) -> None:
    create(client)
    edit(client, "cash-fees", 1, headers=BOB, title="ATM fees")
    post(client, "/articles/cash-fees/publish")
    token_only = {"Authorization": "Bearer s3cret-token"}
    assert client.post("/articles/cash-fees/archive", headers=token_only).status_code == 200
    history = client.get("/articles/cash-fees/versions", headers=EDITOR).json()
    assert [(v["version"], v["action"], v["editor_id"], v["editor"]) for v in history] == [
        (4, "archive", "token", "token"),
        (3, "publish", "7", "Alice"),
        (2, "edit", "9", "Bob"),
        (1, "create", "7", "Alice"),
    ]
    assert all(v["at"].endswith("Z") and len(v["content_hash"]) == 64 for v in history)
    assert history[0]["content_hash"] == history[2]["content_hash"]  # status changes keep the content


def test_a_version_and_the_diff_between_two(client: TestClient) -> None:
    create(client)
    edit(
        client,
        "cash-fees",
        1,
        title="ATM fees",
        tags=["cash", "fees"],
        body="1. Check your allowance in the app.\n2. Pay nothing.",
    )
    first = client.get("/articles/cash-fees/versions/1", headers=EDITOR).json()
    assert (first["version"], first["title"], first["action"], first["editor"]) == (
        1,
        "Cash machine fees",
        "create",
        "Alice",
    )
    diff = client.get("/articles/cash-fees/diff", params={"from": 1, "to": 2}, headers=EDITOR).json()
    assert (diff["from"], diff["to"]) == (1, 2)
    assert diff["fields"] == {
        "title": {"before": "Cash machine fees", "after": "ATM fees"},
        "tags": {"before": ["cash"], "after": ["cash", "fees"]},
    }
    assert "-2. Withdraw." in diff["body"]
    assert "+2. Pay nothing." in diff["body"]
    missing = client.get("/articles/cash-fees/versions/9", headers=EDITOR)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "version_not_found")
    assert client.get("/articles/no-such/versions", headers=EDITOR).status_code == 404


def test_restore_makes_a_new_version_live_when_published(client: TestClient) -> None:
    edit(client, "pin-blocked", 1, title="Blocked PIN")
    restored = post(client, "/articles/pin-blocked/versions/1/restore")
    assert (restored["version"], restored["published_version"]) == (3, 3)
    assert client.get("/articles/pin-blocked").json()["title"] == "PIN blocked"
    history = client.get("/articles/pin-blocked/versions", headers=EDITOR).json()
    assert history[0]["action"] == "restore"
    assert history[0]["content_hash"] == history[2]["content_hash"]


def test_restore_brings_a_deleted_article_back_as_a_draft(client: TestClient) -> None:
    client.delete("/articles/pin-blocked", headers=EDITOR)
    restored = post(client, "/articles/pin-blocked/versions/1/restore")
    assert (restored["status"], restored["published_version"], restored["has_draft"]) == ("draft", None, True)
    assert not served(client, "pin-blocked")
    assert latest(client, "pin-blocked")["title"] == "PIN blocked"
    post(client, "/articles/pin-blocked/publish")
    assert served(client, "pin-blocked")
    assert found(client, "my pin is blocked")[0] == "pin-blocked"


def test_validation_errors_name_each_field(client: TestClient) -> None:
    bad = {"id": "cash-fees", **NEW_ARTICLE, "summary": "short", "escalation": "maybe", "tags": ["ok", " "]}
    del bad["body"]
    response = client.post("/articles", json=bad, headers=EDITOR)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_article"
    assert set(error["fields"]) == {"escalation", "body"}  # what the request shape refuses first
    response = client.post(
        "/articles",
        json={**NEW_ARTICLE, "id": "cash-fees", "summary": "short", "tags": [" "]},
        headers=EDITOR,
    )
    assert set(response.json()["error"]["fields"]) == {"summary", "tags"}
    assert "summary" in response.json()["error"]["message"]
    response = client.post("/articles", json={**NEW_ARTICLE, "id": "Not A Slug"}, headers=EDITOR)
    assert list(response.json()["error"]["fields"]) == ["id"]
    response = edit(client, "pin-blocked", 1, title="")
    assert (response.status_code, list(response.json()["error"]["fields"])) == (422, ["title"])
    response = client.put("/articles/pin-blocked", json=NEW_ARTICLE, headers=EDITOR)  # the old PUT
    assert (response.status_code, list(response.json()["error"]["fields"])) == (422, ["base_version"])
    response = client.post(
        "/articles/pin-blocked/try",
        json={"question": "pin", "draft": {**NEW_ARTICLE, "title": "x"}},
        headers=EDITOR,
    )
    assert list(response.json()["error"]["fields"]) == ["draft.title"]
    assert not served(client, "cash-fees")
    assert client.get("/articles/pin-blocked").json()["title"] == "PIN blocked"


def test_try_a_question_with_a_draft_changes_nothing_live(client: TestClient) -> None:
    question = "my pizza card is blocked"
    draft = {
        **NEW_ARTICLE,
        "title": "Pizza cards",
        "summary": "A pizza card is blocked when the pizza is cold.",
        "questions": ["my pizza card is blocked"],
        "topic": "pin_blocked",
    }
    result = post(client, "/articles/pin-blocked/try", json={"question": question, "draft": draft})
    now, with_draft = result["now"], result["with_draft"]
    assert set(now) == {"verdict", "confidence", "hits", "article_rank"}
    assert with_draft["article_rank"] == 1
    assert with_draft["hits"][0] == {
        **with_draft["hits"][0],
        "article_id": "pin-blocked",
        "title": "Pizza cards",
        "rank": 1,
    }
    assert with_draft["hits"][0]["score"] > next(
        h["score"] for h in now["hits"] if h["article_id"] == "pin-blocked"
    )
    assert [h["rank"] for h in now["hits"]] == list(range(1, len(now["hits"]) + 1))
    # nothing live changed
    assert client.get("/articles/pin-blocked").json()["title"] == "PIN blocked"
    live = client.post("/search", json={"query": question}).json()
    assert [h["article_id"] for h in live["hits"]] == [h["article_id"] for h in now["hits"]]
    # a draft of an article nobody reads yet: unranked now, ranked with the draft
    fresh = post(client, "/articles/pizza-cards/try", json={"question": question, "draft": draft})
    assert fresh["now"]["article_rank"] is None
    assert fresh["with_draft"]["article_rank"] == 1
    empty = client.post("/articles/pin-blocked/try", json={"question": "  ", "draft": draft}, headers=EDITOR)
    assert (empty.status_code, empty.json()["error"]["code"]) == (422, "invalid_query")


def test_import_through_the_api_goes_live(client: TestClient, settings: Settings) -> None:
    write_article(
        settings.knowledge_dir,
        "cash-fees",
        "Cash machine fees",
        "cash_withdrawal_charge",
        "Cash machine fees.",
        questions=["atm cash fee"],
    )
    write_article(
        settings.knowledge_dir, "pin-blocked", "PIN unblocking", "pin_blocked", "Unblock your PIN in the app."
    )
    report = post(client, "/admin/import")
    assert (report["created"], report["updated"], report["unchanged"], report["conflicts"]) == (
        ["cash-fees"],
        ["pin-blocked"],
        2,
        [],
    )
    assert found(client, "atm cash fee")[0] == "cash-fees"
    assert client.get("/articles/pin-blocked").json()["title"] == "PIN unblocking"
    assert client.get("/articles/pin-blocked/versions", headers=EDITOR).json()[0]["editor"] == "Alice"
