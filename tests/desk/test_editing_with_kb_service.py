"""The desk's editor API over the real knowledge service's application (in process, with the
bag-of-words embedder of its own tests): both sides of docs/contracts/kb-editing.md agree on
identity, versions, conflicts, validation errors, diffs, "try a question" and search."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from desk.app import create_app as create_desk
from desk.config import Settings as DeskSettings
from desk.staff import DEMO_PASSWORD
from kb_service import Settings as KBSettings
from kb_service import create_app as create_kb
from tests.desk.conftest import AGENT, CONSOLE, FakeAssistant, sign_in
from tests.kb_service.conftest import CALIBRATION, POLICY
from tests.kb_service.fakes import FakeEmbedder
from tests.kb_service.helpers import wait_ready, write_article

TOKEN = "desk-and-kb-editor-token"
EDITOR = ("editor@kestrel.example", "Eli Editor", DEMO_PASSWORD)
ARTICLE = "card-arrival"


@pytest.fixture
def kb(tmp_path: Path) -> Iterator[TestClient]:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    write_article(folder, ARTICLE, "Card delivery", "card_arrival", "Your card arrives by post.",
                  questions=["where is my card"], body="1. Check your address.\n2. Wait a week.")  # fmt: skip
    write_article(folder, "pin-blocked", "PIN blocked", "pin_blocked", "Unblock your PIN in the app.",
                  questions=["my pin is blocked"])  # fmt: skip
    CALIBRATION.save(tmp_path / "calibration.json")
    settings = KBSettings(
        calibration_path=tmp_path / "calibration.json",
        knowledge_dir=folder,
        data_dir=tmp_path / "kb-data",
        editor_token=TOKEN,
        **asdict(POLICY),
    )
    with TestClient(create_kb(settings, embedder=FakeEmbedder())) as client:
        wait_ready(client)
        yield client


@pytest.fixture
def desk(kb: TestClient, tmp_path: Path) -> Iterator[TestClient]:
    def to_kb(request: httpx.Request) -> httpx.Response:
        answer = kb.request(
            request.method,
            request.url.path,
            params=request.url.params,
            content=request.content,
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    settings = DeskSettings(
        database_path=tmp_path / "desk.sqlite3", agents=[":".join(AGENT)], kb_editor_token=TOKEN
    )
    app = create_desk(
        settings,
        rasa_transport=httpx.MockTransport(FakeAssistant().handle),
        kb_transport=httpx.MockTransport(to_kb),
    )
    with TestClient(app) as client:
        yield client


@pytest.fixture
def eli(desk: TestClient) -> dict[str, str]:
    return {**CONSOLE, **sign_in(desk, EDITOR)}


def form(article: dict[str, object], **changes: object) -> dict[str, object]:
    fields = ("title", "summary", "topic", "tags", "escalation", "questions", "body", "review_by")
    return {**{k: article.get(k) for k in fields}, **changes}


def test_an_edit_is_saved_as_draft_published_and_searchable_with_the_editor_recorded(
    desk: TestClient, kb: TestClient, eli: dict[str, str]
):
    path = f"/api/editor/articles/{ARTICLE}"
    listed = desk.get("/api/editor/articles", headers=eli).json()
    assert {a["id"]: a["status"] for a in listed["articles"]} == {
        ARTICLE: "published",
        "pin-blocked": "published",
    }
    article = desk.get(path, headers=eli).json()
    body = "1. Check your address.\n2. Cards to Jersey come by courier within a week."
    draft = {"article": form(article, body=body), "base_version": article["version"], "as_draft": True}
    saved = desk.put(path, json=draft, headers=eli).json()
    assert saved["version"] == article["version"] + 1
    assert saved["published_version"] == article["version"]  # readers keep the published one
    assert "courier" not in kb.get(f"/articles/{ARTICLE}").json()["body"]

    published = desk.post(f"{path}/publish", json={"version": saved["version"]}, headers=eli).json()
    assert published["published_version"] >= saved["version"]  # publishing is a version of its own
    assert published["version"] == published["published_version"]
    assert "courier" in kb.get(f"/articles/{ARTICLE}").json()["body"]
    hits = kb.post("/search", json={"query": "card delivery by courier"}).json()["hits"]
    assert hits[0]["article_id"] == ARTICLE

    versions = desk.get(f"{path}/versions", headers=eli).json()["versions"]
    eli_id = str(desk.app.state.desk.store.staff_by_email(EDITOR[0]).id)  # type: ignore[attr-defined]
    assert versions[0]["editor_id"] == eli_id
    assert versions[0]["editor_name"] == "Eli Editor"
    assert desk.get(path, headers=eli).json()["updated_by"] == "Eli Editor"

    diff = desk.get(f"{path}/diff?from={article['version']}&to={saved['version']}", headers=eli).json()
    assert {
        "kind": "change",
        "left": "2. Wait a week.",
        "right": "2. Cards to Jersey come by courier within a week.",
    } in diff["rows"]


def test_a_stale_base_version_is_a_conflict_and_nothing_is_overwritten(
    desk: TestClient, kb: TestClient, eli: dict[str, str]
):
    path = f"/api/editor/articles/{ARTICLE}"
    article = desk.get(path, headers=eli).json()
    base = article["version"]
    first = desk.put(path, json={"article": form(article, body="Mine."), "base_version": base}, headers=eli)
    assert first.status_code == 200
    second = desk.put(
        path, json={"article": form(article, body="Theirs."), "base_version": base}, headers=eli
    )
    assert second.status_code == 409
    error = second.json()["error"]
    assert (error["code"], error["current_version"]) == ("version_conflict", base + 1)
    assert desk.get(path, headers=eli).json()["body"] == "Mine."


def test_the_knowledge_service_names_the_fields_it_refuses(desk: TestClient, eli: dict[str, str]):
    path = f"/api/editor/articles/{ARTICLE}"
    article = desk.get(path, headers=eli).json()
    bad = {"article": form(article, title="", topic=""), "base_version": article["version"]}
    refused = desk.put(path, json=bad, headers=eli)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "invalid_article"
    assert "title" in error["fields"]


def test_create_try_restore_and_delete(desk: TestClient, kb: TestClient, eli: dict[str, str]):
    new = {
        "title": "Cash machines",
        "summary": "Use any cash machine.",
        "topic": "atm_support",
        "tags": ["cash"],
        "escalation": "none",
        "questions": ["which atm can I use"],
        "body": "Any ATM with the card logo works.",
        "review_by": None,
    }
    created = desk.post("/api/editor/articles", json={"id": "cash-machines", "article": new}, headers=eli)
    assert created.status_code == 201, created.text
    assert (created.json()["version"], created.json()["status"]) == (1, "draft")
    assert kb.get("/articles/cash-machines").status_code == 404  # drafts are never served
    path = "/api/editor/articles/cash-machines"

    tried = desk.post(
        f"{path}/try", json={"question": "atm cash machine", "article": new}, headers=eli
    ).json()
    assert tried["now"]["article_rank"] is None
    assert tried["with_draft"]["article_rank"] == 1
    assert tried["with_draft"]["hits"][0]["article_id"] == "cash-machines"

    desk.put(path, json={"article": {**new, "body": "Changed."}, "base_version": 1}, headers=eli)
    restored = desk.post(f"{path}/versions/1/restore", headers=eli).json()
    assert restored["version"] == 3
    assert desk.get(path, headers=eli).json()["body"] == new["body"]
    assert desk.delete(path, headers=eli).status_code == 204
    assert desk.get(path, headers=eli).status_code == 404
    agent = {**CONSOLE, **sign_in(desk, AGENT)}
    assert desk.get(path, headers=agent).status_code == 403


def test_an_editor_imports_the_folder_after_a_git_pull_from_the_browser(
    desk: TestClient, kb: TestClient, eli: dict[str, str], tmp_path: Path
):
    """No terminal needed: a file changed in git while nobody edited the article comes in as a
    new version; the report says what happened."""
    folder = tmp_path / "knowledge"
    summary, steps = "Your card arrives by post in five days.", "1. Check your address.\n2. Wait five days."
    write_article(
        folder, ARTICLE, "Card delivery", "card_arrival", summary, questions=["where is my card"], body=steps
    )
    report = desk.post("/api/editor/import", headers=eli)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["updated"] == [ARTICLE]
    assert body["conflicts"] == []
    assert body["unchanged"] == 1
    assert "five days" in kb.get(f"/articles/{ARTICLE}").json()["summary"]
    agent = {**CONSOLE, **sign_in(desk, AGENT)}
    assert desk.post("/api/editor/import", headers=agent).status_code == 403
