"""The editors' insights through the real running system. What customers could not find:
customers ask the real assistant questions no article covers (our own words, one conversation
each), then the editors' gaps API and page (headless Chromium) show a group made from them, from
which a draft starts. Learned phrasings: questions customers confirmed as answered reach the
article's page as candidates, approved in bulk, and count as helpful votes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from desk.gap_groups import draft_id as slug
from tests.e2e.clients import Customer, event_types
from tests.e2e.test_browser import ARTIFACTS, browser, css, shot, sign_in_as, wait_for
from tools.stack import Stack

pytestmark = pytest.mark.slow

EDITOR = ("editor@kestrel.example", "kestrel-demo")  # the development demo editor
QUESTIONS = (  # nothing in the help centre is about safe deposit boxes
    "Can I rent a safe deposit box at one of your branches?",
    "Do you have safety deposit boxes for storing <b>jewellery</b>?",
    "Is there a secure box service for keeping valuables?",
)


@pytest.fixture(scope="module")
def asked(desk_stack: Stack) -> list[str]:
    """Each question in a conversation of its own (two failures in a row would hand the
    customer to a person); the assistant's `none` is stored with its reply."""
    assert desk_stack.desk
    conversations = []
    for text in QUESTIONS:
        customer = Customer(desk_stack.desk)
        customer.say(text)
        customer.message_from("bot")
        conversations.append(customer.conversation_id)
        assert "assistant_none" in event_types(desk_stack.desk, customer.conversation_id), text
    return conversations


CONFIRMED = (  # two ways to ask about a card that has not come; each confirmed as answered
    "my new debit card still hasn't been delivered, when will it come?",
    "It's been two weeks and the replacement card you sent still isn't in my letterbox",
)


@pytest.fixture(scope="module")
def confirmed(desk_stack: Stack) -> dict[str, str]:
    """Each question answered and confirmed ("Yes, thanks"), in a conversation of its own; the
    action server sends it to the knowledge service as a candidate before it replies."""
    assert desk_stack.desk
    articles = {}
    for text in CONFIRMED:
        customer = Customer(desk_stack.desk)
        customer.say(text)
        answer = customer.message_from("bot")
        (link,) = [lk["url"] for lk in answer["links"] if "/help/" in lk["url"]]
        asked = customer.message_from("bot")
        assert "/affirm" in [b["payload"] for b in asked["buttons"]], asked
        customer.say("Yes, thanks", payload="/affirm")
        assert "glad" in customer.message_from("bot")["text"]
        articles[text] = link.rsplit("/", 1)[-1]
    return articles


@pytest.fixture
def editor(desk_stack: Stack) -> Iterator[httpx.Client]:
    assert desk_stack.desk
    with httpx.Client(
        base_url=desk_stack.desk, timeout=60, headers={"X-Requested-With": "kestrel-console"}
    ) as http:
        signed_in = http.post("/console/login", data={"email": EDITOR[0], "password": EDITOR[1]})
        assert signed_in.status_code == 303, signed_in.text
        yield http


def our_group(report: dict[str, Any]) -> dict[str, Any]:
    found = [g for g in report["groups"] if set(QUESTIONS) <= set(g["phrasings"])]
    assert found, [g["phrasings"] for g in report["groups"]]
    return found[0]


def test_the_gaps_api_groups_the_questions_and_starts_a_draft(asked: list[str], editor: httpx.Client) -> None:
    report = editor.get("/api/editor/gaps", params={"weeks": 4})
    assert report.status_code == 200, report.text
    group = our_group(report.json())
    assert group["count"] >= len(QUESTIONS)
    assert group["trend"][-1] >= len(QUESTIONS)  # asked this week
    assert group["kinds"]["none"] >= len(QUESTIONS)
    assert group["articles"], "each group names the articles nearest to it"
    assert all(a["article_id"] and a["title"] for a in group["articles"])

    created = editor.post("/api/editor/gaps/draft", json={"phrasings": group["phrasings"]})
    assert created.status_code == 201, created.text
    created_id = created.json()["id"]
    assert any(created_id.startswith(slug(q)) for q in QUESTIONS)  # from its most frequent phrasing
    article = editor.get(f"/api/editor/articles/{created_id}").json()
    assert article["status"] == "draft"
    assert set(QUESTIONS) <= set(article["questions"])
    assert editor.get("/api/editor/article-stats").json()[created_id]["flags"] == []


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chromium = browser(tmp_path_factory.mktemp("editor-profile"), 1400, 900)
    yield chromium
    chromium.quit()


def test_the_gaps_page_shows_the_group_in_a_real_browser(
    asked: list[str], desk_stack: Stack, driver: WebDriver
) -> None:
    assert desk_stack.desk
    sign_in_as(driver, desk_stack.desk, *EDITOR)
    wait_for(driver, lambda d: "/editor" in d.current_url)
    driver.get(f"{desk_stack.desk}/editor/gaps")

    def ours(d: WebDriver) -> list[Any]:
        return [g for g in css(d, '[data-testid="gap-group"]') if QUESTIONS[0] in g.text]

    group = wait_for(driver, ours)[0]
    examples = [e.text for e in css(group, '[data-testid="gap-example"]')]
    assert any(QUESTIONS[1] in e for e in examples), examples  # markup shown as text
    assert not css(group, "b"), "customer text must never become HTML"
    count = int(css(group, '[data-testid="gap-count"]')[0].text.split()[0])
    assert count >= len(QUESTIONS)
    assert css(group, '[data-testid="gap-trend"]')[0].get_attribute("aria-label")
    links = [a.get_attribute("href") for a in css(group, '[data-testid="gap-articles"] a')]
    assert links
    assert all("/editor/articles/" in link for link in links)
    shot(driver, "20-editor-sees-what-customers-could-not-find")

    # "Start a draft from this group" opens the new draft in the editor.
    css(group, '[data-testid="gap-draft"]')[0].click()
    wait_for(driver, lambda d: "/editor/articles/" in d.current_url and "/gaps" not in d.current_url)
    wait_for(
        driver,
        lambda d: (
            css(d, '[data-testid="status-badge"]')
            and "raft" in css(d, '[data-testid="status-badge"]')[0].text
        ),
    )
    shot(driver, "21-a-draft-from-the-group")


def test_confirmed_questions_wait_on_their_article_and_count_as_helpful(
    confirmed: dict[str, str], editor: httpx.Client
) -> None:
    text = CONFIRMED[0]
    article_id = confirmed[text]
    waiting = editor.get(f"/api/editor/articles/{article_id}/phrasings").json()["candidates"]
    (candidate,) = [c for c in waiting if c["text"] == text]
    assert candidate["source"] == "confirmed_answers"
    decided = editor.post("/api/editor/phrasings/approve", json={"ids": [candidate["id"]]}).json()
    assert decided == {"changed": [candidate["id"]], "status": "approved", "missing": []}
    after = editor.get(f"/api/editor/articles/{article_id}/phrasings").json()["candidates"]
    assert candidate["id"] not in [c["id"] for c in after]
    stats = editor.get("/api/editor/article-stats").json()
    assert stats[article_id]["helpful"] >= 1
    assert stats[article_id]["rate"] is not None


def test_an_editor_approves_learned_phrasings_in_a_real_browser(
    confirmed: dict[str, str], desk_stack: Stack, driver: WebDriver
) -> None:
    assert desk_stack.desk
    text = CONFIRMED[1]
    sign_in_as(driver, desk_stack.desk, *EDITOR)
    wait_for(driver, lambda d: "/editor" in d.current_url)
    driver.get(f"{desk_stack.desk}/editor/articles/{confirmed[text]}")

    def ours(d: WebDriver) -> list[Any]:
        return [p for p in css(d, '[data-testid="phrasing"]') if text in p.text]

    row = wait_for(driver, ours)[0]
    css(row, "input[type=checkbox]")[0].click()
    css(driver, '[data-testid="phrasing-approve"]')[0].click()
    wait_for(driver, lambda d: not ours(d) and "approved" in css(d, "#phrasing-status")[0].text)
    shot(driver, "22-editor-approves-learned-phrasings")
