"""The editors' pages and /api/editor over a fake knowledge service speaking the editing
contract: roles, identity, conflicts and validation errors as the pages see them, the preview."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from desk.app import create_app
from desk.config import Settings
from desk.staff import DEMO_PASSWORD
from tests.desk.conftest import AGENT, CONSOLE, FakeAssistant, sign_in
from tests.desk.kb_editing_fake import FakeEditingKB, article_in

EDITOR = ("editor@kestrel.example", "Eli Editor", DEMO_PASSWORD)


@pytest.fixture
def kb() -> FakeEditingKB:
    fake = FakeEditingKB()
    fake.seed("card-arrival")
    return fake


@pytest.fixture
def editor_client(settings: Settings, kb: FakeEditingKB) -> Iterator[TestClient]:
    app = create_app(
        settings,
        rasa_transport=httpx.MockTransport(FakeAssistant().handle),
        kb_transport=httpx.MockTransport(kb.handle),
    )
    with TestClient(app) as client:
        yield client


@pytest.fixture
def eli(editor_client: TestClient) -> dict[str, str]:
    return {**CONSOLE, **sign_in(editor_client, EDITOR)}


def test_an_editor_lands_on_the_article_list_and_others_may_not_open_it(editor_client: TestClient):
    landed = editor_client.post(
        "/console/login",
        content=f"email={EDITOR[0]}&password={EDITOR[2]}",
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert landed.headers["location"] == "/editor"
    editor_client.cookies.clear()
    editor = sign_in(editor_client, EDITOR)
    for path in ("/editor", "/editor/articles/new", "/editor/articles/card-arrival"):
        page = editor_client.get(path, headers=editor)
        assert page.status_code == 200, path
        assert "/static/editor.js" in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert "Help-centre articles" in editor_client.get("/staff", headers=editor).text
    agent = sign_in(editor_client, AGENT)
    assert editor_client.get("/editor", headers=agent).status_code == 403
    assert editor_client.get("/api/editor/articles", headers=agent).status_code == 403
    editor_client.cookies.clear()
    anonymous = editor_client.get("/editor/articles/card-arrival", follow_redirects=False)
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/console/login")
    assert editor_client.get("/api/editor/articles").status_code == 401


def test_the_article_page_escapes_its_id(editor_client: TestClient, eli: dict[str, str]):
    page = editor_client.get('/editor/articles/"><img src=x onerror=alert(1)>', headers=eli)
    assert page.status_code == 200
    assert "<img src=x" not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text


def test_changes_need_the_console_header(editor_client: TestClient, eli: dict[str, str]):
    cookie = {"cookie": eli["cookie"]}
    body = {"article": article_in(), "base_version": 1}
    refused = editor_client.put("/api/editor/articles/card-arrival", json=body, headers=cookie)
    assert refused.status_code == 403
    assert editor_client.post("/api/editor/articles/card-arrival/publish", headers=cookie).status_code == 403


def test_the_list_names_who_changed_what_and_filters(
    editor_client: TestClient, eli: dict[str, str], kb: FakeEditingKB
):
    kb.seed("fees", status="draft", title="Fees and charges", summary="What we charge.", topic="fees")
    listed = editor_client.get("/api/editor/articles", headers=eli).json()
    assert [a["id"] for a in listed["articles"]] == ["card-arrival", "fees"]
    assert listed["articles"][0]["status"] == "published"
    assert {"helpful", "not_helpful", "stale"} <= set(listed["articles"][0])
    drafts = editor_client.get("/api/editor/articles?status=draft&q=charge", headers=eli).json()
    assert [a["id"] for a in drafts["articles"]] == ["fees"]
    assert kb.calls[-1].url.params["status"] == "all"


def test_autosave_with_the_base_version_then_a_conflict_never_overwrites(
    editor_client: TestClient, eli: dict[str, str], kb: FakeEditingKB
):
    article = editor_client.get("/api/editor/articles/card-arrival", headers=eli).json()
    assert (article["version"], article["status"]) == (1, "published")
    mine = {"article": article_in(body="Mine"), "base_version": 1, "as_draft": True}
    saved = editor_client.put("/api/editor/articles/card-arrival", json=mine, headers=eli)
    assert saved.json() == {"version": 2, "status": "published", "published_version": 1}
    sent = kb.calls[-1]
    assert sent.headers["x-editor-name"] == "Eli Editor"
    member = editor_client.app.state.desk.store.staff_by_email(EDITOR[0])  # type: ignore[attr-defined]
    assert sent.headers["x-editor-id"] == str(member.id)
    assert b'"as_draft":true' in sent.content.replace(b" ", b"")

    theirs = {"article": article_in(body="Theirs"), "base_version": 1, "as_draft": True}
    conflict = editor_client.put("/api/editor/articles/card-arrival", json=theirs, headers=eli)
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "version_conflict"
    assert conflict.json()["error"]["current_version"] == 2
    assert kb.articles["card-arrival"].versions[-1]["body"] == "Mine"


def test_validation_errors_name_each_field(editor_client: TestClient, eli: dict[str, str]):
    empty = {"article": article_in(title="", body=""), "base_version": 1}
    refused = editor_client.put("/api/editor/articles/card-arrival", json=empty, headers=eli)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invalid_article"
    assert set(error["fields"]) == {"title", "body"}
    bad_id = editor_client.post("/api/editor/articles", json={"id": "Not A Slug", "article": {}}, headers=eli)
    assert (bad_id.status_code, bad_id.json()["error"]["code"]) == (422, "invalid_request")


def test_create_publish_history_diff_restore_and_delete(
    editor_client: TestClient, eli: dict[str, str], kb: FakeEditingKB
):
    new = {"id": "pet-cover", "article": article_in(title="Pet cover", body="Old text")}
    created = editor_client.post("/api/editor/articles", json=new, headers=eli)
    assert created.status_code == 201
    assert created.json() == {"id": "pet-cover", "version": 1, "status": "draft"}
    again = editor_client.post("/api/editor/articles", json=new, headers=eli)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "conflict")

    path = "/api/editor/articles/pet-cover"
    edit = {"article": article_in(title="Pet cover", body="New text"), "base_version": 1}
    assert editor_client.put(path, json=edit, headers=eli).json()["version"] == 2
    published = editor_client.post(f"{path}/publish", json={"version": 2}, headers=eli).json()
    assert (published["status"], published["published_version"]) == ("published", 3)

    versions = editor_client.get(f"{path}/versions", headers=eli).json()["versions"]
    assert [(v["version"], v["action"], v["editor_name"]) for v in versions[:2]] == [
        (3, "publish", "Eli Editor"),
        (2, "edit", "Eli Editor"),
    ]
    diff = editor_client.get(f"{path}/diff?from=1&to=2", headers=eli).json()
    assert {"kind": "change", "left": "Old text", "right": "New text"} in diff["rows"]
    assert editor_client.get(f"{path}/versions/1", headers=eli).json()["body"] == "Old text"

    restored = editor_client.post(f"{path}/versions/1/restore", headers=eli).json()
    assert restored == {"version": 4}
    assert editor_client.get(path, headers=eli).json()["body"] == "Old text"
    assert editor_client.post(f"{path}/unpublish", headers=eli).json()["status"] == "draft"
    assert editor_client.post(f"{path}/archive", headers=eli).json()["status"] == "archived"
    assert editor_client.delete(path, headers=eli).status_code == 204
    gone = editor_client.get(path, headers=eli)
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "article_not_found")


def test_try_a_question_now_and_with_the_draft(editor_client: TestClient, eli: dict[str, str]):
    body = {"question": "jersey", "article": article_in(body="Cards reach Jersey in ten days")}
    result = editor_client.post("/api/editor/articles/card-arrival/try", json=body, headers=eli).json()
    assert result["now"]["verdict"] == "none"
    assert result["now"]["article_rank"] is None
    assert (result["with_draft"]["verdict"], result["with_draft"]["article_rank"]) == ("answer", 1)


def test_the_preview_never_renders_html_from_the_markdown(editor_client: TestClient, eli: dict[str, str]):
    markdown = (
        "Steps:\n\n1. **Freeze** the card\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>"
    )
    html = editor_client.post("/api/editor/preview", json={"markdown": markdown}, headers=eli).json()["html"]
    assert "<strong>Freeze</strong>" in html
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html
    agent = {**CONSOLE, **sign_in(editor_client, AGENT)}
    assert editor_client.post("/api/editor/preview", json={"markdown": "x"}, headers=agent).status_code == 403


def test_the_knowledge_service_down_or_refusing_the_token_reads_clearly(
    editor_client: TestClient, eli: dict[str, str], kb: FakeEditingKB, settings: Settings
):
    kb.down = True
    down = editor_client.post("/api/editor/articles/card-arrival/publish", headers=eli)
    assert down.status_code == 503
    assert "cannot be reached" in down.json()["error"]["message"]
    kb.down = False
    wrong = settings.model_copy(update={"kb_editor_token": SecretStr("not-the-kb-token")})
    app = create_app(wrong, kb_transport=httpx.MockTransport(kb.handle))
    with TestClient(app) as other:
        refused = other.get("/api/editor/articles", headers={**CONSOLE, **sign_in(other, EDITOR)})
    assert refused.status_code == 502
    assert "DESK_KB_EDITOR_TOKEN" in refused.json()["error"]["message"]
